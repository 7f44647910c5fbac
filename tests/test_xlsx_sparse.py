"""The sparse read (sync/xlsx_sparse.py) keeps exactly the rows it should, with exactly the
values the full reader (itself checked against openpyxl in test_xlsx_read.py) gives them."""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from factories import Cli
from test_xlsx_read import _corpus, _every_kind, _raw_workbook

import sync.xlsx_sparse
from sync.config import Config, parse_config
from sync.errors import BackendError
from sync.headers import TabKind
from sync.layout import HEADER_SEARCH_ROWS
from sync.snapshot import CellValue
from sync.templates import build_prospecting_workbook, build_tracker_workbook
from sync.xlsx_backend import XlsxBackend
from sync.xlsx_read import FastWorkbook
from sync.xlsx_sparse import NotSparse, SparseGrid, sparse_grid

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:openpyxl")


def _trimmed(cells: Sequence[CellValue]) -> list[CellValue]:
    values = list(cells)
    while values and values[-1] is None:
        values.pop()
    return values


def _assert_sparse_matches_full(
    book: FastWorkbook, sheet: str, head: int, columns: set[int]
) -> SparseGrid:
    """The sparse grid holds the first `head` rows and every row with a value in `columns`,
    each as the full grid has it, and ends no earlier than the full grid's last value."""
    sparse = sparse_grid(book, sheet, head, lambda rows: columns)
    full = book.grid(sheet)
    for number, cells in enumerate(full.rows, start=1):
        wanted = number <= head or any(c is not None for c in cells[: max(columns)])
        if number in sparse.rows:
            assert _trimmed(sparse.rows[number]) == _trimmed(cells), f"{sheet} row {number}"
            assert [type(v) for v in sparse.rows[number]] == [type(v) for v in _trimmed(cells)]
        elif wanted:
            assert not _trimmed(cells), f"{sheet} row {number} was left out"
    filled = [
        (number, len(_trimmed([None if c == "" else c for c in cells])))
        for number, cells in enumerate(full.rows, start=1)
    ]
    assert sparse.last_row >= max((n for n, width in filled if width), default=0)
    assert sparse.last_column >= max((width for _n, width in filled), default=0)
    assert sparse.unresolved <= full.unresolved
    return sparse


@pytest.mark.parametrize("path", list(_corpus()))
def test_corpus_rows_read_sparse_as_in_full(path: Path) -> None:
    with FastWorkbook(path.read_bytes(), path.name) as book:
        for sheet in book.sheet_names:
            try:
                book.worksheet_part(sheet)
            except BackendError:
                continue  # a chart sheet
            _assert_sparse_matches_full(book, sheet, 3, {1, 2})


@pytest.mark.parametrize("date1904", [False, True], ids=["1900", "1904"])
def test_every_kind_of_value_reads_as_in_full(date1904: bool) -> None:
    with FastWorkbook(_every_kind(date1904), "every.xlsx") as book:
        sparse = _assert_sparse_matches_full(book, "Prospects", 3, {10})
        # Row 4 stores a value in J, row 6 none (an empty row), row 5 a formula never calculated.
        assert {4, 5} <= set(sparse.rows)
        assert 6 not in sparse.rows
        assert (5, 10) in sparse.unresolved


