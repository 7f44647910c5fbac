"""The Excel buttons (excel_addin) through xlwings' remote engine, on real workbook files.

Each test builds a real workbook, hands xlwings' remote engine its JSON as Excel would, runs
the button's function, applies the actions the engine returns back to the file, and looks at
the file as the salesperson would after pressing the button. The tests of the buttons a person
presses run on both one-workbook layouts: the plain .xlsx of sync.templates and the .xlsm with
the buttons (sync.xlsm_template: a button bar above the headers, an xlwings.conf sheet).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from factories import config_text, lead_row, prospect, read_records
from xlwings_remote import count_actions_per_sheet, run_in_book

import excel_addin
from sync.headers import FIELDS, TabKind, canonical_headers
from sync.layout import HEADER_SEARCH_ROWS
from sync.pipeline_plan import TITLE
from sync.templates import (
    PIPELINE_TAB,
    build_one_workbook,
    build_prospecting_workbook,
    build_tracker_workbook,
)
from sync.xlsm_template import HEADER_ROW, build_buttons_workbook

# "xlsx": build_one_workbook's layout; "xlsm": the workbook with the buttons, as a person gets it.
LAYOUTS = ["xlsx", "xlsm"]


@pytest.fixture(autouse=True)
def _a_desk_in_rome(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The add-in looks for leadsync.toml beside the workbook and reads the computer's zone.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "Europe/Rome")


def workbook(
    tmp_path: Path,
    prospects: list[dict[str, Any]],
    leads: list[dict[str, Any]] | None = None,
    layout: str = "xlsx",
) -> Path:
    path = tmp_path / f"Sales.{layout}"
    if layout == "xlsm":
        build_buttons_workbook(path, prospects=prospects, leads=leads or [])
    else:
        build_one_workbook(path, prospects, leads or [])
    return path


def below_header(cells: str, layout: str) -> str:
    """A range given for headers on row 1, moved to where this layout's rows are."""
    offset = HEADER_ROW - 1 if layout == "xlsm" else 0
    return re.sub(r"\d+", lambda row: str(int(row.group()) + offset), cells)


def rows(path: Path, tab: str, kind: TabKind) -> list[dict[str, Any]]:
    """The tab's records, with their sheet row under '_row', wherever its header is."""
    ws = openpyxl.load_workbook(path)[tab]
    headers = canonical_headers(kind)
    tops = [
        n
        for n in range(1, HEADER_SEARCH_ROWS + 1)
        if [c.value for c in ws[n]][: len(headers)] == headers
    ]
    if tops == [1]:
        return read_records(path, tab, kind)
    (top,) = tops
    keys = [f.key for f in FIELDS[kind]]
    return [
        {"_row": number, **dict(zip(keys, cells, strict=False))}
        for number, cells in enumerate(ws.iter_rows(min_row=top + 1, values_only=True), top + 1)
        if any(c is not None for c in cells)
    ]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sync_now_makes_each_lead_once_in_a_few_actions_per_tab(
    tmp_path: Path, layout: str
) -> None:
    people = [prospect(f"Cliente {n} Srl") for n in range(1, 41)]
    people += [prospect("Solo Srl", flag=None), prospect(None)]  # no company: a note
    path = workbook(tmp_path, people, layout=layout)

    first = run_in_book(path, excel_addin.sync_now)
    leads = rows(path, "Leads", TabKind.LEADS)
    assert sorted(lead["company"] for lead in leads) == sorted(
        f"Cliente {n} Srl" for n in range(1, 41)
    )
    prospects = rows(path, "Prospects", TabKind.PROSPECTS)
    by_company = {r["company"]: r for r in prospects if r.get("company")}
    assert all(by_company[f"Cliente {n} Srl"]["flag"] == "✓" for n in range(1, 41))
    assert {by_company[lead["company"]]["lead"] for lead in leads} == {
        lead["lead_id"] for lead in leads
    }
    assert by_company["Solo Srl"].get("lead") is None
    nameless = next(r for r in prospects if not r.get("company"))
    assert nameless["flag"] == "+" and str(nameless["sync_note"]).startswith("⚠")
    # O(1) per tab: Flag, Lead and Sync note columns on Prospects, one block of new leads.
    per_sheet = count_actions_per_sheet(first.actions)
    assert per_sheet[0] <= 3 and per_sheet[1] == 1
    (alert,) = first.alerts
    assert "40 lead(s) created" in str(alert["args"][0]) and "need you" in str(alert["args"][0])

    second = run_in_book(path, excel_addin.sync_now)
    assert count_actions_per_sheet(second.actions) == {}
    assert len(rows(path, "Leads", TabKind.LEADS)) == 40


