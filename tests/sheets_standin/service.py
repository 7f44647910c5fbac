"""The stand-in's core: its spreadsheets, who may open them, quota, and routing of API calls.

Everything below the HTTP layer: one call in (method, path, query, body, Authorization),
one answer out. All state changes happen under one lock, so concurrent requests are
serialised the way a single spreadsheet's edits are.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from . import batch, defaults, drive, fields, values_api
from .auth import Auth
from .errors import (
    NOT_FOUND,
    PERMISSION_DENIED,
    ApiError,
    bad_request,
    invalid_json,
    quota_exceeded,
    unauthenticated,
)
from .model import Json, Sheet, Spreadsheet
from .quota import Quota
from .spreadsheet_api import resource

ANONYMOUS = "anonymous"
_ID_CHARS = string.ascii_letters + string.digits + "-_"


@dataclass
class Answer:
    status: int
    body: Json | None
    user: str


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return (query.get(name) or ["false"])[0].lower() == "true"


class Service:
    def __init__(self, require_auth: bool, quota_per_minute: int, clock: Callable[[], float]):
        self.lock = threading.RLock()
        self.require_auth = require_auth
        self.auth = Auth(clock)
        self.quota = Quota(quota_per_minute, clock)
        self.books: dict[str, Spreadsheet] = {}
        self.rng = random.Random(20230817)

    def new_book(
        self, title: str, locale: str, time_zone: str, shared_with: set[str] | None
    ) -> Spreadsheet:
        spreadsheet_id = "1" + "".join(self.rng.choice(_ID_CHARS) for _ in range(43))
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        book = Spreadsheet(
            spreadsheet_id,
            defaults.spreadsheet_properties(title, locale, time_zone),
            [],
            shared_with,
            created=now,
            modified=now,
        )
        self.books[spreadsheet_id] = book
        return book

    def add_tab(self, book: Spreadsheet, title: str, rows: int, cols: int) -> Sheet:
        sheet_id = 0 if not book.sheets else self.rng.randrange(1, 2**31 - 1)
        sheet = Sheet(defaults.sheet_properties(sheet_id, title, len(book.sheets), rows, cols))
        book.sheets.append(sheet)
        return sheet

    def visible(self, book: Spreadsheet, user: str) -> bool:
        return not self.require_auth or book.shared_with is None or user in book.shared_with

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        raw: bytes,
        authorization: str | None,
    ) -> Answer:
        user = ANONYMOUS
        try:
            found, problem = self.auth.caller(authorization)
            is_sheets = path == "/v4/spreadsheets" or path.startswith("/v4/spreadsheets/")
            if not is_sheets and not path.startswith("/drive/v3/files"):
                raise ApiError(404, NOT_FOUND)
            if found is None and self.require_auth:
                service = "sheets.googleapis.com" if is_sheets else "drive.googleapis.com"
                raise unauthenticated(problem or "unknown", service)
            user = found or ANONYMOUS
            if is_sheets:
                kind = "Read" if method == "GET" else "Write"
                if not self.quota.take(user, kind):
                    raise quota_exceeded(kind, self.quota.per_minute)
            body = self._json(raw)
            with self.lock:
                if is_sheets:
                    status, answer = self._sheets(method, path, query, body, user)
                    if answer is not None and "fields" in query:
                        answer = fields.select(answer, fields.parse(query["fields"][0]))
                else:
                    status, answer = drive.route(
                        method,
                        path,
                        query,
                        body,
                        self.books,
                        lambda b: self.visible(b, user),
                        lambda title: self._drive_create(title, user),
                        user,
                    )
            return Answer(status, answer, user)
        except ApiError as error:
            return Answer(error.code, error.body(), user)
        except fields.MaskError as error:
            return Answer(400, bad_request(f"Invalid field selection {error}").body(), user)

    @staticmethod
    def _json(raw: bytes) -> Any:
        if not raw.strip():
            return None
        text = raw.decode("utf-8", errors="replace")
        try:
            return json.loads(text)
        except ValueError:
            raise invalid_json(text) from None

    def _drive_create(self, title: str, user: str) -> Spreadsheet:
        shared = {user} if self.require_auth else None
        book = self.new_book(title, "en_US", "Etc/GMT", shared)
        self.add_tab(book, "Sheet1", 1000, 26)
        return book

    def _sheets(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, user: str
    ) -> tuple[int, Json | None]:
        rest = path[len("/v4/spreadsheets") :]
        if rest in ("", "/") and method == "POST":
            return 200, self._create(body if isinstance(body, dict) else {}, user)
        match = re.match(r"^/([^/:]+)(.*)$", rest)
        if not match:
            raise ApiError(404, NOT_FOUND)
        book = self.books.get(match.group(1))
        if book is None:
            raise ApiError(404, NOT_FOUND)
        if not self.visible(book, user):
            raise ApiError(403, PERMISSION_DENIED)
        tail, payload = match.group(2), body if isinstance(body, dict) else {}
        if tail == "" and method == "GET":
            mask = fields.parse(query["fields"][0]) if "fields" in query else None
            return 200, resource(
                book, query.get("ranges", []), _flag(query, "includeGridData"), mask
            )
        if tail == ":batchUpdate" and method == "POST":
            work, answer = batch.batch_update(book, body, self.rng)
            self._keep(work)
            return 200, answer
        if tail == "/values:batchGet" and method == "GET":
            return 200, values_api.batch_get(book, query)
        if tail == "/values:batchUpdate" and method == "POST":
            work = book.clone()
            answer = values_api.batch_update(work, payload)
            self._keep(work)
            return 200, answer
        if tail == "/values:batchClear" and method == "POST":
            work = book.clone()  # one bad range clears none of them
            answer = values_api.batch_clear(work, payload)
            self._keep(work)
            return 200, answer
        if tail.startswith("/values/"):
            return self._values(book, method, tail[len("/values/") :], query, payload)
        raise ApiError(404, NOT_FOUND)

    def _values(
        self, book: Spreadsheet, method: str, raw: str, query: dict[str, list[str]], body: Json
    ) -> tuple[int, Json]:
        for suffix, handler in ((":append", values_api.append), (":clear", None)):
            if raw.endswith(suffix) and method == "POST":
                text = unquote(raw[: -len(suffix)])
                answer = (
                    handler(book, text, body, query)
                    if handler
                    else values_api.clear_one(book, text)
                )
                self._touch(book)
                return 200, answer
        text = unquote(raw)
        if method == "GET":
            return 200, values_api.get(book, text, query)
        if method == "PUT":
            answer = values_api.update(book, text, body, query)
            self._touch(book)
            return 200, answer
        raise ApiError(404, NOT_FOUND)

    def _create(self, body: Json, user: str) -> Json:
        props = body.get("properties") or {}
        shared = {user} if self.require_auth else None
        book = self.new_book(
            str(props.get("title") or "Untitled spreadsheet"),
            str(props.get("locale") or "en_US"),
            str(props.get("timeZone") or "Etc/GMT"),
            shared,
        )
        for given in body.get("sheets") or [{}]:
            sheet_props = given.get("properties") or {}
            grid = sheet_props.get("gridProperties") or {}
            title = sheet_props.get("title") or f"Sheet{len(book.sheets) + 1}"
            self.add_tab(
                book, title, int(grid.get("rowCount", 1000)), int(grid.get("columnCount", 26))
            )
        return resource(book, [], False)

    def _keep(self, work: Spreadsheet) -> None:
        if work.spreadsheet_id in self.books:
            self.books[work.spreadsheet_id] = work
            self._touch(work)

    @staticmethod
    def _touch(book: Spreadsheet) -> None:
        book.modified = (
            dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
