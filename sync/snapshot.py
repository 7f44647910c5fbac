"""What a backend reads: the engine's tabs as plain values, with the rows' real positions.

A snapshot is immutable and backend-neutral. Cell values are what the spreadsheet holds
(text, numbers, booleans, dates); the planner interprets them, the backend never does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import repeat
from operator import itemgetter
from typing import Any, NamedTuple

from sync.dates import EPOCH_1900, DateOrder
from sync.headers import TabKind

CellValue = str | int | float | bool | datetime | date | None


@dataclass(frozen=True)
class TabRef:
    """Which tab of which workbook: a file path for Excel, a spreadsheet ID for Google."""

    workbook: str
    tab: str

    def __str__(self) -> str:
        return f"{self.workbook} › {self.tab}"

    def __reduce__(self) -> tuple[type[TabRef], tuple[str, str]]:
        # Pickled through its constructor: compiled by mypyc, a frozen class refuses pickle's
        # way of setting the fields one by one.
        return TabRef, (self.workbook, self.tab)


class CellsView(Mapping[str, CellValue]):
    """A row's values by field, read straight from the row's list of cells.

    A backend that receives rows as lists (the Sheets API) hands them over without building a
    dict per row; an empty string reads as an empty cell, as it does everywhere else.
    """

    __slots__ = ("_cells", "_columns")

    def __init__(self, cells: Sequence[CellValue], columns: Mapping[str, int]) -> None:
        self._cells = cells  # the row's cells, left to right
        self._columns = columns  # field key -> 0-based index into cells

    def get(self, key: str, default: CellValue = None) -> CellValue:  # type: ignore[override]
        index = self._columns.get(key)
        if index is None or index >= len(self._cells):
            return default if index is None else None
        value = self._cells[index]
        return None if value == "" else value

    def __getitem__(self, key: str) -> CellValue:
        if key not in self._columns:
            raise KeyError(key)
        return self.get(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def as_dict(self) -> dict[str, CellValue]:
        """Every field as `get` reads it, in one step: for a row read field by field many times."""
        cells = self._cells
        size = len(cells)
        return {
            key: None if index >= size or cells[index] == "" else cells[index]
            for key, index in self._columns.items()
        }


class Row(NamedTuple):
    """A row of a tab as read.

    Immutable as a frozen dataclass would be, but a backend builds one per row per pass (some
    10,000 a pass on the bench) and a named tuple costs less than half the time to build.
    """

    number: int  # 1-based row on the sheet, valid for the pass that read it and no longer
    values: Mapping[str, CellValue]
    # Fields holding a formula whose result the backend could not see (never calculated).
    unresolved: frozenset[str] = frozenset()

    def get(self, key: str) -> CellValue:
        return self.values.get(key)

    def text(self, key: str) -> str:
        return cell_text(self.values.get(key))

    def fetched(self) -> Row:
        """The same row with its cells fetched once into a dict, which reads the same.

        For a row many fields of which are read: a dict's `get` is C code, a CellsView's is not.
        """
        values = self.values
        if type(values) is not CellsView:
            return self
        return Row(self.number, values.as_dict(), self.unresolved)


# tuple.__new__ makes a Row from its three fields in C: a named tuple's own __new__ is a Python
# function, more than half of what a row read as a list costs to make.
_new_tuple: Callable[..., Any] = tuple.__new__
_NOT_UNRESOLVED: frozenset[str] = Row._field_defaults["unresolved"]


def rows_of(
    numbers: Sequence[int], lines: Sequence[Sequence[CellValue]], columns: Mapping[str, int]
) -> list[Row]:
    """`Row(number, CellsView(cells, columns))` for each row number and its cells, in order.

    For a backend that reads a tab's rows as lists (the Sheets API): the same rows, each made
    without a Python call of its own but CellsView's.
    """
    if len(numbers) != len(lines):
        raise ValueError(f"{len(numbers)} row numbers for {len(lines)} rows")
    views = map(CellsView, lines, repeat(columns))
    fields = zip(numbers, views, repeat(_NOT_UNRESOLVED, len(numbers)), strict=True)
    rows: list[Row] = list(map(_new_tuple, repeat(Row), fields))
    return rows


def cell_text(value: CellValue) -> str:
    """A cell as text, as a person reads it: '' when empty, 3.0 as '3', spaces around gone."""
    if type(value) is str:  # most cells, so first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class Picker:
    """Reads the same fields of many rows, each row in one step (for a pass over a whole tab).

    For rows read as lists (CellsView) the fields' positions are looked up once per tab, not
    once per cell. An empty cell may come back as '' where `get` says None: whoever picks
    reads both as empty (cell_text and the date, status and number parsers all do).
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = tuple(keys)
        self._columns: Mapping[str, int] | None = None  # the tab the positions are for
        self._top = 0  # cells from here on are of no field picked; a row is cut there
        self._whole = False  # the tab has every field picked (none points past the row)
        self._pad: list[CellValue] = []
        self._at: Callable[[Sequence[CellValue]], Any] = itemgetter(0)

    def __call__(self, values: Mapping[str, CellValue]) -> tuple[CellValue, ...]:
        if type(values) is not CellsView:
            return tuple([values.get(key) for key in self.keys])
        if values._columns is not self._columns:
            self._locate(values._columns)
        cells = values._cells
        top = self._top
        picked: tuple[CellValue, ...]
        if len(cells) >= top and self._whole:
            picked = self._at(cells)  # every field is in reach: no copy of the row
            return picked
        # Cut at `top` with one None after it, where the fields the tab lacks point; a row the
        # backend trimmed of its empty last cells is padded to the same length.
        short = len(cells) <= top
        row = [*cells, *self._pad[len(cells) :]] if short else [*cells[:top], None]
        picked = self._at(row)
        return picked

    def each(self, rows: Iterable[Row]) -> list[tuple[CellValue, ...]]:
        """`self(row.values)` for each row, in order: for a whole tab, at one call per tab.

        A row that holds every field picked is picked here without a call of its own.
        """
        picked: list[tuple[CellValue, ...]] = []
        add = picked.append
        # The fields' positions held in locals, read again only after a call that may have
        # located them for another tab: a row of a tab seen already costs no attribute look-up.
        # No columns (None) where the tab lacks a field picked: each row takes the call then.
        at, columns, top = self._at, self._columns if self._whole else None, self._top
        for row in rows:
            values = row.values
            if type(values) is CellsView and values._columns is columns:
                cells = values._cells
                if len(cells) >= top:
                    add(at(cells))
                    continue
            add(self(values))  # which also locates the fields of a tab first seen
            at, columns, top = self._at, self._columns if self._whole else None, self._top
        return picked

    def _locate(self, columns: Mapping[str, int]) -> None:
        found = [columns.get(key) for key in self.keys]
        top = max((p for p in found if p is not None), default=-1) + 1
        positions = [top if p is None else p for p in found]
        self._columns = columns
        self._top = top
        self._whole = None not in found
        self._pad = [None] * (top + 1)
        if len(positions) > 1:
            self._at = itemgetter(*positions)
        else:  # itemgetter of one position gives the cell, not a 1-tuple
            only = positions[0]
            self._at = lambda row: (row[only],)


