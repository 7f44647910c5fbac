"""The Excel-file backend: the embedded default, no account or Excel needed.

A pass reads each workbook file once, reads the tabs the engine needs, and applies the plan
with one atomic save per workbook, tracker last. The save patches the package it read
(sync/xlsx_patch.py): the cells the plan names change, and every other part of the file, from
pictures and text boxes to buttons and VBA, keeps its bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from sync.config import Config
from sync.dates import EPOCH_1900, EPOCH_1904
from sync.errors import BackendError, SheetLayoutError
from sync.headers import TabKind, alias_table
from sync.layout import (
    HEADER_SEARCH_ROWS,
    find_headers,
    found_tab,
    last_used,
    require_headers,
)
from sync.plan import AddColumn, Plan, SetCell, StrikeRow
from sync.planner import PROSPECT_TRIGGERS, same
from sync.snapshot import CellsView, CellValue, RawTab, Row, Snapshot, Tab, TabRef
from sync.xlsx_files import atomic_save, digest, refuse_if_open
from sync.xlsx_package import Package
from sync.xlsx_patch import read_custom_property, save_patched
from sync.xlsx_read import FastWorkbook, SheetGrid
from sync.xlsx_sheet_patch import CellWrite, SheetEdit
from sync.xlsx_sparse import NotSparse, SparseGrid, sparse_grid

LOCK_TIMEOUT_SECONDS = 120
# A custom document property of the tracker (File ▸ Info ▸ Properties ▸ Advanced in Excel).
ISSUED_PROPERTY = "leadsync.issued_lead_number"


@dataclass
class _Book:
    path: Path
    fast: FastWorkbook
    digest: str
    content: bytes  # exactly what was read: the package the save patches


@dataclass
class _TabState:
    """What apply needs to know of a tab it read: where its headers are and where rows end."""

    header_row: int
    columns: dict[str, int]
    next_row: int
    # The rows read (formulas as their cached results), by row number, to check a row against.
    grid: Mapping[int, Sequence[CellValue]]

    def value(self, row: int, column: int) -> CellValue:
        cells = self.grid.get(row, ())
        return cells[column - 1] if column <= len(cells) else None


@dataclass(frozen=True)
class _RowsRead:
    """A tab's rows as read, whole (every row) or sparse (the rows a pass acts on)."""

    rows: Mapping[int, Sequence[CellValue]]  # 1-based row number -> cells from column 1
    unresolved: frozenset[tuple[int, int]]
    last_row: int  # the last row that holds a value
    last_column: int  # the last column anything is typed in, header or not

    @classmethod
    def whole(cls, grid: SheetGrid) -> _RowsRead:
        rows = _Numbered(grid.rows)
        last_row = max((n for n, cells in rows.items() if last_used(cells)), default=0)
        last_column = max((last_used(cells) for cells in grid.rows), default=0)
        return cls(rows, grid.unresolved, last_row, last_column)

    @classmethod
    def sparse(cls, grid: SparseGrid) -> _RowsRead:
        return cls(grid.rows, grid.unresolved, grid.last_row, grid.last_column)

    def head(self) -> list[Sequence[CellValue]]:
        return [self.rows.get(n, ()) for n in range(1, HEADER_SEARCH_ROWS + 1)]

    def rows_after(self, header_row: int) -> Iterator[tuple[int, Sequence[CellValue]]]:
        for number in sorted(n for n in self.rows if n > header_row):
            yield number, self.rows[number]


class _Numbered(Mapping[int, Sequence[CellValue]]):
    """A whole grid (row 1 first) seen by row number, without copying it."""

    def __init__(self, rows: Sequence[Sequence[CellValue]]) -> None:
        self._rows = rows

    def __getitem__(self, number: int) -> Sequence[CellValue]:
        if 1 <= number <= len(self._rows):
            return self._rows[number - 1]
        raise KeyError(number)

    def __iter__(self) -> Iterator[int]:
        return iter(range(1, len(self._rows) + 1))

    def __len__(self) -> int:
        return len(self._rows)


def lock_path(tracker: Path) -> Path:
    return tracker.with_name(f".{tracker.name}.leadsync-lock")


