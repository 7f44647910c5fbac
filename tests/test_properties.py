"""Exactly once, for any prospect list a team could type.

Companies come from a small pool so that duplicates, same-client spellings and blank companies
turn up in most examples; every example writes and reads real workbooks, hence few examples.
"""

from __future__ import annotations

import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from random import Random
from typing import Any

import pytest
from factories import MORNING, Record, Team, header_columns, make_team, put_rows, take_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sync.xlsx_backend
import sync.xlsx_files
from sync.clientkey import client_key
from sync.templates import PROSPECTS_TAB

COMPANIES = [
    "Acme Inc",
    "ACME inc.",
    "Rossi Impianti S.r.l.",
    "ROSSI IMPIANTI srl",
    "Borealis Oy",
    "Nordwind Logistik GmbH",
    "   ",  # a company cell holding only spaces is as empty as a blank one
    None,
]
CONTACTS = [None, "Jane Doe", "Marco Rossi"]
EMAILS = [None, "jane@acme.example", "marco@rossiimpianti.it", "someone@gmail.com"]

rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "flag": st.sampled_from([None, "+", "x"]),
            "company": st.sampled_from(COMPANIES),
            "contact": st.sampled_from(CONTACTS),
            "email": st.sampled_from(EMAILS),
        }
    ),
    min_size=1,
    max_size=15,
)

# Taken before any example patches it, so the patched save can still do the real thing.
real_save = sync.xlsx_files.atomic_save

FEW_REAL_FILES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@contextmanager
def team_with(rows: list[Record]) -> Iterator[Team]:
    # Hypothesis runs many examples per test, so each gets its own folder, not pytest's tmp_path.
    with tempfile.TemporaryDirectory(prefix="leadsync-prop-") as folder:
        yield make_team(Path(folder), rows)


def has_company(row: Record) -> bool:
    return bool((row.get("company") or "").strip())


def assert_rows_and_leads_match_one_to_one(team: Team, flags: tuple[str, ...] = ("✓",)) -> None:
    rows = team.prospect_rows()
    leads = {lead["lead_id"]: lead for lead in team.leads()}
    assert len(leads) == len(team.leads()), "a lead ID is on two rows of Leads"
    linked = [row for row in rows if row.get("lead")]
    on_rows = Counter(row["lead"] for row in linked)
    assert all(count == 1 for count in on_rows.values()), f"a lead ID on two rows: {on_rows}"
    assert {row["lead"] for row in linked} == set(leads)
    for row in linked:
        lead = leads[row["lead"]]
        assert (lead["company"], lead["contact"], lead["email"]) == (
            row["company"],
            row["contact"],
            row["email"],
        )
        assert row["flag"] in flags


def assert_each_client_with_two_leads_has_one_folder(team: Team) -> None:
    groups: dict[str, set[str]] = defaultdict(set)
    for lead in team.leads():
        groups[client_key(lead["company"] or "", lead["email"] or "")].add(lead["lead_id"])
    folders = {row["client_key"]: row for row in team.clients()}
    assert set(folders) == {key for key, ids in groups.items() if len(ids) >= 2}
    leads = {lead["lead_id"]: lead for lead in team.leads()}
    for key, row in folders.items():
        assert {part.strip() for part in row["leads"].split(",")} == groups[key]
        assert row["lead_count"] == len(groups[key])
        assert all(leads[lead_id]["folder"] == row["folder"] for lead_id in groups[key])


@FEW_REAL_FILES
@given(rows=rows_strategy)
def test_one_lead_per_flagged_row_and_a_second_pass_has_nothing_to_do(
    rows: list[Record],
) -> None:
    with team_with(rows) as team:
        first = team.sync()

        flagged = [row for row in rows if row["flag"] == "+"]
        expected = sum(1 for row in flagged if has_company(row))
        assert first.plan.counts.leads_created == expected
        assert len(team.leads()) == expected
        assert len(first.plan.problems) == len(flagged) - expected
        assert first.exit_code == (1 if len(flagged) > expected else 0)
        assert_rows_and_leads_match_one_to_one(team)
        assert_each_client_with_two_leads_has_one_folder(team)
        after_first = team.values()

        second = team.sync()

        assert second.plan.is_empty, second.plan.events
        assert team.values() == after_first


