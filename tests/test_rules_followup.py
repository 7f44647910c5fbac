"""Rule 8 as a pure function: drip, the follow-up limit, inactivity and touch-base leads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime

import pytest
from test_planner import NOW, appended, config, snapshot, writes

from sync.config import Config
from sync.dates import EPOCH_1904, day_text
from sync.errors import ConfigError
from sync.model import Language
from sync.planner import WARNING, plan
from sync.rules_followup import _inactive_parts, inactive_note
from sync.snapshot import CellValue

TODAY = date(2026, 11, 25)
DRIP = "Drip: 2 attempts without a +"


def rules(**settings: object) -> Config:
    return config(rules=settings)


def lead(**values: CellValue) -> dict[str, CellValue]:
    return {"lead_id": "L-0001", "company": "Rossi Srl", "created": date(2026, 11, 20), **values}


def note_of(leads: list[Mapping[str, CellValue]], cfg: Config | None = None) -> CellValue:
    return writes(plan(snapshot([], leads=leads), NOW, cfg or config()), "Leads").get(
        (2, "sync_note")
    )


# ---- prospects: drip -----------------------------------------------------------------------


def test_a_prospect_with_two_attempts_and_no_plus_goes_to_drip() -> None:
    snap = snapshot([{"company": "Cold Srl", "attempts": 2}, {"company": "Warm", "attempts": 1}])
    result = plan(snap, NOW, config())
    assert writes(result, "Prospects") == {(2, "sync_note"): DRIP}
    assert result.counts.prospects_to_drip == 1
    assert not appended(result, "Leads") and not result.problems


def test_drip_speaks_italian_and_its_limit_is_configurable() -> None:
    snap = snapshot([{"company": "Cold Srl", "attempts": "3"}])
    assert writes(plan(snap, NOW, config(language="it")), "Prospects") == {
        (2, "sync_note"): "Drip: 3 tentativi senza +"
    }
    assert plan(snap, NOW, rules(prospect_max_attempts=4)).is_empty


def test_a_dripped_prospect_stays_as_it_is_pass_after_pass() -> None:
    snap = snapshot([{"company": "Cold Srl", "attempts": 2, "sync_note": DRIP}])
    assert plan(snap, NOW, config()).is_empty


def test_a_plus_typed_later_converts_it_and_clears_the_drip_note() -> None:
    snap = snapshot([{"flag": "+", "company": "Cold Srl", "attempts": 2, "sync_note": DRIP}])
    result = plan(snap, NOW, config())
    assert len(appended(result, "Leads")) == 1
    assert writes(result, "Prospects")[(2, "sync_note")] == ""


def test_the_drip_note_goes_when_the_count_goes_down_but_a_persons_note_stays() -> None:
    snap = snapshot(
        [
            {"company": "Cold Srl", "attempts": 1, "sync_note": DRIP},
            {"company": "Mine Srl", "attempts": 1, "sync_note": "call in May"},
        ]
    )
    assert writes(plan(snap, NOW, config()), "Prospects") == {(2, "sync_note"): ""}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"attempts": "two"}, "Attempts 'two' is not a count: type a whole number such as 2"),
        ({"attempts": 1.5}, "Attempts '1.5' is not a count"),
        ({"attempts": 1, "last_attempt": "yesterday"}, "Last attempt: 'yesterday' is not a date"),
    ],
)
def test_bad_values_on_a_prospect_are_a_row_problem(
    values: dict[str, CellValue], message: str
) -> None:
    result = plan(snapshot([{"company": "Cold Srl", **values}]), NOW, config())
    note = writes(result, "Prospects")[(2, "sync_note")]
    assert isinstance(note, str) and note.startswith(WARNING + message)
    assert len(result.problems) == 1


# ---- open leads: the follow-up limit ------------------------------------------------------


def test_a_standby_lead_with_eight_follow_ups_goes_to_to_do_asking_for_a_decision() -> None:
    later = date(2026, 12, 20)
    result = plan(
        snapshot([], leads=[lead(status="Standby", next_action_date=later, followups=8)]),
        NOW,
        config(),
    )
    assert writes(result, "Leads") == {
        (2, "status"): "To-do",
        (2, "sync_note"): "Decide: 8 follow-ups made: set Won or Lost, or Standby with a "
        "later date to drip it",
    }
    assert result.counts.decisions_asked == 1
    assert result.counts.moved_to_todo == 1


def test_the_follow_up_limit_is_configurable_and_to_do_leads_only_get_the_note() -> None:
    leads = [lead(status="To-do", followups=3)]
    assert note_of(leads) is None
    assert str(note_of(leads, rules(lead_max_followups=3))).startswith("Decide: 3 follow-ups")


def test_a_lead_put_back_in_standby_after_the_note_stays_there() -> None:
    parked = lead(
        status="Standby",
        next_action_date=date(2027, 2, 1),
        followups=8,
        sync_note="Decide: 8 follow-ups made: set Won or Lost, or Standby with a later date "
        "to drip it",
    )
    assert plan(snapshot([], leads=[parked]), NOW, config()).is_empty


def test_a_closed_lead_loses_the_decision_note() -> None:
    won = lead(status="Won", followups=9, sync_note="Decide: 9 follow-ups made: …")
    assert note_of([won]) == ""


def test_a_due_lead_over_the_limit_gets_one_note_the_decision() -> None:
    due = lead(status="Standby", next_action_date=date(2026, 11, 1), followups=8)
    result = plan(snapshot([], leads=[due]), NOW, config())
    notes = [c for c in result.cells if c.field == "sync_note"]
    assert len(notes) == 1 and str(notes[0].value).startswith("Decide: 8")


def test_a_bad_follow_up_count_is_a_row_problem() -> None:
    result = plan(snapshot([], leads=[lead(status="To-do", followups="many")]), NOW, config())
    assert result.problems
    assert str(writes(result, "Leads")[(2, "sync_note")]).startswith(
        WARNING + "Follow-ups 'many' is not a count"
    )


# ---- open leads: inactivity ---------------------------------------------------------------


def test_a_to_do_lead_without_contact_for_30_days_gets_an_inactivity_note() -> None:
    stale = lead(status="To-do", created=date(2026, 9, 1), last_contact=date(2026, 10, 20))
    assert note_of([stale]) == (
        "Inactive: no contact since 2026-10-20, over 30 days: get in touch or close it"
    )
    result = plan(snapshot([], leads=[stale]), NOW, config())
    assert result.counts.inactive_noted == 1
    assert result.events == ("note L-0001 inactive since 2026-10-20",)


def test_leads_inactive_since_one_day_each_say_so_in_their_note_and_event() -> None:
    days = [datetime(2026, 10, 20, 9, 30), date(2026, 10, 20), date(2026, 9, 2)]
    leads = [
        lead(lead_id=f"L-000{n}", status="To-do", created=date(2026, 9, 1), last_contact=day)
        for n, day in enumerate(days, 1)
    ]
    result = plan(snapshot([], leads=leads), NOW, config())
    assert result.events[:3] == (
        "note L-0001 inactive since 2026-10-20",
        "note L-0002 inactive since 2026-10-20",
        "note L-0003 inactive since 2026-09-02",
    )
    notes = [writes(result, "Leads")[n, "sync_note"] for n in (2, 3, 4)]
    assert notes[0] == notes[1] != notes[2]


def test_created_counts_when_no_contact_was_recorded_and_the_limit_is_configurable() -> None:
    old = lead(status="To-do", created=date(2026, 10, 1))
    assert str(note_of([old])).startswith("Inactive: no contact since 2026-10-01")
    assert note_of([old], rules(inactive_after_days=90)) is None


def test_a_recent_contact_clears_the_inactivity_note() -> None:
    touched = lead(
        status="To-do",
        created=date(2026, 9, 1),
        last_contact=date(2026, 11, 24),
        sync_note="Inactive: no contact since 2026-10-01, over 30 days: get in touch or close it",
    )
    assert note_of([touched]) == ""


def test_standby_until_a_future_date_is_not_inactivity_and_a_persons_note_stays() -> None:
    waiting = lead(status="Standby", created=date(2026, 1, 1), next_action_date=date(2027, 1, 1))
    assert plan(snapshot([], leads=[waiting]), NOW, config()).is_empty
    noted = lead(status="To-do", created=date(2026, 1, 1), sync_note="waiting for the budget")
    assert plan(snapshot([], leads=[noted]), NOW, config()).is_empty


def test_a_bad_last_contact_date_is_a_row_problem() -> None:
    result = plan(snapshot([], leads=[lead(status="To-do", last_contact="soon")]), NOW, config())
    assert str(writes(result, "Leads")[(2, "sync_note")]).startswith(
        WARNING + "Last contact: 'soon' is not a date"
    )


@pytest.mark.parametrize("serial", [2_958_465.0, 2_958_465.5])
def test_a_serial_past_9999_in_a_1904_workbook_is_a_row_problem(serial: float) -> None:
    snap = snapshot([], leads=[lead(status="To-do", last_contact=serial)])
    snap = replace(snap, leads=replace(snap.leads, epoch=EPOCH_1904))
    result = plan(snap, NOW, config())
    assert str(writes(result, "Leads")[(2, "sync_note")]).startswith(
        WARNING + f"Last contact: {serial!r} is not a date serial number"
    )
    assert len(result.problems) == 1


@pytest.mark.parametrize(
    ("serial", "epoch", "problem"),
    [
        (46_000.5, None, False),
        (2_958_465.75, None, False),  # the last day there is
        (0.0, None, True),
        (-3.5, None, True),
        (2_958_466.0, None, True),
        (float("nan"), None, True),
        (2_958_465.5, EPOCH_1904, True),  # past 9999 from the later epoch
        (46_000.5, EPOCH_1904, False),
    ],
)
def test_a_standby_leads_created_serial_is_a_problem_only_out_of_range(
    serial: float, epoch: datetime | None, problem: bool
) -> None:
    waiting = lead(status="Standby", created=serial, next_action_date=date(2027, 1, 1))
    snap = snapshot([], leads=[waiting])
    if epoch is not None:
        snap = replace(snap, leads=replace(snap.leads, epoch=epoch))
    result = plan(snap, NOW, config())
    assert len(result.problems) == problem
    if problem:
        assert str(writes(result, "Leads")[(2, "sync_note")]).startswith(WARNING + "Created: ")


# ---- won clients: touch-base --------------------------------------------------------------


def test_touch_base_is_off_unless_configured() -> None:
    won = lead(status="Won", created=date(2025, 1, 1))
    assert not appended(plan(snapshot([], leads=[won]), NOW, config()), "Leads")
    assert not appended(plan(snapshot([], leads=[won]), NOW, rules(touch_base_days=0)), "Leads")
    assert appended(plan(snapshot([], leads=[won]), NOW, rules(touch_base_days=30)), "Leads")


def test_a_won_client_untouched_for_the_period_gets_one_touch_base_to_do() -> None:
    won = lead(status="Won", created=date(2026, 1, 1), last_contact=date(2026, 8, 1))
    result = plan(snapshot([], leads=[won]), NOW, rules(touch_base_days=90))
    (touch,) = appended(result, "Leads")
    assert touch["lead_id"] == "L-0002"
    assert touch["status"] == "To-do"
    assert touch["source"] == "Touch base"
    assert touch["next_action"] == "Touch base with Rossi Srl"
    assert result.counts.touch_bases_created == 1


@pytest.mark.parametrize(
    "other",
    [
        # this period's touch-base, already done (closed)
        {"lead_id": "L-0002", "status": "Won", "created": date(2026, 10, 1)},
        # a touch-base from long ago nobody has done yet
        {"lead_id": "L-0002", "status": "To-do", "created": date(2026, 1, 1)},
    ],
)
def test_no_second_touch_base_in_a_period_or_while_one_is_open(
    other: dict[str, CellValue],
) -> None:
    won = lead(status="Won", created=date(2026, 1, 1))
    again = {"company": "ROSSI srl", "source": "Touch base", **other}
    result = plan(snapshot([], leads=[won, again]), NOW, rules(touch_base_days=90))
    assert not appended(result, "Leads")
    assert result.counts.touch_bases_created == 0


def test_rule_settings_are_validated_naming_the_key() -> None:
    with pytest.raises(ConfigError) as error:
        rules(prospect_max_attempts="two", touch_base_days=-1)
    text = str(error.value)
    assert "rules.prospect_max_attempts" in text and "whole number" in text
    assert "rules.touch_base_days" in text


INACTIVE = "Inactive: no contact since 2026-09-01, over 30 days: get in touch or close it"


def test_an_inactivity_note_follows_rule_2s_note_and_goes_with_the_next_contact() -> None:
    woke = lead(
        status="To-do", created=date(2026, 9, 1), sync_note="Due 2026-10-01: moved to To-do"
    )
    both = f"Due 2026-10-01: moved to To-do; {INACTIVE}"
    assert note_of([woke]) == both
    assert plan(snapshot([], leads=[{**woke, "sync_note": both}]), NOW, config()).is_empty
    called = {**woke, "sync_note": both, "last_contact": date(2026, 11, 24)}
    assert note_of([called]) == ""


def test_a_lead_rule_2_moves_in_the_same_pass_gets_one_note_saying_both() -> None:
    due = lead(status="Standby", created=date(2026, 9, 1), next_action_date=date(2026, 11, 2))
    result = plan(snapshot([], leads=[due]), NOW, config())
    notes = [c.value for c in result.cells if c.field == "sync_note"]
    assert notes == [f"Due 2026-11-02: moved to To-do; {INACTIVE}"]
    after = {**due, "status": "To-do", "sync_note": notes[0]}
    assert plan(snapshot([], leads=[after]), NOW, config()).is_empty


def test_a_newer_contact_still_too_old_replaces_the_inactivity_note_instead_of_adding() -> None:
    older = "Inactive: no contact since 2026-08-01, over 30 days: get in touch or close it"
    stale = lead(
        status="To-do",
        last_contact=date(2026, 9, 1),
        sync_note=f"Due 2026-10-01: moved to To-do; {older}",
    )
    assert note_of([stale]) == f"Due 2026-10-01: moved to To-do; {INACTIVE}"
    assert note_of([{**stale, "sync_note": older}]) == INACTIVE


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 4, 5, 6, 7),
        date(2026, 3, 4),
        datetime(1000, 1, 2),
        date(999, 12, 31),  # %Y does not pad this year: day_text keeps strftime's text
        datetime(42, 1, 2, 3),
        date(9999, 12, 31),
    ],
)
def test_day_text_is_the_strftime_it_stands_for(moment: date) -> None:
    assert day_text(moment) == f"{moment:%Y-%m-%d}"


@pytest.mark.parametrize("words", ["en", "it"])
@pytest.mark.parametrize("days", [1, 30, 365])
def test_an_inactive_note_joined_from_its_parts_is_the_note(words: Language, days: int) -> None:
    last = datetime(2026, 3, 4, 15, 30)
    head, tail = _inactive_parts(days, words)
    assert f"{head}{day_text(last)}{tail}" == inactive_note(days, last, words)
