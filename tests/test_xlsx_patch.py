"""The patching save: the written cells change, the rest of the package keeps its bytes."""

from __future__ import annotations

import zipfile
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table

import sync.xlsx_sheet_stream
from sync.errors import BackendError
from sync.xlsx_cells import serial
from sync.xlsx_package import Package
from sync.xlsx_patch import patch_workbook, read_custom_property
from sync.xlsx_sheet_patch import CellWrite, PatchRefused, SheetEdit

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "excel-corpus" / "files"


def _book(fill: Any = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Leads"
    sheet.append(["Lead ID", "Company", "Created", "Note"])
    blue = PatternFill("solid", fgColor="DDEEFF")
    for number in range(1, 4):
        sheet.append([f"L-{number:04d}", f"Firm {number}", datetime(2026, 1, number), None])
        for cell in sheet[sheet.max_row]:
            cell.fill = blue
        sheet.cell(sheet.max_row, 3).number_format = "dd/mm/yyyy"
    sheet.row_dimensions[4].height = 30
    sheet["F1"] = "kept"
    sheet["F1"].font = Font(bold=True, color="FF0000")
    if fill is not None:
        fill(workbook, sheet)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _parts(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _load(content: bytes) -> Any:
    return openpyxl.load_workbook(BytesIO(content))


def test_only_the_written_sheet_changes_and_other_cells_keep_value_and_style() -> None:
    before = _book()
    edit = SheetEdit(writes=[CellWrite(2, 4, "called twice")], last_row=4, header_row=1)
    after = patch_workbook(before, "book.xlsx", {"Leads": edit})
    old, new = _parts(before), _parts(after)
    assert list(old) == list(new)
    assert [n for n in old if old[n] != new[n]] == ["xl/worksheets/sheet1.xml"]
    sheet, original = _load(after)["Leads"], _load(before)["Leads"]
    assert sheet["D2"].value == "called twice"
    for row in original.iter_rows():
        for cell in row:
            if cell.coordinate != "D2":
                twin = sheet[cell.coordinate]
                assert (twin.value, twin.style_id) == (cell.value, cell.style_id), cell.coordinate


def test_a_written_cell_keeps_its_style() -> None:
    before = _book()
    edit = SheetEdit(writes=[CellWrite(3, 2, "Renamed firm")], last_row=4)
    sheet = _load(patch_workbook(before, "b.xlsx", {"Leads": edit}))["Leads"]
    assert sheet["B3"].value == "Renamed firm"
    assert sheet["B3"].fill.fgColor.rgb.endswith("DDEEFF")


def test_appended_rows_look_like_the_row_above_and_ranges_grow() -> None:
    def fill(workbook: Any, sheet: Any) -> None:
        rule = DataValidation(type="list", formula1='"To-do,Standby"')
        rule.add("B2:B4")
        rule.add("E1:E2")  # stops above the data's end: a person's choice
        sheet.add_data_validation(rule)
        sheet.add_table(Table(displayName="LeadTable", ref="A1:D4"))

    before = _book(fill)
    values = [{1: f"L-{n:04d}", 2: f"New {n}", 3: datetime(2026, 2, n, 9, 30)} for n in (5, 6)]
    edit = SheetEdit(appends=values, last_row=4, header_row=1)
    after = patch_workbook(before, "b.xlsx", {"Leads": edit})
    sheet = _load(after)["Leads"]
    assert [sheet.cell(r, 1).value for r in (5, 6)] == ["L-0005", "L-0006"]
    assert sheet["C6"].value == datetime(2026, 2, 6, 9, 30)
    assert sheet["C6"].number_format == "dd/mm/yyyy"  # the column's own date format
    assert sheet["D5"].fill.fgColor.rgb.endswith("DDEEFF")  # styled like row 4, though empty
    assert sheet.row_dimensions[5].height == 30
    assert sheet.dimensions == "A1:F6"
    assert sheet.tables["LeadTable"].ref == "A1:D6"
    ranges = sorted(str(r.sqref) for r in sheet.data_validations.dataValidation)
    assert ranges == ["B2:B6 E1:E2"]


def test_a_new_cell_takes_its_column_style_and_a_header_its_neighbours() -> None:
    def fill(workbook: Any, sheet: Any) -> None:
        sheet.column_dimensions["H"].font = Font(italic=True)
        sheet["A1"].font = Font(bold=True)

    before = _book(fill)
    edit = SheetEdit(
        writes=[CellWrite(3, 8, "in H"), CellWrite(1, 7, "Sync note", style_from=6)],
        last_row=4,
    )
    sheet = _load(patch_workbook(before, "b.xlsx", {"Leads": edit}))["Leads"]
    assert sheet["H3"].font.i
    assert sheet["G1"].value == "Sync note"
    assert sheet["G1"].font.b and sheet["G1"].font.color.rgb.endswith("FF0000")


def test_text_is_stored_inline_as_typed_and_shared_strings_are_untouched() -> None:
    before = _book()
    odd = ["=SUM(A1:A3)", "  padded  ", "tab\tand\nline", "bell\x07", "_x0041_ literal", "+"]
    edit = SheetEdit(writes=[CellWrite(2 + i % 3, 4 + i // 3, t) for i, t in enumerate(odd)])
    after = patch_workbook(before, "b.xlsx", {"Leads": edit})
    sheet = _load(after)["Leads"]
    got = [sheet.cell(2 + i % 3, 4 + i // 3).value for i in range(len(odd))]
    assert got[0] == "=SUM(A1:A3)" and sheet["D2"].data_type == "s"
    assert got[1:3] == odd[1:3]
    assert got[5] == "+"
    xml = _parts(after)["xl/worksheets/sheet1.xml"].decode()
    assert 't="inlineStr"' in xml
    # XML cannot carry a bell, and Excel reads _xHHHH_ as a character: both escaped its way.
    assert "<t>bell_x0007_</t>" in xml and "<t>_x005F_x0041_ literal</t>" in xml


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"Excel corpus not found at {CORPUS}")
def test_the_shared_string_table_of_an_excel_file_is_left_alone() -> None:
    before = (CORPUS / "simple07.xlsx").read_bytes()
    edit = SheetEdit(writes=[CellWrite(2, 2, "new text")], appends=[{1: "more"}], last_row=6)
    after = patch_workbook(before, "simple07.xlsx", {"Sheet1": edit})
    assert _parts(after)["xl/sharedStrings.xml"] == _parts(before)["xl/sharedStrings.xml"]
    sheet = _load(after)["Sheet1"]
    assert (sheet["B2"].value, sheet["A7"].value, sheet["A3"].value) == ("new text", "more", "NAN")


def test_strike_adds_one_struck_format_per_style_and_keeps_the_rest() -> None:
    before = _book()
    edit = SheetEdit(strikes={2, 3}, last_row=4)
    after = patch_workbook(before, "b.xlsx", {"Leads": edit})
    sheet = _load(after)["Leads"]
    assert all(sheet.cell(r, c).font.strike for r in (2, 3) for c in (1, 2, 3))
    assert sheet["B3"].fill.fgColor.rgb.endswith("DDEEFF")
    assert not sheet["A4"].font.strike and not sheet["F1"].font.strike
    assert sheet["A2"].style_id == sheet["A3"].style_id  # one added format, shared
    changed = [n for n, b in _parts(before).items() if _parts(after)[n] != b]
    assert sorted(changed) == ["xl/styles.xml", "xl/worksheets/sheet1.xml"]


@pytest.mark.parametrize("date1904", [False, True])
def test_dates_are_written_in_the_workbooks_own_date_system(date1904: bool) -> None:
    def fill(workbook: Any, sheet: Any) -> None:
        workbook.epoch = (
            openpyxl.utils.datetime.CALENDAR_MAC_1904
            if date1904
            else (openpyxl.utils.datetime.CALENDAR_WINDOWS_1900)
        )

    before = _book(fill)
    when = datetime(2026, 11, 25, 14, 30)
    edit = SheetEdit(writes=[CellWrite(2, 6, when), CellWrite(3, 6, when.date())], last_row=4)
    after = patch_workbook(before, "b.xlsx", {"Leads": edit})
    sheet = _load(after)["Leads"]
    assert sheet["F2"].value == when
    assert sheet["F3"].value == datetime(2026, 11, 25)
    assert sheet["F2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["F3"].number_format == "yyyy-mm-dd"
    xml = _parts(after)["xl/worksheets/sheet1.xml"].decode()
    assert f"<v>{serial(when.date(), date1904):g}</v>" in xml


def test_a_cell_holding_a_formula_is_refused_and_nothing_is_returned() -> None:
    def fill(workbook: Any, sheet: Any) -> None:
        sheet["D3"] = "=B3&C3"

    before = _book(fill)
    edit = SheetEdit(writes=[CellWrite(3, 4, "over it")], last_row=4)
    with pytest.raises(PatchRefused, match="D3 holds a formula"):
        patch_workbook(before, "b.xlsx", {"Leads": edit})


def test_the_issued_number_is_a_custom_property_excel_shows() -> None:
    before = _book()
    first = patch_workbook(before, "t.xlsx", {}, {"leadsync.issued_lead_number": 12})
    second = patch_workbook(first, "t.xlsx", {}, {"leadsync.issued_lead_number": 40})
    props = {p.name: p.value for p in _load(second).custom_doc_props.props}
    assert props == {"leadsync.issued_lead_number": 40}
    package = Package(second, "t.xlsx")
    assert read_custom_property(package, "leadsync.issued_lead_number") == "40"
    package.close()
    assert _parts(first)["xl/worksheets/sheet1.xml"] == _parts(before)["xl/worksheets/sheet1.xml"]


def test_rows_are_created_in_order_where_the_sheet_has_none() -> None:
    before = _book()
    edit = SheetEdit(writes=[CellWrite(9, 2, "far below"), CellWrite(7, 1, "between")])
    after = patch_workbook(before, "b.xlsx", {"Leads": edit})
    xml = _parts(after)["xl/worksheets/sheet1.xml"].decode()
    numbers = [int(n) for n in __import__("re").findall(r'<row r="(\d+)"', xml)]
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers))
    sheet = _load(after)["Leads"]
    assert (sheet["A7"].value, sheet["B9"].value) == ("between", "far below")


def test_a_file_that_is_not_a_workbook_is_refused_clearly() -> None:
    with pytest.raises(BackendError, match=r"could not be opened as an Excel workbook"):
        patch_workbook(b"not a zip", "notes.xlsx", {})


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"Excel corpus not found at {CORPUS}")
def test_vba_buttons_and_drawings_of_excel_files_keep_their_bytes() -> None:
    for name in ("button07.xlsm", "textbox09.xlsx", "embed_image02.xlsx", "comment05.xlsx"):
        before = (CORPUS / name).read_bytes()
        sheet = next(s for s in Package(before, name).sheets() if s.is_worksheet)
        edit = SheetEdit(writes=[CellWrite(30, 30, "leadsync")], appends=[{1: "x"}], last_row=40)
        after = patch_workbook(before, name, {sheet.name: edit})
        old, new = _parts(before), _parts(after)
        assert list(old) == list(new), name
        assert [n for n in old if old[n] != new[n]] == [sheet.part], name


def test_a_long_sheet_streams_through_in_windows_and_only_its_edited_rows_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def many_rows(workbook: Any, sheet: Any) -> None:
        for number in range(5, 801):
            sheet.append([f"L-{number:04d}", f"Firm {number}", None, f"note {number}"])

    before = _book(many_rows)
    edit = SheetEdit(
        writes=[CellWrite(7, 4, "first"), CellWrite(400, 5, "middle"), CellWrite(800, 4, "last")],
        strikes={50, 640},
        appends=[{1: "L-0801", 2: "Appended"}, {1: "L-0802", 2: "Also appended"}],
        last_row=800,
        header_row=1,
    )
    whole = patch_workbook(before, "b.xlsx", {"Leads": edit})
    monkeypatch.setattr(sync.xlsx_sheet_stream, "WINDOW", 1_000)  # some 30 rows a window
    windowed = patch_workbook(before, "b.xlsx", {"Leads": edit})
    assert _parts(windowed) == _parts(whole)
    sheet, original = _load(windowed)["Leads"], _load(before)["Leads"]
    assert (sheet["D7"].value, sheet["E400"].value, sheet["D800"].value) == (
        "first",
        "middle",
        "last",
    )
    assert sheet["B50"].font.strike and sheet["B640"].font.strike
    assert not sheet["B51"].font.strike
    assert [c.value for c in sheet[801]][:2] == ["L-0801", "Appended"]
    assert [c.value for c in sheet[802]][:2] == ["L-0802", "Also appended"]
    changed = {(7, 4), (400, 5), (800, 4)}
    for row in original.iter_rows(max_row=800):
        for cell in row:
            if (cell.row, cell.column) not in changed:
                assert sheet[cell.coordinate].value == cell.value, cell.coordinate
