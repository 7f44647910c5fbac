"""A write's reply as the checks in google_write read it: the rows it sent back, as Structs.

A busy pass's write asks for every row it wrote back (tens of thousands of CellData), and the
check compares each cell with the raw value the pass read there. Decoded into these Structs
instead of dicts, that reply decodes in about half the time and frees in less, and a cell's
effective value is one attribute lookup away.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress, count, repeat
from operator import attrgetter, ne, or_
from typing import Any

import msgspec


# gc=False on the Structs a reply holds by the ten thousand: they are decoded from JSON and
# never changed, so they cannot take part in a reference cycle, and untracked they are made
# and freed faster (the busy reply's decode and free: 33-34 -> 29-30 ms, min of 25).
# frozen: so that one Shown can be every empty cell's default (msgspec refuses a mutable one).
class Shown(msgspec.Struct, omit_defaults=True, gc=False, frozen=True):
    """An ExtendedValue: what a cell shows, by kind. All None: the cell shows nothing."""

    stringValue: str | None = None
    numberValue: float | None = None
    boolValue: bool | None = None
    errorValue: dict[str, Any] | None = None


# Shared by every cell without an effectiveValue; never changed. Its text is '', what the
# read gives for an empty cell, so that `unequal` compares empty cells like any text. A plain
# default, not a default_factory: no Python call for each empty cell of a reply.
BLANK = Shown(stringValue="")


class Cell(msgspec.Struct, omit_defaults=True, gc=False):
    effectiveValue: Shown = BLANK
    formattedValue: str | None = None


class RowData(msgspec.Struct, gc=False):
    values: list[Cell] = []


class GridData(msgspec.Struct):
    startRow: int = 0
    rowData: list[RowData] = []


class SheetTitle(msgspec.Struct):
    title: str = ""


class SheetData(msgspec.Struct):
    properties: SheetTitle = msgspec.field(default_factory=SheetTitle)
    data: list[GridData] = []


class Sheets(msgspec.Struct):
    sheets: list[SheetData] = []


class Reply(msgspec.Struct):
    replies: list[dict[str, Any]] = []
    updatedSpreadsheet: Sheets = msgspec.field(default_factory=Sheets)


NO_CELL = Cell()  # a cell past the end of a row the reply sent back

# The ExtendedValue field a raw value of a values answer comes back in; text by default.
_KIND: dict[type, str] = {int: "numberValue", float: "numberValue", bool: "boolValue"}
_SHOWN = attrgetter("effectiveValue")
_TEXT = attrgetter("effectiveValue.stringValue")
_FORMATTED = attrgetter("formattedValue")
_KINDS = attrgetter(
    "effectiveValue.stringValue", "effectiveValue.numberValue", "effectiveValue.boolValue"
)
_NO_KIND = (None, None, None)


def landed(reply: Reply) -> dict[str, dict[int, list[Cell]]]:
    """Rows as the write's own answer shows them, by tab and 1-based row: looked up by row
    number per tab, not by a (tab, row) tuple made and hashed for each of thousands."""
    tabs: dict[str, dict[int, list[Cell]]] = {}
    for sheet in reply.updatedSpreadsheet.sheets:
        rows = tabs.setdefault(sheet.properties.title, {})
        for grid in sheet.data:
            row = grid.startRow
            for data in grid.rowData:
                row += 1
                rows[row] = data.values
    return tabs


def unequal(cells: Sequence[Cell], read: Sequence[Any]) -> list[int]:
    """Indexes where a reply's cell does not hold exactly the raw value read there, error
    cells whose text (#N/A) is what the read gave left out.

    Every other index is one google_write's `same` calls the same (equal values, two empty
    cells, or an error cell read as its text), so only these need a closer look. All map()s,
    in C: this runs over every cell of every row a write touches. `read` holds only values
    that compare with ==, '' for an empty cell.
    """
    # Most cells are text: every cell is first compared as text, one attrgetter call each.
    # A number or a truth value read is never equal to a stringValue (a str or None), so
    # the cells that pass are exactly those that pass below; those that fail are looked at
    # again by the kind of value read.
    differ = list(compress(count(), map(ne, map(_TEXT, cells), read)))
    if not differ:
        return differ
    picked = list(map(cells.__getitem__, differ))
    was = list(map(read.__getitem__, differ))
    kinds = map(_KIND.get, map(type, was), repeat("stringValue"))
    values = map(getattr, map(_SHOWN, picked), kinds)
    keep = list(map(ne, values, was))
    differ = list(compress(differ, keep))
    if not differ:
        return differ
    picked = list(compress(picked, keep))
    was = list(compress(was, keep))
    # Errors show their text (formattedValue) for their value: what the read gives for them.
    other_text = map(ne, map(_FORMATTED, picked), was)
    not_error = map(ne, map(_KINDS, picked), repeat(_NO_KIND))
    return list(compress(differ, map(or_, other_text, not_error)))


def shows_as_text(cell: Cell) -> bool:
    """Whether the cell shows its formattedValue for its value (an error: #N/A, #REF!)."""
    shown = cell.effectiveValue
    return shown.stringValue is None and shown.numberValue is None and shown.boolValue is None


def as_cell_data(cell: Cell) -> dict[str, Any]:
    """The cell as the API's CellData JSON, for google_cells.from_cell_data."""
    data: dict[str, Any] = {}
    if cell.effectiveValue is not BLANK:  # BLANK: the reply had none
        data["effectiveValue"] = msgspec.to_builtins(cell.effectiveValue)
    if cell.formattedValue is not None:
        data["formattedValue"] = cell.formattedValue
    return data


def swapped(reply: Reply, index: int | None) -> bool:
    """Whether the findReplace request at `index` changed its cell."""
    if index is None or index >= len(reply.replies):
        return False
    found = reply.replies[index].get("findReplace", {})
    return int(found.get("occurrencesChanged", 0)) > 0