class XlsxBackend:
    def __init__(self, config: Config, tracker_only: bool = False, every_row: bool = False) -> None:
        """`tracker_only`: the prospecting tabs are another backend's (the workbook open in
        Excel, behind its buttons); this one reads and writes the tracker file alone.
        `every_row`: read every prospect row, for work that looks at all of them (an import's
        duplicate check), not only the rows a pass acts on."""
        self.config = config
        self.every_row = every_row
        self.tracker = config.tracker_path
        self.tracker_only = tracker_only
        self.prospecting = [] if tracker_only else config.prospecting_paths
        self._books: dict[Path, _Book] = {}
        self._tabs: dict[TabRef, _TabState] = {}

    def paths(self) -> list[Path]:
        ordered = [self.tracker, *self.prospecting]
        return [p for i, p in enumerate(ordered) if p not in ordered[:i]]

    @contextmanager
    def session(self, write: bool) -> Iterator[None]:
        for path in self.paths():
            if not path.exists():
                raise BackendError(f"{path} does not exist: check the path in leadsync.toml")
            if write:
                refuse_if_open(path)
        try:
            with FileLock(lock_path(self.tracker), timeout=LOCK_TIMEOUT_SECONDS):
                yield
        except Timeout:
            raise BackendError(
                f"another leadsync pass has held {self.tracker.name} for over "
                f"{LOCK_TIMEOUT_SECONDS} s; try again when it has finished"
            ) from None
        finally:
            for book in self._books.values():
                book.fast.close()
            self._books.clear()
            self._tabs.clear()

    # ---- read -----------------------------------------------------------------------------

    def _book(self, path: Path) -> _Book:
        if path not in self._books:
            try:
                # One read: the digest is of exactly the bytes the workbook was loaded from.
                content = path.read_bytes()
            except OSError as error:
                raise BackendError(f"{path.name} could not be read ({error.strerror})") from None
            fast = FastWorkbook(content, path.name)
            self._books[path] = _Book(path, fast, digest(content), content)
        return self._books[path]

    def read(self) -> Snapshot:
        config = self.config
        tracker = self._book(self.tracker)
        leads = self._read_tab(
            tracker, config.tracker.leads_tab, TabKind.LEADS, "tracker.leads_tab"
        )
        clients = self._read_tab(
            tracker, config.tracker.clients_tab, TabKind.CLIENTS, "tracker.clients_tab"
        )
        prospects = []
        sources = [] if self.tracker_only else config.prospecting
        for index, (path, source) in enumerate(zip(self.prospecting, sources, strict=True)):
            book = self._book(path)
            for tab_name in source.tabs:
                key = f"prospecting[{index + 1}].tabs"
                prospects.append(self._read_tab(book, tab_name, TabKind.PROSPECTS, key))
        pipeline = self._read_raw(tracker, config.tracker.pipeline_tab)
        return Snapshot(tuple(prospects), leads, clients, _issued(tracker), pipeline=pipeline)

    def _read_raw(self, book: _Book, name: str) -> RawTab:
        ref = TabRef(str(book.path), name)
        if name not in book.fast.sheet_names:
            return RawTab(ref, (), exists=False)
        rows = book.fast.grid(name).rows
        return RawTab(ref, tuple(tuple(cells) for cells in rows))

    def _read_tab(self, book: _Book, name: str, kind: TabKind, config_key: str) -> Tab:
        names = book.fast.sheet_names
        if name not in names:
            raise SheetLayoutError(
                f"{book.path.name} has no tab named '{name}' (it has: "
                f"{', '.join(names)}); fix {config_key} in leadsync.toml or rename the tab"
            )
        label = f"{book.path.name} › {name}"
        aliases = alias_table(kind, self.config.headers.for_kind(kind))
        if kind is TabKind.PROSPECTS and not self.every_row:
            grid = self._sparse_grid(book, name, label, kind, aliases)
        else:
            grid = _RowsRead.whole(book.fast.grid(name))
        header_index, columns = find_headers(grid.head(), aliases)
        require_headers(label, kind, columns)
        rows: list[Row] = []
        last_data_row = header_index + 1
        unresolved: dict[int, set[str]] = {}
        for row, column in grid.unresolved:
            key = next((k for k, i in columns.items() if i == column - 1), None)
            if key is not None:
                unresolved.setdefault(row, set()).add(key)
        for number, cells in grid.rows_after(header_index + 1):
            if not any(c is not None and c != "" for c in cells):  # any(): C speed, 50k rows
                continue
            last_data_row = number
            if number in unresolved:
                rows.append(Row(number, CellsView(cells, columns), frozenset(unresolved[number])))
            else:
                rows.append(Row(number, CellsView(cells, columns)))  # no set of its own
        last_data_row = max(last_data_row, grid.last_row)
        ref = TabRef(str(book.path), name)
        one_based = {k: i + 1 for k, i in columns.items()}
        self._tabs[ref] = _TabState(header_index + 1, one_based, last_data_row + 1, grid.rows)
        epoch = EPOCH_1904 if book.fast.date1904 else EPOCH_1900
        return found_tab(
            ref,
            kind,
            label,
            grid.last_column,
            header_index,
            columns,
            rows,
            epoch=epoch,
            source_name=book.path.name,
        )

    def _sparse_grid(
        self, book: _Book, name: str, label: str, kind: TabKind, aliases: dict[str, str]
    ) -> _RowsRead:
        """Only the header rows and the rows the planner acts on: a big prospecting tab is
        mostly rows it passes by, and not holding them is most of a pass's memory."""

        def triggers(head: Sequence[Sequence[CellValue]]) -> list[int]:
            _index, columns = find_headers(head, aliases)
            require_headers(label, kind, columns)
            return [columns[k] + 1 for k in PROSPECT_TRIGGERS if k in columns]

        try:
            return _RowsRead.sparse(sparse_grid(book.fast, name, HEADER_SEARCH_ROWS, triggers))
        except NotSparse:
            return _RowsRead.whole(book.fast.grid(name))

    # ---- apply ----------------------------------------------------------------------------

    def apply(self, plan: Plan) -> None:
        touched = {Path(ref.workbook) for ref in plan.tabs_touched()}
        if plan.issued_lead_number is not None:
            touched.add(self.tracker)
        # Prospecting files first, the tracker last: see Backend.apply.
        order = [p for p in self.paths() if p != self.tracker] + [self.tracker]
        for path in order:
            if path in touched:
                self._apply_book(self._books[path], plan)

    def _apply_book(self, book: _Book, plan: Plan) -> None:
        mine = str(book.path)
        cells = [c for c in plan.cells if c.tab.workbook == mine]
        strikes = [s for s in plan.strikes if s.tab.workbook == mine]
        # Every row is checked against what the pass read before any cell is written.
        guarded: list[SetCell | StrikeRow] = [*cells, *strikes]
        for change in guarded:
            self._check_row(book, change)
        edits: dict[str, SheetEdit] = {}

        def edit_of(ref: TabRef) -> SheetEdit:
            if ref.tab not in edits:
                state = self._tabs[ref]
                edits[ref.tab] = SheetEdit(last_row=state.next_row - 1, header_row=state.header_row)
            return edits[ref.tab]

        for add in (a for a in plan.add_columns if a.tab.workbook == mine):
            self._add_column(book, add, edit_of(add.tab))
        for strike in strikes:
            edit_of(strike.tab).strikes.add(strike.row)
        for cell in cells:
            column = self._tabs[cell.tab].columns[cell.field]
            edit_of(cell.tab).writes.append(CellWrite(cell.row, column, _stored(cell.value)))
        for append in (a for a in plan.appends if a.tab.workbook == mine):
            columns = self._tabs[append.tab].columns
            edit_of(append.tab).appends.append(
                {columns[k]: _stored(v) for k, v in append.values.items() if k in columns}
            )
        properties = {}
        if book.path == self.tracker and plan.issued_lead_number is not None:
            properties[ISSUED_PROPERTY] = plan.issued_lead_number
        rewrites = {r.tab.tab: r.rows for r in plan.rewrites if r.tab.workbook == mine}

        def write(target: Path) -> None:
            # Straight into the new file: the patched package is never held in memory whole.
            with target.open("wb") as handle:
                save_patched(book.content, book.path.name, edits, properties, handle, rewrites)

        atomic_save(book.path, write, book.digest)

    def _check_row(self, book: _Book, change: SetCell | StrikeRow) -> None:
        state = self._tabs[change.tab]
        for key, expected in change.expect.items():
            found = state.value(change.row, state.columns[key])
            if not same(found, expected):
                raise BackendError(
                    f"{book.path.name} › {change.tab.tab} row {change.row} no longer holds what "
                    "this pass read; nothing was written. Run leadsync again."
                )

    def _add_column(self, book: _Book, add: AddColumn, edit: SheetEdit) -> None:
        state = self._tabs[add.tab]
        if state.value(state.header_row, add.column) not in (None, ""):
            raise BackendError(f"{book.path.name} › {add.tab.tab}: column {add.column} is not free")
        left = add.column - 1 if add.column > 1 else None
        edit.writes.append(CellWrite(state.header_row, add.column, add.header, style_from=left))
        state.columns[add.field] = add.column


def _issued(book: _Book) -> int | None:
    package = Package(book.content, book.path.name)
    try:
        value = read_custom_property(package, ISSUED_PROPERTY)
    finally:
        package.close()
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None  # a mangled value: fall back to the IDs in the Leads tab


def _stored(value: CellValue) -> CellValue:
    # An empty string clears the cell, as typing nothing would.
    return None if value == "" else value
