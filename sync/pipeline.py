"""Rule 7's numbers: open leads per step and owner, To-do, Standby, overdue, won and lost.

Pure code over the Leads tab as a pass leaves it (the snapshot with the plan's writes and
appended leads laid over it), so the Pipeline tab and `leadsync today` show one computation.

Overdue: a To-do lead whose Next action date falls on a day before today, today being the
date of `now` in the tracker's time zone. A Standby lead is never overdue: once its date has
come, the pass moves it to To-do, and from the next day on it is overdue there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Any, NamedTuple

from sync.config import Config
from sync.lead_cells import LeadCells, LeadsReader
from sync.model import LeadStatus, parse_amount
from sync.pipeline_config import PipelineSettings
from sync.plan import Plan
from sync.snapshot import CellValue, Snapshot

UNKNOWN_STEP = "(unknown step)"  # a Step cell that names no configured step (a row problem)


class LeadLine(NamedTuple):
    """One lead as the pipeline sees it.

    Immutable as a frozen dataclass would be, but one is built per lead per pass, and a named
    tuple costs a fifth of the time to build.
    """

    lead_id: str
    company: str
    contact: str
    phone: str
    owner: str
    amount: float | None
    step: str  # a configured step's name, or UNKNOWN_STEP
    status: LeadStatus | None
    next_action: str
    due: date | None
    closed: date | None


@dataclass(frozen=True)
class Bucket:
    count: int = 0
    amount: float = 0.0
    weighted: float = 0.0


class _Sum:
    """A Bucket while it is added up: one object per step or pair, not a new one per lead."""

    __slots__ = ("amount", "count", "weighted")

    def __init__(self) -> None:
        self.count = 0
        self.amount = 0.0
        self.weighted = 0.0

    def bucket(self) -> Bucket:
        return Bucket(self.count, self.amount, self.weighted)


@dataclass(frozen=True)
class OwnerLine:
    owner: str
    todo: int
    standby: int
    overdue: int
    won_this_month: int
    lost_this_month: int


@dataclass(frozen=True)
class Pipeline:
    today: date
    steps: tuple[tuple[str, float, Bucket], ...]  # every configured step, in order
    by_step_owner: tuple[tuple[str, str, Bucket], ...]  # only pairs that hold leads
    owners: tuple[OwnerLine, ...]
    todo: tuple[LeadLine, ...]  # To-do leads: overdue first (oldest first), then by date

    def is_overdue(self, lead: LeadLine) -> bool:
        return is_overdue(lead, self.today)

    def days_overdue(self, lead: LeadLine) -> int:
        return (self.today - lead.due).days if lead.due is not None else 0


# Looked up once: in Python 3.11 a member looked up on its enum class is a Python-level call,
# and is_overdue is asked of every To-do lead.
_TODO = LeadStatus.TODO


def is_overdue(lead: LeadLine, today: date) -> bool:
    return lead.status is _TODO and lead.due is not None and lead.due < today


# The cells a LeadLine is made of (see _line).
_LINE_CELLS = frozenset(
    (
        "lead_id",
        "company",
        "contact",
        "phone",
        "owner",
        "amount",
        "step",
        "status",
        "next_action",
        "next_action_date",
        "closed",
    )
)


def _amount(cells: LeadCells) -> float | None:
    amount = cells.amount
    if type(amount) is float:  # a float is most amounts, and parses as itself
        return amount
    try:
        return parse_amount(amount)
    except ValueError:
        return None


def _step(cells: LeadCells, reader: LeadsReader, config: Config) -> str:
    found = reader.step(cells.step) if cells.step else config.pipeline.first
    return found.name if found is not None else UNKNOWN_STEP


def _closed(cells: LeadCells, reader: LeadsReader) -> date | None:
    closed = reader.date(cells.closed)[0] if cells.closed is not None else None
    return closed.date() if closed is not None else None


def _line(cells: LeadCells, reader: LeadsReader, config: Config) -> LeadLine | None:
    if not cells.lead_id:
        return None
    due = cells.next_date
    # Positional, in the field order.
    return LeadLine(
        cells.lead_id,
        cells.company,
        cells.contact,
        cells.phone,
        cells.owner or config.default_owner,
        _amount(cells),
        _step(cells, reader, config),
        cells.status,
        cells.next_action,
        due.date() if due is not None else None,
        _closed(cells, reader),
    )


def lead_rows(
    snapshot: Snapshot, plan: Plan, config: Config, reader: LeadsReader | None = None
) -> tuple[list[LeadCells], LeadsReader]:
    """The Leads rows as they read once `plan` is applied: its cell writes and appended leads.

    `reader`: the pass's reading of the snapshot's Leads tab, when it has one already; the
    reader the rows were read with comes back with them.
    """
    tab = snapshot.leads
    if reader is None or reader.tab is not tab:
        reader = LeadsReader(tab, config)
    written: dict[int, dict[str, CellValue]] = {}
    ref = tab.ref
    for cell in plan.cells:
        # The planner writes with the snapshot's own TabRef: identity settles most cells
        # without the dataclass __eq__, and the tab's name most of the others.
        if cell.tab is ref or (cell.tab.tab == ref.tab and cell.tab == ref):
            written.setdefault(cell.row, {})[cell.field] = cell.value
    # A row reads as the pass read it unless the plan writes a cell a line shows (a Sync
    # note or a Folder changes nothing here); then it is read again with the writes. A plan
    # that writes no Leads cell (an idle pass's) leaves every row as read: one copy.
    rows = (
        [
            reader.reread(cells, row.values, writes)
            if (writes := written.get(row.number)) and not _LINE_CELLS.isdisjoint(writes)
            else cells
            for row, cells in zip(tab.rows, reader.rows, strict=True)
        ]
        if written
        else list(reader.rows)
    )
    rows += [
        reader.read(append.values)
        for append in plan.appends
        if append.tab is ref or (append.tab.tab == ref.tab and append.tab == ref)
    ]
    return rows, reader


def lead_lines(
    snapshot: Snapshot, plan: Plan, config: Config, reader: LeadsReader | None = None
) -> list[LeadLine]:
    """The leads as they are once `plan` is applied: its cell writes and appended leads.

    `reader`: the pass's reading of the snapshot's Leads tab, when it has one already.
    """
    rows, reader = lead_rows(snapshot, plan, config, reader)
    lines: list[LeadLine] = []
    seen: set[str] = set()
    for cells in rows:
        line = _line(cells, reader, config)
        # A duplicated ID is a row problem; the lead counts once.
        if line is not None and line.lead_id not in seen:
            seen.add(line.lead_id)
            lines.append(line)
    return lines


class _Tally:
    """The numbers of a Pipeline while they are added up, one lead after the other."""

    def __init__(self, today: date, settings: PipelineSettings) -> None:
        self.today = today
        self.probability = {step.name: step.probability for step in settings.steps}
        self.steps: dict[str, _Sum] = {name: _Sum() for name in settings.names()}
        self.pairs: dict[tuple[str, str], _Sum] = {}
        self.owners: dict[str, list[int]] = {}
        self.todo: list[LeadLine] = []

    def owner(self, owner: str) -> list[int]:
        """The owner's counts: To-do, Standby, overdue, won and lost this month."""
        counts = self.owners.get(owner)
        if counts is None:
            counts = self.owners[owner] = [0, 0, 0, 0, 0]
        return counts

    def closed(self, counts: list[int], status: LeadStatus | None, closed: date | None) -> None:
        """A lead that is not open (or has no status): it counts only if closed this month."""
        today = self.today
        if closed is not None and closed.month == today.month and closed.year == today.year:
            if status is LeadStatus.WON:
                counts[3] += 1
            elif status is LeadStatus.LOST:
                counts[4] += 1

    def todo_lead(self, counts: list[int], lead: LeadLine) -> None:
        counts[0] += 1
        if lead.due is not None and lead.due < self.today:
            counts[2] += 1
        self.todo.append(lead)
        self.open_lead(lead.owner, lead.step, lead.amount)

    def open_lead(self, owner: str, step_name: str, amount: float | None) -> None:
        """What every open lead adds to its step and to its step and owner."""
        value = amount or 0.0
        weighted = value * self.probability.get(step_name, 0.0) / 100
        step = self.steps.get(step_name)
        if step is None:
            step = self.steps[step_name] = _Sum()
        pair = self.pairs.get((step_name, owner))
        if pair is None:
            pair = self.pairs[step_name, owner] = _Sum()
        # Added here, not by a method of _Sum: this runs twice for every open lead.
        step.count += 1
        step.amount += value
        step.weighted += weighted
        pair.count += 1
        pair.amount += value
        pair.weighted += weighted

    def pipeline(self) -> Pipeline:
        today, probability, steps, pairs = self.today, self.probability, self.steps, self.pairs
        order = {name: index for index, name in enumerate(steps)}

        def rank(lead: LeadLine) -> int:
            # Every lead here is To-do, so overdue is only a matter of its date.
            due = lead.due
            if due is None:
                return 2 * _LATER
            return due.toordinal() + (0 if due < today else _LATER)

        # Overdue first, then by date, undated last, each by lead ID: sorted by ID, then
        # (stably) by one whole number per lead that says the rest, as ints compare far
        # cheaper than tuples of flags and dates.
        self.todo.sort(key=_lead_id)
        self.todo.sort(key=rank)
        return Pipeline(
            today=today,
            steps=tuple(
                (name, probability.get(name, 0.0), s.bucket()) for name, s in steps.items()
            ),
            by_step_owner=tuple(
                (step, owner, pairs[step, owner].bucket())
                for step, owner in sorted(pairs, key=lambda k: (order[k[0]], k[1].casefold()))
            ),
            owners=tuple(
                OwnerLine(owner, *counts)
                for owner, counts in sorted(
                    self.owners.items(), key=lambda item: item[0].casefold()
                )
                if any(counts)  # an owner whose leads all closed in earlier months is not shown
            ),
            todo=tuple(self.todo),
        )


