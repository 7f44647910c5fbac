"""Rule 6 as a pure function: a lead typed by hand into Leads gets an ID, a status and a source."""

from __future__ import annotations

from datetime import date

from test_planner import NOW, appended, config, snapshot, writes

from sync.planner import WARNING, plan
from sync.snapshot import Snapshot


def test_a_hand_typed_lead_gets_the_next_id_to_do_and_source_manual() -> None:
    snap = snapshot(
        [],
        leads=[
            {
                "lead_id": "L-0003",
                "company": "Old Srl",
                "status": "Won",
                "closed": date(2026, 1, 9),
            },
            {"company": "Card Srl", "contact": "Met at the fair"},
        ],
    )
    result = plan(snap, NOW, config())
    assert writes(result, "Leads") == {
        (3, "lead_id"): "L-0004",
        (3, "status"): "To-do",
        (3, "source"): "Manual",
    }
    adoption = next(c for c in result.cells if c.field == "lead_id")
    assert adoption.expect == {"lead_id": None, "company": "Card Srl"}
    assert result.counts.leads_adopted == 1
    assert result.issued_lead_number == 4
    assert not result.problems


def test_a_future_date_gives_standby_and_what_the_person_typed_is_kept() -> None:
    snap = snapshot(
        [],
        leads=[
            {"company": "Later Srl", "next_action_date": date(2026, 12, 20)},
            {"company": "Closed Srl", "status": "Won", "source": "Web form"},
        ],
    )
    result = plan(snap, NOW, config())
    assert writes(result, "Leads") == {
        (2, "lead_id"): "L-0001",
        (2, "status"): "Standby",
        (2, "source"): "Manual",
        (3, "lead_id"): "L-0002",
        (3, "closed"): NOW.date(),  # rule 7: a lead first seen Won is closed today
    }


def test_italian_status_words_for_an_adopted_lead() -> None:
    result = plan(snapshot([], leads=[{"company": "Rossi Srl"}]), NOW, config(language="it"))
    assert writes(result, "Leads")[(2, "status")] == "Da fare"


def test_a_row_without_company_gets_a_note_and_no_id() -> None:
    snap = snapshot([], leads=[{"contact": "Anna", "email": "anna@rossi.it"}])
    result = plan(snap, NOW, config())
    assert writes(result, "Leads") == {
        (2, "sync_note"): WARNING
        + "Company is empty: fill it in and this lead gets its ID at the next sync"
    }
    assert result.problems and result.issued_lead_number is None


def test_a_row_holding_only_engine_cells_is_no_hand_typed_lead() -> None:
    result = plan(snapshot([], leads=[{"folder": "F-001", "status": "Won"}]), NOW, config())
    assert result.is_empty and not result.problems


def test_once_adopted_the_next_pass_has_nothing_to_do() -> None:
    typed = {"company": "Card Srl", "sync_note": WARNING + "Company is empty: fill it in"}
    first = plan(snapshot([], leads=[typed]), NOW, config())
    assert writes(first, "Leads")[(2, "sync_note")] == ""  # the old problem is settled
    after = dict(typed, sync_note=None)
    after.update({c.field: c.value for c in first.cells if c.field != "sync_note"})
    snap = snapshot([], leads=[after])
    again = plan(Snapshot(snap.prospects, snap.leads, snap.clients, 1), NOW, config())
    assert again.is_empty, again.events


def test_adoptions_and_conversions_share_one_sequence() -> None:
    snap = snapshot([{"flag": "+", "company": "Flagged Srl"}], leads=[{"company": "Typed Srl"}])
    result = plan(snap, NOW, config())
    assert writes(result, "Leads")[(2, "lead_id")] == "L-0001"
    assert appended(result, "Leads")[0]["lead_id"] == "L-0002"
    assert result.issued_lead_number == 2


def test_an_adopted_lead_joins_its_clients_folder() -> None:
    snap = snapshot(
        [],
        leads=[
            {"lead_id": "L-0001", "company": "Rossi Srl", "status": "To-do"},
            {"company": "ROSSI S.r.l.", "contact": "Phone call"},
        ],
    )
    result = plan(snap, NOW, config())
    (folder,) = appended(result, "Clients")
    assert folder["leads"] == "L-0001, L-0002"
    assert writes(result, "Leads")[(3, "folder")] == "F-001"
    assert writes(result, "Leads")[(2, "folder")] == "F-001"
