"""One sync pass: read a snapshot, plan, apply, report. The CLI is a thin mirror of `run`."""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sync.config import Config
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


def backend_for(config: Config) -> Backend:
    # One backend today; Google Sheets and live Excel plug in here behind the same port.
    return XlsxBackend(config)


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
    with backend.session(write=not dry_run):
        say("reading")
        snapshot = backend.read()
        say("planning")
        plan = make_plan(snapshot, moment, config)
        if not dry_run and not plan.is_empty:
            say("writing")
            backend.apply(plan)
    say("done")
    return Report(plan, dry_run, clock.perf_counter() - started)