_lead_id = attrgetter("lead_id")
_new_tuple: Callable[..., Any] = tuple.__new__
_LATER = 10_000_000  # above any date's ordinal (9999-12-31 is 3,652,059): a rank's group


def compute(leads: Iterable[LeadLine], today: date, settings: PipelineSettings) -> Pipeline:
    tally = _Tally(today, settings)
    # Looked up once, not per lead: in Python 3.11 a member looked up on its enum class is a
    # Python-level call (~0.2 us).
    todo, standby = LeadStatus.TODO, LeadStatus.STANDBY
    for lead in leads:
        counts = tally.owner(lead.owner)
        status = lead.status
        if status is todo:
            tally.todo_lead(counts, lead)
        elif status is standby:
            counts[1] += 1
            tally.open_lead(lead.owner, lead.step, lead.amount)
        else:
            tally.closed(counts, status, lead.closed)
    return tally.pipeline()


def compute_rows(
    rows: Iterable[LeadCells], reader: LeadsReader, today: date, config: Config
) -> Pipeline:
    """compute(lead_lines(...)) from the rows lead_rows gives, with a LeadLine only where the
    Pipeline keeps one (To-do leads): the other leads add only a few of their cells to it.

    The tally's steps are done here, inline: this loop sees every lead of every pass, and a
    method call per lead cost more than the additions it made. Each sum is added to in lead
    order, as compute does, so that the floats come out the same to the last bit.
    """
    tally = _Tally(today, config.pipeline)
    seen: set[str] = set()
    default_owner = config.default_owner
    todo, standby = LeadStatus.TODO, LeadStatus.STANDBY  # looked up once (see compute)
    won, lost = LeadStatus.WON, LeadStatus.LOST
    first = config.pipeline.first.name  # an empty Step cell's step
    # The step each Step text names, looked up once per text in this call.
    step_names: dict[str, str] = {}
    probability, steps, pairs, owners = tally.probability, tally.steps, tally.pairs, tally.owners
    sums: dict[tuple[str, str], tuple[_Sum, _Sum, float]] = {}
    month, year = today.month, today.year
    for cells in rows:
        lead_id = cells.lead_id
        # No ID: no lead. A duplicated ID is a row problem; the lead counts once.
        if not lead_id or lead_id in seen:
            continue
        seen.add(lead_id)
        status = cells.status
        owner = cells.owner or default_owner
        counts = owners.get(owner)
        if counts is None:
            counts = owners[owner] = [0, 0, 0, 0, 0]
        if status is not todo and status is not standby:
            # Not open (or no status): it counts only if closed this month (_Tally.closed).
            if cells.closed is not None:
                closed = reader.date(cells.closed)[0]
                if closed is not None and closed.month == month and closed.year == year:
                    if status is won:
                        counts[3] += 1
                    elif status is lost:
                        counts[4] += 1
            continue
        text = cells.step
        if not text:
            step_name = first
        else:
            found = step_names.get(text)
            if found is None:
                found = step_names[text] = _step(cells, reader, config)
            step_name = found
        raw = cells.amount
        amount = raw if type(raw) is float else _amount(cells)  # as _amount, with no call
        if status is todo:
            due = cells.next_date.date() if cells.next_date is not None else None
            # LeadLine(...) as its own __new__ makes it (tuple.__new__ over the fields), without
            # that Python function's frame, entered from C: one per To-do lead.
            line: LeadLine = _new_tuple(
                LeadLine,
                (
                    lead_id,
                    cells.company,
                    cells.contact,
                    cells.phone,
                    owner,
                    amount,
                    step_name,
                    status,
                    cells.next_action,
                    due,
                    _closed(cells, reader) if cells.closed is not None else None,
                ),
            )
            counts[0] += 1
            if due is not None and due < today:
                counts[2] += 1
            tally.todo.append(line)
        else:
            counts[1] += 1
        # What every open lead adds to its step and to its step and owner (_Tally.open_lead),
        # with the two sums and the step's probability found once per step and owner.
        found_sums = sums.get((step_name, owner))
        if found_sums is None:
            step = steps.get(step_name)
            if step is None:
                step = steps[step_name] = _Sum()
            pair = pairs[step_name, owner] = _Sum()  # only added here: a new pair
            found_sums = sums[step_name, owner] = (step, pair, probability.get(step_name, 0.0))
        step, pair, chance = found_sums
        value = amount or 0.0
        weighted = value * chance / 100
        step.count += 1
        step.amount += value
        step.weighted += weighted
        pair.count += 1
        pair.amount += value
        pair.weighted += weighted
    return tally.pipeline()
