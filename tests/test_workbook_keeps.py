"""A pass changes values in a person's workbook, not the rest of what they built there."""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from factories import read_records
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

import sync
from sync.config import parse_config
from sync.headers import TabKind
from sync.templates import build_tracker_workbook

CORPUS = Path(
    os.environ.get(
        "LEADSYNC_EXCEL_CORPUS",
        Path(__file__).resolve().parents[2] / "shared" / "excel-corpus" / "files",
    )
)
MACRO_WORKBOOK = CORPUS / "macro01.xlsm"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _dress_up(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    """What a salesperson adds to their own sheet: widths, a rule, a dropdown, colours."""
    sheet.append(["Flag", "Company", "Stage", "Lead", "Sync note"])
    sheet.append(["+", "Acme Inc", "hot"])
    sheet.append([None, "Bianchi SpA", "cold"])
    sheet.column_dimensions["B"].width = 41.5
    red = PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE")
    sheet.conditional_formatting.add(
        "C2:C500", CellIsRule(operator="equal", formula=['"hot"'], fill=red)
    )
    stages = DataValidation(type="list", formula1='"hot,warm,cold"', allow_blank=True)
    stages.add("C2:C500")
    sheet.add_data_validation(stages)
    sheet["C3"].fill = red


def _run(folder: Path, prospects: Path) -> sync.Report:
    build_tracker_workbook(folder / "leads.xlsx")
    config = parse_config(
        {
            "default_owner": "Giulia",
            "tracker": {"path": "leads.xlsx"},
            "prospecting": [{"path": prospects.name, "tabs": ["Prospects"]}],
        },
        folder,
    )
    return sync.run(config, now=NOW)


def _assert_dress_kept(path: Path) -> None:
    sheet = openpyxl.load_workbook(path)["Prospects"]
    assert sheet["D2"].value == "L-0001" and sheet["A2"].value == "✓"
    assert sheet.column_dimensions["B"].width == 41.5
    rules = list(sheet.conditional_formatting)
    assert [str(r.sqref) for r in rules] == ["C2:C500"]
    assert rules[0].rules[0].formula == ['"hot"']
    (validation,) = sheet.data_validations.dataValidation
    assert validation.formula1 == '"hot,warm,cold"' and str(validation.sqref) == "C2:C500"
    assert sheet["C3"].fill.start_color.rgb == "00FFC7CE"
    assert sheet["B3"].value == "Bianchi SpA" and sheet["C2"].value == "hot"


def test_formatting_widths_validation_and_conditional_formats_survive(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Prospects"
    _dress_up(workbook.active)
    workbook.save(tmp_path / "prospects.xlsx")
    assert _run(tmp_path, tmp_path / "prospects.xlsx").plan.counts.leads_created == 1
    _assert_dress_kept(tmp_path / "prospects.xlsx")


@pytest.mark.skipif(not MACRO_WORKBOOK.exists(), reason=f"Excel corpus not found at {CORPUS}")
def test_vba_project_of_an_xlsm_survives_byte_for_byte(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(MACRO_WORKBOOK, keep_vba=True)
    workbook.active.title = "Prospects"
    workbook.active.delete_rows(1, workbook.active.max_row)
    _dress_up(workbook.active)
    prospects = tmp_path / "prospects.xlsm"
    workbook.save(prospects)
    with zipfile.ZipFile(MACRO_WORKBOOK) as original:
        vba = original.read("xl/vbaProject.bin")

    assert _run(tmp_path, prospects).plan.counts.leads_created == 1

    with zipfile.ZipFile(prospects) as saved:
        assert saved.read("xl/vbaProject.bin") == vba
        types = saved.read("[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    _assert_dress_kept(prospects)


def _logo_png() -> bytes:
    """A 2x2 PNG, made here so the test needs no picture file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = b"".join(b"\x00" + b"\xff\x80\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def _dressed_by_xlsxwriter(path: Path) -> None:
    """A prospect list as people make them: a logo, instructions in a text box, a button, a
    comment. XlsxWriter writes these the way Excel does; openpyxl alone would drop the first
    three on save."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    for column, title in enumerate(["Flag", "Company", "Stage", "Lead", "Sync note"]):
        sheet.write(0, column, title)
    sheet.write_row(1, 0, ["+", "Acme Inc", "hot"])
    sheet.write_row(2, 0, ["", "Bianchi SpA", "cold"])
    sheet.write_row(3, 0, ["+", "Costa Srl", "warm"])
    sheet.insert_image("G1", "logo.png", {"image_data": BytesIO(_logo_png())})
    sheet.insert_textbox("G5", "Type + in Flag to make a lead", {"width": 240, "height": 60})
    sheet.insert_button("G10", {"macro": "SyncNow", "caption": "Sync now"})
    sheet.write_comment("B2", "Met them at the fair")
    book.close()


def _drawing_census(path: Path) -> dict[str, int]:
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
        text = "".join(
            package.read(n).decode("utf-8", "replace")
            for n in names
            if n.startswith("xl/drawings/") or n.startswith("xl/comments")
        )
    return {
        "images": sum(n.startswith("xl/media/") for n in names),
        "pictures": text.count("<xdr:pic>"),
        "text boxes": text.count('txBox="1"'),
        "buttons": text.count('ObjectType="Button"'),
        "notes": text.count('ObjectType="Note"'),
        "comments": text.count("<comment "),
    }


def test_logo_text_box_button_and_comment_survive_plus_sync_sync(tmp_path: Path) -> None:
    prospects = tmp_path / "prospects.xlsx"
    _dressed_by_xlsxwriter(prospects)
    before = _drawing_census(prospects)
    assert all(before.values()), before  # the workbook holds one of each to begin with
    with zipfile.ZipFile(prospects) as package:
        kept = {n: package.read(n) for n in package.namelist() if "sheet1.xml" not in n}

    first = _run(tmp_path, prospects)
    config = parse_config(
        {
            "default_owner": "Giulia",
            "tracker": {"path": "leads.xlsx"},
            "prospecting": [{"path": prospects.name, "tabs": ["Prospects"]}],
        },
        tmp_path,
    )
    second = sync.run(config, now=NOW)

    assert first.plan.counts.leads_created == 2 and second.plan.is_empty
    assert _drawing_census(prospects) == before
    with zipfile.ZipFile(prospects) as package:
        assert {n: package.read(n) for n in kept} == kept  # every other part, byte for byte
    sheet = openpyxl.load_workbook(prospects)["Prospects"]
    assert [sheet.cell(r, 4).value for r in (2, 3, 4)] == ["L-0001", None, "L-0002"]
    leads = read_records(tmp_path / "leads.xlsx", "Leads", TabKind.LEADS)
    assert sorted((r["lead_id"], r["company"]) for r in leads) == [
        ("L-0001", "Acme Inc"),
        ("L-0002", "Costa Srl"),
    ]
