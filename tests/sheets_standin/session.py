"""A requests.Session that sends Google API calls to the stand-in instead.

gspread takes a session as its documented extension point (`gspread.Client(auth=None,
session=...)`), so the client under test runs unchanged and only the scheme and host move.
"""

from __future__ import annotations

from typing import Any

import requests

_GOOGLE_ROOTS = (
    "https://sheets.googleapis.com",
    "https://www.googleapis.com",
    "https://oauth2.googleapis.com",
)


class RedirectSession(requests.Session):
    def __init__(self, root_url: str, token: str | None = None) -> None:
        super().__init__()
        self.root_url = root_url.rstrip("/")
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(
        self, method: str, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        text = url.decode() if isinstance(url, bytes) else url
        for root in _GOOGLE_ROOTS:
            if text.startswith(root):
                text = self.root_url + text[len(root) :]
                break
        return super().request(method, text, *args, **kwargs)
