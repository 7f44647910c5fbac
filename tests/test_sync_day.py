"""A salesperson's day with leadsync, pass by pass, over real workbooks.

Each test flags rows the way a person does in Excel, runs a real pass, and opens the workbooks
afterwards to check what that person would see.
"""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from factories import (
    MORNING,
    OWNER,
    ROME,
    day_of,
    header_columns,
    lead_row,
    make_team,
    prospect,
)
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from sync.headers import TabKind
from sync.plan import Counts
from sync.templates import LEADS_TAB, PROSPECTS_TAB

YESTERDAY = MORNING.date() - timedelta(days=1)
TOMORROW = MORNING.date() + timedelta(days=1)


def test_a_flagged_row_becomes_a_lead_and_the_row_shows_its_id(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        [
            prospect(
                "Acme Inc",
                contact="Jane Doe",
                email="jane@acme.example",
                phone="+39 02 1234 5678",
                assign_to="Sara Conti",
                amount=1200,
                next_action="Send quote",
            ),
            prospect("Borealis Oy", contact="Mikko Virtanen"),
            prospect("Cold Calls Ltd", flag=None),
        ],
    )

    report = team.sync()

    assert report.exit_code == 0
    assert report.plan.counts.leads_created == 2
    leads = {lead["company"]: lead for lead in team.leads()}
    assert set(leads) == {"Acme Inc", "Borealis Oy"}
    acme, borealis = leads["Acme Inc"], leads["Borealis Oy"]
    assert (acme["contact"], acme["owner"]) == ("Jane Doe", "Sara Conti")
    assert acme["email"] == "jane@acme.example"
    # The phone stays the text typed, not a formula or a number.
    assert acme["phone"] == "+39 02 1234 5678"
    assert acme["amount"] == 1200
    assert acme["next_action"] == "Send quote"
    assert acme["status"] == "To-do"
    # No Assign to: the configured default owner takes the lead.
    assert (borealis["contact"], borealis["owner"]) == ("Mikko Virtanen", OWNER)
    assert acme["lead_id"] != borealis["lead_id"]

    for company, lead in leads.items():
        row = team.row_of(company)
        assert row["lead"] == lead["lead_id"]
        assert row["flag"] == "✓"
        assert not row["sync_note"]
    cold = team.row_of("Cold Calls Ltd")
    assert cold["flag"] is None
    assert cold["lead"] is None


def test_a_second_pass_changes_nothing(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        [
            prospect("Rossi Impianti S.r.l.", contact="Marco Rossi"),
            prospect("ROSSI IMPIANTI srl", contact="Giulia Bianchi"),
            prospect("Nordwind Logistik GmbH", next_action_date=TOMORROW + timedelta(days=9)),
            prospect("Tecnoplast Veneto S.p.A.", flag="x"),
            prospect("Still Cold SpA", flag=None),
        ],
        [lead_row("L-0001", "Fratelli Marino SpA", "Standby", next_action_date=YESTERDAY)],
    )
    first = team.sync()
    assert not first.plan.is_empty
    after_first = team.values()

    # An hour later nothing new has been typed, so there is nothing to do.
    second = team.sync(MORNING + timedelta(hours=1))

    assert second.plan.is_empty
    assert second.plan.counts == Counts()
    assert team.values() == after_first


def test_a_row_without_company_waits_with_a_note_until_it_is_filled_in(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        [
            prospect(None, contact="Francesca Gallo", email="francesca.gallo84@gmail.com"),
            prospect("Brightwave Analytics Ltd"),
        ],
    )

    report = team.sync()

    assert report.exit_code == 1
    assert len(report.plan.problems) == 1
    # The rest of the pass went on.
    assert [lead["company"] for lead in team.leads()] == ["Brightwave Analytics Ltd"]
    waiting = next(row for row in team.prospect_rows() if row["contact"] == "Francesca Gallo")
    assert waiting["flag"] == "+"
    assert waiting["lead"] is None
    assert waiting["sync_note"].startswith("⚠")
    assert "Company" in waiting["sync_note"]

    team.edit_prospect(waiting["_row"], company="Gallo Design")
    report = team.sync(MORNING + timedelta(minutes=10))

    assert report.exit_code == 0
    assert report.plan.counts.leads_created == 1
    row = team.row_of("Gallo Design")
    assert row["flag"] == "✓"
    assert not row["sync_note"]
    assert team.lead(row["lead"])["contact"] == "Francesca Gallo"
    assert len(team.leads()) == 2


