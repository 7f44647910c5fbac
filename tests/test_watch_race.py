"""Two watchers on one tracker: the lock serialises them, and exactly-once does not need it."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from factories import Team, make_team, prospect

import sync.xlsx_backend
from sync.watch import Watcher
from sync.watch_state import TrackerState

COMPANIES = [f"Cliente {n:02d} Srl" for n in range(1, 13)]
ROUNDS = 4


def race(team: Team) -> list[TrackerState]:
    """Two watchers, each with its own backends, start their rounds at the same moment."""
    records: list[TrackerState] = []
    start = threading.Barrier(2)

    def watcher() -> None:
        each = Watcher([team.config_path], log=lambda _path, state: records.append(state))
        for _ in range(ROUNDS):
            start.wait()
            each.run_once()

    threads = [threading.Thread(target=watcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(records) == 2 * ROUNDS
    return records


def assert_each_lead_once(team: Team) -> None:
    leads = team.leads()
    assert Counter(lead["company"] for lead in leads) == Counter(COMPANIES)
    ids = [lead["lead_id"] for lead in leads]
    assert len(set(ids)) == len(ids)
    for company in COMPANIES:
        row = team.row_of(company)
        assert row["flag"] == "✓" and row["lead"] in ids


def test_two_watchers_on_one_tracker_take_turns(tmp_path: Path) -> None:
    team = make_team(tmp_path, [prospect(name) for name in COMPANIES])

    records = race(team)

    # The file lock beside the tracker makes the second pass wait: no pass fails.
    assert all(state.last_pass.ok for state in records)
    assert sum(state.last_pass.counts["leads_created"] for state in records) == len(COMPANIES)
    assert_each_lead_once(team)


@contextmanager
def no_lock(*_args: object, **_kwargs: object) -> Iterator[None]:
    yield


def test_exactly_once_holds_when_the_lock_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync.xlsx_backend, "FileLock", no_lock)
    team = make_team(tmp_path, [prospect(name) for name in COMPANIES])

    records = race(team)

    # The passes do overlap: on a typical run one of them loses the race, and the file's
    # digest check refuses its save, so it writes nothing and a later round does the work.
    for state in records:
        assert state.last_pass.ok or "changed by someone else" in (state.last_pass.error or "")
    assert any(state.last_pass.ok for state in records)
    assert_each_lead_once(team)
