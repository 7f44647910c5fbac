"""The Sheets stand-in answers as Google did: every recorded exchange, replayed, must match.

Each recording (gspread's own test suite talking to the real Sheets and Drive APIs) is
replayed in order against a fresh stand-in. Status codes and JSON bodies must be equal once
the IDs Google chose (spreadsheets, tabs, Drive files) are mapped to the ones the stand-in
chose, and creation/modification timestamps are set aside. Nothing else is ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from sheets_standin import StandIn

RECORDINGS = Path(
    os.environ.get("LEADSYNC_SHEETS_RECORDINGS")
    or Path(__file__).parents[2] / "shared" / "sheets-api-recordings"
)
_TIMESTAMPS = {"createdTime", "modifiedTime"}
_STRING_IDS = {"id", "spreadsheetId"}
_NUMBER_IDS = {"sheetId", "metadataId"}


def _recordings() -> list[Any]:
    found = sorted(RECORDINGS.glob("*.json")) if RECORDINGS.is_dir() else []
    if not found:
        reason = f"no Sheets API recordings at {RECORDINGS} (set LEADSYNC_SHEETS_RECORDINGS)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-recordings")]
    return [pytest.param(path, id=path.stem) for path in found]


class IdMap:
    """Google's IDs and the stand-in's, learnt as they first appear side by side in answers."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}  # recorded -> ours
        self.numbers: dict[int, int] = {}

    def learn(self, recorded: Any, ours: Any) -> None:
        if isinstance(recorded, dict) and isinstance(ours, dict):
            for key, value in recorded.items():
                if key not in ours:
                    continue
                if key in _STRING_IDS and isinstance(value, str) and isinstance(ours[key], str):
                    self.texts.setdefault(value, ours[key])
                elif key in _NUMBER_IDS and isinstance(value, int) and isinstance(ours[key], int):
                    self.numbers.setdefault(value, ours[key])
                else:
                    self.learn(value, ours[key])
        elif isinstance(recorded, list) and isinstance(ours, list):
            for left, right in zip(recorded, ours, strict=False):
                self.learn(left, right)

    def text(self, value: str, *, back: bool = False) -> str:
        pairs = self.texts.items()
        for recorded, ours in pairs:
            value = value.replace(ours, recorded) if back else value.replace(recorded, ours)
        return value

    def json(self, value: Any, *, back: bool = False) -> Any:
        """Swap IDs throughout a JSON value (recorded -> ours, or back)."""
        numbers = {v: k for k, v in self.numbers.items()} if back else self.numbers
        if isinstance(value, dict):
            return {
                k: numbers.get(v, v) if k in _NUMBER_IDS else self.json(v, back=back)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.json(v, back=back) for v in value]
        if isinstance(value, str):
            return self.text(value, back=back)
        return value


def _without_timestamps(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "<time>" if k in _TIMESTAMPS else _without_timestamps(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_timestamps(v) for v in value]
    return value


def _replay(google: StandIn, http: requests.Session, name: str, exchanges: list[Any]) -> None:
    ids = IdMap()
    for number, exchange in enumerate(exchanges):
        asked, answered = exchange["request"], exchange["response"]
        parts = urlsplit(ids.text(asked["uri"]))
        url = google.url + parts.path + (f"?{parts.query}" if parts.query else "")
        body = asked.get("body")
        data = None
        if body:
            try:
                data = json.dumps(ids.json(json.loads(body))).encode()
            except ValueError:
                data = ids.text(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        got = http.request(asked["method"], url, data=data, headers=headers)
        where = f"{name} #{number}: {asked['method']} {asked['uri']}"
        assert got.status_code == answered["status"]["code"], f"{where}\n{got.text}"
        text = answered["body"].get("string") or ""
        if not text.strip():
            assert got.content == b"", where
            continue
        expected, actual = json.loads(text), got.json()
        ids.learn(expected, actual)
        mine = _without_timestamps(ids.json(actual, back=True))
        assert mine == _without_timestamps(expected), where


@pytest.mark.parametrize("recording", _recordings())
def test_stand_in_answers_as_google_did(recording: Path) -> None:
    exchanges = json.loads(recording.read_text(encoding="utf-8"))["interactions"]
    with StandIn(require_auth=False) as google, requests.Session() as http:
        _replay(google, http, recording.stem, exchanges)
