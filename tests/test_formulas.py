"""Cells computed by a formula: the lead carries what the person sees, or the row waits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import openpyxl

import sync
from sync.config import parse_config
from sync.templates import build_prospecting_workbook, build_tracker_workbook

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_formula_never_calculated_keeps_the_plus_and_says_why(tmp_path: Path) -> None:
    build_prospecting_workbook(
        tmp_path / "prospects.xlsx", [{"company": "acme inc"}, {"flag": "+"}]
    )
    book = openpyxl.load_workbook(tmp_path / "prospects.xlsx")
    book["Prospects"]["B3"] = "=PROPER(B2)"  # saved by openpyxl: no calculated result inside
    book.save(tmp_path / "prospects.xlsx")
    build_tracker_workbook(tmp_path / "leads.xlsx")
    config = parse_config(
        {
            "default_owner": "Giulia",
            "tracker": {"path": "leads.xlsx"},
            "prospecting": [{"path": "prospects.xlsx"}],
        },
        tmp_path,
    )

    report = sync.run(config, now=NOW)

    assert report.exit_code == 1 and report.plan.counts.leads_created == 0
    sheet = openpyxl.load_workbook(tmp_path / "prospects.xlsx")["Prospects"]
    headers = [c.value for c in sheet[1]]
    row = {h: sheet.cell(3, i + 1).value for i, h in enumerate(headers)}
    assert row["Flag"] == "+"
    assert row["Company"] == "=PROPER(B2)"  # the person's formula is untouched
    assert row["Sync note"].startswith("⚠ Company is a formula")
