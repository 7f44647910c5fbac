"""Rules 6 and 8 on the Google stand-in over real HTTP, and hand-typed leads under racing passes.

Adoption writes a lead ID into a row that has none, and the Sheets API cannot write a cell
only while it is empty. What keeps it exactly-once is the lead-number claim that goes with the
write (see sync/rules_adoption.py): these tests interleave two passes request by request.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from factories import MORNING, lead_row, prospect
from google_team import GoogleTeam, google_team
from sheets_standin import StandIn

from sync.engine import run
from sync.errors import RetryPass
from sync.planner import plan as make_plan

HAND_TYPED = {"company": "ROSSI srl", "contact": "Business card"}


def api_calls(standin: StandIn) -> int:
    return sum(1 for entry in standin.log if entry.path != "/token")


def assert_adopted_once(team: GoogleTeam) -> None:
    """One row per lead, one ID per row, and the folder lists exactly the IDs the rows hold."""
    leads = team.records("Leads")
    ids = [lead.get("lead_id") for lead in leads]
    assert None not in ids and len(set(ids)) == len(ids), ids
    assert Counter(lead["company"] for lead in leads)["ROSSI srl"] == 1
    (folder,) = team.records("Clients")
    rossi = sorted(lead["lead_id"] for lead in leads if "rossi" in lead["company"].casefold())
    assert folder["leads"] == ", ".join(rossi)
    for prospect_row in team.records("Prospects"):
        if prospect_row.get("lead"):
            owner = next(lead for lead in leads if lead["lead_id"] == prospect_row["lead"])
            assert owner["company"] == prospect_row["company"], "a prospect got another's lead"


def test_the_rules_on_google_in_three_requests_then_two(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = google_team(
        standin,
        tmp_path,
        monkeypatch,
        [prospect("Fredda Srl", flag=None, attempts=2)],
        [
            lead_row(
                "L-0001", "Tenace Srl", "Standby", next_action_date=date(2026, 4, 1), followups=8
            ),
            lead_row("L-0002", "Dormiente Srl", "To-do", last_contact=date(2026, 1, 2)),
            lead_row("L-0003", "Felice Srl", "Won", last_contact=date(2025, 10, 1)),
            {"company": "Biglietto Srl", "contact": '\'=HYPERLINK("x")'},
        ],
        settings={"language": "it"},
    )
    with team.config_path.open("a", encoding="utf-8") as toml:
        toml.write("\n[rules]\ntouch_base_days = 60\n")
    standin.clear_log()
    report = run(team.config(), now=MORNING, backend=team.backend())
    assert api_calls(standin) == 3
    assert not report.plan.problems
    (fredda,) = team.records("Prospects")
    assert fredda["sync_note"] == "Drip: 2 tentativi senza +"
    leads = {lead["company"]: lead for lead in team.records("Leads")}
    assert leads["Tenace Srl"]["status"] == "Da fare"
    assert leads["Tenace Srl"]["sync_note"].startswith("Decidere: 8 solleciti")
    assert leads["Dormiente Srl"]["sync_note"].startswith(
        "Inattivo: nessun contatto dal 2026-01-02"
    )
    adopted = leads["Biglietto Srl"]
    assert (adopted["lead_id"], adopted["status"], adopted["source"]) == (
        "L-0004",
        "Da fare",
        "Manual",
    )
    assert adopted["contact"] == '=HYPERLINK("x")'  # the person's cell is not rewritten
    touch = [lead for lead in team.records("Leads") if lead.get("source") == "Touch base"]
    assert [(t["lead_id"], t["company"], t["next_action"]) for t in touch] == [
        ("L-0005", "Felice Srl", "Sentire Felice Srl")
    ]

    standin.clear_log()
    assert run(team.config(), now=MORNING, backend=team.backend()).plan.is_empty
    assert api_calls(standin) == 2


def rossi_team(
    standin: StandIn, folder: Path, monkeypatch: pytest.MonkeyPatch, one_spreadsheet: bool = True
) -> GoogleTeam:
    return google_team(
        standin,
        folder,
        monkeypatch,
        [prospect("Bianchi Srl", flag=None)],
        [lead_row("L-0001", "Rossi Srl", "To-do"), HAND_TYPED],
        one_spreadsheet=one_spreadsheet,
    )


def test_a_pass_that_read_the_row_before_another_adopted_it_writes_nothing(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = rossi_team(standin, tmp_path, monkeypatch)
    late = team.backend()
    with late.session(write=True):
        stale = make_plan(late.read(), MORNING, team.config())
        assert stale.counts.leads_adopted == 1
        first = run(team.config(), now=MORNING, backend=team.backend())  # another pass wins
        assert first.plan.counts.leads_adopted == 1
        with pytest.raises(RetryPass):
            late.apply(stale)
    assert run(team.config(), now=MORNING, backend=team.backend()).plan.is_empty
    assert_adopted_once(team)


@pytest.mark.parametrize("one_spreadsheet", [True, False], ids=["one", "two-spreadsheets"])
def test_racing_passes_with_different_plans_still_adopt_once(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_spreadsheet: bool
) -> None:
    # Pass A reads; a person types + on a prospect; pass B reads, so B plans one more lead than
    # A and hands out its numbers differently. A writes first, then B.
    team = rossi_team(standin, tmp_path, monkeypatch, one_spreadsheet)
    a, b = team.backend(), team.backend()
    with a.session(write=True), b.session(write=True):
        plan_a = make_plan(a.read(), MORNING, team.config())
        standin.set_cell(team.prospecting, "Prospects", "A2", "+")
        plan_b = make_plan(b.read(), MORNING, team.config())
        assert (plan_a.counts.leads_adopted, plan_b.counts.leads_adopted) == (1, 1)
        assert plan_b.counts.leads_created == 1
        a.apply(plan_a)
        with pytest.raises(RetryPass):
            b.apply(plan_b)
    rossi = next(lead for lead in team.records("Leads") if lead["company"] == "ROSSI srl")
    assert rossi["lead_id"] == "L-0002"  # A's ID, and B's never replaced it
    run(team.config(), now=MORNING, backend=team.backend())  # B reads again and goes on
    assert run(team.config(), now=MORNING, backend=team.backend()).plan.is_empty
    assert_adopted_once(team)
    (bianchi,) = team.records("Prospects")
    assert (bianchi["flag"], bianchi["lead"]) == ("✓", "L-0003")


def test_two_passes_started_together_adopt_a_hand_typed_lead_once(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = rossi_team(standin, tmp_path, monkeypatch)
    start = threading.Barrier(2)
    failures: list[BaseException] = []
    adopted: list[int] = []

    def one_pass() -> None:
        start.wait()
        try:
            report = run(team.config(), now=MORNING, backend=team.backend())
            adopted.append(report.plan.counts.leads_adopted)
        except BaseException as error:
            failures.append(error)

    racers = [threading.Thread(target=one_pass) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert not failures
    assert sum(adopted) == 1  # the pass that lost read again and found nothing to adopt
    assert run(team.config(), now=MORNING, backend=team.backend()).plan.is_empty
    assert_adopted_once(team)


def test_a_sort_of_the_leads_tab_mid_pass_never_puts_an_id_on_the_wrong_row(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leads = [
        lead_row("L-0001", "Alfa Srl", "To-do"),
        {"company": "Beta Srl", "contact": "Card"},
        lead_row("L-0002", "Gamma Srl", "Won"),
        {"company": "Delta Srl", "contact": "Web form", "source": "Website"},
    ]
    team = google_team(standin, tmp_path, monkeypatch, [], leads)
    seen: list[int] = []

    def person_sorts(index: int) -> None:
        seen.append(index)
        if len(seen) == 3:  # just before the write: Company, Z to A
            standin.sort_rows(team.tracker, "Leads", 2, descending=True)

    standin.before_request(person_sorts)
    report = run(team.config(), now=MORNING, backend=team.backend())
    standin.before_request(None)
    assert len(seen) > 3, "the sort made the write land on other rows, to be repaired"
    assert report.plan.counts.leads_adopted == 2
    found = {
        lead["company"]: (lead["lead_id"], lead["status"], lead.get("source"))
        for lead in team.records("Leads")
    }
    assert found == {
        "Alfa Srl": ("L-0001", "To-do", "prospects.xlsx"),
        "Beta Srl": ("L-0003", "To-do", "Manual"),
        "Gamma Srl": ("L-0002", "Won", "prospects.xlsx"),
        "Delta Srl": ("L-0004", "To-do", "Website"),
    }
    assert run(team.config(), now=MORNING, backend=team.backend()).plan.is_empty


def test_a_lead_typed_by_hand_between_two_passes_reads_never_doubles_a_conversion(
    standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prospects in a spreadsheet of their own, written before the tracker. Pass A converts
    # Bianchi as L-0002; a person then types a lead into Leads; pass B, reading after that,
    # adopts it as L-0002 and converts Bianchi as L-0003. B's Lead cell for Bianchi must not
    # replace A's: B reserves its numbers in the tracker first, where A's claim stops it.
    team = google_team(
        standin,
        tmp_path,
        monkeypatch,
        [prospect("Bianchi Srl")],
        [lead_row("L-0001", "Rossi Srl", "To-do")],
        one_spreadsheet=False,
    )
    a, b = team.backend(), team.backend()
    with a.session(write=True), b.session(write=True):
        plan_a = make_plan(a.read(), MORNING, team.config())
        standin.set_cell(team.tracker, "Leads", "C3", "ROSSI srl")
        plan_b = make_plan(b.read(), MORNING, team.config())
        assert plan_b.counts.leads_adopted == 1 and plan_b.counts.leads_created == 1
        a.apply(plan_a)
        standin.clear_log()
        with pytest.raises(RetryPass):
            b.apply(plan_b)
        assert not [c for c in standin.log if c.path.endswith(f"{team.prospecting}:batchUpdate")]
    run(team.config(), now=MORNING, backend=team.backend())
    assert run(team.config(), now=MORNING, backend=team.backend()).plan.is_empty
    assert_adopted_once(team)
    companies = sorted(lead["company"] for lead in team.records("Leads"))
    assert companies == ["Bianchi Srl", "ROSSI srl", "Rossi Srl"]
