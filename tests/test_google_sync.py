"""The Google Sheets backend end to end: gspread over real HTTP to the local Sheets API stand-in.

What a salesperson would see in their spreadsheet after a pass: leads in the Leads tab once,
flags marked on the rows they typed them on, and nothing else changed.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from factories import MORNING, lead_row, prospect
from google_team import ROBOT, GoogleTeam, google_team
from sheets_standin import StandIn

from sync import google_write
from sync.engine import run
from sync.errors import LeadsyncError, RetryPass
from sync.planner import plan as make_plan

FLAGGED = [
    prospect("Rossi Srl", contact="Anna Rossi", email="anna@rossi.it"),
    prospect("Bianchi SpA", flag=None, contact="Bruno Bianchi"),
    prospect("Verdi & Figli", contact="Carla Verdi"),
    prospect("Neri Sas", flag="x"),
    prospect("Gialli Srl", contact="Dario Gialli"),
]


def api_calls(standin: StandIn) -> list[Any]:
    return [entry for entry in standin.log if entry.path != "/token"]


def lead_of_each_row(team: GoogleTeam) -> dict[str, tuple[object, object]]:
    return {r["company"]: (r.get("flag"), r.get("lead")) for r in team.records("Prospects")}


def assert_each_flag_made_one_lead(team: GoogleTeam, companies: list[str]) -> None:
    leads = team.records("Leads")
    assert sorted(lead["company"] for lead in leads) == sorted(companies)
    by_id = {lead["lead_id"]: lead["company"] for lead in leads}
    assert len(by_id) == len(leads), "a lead ID is in the Leads tab twice"
    for row in team.records("Prospects"):
        if row["company"] in companies:
            assert row["flag"] == "✓"
            assert by_id[row["lead"]] == row["company"], "a lead ID landed on another row"
        else:
            assert row.get("lead") is None


def test_a_busy_pass_costs_three_requests_and_an_idle_one_two(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, FLAGGED)
    standin.clear_log()
    report = run(team.config(), now=MORNING, backend=team.backend())
    assert report.plan.counts.leads_created == 3
    assert [(c.method, c.path.rsplit("/", 1)[-1]) for c in api_calls(standin)] == [
        ("GET", team.tracker),
        ("GET", "values:batchGet"),
        ("POST", f"{team.tracker}:batchUpdate"),
    ]
    assert_each_flag_made_one_lead(team, ["Rossi Srl", "Verdi & Figli", "Gialli Srl"])
    struck = next(r for r in team.records("Prospects") if r["company"] == "Neri Sas")
    assert standin.cell_format(team.tracker, "Prospects", f"B{struck['_row']}")["textFormat"][
        "strikethrough"
    ]

    standin.clear_log()
    again = run(team.config(), now=MORNING, backend=team.backend())
    assert again.plan.is_empty
    assert len(api_calls(standin)) == 2


def test_person_text_is_written_raw_never_as_a_formula_or_number(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sneaky = '=IMPORTXML("http://example.com","//a")'
    team = google_team(
        standin,
        tmp_path,
        monkeypatch,
        [prospect("Rossi Srl", contact="'" + sneaky, phone="'+39 02 1234 5678", notes="'007")],
    )
    run(team.config(), now=MORNING, backend=team.backend())
    (lead,) = team.records("Leads")
    assert lead["contact"] == sneaky
    assert lead["phone"] == "+39 02 1234 5678"
    assert lead["notes"] == "007"


@pytest.mark.parametrize(
    ("sheet_zone", "moved"), [("Europe/Rome", True), ("America/New_York", False)]
)
def test_dates_are_read_in_the_spreadsheets_own_time_zone(
    standin: StandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sheet_zone: str,
    moved: bool,
) -> None:
    # 23:30 UTC on the 9th is already the 10th in Rome and still the 9th in New York.
    late = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    due = lead_row("L-0001", "Rossi Srl", "Standby", next_action_date=date(2026, 3, 10))
    team = google_team(standin, tmp_path, monkeypatch, [], [due], time_zone=sheet_zone)
    report = run(team.config(), now=late, backend=team.backend())
    assert (report.plan.counts.moved_to_todo == 1) is moved
    (lead,) = team.records("Leads")
    assert (lead["status"] == "To-do") is moved


@pytest.mark.parametrize(("locale", "moved"), [("en_US", True), ("it_IT", False)])
def test_typed_dates_are_read_in_the_spreadsheets_locale(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locale: str, moved: bool
) -> None:
    # 03/09/2026 is the 9th of March in the US and the 3rd of September in Italy.
    typed = lead_row("L-0001", "Rossi Srl", "Standby", next_action_date="03/09/2026")
    team = google_team(standin, tmp_path, monkeypatch, [], [typed], locale=locale)
    report = run(team.config(), now=MORNING, backend=team.backend())
    assert (report.plan.counts.moved_to_todo == 1) is moved


def test_prospecting_in_its_own_spreadsheet_is_written_before_the_tracker(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, FLAGGED, one_spreadsheet=False)
    standin.clear_log()
    run(team.config(), now=MORNING, backend=team.backend())
    writes = [c.path for c in api_calls(standin) if c.method == "POST"]
    assert writes == [
        f"/v4/spreadsheets/{team.tracker}:batchUpdate",  # reserves the new lead numbers
        f"/v4/spreadsheets/{team.prospecting}:batchUpdate",
        f"/v4/spreadsheets/{team.tracker}:batchUpdate",
    ]
    assert len(api_calls(standin)) == 7  # two reads per spreadsheet, one write each, and one
    assert google_write.reservations_in(standin.developer_metadata(team.tracker)) == set()
    assert_each_flag_made_one_lead(team, ["Rossi Srl", "Verdi & Figli", "Gialli Srl"])


def test_a_sort_and_inserted_rows_between_read_and_write_never_misplace_a_write(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, FLAGGED)
    seen: list[int] = []

    def person_sorts(index: int) -> None:
        seen.append(index)
        if len(seen) == 3:  # just before the pass's batchUpdate, its third request
            standin.sort_rows(team.tracker, "Prospects", 1, descending=True)
            standin.insert_rows(team.tracker, "Prospects", 3, [["+", "Nuovi Srl"], ["", "Blu"]])

    standin.before_request(person_sorts)
    run(team.config(), now=MORNING, backend=team.backend())
    standin.before_request(None)
    assert_each_flag_made_one_lead(team, ["Rossi Srl", "Verdi & Figli", "Gialli Srl"])
    rows = {r["company"]: r for r in team.records("Prospects")}
    assert rows["Nuovi Srl"]["flag"] == "+" and rows["Nuovi Srl"].get("lead") is None
    assert rows["Blu"].get("flag") is None and rows["Blu"].get("lead") is None
    assert rows["Bianchi SpA"].get("flag") is None
    assert rows["Neri Sas"]["flag"] == "x"

    run(team.config(), now=MORNING, backend=team.backend())
    assert_each_flag_made_one_lead(team, ["Rossi Srl", "Verdi & Figli", "Gialli Srl", "Nuovi Srl"])


@pytest.mark.parametrize("one_spreadsheet", [True, False], ids=["one", "two-spreadsheets"])
@pytest.mark.parametrize("kind", ["500", "429", "drop", "drop_after"])
def test_a_failure_at_any_request_still_gives_each_lead_exactly_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    one_spreadsheet: bool,
) -> None:
    requests_per_pass = 3 if one_spreadsheet else 7
    for k in range(1, requests_per_pass + 1):
        # A stand-in per failure point: all of them on one would use up the service
        # account's 60 requests a minute, and this test is about failures, not quota.
        with StandIn() as standin:
            team = google_team(
                standin, tmp_path / f"k{k}", monkeypatch, FLAGGED, one_spreadsheet=one_spreadsheet
            )
            standin.fail(k, kind)
            for _attempt in range(3):
                try:
                    run(team.config(), now=MORNING, backend=team.backend(attempts=2))
                    break
                except LeadsyncError:
                    continue  # a person (or the scheduler) runs leadsync again
            assert_each_flag_made_one_lead(team, ["Rossi Srl", "Verdi & Figli", "Gialli Srl"])
            assert run(team.config(), now=MORNING, backend=team.backend()).plan.is_empty


def test_a_pass_that_planned_before_another_wrote_loses_the_race_and_reads_again(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, FLAGGED)
    late = team.backend()
    with late.session(write=True):
        stale = make_plan(late.read(), MORNING, team.config())
        run(team.config(), now=MORNING, backend=team.backend())  # another pass wins
        with pytest.raises(RetryPass):
            late.apply(stale)
    assert_each_flag_made_one_lead(team, ["Rossi Srl", "Verdi & Figli", "Gialli Srl"])


def test_two_passes_racing_create_each_lead_once(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, FLAGGED)
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def one_pass() -> None:
        start.wait()
        try:
            run(team.config(), now=MORNING, backend=team.backend())
        except BaseException as error:
            failures.append(error)

    racers = [threading.Thread(target=one_pass) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert not failures
    assert_each_flag_made_one_lead(team, ["Rossi Srl", "Verdi & Figli", "Gialli Srl"])


def test_a_sort_of_the_leads_tab_mid_pass_moves_the_right_leads_to_to_do(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    due, later = date(2026, 3, 1), date(2026, 6, 1)
    leads = [
        lead_row("L-0001", "Alfa Srl", "Standby", next_action_date=due),
        lead_row("L-0002", "Beta Srl", "Standby", next_action_date=later),
        lead_row("L-0003", "Gamma Srl", "Won"),
        lead_row("L-0004", "Delta Srl", "Standby", next_action_date=due),
    ]
    team = google_team(standin, tmp_path, monkeypatch, [], leads)
    seen: list[int] = []

    def person_sorts(index: int) -> None:
        seen.append(index)
        if len(seen) == 3:
            standin.sort_rows(team.tracker, "Leads", 2, descending=True)  # by Company, Z to A

    standin.before_request(person_sorts)
    report = run(team.config(), now=MORNING, backend=team.backend())
    standin.before_request(None)
    assert report.plan.counts.moved_to_todo == 2
    status = {lead["company"]: lead["status"] for lead in team.records("Leads")}
    assert status == {
        "Alfa Srl": "To-do",
        "Beta Srl": "Standby",
        "Gamma Srl": "Won",
        "Delta Srl": "To-do",
    }


def test_old_lead_number_claims_are_pruned_and_numbers_still_never_repeat(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(google_write, "KEEP_CLAIMS", 5)
    monkeypatch.setattr(google_write, "PRUNE_EVERY", 2)
    companies = [f"Cliente {n} Srl" for n in range(1, 9)]
    team = google_team(standin, tmp_path, monkeypatch, [prospect(c) for c in companies])
    run(team.config(), now=MORNING, backend=team.backend())
    claims = google_write.claims_in(standin.developer_metadata(team.tracker))
    assert claims == {4, 5, 6, 7, 8}

    standin.set_cell(team.tracker, "Prospects", "A10", "+")
    standin.set_cell(team.tracker, "Prospects", "B10", "Nuovo Srl")
    run(team.config(), now=MORNING, backend=team.backend())
    newest = next(r for r in team.records("Prospects") if r["company"] == "Nuovo Srl")
    assert newest["lead"] == "L-0009"


def test_missing_engine_columns_are_added_past_the_grid_edge(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(standin, tmp_path, monkeypatch, [], one_spreadsheet=False)
    # A person's own two-column list, on a grid exactly that wide.
    own = standin.create_spreadsheet(
        "Fiera",
        {"Prospects": [["Segna", "Azienda"], ["+", "Rossi Srl"]]},
        shared_with=[ROBOT],
        cols=2,
    )
    config = team.config_path
    config.write_text(config.read_text().replace(team.prospecting, own))
    run(team.config(), now=MORNING, backend=team.backend())
    header, row = standin.values(own, "Prospects")
    assert header == ["Segna", "Azienda", "Lead", "Sync note"]
    assert row[:3] == ["✓", "Rossi Srl", "L-0001"]
    assert standin.sheet_properties(own, "Prospects")["gridProperties"]["columnCount"] == 4


def test_a_moved_write_finds_its_row_among_identical_ones_by_the_engines_cells(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same prospect twice: once already a lead, once flagged again by a colleague.
    linked = prospect("Rossi Srl", flag="✓", contact="Anna Rossi", lead="L-0001")
    again = prospect("Rossi Srl", contact="Anna Rossi")
    team = google_team(
        standin,
        tmp_path,
        monkeypatch,
        [linked, prospect("Bianchi SpA", flag=None), again],
        [lead_row("L-0001", "Rossi Srl", "To-do", contact="Anna Rossi")],
    )
    seen: list[int] = []

    def person_sorts(index: int) -> None:
        seen.append(index)
        if len(seen) == 3:  # Z to A: the two Rossi rows first, Bianchi last
            standin.sort_rows(team.tracker, "Prospects", 1, descending=True)

    standin.before_request(person_sorts)
    run(team.config(), now=MORNING, backend=team.backend())
    standin.before_request(None)
    marks = [(r["company"], r.get("flag"), r.get("lead")) for r in team.records("Prospects")]
    assert marks == [
        ("Rossi Srl", "✓", "L-0001"),
        ("Rossi Srl", "✓", "L-0002"),
        ("Bianchi SpA", None, None),
    ]
    assert run(team.config(), now=MORNING, backend=team.backend()).plan.is_empty
