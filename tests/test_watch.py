"""`leadsync watch` in one process, with time driven by a fake clock: a day in milliseconds."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from factories import MORNING, ROME, Team, lead_row, make_team, prospect
from watch_clock import FakeClock

from sync.config import Config
from sync.engine import backend_for
from sync.port import Backend
from sync.snapshot import Snapshot
from sync.watch import Watcher, backoff
from sync.watch_signals import INTERRUPTED, GracefulStop
from sync.watch_state import TrackerState, read_state

Passes = list[tuple[Path, TrackerState]]


def watch(
    teams: list[Team], until: timedelta, every: float = 60, start: datetime = MORNING
) -> tuple[Passes, FakeClock]:
    passes: Passes = []
    clock = FakeClock(start, until)
    watcher = Watcher(
        [team.config_path for team in teams],
        every=every,
        clock=clock,
        log=lambda path, state: passes.append((path, state)),
        rng=random.Random(7),
    )
    watcher.run(threading.Event())
    return passes, clock


def of(team: Team, passes: Passes) -> list[TrackerState]:
    return [state for path, state in passes if path == team.config_path]


def test_watch_runs_pass_after_pass_and_creates_each_lead_once(tmp_path: Path) -> None:
    team = make_team(tmp_path, [prospect("Acme Inc"), prospect("Borgo Verde Srl")])

    passes, _ = watch([team], until=timedelta(minutes=5))

    created = [s.last_pass.counts["leads_created"] for s in of(team, passes)]
    assert len(created) >= 4
    assert created[0] == 2 and sum(created) == 2
    assert sorted(lead["company"] for lead in team.leads()) == ["Acme Inc", "Borgo Verde Srl"]
    # Each wait is the interval give or take the 10% jitter.
    starts = [s.last_pass.started for s in of(team, passes)]
    gaps = [(b - a).total_seconds() for a, b in pairwise(starts)]
    assert all(54 <= gap <= 66 for gap in gaps), gaps


def test_a_standby_lead_moves_to_todo_on_the_first_pass_after_its_date(tmp_path: Path) -> None:
    tomorrow = MORNING.date() + timedelta(days=1)
    team = make_team(
        tmp_path,
        leads=[lead_row("L-0001", "Wait Until Tomorrow SpA", "Standby", next_action_date=tomorrow)],
    )

    passes, _ = watch([team], until=timedelta(days=1, hours=3), every=3600)

    moved = [s.last_pass for s in of(team, passes) if s.last_pass.counts["moved_to_todo"]]
    assert len(moved) == 1
    midnight = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=ROME)
    assert midnight <= moved[0].started < midnight + timedelta(hours=1.2)
    assert team.lead("L-0001")["status"] == "To-do"


def test_a_broken_tracker_backs_off_without_delaying_a_healthy_one(tmp_path: Path) -> None:
    healthy = make_team(tmp_path / "north", [prospect("Acme Inc")])
    broken = make_team(tmp_path / "south", [prospect("Borgo Verde Srl")])
    broken.tracker.write_bytes(b"this is no longer a workbook")

    passes, _ = watch([broken, healthy], until=timedelta(minutes=30))

    assert len(of(healthy, passes)) >= 27  # every minute, give or take the jitter
    failed = of(broken, passes)
    assert all(s.last_pass.error for s in failed)
    assert [s.failures for s in failed] == list(range(1, len(failed) + 1))
    starts = [s.last_pass.started for s in failed]
    gaps = [(b - a).total_seconds() for a, b in pairwise(starts)]
    assert gaps == sorted(gaps) and gaps[0] >= 108 and max(gaps) <= 900 * 1.1
    assert len(failed) <= 6
    state = read_state(broken.config_path)
    assert state is not None and state.failures == len(failed)


def test_backoff_doubles_up_to_its_ceiling_and_resets_after_success(tmp_path: Path) -> None:
    assert [backoff(60, n, 900) for n in range(6)] == [60, 120, 240, 480, 900, 900]
    assert backoff(60, 10_000, 900) == 900
    assert backoff(1200, 3, 900) == 1200  # the ceiling never shortens the interval itself

    team = make_team(tmp_path, [prospect("Acme Inc")])
    good = team.tracker.read_bytes()
    team.tracker.write_bytes(b"broken for a while")
    watch([team], until=timedelta(minutes=10))
    assert read_state(team.config_path).failures >= 2  # type: ignore[union-attr]

    team.tracker.write_bytes(good)
    # A restarted watcher remembers the failures, and the first success forgets them.
    passes, _ = watch([team], until=timedelta(minutes=5), start=MORNING + timedelta(hours=1))
    states = of(team, passes)
    assert all(s.next_run is not None and s.next_run > s.last_pass.started for s in states)
    assert states[0].failures == 0 and states[0].last_pass.ok
    assert states[0].last_error is not None  # still shown by status
    starts = [s.last_pass.started for s in states]
    assert (starts[1] - starts[0]).total_seconds() <= 66


def test_a_stop_during_a_pass_lets_it_finish(tmp_path: Path) -> None:
    team = make_team(tmp_path, [prospect("Acme Inc")])
    stop = threading.Event()

    class StopWhileReading:
        """The real backend; a signal arrives while it reads."""

        def __init__(self, config: Config) -> None:
            self.inner = backend_for(config)
            self.session = self.inner.session
            self.apply = self.inner.apply

        def read(self) -> Snapshot:
            stop.set()
            return self.inner.read()

    def backend(config: Config) -> Backend:
        return StopWhileReading(config)

    passes: Passes = []
    watcher = Watcher(
        [team.config_path],
        clock=FakeClock(MORNING, timedelta(days=1)),
        log=lambda path, state: passes.append((path, state)),
        backend=backend,
    )
    watcher.run(stop)

    assert len(passes) == 1 and passes[0][1].last_pass.ok
    assert [lead["company"] for lead in team.leads()] == ["Acme Inc"]
    assert team.row_of("Acme Inc")["flag"] == "✓"


def test_a_second_signal_quits_at_once() -> None:
    stop = threading.Event()
    handler = GracefulStop(stop)

    handler.handle(15, None)
    assert stop.is_set()
    with pytest.raises(SystemExit) as quit:
        handler.handle(15, None)
    assert quit.value.code == INTERRUPTED
