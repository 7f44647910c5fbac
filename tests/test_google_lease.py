"""The lease that keeps one runner at a time on a Google tracker, through the Sheets stand-in."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from factories import MORNING, Cli
from google_team import GoogleTeam, google_team
from sheets_standin import StandIn

from sync.engine import run
from sync.google_auth import load_credentials, who
from sync.google_client import SheetsClient
from sync.google_lease import LEASE_ID, LEASE_KEY, GoogleLease, Lease, LeaseHeld, lease_of
from sync.retry import Backoff
from sync.watch import Watcher


class Clock:
    """Time that passes only when a runner waits."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def _client(team: GoogleTeam) -> SheetsClient:
    credentials = load_credentials(team.config().resolve_optional_credentials(), write=True)
    return SheetsClient(credentials, who(credentials), Backoff(base=0.001, cap=0.002))


def _runner(team: GoogleTeam, clock: Clock, **more: Any) -> GoogleLease:
    return GoogleLease(_client(team), team.tracker, clock=clock, sleep=clock.sleep, **more)


def _on_request(number: int, action: Callable[[], None]) -> Callable[[int], None]:
    """A stand-in hook running `action` just before the `number`th request from now."""
    seen: list[int] = []

    def hook(index: int) -> None:
        seen.append(index)
        if len(seen) == number:
            action()

    return hook


def _held(standin: StandIn, team: GoogleTeam) -> Lease | None:
    return lease_of(standin.developer_metadata(team.tracker))


