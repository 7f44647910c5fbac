"""The few Drive v3 calls gspread makes: files.create (a spreadsheet), get, list, delete, and
permissions.create (sharing)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import fields
from .errors import bad_request, file_not_found
from .model import Json, Spreadsheet

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
_DEFAULT_FIELDS = ("kind", "id", "name", "mimeType")


def file_json(book: Spreadsheet, query: dict[str, list[str]]) -> Json:
    full: Json = {
        "kind": "drive#file",
        "id": book.spreadsheet_id,
        "name": book.properties.get("title", ""),
        "mimeType": SPREADSHEET_MIME,
        "createdTime": book.created,
        "modifiedTime": book.modified,
    }
    wanted = query.get("fields")
    if not wanted:
        return {k: full[k] for k in _DEFAULT_FIELDS}
    return dict(fields.select(full, fields.parse(wanted[0])))


def route(
    method: str,
    path: str,
    query: dict[str, list[str]],
    body: Any,
    books: dict[str, Spreadsheet],
    visible: Callable[[Spreadsheet], bool],
    create: Callable[[str], Spreadsheet],
    user: str,
) -> tuple[int, Json | None]:
    """Answer one Drive request: (status, JSON body or None for 204)."""
    rest = path[len("/drive/v3/files") :]
    if rest in ("", "/"):
        if method == "POST":
            given = body if isinstance(body, dict) else {}
            if given.get("mimeType") != SPREADSHEET_MIME:
                raise bad_request("The Sheets stand-in's Drive creates spreadsheets only.")
            book = create(str(given.get("name") or "Untitled spreadsheet"))
            return 200, file_json(book, query)
        if method == "GET":
            return 200, _list(books, visible, query)
    match = re.match(r"^/([^/]+)(/permissions)?$", rest)
    if match:
        found = books.get(match.group(1))
        if found is None or not visible(found):
            raise file_not_found(match.group(1))
        if match.group(2) and method == "POST":
            return 200, _share(found, body)
        if method == "GET":
            return 200, file_json(found, query)
        if method == "DELETE":
            del books[found.spreadsheet_id]
            return 204, None
    raise bad_request(f"The Sheets stand-in's Drive does not answer {method} {path} for {user}.")


def _list(
    books: dict[str, Spreadsheet],
    visible: Callable[[Spreadsheet], bool],
    query: dict[str, list[str]],
) -> Json:
    q = (query.get("q") or [""])[0]
    name = re.search(r"name\s*=\s*'((?:[^'\\]|\\.)*)'", q)
    files = []
    for book in books.values():
        if not visible(book):
            continue
        if name and book.properties.get("title") != name.group(1).replace("\\'", "'"):
            continue
        files.append(
            file_json(book, {"fields": ["kind,id,name,mimeType,createdTime,modifiedTime"]})
        )
    answer: Json = {"kind": "drive#fileList", "incompleteSearch": False, "files": files}
    wanted = query.get("fields")
    return dict(fields.select(answer, fields.parse(wanted[0]))) if wanted else answer


def _share(book: Spreadsheet, body: Any) -> Json:
    given = body if isinstance(body, dict) else {}
    email = given.get("emailAddress")
    if given.get("type") == "anyone":
        book.shared_with = None
    elif email and book.shared_with is not None:
        book.shared_with.add(str(email))
    return {
        "kind": "drive#permission",
        "id": str(abs(hash(email or "anyone")) % 10**20),
        "type": given.get("type", "user"),
        "role": given.get("role", "writer"),
    }
