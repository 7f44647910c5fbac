"""The passes `leadsync serve` runs: a plain sync, or convert/strike of given prospect rows.

Convert and strike do what the Excel buttons do (excel_addin._flag_selection): write + or x
into the flag cell of each given prospect row the engine would act on, then run a pass. The
flag write is a Plan applied through the backend, inside the same session (and so the same
tracker lease) as the pass that follows, with each row's flag, company and lead as `expect`:
a row that changed since it was read is not written.

Every pass goes through `scheduled_backend_for` (the tracker's lease, as `leadsync watch`), and
passes on one tracker within this process also queue on a lock first, so that a trigger storm
runs them one after another instead of making them fight for the lease.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sync import leases
from sync.config import Config
from sync.engine import Report, run, scheduled_backend_for
from sync.errors import LeadsyncError
from sync.model import Flag
from sync.plan import Plan, SetCell
from sync.port import Backend
from sync.selection import wants_flag
from sync.snapshot import Snapshot, Tab

Action = Literal["sync", "convert", "strike"]
FLAGS: dict[str, Flag] = {"convert": Flag.CONVERT, "strike": Flag.STRIKE}
EXPECT = ("flag", "company", "lead")  # what the planner checks a prospect row by


class Refused(LeadsyncError):
    """The request cannot be done as asked (HTTP 400); the message says why, briefly."""


class Busy(LeadsyncError):
    """Another pass on this tracker did not finish within the wait (HTTP 409)."""


@dataclass
class Marks:
    """Which rows of one tab to mark with `flag`; filled in with what happened."""

    spreadsheet: str
    tab: str
    rows: tuple[int, ...]
    flag: Flag
    marked: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)

    def plan(self, snapshot: Snapshot) -> Plan:
        wanted = (self.spreadsheet, self.tab)
        found = [t for t in snapshot.prospects if (t.ref.workbook, t.ref.tab) == wanted]
        if not found:
            raise Refused(f"no prospect tab '{self.tab}' in this spreadsheet's config")
        tab: Tab = found[0]
        if "flag" not in tab.columns:
            raise Refused(f"tab '{self.tab}' has no Flag column")
        by_number = {row.number: row for row in tab.rows}
        cells: list[SetCell] = []
        self.marked.clear()
        self.skipped.clear()
        for number in self.rows:
            row = by_number.get(number)
            if row is None or not wants_flag(row, self.flag):
                self.skipped.append(number)
                continue
            expect = {k: row.get(k) for k in EXPECT if k in tab.columns}
            cells.append(SetCell(tab.ref, number, "flag", self.flag.value, expect))
            self.marked.append(number)
        return Plan(cells=tuple(cells))


class MarkingBackend:
    """A backend that marks rows after its session's first read, then reads again."""

    def __init__(self, inner: Backend, marks: Marks) -> None:
        self.inner = inner
        self.marks = marks
        self._done = False

    def session(self, write: bool) -> AbstractContextManager[None]:
        return self.inner.session(write)

    def read(self) -> Snapshot:
        snapshot = self.inner.read()
        if self._done:
            return snapshot
        self._done = True
        plan = self.marks.plan(snapshot)
        if plan.is_empty:
            return snapshot
        self.inner.apply(plan)
        return self.inner.read()

    def apply(self, plan: Plan) -> None:
        self.inner.apply(plan)


@dataclass(frozen=True)
class Outcome:
    report: Report
    marks: Marks | None

    def answer(self) -> dict[str, Any]:
        """The JSON answer: counts and row references, never a cell's content."""
        plan = self.report.plan
        body: dict[str, Any] = {
            "ok": True,
            "counts": asdict(plan.counts),
            "problems": [{"where": p.where} for p in plan.problems],
            "seconds": round(self.report.seconds, 3),
        }
        if self.marks is not None:
            body["marked"] = list(self.marks.marked)
            body["skipped"] = list(self.marks.skipped)
        return body


# (config, every_row) -> the backend of one pass; every_row: see sync.engine.backend_for.
BackendFactory = Callable[[Config, bool], Backend]


def _scheduled(config: Config, every_row: bool) -> Backend:
    return scheduled_backend_for(config, every_row=every_row)


class PassRunner:
    """Runs passes, one at a time per tracker in this process (see the module docstring)."""

    def __init__(self, backend_for: BackendFactory = _scheduled, wait: float = 30.0):
        self.backend_for = backend_for
        self.wait = wait
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, tracker: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(tracker, threading.Lock())

    def __call__(self, config: Config, marks: Marks | None) -> Outcome:
        tracker = config.tracker.spreadsheet or ""
        lock = self._lock(tracker)
        if not lock.acquire(timeout=self.wait):
            raise Busy("another pass on this tracker is still running; try again shortly")
        try:
            with _given_back():
                # Rows to mark may hold nothing yet that makes a pass read them: read every row.
                backend = self.backend_for(config, marks is not None)
                if marks is not None:
                    backend = MarkingBackend(backend, marks)
                return Outcome(run(config, backend=backend), marks)
        finally:
            lock.release()


class _given_back(AbstractContextManager[None]):
    """Give the tracker's lease back after the pass instead of keeping it for the next one
    (what a watcher does): the next call may reach another replica, which would otherwise
    wait for this one's lease to expire."""

    def __exit__(self, *exc: object) -> None:
        leases.release_all()


def prospect_tab(config: Config, spreadsheet: str, tab: str | None) -> str:
    """The prospect tab of `spreadsheet` a convert/strike is for (named, or the only one)."""
    tabs = [t for p in config.prospecting if p.spreadsheet == spreadsheet for t in p.tabs]
    if not tabs:
        raise Refused("this spreadsheet has no prospect tabs in its leadsync.toml")
    if tab is None:
        if len(tabs) > 1:
            raise Refused("this spreadsheet has several prospect tabs: name one in 'tab'")
        return tabs[0]
    if tab not in tabs:
        raise Refused(f"'{tab}' is not a prospect tab of this spreadsheet in its leadsync.toml")
    return tab


__all__ = ["Action", "Busy", "Marks", "Outcome", "PassRunner", "Refused", "prospect_tab"]
