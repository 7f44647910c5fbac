"""The Google client's HTTP: any body reads as requests' Response.json() reads it, and a
server that never answers is given up on.

The client decodes with msgspec and falls back on the standard library for what msgspec
refuses; a real server on loopback sends each body, so the streamed read is the real one.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from google.auth.credentials import AnonymousCredentials

from sync import google_client
from sync.errors import BackendError, RetryPass
from sync.google_client import _decode, _encode
from sync.google_reply import Reply
from sync.retry import Backoff

BODIES: dict[str, bytes] = {
    "plain": json.dumps({"values": [["Acme", 3, 2.5, True, ""]], "é": "ü"}).encode(),
    "pretty": json.dumps({"a": [1, {"b": None}]}, indent=2).encode(),
    "lone_surrogate": b'{"text": "\\ud800x"}',
    "nan": b'{"n": NaN}',
    "huge_number": b'{"n": 1e400}',
    "big_integer": b'{"n": 123456789012345678901234567890}',
    "html": b"<html>Bad gateway</html>",
    "empty": b"",
    "latin1": '{"t": "caff\u00e8"}'.encode("latin-1"),
    "reply": b'{"replies": [{}], "updatedSpreadsheet": {"sheets": [{"properties": {"title": "L"},'
    b' "data": [{"startRow": 1, "rowData": [{"values": [{"effectiveValue": '
    b'{"stringValue": "a\\ud800"}}]}]}]}]}}',
    "not_a_reply": b'{"replies": "no list"}',
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.strip("/")
        body = BODIES[name]
        self.send_response(200)
        charset = "ISO-8859-1" if name == "latin1" else "UTF-8"
        self.send_header("Content-Type", f"application/json; charset={charset}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _as_requests_reads(url: str) -> tuple[str, Any]:
    try:
        return "ok", requests.get(url, timeout=5).json()
    except requests.JSONDecodeError as error:
        return "error", type(error)


def _as_the_client_reads(url: str) -> tuple[str, Any]:
    try:
        return "ok", _decode(requests.get(url, timeout=5, stream=True))
    except requests.JSONDecodeError as error:
        return "error", type(error)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_every_body_reads_as_response_json_reads_it(server: str, name: str) -> None:
    expected = _as_requests_reads(f"{server}/{name}")
    got = _as_the_client_reads(f"{server}/{name}")
    if name == "nan":  # NaN != NaN: compare what it is instead
        assert got[0] == expected[0] == "ok" and got[1]["n"] != got[1]["n"]
    else:
        assert got == expected


@pytest.mark.parametrize(
    "body",
    [
        {"requests": [{"updateCells": {"rows": [{"values": [{"stringValue": "Acmé"}]}]}}]},
        {"text": "half a pair \ud800 of surrogates"},  # a cell text msgspec cannot encode
        {"n": 2**70, "f": 0.1, "b": False, "none": None},
    ],
)
def test_request_bodies_say_what_json_dumps_says(body: dict[str, Any]) -> None:
    assert json.loads(_encode(body)) == json.loads(json.dumps(body))


def test_a_server_that_never_answers_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """gspread passes timeout=None itself; the client's own timeout must still hold."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts connections, never answers
    try:
        monkeypatch.setattr(google_client, "TIMEOUT_SECONDS", 0.3)
        endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
        client = google_client.SheetsClient(
            AnonymousCredentials(),  # type: ignore[no-untyped-call]
            "robot@example.com",
            Backoff(attempts=2, sleep=lambda _s: None),
            endpoint=endpoint,
        )
        with pytest.raises(BackendError, match="did not answer after 2 tries"):
            client.metadata("sheet-id", "properties")
    finally:
        listener.close()


def test_a_write_reply_decodes_into_structs_or_makes_the_pass_read_again(server: str) -> None:
    # An escaped lone surrogate: msgspec refuses it, the standard library reads it.
    reply = _decode(requests.get(f"{server}/reply", timeout=5, stream=True), Reply)
    (cell,) = reply.updatedSpreadsheet.sheets[0].data[0].rowData[0].values
    assert cell.effectiveValue.stringValue == "a\ud800"
    for name in ("not_a_reply", "html"):
        with pytest.raises(RetryPass, match="answer to a write could not be read"):
            _decode(requests.get(f"{server}/{name}", timeout=5, stream=True), Reply)
