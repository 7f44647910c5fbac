"""Rule 8: follow-up cadence and life cycle, each number set in `[rules]` of leadsync.toml.

- A prospect with `prospect_max_attempts` recorded contact attempts and no `+` goes to drip:
  its Sync note says so; it is never deleted, and a `+` typed later converts it as usual.
- An open lead with `lead_max_followups` recorded follow-ups goes to To-do with a note asking
  for a decision: Won, Lost, or drip (back to Standby with a later date, which is then kept).
- A To-do lead with no recorded contact for `inactive_after_days` gets an inactivity note.
- With `touch_base_days`, a won client without a To-do lead gets a touch-base To-do once that
  many days passed since its last recorded contact (or since its newest lead was created).

Every note here starts with a word of its own (`RULE_NOTE_PREFIXES`), so a later pass knows
it wrote it and clears it when its condition no longer holds; a note a person typed is never
cleared. Nothing here deletes anything.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from sync.dates import EPOCH_1900, SERIAL_END, DateError, day_text
from sync.headers import TabKind, header
from sync.model import Language, LeadStatus
from sync.snapshot import CellValue, Row, Tab

if TYPE_CHECKING:
    from sync.lead_cells import LeadCells
    from sync.planner import _LeadRecord, _Planner

TOUCH_BASE_SOURCE = "Touch base"

_DRIP = {"en": "Drip: {n} attempts without a +", "it": "Drip: {n} tentativi senza +"}
_DECIDE = {
    "en": "Decide: {n} follow-ups made: set Won or Lost, or Standby with a later date to drip it",
    "it": "Decidere: {n} solleciti fatti: metti Vinto o Perso, oppure In attesa con una data "
    "più avanti per metterlo in drip",
}
_INACTIVE = {
    "en": "Inactive: no contact since {day}, over {days} days: get in touch or close it",
    "it": "Inattivo: nessun contatto dal {day}, oltre {days} giorni: contattalo o chiudilo",
}
_TOUCH_BASE = {"en": "Touch base with {client}", "it": "Sentire {client}"}

_DECIDE_PREFIXES = ("Decide: ", "Decidere: ")
_INACTIVE_PREFIXES = ("Inactive: ", "Inattivo: ")
RULE_NOTE_PREFIXES = ("Drip: ", *_DECIDE_PREFIXES, *_INACTIVE_PREFIXES)
# Rule 2's notes (planner._next_steps), which an inactivity note is added to rather than replace.
_MOVED = re.compile(r"^(Moved to To-do: .*|Due \d{4}-\d{2}-\d{2}: moved to To-do)$")
_OLD_INACTIVE = re.compile(r"; (?:Inactive|Inattivo): ")


def is_rule_note(text: str) -> bool:
    """A Sync note this module wrote (alone, or after one of Rule 2's), which it may clear."""
    return text.startswith(RULE_NOTE_PREFIXES) or any(f"; {p}" in text for p in _INACTIVE_PREFIXES)


def drip_note(attempts: int, words: Language) -> str:
    return _DRIP[words].format(n=attempts)


def decide_note(followups: int, words: Language) -> str:
    return _DECIDE[words].format(n=followups)


def inactive_note(days: int, last: datetime, words: Language) -> str:
    return _INACTIVE[words].format(days=days, day=day_text(last))


def _inactive_parts(days: int, words: Language) -> tuple[str, str]:
    """The text of inactive_note before and after its day, `days` filled in.

    For a pass, which joins each day's text in between: a str.format with keywords per day
    cost more than the rest of an inactive lead's checks.
    """
    head, _, tail = _INACTIVE[words].partition("{day}")
    return head.format(days=days), tail.format(days=days)


def parse_count(value: CellValue, name: str) -> int | None:
    """A count a person records (3, 3.0, ' 3 '); None when empty; ValueError saying what to type."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            number = None
    if number is None or not number.is_integer() or number < 0:
        shown = str(value).strip()
        raise ValueError(f"{name} '{shown}' is not a count: type a whole number such as 2")
    return int(number)


# ---- prospects ----------------------------------------------------------------------------


def prospect_followup(planner: _Planner, tab: Tab, row: Row, expect: tuple[str, ...]) -> None:
    """The note of an unflagged, unlinked prospect row: drip, a problem, or none."""
    problems: list[str] = []
    attempts = None
    try:
        attempts = parse_count(row.get("attempts"), header(TabKind.PROSPECTS, "attempts"))
    except ValueError as error:
        problems.append(str(error))
    try:
        planner._date(tab, row.get("last_attempt"))
    except DateError as error:
        problems.append(f"{header(TabKind.PROSPECTS, 'last_attempt')}: {error}")
    if problems:
        planner._problem(tab, row, problems, expect)
        return
    limit = planner.config.rules.prospect_max_attempts
    if attempts is None or attempts < limit:
        planner._note(tab, row, "", expect)
        return
    note = drip_note(attempts, planner.words)
    if row.text("sync_note") != note:
        planner.counts["prospects_to_drip"] += 1
        planner.events.append(f"drip {planner._where(tab, row)} ({attempts} attempts)")
    planner._note(tab, row, note, expect)


# ---- open leads ---------------------------------------------------------------------------


class _LeadDates(NamedTuple):  # one per open lead with something recorded
    followups: int | None
    last_contact: datetime | None
    created: datetime | None


_FOLLOWUPS = header(TabKind.LEADS, "followups")
_LAST_CONTACT = header(TabKind.LEADS, "last_contact")
_CREATED = header(TabKind.LEADS, "created")


def _lead_dates(planner: _Planner, cells: LeadCells) -> _LeadDates | list[str]:
    """The dates of an open lead with follow-ups or a contact recorded, or its problems.

    (A lead with neither recorded, most of them, is read by lead_followups itself.)
    """
    problems: list[str] = []
    followups = created = None
    try:
        followups = parse_count(cells.followups, _FOLLOWUPS)
    except ValueError as error:
        problems.append(str(error))
    last_contact, problem = planner.lead_cells.date(cells.last_contact)
    if problem:
        problems.append(f"{_LAST_CONTACT}: {problem}")
    if last_contact is None:
        # Created only matters when no contact was recorded, and only then is it checked.
        created, problem = planner.lead_cells.date(cells.created)
        if problem:
            problems.append(f"{_CREATED}: {problem}")
    return problems or _LeadDates(followups, last_contact, created)


class _PlannedNotes:
    """The notes earlier rules of this pass planned for lead rows, to build on or take back.

    Indexed once, so that a pass over thousands of leads does not search the plan per lead.
    """

    def __init__(self, planner: _Planner, tab: Tab) -> None:
        self.planner = planner
        ref = tab.ref
        # The cheap tests first: the planner writes with the tab's own TabRef, and identity
        # settles most cells without the dataclass __eq__.
        self.at = {
            c.row: i
            for i, c in enumerate(planner.cells)
            if c.field == "sync_note" and (c.tab is ref or c.tab == ref)
        }
        self.dropped: set[int] = set()

    def get(self, row: Row) -> str | None:
        index = self.at.get(row.number)
        return None if index is None else str(self.planner.cells[index].value or "")

    def drop(self, row: Row) -> None:
        index = self.at.pop(row.number, None)
        if index is not None:
            self.dropped.add(index)

    def settle(self) -> None:
        if self.dropped:  # the plan only grew meanwhile, so the indexes still hold
            cells = self.planner.cells
            cells[:] = [c for i, c in enumerate(cells) if i not in self.dropped]


def lead_followups(planner: _Planner) -> None:
    """Follow-up limit and inactivity for every open lead of the tracker (after Rule 2)."""
    tab = planner.snap.leads
    rules = planner.config.rules
    expect = ("lead_id",)
    planned = _PlannedNotes(planner, tab)
    # The inactivity note names a day, and many leads share theirs: each day's note is
    # written out once, and so is the day as the events of the leads noted now name it.
    inactive: dict[date, str] = {}
    since: dict[date, str] = {}
    head, tail = _inactive_parts(rules.inactive_after_days, planner.words)
    # Looked up once, not per lead: in Python 3.11 a member looked up on its enum class is a
    # Python-level call (~0.2 us).
    todo, standby = LeadStatus.TODO, LeadStatus.STANDBY
    now, quiet_days = planner.now, rules.inactive_after_days
    reader, noted, at = planner.lead_cells, planner.noted_leads, planned.at
    plain, end = reader.epoch == EPOCH_1900, SERIAL_END  # see from_serial
    for record in list(planner.leads.values()):
        row, cells, status = record.row, record.cells, record.status
        if row is None or cells is None or (status is not todo and status is not standby):
            continue  # not an open lead of the tracker
        current = cells.sync_note
        if cells.followups is None and cells.last_contact is None:
            # Most open leads: nothing recorded yet, so no decision to ask for, and only
            # Created is read (and may be wrong). Read here: a call and a tuple per lead
            # through _lead_dates cost more than the rest of the lead's checks.
            created = cells.created
            if status is not todo and type(created) is float and plain and 0 < created < end:
                # A Standby lead's Created is read only for its problem, and a serial in range
                # of the 1900 system has none: its datetime is not made (a float timedelta).
                continue
            last, problem = reader.date(created)
            if problem:
                planned.drop(row)
                planner._problem(tab, row, [f"{_CREATED}: {problem}"], expect)
                continue
        else:
            found = _lead_dates(planner, cells)
            if isinstance(found, list):
                planned.drop(row)
                planner._problem(tab, row, found, expect)
                continue
            if found.followups is not None and found.followups >= rules.lead_max_followups:
                _ask_decision(planner, tab, record, row, current, found.followups, planned)
                continue
            last = found.last_contact or found.created
        # A Standby lead waits for its date on purpose (renewals for months): not inactive.
        if status is not todo or last is None:
            continue
        if (now - last).days >= quiet_days:
            day = last.date()
            said = inactive.get(day)
            if said is None:
                # inactive_note(quiet_days, last, ...), with the day's text made once for the
                # note and the events both. The limit, not the count of days: the note stays
                # the same from day to day.
                named = since[day] = day_text(last)
                said = inactive[day] = f"{head}{named}{tail}"
            if said in current and row.number not in at:
                # Said already, and no earlier rule of this pass plans another note: what
                # _note_inactive decides for most inactive leads of a pass, without the call.
                noted.add(row.number)
                continue
            _note_inactive(planner, tab, row, current, record.lead_id, last, said, planned, since)
    planned.settle()


def _ask_decision(
    planner: _Planner,
    tab: Tab,
    record: _LeadRecord,
    row: Row,
    current: str,
    followups: int,
    notes: _PlannedNotes,
) -> None:
    """Ask for a decision on an open lead that reached the follow-up limit."""
    note = decide_note(followups, planner.words)
    parked = record.status is LeadStatus.STANDBY and current.startswith(_DECIDE_PREFIXES)
    if record.status is LeadStatus.STANDBY and not parked:
        # A Standby lead the decision note is already on was put back there by a person
        # after reading it: that is the drip they chose, and it is kept.
        planner._set(tab, row, "status", LeadStatus.TODO.word(planner.words), ("lead_id",))
        record.status = LeadStatus.TODO
        planner.counts["moved_to_todo"] += 1
    if current != note:
        planner.counts["decisions_asked"] += 1
        planner.events.append(f"ask for a decision on {record.lead_id}")
    # The decision is the more pressing news, also for a lead Rule 2 just moved.
    notes.drop(row)
    planner._note(tab, row, note, ("lead_id",), current)


def _note_inactive(
    planner: _Planner,
    tab: Tab,
    row: Row,
    current: str,
    lead_id: str,
    last: datetime,
    note: str,
    notes: _PlannedNotes,
    since: dict[date, str],
) -> None:
    """Say the lead is inactive (`note`), after Rule 2's note if it has one.

    `since`: each day's text as the events name it, worked out once in a pass (a strftime).

    `current` is the row's Sync note as read; a note a person typed there stays.
    """
    planned = notes.get(row)
    base = current if planned is None else planned
    if note in base:
        planner.noted_leads.add(row.number)  # `tab` is the Leads tab
        return
    # An earlier inactivity note goes; a note without "; " holds none (no regex call).
    stem = _OLD_INACTIVE.split(base, maxsplit=1)[0] if "; " in base else base
    if planned is not None or _MOVED.match(stem):
        text = f"{stem}; {note}"
    elif not stem or stem.startswith("⚠") or is_rule_note(stem):
        text = note
    else:
        return  # the lead is in To-do already; a note a person typed stays
    if note not in current:
        planner.counts["inactive_noted"] += 1
        day = last.date()
        named = since.get(day)
        if named is None:
            named = since[day] = day_text(last)
        planner.events.append(f"note {lead_id} inactive since {named}")
    notes.drop(row)
    planner._note(tab, row, text, ("lead_id",), current)


# ---- touch-base for won clients -----------------------------------------------------------


def _last_touch(planner: _Planner, tab: Tab, record: _LeadRecord) -> datetime | None:
    if record.row is None:
        return planner.now  # created by this pass
    latest = None
    for key in ("last_contact", "created"):
        try:
            moment = planner._date(tab, record.row.get(key))
        except DateError:
            continue  # reported by lead_followups when it matters
        if moment is not None and (latest is None or moment > latest):
            latest = moment
    return latest


def touch_bases(planner: _Planner) -> None:
    """A touch-base To-do for each won client whose last touch is `touch_base_days` old.

    Once per period, also across crashes and racing passes: the touch-base lead is itself the
    record of the period (its Created date is its client's newest touch), it is appended in the
    same atomic write that claims its lead number, and while it is still To-do no second one is
    made.
    """
    days = planner.config.rules.touch_base_days
    if not days:
        return
    tab = planner.snap.leads
    groups: dict[str, list[_LeadRecord]] = defaultdict(list)
    for record in planner.leads.values():
        key = planner.client_key(record.company, record.email)
        if key:
            groups[key].append(record)
    period = timedelta(days=days)
    for key in sorted(groups):
        members = groups[key]
        won = [r for r in members if r.status is LeadStatus.WON and r.row is not None]
        if not won or any(r.status is LeadStatus.TODO for r in members):
            continue
        touches = [t for r in members if (t := _last_touch(planner, tab, r)) is not None]
        if touches and planner.now - max(touches) < period:
            continue
        model = won[-1]
        assert model.row is not None
        client = model.company or key
        values: dict[str, CellValue] = {
            k: model.row.get(k) for k in ("company", "contact", "email", "phone", "owner")
        }
        values = {k: (str(v) if isinstance(v, str) else v) for k, v in values.items()}
        lead_id = planner._new_lead_id()
        values.update(
            lead_id=lead_id,
            created=planner.now.replace(microsecond=0),
            next_action=_TOUCH_BASE[planner.words].format(client=client),
            status=LeadStatus.TODO.word(planner.words),
            source=TOUCH_BASE_SOURCE,
        )
        planner._add_new_lead(values, model.company, model.email, LeadStatus.TODO)
        planner.counts["touch_bases_created"] += 1
        planner.events.append(f"create touch-base {lead_id} for {client}")
