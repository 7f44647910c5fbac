"""The few Sheets API calls a pass makes, with retries and readable errors.

gspread is given its session through its supported extension point (`Client(auth=None,
session=...)`). The session is google-auth's AuthorizedSession, which refreshes tokens; it can
be pointed at another API root (a private gateway, or the local stand-in the tests run) with
LEADSYNC_GOOGLE_API_ENDPOINT, leaving every path and body exactly as Google's.

Answers run to megabytes (a values.batchGet of every prospect, a write's rows sent back), so
the calls go to that session themselves, with gspread's URLs and its APIError, rather than
through gspread's helpers: a streamed response is read in one piece instead of requests'
10 KB chunks, and JSON is encoded and decoded by msgspec straight from and to bytes (see
_encode and _decode for where they fall back on the standard library, so that any body
reads as it did before).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

import gspread
import msgspec
import requests
from google.auth.credentials import Credentials
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import AuthorizedSession
from gspread.exceptions import APIError
from gspread.urls import (
    SPREADSHEET_BATCH_UPDATE_URL,
    SPREADSHEET_URL,
    SPREADSHEET_VALUES_BATCH_URL,
)

from sync.errors import BackendError, RequestRejected, RetryPass
from sync.retry import Backoff

ENDPOINT_ENV = "LEADSYNC_GOOGLE_API_ENDPOINT"
GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
TIMEOUT_SECONDS = 60.0
T = TypeVar("T")
R = TypeVar("R")


class _Session(AuthorizedSession):
    def __init__(self, credentials: Credentials, endpoint: str | None) -> None:
        super().__init__(credentials)  # type: ignore[no-untyped-call]
        self._endpoint = endpoint.rstrip("/") if endpoint else None

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if self._endpoint:
            for host in GOOGLE_HOSTS:
                if url.startswith(host):
                    url = self._endpoint + url[len(host) :]
                    break
        # gspread passes timeout=None itself: without this, a silent server hangs the pass.
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUT_SECONDS
        answer = super().request(method, url, *args, **kwargs)  # type: ignore[no-untyped-call]
        return cast(requests.Response, answer)


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder()


def _encode(body: Mapping[str, Any]) -> bytes:
    try:
        return _ENCODER.encode(body)
    except (msgspec.EncodeError, UnicodeEncodeError, OverflowError):
        # What msgspec refuses (a lone surrogate in a cell's text) goes as requests' json=
        # sends it: escaped, which Google reads back as the same text.
        return json.dumps(body, allow_nan=False, default=_unraw).encode("utf-8")


def _unraw(value: object) -> Any:
    """A request encoded already (msgspec.Raw, see google_write) as the JSON it holds, which
    json.dumps writes as it would have written the request itself."""
    if isinstance(value, msgspec.Raw):
        return _DECODER.decode(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _decode(response: requests.Response, reply: type[Any] | None = None) -> Any:
    """The answer's JSON; with `reply` (a msgspec Struct), decoded straight into it."""
    # chunk_size=None reads the body as it arrives, in one piece when its length is known.
    body = b"".join(response.iter_content(chunk_size=None))
    decoder = _DECODER if reply is None else _typed(reply)
    try:
        return decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        pass  # what msgspec refuses: see _standard
    if reply is None:
        return _standard(body, response)
    try:
        return msgspec.convert(_standard(body, response), reply)
    except (msgspec.ValidationError, requests.JSONDecodeError) as error:
        # The write may have happened: read again, as after an answer that never came.
        raise RetryPass(f"Google's answer to a write could not be read ({error})") from None


