"""The harness behind the Excel button tests (xlwings_remote) is faithful, not an echo.

Code run through it reads what the file holds, as openpyxl reads it; what the code writes lands
in the file as Excel would put it there (text typed in is read as Excel reads it), and nothing
else in the file changes. What Excel would only show or run comes back instead of being applied.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from datetime import date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.cell import coordinate_to_tuple
from xlwings_remote import (
    AmbiguousTextError,
    UncachedFormulaError,
    UnsupportedActionError,
    apply_actions,
    book_payload,
    count_actions_per_sheet,
    run_in_book,
    typed_input,
)

from sync.xlsm_template import build_buttons_workbook

CORPUS = Path(
    os.environ.get(
        "LEADSYNC_EXCEL_CORPUS",
        Path(__file__).resolve().parents[2] / "shared" / "excel-corpus" / "files",
    )
)
MACRO_WORKBOOK = CORPUS / "macro01.xlsm"
VBA_PART = "xl/vbaProject.bin"


def workbook(tmp_path: Path) -> Path:
    """Text, numbers, a date, a date with a time, booleans, a gap; a second tab."""
    book = openpyxl.Workbook()
    x = book.active
    x.title = "X"
    x.append(["Company", "Amount", "Since", "Active", "Note"])
    x.append(["Rossi Srl", 1200, date(2025, 3, 14), True, None])
    x.append(["Bianchi SpA", 99.5, datetime(2024, 12, 1, 9, 30), False, "call back"])
    x["A5"] = "0042"  # text that looks like a number
    y = book.create_sheet("Y")
    y["B2"] = "elsewhere"
    path = tmp_path / "Book.xlsx"
    book.save(path)
    return path


def grid(path: Path, tab: str) -> list[list[Any]]:
    """The tab's values from A1 to its last cell, formulas as their saved results."""
    sheet = openpyxl.load_workbook(path, data_only=True)[tab]
    rows = sheet.iter_rows(min_row=1, min_col=1, max_row=sheet.max_row, max_col=sheet.max_column)
    return [[cell.value for cell in row] for row in rows]


def set_values(sheet: int, cell: str, values: list[list[Any]]) -> dict[str, Any]:
    """A setValues action as the engine writes it."""
    row, column = coordinate_to_tuple(cell)
    return {
        "func": "setValues",
        "args": [None],
        "values": values,
        "sheet_position": sheet,
        "start_row": row - 1,
        "start_column": column - 1,
        "row_count": len(values),
        "column_count": len(values[0]),
    }


def test_the_payload_is_what_the_office_scripts_client_sends(tmp_path: Path) -> None:
    payload = book_payload(workbook(tmp_path), active_sheet="Y", selection="B2:C3")
    assert (payload["client"], payload["version"]) == (
        "Microsoft Office Scripts",
        version("xlwings"),
    )
    assert payload["book"] == {"name": "Book.xlsx", "active_sheet_index": 1, "selection": "B2:C3"}
    x, y = payload["sheets"]
    assert x["values"][1] == ["Rossi Srl", 1200, "2025-03-14T00:00:00.000Z", True, ""]
    assert x["values"][2][2] == "2024-12-01T09:30:00.000Z"
    assert x["values"][3] == [""] * 5 and x["values"][4][0] == "0042"
    assert (x["used_range_address"], y["used_range_address"]) == ("A1:E5", "B2")
    assert y["values"] == [["", ""], ["", "elsewhere"]]


