"""`leadsync doctor --workbook FILE`: what a pass would change in a person's workbook."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from factories import Cli

from sync.templates import build_prospecting_workbook, build_tracker_workbook

CORPUS = Path(
    os.environ.get(
        "LEADSYNC_EXCEL_CORPUS",
        Path(__file__).resolve().parents[2] / "shared" / "excel-corpus" / "files",
    )
)


def test_a_prospect_list_is_only_read_and_nothing_else_would_change(
    tmp_path: Path, cli: Cli
) -> None:
    path = tmp_path / "prospects.xlsx"
    build_prospecting_workbook(path, [{"company": "Acme Inc", "flag": "+"}])
    before = path.read_bytes()

    result = cli("doctor", "--workbook", path)

    assert result.exit_code == 0, result.output
    assert "prospects.xlsx › Prospects (prospects tab)" in result.output
    assert "Lead in K2" in result.output or "Lead in" in result.output
    assert "nothing else changed" in result.output
    assert path.read_bytes() == before


def test_missing_engine_columns_are_shown_as_headers_the_pass_adds(
    tmp_path: Path, cli: Cli
) -> None:
    path = tmp_path / "mine.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Italy"
    workbook.active.append(["Flag", "Company", "Notes"])
    workbook.active.append(["+", "Bianchi SpA", "met at fair"])
    workbook.save(path)

    result = cli("doctor", "--workbook", path, "--tab", "Italy")

    assert result.exit_code == 0, result.output
    assert "header 'Lead' in D1" in result.output
    assert "header 'Sync note' in E1" in result.output


def test_a_tracker_tab_gets_an_appended_row(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "leads.xlsx"
    build_tracker_workbook(path, [{"lead_id": "L-0001", "company": "Acme Inc"}])

    result = cli("doctor", "--workbook", path, "--tab", "Leads")

    assert result.exit_code == 0, result.output
    assert "(leads tab)" in result.output and "appended row in A3" in result.output


def test_a_formula_where_the_engine_writes_is_reported_and_the_file_is_kept(
    tmp_path: Path, cli: Cli
) -> None:
    path = tmp_path / "prospects.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Prospects"
    sheet.append(["Flag", "Company", "Lead", "Sync note"])
    sheet.append(["+", "Acme Inc", '=IF(A2="+","new","")', None])
    workbook.save(path)
    before = path.read_bytes()

    result = cli("doctor", "--workbook", path)

    assert result.exit_code == 2
    assert "C2 holds a formula" in result.output
    assert path.read_bytes() == before


def test_a_tab_that_is_not_there_is_named(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "prospects.xlsx"
    build_prospecting_workbook(path)

    result = cli("doctor", "--workbook", path, "--tab", "Spain")

    assert result.exit_code == 2
    assert "no tab named 'Spain' (it has: Prospects)" in result.output


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"Excel corpus not found at {CORPUS}")
def test_a_workbook_with_a_text_box_and_a_picture_keeps_them(tmp_path: Path, cli: Cli) -> None:
    # textbox09 and image02 are Excel's own files; give them a header row the engine knows.
    for name in ("textbox09.xlsx", "image02.xlsx"):
        path = tmp_path / name
        content = (CORPUS / name).read_bytes()
        path.write_bytes(content)
        with zipfile.ZipFile(path) as package:
            drawings = [n for n in package.namelist() if n.startswith("xl/drawings/")]
        assert drawings

        result = cli("doctor", "--workbook", path)

        # No Company header: the pass would refuse this tab, and doctor says so, changing nothing.
        assert result.exit_code == 2
        assert "'Company' column in the header row" in result.output
        assert "[headers.prospects]" in result.output  # brackets shown, not taken as markup
        assert path.read_bytes() == content