def _shared_string_book(rows: int, flagged: set[int]) -> bytes:
    """A prospecting tab as Excel stores it: every text in the shared-string table."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Prospects")
    sheet.write_row(0, 0, ["Flag", "Company", "Email", "Lead", "Sync note"])
    for number in range(2, rows + 1):
        sheet.write_string(number - 1, 1, f"Company {number}")
        sheet.write_string(number - 1, 2, f"person{number}@example.com")
        if number in flagged:
            sheet.write_string(number - 1, 0, "+")
    book.close()
    return buffer.getvalue()


def test_only_the_shared_strings_of_kept_rows_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    content = _shared_string_book(2_000, {17, 950, 1999})
    kept_strings: list[int] = []
    original = sync.xlsx_sparse._shared_strings

    def spy(book: FastWorkbook, wanted: set[int]) -> dict[int, str]:
        found = original(book, wanted)
        kept_strings.append(len(found))
        return found

    monkeypatch.setattr(sync.xlsx_sparse, "_shared_strings", spy)
    with FastWorkbook(content, "prospects.xlsx") as book:
        sparse = _assert_sparse_matches_full(book, "Prospects", 1, {1})
    assert sorted(sparse.rows) == [1, 17, 950, 1999]
    assert sparse.rows[950][:3] == ("+", "Company 950", "person950@example.com")
    assert (sparse.last_row, sparse.last_column) == (2_000, 5)
    # The table holds about 4,000 strings; a few cells' worth were kept.
    assert max(kept_strings) <= 3 * 5


@pytest.mark.parametrize(
    "rows",
    [
        '<row r="1"><c t="inlineStr"><is><t>Flag</t></is></c></row>',  # a cell without r
        '<row r="1"><c s="0" r="A1" t="inlineStr"><is><t>Flag</t></is></c></row>',  # r second
        '<row r="1"><c\nr="A1" t="inlineStr"><is><t>Flag</t></is></c></row>',  # a line break
        '<row><c r="A1" t="inlineStr"><is><t>Flag</t></is></c></row>',  # a row without r
        "<row r='1'><c r='A1' t='inlineStr'><is><t>Flag</t></is></c></row>",  # single quotes
    ],
    ids=["no-reference", "reference-second", "line-break", "row-without-r", "single-quotes"],
)
def test_what_the_searches_cannot_vouch_for_is_not_read_sparse(rows: str) -> None:
    with FastWorkbook(_raw_workbook(rows), "odd.xlsx") as book, pytest.raises(NotSparse):
        sparse_grid(book, "S", 3, lambda head: {1})


def test_an_empty_tab_still_has_its_headers_checked() -> None:
    seen: list[list[Sequence[CellValue]]] = []

    def choose(head: Sequence[Sequence[CellValue]]) -> Collection[int]:
        seen.append(list(head))
        return {1}

    with FastWorkbook(_raw_workbook(""), "empty.xlsx") as book:
        grid = sparse_grid(book, "S", 3, choose)
    assert grid == SparseGrid({}, 0, 0, frozenset(), frozenset())
    assert seen == [[(), (), ()]]


# ---- through the backend -----------------------------------------------------------------


def _config(folder: Path) -> Config:
    return parse_config(
        {
            "default_owner": "Anna",
            "tracker": {"path": "leads.xlsx"},
            "prospecting": [{"path": "prospects.xlsx"}],
        },
        folder,
    )


def _prospects(folder: Path, rows: list[dict[str, object]]) -> None:
    build_prospecting_workbook(folder / "prospects.xlsx", rows)
    build_tracker_workbook(folder / "leads.xlsx", [])


def test_a_pass_reads_only_the_rows_it_acts_on(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [{"company": f"Cold {n}"} for n in range(300)]
    rows[10] = {"company": "Flagged", "flag": "+"}
    rows[20] = {"company": "Struck", "flag": "x"}
    rows[30] = {"company": "Linked", "flag": "✓", "lead": "L-0001"}
    rows[40] = {"company": "Noted", "sync_note": "⚠ old note"}
    _prospects(tmp_path, rows)
    backend = XlsxBackend(_config(tmp_path))
    with backend.session(write=False):
        snapshot = backend.read()
    (tab,) = snapshot.prospects
    assert tab.kind is TabKind.PROSPECTS
    # The rows where headers may be are read whole; past them, only the rows acted on.
    past_head = [r for r in tab.rows if r.number > HEADER_SEARCH_ROWS]
    assert [r.text("company") for r in past_head] == ["Flagged", "Struck", "Linked", "Noted"]
    assert [r.number for r in past_head] == [12, 22, 32, 42]


def test_a_missing_column_goes_right_of_a_value_on_a_row_not_read(tmp_path: Path, cli: Cli) -> None:
    _prospects(tmp_path, [{"company": "Acme", "flag": "+"}, {"company": "Cold"}])
    path = tmp_path / "prospects.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["Prospects"]
    headers = [c.value for c in sheet[1]]
    sheet.delete_cols(headers.index("Sync note") + 1)
    far = sheet.max_column + 3
    sheet.cell(3, far, "a person's own remark")  # on the cold row, which the pass skips
    book.save(path)
    (tmp_path / "leadsync.toml").write_text(
        'default_owner = "Anna"\n[tracker]\npath = "leads.xlsx"\n'
        '[[prospecting]]\npath = "prospects.xlsx"\n',
        encoding="utf-8",
    )
    result = cli("sync", "--config", str(tmp_path / "leadsync.toml"))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(path)["Prospects"]
    assert sheet.cell(3, far).value == "a person's own remark"
    assert sheet.cell(1, far + 1).value == "Sync note"
    assert sheet.cell(2, 1).value == "✓"