def _standard(body: bytes, response: requests.Response) -> Any:
    """What msgspec refuses and the standard library takes (an escaped lone surrogate, NaN,
    1e400, a body in another charset), or what is no JSON at all: read and refused as
    requests' Response.json() does."""
    try:
        text = str(body, response.encoding or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = str(body, errors="replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise requests.JSONDecodeError(error.msg, error.doc, error.pos) from None


_TYPED: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def _typed(reply: type[Any]) -> msgspec.json.Decoder[Any]:
    decoder = _TYPED.get(reply)
    if decoder is None:
        decoder = _TYPED[reply] = msgspec.json.Decoder(reply)
    return decoder


class _Transient(Exception):
    def __init__(self, status: int | None, detail: str, retry_after: float | None) -> None:
        super().__init__(detail)
        self.status = status
        self.retry_after = retry_after


class SheetsClient:
    def __init__(
        self,
        credentials: Credentials,
        account: str,
        backoff: Backoff | None = None,
        endpoint: str | None = None,
    ) -> None:
        session = _Session(credentials, endpoint or os.environ.get(ENDPOINT_ENV))
        self.http = gspread.Client(auth=None, session=session).http_client  # type: ignore[arg-type]
        self.account = account
        self.backoff = backoff or Backoff()

    # ---- the calls ------------------------------------------------------------------------

    def metadata(self, spreadsheet: str, fields: str) -> dict[str, Any]:
        params = {"fields": fields}
        return self._read(
            spreadsheet, lambda: dict(self._fetch("get", SPREADSHEET_URL % spreadsheet, params))
        )

    def values(
        self, spreadsheet: str, ranges: Sequence[str], major: str = "ROWS"
    ) -> list[dict[str, Any]]:
        """Each range's ValueRange; `major` "COLUMNS" lists the values column by column."""
        params: dict[str, Any] = {
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "SERIAL_NUMBER",
            "majorDimension": major,
            "ranges": list(ranges),
        }
        url = SPREADSHEET_VALUES_BATCH_URL % spreadsheet
        answer = self._read(spreadsheet, lambda: self._fetch("get", url, params))
        return list(answer.get("valueRanges", []))

    def batch_update(
        self, spreadsheet: str, body: Mapping[str, Any], fields: str | None = None
    ) -> dict[str, Any]:
        """One atomic batchUpdate. Retried only when Google says it did nothing (429).

        After a 5xx or a lost connection the write may have happened: RetryPass makes the
        engine read again instead of sending it twice.
        """
        return dict(self._batch(spreadsheet, body, fields, None))

    def batch_update_as(
        self, spreadsheet: str, body: Mapping[str, Any], fields: str | None, reply: type[R]
    ) -> R:
        """batch_update whose answer is decoded straight into `reply`, a msgspec Struct.

        For a write that asks for the rows it wrote back (megabytes of CellData): Structs
        decode in about half the time of dicts and free in less. An answer that does not fit
        `reply` raises RetryPass, as one that never came: the write may have happened.
        """
        return cast(R, self._batch(spreadsheet, body, fields, reply))

    # ---- plumbing -------------------------------------------------------------------------

    def _batch(
        self,
        spreadsheet: str,
        body: Mapping[str, Any],
        fields: str | None,
        reply: type[Any] | None,
    ) -> Any:
        # `fields` (a partial response) keeps a reply with grid data to the values it checks.
        params: dict[str, Any] | None = {"fields": fields} if fields else None
        url = SPREADSHEET_BATCH_UPDATE_URL % spreadsheet
        for retry in range(self.backoff.attempts):
            try:
                return self._call(
                    spreadsheet, lambda: self._fetch("post", url, params, body, reply)
                )
            except _Transient as error:
                self.backoff.wait(retry, error.retry_after)
                if error.status != 429 or retry == self.backoff.attempts - 1:
                    raise RetryPass(f"Google did not confirm a write ({error})") from None
        raise AssertionError("unreachable")

    def _fetch(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None = None,
        reply: type[Any] | None = None,
    ) -> Any:
        """One call as gspread's HTTPClient.request makes it, the body read in one piece."""
        data: bytes | None = None
        headers: dict[str, str] | None = None
        if body is not None:
            data = _encode(body)
            headers = {"Content-Type": "application/json"}
        response = self.http.session.request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            stream=True,
        )
        if not response.ok:
            raise APIError(response)  # it reads the error body itself
        return _decode(response, reply)

    def _read(self, spreadsheet: str, call: Callable[[], T]) -> T:
        for retry in range(self.backoff.attempts):
            try:
                return self._call(spreadsheet, call)
            except _Transient as error:
                if retry == self.backoff.attempts - 1:
                    raise BackendError(
                        f"Google Sheets did not answer after {self.backoff.attempts} tries "
                        f"({error}); try again in a minute"
                    ) from None
                self.backoff.wait(retry, error.retry_after)
        raise AssertionError("unreachable")

    def _call(self, spreadsheet: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except APIError as error:
            status = error.response.status_code
            if status == 429 or status >= 500:
                after = error.response.headers.get("Retry-After")
                raise _Transient(
                    status, f"HTTP {status}", float(after) if after and after.isdigit() else None
                ) from None
            if status == 400:
                raise RequestRejected(self._explain(spreadsheet, status, error)) from None
            raise BackendError(self._explain(spreadsheet, status, error)) from None
        except (requests.ConnectionError, requests.Timeout, TransportError) as error:
            raise _Transient(None, f"connection lost: {type(error).__name__}", None) from None
        except RefreshError as error:
            raise BackendError(
                f"Google refused the credentials ({error}); check the key file in [google] "
                "credentials, or create a new key for the service account"
            ) from None

    def _explain(self, spreadsheet: str, status: int, error: APIError) -> str:
        message = str(error.error.get("message", "")) if isinstance(error.error, dict) else ""
        if status == 401:
            return (
                f"Google refused the credentials (401: {message}); check [google] credentials "
                "in leadsync.toml"
            )
        if status == 403:
            return (
                f"spreadsheet {spreadsheet} is not shared with {self.account} (403): open it "
                f"in Google Sheets, press Share and add {self.account} as an editor"
            )
        if status == 404:
            return (
                f"no spreadsheet has the ID {spreadsheet} (404): copy its address from the "
                "browser into leadsync.toml"
            )
        return f"Google Sheets refused a request on {spreadsheet} ({status}: {message})"
