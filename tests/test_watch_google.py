"""`leadsync watch` on a Google tracker, through the Sheets stand-in: passes under the lease."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from factories import MORNING, ROME, lead_row
from google_team import GoogleTeam, google_team
from sheets_standin import StandIn
from watch_clock import FakeClock

from sync.google_lease import LEASE_ID
from sync.watch import Watcher
from sync.watch_state import TrackerState

FLAGGED = [{"flag": "+", "company": "Acme Inc"}, {"flag": "+", "company": "Borgo Verde Srl"}]


@pytest.fixture
def roomy() -> Iterator[StandIn]:
    """A stand-in whose quota does not hold a day of passes, squeezed into seconds, back."""
    with StandIn(quota_per_minute=10**6) as google:
        yield google


def _watch(
    team: GoogleTeam, until: timedelta, every: float = 60, start: datetime = MORNING
) -> list[TrackerState]:
    states: list[TrackerState] = []
    watcher = Watcher(
        [team.config_path],
        every=every,
        clock=FakeClock(start, until),
        log=lambda _path, state: states.append(state),
        rng=random.Random(3),
    )
    watcher.run(threading.Event())
    return states


def _lease_left(standin: StandIn, team: GoogleTeam) -> bool:
    return any(m["metadataId"] == LEASE_ID for m in standin.developer_metadata(team.tracker))


def test_watch_runs_pass_after_pass_on_a_google_tracker_and_makes_each_lead_once(
    roomy: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(roomy, tmp_path, monkeypatch, FLAGGED)
    roomy.clear_log()

    states = _watch(team, until=timedelta(minutes=5))

    created = [s.last_pass.counts["leads_created"] for s in states]
    assert len(created) >= 4 and created[0] == 2 and sum(created) == 2
    assert all(s.last_pass.ok for s in states)
    assert sorted(r["company"] for r in team.records("Leads")) == ["Acme Inc", "Borgo Verde Srl"]
    assert not _lease_left(roomy, team)
    # The first pass takes the lease (1) and makes the leads (3); each idle pass after it
    # renews the lease (1) and reads (2); the watcher gives it back when it stops (1).
    assert len(roomy.log) == 4 + 3 * (len(states) - 1) + 1
    # The watcher signs in once and reuses its access token pass after pass.
    assert len(roomy.token_log) == 1


def test_a_standby_lead_on_google_comes_back_on_the_first_pass_after_its_date(
    roomy: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tomorrow = MORNING.date() + timedelta(days=1)
    waiting = lead_row("L-0001", "Rossi Srl", "Standby", next_action_date=tomorrow)
    team = google_team(roomy, tmp_path, monkeypatch, [], [waiting])

    states = _watch(team, until=timedelta(days=1, hours=3), every=3600)

    moved = [s.last_pass for s in states if s.last_pass.counts["moved_to_todo"]]
    assert len(moved) == 1
    midnight = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=ROME)
    assert midnight <= moved[0].started < midnight + timedelta(hours=1.2)
    (lead,) = team.records("Leads")
    assert lead["status"] == "To-do"


def test_two_watchers_racing_on_one_google_tracker_make_each_lead_once(
    roomy: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(roomy, tmp_path, monkeypatch, FLAGGED)
    monkeypatch.setattr("sync.google_lease.POLL_SECONDS", 0.2)  # the loser waits its turn
    codes: list[int] = []
    start = threading.Barrier(2)

    def runner() -> None:
        watcher = Watcher([team.config_path], every=60)
        start.wait()
        codes.append(watcher.run_once())

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert codes == [0, 0]
    assert sorted(r["company"] for r in team.records("Leads")) == ["Acme Inc", "Borgo Verde Srl"]
    assert all(r["flag"] == "✓" for r in team.records("Prospects"))
    assert not _lease_left(roomy, team)