@dataclass(frozen=True)
class Tab:
    ref: TabRef
    kind: TabKind
    label: str  # how a person names it: "prospects.xlsx › Prospects"
    header_row: int
    columns: Mapping[str, int]  # field key -> 1-based column
    rows: tuple[Row, ...]
    first_free_column: int  # where a missing engine-owned column can be added
    epoch: datetime = EPOCH_1900  # date system of the workbook, for serial numbers
    source_name: str = ""  # the name leads from this tab carry in their Source cell
    # How typed dates read in this workbook when it says so itself (a Google spreadsheet's
    # locale); None: as leadsync.toml's date_order says.
    date_order: DateOrder | None = None


@dataclass(frozen=True)
class RawTab:
    """An engine-owned tab as read, cell by cell from A1, with no headers to match."""

    ref: TabRef
    rows: tuple[tuple[CellValue, ...], ...]
    exists: bool = True  # False: the tracker has no such tab yet (rows is then empty)


@dataclass(frozen=True)
class Snapshot:
    prospects: tuple[Tab, ...]
    leads: Tab
    clients: Tab
    # The highest lead number the tracker has ever held (None: it has never said).
    issued_lead_number: int | None = None
    # The highest lead number reserved by a pass that may not have finished (Google: see
    # google_write.Writer.reserve); never handed out again. None: no reservation.
    reserved_lead_number: int | None = None
    # The tracker's own time zone when it has one (Google Sheets); None: leadsync.toml's.
    time_zone: str | None = None
    # The Pipeline tab (Rule 7); None from a backend that does not keep one (live Excel).
    pipeline: RawTab | None = None
