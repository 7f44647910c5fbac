"""`leadsync doctor --workbook FILE`: what a pass would change in a person's own workbook.

The engine's writes are made on a copy held in memory (the file itself is only read): the
owned cells of the first data row, any engine column the tab lacks, a struck-through row, and
for a tracker tab an appended row. The copy is then compared with the original part by part,
with the same comparison the corpus test uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sync.config import Config
from sync.errors import BackendError, LeadsyncError, SheetLayoutError
from sync.headers import TabKind, alias_table, header
from sync.layout import HEADER_SEARCH_ROWS, find_headers, last_used, require_headers
from sync.package_diff import compare_packages
from sync.planner import NEEDED_COLUMNS
from sync.snapshot import CellValue
from sync.xlsx_cells import cell_ref
from sync.xlsx_package import Package
from sync.xlsx_patch import patch_workbook
from sync.xlsx_read import FastWorkbook
from sync.xlsx_sheet_patch import CellWrite, SheetEdit

# What the test writes: values like the engine's, recognisable as a test.
SAMPLE: dict[str, CellValue] = {
    "flag": "✓",
    "lead": "L-9999",
    "sync_note": "leadsync doctor: test write",
    "lead_id": "L-9999",
    "folder": "F-999",
    "company": "leadsync doctor test",
    "created": datetime(2026, 1, 2, 9, 30),
}


@dataclass
class WorkbookCheck:
    tab: str
    kind: TabKind | None = None
    written: list[str] = field(default_factory=list)  # "Lead in D2", ...
    expected: list[str] = field(default_factory=list)  # the changes a pass makes
    unexpected: list[str] = field(default_factory=list)  # anything else: a loss
    identical_parts: int = 0
    refused: str | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None and not self.unexpected


def _kind_and_columns(
    rows: list[tuple[CellValue, ...]], config: Config | None, label: str
) -> tuple[TabKind, int, dict[str, int]]:
    head = rows[:HEADER_SEARCH_ROWS]
    best: tuple[TabKind, int, dict[str, int]] | None = None
    for kind in (TabKind.PROSPECTS, TabKind.LEADS, TabKind.CLIENTS):
        extra = config.headers.for_kind(kind) if config else None
        index, columns = find_headers(head, alias_table(kind, extra))
        try:
            require_headers(label, kind, columns)
        except SheetLayoutError:
            continue
        # A tab must name at least one of the kind's columns to count as one (Clients has no
        # required column, so every tab would otherwise pass as Clients).
        if columns and (best is None or len(columns) > len(best[2])):
            best = (kind, index, columns)
    if best is None:
        # The message a pass would give for a prospect list, which is what most files are.
        index, columns = find_headers(head, alias_table(TabKind.PROSPECTS))
        require_headers(label, TabKind.PROSPECTS, columns)
        raise AssertionError("unreachable: require_headers raised")
    return best


def _edit(
    rows: list[tuple[CellValue, ...]], kind: TabKind, index: int, columns: dict[str, int]
) -> tuple[SheetEdit, dict[tuple[int, int], str]]:
    header_row = index + 1
    last = max((n for n, cells in enumerate(rows, start=1) if last_used(cells)), default=1)
    used = max((last_used(cells) for cells in rows[:header_row]), default=0)
    edit = SheetEdit(last_row=max(last, header_row), header_row=header_row)
    named: dict[tuple[int, int], str] = {}
    one_based = {k: i + 1 for k, i in columns.items()}
    free = used + 1
    for key in NEEDED_COLUMNS[kind]:
        if key not in one_based:
            title = header(kind, key)
            edit.writes.append(CellWrite(header_row, free, title, style_from=free - 1 or None))
            named[header_row, free] = f"header '{title}'"
            one_based[key] = free
            free += 1
    first = header_row + 1
    if kind is TabKind.PROSPECTS:
        for key in ("flag", "lead", "sync_note"):
            edit.writes.append(CellWrite(first, one_based[key], SAMPLE[key]))
            named[first, one_based[key]] = header(kind, key)
        if last >= first:
            edit.strikes.add(first)
    else:
        values = {one_based[k]: v for k, v in SAMPLE.items() if k in one_based}
        edit.appends.append(values)
        for column in values:
            named[edit.last_row + 1, column] = "appended row"
    return edit, named


def check_workbook(path: Path, tab: str | None, config: Config | None) -> WorkbookCheck:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise BackendError(f"{path} could not be read ({error.strerror})") from None
    package = Package(content, path.name)
    try:
        sheets = [s for s in package.sheets() if s.is_worksheet]
    finally:
        package.close()
    if not sheets:
        raise BackendError(f"{path.name} has no worksheet for leadsync to write in")
    names = [s.name for s in sheets]
    if tab is not None and tab not in names:
        raise BackendError(f"{path.name} has no tab named '{tab}' (it has: {', '.join(names)})")
    name = tab or names[0]
    part = next(s.part for s in sheets if s.name == name)
    label = f"{path.name} › {name}"
    with FastWorkbook(content, path.name) as fast:
        rows = fast.grid(name).rows
    kind, index, columns = _kind_and_columns(rows, config, label)
    result = WorkbookCheck(name, kind)
    edit, named = _edit(rows, kind, index, columns)
    result.written = [f"{what} in {cell_ref(r, c)}" for (r, c), what in named.items()]
    try:
        after = patch_workbook(content, path.name, {name: edit})
    except LeadsyncError as error:
        result.refused = str(error)
        return result
    _judge(result, content, after, part, name, set(named), edit)
    return result


def _judge(
    result: WorkbookCheck,
    before: bytes,
    after: bytes,
    part: str,
    sheet: str,
    written: set[tuple[int, int]],
    edit: SheetEdit,
) -> None:
    changes = compare_packages(before, after)
    refs = {(sheet, cell_ref(r, c)) for r, c in written}
    struck = {(sheet, cell.cell) for cell in changes.cells if _row_of(cell.cell) in edit.strikes}
    for change in changes.parts:
        if change.lost_elements:
            result.unexpected.append(f"{change.part}: {change.detail}")
        elif change.part == part:
            result.expected.append(f"{change.part}: the cells written")
        elif change.part.endswith("styles.xml") and change.kind == "changed":
            result.expected.append(f"{change.part}: a struck-through or date format added")
        elif "/tables/" in change.part and change.kind == "changed":
            result.expected.append(f"{change.part}: the table grows with the appended row")
        else:
            result.unexpected.append(f"{change.part}: {change.detail}")
    for cell in changes.cells_other_than(refs | struck):
        result.unexpected.append(
            f"{cell.sheet} {cell.cell}: {_shown(cell.before)} would become {_shown(cell.after)}"
        )
    for cell in changes.cells:
        key = (cell.sheet, cell.cell)
        if key in struck and key not in refs:
            before_value = cell.before.value if cell.before else None
            after_value = cell.after.value if cell.after else None
            if before_value != after_value:
                result.unexpected.append(f"{cell.sheet} {cell.cell}: its value would change")
    with_diff = {c.part for c in changes.parts}
    package = Package(before, "before")
    try:
        result.identical_parts = sum(1 for n in package.part_names() if n not in with_diff)
    finally:
        package.close()


def _row_of(ref: str) -> int:
    digits = "".join(ch for ch in ref if ch.isdigit())
    return int(digits) if digits else 0


def _shown(info: object) -> str:
    value = getattr(info, "value", None)
    return "empty" if value is None else repr(value)
