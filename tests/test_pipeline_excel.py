"""The Pipeline tab of an Excel tracker: written in the tracker's one save, chart kept, idle
passes write nothing, a tracker without the tab gets one, and LibreOffice shows it all."""

from __future__ import annotations

import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from factories import MORNING, OWNER, lead_row, make_team, prospect
from libreoffice import MISSING, SOFFICE, cell, sheets_as_shown
from pipeline_render import coloured_pixels, render_pipeline

from sync.templates import PIPELINE_TAB

YESTERDAY = (MORNING - timedelta(days=1)).date()


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pipeline_rows(path: Path) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(path)[PIPELINE_TAB].iter_rows(values_only=True))


LEADS = [
    lead_row(
        "L-0001",
        "Marino SpA",
        "To-do",
        amount=1000,
        step="Proposal",
        next_action="Call back",
        next_action_date=datetime(2026, 3, 2),
    ),
    lead_row(
        "L-0002",
        "Keller AG",
        "Standby",
        amount=400,
        owner="Anna Keller",
        next_action_date=datetime(2026, 4, 1),
    ),
    lead_row("L-0003", "Greco Studio", "Won", amount=999),
]


def test_a_pass_writes_the_numbers_keeps_the_chart_and_an_idle_pass_saves_nothing(
    tmp_path: Path,
) -> None:
    team = make_team(tmp_path, [prospect("Rossi Srl", amount=200)], LEADS)
    before = parts(team.tracker)

    report = team.sync()

    rows = pipeline_rows(team.tracker)
    assert rows[0][:6] == ("Open leads by step", None, None, None, "As of", "2026-03-10")
    assert rows[2][:5] == ("New", 10, 2, 600, 60)  # Keller AG and the new lead
    assert rows[4][:5] == ("Proposal", 50, 1, 1000, 500)
    owners = {row[0]: row[1:6] for row in rows if row and row[0] in (OWNER, "Anna Keller")}
    assert owners[OWNER] == (2, 0, 1, 1, 0)  # 2 To-do, 1 overdue, Greco won today
    assert ("L-0001", "Marino SpA", OWNER, "Call back", "2026-03-02", 8) in rows
    assert any(str(team.tracker) in e and "Pipeline" in e for e in report.plan.events)
    after = parts(team.tracker)
    charts = [name for name in before if name.startswith(("xl/charts/", "xl/drawings/"))]
    assert charts and all(after[name] == before[name] for name in charts)
    changed = {name for name in after if after[name] != before.get(name)}
    pipeline_part = "xl/worksheets/sheet3.xml"  # Leads, Clients, Pipeline
    assert pipeline_part in changed
    assert changed <= {pipeline_part, "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                       "xl/styles.xml", "docProps/custom.xml", "[Content_Types].xml",
                       "_rels/.rels"}  # fmt: skip

    tab = openpyxl.load_workbook(team.tracker)[PIPELINE_TAB]
    assert tab["A1"].font.bold and tab["D5"].number_format == "#,##0"  # the template's look

    saved = team.tracker.read_bytes()
    assert team.sync().plan.is_empty
    assert team.tracker.read_bytes() == saved


def test_a_tracker_without_the_tab_gets_one_and_keeps_everything_else(tmp_path: Path) -> None:
    def drop_pipeline(path: Path) -> None:
        workbook = openpyxl.load_workbook(path)
        del workbook[PIPELINE_TAB]
        workbook.save(path)

    team = make_team(tmp_path, leads=LEADS[:1], tracker_hook=drop_pipeline)
    before = parts(team.tracker)

    team.sync()

    workbook = openpyxl.load_workbook(team.tracker)
    assert workbook.sheetnames == ["Leads", "Clients", PIPELINE_TAB]
    assert workbook[PIPELINE_TAB]["A5"].value == "Proposal"
    after = parts(team.tracker)
    added = sorted(set(after) - set(before))
    assert added == ["xl/worksheets/sheet3.xml"]
    kept = [n for n in before if n not in {"[Content_Types].xml", "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml", "docProps/custom.xml",
            "_rels/.rels", "xl/styles.xml"}]  # fmt: skip
    assert all(after[n] == before[n] for n in kept)

    saved = team.tracker.read_bytes()
    assert team.sync().plan.is_empty
    assert team.tracker.read_bytes() == saved


def test_a_step_nobody_configured_gets_a_note_and_the_cell_stays_as_typed(tmp_path: Path) -> None:
    # Contacted yesterday, so rule 8's inactivity note has no say in this Sync note.
    lead = lead_row("L-0001", "Marino SpA", "To-do", step="Closing", last_contact=YESTERDAY)
    team = make_team(tmp_path, leads=[lead])

    report = team.sync()

    assert report.exit_code == 1
    read = team.lead("L-0001")
    assert read["step"] == "Closing"
    assert "Step 'Closing' is not one of New, Contacted, Proposal, Negotiation" in read["sync_note"]
    unknown = [row for row in pipeline_rows(team.tracker) if row[0] == "(unknown step)"]
    assert unknown[0][2] == 1  # in the steps block (and again under its owner)

    with team.editing(team.tracker) as workbook:
        ws = workbook["Leads"]
        header = [c.value for c in ws[1]]
        ws.cell(2, header.index("Step") + 1).value = "Trattativa"
    team.sync()
    assert team.lead("L-0001")["sync_note"] is None


@pytest.mark.skipif(SOFFICE is None, reason=MISSING)
def test_libreoffice_shows_the_numbers_and_draws_the_chart(tmp_path: Path) -> None:
    team = make_team(tmp_path, [prospect("Rossi Srl", amount=200)], LEADS)
    team.sync(now=MORNING)
    png = tmp_path / "pipeline.png"

    text = render_pipeline(team.tracker, png)

    assert "Open pipeline by step" in text  # the chart's title, drawn by the chart
    for shown in ("Proposal 50 1 1,000 500", "Total 3 1,600 560", "L-0001 Marino SpA"):
        assert shown in " ".join(text.split()), shown
    assert coloured_pixels(png) > 500  # bars and legend keys


@pytest.mark.skipif(SOFFICE is None, reason=MISSING)
def test_libreoffice_opens_a_tracker_whose_pipeline_tab_a_pass_added(tmp_path: Path) -> None:
    def drop_pipeline(path: Path) -> None:
        workbook = openpyxl.load_workbook(path)
        del workbook[PIPELINE_TAB]
        workbook.save(path)

    team = make_team(tmp_path, leads=LEADS, tracker_hook=drop_pipeline)
    team.sync()

    shown = sheets_as_shown([team.tracker])
    rows = shown[team.tracker.stem, PIPELINE_TAB]
    assert cell(rows, 1, 1) == "Open leads by step"
    assert [cell(rows, 5, c) for c in range(1, 6)] == ["Proposal", "50", "1", "1000", "500"]
    assert cell(shown[team.tracker.stem, "Leads"], 2, 1) == "L-0001"
