"""Replay protection kept in the spreadsheet, so that it holds across replicas on any host.

The store (sheets_addin/replay_sheets.py) against the Sheets API stand-in over real HTTP, and
two `leadsync serve` apps with nothing local in common, on loopback, against one stand-in.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google_team import ROBOT, GoogleTeam, google_team
from loopback import serving
from sheets_standin import StandIn
from test_serve import SECRET, SHEET, Harness, TestClient, _send

from sheets_addin.guards import ReplayUnavailable, SqliteReplayStore
from sheets_addin.replay_sheets import (
    KEEP_SECONDS,
    REPLAY_KEY,
    SWEEP_EVERY,
    Record,
    SheetsReplayStore,
    metadata_id,
)
from sheets_addin.server import create_app, replay_store
from sheets_addin.settings import load_serve_settings
from sheets_addin.signing import signed_headers
from sync.errors import ConfigError
from sync.google_auth import load_credentials
from sync.google_client import SheetsClient
from sync.google_write import create_metadata
from sync.retry import Backoff

T0 = 1_800_000_000.0


def _nowhere() -> str:
    """The URL of a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _client(team: GoogleTeam, endpoint: str | None = None) -> SheetsClient:
    credentials = load_credentials(team.key, write=True)
    return SheetsClient(credentials, ROBOT, Backoff(attempts=3, base=0.001, cap=0.002), endpoint)


