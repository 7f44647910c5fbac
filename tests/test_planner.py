"""The rules as pure functions: snapshots in, plans out, no files and no clock."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import FrozenInstanceError, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sync.config import Config, parse_config
from sync.headers import FIELDS, TabKind
from sync.plan import AppendRow, Plan, SetCell, set_cell
from sync.planner import WARNING, _Planner, plan, same
from sync.snapshot import CellValue, Row, Snapshot, Tab, TabRef

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 11:00 in Rome


def config(**overrides: object) -> Config:
    data: dict[str, object] = {
        "time_zone": "Europe/Rome",
        "default_owner": "Giulia",
        "tracker": {"path": "leads.xlsx"},
        "prospecting": [{"path": "prospects.xlsx"}],
    }
    data.update(overrides)
    return parse_config(data, Path("."))


def tab(
    kind: TabKind,
    name: str,
    rows: Sequence[Mapping[str, CellValue]],
    book: str = "x",
    without: tuple[str, ...] = (),
) -> Tab:
    """A tab with every column of its kind (but those `without`), one row per mapping."""
    keys = [f.key for f in FIELDS[kind] if f.key not in without]
    columns = {key: i + 1 for i, key in enumerate(keys)}
    return Tab(
        ref=TabRef(book, name),
        kind=kind,
        label=f"{book} › {name}",
        header_row=1,
        columns=columns,
        rows=tuple(Row(i + 2, dict(values)) for i, values in enumerate(rows)),
        first_free_column=len(columns) + 1,
        source_name="prospects.xlsx",
    )


def snapshot(
    prospects: list[Mapping[str, CellValue]],
    leads: list[Mapping[str, CellValue]] = (),  # type: ignore[assignment]
    clients: list[Mapping[str, CellValue]] = (),  # type: ignore[assignment]
) -> Snapshot:
    return Snapshot(
        (tab(TabKind.PROSPECTS, "Prospects", prospects, "prospects.xlsx"),),
        tab(TabKind.LEADS, "Leads", list(leads), "leads.xlsx"),
        tab(TabKind.CLIENTS, "Clients", list(clients), "leads.xlsx"),
    )


def writes(result: Plan, tab_name: str) -> dict[tuple[int, str], CellValue]:
    return {(c.row, c.field): c.value for c in result.cells if c.tab.tab == tab_name}


def appended(result: Plan, tab_name: str) -> list[Mapping[str, CellValue]]:
    return [a.values for a in result.appends if a.tab.tab == tab_name]


def test_plus_row_becomes_one_lead_and_the_row_gets_its_id() -> None:
    snap = snapshot([{"flag": "+", "company": "Acme Inc", "contact": "Ann", "assign_to": "Bo"}])
    result = plan(snap, NOW, config())
    (lead,) = appended(result, "Leads")
    assert lead["lead_id"] == "L-0001"
    assert lead["company"] == "Acme Inc"
    assert lead["owner"] == "Bo"
    assert lead["status"] == "To-do"
    assert writes(result, "Prospects") == {(2, "lead"): "L-0001", (2, "flag"): "✓"}
    assert result.counts.leads_created == 1
    assert not result.problems


def test_owner_falls_back_to_the_default_owner() -> None:
    result = plan(snapshot([{"flag": "+", "company": "Acme"}]), NOW, config())
    assert appended(result, "Leads")[0]["owner"] == "Giulia"


def test_a_prospects_own_source_becomes_the_leads_source_else_its_file_name() -> None:
    snap = snapshot(
        [
            {"flag": "+", "company": "Acme", "source": "Fiera Milano 2026"},
            {"flag": "+", "company": "Bolt", "source": "  "},
        ]
    )
    sources = [lead["source"] for lead in appended(plan(snap, NOW, config()), "Leads")]
    assert sources == ["Fiera Milano 2026", "prospects.xlsx"]


def test_lead_ids_continue_after_the_highest_seen_anywhere() -> None:
    snap = snapshot(
        [{"flag": "✓", "company": "Old", "lead": "L-0041"}, {"flag": "+", "company": "New"}],
        leads=[{"lead_id": "L-0007", "company": "Old", "status": "Won"}],
    )
    # The tracker once held L-0041 (it was deleted since): its number is never reused.
    snap = Snapshot(snap.prospects, snap.leads, snap.clients, issued_lead_number=41)
    result = plan(snap, NOW, config())
    assert [lead["lead_id"] for lead in appended(result, "Leads")] == ["L-0042"]


def test_converted_row_is_left_alone() -> None:
    snap = snapshot(
        [{"flag": "✓", "company": "Acme", "lead": "L-0001"}],
        leads=[{"lead_id": "L-0001", "company": "Acme", "status": "To-do"}],
    )
    assert plan(snap, NOW, config()).is_empty


def test_row_without_company_keeps_its_plus_and_gets_a_note() -> None:
    result = plan(snapshot([{"flag": "+", "contact": "Ann"}]), NOW, config())
    assert not appended(result, "Leads")
    cells = writes(result, "Prospects")
    assert set(cells) == {(2, "sync_note")}
    assert str(cells[2, "sync_note"]).startswith(WARNING + "Company is empty")
    assert result.problems[0].where == "prospects.xlsx › Prospects row 2"


def test_a_fixed_row_gets_its_warning_cleared() -> None:
    snap = snapshot([{"flag": "+", "company": "Acme", "sync_note": WARNING + "Company is empty"}])
    assert writes(plan(snap, NOW, config()), "Prospects")[2, "sync_note"] == ""


def test_a_problem_on_a_prospect_row_keeps_no_warning_on_the_lead_row_of_that_number() -> None:
    fixed = {"lead_id": "L-0001", "company": "Acme", "created": date(2026, 11, 20)}
    fixed["status"], fixed["sync_note"] = "Won", WARNING + "Status 'Wonn' is not a status"
    result = plan(snapshot([{"flag": "+", "contact": "Ann"}], leads=[fixed]), NOW, config())
    assert str(writes(result, "Prospects")[2, "sync_note"]).startswith(WARNING + "Company is")
    assert writes(result, "Leads")[2, "sync_note"] == ""


def test_a_persons_own_note_is_not_cleared() -> None:
    snap = snapshot([{"company": "Acme", "sync_note": "call after lunch"}])
    assert plan(snap, NOW, config()).is_empty


def test_unknown_flag_is_a_problem_not_a_lead() -> None:
    result = plan(snapshot([{"flag": "yes", "company": "Acme"}]), NOW, config())
    assert not appended(result, "Leads")
    assert "Flag 'yes' is not understood" in result.problems[0].message


def test_bad_date_and_amount_are_both_reported() -> None:
    snap = snapshot(
        [{"flag": "+", "company": "A", "next_action_date": "31/02/2026", "amount": "lots"}]
    )
    message = plan(snap, NOW, config()).problems[0].message
    assert "Next action date" in message and "Amount 'lots'" in message


def test_struck_row_is_marked_once_and_never_converted() -> None:
    first = plan(snapshot([{"flag": "x", "company": "Acme"}]), NOW, config())
    assert writes(first, "Prospects") == {(2, "sync_note"): "Struck off"}
    assert [s.row for s in first.strikes] == [2]
    again = snapshot([{"flag": "X", "company": "Acme", "sync_note": "Struck off"}])
    assert plan(again, NOW, config()).is_empty


def test_italian_words() -> None:
    result = plan(
        snapshot([{"flag": "x", "company": "A"}, {"flag": "+", "company": "B"}]),
        NOW,
        config(language="it"),
    )
    assert writes(result, "Prospects")[2, "sync_note"] == "Scartato"
    assert appended(result, "Leads")[0]["status"] == "Da fare"


@pytest.mark.parametrize(
    ("next_date", "status"),
    [
        (date(2026, 11, 26), "Standby"),
        (date(2026, 11, 25), "To-do"),  # midnight today has passed
        (datetime(2026, 11, 25, 11, 30), "Standby"),  # 11:30 Rome is after 11:00 Rome
        (datetime(2026, 11, 25, 10, 30), "To-do"),  # 10:30 Rome is before now, though not in UTC
        (None, "To-do"),
    ],
)
def test_new_lead_status_follows_its_next_action_date(next_date: CellValue, status: str) -> None:
    snap = snapshot([{"flag": "+", "company": "A", "next_action_date": next_date}])
    assert appended(plan(snap, NOW, config()), "Leads")[0]["status"] == status


def test_due_standby_moves_to_todo_in_the_configured_zone() -> None:
    leads = [
        {
            "lead_id": "L-0001",
            "company": "A",
            "status": "Standby",
            "next_action_date": datetime(2026, 11, 25, 10, 59),
        },
        {
            "lead_id": "L-0002",
            "company": "B",
            "status": "In attesa",
            "next_action_date": datetime(2026, 11, 25, 11, 1),
        },
        {"lead_id": "L-0003", "company": "C", "status": "Standby"},
        {
            "lead_id": "L-0004",
            "company": "D",
            "status": "Won",
            "next_action_date": date(2020, 1, 1),
        },
    ]
    result = plan(snapshot([], leads), NOW, config())
    cells = writes(result, "Leads")
    assert cells[2, "status"] == "To-do"
    assert (3, "status") not in cells
    assert cells[4, "status"] == "To-do"
    assert "Next action date is empty" in str(cells[4, "sync_note"])
    assert (5, "status") not in cells
    assert result.counts.moved_to_todo == 2


def test_standby_with_unreadable_date_moves_to_todo_with_the_reason() -> None:
    leads = [{"lead_id": "L-0001", "company": "A", "status": "Standby", "next_action_date": "soon"}]
    cells = writes(plan(snapshot([], leads), NOW, config()), "Leads")
    assert cells[2, "status"] == "To-do"
    assert "'soon' is not a date" in str(cells[2, "sync_note"])


def test_unknown_status_is_reported_and_kept() -> None:
    leads = [{"lead_id": "L-0001", "company": "A", "status": "Pending"}]
    result = plan(snapshot([], leads), NOW, config())
    assert (2, "status") not in writes(result, "Leads")
    assert "Status 'Pending'" in result.problems[0].message


def test_two_spellings_of_one_client_open_one_folder() -> None:
    snap = snapshot(
        [
            {"flag": "+", "company": "Rossi Impianti S.r.l."},
            {"flag": "+", "company": "ROSSI IMPIANTI srl"},
            {"flag": "+", "company": "Bianchi SpA"},
        ]
    )
    result = plan(snap, NOW, config())
    (folder,) = appended(result, "Clients")
    assert folder["folder"] == "F-001"
    assert folder["client"] == "Rossi Impianti S.r.l."
    assert folder["leads"] == "L-0001, L-0002"
    assert folder["lead_count"] == 2 and folder["open_leads"] == 2
    folders = [lead.get("folder") for lead in appended(result, "Leads")]
    assert folders == ["F-001", "F-001", None]


def test_folder_list_stays_current_and_existing_leads_get_filed() -> None:
    snap = snapshot(
        [{"flag": "+", "company": "Acme Ltd"}],
        leads=[
            {"lead_id": "L-0001", "company": "ACME", "status": "Won", "folder": "F-004"},
            {"lead_id": "L-0002", "company": "Acme Inc.", "status": "To-do", "folder": "F-004"},
        ],
        clients=[
            {
                "folder": "F-004",
                "client": "ACME",
                "client_key": "acme",
                "leads": "L-0001, L-0002",
                "lead_count": 2,
                "open_leads": 1,
            }
        ],
    )
    result = plan(snap, NOW, config())
    assert writes(result, "Clients") == {
        (2, "leads"): "L-0001, L-0002, L-0003",
        (2, "lead_count"): 3,
        (2, "open_leads"): 2,
    }
    assert appended(result, "Leads")[0]["folder"] == "F-004"
    assert result.counts.folders_updated == 1 and result.counts.folders_created == 0


def test_email_domain_groups_leads_without_company_but_not_free_mail() -> None:
    leads = [
        {"lead_id": "L-0001", "company": "Rossi Impianti", "status": "To-do"},
        {"lead_id": "L-0002", "email": "anna@rossi-impianti.it", "status": "To-do"},
        {"lead_id": "L-0003", "email": "x@gmail.com", "status": "To-do"},
        {"lead_id": "L-0004", "email": "y@gmail.com", "status": "To-do"},
    ]
    (folder,) = appended(plan(snapshot([], leads), NOW, config()), "Clients")
    assert folder["leads"] == "L-0001, L-0002"


def test_won_lead_with_renewal_date_gets_one_standby_copy() -> None:
    won = {
        "lead_id": "L-0001",
        "company": "Acme",
        "status": "Won",
        "renewal_date": date(2027, 3, 1),
        "owner": "Bo",
    }
    result = plan(snapshot([], [won]), NOW, config())
    (renewal,) = appended(result, "Leads")
    assert renewal["renewal_of"] == "L-0001"
    assert renewal["status"] == "Standby"
    assert renewal["next_action_date"] == date(2027, 1, 30)  # 30 days of notice
    assert renewal["owner"] == "Bo"
    assert appended(result, "Clients")[0]["leads"] == "L-0001, L-0002"
    done = {**renewal, "status": "Standby"}
    assert not appended(plan(snapshot([], [won, done]), NOW, config()), "Leads")


def test_row_whose_lead_never_reached_the_tracker_gets_it_under_the_same_id() -> None:
    # The last pass saved the prospecting file (ID and ✓) and stopped before the tracker.
    snap = snapshot(
        [
            {"flag": "✓", "company": "Acme", "contact": "Ann", "lead": "L-0002"},
            {"flag": "+", "company": "Bianchi"},
        ],
        leads=[{"lead_id": "L-0001", "company": "Old", "status": "Won"}],
    )
    result = plan(snap, NOW, config())
    recovered, created = appended(result, "Leads")
    assert (recovered["lead_id"], recovered["contact"]) == ("L-0002", "Ann")
    assert created["lead_id"] == "L-0003"
    assert writes(result, "Prospects") == {(3, "lead"): "L-0003", (3, "flag"): "✓"}
    assert result.counts.leads_recovered == 1 and result.counts.leads_created == 1
    assert result.issued_lead_number == 3


def test_the_trackers_issued_number_tells_a_deleted_lead_from_an_unsaved_one() -> None:
    rows = [{"flag": "✓", "company": "Acme", "lead": "L-0002"}]
    leads = [{"lead_id": "L-0001", "company": "Old", "status": "Won"}]
    base = snapshot(rows, leads)
    deleted = Snapshot(base.prospects, base.leads, base.clients, issued_lead_number=2)
    result = plan(deleted, NOW, config())
    assert not appended(result, "Leads")
    assert "L-0002 is not in the Leads tab" in result.problems[0].message
    unsaved = Snapshot(base.prospects, base.leads, base.clients, issued_lead_number=1)
    assert appended(plan(unsaved, NOW, config()), "Leads")[0]["lead_id"] == "L-0002"


def test_the_number_of_a_deleted_lead_is_not_handed_out_again() -> None:
    base = snapshot([{"flag": "+", "company": "New"}])
    snap = Snapshot(base.prospects, base.leads, base.clients, issued_lead_number=12)
    result = plan(snap, NOW, config())
    assert appended(result, "Leads")[0]["lead_id"] == "L-0013"
    assert result.issued_lead_number == 13


def test_an_id_copied_onto_a_second_row_is_reported_there() -> None:
    rows = [{"flag": "✓", "company": "Acme", "lead": "L-0001"}] * 2
    result = plan(snapshot(rows), NOW, config())
    assert len(appended(result, "Leads")) == 1  # an unsaved lead is completed once
    (problem,) = result.problems
    assert problem.where.endswith("row 3")
    assert "L-0001 is also on prospects.xlsx › Prospects row 2" in problem.message
    leads = [{"lead_id": "L-0001", "company": "Acme", "status": "To-do"}]
    assert plan(snapshot(rows, leads), NOW, config()).problems == result.problems


def test_identical_rows_are_two_leads() -> None:
    row = {"flag": "+", "company": "Acme", "contact": "Ann"}
    result = plan(snapshot([row, dict(row)]), NOW, config())
    assert [lead["lead_id"] for lead in appended(result, "Leads")] == ["L-0001", "L-0002"]


def test_lead_cell_pointing_nowhere_is_reported_not_recreated() -> None:
    base = snapshot([{"flag": "✓", "company": "Acme", "lead": "L-0009"}])
    deleted = Snapshot(base.prospects, base.leads, base.clients, issued_lead_number=9)
    result = plan(deleted, NOW, config())
    assert not appended(result, "Leads")
    assert "L-0009 is not in the Leads tab" in result.problems[0].message


def test_writes_carry_the_values_that_identify_their_row() -> None:
    result = plan(snapshot([{"flag": "+", "company": "Acme"}]), NOW, config())
    cell = next(c for c in result.cells if c.field == "lead")
    assert isinstance(cell, SetCell)
    assert cell.expect == {"flag": "+", "company": "Acme", "lead": None}


def test_missing_owned_columns_are_added_after_the_last_used_one() -> None:
    base = snapshot([{"flag": "+", "company": "Acme"}])
    narrow = Tab(
        ref=base.prospects[0].ref,
        kind=TabKind.PROSPECTS,
        label="p",
        header_row=1,
        columns={"flag": 1, "company": 2},
        rows=base.prospects[0].rows,
        first_free_column=5,
    )
    result = plan(Snapshot((narrow,), base.leads, base.clients), NOW, config())
    assert [(a.field, a.column) for a in result.add_columns] == [("lead", 5), ("sync_note", 6)]


def test_text_that_looks_like_a_formula_is_carried_as_text() -> None:
    name = '=HYPERLINK("http://x","y")'
    result = plan(snapshot([{"flag": "+", "company": name}]), NOW, config())
    assert appended(result, "Leads")[0]["company"] == name


def test_planner_refuses_a_naive_clock() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(snapshot([]), datetime(2026, 1, 1), config())


def test_same_input_same_plan() -> None:
    snap = snapshot([{"flag": "+", "company": f"C{i % 3}"} for i in range(6)])
    assert plan(snap, NOW, config()) == plan(snap, NOW, config())
    assert all(isinstance(a, AppendRow) for a in plan(snap, NOW, config()).appends)


def test_formula_without_a_result_waits_with_a_note() -> None:
    snap = snapshot([{"flag": "+", "company": None}])
    row = snap.prospects[0].rows[0]
    unresolved = Row(row.number, row.values, frozenset({"company"}))
    prospects = replace(snap.prospects[0], rows=(unresolved,))
    result = plan(Snapshot((prospects,), snap.leads, snap.clients), NOW, config())
    assert not appended(result, "Leads")
    (problem,) = result.problems
    assert problem.message.startswith("Company is a formula leadsync cannot see the result of")


@pytest.mark.parametrize(
    ("value", "expect"), [("L-0001", {"flag": "+"}), (None, {}), (3.5, {"lead_id": "L-0002"})]
)
def test_set_cell_is_the_set_cell_the_dataclass_makes(
    value: CellValue, expect: dict[str, CellValue]
) -> None:
    made = set_cell(TabRef("book", "Leads"), 7, "status", value, expect)
    expected = SetCell(TabRef("book", "Leads"), 7, "status", value, expect)
    assert type(made) is SetCell and made == expected and repr(made) == repr(expected)
    assert pickle.loads(pickle.dumps(made)) == expected
    assert copy.copy(made) == expected
    with pytest.raises(FrozenInstanceError):
        made.value = "other"  # type: ignore[misc]


CELLS: list[CellValue] = [None, "", " ", "x", " x ", "y", 3, 3.0, "3", True, 1]
CELLS += [date(2026, 11, 25), datetime(2026, 11, 25), datetime(2026, 11, 25, 9, 30)]


@pytest.mark.parametrize("current", CELLS)
def test_a_cell_is_written_unless_it_reads_the_same_already(current: CellValue) -> None:
    planner = _Planner(snapshot([]), NOW, config())
    leads = planner.snap.leads
    for value in CELLS:
        planner.cells.clear()
        planner._set(leads, Row(2, {"sync_note": current}), "sync_note", value, ())
        assert len(planner.cells) == (not same(current, value)), (current, value)