def test_a_row_with_an_impossible_date_keeps_its_flag_and_says_why(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        [prospect("Leap Day Srl", next_action_date="31/02/2026"), prospect("Acme Inc")],
    )

    report = team.sync()

    assert report.exit_code == 1
    row = team.row_of("Leap Day Srl")
    assert (row["flag"], row["lead"]) == ("+", None)
    assert row["sync_note"].startswith("⚠")
    assert "31/02/2026" in row["sync_note"]
    assert [lead["company"] for lead in team.leads()] == ["Acme Inc"]

    team.edit_prospect(row["_row"], next_action_date="28/02/2026")
    assert team.sync().exit_code == 0
    row = team.row_of("Leap Day Srl")
    assert day_of(team.lead(row["lead"])["next_action_date"]) == date(2026, 2, 28)
    assert not row["sync_note"]


def test_a_company_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    text = '=HYPERLINK("http://x","y")'
    team = make_team(tmp_path, [prospect(text, notes="=1+1")])

    team.sync()

    ws = openpyxl.load_workbook(team.tracker)[LEADS_TAB]
    columns = header_columns(ws, TabKind.LEADS)
    [lead] = team.leads()
    company = ws.cell(lead["_row"], columns["company"])
    assert (company.value, company.data_type) == (text, "s")
    notes = ws.cell(lead["_row"], columns["notes"])
    assert (notes.value, notes.data_type) == ("=1+1", "s")
    # The person's own cell is still the text they typed after the engine saved their file.
    prospects = openpyxl.load_workbook(team.prospects)[PROSPECTS_TAB]
    mine = prospects.cell(2, header_columns(prospects)["company"])
    assert (mine.value, mine.data_type) == (text, "s")