@pytest.fixture
def team(standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GoogleTeam:
    return google_team(standin, tmp_path, monkeypatch)


def test_a_runner_takes_the_free_lease_and_gives_it_back(
    standin: StandIn, team: GoogleTeam
) -> None:
    clock = Clock()
    runner = _runner(team, clock)

    runner.acquire()

    held = _held(standin, team)
    assert held is not None and held.owner == runner.owner
    assert held.until == clock.now + 300
    (entry,) = [m for m in standin.developer_metadata(team.tracker) if m["metadataId"] == LEASE_ID]
    assert entry["metadataKey"] == LEASE_KEY
    assert set(json.loads(entry["metadataValue"])) == {"owner", "until"}  # nothing personal
    runner.release()
    assert _held(standin, team) is None


def test_a_second_runner_waits_and_then_stops_without_writing(
    standin: StandIn, team: GoogleTeam
) -> None:
    clock = Clock()
    first, second = _runner(team, clock), _runner(team, clock, wait=60)
    first.acquire()

    with pytest.raises(LeaseHeld, match=r"another leadsync pass is working on tracker"):
        second.acquire()

    assert sum(clock.waits) >= 60 - 1e-6 and all(w <= 7.5 for w in clock.waits)
    assert _held(standin, team) == first.held  # the holder's lease is untouched


def test_a_lease_given_back_while_waiting_is_taken(standin: StandIn, team: GoogleTeam) -> None:
    clock = Clock()
    first, second = _runner(team, clock), _runner(team, clock)
    first.acquire()
    standin.before_request(_on_request(2, first.release))  # while second waits

    second.acquire()

    standin.before_request(None)
    held = _held(standin, team)
    assert held is not None and held.owner == second.owner


def test_the_lease_of_a_killed_runner_expires_and_the_next_runner_proceeds(
    standin: StandIn, team: GoogleTeam
) -> None:
    clock = Clock()
    killed = _runner(team, clock)
    killed.acquire()  # and never released
    clock.now += 301

    successor = _runner(team, clock, wait=0)
    successor.acquire()

    held = _held(standin, team)
    assert held is not None and held.owner == successor.owner
    assert len([m for m in standin.developer_metadata(team.tracker) if m["metadataId"]]) == 1


def test_of_two_runners_taking_over_one_stale_lease_only_one_gets_it(
    standin: StandIn, team: GoogleTeam
) -> None:
    clock = Clock()
    _runner(team, clock).acquire()
    clock.now += 301
    slow, fast = _runner(team, clock, wait=0), _runner(team, clock, wait=0)
    # `slow` has read the stale lease; `fast` takes it over before slow's own take arrives.
    standin.before_request(_on_request(2, fast.acquire))

    with pytest.raises(LeaseHeld):
        slow.acquire()

    standin.before_request(None)
    held = _held(standin, team)
    assert held is not None and held.owner == fast.owner
    assert slow.held is None


def test_a_take_whose_answer_is_lost_is_recognised_on_the_next_look(
    standin: StandIn, team: GoogleTeam
) -> None:
    clock = Clock()
    runner = _runner(team, clock)
    standin.fail(2, "drop_after")  # the create is applied, its answer never arrives

    runner.acquire()

    held = _held(standin, team)
    assert held is not None and held.owner == runner.owner and runner.held == held


def test_an_unreadable_lease_value_is_replaced(standin: StandIn, team: GoogleTeam) -> None:
    clock = Clock()
    client = _client(team)
    client.batch_update(
        team.tracker,
        {
            "requests": [
                {
                    "createDeveloperMetadata": {
                        "developerMetadata": {
                            "metadataId": LEASE_ID,
                            "metadataKey": LEASE_KEY,
                            "metadataValue": "not json",
                            "location": {"spreadsheet": True},
                            "visibility": "DOCUMENT",
                        }
                    }
                }
            ]
        },
    )
    runner = _runner(team, clock, wait=0)

    runner.acquire()

    held = _held(standin, team)
    assert held is not None and held.owner == runner.owner


FLAGGED = [{"flag": "+", "company": "Acme Inc"}]


def test_a_scheduled_pass_holds_the_lease_while_it_writes_and_gives_it_back(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, FLAGGED)
    during: list[Lease | None] = []
    standin.before_request(lambda _index: during.append(_held(standin, team)))

    code = Watcher([team.config_path], every=60).run_once()

    standin.before_request(None)
    assert code == 0
    assert [r["company"] for r in team.records("Leads")] == ["Acme Inc"]
    # Take the free lease (one request, no look first), then every request of the pass ran
    # under it; given back after.
    assert during[0] is None
    assert all(lease is not None for lease in during[1:-1])
    assert len({lease.owner for lease in during[1:-1] if lease}) == 1
    assert _held(standin, team) is None


def test_a_scheduled_pass_stops_without_writing_while_another_runner_holds_the_lease(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, FLAGGED)
    other = GoogleLease(_client(team), team.tracker)
    other.acquire()
    monkeypatch.setattr("sync.google_lease.WAIT_SECONDS", 0.0)
    logged: list[str] = []

    code = Watcher(
        [team.config_path], every=60, log=lambda _p, state: logged.append(str(state))
    ).run_once()

    assert code == 2
    assert team.records("Leads") == []
    assert "another leadsync pass is working on tracker" in logged[0]
    assert _held(standin, team) == other.held


def test_a_one_off_pass_goes_without_the_lease_and_its_two_requests_when_idle(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch)
    run(team.config(), now=MORNING)  # the first pass adds the Pipeline tab
    standin.clear_log()

    run(team.config(), now=MORNING)

    assert len(standin.log) == 2


def test_status_says_whether_a_google_trackers_lease_is_held(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    team = google_team(standin, tmp_path, monkeypatch)
    assert cli("watch", "--once", "--config", team.config_path).exit_code == 0

    free = cli("status", "--config", team.config_path)
    runner = GoogleLease(_client(team), team.tracker)
    runner.acquire()
    held = cli("status", "--config", team.config_path, "--json")

    assert "  lease:      free" in free.output
    assert "next run" not in free.output  # --once: the next run is the scheduler's business
    (answer,) = json.loads(held.output)
    assert answer["lease"]["held"] is True
    assert answer["state"]["last_pass"]["counts"]["leads_created"] == 0
