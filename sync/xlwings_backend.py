"""The live-workbook backend: the workbook Excel has open, through xlwings.

Behind the Excel buttons (excel_addin), the code runs inside Excel's macro call, so the
workbook cannot change under it: a pass reads each tab with one call and writes each column it
changes with one call (a block from its first to its last changed row, cells in between written
back as they were, formulas as formulas), and appended rows with one more. The tracker tabs
(Leads, Clients) live in the same workbook. xlwings' portable API has no strikethrough, so a
row marked x gets its note here and its strikethrough from the next file-based pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sync.config import Config
from sync.errors import SheetLayoutError
from sync.headers import TabKind, alias_table
from sync.layout import (
    HEADER_SEARCH_ROWS,
    find_headers,
    found_tab,
    last_used,
    require_headers,
)
from sync.plan import Plan, RewriteTab
from sync.port import Backend
from sync.snapshot import CellValue, RawTab, Row, Snapshot, Tab, TabRef


@dataclass
class _Grid:
    sheet: Any
    header_row: int
    columns: dict[str, int]  # field -> 1-based column
    values: list[list[Any]]  # rows from row 1, as read
    formulas: list[list[Any]] | None  # the same cells' formulas, where the engine could read them
    next_row: int  # where an appended row goes


def _as_text(value: CellValue) -> Any:
    """What to hand Excel so a value lands as itself: text never becomes a formula or number."""
    if isinstance(value, str):
        return "'" + value if value else None
    return value


def _cell(value: Any) -> CellValue:
    if value is None or isinstance(value, str | bool | int | datetime | date):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return str(value)


class XlwingsBackend:
    def __init__(self, config: Config, book: Any) -> None:
        self.config = config
        self.book = book
        self._grids: dict[TabRef, _Grid] = {}
        # Cells this backend wrote before the pass (set_in_rows), by (tab, row, column): an
        # engine that queues writes (xlwings' remote one) still reads the values of before.
        self._written: dict[tuple[str, int, int], Any] = {}
        # Rows and columns of each engine-owned tab as read: a rewrite clears that much.
        self._raw_sizes: dict[str, tuple[int, int]] = {}

    @contextmanager
    def session(self, write: bool) -> Iterator[None]:
        # Excel runs the button's macro to the end before a person can type again: nothing to
        # lock, and nothing to refuse (the workbook is open because this is the workbook).
        try:
            yield
        finally:
            self._grids.clear()

    def _rows(self, sheet: Any) -> tuple[list[list[Any]], list[list[Any]] | None]:
        last = sheet.used_range.last_cell
        block = sheet.range((1, 1), (max(last.row, 1), max(last.column, 1)))
        values = block.options(ndim=2).value
        try:
            formulas = block.formula
        except (NotImplementedError, AttributeError):
            formulas = None
        if formulas is not None and not isinstance(formulas, list | tuple):
            formulas = [[formulas]]
        return values, [list(r) for r in formulas] if formulas is not None else None

    def read(self) -> Snapshot:
        prospects = self.read_prospects()
        leads = self._named(self.config.tracker.leads_tab, TabKind.LEADS, "tracker.leads_tab")
        clients = self._named(
            self.config.tracker.clients_tab, TabKind.CLIENTS, "tracker.clients_tab"
        )
        pipeline = self._raw(self.config.tracker.pipeline_tab)
        return Snapshot(prospects, leads, clients, pipeline=pipeline)

    def _raw(self, name: str) -> RawTab:
        """An engine-owned tab (the Pipeline tab) as it is, cell by cell from A1."""
        ref = TabRef(self.book.name, name)
        if name not in [sheet.name for sheet in self.book.sheets]:
            return RawTab(ref, (), exists=False)
        values, _formulas = self._rows(self.book.sheets[name])
        self._raw_sizes[name] = (len(values), max((len(r) for r in values), default=0))
        return RawTab(ref, tuple(tuple(_cell(v) for v in row) for row in values))

    def read_prospects(self) -> tuple[Tab, ...]:
        return tuple(
            self._named(tab, TabKind.PROSPECTS, f"prospecting[{index}].tabs")
            for index, source in enumerate(self.config.prospecting, start=1)
            for tab in source.tabs
        )

    def _named(self, name: str, kind: TabKind, key: str) -> Tab:
        names = [sheet.name for sheet in self.book.sheets]
        if name not in names:
            raise SheetLayoutError(
                f"{self.book.name} has no tab named '{name}' (it has: {', '.join(names)}); "
                f"press Set up, or fix {key} in leadsync.toml"
            )
        return self._read_tab(self.book.sheets[name], kind)

    def _read_tab(self, sheet: Any, kind: TabKind) -> Tab:
        values, formulas = self._rows(sheet)
        for (tab, row, column), value in self._written.items():
            if tab == sheet.name and row <= len(values) and column <= len(values[row - 1]):
                values[row - 1][column - 1] = value
        label = f"{self.book.name} › {sheet.name}"
        aliases = alias_table(kind, self.config.headers.for_kind(kind))
        header_index, columns = find_headers(values[:HEADER_SEARCH_ROWS], aliases)
        require_headers(label, kind, columns)
        rows: list[Row] = []
        last = header_index + 1
        for number, cells in enumerate(values[header_index + 1 :], start=header_index + 2):
            if all(c is None or c == "" for c in cells):
                continue
            last = number
            rows.append(Row(number, {k: _cell(cells[i]) for k, i in columns.items()}))
        ref = TabRef(self.book.name, sheet.name)
        one_based = {k: i + 1 for k, i in columns.items()}
        self._grids[ref] = _Grid(
            sheet, header_index + 1, dict(one_based), values, formulas, last + 1
        )
        return found_tab(
            ref,
            kind,
            label,
            max(map(last_used, values), default=0),
            header_index,
            columns,
            rows,
            source_name=sheet.name,
        )

    # ---- write ----------------------------------------------------------------------------

    def set_in_rows(
        self,
        name: str,
        kind: TabKind,
        rows: range,
        key: str,
        decide: Callable[[Row], CellValue],
    ) -> int:
        """Write decide(row) into `key` of each data row in `rows` (None: leave it); one write.

        What the buttons do before a pass: type + or x for the selected prospects, set the
        selected leads to Standby. Returns how many rows were written.
        """
        tab = self._read_tab(self.book.sheets[name], kind)
        if key not in tab.columns:
            raise SheetLayoutError(f"{tab.label} has no {key} column; press Set up first")
        changes: dict[tuple[int, str], CellValue] = {}
        for row in tab.rows:
            if row.number in rows:
                value = decide(row)
                if value is not None:
                    changes[row.number, key] = value
        self._write_columns(tab.ref, changes)
        column = tab.columns[key]
        for row_number, _key in changes:
            self._written[name, row_number, column] = changes[row_number, _key]
        return len(changes)

    def apply(self, plan: Plan) -> None:
        for add in plan.add_columns:
            if add.tab not in self._grids:
                continue  # a tab of the tracker file, which another backend writes
            grid = self._grids[add.tab]
            grid.sheet.range((grid.header_row, add.column)).value = add.header
            grid.columns[add.field] = add.column
        # Prospecting tabs first, the tracker's last: the order Backend.apply promises.
        order = sorted(self._grids, key=lambda ref: ref.tab in self._tracker_tabs())
        for ref in order:
            self._write_columns(
                ref, {(c.row, c.field): c.value for c in plan.cells if c.tab == ref}
            )
            self._append(ref, [a.values for a in plan.appends if a.tab == ref])
        # The Pipeline tab, last, as the tracker's own: one block that also clears the cells
        # of what it showed before.
        for rewrite in plan.rewrites:
            if rewrite.tab.workbook == self.book.name:
                self._rewrite(rewrite)

    def _rewrite(self, rewrite: RewriteTab) -> None:
        name = rewrite.tab.tab
        if rewrite.create:
            sheet = self.book.sheets.add(name, after=self.book.sheets[len(self.book.sheets) - 1])
        else:
            sheet = self.book.sheets[name]
        old_height, old_width = self._raw_sizes.get(name, (0, 0))
        height = max(len(rewrite.rows), old_height, 1)
        width = max(max((len(row) for row in rewrite.rows), default=0), old_width, 1)
        block: list[list[Any]] = [[None] * width for _ in range(height)]
        for r, row in enumerate(rewrite.rows):
            for c, value in enumerate(row):
                block[r][c] = _as_text(value)
        sheet.range((1, 1), (height, width)).value = block

    def _tracker_tabs(self) -> set[str]:
        return {self.config.tracker.leads_tab, self.config.tracker.clients_tab}

    def _existing(self, grid: _Grid, row: int, column: int) -> Any:
        """A cell as it was, to write back unchanged: its formula if it has one."""
        r, c = row - 1, column - 1
        if grid.formulas is not None and r < len(grid.formulas) and c < len(grid.formulas[r]):
            formula = grid.formulas[r][c]
            if isinstance(formula, str) and formula.startswith("="):
                return formula
        if r < len(grid.values) and c < len(grid.values[r]):
            value = grid.values[r][c]
            return _as_text(value) if isinstance(value, str) else value
        return None

    def _write_columns(self, ref: TabRef, changes: Mapping[tuple[int, str], CellValue]) -> None:
        grid = self._grids[ref]
        by_field: dict[str, dict[int, CellValue]] = {}
        for (row, key), value in changes.items():
            by_field.setdefault(key, {})[row] = value
        for key, rows in by_field.items():
            column = grid.columns[key]
            first, last = min(rows), max(rows)
            block = [
                [_as_text(rows[r]) if r in rows else self._existing(grid, r, column)]
                for r in range(first, last + 1)
            ]
            grid.sheet.range((first, column), (last, column)).value = block

    def _append(self, ref: TabRef, rows: list[Mapping[str, CellValue]]) -> None:
        if not rows:
            return
        grid = self._grids[ref]
        width = max(grid.columns.values())
        block = []
        for values in rows:
            line: list[Any] = [None] * width
            for key, value in values.items():
                if key in grid.columns:
                    line[grid.columns[key] - 1] = _as_text(value)
            block.append(line)
        start = grid.next_row
        grid.sheet.range((start, 1), (start + len(block) - 1, width)).value = block
        grid.next_row += len(block)


class SplitBackend:
    """The prospecting tabs in the workbook Excel has open, the tracker in a file of its own.

    The workbook is written first and the tracker file last, with its atomic save, as
    Backend.apply promises, so an interrupted pass is completed by the next one.
    """

    def __init__(self, book: XlwingsBackend, tracker: Backend) -> None:
        self.book = book
        self.tracker = tracker

    @contextmanager
    def session(self, write: bool) -> Iterator[None]:
        with self.tracker.session(write), self.book.session(write):
            yield

    def read(self) -> Snapshot:
        tracker = self.tracker.read()
        return replace(tracker, prospects=self.book.read_prospects())

    def apply(self, plan: Plan) -> None:
        self.book.apply(plan)
        self.tracker.apply(plan)