def test_code_reads_the_values_openpyxl_reads(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    seen: dict[str, Any] = {}

    def entry(book: Any) -> None:
        seen["X"] = book.sheets["X"].used_range.value
        seen["Y"] = book.sheets["Y"].used_range.address

    run_in_book(path, entry)
    assert seen["X"] == grid(path, "X")
    assert seen["X"][1][2] == datetime(2025, 3, 14) and seen["X"][4][0] == "0042"
    assert seen["Y"] == "$B$2"  # where the data is, as desktop Excel reports it


def test_a_block_written_is_one_action_and_changes_only_its_cells(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    expected, other_tab = grid(path, "X"), grid(path, "Y")

    def entry(book: Any) -> None:
        book.sheets["X"].range("B3").value = [[7, "'Verdi"], [8.25, date(2026, 1, 2)]]

    run = run_in_book(path, entry)
    assert [action["func"] for action in run.actions] == ["setValues"]
    assert count_actions_per_sheet(run.actions) == {0: 1}
    expected[2][1:3] = [7, "Verdi"]
    expected[3][1:3] = [8.25, datetime(2026, 1, 2)]
    assert grid(path, "X") == expected
    assert grid(path, "Y") == other_tab


def test_an_apostrophe_keeps_text_and_other_text_is_read_as_excel_reads_it(
    tmp_path: Path,
) -> None:
    path = workbook(tmp_path)

    def entry(book: Any) -> None:
        book.sheets["Y"].range("A1").value = [["=1+1", "'=1+1", "'00123", "00123", "'+", "TRUE"]]

    run_in_book(path, entry)
    cells = openpyxl.load_workbook(path)["Y"]["A1:F1"][0]
    assert [(cell.value, cell.data_type) for cell in cells] == [
        ("=1+1", "f"),
        ("=1+1", "s"),
        ("00123", "s"),
        (123, "n"),
        ("+", "s"),
        (True, "b"),
    ]
    assert cells[1].quotePrefix and not cells[0].quotePrefix


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("42", 42),
        ("-3.5", -3.5),
        ("007", 7),
        ("false", False),
        ("2026-01-02", date(2026, 1, 2)),  # how xlwings sends a date
        ("2026-01-02 03:04:05", datetime(2026, 1, 2, 3, 4, 5)),  # ... and a date with a time
        ("Call on 3 May", "Call on 3 May"),
        ("May", "May"),
        ("", None),
    ],
)
def test_typed_input_is_what_excel_stores(text: str, stored: object) -> None:
    assert typed_input(text) == stored
    assert type(typed_input(text)) is type(stored)


@pytest.mark.parametrize(
    "text", ["+39 02 1234", "-", "=", "@home", "5%", "1/2", "3:30", "1,000", "3 May", "Jan-26"]
)
def test_text_excel_might_read_otherwise_is_refused(text: str) -> None:
    with pytest.raises(AmbiguousTextError):
        typed_input(text)


def test_a_refused_write_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    before = path.read_bytes()

    def entry(book: Any) -> None:
        book.sheets["X"].range("B2").value = [[1, "+39 02 1234"]]

    with pytest.raises(AmbiguousTextError):
        run_in_book(path, entry)
    assert path.read_bytes() == before


