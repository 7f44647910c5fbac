"""The spreadsheet itself: tabs, their grid of cells, and developer metadata.

Only what a user entered is stored (userEnteredValue, userEnteredFormat, dataValidation);
effective values are computed when read, so a formula always sees the cells as they are now.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import formula, numfmt, references
from .a1 import Bounds

Json = dict[str, Any]


@dataclass
class Cell:
    value: Json | None = None  # ExtendedValue: numberValue | stringValue | boolValue | formulaValue
    format: Json | None = None  # userEnteredFormat
    validation: Json | None = None  # dataValidation rule
    note: str | None = None

    def is_empty(self) -> bool:
        return not (self.value or self.format or self.validation or self.note)

    def clone(self) -> Cell:
        # Shallow on purpose: a cell's dicts are replaced, never edited in place.
        return Cell(self.value, self.format, self.validation, self.note)


@dataclass
class Sheet:
    properties: Json
    rows: list[list[Cell | None]] = field(default_factory=list)
    charts: list[Json] = field(default_factory=list)  # EmbeddedChart resources

    @property
    def sheet_id(self) -> int:
        return int(self.properties["sheetId"])

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def grid(self) -> Json:
        grid: Json = self.properties.setdefault("gridProperties", {})
        return grid

    @property
    def row_count(self) -> int:
        return int(self.grid.get("rowCount", 0))

    @property
    def col_count(self) -> int:
        return int(self.grid.get("columnCount", 0))

    def cell(self, row: int, col: int) -> Cell | None:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def put(self, row: int, col: int) -> Cell:
        """The cell at (row, col), created if the grid has nothing stored there yet."""
        while len(self.rows) <= row:
            self.rows.append([])
        line = self.rows[row]
        while len(line) <= col:
            line.append(None)
        found = line[col]
        if found is None:
            found = line[col] = Cell()
        return found

    def set(self, row: int, col: int, cell: Cell | None) -> None:
        if cell is None or cell.is_empty():
            if self.cell(row, col) is not None:
                self.rows[row][col] = None
            return
        self.put(row, col)
        self.rows[row][col] = cell

    def last_row_with_values(self) -> int:
        """Index of the last row holding a value, or -1."""
        for index in range(len(self.rows) - 1, -1, -1):
            if any(c is not None and c.value for c in self.rows[index]):
                return index
        return -1

    def insert(self, dimension: str, start: int, count: int) -> None:
        if dimension == "ROWS":
            if start < len(self.rows):
                self.rows[start:start] = [[] for _ in range(count)]
            self.grid["rowCount"] = self.row_count + count
        else:
            for line in self.rows:
                if start < len(line):
                    line[start:start] = [None] * count
            self.grid["columnCount"] = self.col_count + count

    def delete(self, dimension: str, start: int, end: int) -> None:
        if dimension == "ROWS":
            del self.rows[start:end]
            self.grid["rowCount"] = self.row_count - (end - start)
        else:
            for line in self.rows:
                del line[start:end]
            self.grid["columnCount"] = self.col_count - (end - start)

    def resize(self, rows: int, cols: int) -> None:
        """A smaller grid loses what lay beyond it."""
        del self.rows[rows:]
        for line in self.rows:
            del line[cols:]
        self.grid["rowCount"], self.grid["columnCount"] = rows, cols

    def public_properties(self) -> Json:
        """SheetProperties as the API shows them: frozen counts of zero are left out."""
        shown = {k: v for k, v in self.properties.items() if k != "gridProperties"}
        grid = {k: v for k, v in self.grid.items() if v or k in ("rowCount", "columnCount")}
        shown["gridProperties"] = grid
        order = ["sheetId", "title", "index", "sheetType", "gridProperties"]
        return {k: shown[k] for k in order if k in shown} | {
            k: v for k, v in shown.items() if k not in order
        }


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    properties: Json
    sheets: list[Sheet]
    shared_with: set[str] | None  # None: anyone may open it
    metadata: list[Json] = field(default_factory=list)
    created: str = ""
    modified: str = ""
    _evaluating: set[tuple[int, int, int]] = field(default_factory=set)

    def clone(self) -> Spreadsheet:
        """A copy to apply a batch to: much cheaper than deepcopy on thousands of cells."""
        sheets = [
            Sheet(
                copy.deepcopy(sheet.properties),
                [[c.clone() if c is not None else None for c in row] for row in sheet.rows],
                copy.deepcopy(sheet.charts),
            )
            for sheet in self.sheets
        ]
        return Spreadsheet(
            self.spreadsheet_id,
            copy.deepcopy(self.properties),
            sheets,
            None if self.shared_with is None else set(self.shared_with),
            copy.deepcopy(self.metadata),
            self.created,
            self.modified,
        )

    @property
    def titles(self) -> list[str]:
        return [s.title for s in self.sheets]

    def by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def by_id(self, sheet_id: int) -> Sheet | None:
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

    def reindex(self) -> None:
        for index, sheet in enumerate(self.sheets):
            sheet.properties["index"] = index

    def effective(self, sheet: Sheet, row: int, col: int) -> Any:
        """The value a cell shows: its own value, or what its formula computes now."""
        cell = sheet.cell(row, col)
        if cell is None or not cell.value:
            return None
        value = cell.value
        if "formulaValue" in value:
            key = (sheet.sheet_id, row, col)
            if key in self._evaluating:
                return formula.CIRCULAR
            self._evaluating.add(key)
            try:
                return formula.evaluate(
                    str(value["formulaValue"]), self._resolver(sheet), self._now
                )
            finally:
                self._evaluating.discard(key)
        if "errorValue" in value:
            error = value["errorValue"]
            return formula.FormulaError(
                error.get("type", "ERROR"), error.get("message", ""), "#ERROR!"
            )
        return next(iter(value.values()))

    def _now(self) -> float:
        """This moment as a serial number in the spreadsheet's own time zone."""
        try:
            zone: dt.tzinfo = ZoneInfo(str(self.properties.get("timeZone", "Etc/GMT")))
        except (ZoneInfoNotFoundError, ValueError):
            zone = dt.UTC
        return numfmt.serial(dt.datetime.now(zone).replace(tzinfo=None))

    def _resolver(self, home: Sheet) -> formula.Resolver:
        def resolve(title: str | None, row: int, col: int) -> Any:
            sheet = home if title is None else self.by_title(title)
            if sheet is None:
                raise_ref = formula.FormulaError(
                    "REF", f"Unresolved sheet name '{title}'.", "#REF!"
                )
                return raise_ref
            value = self.effective(sheet, row, col)
            if isinstance(value, int) and not isinstance(value, bool):
                return float(value)
            return value

        return resolve

    def dimension_changed(self, sheet: Sheet, dimension: str, start: int, delta: int) -> None:
        """Rows or columns were inserted (delta > 0) or deleted (delta < 0) at `start` on a tab:
        metadata on them and formula references to them follow."""
        self.shift_metadata(sheet.sheet_id, dimension, start, delta)
        for other in self.sheets:
            for line in other.rows:
                for cell in line:
                    if cell is None or not cell.value or "formulaValue" not in cell.value:
                        continue
                    text = str(cell.value["formulaValue"])
                    moved = references.shift(
                        text, other.title, sheet.title, dimension == "ROWS", start, delta
                    )
                    if moved != text:
                        cell.value = {"formulaValue": moved}

    def shift_metadata(self, sheet_id: int, dimension: str, start: int, delta: int) -> None:
        """Rows or columns inserted (delta > 0) or deleted (delta < 0): their metadata follows."""
        kept = []
        for item in self.metadata:
            span = item.get("location", {}).get("dimensionRange")
            if not span or span.get("sheetId") != sheet_id or span.get("dimension") != dimension:
                kept.append(item)
                continue
            index = int(span.get("startIndex", 0))
            if delta < 0 and start <= index < start - delta:
                continue  # its row went with the deleted ones
            if index >= start:
                span["startIndex"] = index + delta
                span["endIndex"] = int(span.get("endIndex", index + 1)) + delta
            kept.append(item)
        self.metadata = kept

    def drop_metadata_beyond(self, sheet: Sheet) -> None:
        limits = {"ROWS": sheet.row_count, "COLUMNS": sheet.col_count}
        self.metadata = [
            m
            for m in self.metadata
            if not (
                (span := m.get("location", {}).get("dimensionRange"))
                and span.get("sheetId") == sheet.sheet_id
                and int(span.get("startIndex", 0)) >= limits.get(span.get("dimension", ""), 0)
            )
        ]


def cells_in(bounds: Bounds) -> list[tuple[int, int]]:
    assert bounds.end_row is not None and bounds.end_col is not None
    return [
        (r, c)
        for r in range(bounds.start_row, bounds.end_row)
        for c in range(bounds.start_col, bounds.end_col)
    ]