def _as_saved_by_excel(path: Path, ref: str, shown: str) -> None:
    """Give the formula in cell `ref` of the first sheet the cached value Excel would store."""
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as old:
        parts = {name: old.read(name) for name in old.namelist()}
    xml = parts[member].decode()
    cell = re.search(rf'<c r="{ref}"[^>]*><f>(.*?)</f>(?:<v ?/>|<v></v>)</c>', xml)
    assert cell is not None, "openpyxl wrote the formula cell in an unexpected form"
    cached = f'<c r="{ref}" t="str"><f>{cell.group(1)}</f><v>{shown}</v></c>'
    parts[member] = (xml[: cell.start()] + cached + xml[cell.end() :]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in parts.items():
            new.writestr(name, data)


def test_a_company_computed_by_a_formula_becomes_the_value_excel_shows(tmp_path: Path) -> None:
    team = make_team(tmp_path, [prospect("acme inc", flag=None), prospect(None)])
    with team.editing(team.prospects) as workbook:
        ws = workbook[PROSPECTS_TAB]
        ref = ws.cell(3, header_columns(ws)["company"]).coordinate
        ws[ref] = "=PROPER(B2)"
    _as_saved_by_excel(team.prospects, ref, "Acme Inc")

    assert team.sync().exit_code == 0

    row = next(r for r in team.prospect_rows() if r["_row"] == 3)
    assert row["flag"] == "✓"
    assert team.lead(row["lead"])["company"] == "Acme Inc"
    # The person's formula is still a formula, although the engine saved their file ...
    cell = openpyxl.load_workbook(team.prospects)[PROSPECTS_TAB][ref]
    assert (cell.value, cell.data_type) == ("=PROPER(B2)", "f")
    # ... and with its cached result gone after that save, the converted row needs nothing.
    assert team.sync(MORNING + timedelta(hours=1)).plan.is_empty


def test_a_struck_off_row_is_marked_and_never_becomes_a_lead(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        [
            prospect("Tecnoplast Veneto S.p.A.", flag="x", contact="Roberto Zanetti"),
            prospect("Acme Inc"),
        ],
    )

    first = team.sync()
    second = team.sync(MORNING + timedelta(days=1))

    assert first.plan.counts.struck_off == 1
    assert second.plan.counts.struck_off == 0
    assert [lead["company"] for lead in team.leads()] == ["Acme Inc"]
    struck = team.row_of("Tecnoplast Veneto S.p.A.")
    assert struck["sync_note"] == "Struck off"
    assert struck["flag"] == "x"
    assert struck["lead"] is None
    ws = openpyxl.load_workbook(team.prospects)[PROSPECTS_TAB]
    columns = header_columns(ws)
    assert ws.cell(struck["_row"], columns["company"]).font.strike
    assert ws.cell(struck["_row"], columns["contact"]).font.strike
    # Only the struck row is struck.
    assert not ws.cell(team.row_of("Acme Inc")["_row"], columns["company"]).font.strike


def test_a_struck_off_prospect_can_be_revived_with_a_plus(tmp_path: Path) -> None:
    team = make_team(tmp_path, [prospect("Tecnoplast Veneto S.p.A.", flag="x")])
    team.sync()
    row = team.row_of("Tecnoplast Veneto S.p.A.")
    assert row["sync_note"] == "Struck off"

    # Their contract with the competitor ended early: the salesperson changes x to +.
    team.edit_prospect(row["_row"], flag="+")
    report = team.sync(MORNING + timedelta(days=30))

    assert report.plan.counts.leads_created == 1
    row = team.row_of("Tecnoplast Veneto S.p.A.")
    assert row["flag"] == "✓"
    assert team.lead(row["lead"])["company"] == "Tecnoplast Veneto S.p.A."
    # A lead's row that still says "Struck off" tells the team the opposite of the truth.
    assert row["sync_note"] != "Struck off"


def test_standby_leads_move_to_todo_when_due(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        leads=[
            lead_row("L-0001", "Due Yesterday SpA", "Standby", next_action_date=YESTERDAY),
            lead_row("L-0002", "Due Tomorrow SpA", "Standby", next_action_date=TOMORROW),
            lead_row("L-0003", "Closed Won SpA", "Won", next_action_date=YESTERDAY),
            lead_row("L-0004", "Closed Lost SpA", "Lost", next_action_date=YESTERDAY),
        ],
    )

    report = team.sync()

    assert report.plan.counts.moved_to_todo == 1
    assert team.lead("L-0001")["status"] == "To-do"
    assert team.lead("L-0002")["status"] == "Standby"
    assert team.lead("L-0003")["status"] == "Won"
    assert team.lead("L-0004")["status"] == "Lost"

    # The day after tomorrow, the second one is due as well.
    team.sync(MORNING + timedelta(days=2))
    assert team.lead("L-0002")["status"] == "To-do"


def test_a_standby_lead_without_a_usable_date_moves_to_todo_saying_why(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        leads=[lead_row("L-0001", "No Date SpA", "Standby")],
    )

    report = team.sync()

    lead = team.lead("L-0001")
    assert lead["status"] == "To-do"
    assert "Next action date" in lead["sync_note"]
    assert report.plan.counts.moved_to_todo == 1
    assert team.sync(MORNING + timedelta(hours=1)).plan.is_empty


@pytest.mark.parametrize("status", ["Standby", None])
def test_a_lead_with_an_unreadable_date_goes_to_todo_and_settles_in_one_pass(
    tmp_path: Path, status: str | None
) -> None:
    team = make_team(
        tmp_path,
        leads=[lead_row("L-0001", "Vague SpA", status, next_action_date="soon")],
    )

    first = team.sync()
    lead = team.lead("L-0001")
    assert lead["status"] == "To-do"
    if status == "Standby":
        # Rule 2: a Standby lead that cannot wait for its date is moved with the reason.
        assert "soon" in lead["sync_note"]
    after_first = team.values()

    second = team.sync(MORNING + timedelta(hours=1))

    assert second.plan.is_empty, second.plan.events
    assert team.values() == after_first
    assert second.exit_code == first.exit_code


def test_due_is_judged_in_the_configured_time_zone(tmp_path: Path) -> None:
    today = date(2026, 3, 10)
    team = make_team(
        tmp_path,
        leads=[lead_row("L-0001", "Due Today SpA", "Standby", next_action_date=today)],
    )

    # Both moments are on the 9th in UTC; in Rome (UTC+1) the second is already the 10th.
    team.sync(datetime(2026, 3, 9, 22, 30, tzinfo=UTC))
    assert team.lead("L-0001")["status"] == "Standby"
    team.sync(datetime(2026, 3, 9, 23, 30, tzinfo=UTC))
    assert team.lead("L-0001")["status"] == "To-do"


def test_a_new_lead_waits_in_standby_until_its_next_action(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        [
            prospect("Nordwind Logistik GmbH", next_action_date=MORNING.date() + timedelta(10)),
            prospect("Overdue Already Srl", next_action_date=YESTERDAY),
            prospect("No Date Ltd"),
        ],
    )

    team.sync()

    status = {lead["company"]: lead["status"] for lead in team.leads()}
    assert status == {
        "Nordwind Logistik GmbH": "Standby",
        "Overdue Already Srl": "To-do",
        "No Date Ltd": "To-do",
    }
    nordwind = next(lead for lead in team.leads() if lead["company"] == "Nordwind Logistik GmbH")
    assert day_of(nordwind["next_action_date"]) == MORNING.date() + timedelta(10)

    # Ten days on, the waiting lead comes back to the top of the list.
    team.sync(MORNING + timedelta(days=10))
    assert team.lead(nordwind["lead_id"])["status"] == "To-do"


def test_two_spellings_of_one_client_share_a_folder(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        [
            prospect("Rossi Impianti S.r.l.", contact="Marco Rossi"),
            prospect("Brightwave Analytics Ltd"),
            prospect("ROSSI IMPIANTI srl", contact="Giulia Bianchi"),
        ],
    )

    report = team.sync()

    assert report.plan.counts.folders_created == 1
    [folder] = team.clients()
    rossi = [lead for lead in team.leads() if "rossi" in lead["company"].lower()]
    assert len(rossi) == 2
    listed = {part.strip() for part in folder["leads"].split(",")}
    assert listed == {lead["lead_id"] for lead in rossi}
    assert folder["lead_count"] == 2
    assert folder["open_leads"] == 2
    assert folder["folder"]
    assert all(lead["folder"] == folder["folder"] for lead in rossi)
    brightwave = next(lead for lead in team.leads() if lead["company"].startswith("Bright"))
    assert brightwave["folder"] is None

    # A third Rossi lead later joins the same folder instead of opening another.
    team.edit_prospect(len(team.prospect_rows()) + 2, flag="+", company="Rossi Impianti SRL")
    team.sync(MORNING + timedelta(hours=2))
    [folder] = team.clients()
    assert folder["lead_count"] == 3
    third = team.lead(team.row_of("Rossi Impianti SRL")["lead"])
    assert third["folder"] == folder["folder"]
    assert third["lead_id"] in folder["leads"]


def test_a_won_lead_with_a_renewal_date_gets_one_renewal(tmp_path: Path) -> None:
    renewal = MORNING.date() + timedelta(days=90)
    team = make_team(
        tmp_path,
        leads=[
            lead_row(
                "L-0001",
                "Studio Associato Greco",
                "Won",
                contact="Lorenza Greco",
                renewal_date=renewal,
                amount=6400,
            )
        ],
        rules={"renewal_notice_days": 30},
    )

    for day in range(4):
        team.sync(MORNING + timedelta(days=day))

    renewals = [lead for lead in team.leads() if lead["renewal_of"] == "L-0001"]
    assert len(renewals) == 1
    assert len(team.leads()) == 2
    [copy] = renewals
    assert copy["status"] == "Standby"
    assert day_of(copy["next_action_date"]) == renewal - timedelta(days=30)
    assert (copy["company"], copy["contact"], copy["owner"]) == (
        "Studio Associato Greco",
        "Lorenza Greco",
        OWNER,
    )
    assert team.lead("L-0001")["status"] == "Won"
    # The renewal lives in the client's folder together with the lead it renews.
    [folder] = team.clients()
    assert copy["folder"] == folder["folder"] == team.lead("L-0001")["folder"]
    assert sum(r.plan.counts.renewals_created for r in team.reports) == 1


def test_a_renewal_inside_the_notice_period_is_todo_at_once(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        leads=[
            lead_row(
                "L-0007",
                "Helvetia Dental AG",
                "Won",
                renewal_date=MORNING.date() + timedelta(days=5),
            )
        ],
        rules={"renewal_notice_days": 30},
    )

    team.sync()

    [copy] = [lead for lead in team.leads() if lead["renewal_of"] == "L-0007"]
    assert copy["status"] == "To-do"


def test_an_unreadable_renewal_date_keeps_its_note_from_pass_to_pass(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        leads=[lead_row("L-0003", "Studio Associato Greco", "Won", renewal_date="next spring")],
    )

    notes = []
    for hour in range(3):
        report = team.sync(MORNING + timedelta(hours=hour))
        assert report.exit_code == 1
        notes.append(team.lead("L-0003")["sync_note"])

    assert all(note and note.startswith("⚠") and "next spring" in note for note in notes), notes
    assert len(team.leads()) == 1


def _switch_to_1904(path: Path, serial_cells: dict[str, float] | None = None) -> None:
    """Turn a tracker into an old Mac workbook; `serial_cells` get bare serial numbers."""
    workbook = openpyxl.load_workbook(path)
    workbook.epoch = CALENDAR_MAC_1904
    ws = workbook[LEADS_TAB]
    for ref, serial in (serial_cells or {}).items():
        ws[ref].value = serial
        ws[ref].number_format = "General"
    workbook.save(path)


def _serial_1904(day: date) -> int:
    return (day - date(1904, 1, 1)).days


def test_dates_in_a_1904_workbook_are_read_right(tmp_path: Path) -> None:
    leads = [
        lead_row("L-0001", "Due Yesterday SpA", "Standby", next_action_date=YESTERDAY),
        lead_row("L-0002", "Due Tomorrow SpA", "Standby", next_action_date=TOMORROW),
        # Bare serial numbers, typed or pasted into General cells, count from 1904 too.
        lead_row("L-0003", "Serial Yesterday SpA", "Standby"),
        lead_row("L-0004", "Serial Tomorrow SpA", "Standby"),
    ]
    date_column = "K"
    team = make_team(
        tmp_path,
        [prospect("Nordwind Logistik GmbH", next_action_date=MORNING.date() + timedelta(10))],
        leads,
        tracker_hook=lambda path: _switch_to_1904(
            path,
            {f"{date_column}4": _serial_1904(YESTERDAY), f"{date_column}5": _serial_1904(TOMORROW)},
        ),
    )
    header = openpyxl.load_workbook(team.tracker)[LEADS_TAB][f"{date_column}1"].value
    assert header == "Next action date"

    team.sync()

    assert openpyxl.load_workbook(team.tracker).epoch == CALENDAR_MAC_1904
    assert team.lead("L-0001")["status"] == "To-do"
    assert team.lead("L-0002")["status"] == "Standby"
    assert team.lead("L-0003")["status"] == "To-do"
    assert team.lead("L-0004")["status"] == "Standby"
    assert day_of(team.lead("L-0001")["next_action_date"]) == YESTERDAY
    new = team.lead(team.row_of("Nordwind Logistik GmbH")["lead"])
    assert new["status"] == "Standby"
    assert day_of(new["next_action_date"]) == MORNING.date() + timedelta(10)


@pytest.mark.parametrize(
    ("order", "typed", "meant"),
    [
        ("DMY", "25/11/2026", date(2026, 11, 25)),
        ("MDY", "11/25/2026", date(2026, 11, 25)),
        ("DMY", "03/04/2026", date(2026, 4, 3)),
        ("MDY", "03/04/2026", date(2026, 3, 4)),
        ("MDY", "2026-11-25", date(2026, 11, 25)),
    ],
)
def test_typed_dates_follow_the_configured_order(
    tmp_path: Path, order: str, typed: str, meant: date
) -> None:
    now = datetime(2026, 3, 3, 9, 0, tzinfo=ROME)
    team = make_team(
        tmp_path,
        [prospect("Typed Date Srl", next_action_date=typed)],
        [lead_row("L-0001", "Waiting SpA", "Standby", next_action_date=typed)],
        settings={"date_order": order},
    )

    team.sync(now)
    new = team.lead(team.row_of("Typed Date Srl")["lead"])
    assert day_of(new["next_action_date"]) == meant
    assert new["status"] == "Standby"
    assert team.lead("L-0001")["status"] == "Standby"

    # The morning before the date meant, the old lead still waits; the morning after, both are due.
    team.sync(datetime.combine(meant - timedelta(days=1), now.timetz()))
    assert team.lead("L-0001")["status"] == "Standby"
    team.sync(datetime.combine(meant + timedelta(days=1), now.timetz()))
    assert team.lead("L-0001")["status"] == "To-do"
    assert team.lead(new["lead_id"])["status"] == "To-do"
