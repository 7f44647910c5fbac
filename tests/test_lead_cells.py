"""Rows read in one step (snapshot.Picker, lead_cells) read as the row's own mapping does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime

import pytest
from test_planner import NOW, config, snapshot, tab

from sync.clientkey import company_key
from sync.headers import TabKind
from sync.lead_cells import LeadCells, LeadsReader
from sync.pipeline_plan import pipeline_of
from sync.planner import plan
from sync.snapshot import CellsView, CellValue, Picker, Row, Snapshot, Tab, cell_text

COLUMNS = {"a": 0, "b": 1, "c": 2, "d": 4}  # column 3 holds no field


@pytest.mark.parametrize(
    "cells",
    [
        ["x", 1, 2.5, "skipped", "last", "beyond"],  # longer than the fields
        ["x", "", None, "skipped", "last"],
        ["x", 1],  # trimmed by the Sheets API after its last value
        [],
    ],
)
def test_a_picked_row_holds_what_get_reads_with_empty_text_as_empty(
    cells: list[CellValue],
) -> None:
    view = CellsView(cells, COLUMNS)
    keys = ("d", "a", "missing", "c", "b")
    picked = Picker(keys)(view)
    assert [None if v == "" else v for v in picked] == [view.get(k) for k in keys]
    assert Picker(keys)({"a": 1, "d": "z"}) == ("z", 1, None, None, None)


def test_a_picker_follows_a_row_of_another_tab() -> None:
    pick = Picker(("a", "b"))
    assert pick(CellsView(["1", "2"], {"a": 0, "b": 1})) == ("1", "2")
    assert pick(CellsView(["1", "2"], {"a": 1, "b": 0})) == ("2", "1")
    assert Picker(("b",))(CellsView(["1", "2"], {"a": 0, "b": 1})) == ("2",)


def test_picking_each_row_of_a_tab_is_picking_them_one_by_one() -> None:
    other = {"a": 1, "b": 0, "c": 2, "d": 3}
    rows = [
        Row(2, CellsView(["x", 1, 2.5, "skipped", "last"], COLUMNS)),  # every field in reach
        Row(3, CellsView(["x", 1], COLUMNS)),  # trimmed: padded
        Row(4, {"a": 1, "d": "z"}),  # not read as a list
        Row(5, CellsView(["p", "q", "r", "s"], other)),  # another tab's positions
        Row(6, CellsView(["x", "", None, "-", "last", "beyond"], COLUMNS)),
        Row(7, CellsView([], COLUMNS)),
        Row(8, CellsView(["y", 2, 3.5, "-", "end"], COLUMNS)),  # in reach again, after a call
    ]
    for keys in (("d", "a", "c", "b"), ("d", "a", "missing", "c", "b"), ("b",)):
        assert Picker(keys).each(rows) == [Picker(keys)(row.values) for row in rows]
        assert Picker(keys).each(rows[::-1]) == [Picker(keys)(row.values) for row in rows[::-1]]


@pytest.mark.parametrize(
    "value", [None, "", "  ", "Acme ", 3, 3.0, 3.5, True, datetime(2026, 1, 2), date(2026, 1, 2)]
)
def test_cell_text_is_row_text(value: CellValue) -> None:
    assert cell_text(value) == Row(2, {"k": value}).text("k")


TEXT_KEYS = ("lead_id", "company", "email", "folder", "sync_note", "step", "renewal_of")
TEXT_KEYS += ("contact", "phone", "owner", "next_action")


@pytest.mark.parametrize(
    "value", [None, "", "  ", "Acme ", 3, 3.0, 3.5, True, datetime(2026, 1, 2), date(2026, 1, 2)]
)
def test_lead_cells_read_text_cells_as_row_text(value: CellValue) -> None:
    reader = LeadsReader(snapshot([]).leads, config())
    row = Row(2, {key: " text " for key in TEXT_KEYS})
    assert all(getattr(reader.read(row.values), key) == "text" for key in TEXT_KEYS)
    for key in TEXT_KEYS:  # one cell that is not text among text cells, in each place
        values = {**row.values, key: value}
        cells = reader.read(values)
        assert [getattr(cells, k) for k in TEXT_KEYS] == [Row(2, values).text(k) for k in TEXT_KEYS]


def test_a_memoised_date_tells_true_from_one() -> None:
    reader = LeadsReader(snapshot([]).leads, config())
    assert reader.date(1) == (datetime(1899, 12, 31), "")
    moment, problem = reader.date(True)
    assert moment is None and "True" in problem
    assert reader.date(1.0) == (datetime(1899, 12, 31), "")
    assert reader.status("won")[0] is reader.status(" WON ")[0]


def _fields(cells: LeadCells) -> dict[str, object]:
    """Every cell a LeadCells holds, by name (compiled by mypyc, it has no __slots__)."""
    return {k: getattr(cells, k) for k in dir(cells) if not k.startswith("_")}


def _as_lists(tab: Tab) -> Tab:
    """The tab as the Google backend reads it: each row a list, trimmed after its last value."""
    keys = sorted(tab.columns, key=tab.columns.__getitem__)
    columns = {key: index for index, key in enumerate(keys)}
    rows = []
    for row in tab.rows:
        cells: list[CellValue] = [
            "" if row.values.get(k) is None else row.values.get(k) for k in keys
        ]
        while cells and cells[-1] == "":
            cells.pop()
        rows.append(Row(row.number, CellsView(cells, columns)))
    return replace(tab, rows=tuple(rows))


# Empty cells are left out: a list reads one as '' and get() as None, a mapping as it holds it.
LEADS: list[Mapping[str, CellValue]] = [
    {"lead_id": "L-0001", "company": "Acme S.r.l.", "status": "To-do", "created": 45000.5},
    {"lead_id": "L-0002", "company": "ACME srl", "status": "standby", "next_action_date": "3/4/26"},
    {"lead_id": "L-0003", "company": "Bolt", "status": "Vinto", "renewal_date": 46400},
    {"lead_id": "L-0004", "company": "Café Noir", "status": "Lost"},
    {"lead_id": "L-0005", "company": "Dune", "status": "maybe", "amount": "1.200,50"},
    {"lead_id": "L-0006", "company": "Eon", "status": "Standby", "next_action_date": True},
    {"lead_id": "L-0007", "company": "Flux", "status": "To-do", "step": "proposta"},
    {"lead_id": "L-0008", "company": "Gale", "status": "To-do", "step": "Closing"},
    {"lead_id": "L-0009", "company": "Hive", "followups": "4", "sync_note": "x"},
    {"lead_id": "L-0009", "company": "Hive", "status": "To-do", "last_contact": "31/02/26"},
    {"company": "Iris", "contact": "typed by hand", "status": "Won"},
    {"lead_id": "L-0010", "company": " ", "email": "a@jolt.it", "sync_note": "⚠ old"},
]


def test_a_pass_plans_the_same_from_lists_as_from_mappings() -> None:
    cfg = config(rules={"touch_base_days": 30})
    by_mapping = snapshot([{"flag": "+", "company": "Kite"}], LEADS)
    by_list = Snapshot(
        tuple(_as_lists(t) for t in by_mapping.prospects),
        _as_lists(by_mapping.leads),
        _as_lists(by_mapping.clients),
    )
    expected = plan(by_mapping, NOW, cfg)
    assert plan(by_list, NOW, cfg) == expected
    assert expected.problems  # the rows above give the rules something to say
    assert pipeline_of(by_list, expected, NOW, cfg) == pipeline_of(by_mapping, expected, NOW, cfg)


PROSPECTS: list[Mapping[str, CellValue]] = [
    {"company": "Quiet"},  # nothing that asks for the planner
    {"company": "Cold", "attempts": 2},  # drip, from Attempts alone
    {"company": "Told", "sync_note": "⚠ Company is empty"},  # a warning to clear
    {"company": "Gone", "lead": "L-0099", "flag": "✓"},
    {"company": "Kite", "flag": "+"},
    {"company": "Mine", "sync_note": "call in May", "attempts": 1},
    {"flag": "x"},
    {"company": "Last", "flag": " ", "attempts": 0},
]


@pytest.mark.parametrize("without", [(), ("attempts",), ("sync_note", "attempts")])
def test_prospect_rows_plan_the_same_from_lists_as_from_mappings(without: tuple[str, ...]) -> None:
    by_mapping = snapshot([], LEADS)
    by_mapping = replace(
        by_mapping,
        prospects=(tab(TabKind.PROSPECTS, "Prospects", PROSPECTS, "prospects.xlsx", without),),
    )
    by_list = replace(by_mapping, prospects=(_as_lists(by_mapping.prospects[0]),))
    expected = plan(by_mapping, NOW, config())
    assert plan(by_list, NOW, config()) == expected
    assert any(c.tab.tab == "Prospects" for c in expected.cells)


@pytest.mark.parametrize(
    "name", ["Rossi Impianti S.r.l.", "a_b & c--d", "J.P. Morgan & Co. Inc.", "Tab\tName\nLtd"]
)
def test_ascii_company_keys_split_as_the_regex_splits_other_text(name: str) -> None:
    # "é" takes the non-ASCII path; the key must not depend on which path a name took.
    assert company_key(name + " é") == company_key(name + " e")


@pytest.mark.parametrize(
    "writes",
    [
        {"closed": date(2026, 11, 25)},
        {"closed": None},
        {"closed": ""},
        {"amount": 12.5, "folder": "F-001"},  # a parsed cell: read again
        {"closed": 46000, "sync_note": "x", "source": "Manual"},
        {"status": "Won", "closed": date(2026, 11, 25)},
        {"created": "", "renewal_date": 46400, "followups": 3, "last_contact": "1/2/26"},
    ],
)
def test_a_row_with_writes_reads_as_its_values_with_the_writes_made(
    writes: dict[str, CellValue],
) -> None:
    reader = LeadsReader(snapshot([]).leads, config())
    for values in LEADS:
        expected = reader.read(values, writes)
        got = reader.reread(reader.read(values), values, writes)
        assert _fields(got) == _fields(expected)