@pytest.mark.parametrize("layout", LAYOUTS)
def test_text_from_a_person_stays_text(tmp_path: Path, layout: str) -> None:
    sneaky = '=IMPORTXML("http://example.com","//a")'
    person = prospect("Rossi Srl", contact=sneaky, phone="+39 02 1234", notes="007")
    path = workbook(tmp_path, [person], layout=layout)
    run_in_book(path, excel_addin.sync_now)
    (lead,) = rows(path, "Leads", TabKind.LEADS)
    assert (lead["contact"], lead["phone"], lead["notes"]) == (sneaky, "+39 02 1234", "007")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_convert_selection_makes_leads_of_the_selected_rows_only(
    tmp_path: Path, layout: str
) -> None:
    path = workbook(
        tmp_path,
        [
            prospect("Alfa Srl", flag=None),
            prospect("Beta Srl", flag=None),
            prospect("Gamma Srl", flag="x"),
            prospect("Delta Srl", flag=None),
        ],
        layout=layout,
    )
    run = run_in_book(
        path,
        excel_addin.convert_selection,
        active_sheet="Prospects",
        selection=below_header("B2:C4", layout),
    )
    assert sorted(lead["company"] for lead in rows(path, "Leads", TabKind.LEADS)) == [
        "Alfa Srl",
        "Beta Srl",
    ]
    flags = {r["company"]: r.get("flag") for r in rows(path, "Prospects", TabKind.PROSPECTS)}
    assert flags == {"Alfa Srl": "✓", "Beta Srl": "✓", "Gamma Srl": "x", "Delta Srl": None}
    assert "2 row(s) marked +" in str(run.alerts[0]["args"][0])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_strike_selection_marks_x_and_notes_it(tmp_path: Path, layout: str) -> None:
    people = [prospect("Alfa Srl", flag=None), prospect("Beta Srl", flag=None)]
    path = workbook(tmp_path, people, layout=layout)
    selection = below_header("A3", layout)
    run_in_book(path, excel_addin.strike_selection, active_sheet="Prospects", selection=selection)
    by_company = {r["company"]: r for r in rows(path, "Prospects", TabKind.PROSPECTS)}
    assert (
        by_company["Beta Srl"]["flag"] == "x"
        and by_company["Beta Srl"]["sync_note"] == "Struck off"
    )
    assert by_company["Alfa Srl"].get("flag") is None
    assert rows(path, "Leads", TabKind.LEADS) == []


def test_a_selection_on_the_wrong_tab_is_explained_and_changes_nothing(tmp_path: Path) -> None:
    path = workbook(tmp_path, [prospect("Alfa Srl", flag=None)])
    before = openpyxl.load_workbook(path)["Prospects"]["A2"].value
    run = run_in_book(path, excel_addin.convert_selection, active_sheet="Leads", selection="A2")
    assert count_actions_per_sheet(run.actions) == {}
    assert "Select the prospect rows on the Prospects tab" in str(run.alerts[0]["args"][0])
    assert openpyxl.load_workbook(path)["Prospects"]["A2"].value == before


@pytest.mark.parametrize("layout", LAYOUTS)
def test_set_standby_needs_a_future_date_and_says_which_rows_lack_one(
    tmp_path: Path, layout: str
) -> None:
    later = date.today() + timedelta(days=20)
    leads = [
        lead_row("L-0001", "Alfa Srl", "To-do", next_action_date=later),
        lead_row("L-0002", "Beta Srl", "To-do"),
    ]
    path = workbook(tmp_path, [], leads, layout=layout)
    selection = below_header("A2:A3", layout)
    run = run_in_book(path, excel_addin.set_standby, active_sheet="Leads", selection=selection)
    status = {lead["company"]: lead["status"] for lead in rows(path, "Leads", TabKind.LEADS)}
    assert status == {"Alfa Srl": "Standby", "Beta Srl": "To-do"}
    message = str(run.alerts[0]["args"][0])
    beta = below_header("3", layout)
    assert "1 lead(s) set to Standby" in message and f"Row(s) {beta} need a future" in message


