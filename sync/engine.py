"""One sync pass: read a snapshot, plan, apply, report. The CLI is a thin mirror of `run`."""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sync.collector import collector_paused
from sync.config import Config
from sync.errors import BackendError, RetryPass
from sync.plan import Plan
from sync.planner import plan as make_plan
from sync.port import Backend
from sync.xlsx_backend import XlsxBackend

Progress = Callable[[str], None]
STAGES = ("reading", "planning", "writing")  # what `progress` is told, in this order, then "done"


@dataclass(frozen=True)
class Report:
    plan: Plan
    dry_run: bool
    seconds: float

    @property
    def exit_code(self) -> int:
        """0 when every row was processed, 1 when some rows have problems (see their notes)."""
        return 1 if self.plan.problems else 0


# A pass whose write Google did not confirm is read and planned again, at most this often.
PASS_ATTEMPTS = 6


def backend_for(config: Config, lease: bool = False, every_row: bool = False) -> Backend:
    """`lease`: serialise with other runners on a Google tracker (see GoogleBackend); an Excel
    tracker always takes its file lock. `every_row`: the snapshot holds every prospect row, not
    only the rows a pass acts on."""
    if config.tracker.backend == "google":
        from sync.google_backend import GoogleBackend  # only Google users pay for its imports

        return GoogleBackend(config, lease=lease, every_row=every_row)
    return XlsxBackend(config, every_row=every_row)


def scheduled_backend_for(config: Config, every_row: bool = False) -> Backend:
    """The backend of a pass a scheduler or a trigger runs, where overlaps are expected."""
    return backend_for(config, lease=True, every_row=every_row)


def run(
    config: Config,
    now: datetime | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    backend: Backend | None = None,
) -> Report:
    """One pass over the configured tracker and prospecting files.

    `now` defaults to the current time; pass one to see what a pass would do at another moment.
    Raises a LeadsyncError (exit code 2) when files or configuration stop the pass.
    """
    started = clock.perf_counter()
    say = progress or (lambda _stage: None)
    backend = backend or backend_for(config)
    moment = now or datetime.now(UTC)
    with collector_paused(), backend.session(write=not dry_run):
        for attempt in range(PASS_ATTEMPTS):
            say("reading")
            snapshot = backend.read()
            say("planning")
            plan = make_plan(snapshot, moment, config)
            # Freed now, not when the pass returns: the collector resumes when the pass ends
            # and would first walk every object still alive that the pass made.
            del snapshot
            if dry_run or plan.is_empty:
                break
            say("writing")
            try:
                backend.apply(plan)
                break
            except RetryPass as uncertain:
                # The backend already waited; what is in the sheet now decides the next plan.
                if attempt == PASS_ATTEMPTS - 1:
                    raise BackendError(
                        f"{uncertain}; gave up after {PASS_ATTEMPTS} passes"
                    ) from None
    say("done")
    return Report(plan, dry_run, clock.perf_counter() - started)
