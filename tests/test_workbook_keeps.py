"""A pass changes values in a person's workbook, not the rest of what they built there."""

from __future__ import annotations

import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

import sync
from sync.config import parse_config
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