@pytest.fixture
def team(standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GoogleTeam:
    prospects = [{"company": "Acme Inc", "contact": "Ada"}, {"company": "Borgo Verde Srl"}]
    return google_team(standin, tmp_path / "team", monkeypatch, prospects)


def _store(team: GoogleTeam) -> SheetsReplayStore:
    """A store as one replica holds it: its own client, its own sweep times."""
    client = _client(team)
    return SheetsReplayStore(lambda _spreadsheet: client)


def _replay_entries(standin: StandIn, spreadsheet: str) -> dict[int, dict[str, Any]]:
    found = standin.developer_metadata(spreadsheet)
    return {m["metadataId"]: m for m in found if m.get("metadataKey") == REPLAY_KEY}


# ---- the store --------------------------------------------------------------------------------


def test_an_id_is_accepted_once_by_every_replica(team: GoogleTeam, standin: StandIn) -> None:
    sheet = team.prospecting
    one, other = _store(team), _store(team)

    assert one.first_time(sheet, "req-aaaaaaaa", T0) is True
    assert one.first_time(sheet, "req-aaaaaaaa", T0 + 1) is False
    assert other.first_time(sheet, "req-aaaaaaaa", T0 + 2) is False  # another replica
    assert other.first_time(sheet, "req-bbbbbbbb", T0 + 3) is True

    entries = _replay_entries(standin, sheet)
    assert set(entries) == {metadata_id("req-aaaaaaaa"), metadata_id("req-bbbbbbbb")}
    record = Record.parse(entries[metadata_id("req-aaaaaaaa")]["metadataValue"])
    assert record is not None and (record.request_id, record.at) == ("req-aaaaaaaa", T0)
    assert all(0 < number < 1_000_000_000 - 1 for number in entries)  # below lease and claims


def test_an_id_held_by_another_entry_is_not_taken_for_a_replay(
    team: GoogleTeam, standin: StandIn
) -> None:
    sheet, rid = team.prospecting, "req-collides-01"
    client = _client(team)
    foreign = create_metadata(metadata_id(rid), "another.tool", "theirs")
    client.batch_update(sheet, {"requests": [foreign]})
    store = SheetsReplayStore(lambda _spreadsheet: client)

    assert store.first_time(sheet, rid, T0) is True
    assert store.first_time(sheet, rid, T0 + 1) is False

    assert set(_replay_entries(standin, sheet)) == {metadata_id(rid, 1)}
    kept = [m for m in standin.developer_metadata(sheet) if m["metadataKey"] == "another.tool"]
    assert [m["metadataValue"] for m in kept] == ["theirs"]


@pytest.mark.parametrize("fault", ["drop_after", "500", "drop"])
def test_a_create_google_did_not_confirm_is_settled_by_looking(
    team: GoogleTeam, standin: StandIn, fault: str
) -> None:
    """drop_after: it landed, and this attempt's nonce says it is ours; 500 and drop: it did
    not, and it is sent again."""
    store = _store(team)
    standin.fail(1, fault)

    assert store.first_time(team.prospecting, "req-unconfirmed", T0) is True
    assert store.first_time(team.prospecting, "req-unconfirmed", T0 + 1) is False
    assert list(_replay_entries(standin, team.prospecting)) == [metadata_id("req-unconfirmed")]


def test_when_the_sheets_api_fails_the_store_refuses_rather_than_guess(
    team: GoogleTeam, standin: StandIn
) -> None:
    for nth in range(1, 20):
        standin.fail(nth, "500")
    with pytest.raises(ReplayUnavailable, match="try again"):
        _store(team).first_time(team.prospecting, "req-google-down", T0)

    unreachable = _client(team, endpoint=_nowhere())
    with pytest.raises(ReplayUnavailable):
        SheetsReplayStore(lambda _s: unreachable).first_time(team.prospecting, "req-no-net", T0)

    with pytest.raises(ReplayUnavailable):  # a spreadsheet Google does not know (404)
        _store(team).first_time("1NoSuchSpreadsheet0000000000", "req-not-there", T0)

    def no_credentials(_spreadsheet: str) -> SheetsClient:  # the key file is gone
        return SheetsClient(load_credentials(team.folder / "gone.json", write=True), ROBOT)

    with pytest.raises(ReplayUnavailable):
        SheetsReplayStore(no_credentials).first_time(team.prospecting, "req-no-key", T0)
    assert _replay_entries(standin, team.prospecting) == {}


def test_entries_older_than_the_timestamp_window_are_swept(
    team: GoogleTeam, standin: StandIn
) -> None:
    sheet = team.prospecting
    store = _store(team)
    client = _client(team)
    client.batch_update(sheet, {"requests": [create_metadata(77, "another.tool", "kept")]})

    assert store.first_time(sheet, "req-old-00001", T0)  # first call of a process: a sweep
    assert store.first_time(sheet, "req-recent-01", T0 + 200)  # too soon for another
    standin.clear_log()
    late = T0 + KEEP_SECONDS + 100  # req-old-00001 is out of every timestamp window now
    assert store.first_time(sheet, "req-late-0001", late)

    writes = [c for c in standin.log if c.method == "POST"]
    assert len(writes) == 2  # the create, then one batch deleting the old entry
    records = [Record.parse(m["metadataValue"]) for m in _replay_entries(standin, sheet).values()]
    assert {r.request_id for r in records if r is not None} == {"req-recent-01", "req-late-0001"}
    assert [m["metadataId"] for m in standin.developer_metadata(sheet)].count(77) == 1

    standin.clear_log()
    assert store.first_time(sheet, "req-soon-0001", late + SWEEP_EVERY / 2)
    assert len(standin.log) == 1  # no sweep yet: only the create


# ---- two replicas with nothing local in common ------------------------------------------------


def _replica(folder: Path, team: GoogleTeam, replay: str) -> Any:
    folder.mkdir()
    config = team.config_path
    text = (
        f'replay = "{replay}"\n\n[[spreadsheet]]\nid = "{team.prospecting}"\n'
        f'config = "{config}"\nsecret_env = "REPLICA_SECRET"\n'
    )
    (folder / "serve.toml").write_text(text, encoding="utf-8")
    return create_app(load_serve_settings(folder / "serve.toml"))


@pytest.fixture
def replicas(
    team: GoogleTeam, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: Any
) -> Iterator[tuple[str, str]]:
    monkeypatch.setenv("REPLICA_SECRET", SECRET)
    one = _replica(tmp_path / "host-a", team, request.param)
    two = _replica(tmp_path / "host-b", team, request.param)
    with serving(one) as url_one, serving(two) as url_two:
        yield url_one, url_two


def _convert(team: GoogleTeam) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"spreadsheet": team.prospecting, "rows": [2]}).encode()
    return body, signed_headers(SECRET, "/v1/convert", body, int(time.time()), "replica-req-1")


