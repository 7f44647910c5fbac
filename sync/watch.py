"""`leadsync watch`: passes on a schedule, for one or more trackers, in one process.

The loop is our own rather than the `schedule` library's: `schedule` reads the system clock
itself, so tests could only drive it by sleeping for real, and it has no notion of a job that
backs off after failures. A loop over "when is each tracker due" with an injected clock is a few
lines and lets a test run a day of passes in milliseconds.

Serialising passes on one tracker is the backend's job (`Backend.session`: a file lock beside an
Excel tracker, a lease for Google later), so a watcher never holds a lock of its own and several
watchers, on one machine or many, may watch the same tracker.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from sync import leases
from sync.config import Config, WatchSettings, load_config
from sync.engine import run, scheduled_backend_for
from sync.errors import LeadsyncError
from sync.port import Backend
from sync.watch_state import PassRecord, TrackerState, read_state, write_state

JITTER = 0.1  # each wait is stretched or shortened by up to this fraction
DEFAULTS = WatchSettings()


class Clock(Protocol):
    def now(self) -> datetime:
        """The wall-clock time a pass is planned at, and the one recorded."""
        ...

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        """Wait, returning early once `stop` is set."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        # An Event wait, unlike time.sleep, returns as soon as a signal handler sets it.
        stop.wait(max(0.0, seconds))


def backoff(every: float, failures: int, ceiling: float) -> float:
    """The wait after `failures` failed passes in a row: every, 2×, 4×… up to the ceiling."""
    if failures <= 0:
        return every
    return min(every * 2.0 ** min(failures, 32), max(every, ceiling))


@dataclass
class Watched:
    """One configuration being watched, and when it is due next."""

    config_path: Path
    due: datetime
    failures: int = 0
    last_error: PassRecord | None = None
    tracker: str = field(default="")


Log = Callable[[Path, TrackerState], None]


class Watcher:
    def __init__(
        self,
        config_paths: list[Path],
        every: float | None = None,
        clock: Clock | None = None,
        log: Log | None = None,
        rng: random.Random | None = None,
        backend: Callable[[Config], Backend] = scheduled_backend_for,
    ) -> None:
        """`every` overrides each configuration's `[watch] every`; `backend` builds the backend
        of a pass, whose session holds the tracker's lock or lease."""
        self.every = every
        self.clock = clock or SystemClock()
        self.log = log or (lambda _path, _state: None)
        self.rng = rng or random.Random()
        self.backend = backend
        start = self.clock.now()
        self.watched = [self._watched(path, start) for path in config_paths]

    @staticmethod
    def _watched(path: Path, start: datetime) -> Watched:
        # A restarted watcher carries on with what the state file knows of past failures.
        known = read_state(path)
        if known is None:
            return Watched(path, start)
        return Watched(path, start, known.failures, known.last_error, known.tracker)

    def run_once(self) -> int:
        """One pass on every tracker; the worst exit code, as `leadsync sync` would give it."""
        try:
            return max((self._pass(item, scheduled=False) for item in self.watched), default=0)
        finally:
            leases.release_all()

    def run(self, stop: threading.Event) -> None:
        """Passes until `stop` is set; a pass in progress always finishes first."""
        try:
            self._run(stop)
        finally:
            leases.release_all()  # the leases renewed pass after pass, given back

    def _run(self, stop: threading.Event) -> None:
        while self.watched and not stop.is_set():
            now = self.clock.now()
            for item in sorted(self.watched, key=lambda w: w.due):
                if stop.is_set():
                    return
                if item.due <= now:
                    self._pass(item)
            wake = min(item.due for item in self.watched)
            self.clock.sleep((wake - self.clock.now()).total_seconds(), stop)

    def _pass(self, item: Watched, scheduled: bool = True) -> int:
        """One pass; `scheduled`: this process runs the next one too (not so for --once,
        whose next run is cron's business, so status does not call it overdue)."""
        started = self.clock.now()
        began = time.perf_counter()
        settings = DEFAULTS
        try:
            config = load_config(item.config_path)
            settings = config.watch
            item.tracker = config.tracker.where
            report = run(config, now=started, backend=self.backend(config))
        except Exception as error:  # one tracker's failure must not stop the others
            record = PassRecord(started, time.perf_counter() - began, 2, error=_message(error))
            item.failures += 1
            item.last_error = record
        else:
            counts = asdict(report.plan.counts)
            problems = len(report.plan.problems)
            record = PassRecord(started, report.seconds, report.exit_code, counts, problems)
            item.failures = 0
        every = self.every if self.every is not None else settings.every
        wait = backoff(every, item.failures, settings.max_backoff)
        wait *= 1 + self.rng.uniform(-JITTER, JITTER)
        item.due = self.clock.now() + timedelta(seconds=wait)
        state = TrackerState(
            item.tracker or item.config_path.name,
            record,
            item.last_error,
            item.failures,
            item.due if scheduled else None,
        )
        # Status is a convenience: a folder the state cannot be written to stops no pass.
        with contextlib.suppress(OSError):
            write_state(item.config_path, state)
        self.log(item.config_path, state)
        return record.exit_code


def _message(error: Exception) -> str:
    if isinstance(error, LeadsyncError | OSError):
        return str(error)
    # Another error's message could quote a cell; its type is enough to go and look.
    return f"unexpected {type(error).__name__}; run leadsync sync to see it in full"
