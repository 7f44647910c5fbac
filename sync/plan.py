"""What a pass will change, as data: cell writes, appended rows, added columns, struck rows.

Every write names its row by the position the pass read *and* by the values that identify it
there (`expect`); a backend refuses a write whose row no longer holds those values, so a row
that moved under a person's sort is never written by position alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from sync.snapshot import CellValue, TabRef


@dataclass(frozen=True, slots=True)
class SetCell:
    tab: TabRef
    row: int
    field: str
    value: CellValue
    expect: Mapping[str, CellValue]


# The SetCell slots' own setters, in field order: what the frozen dataclass's __init__ calls
# through object.__setattr__, one by one, from a Python frame.
_SET_CELL_SLOTS: tuple[Callable[[SetCell, Any], None], ...] = tuple(
    getattr(SetCell, f.name).__set__ for f in fields(SetCell)
)


def set_cell(
    tab: TabRef, row: int, key: str, value: CellValue, expect: Mapping[str, CellValue]
) -> SetCell:
    """`SetCell(tab, row, key, value, expect)`, the same frozen object, at half the cost.

    For the planner, which makes one per cell it writes (some 6,000 a busy pass).
    """
    cell: SetCell = object.__new__(SetCell)
    set_tab, set_row, set_field, set_value, set_expect = _SET_CELL_SLOTS
    set_tab(cell, tab)
    set_row(cell, row)
    set_field(cell, key)
    set_value(cell, value)
    set_expect(cell, expect)
    return cell


@dataclass(frozen=True, slots=True)
class AppendRow:
    tab: TabRef
    values: Mapping[str, CellValue]


@dataclass(frozen=True)
class AddColumn:
    tab: TabRef
    field: str
    header: str
    column: int


@dataclass(frozen=True, slots=True)
class StrikeRow:
    tab: TabRef
    row: int
    expect: Mapping[str, CellValue]


@dataclass(frozen=True)
class RewriteTab:
    """An engine-owned tab's whole content, replaced in one write (the Pipeline tab).

    Nobody types there, so it is rewritten wholesale instead of cell by cell; `create` when
    the tracker does not have the tab yet.
    """

    tab: TabRef
    rows: tuple[tuple[CellValue, ...], ...]
    create: bool = False


@dataclass(frozen=True)
class Problem:
    where: str  # "prospects.xlsx › Prospects row 12"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Counts:
    leads_created: int = 0
    leads_recovered: int = 0
    moved_to_todo: int = 0
    folders_created: int = 0
    folders_updated: int = 0
    struck_off: int = 0
    renewals_created: int = 0
    leads_adopted: int = 0  # Rule 6
    prospects_to_drip: int = 0  # Rule 8
    decisions_asked: int = 0
    inactive_noted: int = 0
    touch_bases_created: int = 0


@dataclass(frozen=True)
class Plan:
    add_columns: tuple[AddColumn, ...] = ()
    cells: tuple[SetCell, ...] = ()
    appends: tuple[AppendRow, ...] = ()
    strikes: tuple[StrikeRow, ...] = ()
    problems: tuple[Problem, ...] = ()
    counts: Counts = field(default_factory=Counts)
    events: tuple[str, ...] = ()  # one readable line per decision, for --dry-run
    # The highest lead number handed out, for the tracker to keep (None: unchanged).
    issued_lead_number: int | None = None
    rewrites: tuple[RewriteTab, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.add_columns or self.cells or self.appends or self.strikes or self.rewrites)

    def tabs_touched(self) -> set[TabRef]:
        touched: set[TabRef] = set()
        for group in (self.add_columns, self.cells, self.appends, self.strikes, self.rewrites):
            touched.update(change.tab for change in group)
        return touched