def test_setup_adds_the_missing_tabs_and_a_second_press_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "Mine.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active["A1"] = "my own notes"
    book.save(path)
    run = run_in_book(path, excel_addin.setup)
    assert openpyxl.load_workbook(path).sheetnames == ["Notes", "Prospects", "Leads", "Clients"]
    assert openpyxl.load_workbook(path)["Notes"]["A1"].value == "my own notes"
    assert "Prospects: added." in str(run.alerts[0]["args"][0])
    again = run_in_book(path, excel_addin.setup)
    assert count_actions_per_sheet(again.actions) == {}
    assert str(again.alerts[0]["args"][0]).count("already laid out") == 3


def test_a_tracker_in_its_own_file_gets_the_leads_and_is_refused_while_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "Prospecting.xlsx"
    build_prospecting_workbook(path, [prospect("Alfa Srl"), prospect("Beta Srl", flag=None)])
    build_tracker_workbook(tmp_path / "leads.xlsx")
    (tmp_path / "leadsync.toml").write_text(
        config_text(tracker="leads.xlsx", prospecting="Prospecting.xlsx"), encoding="utf-8"
    )
    owner = tmp_path / "~$leads.xlsx"
    owner.write_text("Giulia")
    refused = run_in_book(path, excel_addin.sync_now)
    assert count_actions_per_sheet(refused.actions) == {}
    assert refused.messages[0].startswith("leads.xlsx is open in Excel or LibreOffice")
    owner.unlink()

    run_in_book(path, excel_addin.sync_now)
    (lead,) = read_records(tmp_path / "leads.xlsx", "Leads", TabKind.LEADS)
    assert lead["company"] == "Alfa Srl"
    flags = {
        r["company"]: (r.get("flag"), r.get("lead"))
        for r in rows(path, "Prospects", TabKind.PROSPECTS)
    }
    assert flags == {"Alfa Srl": ("✓", lead["lead_id"]), "Beta Srl": (None, None)}


def test_the_xlwings_conf_sheet_can_name_the_tracker_and_the_owner(tmp_path: Path) -> None:
    path = tmp_path / "Prospecting.xlsx"
    build_prospecting_workbook(path, [prospect("Alfa Srl")])
    build_tracker_workbook(tmp_path / "leads.xlsx")
    book = openpyxl.load_workbook(path)
    conf = book.create_sheet("xlwings.conf")
    for row in (["Interpreter_Win", r"C:\Python311\python.exe"], ["LEADSYNC_TRACKER", "leads.xlsx"],
                ["LEADSYNC_OWNER", "Giulia Neri"]):  # fmt: skip
        conf.append(row)
    book.save(path)

    run_in_book(path, excel_addin.sync_now)
    (lead,) = read_records(tmp_path / "leads.xlsx", "Leads", TabKind.LEADS)
    assert (lead["company"], lead["owner"]) == ("Alfa Srl", "Giulia Neri")
    assert openpyxl.load_workbook(path).sheetnames == ["Prospects", "xlwings.conf"]

    conf_book = openpyxl.load_workbook(path)
    conf_book["xlwings.conf"].append(["LEADSYNC_OWNR", "typo"])
    conf_book.save(path)
    refused = run_in_book(path, excel_addin.sync_now)
    assert "LEADSYNC_OWNR: not a leadsync setting" in refused.messages[0]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sync_now_writes_the_pipeline_tab_of_a_tracker_in_the_workbook(
    tmp_path: Path, layout: str
) -> None:
    people = [prospect(f"Cliente {n} Srl", amount=1000 * n) for n in range(1, 5)]
    path = workbook(tmp_path, people, layout=layout)

    run_in_book(path, excel_addin.sync_now)

    book = openpyxl.load_workbook(path)
    assert PIPELINE_TAB in book.sheetnames  # added by the first press
    shown = list(book[PIPELINE_TAB].iter_rows(values_only=True))
    assert shown[0][0] == TITLE
    new = next(row for row in shown if row[0] == "New")
    # Four new leads on the first step, 1,000 + 2,000 + 3,000 + 4,000, at 10 %.
    assert new[2:5] == (4, 10000, 1000)
    again = run_in_book(path, excel_addin.sync_now)
    assert count_actions_per_sheet(again.actions) == {}  # nothing changed, nothing written
