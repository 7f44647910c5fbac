"""Every workbook Excel saved in the corpus takes leadsync's writes and loses nothing.

For each file: write into the first worksheet an existing empty cell, a cell of a new column
and three appended rows, the way a pass writes (sync/xlsx_patch.py). Then the package is
compared part by part with the original (the comparison `leadsync doctor --workbook` uses),
and the written values are read back by openpyxl, by the fast reader, and by LibreOffice.
The folder is ../shared/excel-corpus/files, or LEADSYNC_EXCEL_CORPUS.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from libreoffice import MISSING, SOFFICE, cell, sheets_as_shown

import sync.xlsx_sheet_stream
from sync.package_diff import CellInfo, compare_packages, read_cells
from sync.snapshot import CellValue
from sync.xlsx_cells import cell_ref, split_ref
from sync.xlsx_package import Package
from sync.xlsx_patch import patch_workbook
from sync.xlsx_read import FastWorkbook
from sync.xlsx_sheet_patch import CellWrite, SheetEdit

CORPUS = Path(
    os.environ.get(
        "LEADSYNC_EXCEL_CORPUS",
        Path(__file__).resolve().parents[2] / "shared" / "excel-corpus" / "files",
    )
)
FILES = sorted(p for p in CORPUS.glob("*.xls[xm]")) if CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason=f"no Excel corpus at {CORPUS}")


@dataclass(frozen=True)
class Written:
    sheet: str
    part: str
    values: dict[tuple[int, int], str | int]  # (row, column) -> what was written
    last_row: int  # appended rows come after it


def _plan(content: bytes, name: str) -> tuple[SheetEdit, Written]:
    package = Package(content, name)
    try:
        sheet = next(s for s in package.sheets() if s.is_worksheet)
    finally:
        package.close()
    cells = read_cells(content, sheet.name)
    filled = [
        split_ref(ref) for ref, info in cells.items() if info.value is not None or info.formula
    ]
    last_row = max((r for r, _ in filled), default=0)
    last_column = max((c for _, c in filled), default=0)
    taken = set(filled)
    empty = next(
        (
            (r, c)
            for r in range(1, last_row + 1)
            for c in range(1, last_column + 1)
            if (r, c) not in taken
        ),
        (1, 1) if not taken else (1, last_column + 2),
    )
    new_column = last_column + 1 if empty[1] != last_column + 1 else last_column + 3
    values: dict[tuple[int, int], str | int] = {
        empty: "written by leadsync",
        (1, new_column): "Sync note",
    }
    writes = [CellWrite(r, c, v) for (r, c), v in values.items()]
    base = max(last_row, 1)  # an empty sheet gets its rows under the cells written in row 1
    appends: list[dict[int, CellValue]] = []
    for offset in range(1, 4):
        row: dict[int, str | int] = {1: f"L-{offset:04d}", 2: 1000 + offset}
        appends.append(dict(row))
        values |= {(base + offset, c): v for c, v in row.items()}
    edit = SheetEdit(writes=writes, appends=appends, last_row=base, header_row=1)
    return edit, Written(sheet.name, sheet.part, values, base)


def _row(ref: str) -> int:
    return split_ref(ref)[0]


def _empty(info: CellInfo | None) -> bool:
    return info is None or (info.value is None and info.formula is None)


def _info_matches(info: CellInfo | None, expected: str | int) -> bool:
    return info is not None and info.value == str(expected)


@pytest.fixture(scope="module")
def patched(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, bytes, Written]]:
    folder = tmp_path_factory.mktemp("corpus")
    done = {}
    for path in FILES:
        before = path.read_bytes()
        edit, written = _plan(before, path.name)
        after = patch_workbook(before, path.name, {written.sheet: edit})
        (folder / path.name).write_bytes(after)
        done[path.name] = (before, after, written)
    return done


@pytest.mark.parametrize("name", [p.name for p in FILES])
def test_only_the_written_cells_change(
    name: str, patched: dict[str, tuple[bytes, bytes, Written]]
) -> None:
    before, after, written = patched[name]
    changes = compare_packages(before, after)
    tables = {p.part for p in changes.parts if "/tables/" in p.part}
    others = changes.parts_other_than({written.part, *tables})
    assert not others, [p.detail for p in others]
    for part in changes.parts:
        assert part.kind == "changed" and not part.lost_elements, part.detail
    refs = {(written.sheet, cell_ref(r, c)) for r, c in written.values}
    appended = {r for r, _c in written.values if r > written.last_row}
    others = [
        change
        for change in changes.cells_other_than(refs)
        # An appended row takes the styles of the row above: new empty cells, styled.
        if not (_row(change.cell) in appended and change.before is None and _empty(change.after))
    ]
    assert not others, others
    cells = read_cells(after, written.sheet)
    for (row, column), value in written.values.items():
        assert _info_matches(cells.get(cell_ref(row, column)), value), (row, column)


@pytest.mark.parametrize("name", [p.name for p in FILES])
def test_openpyxl_and_the_fast_reader_read_the_written_values(
    name: str, patched: dict[str, tuple[bytes, bytes, Written]]
) -> None:
    _before, after, written = patched[name]
    sheet = openpyxl.load_workbook(BytesIO(after))[written.sheet]
    with FastWorkbook(after, name) as fast:
        grid = fast.grid(written.sheet)
    for (row, column), value in written.values.items():
        assert sheet.cell(row, column).value == value
        assert grid.rows[row - 1][column - 1] == value


@pytest.mark.skipif(SOFFICE is None, reason=MISSING)
def test_libreoffice_opens_every_patched_workbook_and_shows_the_written_values(
    patched: dict[str, tuple[bytes, bytes, Written]], tmp_path: Path
) -> None:
    paths = []
    for name, (_before, after, _written) in patched.items():
        path = tmp_path / name
        path.write_bytes(after)
        paths.append(path)
    shown = sheets_as_shown(paths)
    wrong = []
    for name, (_before, _after, written) in patched.items():
        rows = shown.get((Path(name).stem, written.sheet))
        if rows is None:
            wrong.append(f"{name}: LibreOffice did not open sheet {written.sheet}")
            continue
        for (row, column), value in written.values.items():
            if cell(rows, row, column) != str(value):
                wrong.append(f"{name} {cell_ref(row, column)}: {cell(rows, row, column)!r}")
    assert not wrong, wrong


@pytest.mark.parametrize("name", [p.name for p in FILES])
def test_the_sheet_patched_a_few_bytes_at_a_time_comes_out_the_same(
    name: str,
    patched: dict[str, tuple[bytes, bytes, Written]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The part streams through in windows of whole rows; where the windows end (here after
    every few bytes read, so tags and rows are cut anywhere) must not change what is written."""
    before, after, written = patched[name]
    edit, _ = _plan(before, name)
    monkeypatch.setattr(sync.xlsx_sheet_stream, "WINDOW", 61)
    small = patch_workbook(before, name, {written.sheet: edit})
    assert _part(small, written.part) == _part(after, written.part)


def _part(content: bytes, part: str) -> bytes:
    package = Package(content, "book.xlsx")
    try:
        return package.read(part)
    finally:
        package.close()