def test_an_alert_is_returned_not_applied(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    before = path.read_bytes()
    run = run_in_book(path, lambda book: book.app.alert("hi"))
    assert run.messages == ["hi"] and run.actions == run.alerts == run.unapplied
    assert count_actions_per_sheet(run.actions) == {}
    assert path.read_bytes() == before


def test_a_macro_call_is_returned_not_applied(tmp_path: Path) -> None:
    run = run_in_book(workbook(tmp_path), lambda book: book.macro("Refresh")(1))
    expected = [("runMacro", ["'Book.xlsx'!Refresh", 1])]  # xlwings names the book
    assert [(a["func"], a["args"]) for a in run.unapplied] == expected
    assert run.alerts == []


def test_the_selection_is_the_one_given_on_the_tab_given(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    seen: dict[str, Any] = {}

    def entry(book: Any) -> None:
        selection = book.selection
        seen.update(address=selection.address, tab=selection.sheet.name)
        seen.update(app=book.app.selection.address, active=book.sheets.active.name)

    run_in_book(path, entry, active_sheet="Y", selection="A5:C7")
    assert seen == {"address": "$A$5:$C$7", "tab": "Y", "app": "$A$5:$C$7", "active": "Y"}
    run_in_book(path, entry)
    assert seen == {"address": "$A$1", "tab": "X", "app": "$A$1", "active": "X"}


def test_new_tabs_renames_and_simple_formats_land_in_the_file(tmp_path: Path) -> None:
    path = workbook(tmp_path)

    def entry(book: Any) -> None:
        tab = book.sheets.add("Z", after=book.sheets["Y"])
        tab["A1"].value = [["Total", 3.5]]
        tab["A1"].font.bold = True
        tab["B1"].number_format = "0.00"
        tab["B1"].color = (255, 230, 153)
        book.sheets["Y"].name = "Why"

    run = run_in_book(path, entry)
    assert count_actions_per_sheet(run.actions) == {2: 4, 1: 1}  # addSheet is book-wide
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["X", "Why", "Z"]
    z = book["Z"]
    assert (z["A1"].value, z["B1"].value) == ("Total", 3.5)
    assert z["A1"].font.b and not z["B1"].font.b
    assert z["B1"].number_format == "0.00" and z["B1"].fill.fgColor.rgb == "FFFFE699"
    assert book["Why"]["B2"].value == "elsewhere"


def test_an_action_the_harness_does_not_apply_fails_loudly(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    before = path.read_bytes()

    def entry(book: Any) -> None:
        book.sheets["X"].range("A1").value = "changed"
        book.sheets["X"].range("A1").column_width = 30

    with pytest.raises(UnsupportedActionError, match="setColumnWidth"):
        run_in_book(path, entry)
    assert path.read_bytes() == before  # not even the write before it


def test_what_this_engine_does_not_support(tmp_path: Path) -> None:
    # The live-workbook backend and the buttons step around both of these.
    def entry(book: Any) -> None:
        with pytest.raises(NotImplementedError, match="status_bar"):
            book.app.status_bar = "working"
        with pytest.raises(NotImplementedError, match="formulas"):
            _ = book.sheets["X"].range("A1").formula

    run_in_book(workbook(tmp_path), entry)


def test_a_formula_without_a_saved_result_is_refused_unless_asked(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    apply_actions(path, [set_values(1, "A1", [["=1+1"]])])  # openpyxl saves no result
    with pytest.raises(UncachedFormulaError, match="Y!A1"):
        book_payload(path)
    payload = book_payload(path, uncached_formulas="empty")
    assert payload["sheets"][1]["values"][0][0] == ""


@pytest.mark.parametrize(
    "name", ["tutorial02.xlsx", "table05.xlsx", "defined_name02.xlsx", "date_1904_01.xlsx"]
)
def test_workbooks_saved_by_excel_read_as_openpyxl_reads_them(name: str, tmp_path: Path) -> None:
    if not (CORPUS / name).is_file():
        pytest.skip(f"no {CORPUS / name} (set LEADSYNC_EXCEL_CORPUS to the corpus folder)")
    path = tmp_path / name
    shutil.copy(CORPUS / name, path)
    expected = grid(path, openpyxl.load_workbook(path).sheetnames[0])
    seen: list[Any] = []

    def entry(book: Any) -> None:
        last = book.sheets[0].used_range.last_cell
        seen.append(book.sheets[0].range((1, 1), (last.row, last.column)).options(ndim=2).value)

    run_in_book(path, entry)
    assert seen == [expected]


def test_names_and_tables_resolve_as_in_excel(tmp_path: Path) -> None:
    names, tables = CORPUS / "defined_name02.xlsx", CORPUS / "table05.xlsx"
    if not (names.is_file() and tables.is_file()):
        pytest.skip(f"no corpus at {CORPUS} (set LEADSYNC_EXCEL_CORPUS to the corpus folder)")
    seen: list[str] = []
    for source, reference in ((names, "Sales"), (tables, "Table1")):
        path = tmp_path / source.name
        shutil.copy(source, path)
        run_in_book(path, lambda book, ref=reference: seen.append(book.sheets[0][ref].address))
    assert seen == ["$G$1:$H$10", "$C$4:$F$13"]  # a table by name is its data body


@pytest.mark.skipif(
    not MACRO_WORKBOOK.is_file(),
    reason=f"no {MACRO_WORKBOOK} (set LEADSYNC_EXCEL_CORPUS to the corpus folder)",
)
def test_a_macro_workbook_keeps_its_vba_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / MACRO_WORKBOOK.name
    shutil.copy(MACRO_WORKBOOK, path)

    def entry(book: Any) -> None:
        book.sheets[0].range("C3").value = [["'written", 5]]

    run_in_book(path, entry)
    with zipfile.ZipFile(MACRO_WORKBOOK) as before, zipfile.ZipFile(path) as after:
        assert after.read(VBA_PART) == before.read(VBA_PART)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert (sheet["A1"].value, sheet["C3"].value, sheet["D3"].value) == (123, "written", 5)


def test_the_buttons_workbook_keeps_its_vba_and_buttons_through_the_harness(
    tmp_path: Path,
) -> None:
    # The harness saves with openpyxl, which keeps an .xlsm's VBA and legacy (VML) drawings; a
    # button test on the real template must not pass on a file that lost its buttons.
    path = tmp_path / "prospecting.xlsm"
    build_buttons_workbook(path, prospects=[{"flag": "+", "company": "Acme Inc"}])
    with zipfile.ZipFile(path) as built:
        kept = {n: built.read(n) for n in built.namelist() if n.endswith((".bin", ".vml"))}
    seen: list[str] = []

    def entry(book: Any) -> None:
        seen.extend(sheet.name for sheet in book.sheets)
        book.sheets["Prospects"].range("C3").value = [["'Mario Rossi"]]

    run_in_book(path, entry)
    assert seen == ["Prospects", "Leads", "Clients", "xlwings.conf"]
    assert set(kept) == {VBA_PART, "xl/drawings/vmlDrawing1.vml", "xl/drawings/vmlDrawing2.vml"}
    with zipfile.ZipFile(path) as after:
        assert {n: after.read(n) for n in kept} == kept
        assert b"<legacyDrawing" in after.read("xl/worksheets/sheet1.xml")
    assert openpyxl.load_workbook(path)["Prospects"]["C3"].value == "Mario Rossi"
