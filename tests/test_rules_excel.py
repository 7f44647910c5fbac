"""Rules 6 and 8 on real Excel files: what a salesperson sees after real passes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from factories import MORNING, lead_row, make_team, prospect

import sync.xlsx_backend
from sync.errors import WorkbookChanged
from sync.planner import plan as make_plan
from sync.xlsx_backend import XlsxBackend

DECIDE = "Decide: 8 follow-ups made: set Won or Lost, or Standby with a later date to drip it"


def test_a_day_with_the_follow_up_rules_and_a_hand_typed_lead(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        [
            prospect("Fredda Srl", flag=None, attempts=2, last_attempt=date(2026, 3, 1)),
            prospect("Tiepida Srl", flag=None, attempts=1),
        ],
        [
            lead_row(
                "L-0001", "Tenace Srl", "Standby", next_action_date=date(2026, 4, 1), followups=8
            ),
            lead_row("L-0002", "Dormiente Srl", "To-do", last_contact=date(2026, 1, 2)),
            lead_row("L-0003", "Felice Srl", "Won", last_contact=date(2025, 10, 1)),
            {"company": "Biglietto Srl", "contact": "Met at the fair", "source": None},
        ],
        rules={"touch_base_days": 60},
    )
    report = team.sync(MORNING)
    assert report.exit_code == 0, report.plan.problems
    counts = report.plan.counts
    assert (counts.leads_adopted, counts.prospects_to_drip, counts.decisions_asked) == (1, 1, 1)
    assert (counts.inactive_noted, counts.touch_bases_created) == (1, 1)

    assert team.row_of("Fredda Srl")["sync_note"] == "Drip: 2 attempts without a +"
    assert team.row_of("Tiepida Srl")["sync_note"] is None
    leads = {lead["company"]: lead for lead in team.leads()}
    assert (leads["Tenace Srl"]["status"], leads["Tenace Srl"]["sync_note"]) == ("To-do", DECIDE)
    assert leads["Dormiente Srl"]["sync_note"].startswith("Inactive: no contact since 2026-01-02")
    adopted = leads["Biglietto Srl"]
    assert (adopted["lead_id"], adopted["status"], adopted["source"]) == (
        "L-0004",
        "To-do",
        "Manual",
    )
    touch = [lead for lead in team.leads() if lead["source"] == "Touch base"]
    assert [(t["lead_id"], t["company"], t["status"]) for t in touch] == [
        ("L-0005", "Felice Srl", "To-do")
    ]
    assert [c["leads"] for c in team.clients()] == ["L-0003, L-0005"]

    # Nothing left to do: the next pass does not even save.
    before = team.file_bytes()
    assert team.sync(MORNING).plan.is_empty
    assert team.file_bytes() == before

    # A + typed later on the dripped prospect converts it and clears the drip note.
    team.edit_prospect(team.row_of("Fredda Srl")["_row"], flag="+")
    team.sync(MORNING)
    row = team.row_of("Fredda Srl")
    assert (row["flag"], row["lead"], row["sync_note"]) == ("✓", "L-0006", None)


def test_bad_values_become_row_problems_and_nothing_is_lost(tmp_path: Path) -> None:
    team = make_team(
        tmp_path,
        [prospect("Fredda Srl", flag=None, attempts="two")],
        [{"contact": "Anna, no company yet", "email": "anna@example.com"}],
    )
    report = team.sync(MORNING)
    assert report.exit_code == 1
    assert team.row_of("Fredda Srl")["sync_note"].startswith("⚠ Attempts 'two' is not a count")
    (typed,) = team.leads()
    assert typed["lead_id"] is None and typed["sync_note"].startswith("⚠ Company is empty")
    assert typed["contact"] == "Anna, no company yet"


@contextmanager
def no_lock(*_args: object, **_kwargs: object) -> Iterator[None]:
    yield


def test_two_passes_that_both_read_a_hand_typed_lead_adopt_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the lock, as if two machines shared the folder: the save is the arbiter.
    monkeypatch.setattr(sync.xlsx_backend, "FileLock", no_lock)
    team = make_team(
        tmp_path,
        [],
        [lead_row("L-0001", "Rossi Srl", "To-do"), {"company": "ROSSI srl", "contact": "Card"}],
    )
    late = XlsxBackend(team.config)
    with late.session(write=True):
        stale = make_plan(late.read(), MORNING, team.config)
        assert stale.counts.leads_adopted == 1
        assert team.sync(MORNING).plan.counts.leads_adopted == 1  # another pass wins
        with pytest.raises(WorkbookChanged):
            late.apply(stale)
    assert team.sync(MORNING).plan.is_empty
    assert [lead["lead_id"] for lead in team.leads()] == ["L-0001", "L-0002"]
    assert [client["leads"] for client in team.clients()] == ["L-0001, L-0002"]
