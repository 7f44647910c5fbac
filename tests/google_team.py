"""A sales team on Google Sheets, as the local Sheets API stand-in holds it.

The engine reaches the stand-in the way it would reach Google: gspread over real HTTP, with a
service-account key whose token_uri is the stand-in's token endpoint, and the API root moved
with LEADSYNC_GOOGLE_API_ENDPOINT.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from factories import OWNER, ZONE, Record, toml_value
from sheets_standin import StandIn

from sync.config import CONFIG_FILE, Config, load_config
from sync.google_backend import GoogleBackend
from sync.google_client import ENDPOINT_ENV
from sync.headers import FIELDS, TabKind, canonical_headers
from sync.retry import Backoff

ROBOT = "leadsync@sales-team.iam.gserviceaccount.com"
TABS = {"Prospects": TabKind.PROSPECTS, "Leads": TabKind.LEADS, "Clients": TabKind.CLIENTS}


@cache
def _key() -> tuple[bytes, bytes]:
    # One key per test run: generating RSA keys is the slow part of a credentials fixture.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def service_account_key(standin: StandIn, folder: Path, email: str = ROBOT) -> Path:
    """A service-account JSON key as Google's console gives it, trusted by the stand-in."""
    private, public = _key()
    standin.add_service_account(email, public)
    path = folder / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "sales-team",
                "private_key_id": "0123456789abcdef",
                "private_key": private.decode(),
                "client_email": email,
                "client_id": "100000000000000000001",
                "token_uri": standin.url + "/token",
            }
        ),
        encoding="utf-8",
    )
    return path


def grid(kind: TabKind, records: Sequence[Mapping[str, object]]) -> list[list[object]]:
    keys = [f.key for f in FIELDS[kind]]
    return [canonical_headers(kind)] + [[r.get(k) for k in keys] for r in records]


@dataclass
class GoogleTeam:
    standin: StandIn
    folder: Path
    tracker: str
    prospecting: str
    key: Path

    @property
    def config_path(self) -> Path:
        return self.folder / CONFIG_FILE

    def config(self) -> Config:
        return load_config(self.config_path)

    def backend(self, every_row: bool = False, **backoff: Any) -> GoogleBackend:
        """The real backend, retrying without the real waits."""
        waits = Backoff(base=0.001, cap=0.002, **backoff)
        return GoogleBackend(self.config(), backoff=waits, every_row=every_row)

    def records(self, tab: str, spreadsheet: str | None = None) -> list[Record]:
        """Data rows keyed by field, each with its 1-based row under '_row'."""
        rows = self.standin.values(spreadsheet or self._home(tab), tab)
        if not rows:
            return []
        by_header = {f.header: f.key for f in FIELDS[TABS[tab]]}
        header = [by_header.get(str(c)) for c in rows[0]]
        found = []
        for number, cells in enumerate(rows[1:], start=2):
            if all(c in (None, "") for c in cells):
                continue
            record: Record = {"_row": number}
            for key, value in zip(header, cells, strict=False):
                if key is not None:
                    record[key] = None if value == "" else value
            found.append(record)
        return found

    def _home(self, tab: str) -> str:
        return self.prospecting if tab == "Prospects" else self.tracker


def google_team(
    standin: StandIn,
    folder: Path,
    monkeypatch: Any,
    prospects: Sequence[Mapping[str, object]] = (),
    leads: Sequence[Mapping[str, object]] = (),
    *,
    one_spreadsheet: bool = True,
    time_zone: str = ZONE,
    locale: str = "it_IT",
    settings: Mapping[str, object] | None = None,
) -> GoogleTeam:
    """Spreadsheets shared with the team's service account, and a leadsync.toml naming them."""
    folder.mkdir(parents=True, exist_ok=True)
    key = service_account_key(standin, folder)
    monkeypatch.setenv(ENDPOINT_ENV, standin.url)
    tracker_tabs = {"Leads": grid(TabKind.LEADS, leads), "Clients": grid(TabKind.CLIENTS, [])}
    prospect_tab = {"Prospects": grid(TabKind.PROSPECTS, prospects)}
    options: dict[str, Any] = {"time_zone": time_zone, "locale": locale, "shared_with": [ROBOT]}
    if one_spreadsheet:
        tracker = standin.create_spreadsheet("Sales", {**prospect_tab, **tracker_tabs}, **options)
        prospecting = tracker
    else:
        tracker = standin.create_spreadsheet("Leads tracker", tracker_tabs, **options)
        prospecting = standin.create_spreadsheet("Prospecting", prospect_tab, **options)
    top: dict[str, object] = {"time_zone": ZONE, "default_owner": OWNER}
    top.update(settings or {})
    lines = [f"{k} = {toml_value(v)}" for k, v in top.items()]
    lines += ["", "[tracker]", 'backend = "google"', f"spreadsheet = {toml_value(tracker)}"]
    lines += ["", "[[prospecting]]", f"spreadsheet = {toml_value(prospecting)}"]
    lines += ['tabs = ["Prospects"]', "", "[google]", 'credentials = "service-account.json"']
    (folder / CONFIG_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return GoogleTeam(standin, folder, tracker, prospecting, key)
