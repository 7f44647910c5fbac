"""`leadsync serve`: signed calls from the Sheets add-in, checked in-process and end to end."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import Cli
from google_team import GoogleTeam, google_team
from loopback import serving
from sheets_standin import StandIn

with warnings.catch_warnings():  # starlette 1.x suggests httpx2 for its test client; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from sheets_addin.guards import RateLimiter
from sheets_addin.passes import Marks, Outcome
from sheets_addin.server import create_app
from sheets_addin.settings import load_serve_settings
from sheets_addin.signing import canonical, sign, signed_headers
from sync.config import Config
from sync.engine import Report
from sync.errors import ConfigError
from sync.plan import Plan

SHEET = "1TrackerSpreadsheetId0123456789"
SECRET = "s3cret-for-the-north-team-0123456789"
NOW = 1_800_000_000.0


def _leadsync_toml(folder: Path, spreadsheet: str = SHEET, backend: str = "google") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    where = f'spreadsheet = "{spreadsheet}"' if backend == "google" else 'path = "leads.xlsx"'
    source = f'spreadsheet = "{spreadsheet}"' if backend == "google" else 'path = "p.xlsx"'
    text = (
        'time_zone = "Europe/Rome"\ndefault_owner = "Luca"\n\n'
        f'[tracker]\nbackend = "{backend}"\n{where}\n\n[[prospecting]]\n{source}\n'
    )
    path = folder / "leadsync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _serve_toml(folder: Path, entries: str) -> Path:
    path = folder / "serve.toml"
    path.write_text(entries, encoding="utf-8")
    return path


# The in-process tests run passes with a stub and keep seen IDs in SQLite: SHEET is not a
# spreadsheet anywhere (tests/test_serve_replay.py has the Sheets store).
ENTRY = f'replay = "sqlite"\n\n[[spreadsheet]]\nid = "{SHEET}"\nconfig = "north/leadsync.toml"\n'


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class StubRunner:
    def __init__(self) -> None:
        self.calls: list[tuple[Config, Marks | None]] = []

    def __call__(self, config: Config, marks: Marks | None) -> Outcome:
        self.calls.append((config, marks))
        return Outcome(Report(Plan(), False, 0.01), marks)


class Harness:
    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        _leadsync_toml(tmp_path / "north")
        monkeypatch.setenv("NORTH_SECRET", SECRET)
        path = _serve_toml(tmp_path, ENTRY + 'secret_env = "NORTH_SECRET"\n')
        self.settings = load_serve_settings(path)
        self.clock = Clock()
        self.runner = StubRunner()
        self.limiter = RateLimiter(clock=self.clock)
        self.client = self.app()
        self.counter = 0

    def app(self) -> TestClient:
        app = create_app(self.settings, limiter=self.limiter, runner=self.runner, clock=self.clock)
        return TestClient(app)

    def signed(
        self,
        path: str,
        payload: dict[str, Any],
        *,
        secret: str = SECRET,
        at: float | None = None,
        request_id: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        self.counter += 1
        rid = request_id or f"req-{self.counter:08d}"
        body = json.dumps(payload).encode()
        stamp = int(self.clock.now if at is None else at)
        return body, signed_headers(secret, path, body, stamp, rid)

    def post(self, path: str, payload: dict[str, Any], **how: Any) -> Any:
        body, headers = self.signed(path, payload, **how)
        return self.client.post(path, content=body, headers=headers)


@pytest.fixture
def h(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    return Harness(tmp_path, monkeypatch)


# ---- signature ------------------------------------------------------------------------------


def test_the_signature_is_hmac_sha256_of_the_documented_canonical_string() -> None:
    body = b'{"spreadsheet": "x"}'
    text = canonical("post", "/v1/sync", "1800000000", "req-00000001", body)
    digest = hashlib.sha256(body).hexdigest()
    assert text == f"POST\n/v1/sync\n1800000000\nreq-00000001\n{digest}".encode()
    expected = hmac.new(SECRET.encode(), text, hashlib.sha256).hexdigest()
    assert sign(SECRET, "POST", "/v1/sync", "1800000000", "req-00000001", body) == expected
    assert len(expected) == 64 and expected == expected.lower()


# ---- the service in process ------------------------------------------------------------------


def test_healthz_answers_without_a_signature(h: Harness) -> None:
    answer = h.client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"ok": True}


def test_a_signed_sync_runs_one_pass_and_answers_counts(h: Harness) -> None:
    answer = h.post("/v1/sync", {"spreadsheet": SHEET})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ok"] is True and body["action"] == "sync"
    assert body["counts"]["leads_created"] == 0 and body["problems"] == []
    assert len(h.runner.calls) == 1 and h.runner.calls[0][1] is None


def test_a_signed_convert_passes_the_rows_and_tab_to_the_pass(h: Harness) -> None:
    answer = h.post("/v1/convert", {"spreadsheet": SHEET, "rows": [4, 2, 4]})
    assert answer.status_code == 200, answer.text
    ((_config, marks),) = h.runner.calls
    assert marks is not None
    assert (marks.tab, marks.rows, marks.flag.value) == ("Prospects", (4, 2), "+")
    assert h.post("/v1/strike", {"spreadsheet": SHEET, "rows": [3]}).status_code == 200
    assert h.runner.calls[1][1] is not None and h.runner.calls[1][1].flag.value == "x"


def test_a_wrong_signature_is_refused_and_runs_nothing(h: Harness) -> None:
    answer = h.post("/v1/sync", {"spreadsheet": SHEET}, secret="another-secret-0123456789")
    assert answer.status_code == 401 and answer.json()["ok"] is False
    body, headers = h.signed("/v1/sync", {"spreadsheet": SHEET})
    del headers["X-Leadsync-Signature"]
    assert h.client.post("/v1/sync", content=body, headers=headers).status_code == 401
    assert h.runner.calls == []


def test_a_request_signed_for_another_path_is_refused(h: Harness) -> None:
    body, headers = h.signed("/v1/sync", {"spreadsheet": SHEET, "rows": [2]})
    assert h.client.post("/v1/convert", content=body, headers=headers).status_code == 401
    assert h.runner.calls == []


def test_an_altered_body_is_refused(h: Harness) -> None:
    body, headers = h.signed("/v1/convert", {"spreadsheet": SHEET, "rows": [2]})
    altered = body.replace(b"[2]", b"[2, 3, 4]")
    answer = h.client.post("/v1/convert", content=altered, headers=headers)
    assert answer.status_code == 401
    assert h.runner.calls == []


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_a_timestamp_more_than_300_seconds_off_is_refused(h: Harness, offset: int) -> None:
    answer = h.post("/v1/sync", {"spreadsheet": SHEET}, at=NOW + offset)
    assert answer.status_code == 401 and "timestamp" in answer.json()["error"]
    assert h.runner.calls == []


@pytest.mark.parametrize("offset", [-300, 300])
def test_a_timestamp_within_300_seconds_is_accepted(h: Harness, offset: int) -> None:
    assert h.post("/v1/sync", {"spreadsheet": SHEET}, at=NOW + offset).status_code == 200


def test_a_replayed_request_is_refused_even_by_a_restarted_server(h: Harness) -> None:
    body, headers = h.signed("/v1/sync", {"spreadsheet": SHEET})
    assert h.client.post("/v1/sync", content=body, headers=headers).status_code == 200
    again = h.client.post("/v1/sync", content=body, headers=headers)
    assert again.status_code == 401 and "already used" in again.json()["error"]
    restarted = h.app()  # a new process or replica on the same host: same SQLite file
    assert restarted.post("/v1/sync", content=body, headers=headers).status_code == 401
    assert len(h.runner.calls) == 1


def test_an_unknown_spreadsheet_gets_403(h: Harness) -> None:
    answer = h.post("/v1/sync", {"spreadsheet": "1SomeOtherSpreadsheet0000"})
    assert answer.status_code == 403
    assert h.runner.calls == []


def test_the_rate_limit_allows_a_burst_of_5_then_one_call_every_2_seconds(h: Harness) -> None:
    codes = [h.post("/v1/sync", {"spreadsheet": SHEET}).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    refused = h.post("/v1/sync", {"spreadsheet": SHEET})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
    h.clock.now += 2
    assert h.post("/v1/sync", {"spreadsheet": SHEET}).status_code == 200
    assert h.post("/v1/sync", {"spreadsheet": SHEET}).status_code == 429
    assert len(h.runner.calls) == 6


@pytest.mark.parametrize(
    ("path", "payload", "fragment"),
    [
        ("/v1/convert", {"spreadsheet": SHEET}, "rows"),
        ("/v1/sync", {"spreadsheet": SHEET, "rows": [2]}, "convert and strike only"),
        ("/v1/convert", {"spreadsheet": SHEET, "rows": [2], "tab": "Nope"}, "not a prospect tab"),
        ("/v1/sync", {"spreadsheet": SHEET, "request_id": "req-other-123"}, "request_id"),
        ("/v1/sync", {"spreadsheet": SHEET, "extra": 1}, "JSON"),
    ],
)
def test_bad_requests_get_400_with_a_short_reason(
    h: Harness, path: str, payload: dict[str, Any], fragment: str
) -> None:
    answer = h.post(path, payload)
    assert answer.status_code == 400 and fragment in answer.json()["error"]
    assert h.runner.calls == []


def test_not_json_gets_400(h: Harness) -> None:
    answer = h.client.post("/v1/sync", content=b"not json", headers={"X-Leadsync-Timestamp": "1"})
    assert answer.status_code == 400


# ---- serve.toml ------------------------------------------------------------------------------


def _problems(path: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_serve_settings(path, environ or {})
    return str(caught.value)


def test_serve_toml_errors_name_the_key_and_the_fix(tmp_path: Path) -> None:
    _leadsync_toml(tmp_path / "north")
    unset = _problems(_serve_toml(tmp_path, ENTRY + 'secret_env = "NORTH_SECRET"\n'))
    assert "spreadsheet[1].secret_env" in unset and "NORTH_SECRET is not set" in unset
    both = _problems(_serve_toml(tmp_path, ENTRY + f'secret = "{SECRET}"\nsecret_env = "X"\n'))
    assert "exactly one" in both
    short = _problems(_serve_toml(tmp_path, ENTRY + 'secret = "tiny-secret"\n'))
    assert "shorter than 16" in short and "tiny-secret" not in short
    missing = _problems(_serve_toml(tmp_path, 'replay_db = "x.db"\n'))
    assert "spreadsheet" in missing
    stray = '[[spreadsheet]]\nid = "1AnotherSpreadsheet00000"\nconfig = "north/leadsync.toml"\n'
    other = _problems(_serve_toml(tmp_path, stray + f'secret = "{SECRET}"\n'))
    assert "neither the tracker nor a prospecting spreadsheet" in other and SECRET not in other


def test_serve_toml_refuses_an_excel_tracker(tmp_path: Path) -> None:
    _leadsync_toml(tmp_path / "north", backend="excel")
    text = _problems(_serve_toml(tmp_path, ENTRY + f'secret = "{SECRET}"\n'))
    assert "excel tracker" in text


def test_leadsync_serve_with_a_bad_config_exits_2(cli: Cli, tmp_path: Path) -> None:
    result = cli("serve", "--config", tmp_path / "missing.toml")
    assert result.exit_code == 2 and "no serve configuration" in result.output


# ---- end to end: uvicorn over HTTP, the engine on the Sheets stand-in ------------------------


@pytest.fixture
def server(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, GoogleTeam]]:
    prospects = [
        {"company": "Acme Inc", "contact": "Ada"},
        {"company": "Borgo Verde Srl", "flag": "x"},
        {"company": "Casa Blu SpA"},
    ]
    team = google_team(standin, tmp_path / "team", monkeypatch, prospects)
    monkeypatch.setenv("TEAM_SECRET", SECRET)
    entry = f'[[spreadsheet]]\nid = "{team.prospecting}"\nconfig = "team/leadsync.toml"\n'
    path = _serve_toml(tmp_path, entry + 'secret_env = "TEAM_SECRET"\n')
    app = create_app(load_serve_settings(path))
    with serving(app) as url:
        yield url, team


def _send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    for key, value in headers.items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_signed_convert_over_http_makes_the_lead_once_and_a_replay_changes_nothing(
    server: tuple[str, GoogleTeam], standin: StandIn
) -> None:
    base, team = server
    body = json.dumps({"spreadsheet": team.prospecting, "rows": [2, 3]}).encode()
    headers = signed_headers(SECRET, "/v1/convert", body, int(time.time()), "e2e-convert-1")

    status, answer = _send(base + "/v1/convert", body, headers)

    assert status == 200, answer
    assert answer["marked"] == [2] and answer["skipped"] == [3]  # row 3 is struck off
    assert answer["counts"]["leads_created"] == 1
    assert "Acme" not in json.dumps(answer)  # row references only, no cell contents
    leads = team.records("Leads")
    assert [lead["company"] for lead in leads] == ["Acme Inc"]
    (row,) = [r for r in team.records("Prospects") if r["_row"] == 2]
    assert row["flag"] == "✓" and row["lead"] == leads[0]["lead_id"]
    lease_left = [m for m in standin.developer_metadata(team.tracker) if "lease" in str(m)]
    assert lease_left == []  # given back after the pass, for the next replica
    standin.clear_log()

    status, answer = _send(base + "/v1/convert", body, headers)

    assert status == 401 and answer == {"ok": False, "error": "request id already used"}
    # No pass: only the replay record's refused create and its look at who holds the ID.
    calls = [(c.method, c.path.rsplit("/", 1)[-1], c.status) for c in standin.log]
    assert calls == [
        ("POST", f"{team.prospecting}:batchUpdate", 400),
        ("GET", team.prospecting, 200),
    ]
    assert [lead["company"] for lead in team.records("Leads")] == ["Acme Inc"]
