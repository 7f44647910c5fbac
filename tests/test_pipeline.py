"""Rule 7 as pure code: steps, the Closed date, the numbers, and when the tab is written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_planner import NOW, config, tab

from sync.config import Config
from sync.errors import ConfigError
from sync.headers import TabKind
from sync.model import LeadStatus
from sync.pipeline import UNKNOWN_STEP, Pipeline, compute, compute_rows, lead_lines, lead_rows
from sync.pipeline_plan import _cell, normalised, pipeline_grid, pipeline_of
from sync.plan import RewriteTab
from sync.planner import WARNING, plan
from sync.rules_pipeline import closed_value
from sync.snapshot import CellValue, RawTab, Snapshot, TabRef

TODAY = date(2026, 11, 25)
PIPELINE = TabRef("leads.xlsx", "Pipeline")


def snapshot(
    leads: list[Mapping[str, CellValue]],
    prospects: list[Mapping[str, CellValue]] | None = None,
    pipeline: RawTab | None = None,
) -> Snapshot:
    return Snapshot(
        (tab(TabKind.PROSPECTS, "Prospects", prospects or [], "prospects.xlsx"),),
        tab(TabKind.LEADS, "Leads", leads, "leads.xlsx"),
        tab(TabKind.CLIENTS, "Clients", [], "leads.xlsx"),
        pipeline=pipeline,
    )


def lead(number: int, status: str, **more: CellValue) -> dict[str, CellValue]:
    return {
        "lead_id": f"L-{number:04d}",
        "company": f"Company {number}",
        "owner": "Anna",
        "status": status,
        **more,
    }


# ---- configuration ---------------------------------------------------------------------


def test_default_steps_are_new_contacted_proposal_negotiation_with_italian_aliases() -> None:
    steps = config().pipeline
    assert steps.names() == ["New", "Contacted", "Proposal", "Negotiation"]
    assert [s.probability for s in steps.steps] == [10, 25, 50, 75]
    assert steps.find(" trattativa ") == steps.steps[3]
    assert steps.find("Nuovo") == steps.first
    assert steps.find("Closing") is None


def test_steps_are_configured_in_order_with_aliases_and_probabilities() -> None:
    custom = config(
        pipeline={
            "steps": [
                {"name": "Lead", "probability": 5},
                {"name": "Demo", "aliases": ["Dimostrazione"], "probability": 40},
            ]
        }
    ).pipeline
    assert custom.names() == ["Lead", "Demo"]
    assert custom.find("dimostrazione") == custom.steps[1]


@pytest.mark.parametrize(
    ("steps", "says"),
    [
        ([{"name": "A", "probability": 120}], "pipeline.steps[1].probability"),
        ([], "pipeline.steps"),
        (
            [{"name": "A", "probability": 1}, {"name": "B", "aliases": ["a"], "probability": 2}],
            "'a' names both A and B",
        ),
        ([{"name": "A", "probability": 1}, {"name": "a", "probability": 2}], "listed twice"),
        ([{"name": "A", "probability": 1, "chance": 3}], "pipeline.steps[1].chance"),
    ],
)
def test_a_wrong_pipeline_section_names_the_key(steps: list[object], says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config(pipeline={"steps": steps})
    assert says in str(raised.value)


# ---- Step and Closed cells of leads ----------------------------------------------------


def test_a_step_that_names_no_configured_step_is_a_row_problem() -> None:
    result = plan(snapshot([lead(1, "To-do", step="Closing")]), NOW, config())
    assert [p.where for p in result.problems] == ["leads.xlsx › Leads row 2"]
    note = next(c.value for c in result.cells if c.field == "sync_note")
    assert isinstance(note, str) and note.startswith(WARNING)
    assert "Step 'Closing' is not one of New, Contacted, Proposal, Negotiation" in note
    assert "leave it empty for New" in note


@pytest.mark.parametrize("step", [None, "", "Proposal", "proposta", "  NEGOTIATION "])
def test_empty_steps_and_aliases_are_fine_and_never_rewritten(step: str | None) -> None:
    result = plan(snapshot([lead(1, "To-do", step=step)]), NOW, config())
    assert result.problems == ()
    assert all(c.field != "step" for c in result.cells)


def test_the_closed_date_is_stamped_once_when_a_lead_is_won_or_lost() -> None:
    leads = [
        lead(1, "Won"),
        lead(2, "Perso"),
        lead(3, "Won", closed=datetime(2026, 10, 2)),
        lead(4, "To-do", closed=datetime(2026, 10, 2)),  # opened again
        lead(5, "Standby", next_action_date=datetime(2026, 12, 1)),
    ]
    result = plan(snapshot(leads), NOW, config())
    closed = {c.row: c.value for c in result.cells if c.field == "closed"}
    assert closed == {2: TODAY, 3: TODAY, 5: None}


def test_an_empty_closed_cell_is_stamped_only_for_a_won_or_lost_lead() -> None:
    words = ["Won", "Lost", "To-do", "Standby", "maybe", "", "Vinto", " lost "]
    leads = [lead(n, word, next_action_date=datetime(2026, 12, 1)) for n, word in enumerate(words)]
    result = plan(snapshot(leads), NOW, config())
    closed = {c.row: c.value for c in result.cells if c.field == "closed"}
    assert closed == {2: TODAY, 3: TODAY, 8: TODAY, 9: TODAY}


@pytest.mark.parametrize("status", [None, *LeadStatus])
@pytest.mark.parametrize("current", [None, "", "  ", "3/11/2026", 46000, date(2026, 11, 3)])
def test_the_closed_cell_is_stamped_kept_or_cleared_by_the_status(
    status: LeadStatus | None, current: CellValue
) -> None:
    stamped = closed_value(status, current, TODAY)
    if status in (LeadStatus.WON, LeadStatus.LOST):
        empty = current is None or (isinstance(current, str) and not current.strip())
        assert stamped == (TODAY if empty else current)
    elif status is None:
        assert stamped is current
    else:
        assert stamped is None


# ---- the numbers -----------------------------------------------------------------------


def numbers(leads: list[Mapping[str, CellValue]], cfg: Config | None = None) -> Pipeline:
    cfg = cfg or config()
    snap = snapshot(leads)
    planned = plan(snap, NOW, cfg)
    result = compute(lead_lines(snap, planned, cfg), TODAY, cfg.pipeline)
    # A pass's own way there, with a LeadLine only per To-do lead, gives the same numbers.
    rows, reader = lead_rows(snap, planned, cfg)
    assert compute_rows(rows, reader, TODAY, cfg) == result
    return result


def test_open_leads_count_per_step_and_owner_with_amount_and_weighted_amount() -> None:
    leads = [
        lead(1, "To-do", step="Proposal", amount=1000),
        lead(
            2,
            "Standby",
            step="Proposta",
            amount="2.000,00",
            owner="Bruno",
            next_action_date=datetime(2026, 12, 1),
        ),
        lead(3, "To-do", amount=400),  # empty step: New
        lead(4, "Won", step="Proposal", amount=9999),  # closed leads are not in the pipeline
        lead(5, "To-do", step="Proposal", amount=None),
    ]
    result = numbers(leads)
    steps = {name: (b.count, b.amount, b.weighted) for name, _p, b in result.steps}
    assert steps == {
        "New": (1, 400, 40),
        "Contacted": (0, 0, 0),
        "Proposal": (3, 3000, 1500),
        "Negotiation": (0, 0, 0),
    }
    pairs = {(s, o): b.count for s, o, b in result.by_step_owner}
    assert pairs == {("New", "Anna"): 1, ("Proposal", "Anna"): 2, ("Proposal", "Bruno"): 1}


def test_overdue_is_a_todo_lead_due_before_today_in_the_tracker_zone() -> None:
    leads = [
        lead(1, "To-do", next_action_date=datetime(2026, 11, 24, 23, 30)),  # yesterday: overdue
        lead(2, "To-do", next_action_date=datetime(2026, 11, 25, 8, 0)),  # today: not overdue
        lead(3, "To-do"),  # no date: not overdue
        lead(4, "Standby", next_action_date=datetime(2026, 11, 20)),  # moved to To-do today
        lead(5, "Standby", next_action_date=datetime(2026, 12, 20)),
    ]
    result = numbers(leads)
    owner = result.owners[0]
    assert (owner.todo, owner.standby, owner.overdue) == (4, 1, 2)
    order = [line.lead_id for line in result.todo]
    assert order == ["L-0004", "L-0001", "L-0002", "L-0003"]  # overdue (oldest first) first


def test_the_todo_list_is_overdue_first_then_by_date_then_undated_each_by_lead_id() -> None:
    days = [None, 20, 27, 24, None, 20, 25, 30, 27, 24]  # in November; 25 is today
    leads = [
        lead(number, "To-do", next_action_date=datetime(2026, 11, day) if day else None)
        for number, day in zip((9, 3, 7, 1, 2, 8, 5, 4, 6, 10), days, strict=True)
    ]
    result = numbers(leads)
    expected = sorted(
        result.todo,
        key=lambda line: (
            not (line.due is not None and line.due < TODAY),
            line.due is None,
            line.due or TODAY,
            line.lead_id,
        ),
    )
    assert result.todo == tuple(expected)
    assert [line.lead_id for line in result.todo][:2] == ["L-0003", "L-0008"]


def test_won_and_lost_this_month_go_by_the_closed_date() -> None:
    leads = [
        lead(1, "Won", closed=datetime(2026, 11, 2)),
        lead(2, "Won", closed=datetime(2026, 10, 31)),
        lead(3, "Lost", closed=date(2026, 11, 20)),
        lead(4, "Won"),  # closed today by this very pass
        lead(5, "Lost", owner="Carlo", closed=datetime(2025, 11, 3)),  # a year ago
    ]
    owners = {line.owner: line for line in numbers(leads).owners}
    assert (owners["Anna"].won_this_month, owners["Anna"].lost_this_month) == (2, 1)
    assert "Carlo" not in owners  # nothing open, nothing closed this month


def test_a_lead_on_an_unknown_step_is_counted_on_a_row_of_its_own() -> None:
    result = numbers([lead(1, "To-do", step="Closing", amount=10)])
    names = [name for name, _p, _b in result.steps]
    assert names[-1] == UNKNOWN_STEP


def test_new_leads_of_the_pass_and_its_moves_are_in_the_numbers() -> None:
    cfg = config()
    snap = snapshot(
        [lead(1, "Standby", next_action_date=datetime(2026, 11, 1))],
        prospects=[{"flag": "+", "company": "Fresh Srl", "amount": 500, "assign_to": "Bruno"}],
    )
    result = pipeline_of(snap, plan(snap, NOW, cfg), NOW, cfg)
    owners = {line.owner: (line.todo, line.standby) for line in result.owners}
    assert owners == {"Anna": (1, 0), "Bruno": (1, 0)}
    assert result.steps[0][2].amount == 500


def test_a_pass_counts_as_compute_does_over_every_kind_of_lead() -> None:
    leads = [
        lead(1, "To-do", step="Proposal", amount="€ 1.200,50", next_action_date=date(2026, 11, 2)),
        lead(2, "Standby", step="Closing", amount="lots", next_action_date=date(2026, 12, 2)),
        lead(3, "Won", closed=date(2026, 11, 3), owner="bruno", amount=10),
        lead(4, "Lost", closed=date(2026, 10, 3), owner="Bruno"),
        lead(5, "Won", closed="3/11/2026", owner="Carla"),
        lead(6, "Lost", closed="not a date", owner="Dario"),
        lead(3, "To-do", owner="Elena"),  # a duplicated ID counts once
        {"company": "No ID", "status": "To-do", "owner": "Fabio"},
        lead(7, "Maybe", owner="Gina"),  # an unreadable status is no open lead
        lead(8, "Standby", owner="", amount=300.5, step="trattativa"),
        lead(9, "To-do", owner="anna", next_action_date=datetime(2026, 11, 25, 9, 30)),
    ]
    result = numbers(leads)  # asserts compute_rows == compute(lead_lines(...))
    assert [line.owner for line in result.owners][:3] == ["Anna", "anna", "bruno"]


def test_closed_dates_many_leads_share_count_as_each_would_alone() -> None:
    # compute_rows reads a Closed date once per value: the leads a pass stamps share one.
    leads = [
        lead(1, "Won"),  # 1 to 3: stamped with today by the plan
        lead(2, "Lost"),
        lead(3, "Won"),
        lead(4, "Won", closed=date(2026, 10, 30)),
        lead(5, "Lost", closed=date(2026, 10, 30)),
        lead(6, "Won", closed=date(2026, 11, 1)),
        lead(7, "Won", closed=datetime(2026, 11, 2, 10, 0)),
        lead(8, "Lost", closed=date(2026, 11, 1)),
    ]
    result = numbers(leads)  # asserts compute_rows == compute(lead_lines(...))
    anna = result.owners[0]
    assert (anna.won_this_month, anna.lost_this_month) == (4, 2)


def test_a_plan_writing_no_leads_cell_leaves_every_lead_row_as_read() -> None:
    cfg = config()
    leads = [
        lead(1, "To-do", amount=100, next_action_date=datetime(2026, 11, 20)),
        lead(2, "Won", closed=date(2026, 11, 3)),
    ]
    snap = snapshot(leads)
    planned = plan(snap, NOW, cfg)
    assert not [cell for cell in planned.cells if cell.tab == snap.leads.ref]
    rows, reader = lead_rows(snap, planned, cfg)
    assert rows == list(reader.rows)
    numbers(leads, cfg)  # asserts compute_rows == compute(lead_lines(...))


# ---- when the tab is written -----------------------------------------------------------


def test_the_tab_is_rewritten_when_its_numbers_are_out_of_date() -> None:
    leads = [lead(1, "To-do", amount=100)]
    result = plan(snapshot(leads, pipeline=RawTab(PIPELINE, ())), NOW, config())
    assert len(result.rewrites) == 1
    rewrite = result.rewrites[0]
    assert rewrite.tab == PIPELINE and not rewrite.create
    assert ("New", 10.0, 1, 100.0, 10.0) in rewrite.rows


def test_a_current_tab_is_left_alone_so_an_idle_pass_stays_idle() -> None:
    leads = [lead(1, "To-do", amount=100, closed=None)]
    first = plan(snapshot(leads, pipeline=RawTab(PIPELINE, ())), NOW, config())
    # As a spreadsheet gives it back: numbers as floats, empty cells as '' or None.
    shown = tuple(
        tuple(float(v) if isinstance(v, int) else ("" if v is None else v) for v in row)
        for row in first.rewrites[0].rows
    )
    again = plan(snapshot(leads, pipeline=RawTab(PIPELINE, shown)), NOW, config())
    assert again.is_empty and again.rewrites == ()


def test_a_missing_tab_is_created_and_a_backend_without_one_is_left_alone() -> None:
    missing = plan(snapshot([], pipeline=RawTab(PIPELINE, (), exists=False)), NOW, config())
    assert missing.rewrites == (RewriteTab(PIPELINE, missing.rewrites[0].rows, create=True),)
    assert plan(snapshot([]), NOW, config()).rewrites == ()


def test_the_steps_block_stays_where_the_chart_reads_it() -> None:
    grid = pipeline_grid(numbers([lead(1, "To-do", step="Negotiation", amount=10)]))
    assert grid[1][:5] == ("Step", "Probability %", "Leads", "Amount", "Weighted amount")
    assert [row[0] for row in grid[2:6]] == ["New", "Contacted", "Proposal", "Negotiation"]
    assert grid[5][3:] == (10.0, 7.5)


@given(
    st.one_of(
        st.integers(min_value=-(10**300), max_value=10**300),
        st.floats(allow_nan=False),
        st.booleans(),
    )
)
def test_a_normalised_number_is_its_cell_as_compared(value: int | float) -> None:
    assert normalised(((value, "x"),)) == [[_cell(value), "x"]]


def test_normalised_ignores_what_a_spreadsheet_changes_on_the_way_back() -> None:
    assert normalised((("a ", 1, None, ""), (), ("",))) == normalised((("a", 1.0),))
    assert normalised((("a",),)) != normalised((("b",),))


def test_the_plan_is_the_same_for_the_same_snapshot_and_moment() -> None:
    snap = snapshot([lead(1, "To-do", amount=5)], pipeline=RawTab(PIPELINE, ()))
    assert plan(snap, NOW, config()) == plan(replace(snap), NOW, config())


def test_a_leads_tab_without_closed_gets_the_column_and_the_dates_come_next_pass() -> None:
    snap = snapshot([lead(1, "Won")])
    columns = {k: v for k, v in snap.leads.columns.items() if k != "closed"}
    older = replace(snap, leads=replace(snap.leads, columns=columns))
    result = plan(older, NOW, config())
    assert [a.field for a in result.add_columns] == ["closed"]
    assert all(c.field != "closed" for c in result.cells)


def test_the_pipeline_tab_cannot_be_the_leads_or_clients_tab() -> None:
    with pytest.raises(ConfigError) as raised:
        config(tracker={"path": "leads.xlsx", "pipeline_tab": "Leads"})
    assert "give it a tab of its own" in str(raised.value)


def test_a_tab_holding_someone_elses_work_is_reported_not_rewritten() -> None:
    theirs = RawTab(PIPELINE, (("Deal", "Stage"), ("Big one", "Won")))
    result = plan(snapshot([lead(1, "To-do")], pipeline=theirs), NOW, config())
    assert result.rewrites == ()
    assert [p.where for p in result.problems] == [str(PIPELINE)]
    empty = RawTab(PIPELINE, ((None, ""),))
    assert len(plan(snapshot([], pipeline=empty), NOW, config()).rewrites) == 1