@pytest.mark.parametrize("replicas", ["sheets"], indirect=True)
def test_a_call_replayed_to_another_replica_is_refused_and_runs_no_pass(
    replicas: tuple[str, str], team: GoogleTeam, standin: StandIn
) -> None:
    one, two = replicas
    body, headers = _convert(team)

    status, answer = _send(one + "/v1/convert", body, headers)
    assert status == 200, answer
    assert answer["marked"] == [2] and answer["counts"]["leads_created"] == 1
    leads = team.records("Leads")
    standin.clear_log()

    status, answer = _send(two + "/v1/convert", body, headers)

    assert status == 401 and answer["error"] == "request id already used"
    assert team.records("Leads") == leads
    calls = [(c.method, c.path.rsplit("/", 1)[-1], c.status) for c in standin.log]
    assert calls == [
        ("POST", f"{team.prospecting}:batchUpdate", 400),
        ("GET", team.prospecting, 200),
    ]


@pytest.mark.parametrize("replicas", ["sqlite"], indirect=True)
def test_with_the_sqlite_store_each_host_remembers_only_its_own_calls(
    replicas: tuple[str, str], team: GoogleTeam
) -> None:
    """Why "sheets" is the default: two hosts with their own files both accept the call."""
    one, two = replicas
    body, headers = _convert(team)
    assert _send(one + "/v1/convert", body, headers)[0] == 200
    assert _send(one + "/v1/convert", body, headers)[0] == 401
    status, answer = _send(two + "/v1/convert", body, headers)
    assert status == 200 and answer["skipped"] == [2]  # a second pass ran (and made no lead)
    assert len(team.records("Leads")) == 1


def test_serve_answers_503_and_runs_no_pass_when_the_id_cannot_be_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, team: GoogleTeam
) -> None:
    h = Harness(tmp_path / "serve", monkeypatch)
    unreachable = _client(team, endpoint=_nowhere())
    store = SheetsReplayStore(lambda _s: unreachable)
    app = create_app(h.settings, replay=store, limiter=h.limiter, runner=h.runner, clock=h.clock)
    h.client = TestClient(app)

    answer = h.post("/v1/sync", {"spreadsheet": SHEET})

    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert "try again" in answer.json()["error"]
    assert h.runner.calls == []


def test_serve_toml_chooses_the_store_and_names_a_wrong_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, team: GoogleTeam
) -> None:
    monkeypatch.setenv("REPLICA_SECRET", SECRET)
    entry = (
        f'[[spreadsheet]]\nid = "{team.prospecting}"\nconfig = "{team.config_path}"\n'
        'secret_env = "REPLICA_SECRET"\n'
    )
    path = tmp_path / "serve.toml"
    for text, kind in [
        (entry, SheetsReplayStore),
        ('replay = "sqlite"\n' + entry, SqliteReplayStore),
    ]:
        path.write_text(text, encoding="utf-8")
        assert isinstance(replay_store(load_serve_settings(path)), kind)
    path.write_text('replay = "redis"\n' + entry, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_serve_settings(path)
    assert "replay" in str(caught.value) and "'sheets' or 'sqlite'" in str(caught.value)


class CountingStore:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def first_time(self, spreadsheet: str, request_id: str, now: float) -> bool:
        self.seen.append(request_id)
        return True


def test_a_call_over_the_rate_limit_is_refused_before_it_costs_a_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness(tmp_path, monkeypatch)
    store = CountingStore()
    app = create_app(h.settings, replay=store, limiter=h.limiter, runner=h.runner, clock=h.clock)
    h.client = TestClient(app)

    codes = [h.post("/v1/sync", {"spreadsheet": SHEET}).status_code for _ in range(6)]

    assert codes == [200] * 5 + [429]
    assert len(store.seen) == 5 and len(h.runner.calls) == 5