@FEW_REAL_FILES
@given(
    rows=rows_strategy,
    later=st.lists(st.tuples(st.integers(0, 14), st.sampled_from(["+", "x", "✓"])), max_size=8),
)
def test_flags_typed_between_passes_never_give_a_row_a_second_lead(
    rows: list[Record], later: list[tuple[int, str]]
) -> None:
    with team_with(rows) as team:
        team.sync()
        converted = {row["_row"]: row["lead"] for row in team.prospect_rows() if row.get("lead")}

        # Later that day the salesperson types flags anywhere, converted rows included.
        with team.editing(team.prospects) as workbook:
            ws = workbook[PROSPECTS_TAB]
            flag_column = header_columns(ws)["flag"]
            for index, flag in later:
                if index < len(rows):
                    ws.cell(index + 2, flag_column).value = flag

        team.sync(MORNING + timedelta(hours=3))

        after = {row["_row"]: row for row in team.prospect_rows()}
        for number, lead_id in converted.items():
            assert after[number]["lead"] == lead_id
        newly = {
            number
            for number, row in after.items()
            if number not in converted and row.get("lead") is not None
        }
        final = {index + 2: flag for index, flag in later if index < len(rows)}
        typed_plus = {number for number, flag in final.items() if flag == "+"}
        assert newly <= typed_plus
        assert len(team.leads()) == len(converted) + len(newly)
        # An x typed over a lead's ✓ is the person's to keep; the lead is not undone.
        assert_rows_and_leads_match_one_to_one(team, flags=("✓", "x"))
        assert_each_client_with_two_leads_has_one_folder(team)
        assert team.sync(MORNING + timedelta(hours=3)).plan.is_empty


TODAY = MORNING.date()
READABLE_DATES = [None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1), "12/03/2026"]
UNREADABLE_DATES = ["soon", "31/02/2026"]
STATUSES = [None, "To-do", "Standby", "standby", "Won", "Lost", "Maybe"]


@st.composite
def tracker_leads(draw: st.DrawFn) -> list[Record]:
    """Leads as a team leaves them: some closed, some due, some with a date nobody can read."""
    leads = []
    for number in range(1, draw(st.integers(0, 6)) + 1):
        status = draw(st.sampled_from(STATUSES))
        renewals = [None, TODAY + timedelta(days=5), TODAY + timedelta(days=90), "next spring"]
        leads.append(
            {
                "lead_id": f"L-{number:04d}",
                "company": draw(st.sampled_from(["Acme Inc", "ACME inc.", "Borealis Oy", None])),
                "email": draw(st.sampled_from(EMAILS)),
                "status": status,
                "next_action_date": draw(st.sampled_from(READABLE_DATES + UNREADABLE_DATES)),
                "renewal_date": draw(st.sampled_from(renewals)),
            }
        )
    return leads


@FEW_REAL_FILES
@given(rows=rows_strategy, leads=tracker_leads())
def test_any_tracker_settles_in_one_pass(rows: list[Record], leads: list[Record]) -> None:
    with tempfile.TemporaryDirectory(prefix="leadsync-prop-") as folder:
        team = make_team(Path(folder), rows, leads)
        first = team.sync()
        after_first = team.values()

        second = team.sync()

        assert second.plan.is_empty, second.plan.events
        assert team.values() == after_first
        assert len(second.plan.problems) == len(first.plan.problems)
        # Whatever the tracker held, every + row with a company got its one lead.
        expected = sum(1 for row in rows if row["flag"] == "+" and has_company(row))
        assert first.plan.counts.leads_created == expected
        statuses = {lead["lead_id"]: lead["status"] for lead in team.leads()}
        for lead in leads:
            if lead["status"] in ("Won", "Lost"):
                assert statuses[lead["lead_id"]] == lead["status"]


class PowerCut(Exception):
    """The pass dies after the tracker is saved and before the prospecting file is."""


@FEW_REAL_FILES
@given(rows=rows_strategy, shuffle=st.randoms(use_true_random=False))
def test_a_crash_then_a_sort_still_gives_each_flagged_row_one_lead(
    rows: list[Record], shuffle: Random
) -> None:
    with team_with(rows) as team, pytest.MonkeyPatch.context() as patch:
        saved: list[Path] = []

        def save_tracker_then_die(path: Path, write: Any, expected_digest: str) -> None:
            if saved:
                raise PowerCut(path.name)
            real_save(path, write, expected_digest)
            saved.append(path)

        patch.setattr(sync.xlsx_backend, "atomic_save", save_tracker_then_die)
        with suppress(PowerCut):
            team.sync()
        patch.undo()
        # Before anyone reruns, the salesperson sorts the list in some order of her own.
        with team.editing(team.prospects) as workbook:
            ws = workbook[PROSPECTS_TAB]
            order = take_rows(ws)
            shuffle.shuffle(order)
            put_rows(ws, order)

        team.sync(MORNING + timedelta(minutes=5))

        expected = sum(1 for row in rows if row["flag"] == "+" and has_company(row))
        leads = {lead["lead_id"]: lead for lead in team.leads()}
        assert len(leads) == len(team.leads()) == expected
        linked = [row for row in team.prospect_rows() if row.get("lead")]
        assert sorted(row["lead"] for row in linked) == sorted(leads)
        for row in linked:
            # Same prospect; which of two same-prospect rows holds which ID is left to
            # test_two_deals_with_one_contact_sorted_mid_pass_keep_their_own_leads.
            lead = leads[row["lead"]]
            assert client_key(lead["company"]) == client_key(row["company"])
            assert (lead["contact"], lead["email"]) == (row["contact"], row["email"])
        assert team.sync(MORNING + timedelta(minutes=10)).plan.is_empty
