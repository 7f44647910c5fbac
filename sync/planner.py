"""Rules 1–6 and 8 of the design as one pure function: `plan(snapshot, now, config) -> Plan`.

No I/O and no clock reads: the same snapshot and `now` always give the same plan, which is what
makes dry runs honest and every rule testable in microseconds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import compress, repeat
from operator import attrgetter
from zoneinfo import ZoneInfo

from sync.clientkey import company_key, domain_key
from sync.config import Config
from sync.dates import DateError, day_text, read_date
from sync.headers import FIELDS, TabKind, header
from sync.lead_cells import LeadCells, LeadsReader
from sync.model import (
    FLAGS_AS_TYPED,
    OPEN_STATUSES,
    Flag,
    LeadStatus,
    Prospect,
    parse_amount,
    parse_flag,
)
from sync.pipeline_plan import with_pipeline
from sync.plan import AddColumn, AppendRow, Counts, Plan, Problem, SetCell, StrikeRow, set_cell
from sync.rules_adoption import adopt
from sync.rules_followup import is_rule_note, lead_followups, prospect_followup, touch_bases
from sync.rules_pipeline import closed_value, step_problem
from sync.snapshot import CellsView, CellValue, Picker, Row, Snapshot, Tab, cell_text

WARNING = "⚠ "  # engine notes that report a problem start with this, so they can be cleared
STRUCK = {"en": "Struck off", "it": "Scartato"}

# Engine-owned columns a pass needs; missing ones are added at the right of the header row.
NEEDED_COLUMNS: Mapping[TabKind, tuple[str, ...]] = {
    TabKind.PROSPECTS: ("lead", "sync_note"),
    TabKind.LEADS: ("lead_id", "status", "closed", "folder", "renewal_of", "sync_note"),
    TabKind.CLIENTS: tuple(f.key for f in FIELDS[TabKind.CLIENTS]),
}

# A prospect row with none of these cells filled has nothing for the planner to do; the Excel
# backend reads only the rows that have one (sync/xlsx_sparse.py).
PROSPECT_TRIGGERS = ("flag", "lead", "sync_note", "attempts")

# Prospect cells that become lead cells of the same name when a row is converted.
CARRIED = ("company", "contact", "email", "phone", "notes", "next_action")

# Looked up once: in Python 3.11 a member looked up on its enum class, and its .value, are
# Python-level calls, and these are asked of every prospect row.
_CONVERT = Flag.CONVERT
_DONE = Flag.DONE
_STRIKE = Flag.STRIKE
_DONE_MARK = Flag.DONE.value
_DATES = (datetime, date)  # the types of a date the planner writes


def plan(snapshot: Snapshot, now: datetime, config: Config) -> Plan:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware; the planner never guesses a zone")
    # The Pipeline tab shows the leads as this plan leaves them, so it is planned last.
    planner = _Planner(snapshot, now, config)
    return with_pipeline(planner.run(), snapshot, now, config, planner.lead_cells)


def same(a: CellValue, b: CellValue) -> bool:
    """Equal as a person would read the cell: 3 == 3.0, '' == None, trailing spaces ignored."""
    if isinstance(a, str):
        a = a.strip() or None
    if isinstance(b, str):
        b = b.strip() or None
    # A tuple, not int | float: isinstance checks a tuple faster than a union type.
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def _as_cell_date(moment: datetime | None) -> datetime | date | None:
    if moment is None:
        return None
    return moment.date() if moment.time() == datetime.min.time() else moment


def _number(prefix: str, value: str) -> int | None:
    """42 for 'L-0042' with prefix 'L-'; None for anything else."""
    if value.startswith(prefix):
        digits = value[len(prefix) :]
        if digits.isdecimal():
            return int(digits)
    return None


def _sequence(prefix: str, values: Iterable[str]) -> int:
    """The highest number among the values that are `prefix` and digits; 0 if none is."""
    # _number's test, as a chain of C-level iterators with no Python step per value: every ID
    # of a pass goes through here. The str methods are mapped unbound, over the values and the
    # prefix repeated: a methodcaller looks its method up on every value, and removeprefix
    # cuts without a slice object to unpack per value (where it starts with prefix, the same).
    if type(values) is not list:
        values = list(values)  # gone through twice: once tested, once picked from
    if values and _one_width(prefix, values):
        # The values sort as their numbers do: the highest found by comparing them in C,
        # without a step per value for the chain below.
        return int(max(values)[len(prefix) :])
    starts = map(str.startswith, values, repeat(prefix))
    tails = map(str.removeprefix, compress(values, starts), repeat(prefix))
    numbers = list(filter(str.isdecimal, tails))
    if not numbers:
        return 0
    if "".join(numbers).isascii():
        # ASCII digits filled with zeros to one width sort as their numbers do: one int()
        # instead of one per value (zfill gives a long enough str back as it is). Other
        # decimal digits (isdecimal says yes to '٣') do not sort so, and go through int().
        width = max(map(len, numbers))
        return int(max(map(str.zfill, numbers, repeat(width))))
    return max(map(int, numbers))


def _one_width(prefix: str, values: list[str]) -> bool:
    """Whether every value is `prefix` then ASCII digits, as many in each as in the first.

    Lead IDs of a tracker are so, until they outgrow their zeros: one regex match over them
    all tells, where a test per value costs a C-level call each.
    """
    digits = len(values[0]) - len(prefix)
    if digits <= 0 or "\n" in prefix:  # a break in the prefix would blur where values start
        return False
    text = "\n" + "\n".join(values)
    if len(text) != len(values) * (1 + len(values[0])):
        return False  # a value of another width, or one holding a line break
    each = re.compile(f"(?:\\n{re.escape(prefix)}[0-9]{{{digits}}})*")
    return each.fullmatch(text) is not None


_LEAD_ID = attrgetter("lead_id")  # a C-level read of _LeadRecord.lead_id, for map()
_COMPANY = attrgetter("company")


@dataclass(slots=True)
class _LeadRecord:
    """An existing or new lead as the folder rule sees it."""

    lead_id: str
    company: str
    email: str
    status: LeadStatus | None
    folder: str
    row: Row | None = None  # None for a lead this pass creates
    new_values: dict[str, CellValue] = field(default_factory=dict)
    cells: LeadCells | None = None  # the row as read and parsed; None for a lead this pass creates


class _Planner:
    def __init__(self, snapshot: Snapshot, now: datetime, config: Config) -> None:
        self.snap = snapshot
        self.config = config
        # Cell dates are wall-clock times in the tracker's zone; so is this.
        zone = ZoneInfo(snapshot.time_zone) if snapshot.time_zone else config.zone
        self.now = now.astimezone(zone).replace(tzinfo=None)
        # The Created cell of every lead and folder this pass makes (replace() is slow to call).
        self.created = self.now.replace(microsecond=0)
        self.words = config.language
        self.add_columns: list[AddColumn] = []
        self.cells: list[SetCell] = []
        self.strikes: list[StrikeRow] = []
        self.problems: list[Problem] = []
        self.events: list[str] = []
        self.counts: dict[str, int] = defaultdict(int)
        self.leads: dict[str, _LeadRecord] = {}
        self.new_leads: list[_LeadRecord] = []
        self._folder_appends: list[AppendRow] = []
        # Leads rows (by number) this pass writes a note into: only the Leads tab's are asked
        # about, and a number hashes in C where a TabRef's dataclass __hash__ is a Python call.
        self.noted_leads: set[int] = set()
        self.adopted: set[int] = set()  # Leads rows this pass gives an ID (Rule 6)
        # Every lead rule reads the same cells of every lead: read and parsed once, here.
        self.lead_cells = LeadsReader(snapshot.leads, config)
        # Each prospect row's Lead, Flag and Sync note, read in one step for the whole pass.
        pick = Picker(("lead", "flag", "sync_note"))
        self.prospect_cells = [pick.each(t.rows) for t in snapshot.prospects]
        prospect_ids = [
            lead.strip() if type(lead) is str else cell_text(lead)  # cell_text, mostly inline
            for picked in self.prospect_cells
            for lead, _flag, _note in picked
            if lead is not None and lead != ""  # the picker may say '' for an empty cell
        ]
        prefix = config.rules.lead_id_prefix
        in_tracker = _sequence(prefix, [cells.lead_id for cells in self.lead_cells.rows])
        # IDs up to this number reached the tracker once; a higher one in a Lead cell is from a
        # pass that stopped after saving the prospecting file and before saving the tracker.
        issued = snapshot.issued_lead_number
        self.issued: int = in_tracker if issued is None else issued
        # A number is never handed out twice, not even that of a lead deleted since.
        seen = max(in_tracker, _sequence(prefix, prospect_ids))
        self.next_lead = max(seen, self.issued, snapshot.reserved_lead_number or 0)
        # lead ID -> the prospect row that carries it (named only if a second row claims it)
        self.linked: dict[str, tuple[Tab, Row]] = {}
        # Company -> its client key, for this pass: a client's leads share their company.
        self._company_keys: dict[str, str] = {}

    # ---- plumbing -------------------------------------------------------------------------

    def run(self) -> Plan:
        for tab in (*self.snap.prospects, self.snap.leads, self.snap.clients):
            self._ensure_columns(tab)
        self._read_existing_leads()
        for tab, picked in zip(self.snap.prospects, self.prospect_cells, strict=True):
            # Most prospects are neither flagged, linked, noted nor counted: nothing to decide.
            # Only the trigger columns the tab has are looked at, in a plain loop (no generator
            # per row): this loop sees every row of every prospecting tab.
            keys = [k for k in PROSPECT_TRIGGERS if k in tab.columns]
            attempts = "attempts" in tab.columns
            for row, cells in zip(tab.rows, picked, strict=True):
                values = row.values
                if type(values) is CellsView:
                    # A row read as a list has its Lead, Flag and Sync note picked already, as
                    # `get` reads them but for '' (see Picker): no look-up per trigger cell.
                    lead, flag, note = cells
                    if (
                        (flag is not None and flag != "")
                        or (lead is not None and lead != "")
                        or (note is not None and note != "")
                        or (attempts and values.get("attempts") is not None)
                    ):
                        self._prospect_row(tab, row, cells)
                    continue
                get = values.get
                for key in keys:
                    if get(key) is not None:
                        self._prospect_row(tab, row, cells)
                        break
        self._next_steps()
        lead_followups(self)
        self._renewals()
        touch_bases(self)
        self._pipeline_cells()
        self._clear_settled_lead_warnings()
        self._folders()
        appends = tuple(
            AppendRow(self.snap.leads.ref, record.new_values) for record in self.new_leads
        )
        return Plan(
            add_columns=tuple(self.add_columns),
            cells=tuple(self.cells),
            appends=appends + tuple(self._folder_appends),
            strikes=tuple(self.strikes),
            problems=tuple(self.problems),
            counts=Counts(**self.counts),
            events=tuple(self.events),
            issued_lead_number=self.next_lead if self.next_lead > self.issued else None,
        )

    def _ensure_columns(self, tab: Tab) -> None:
        free = tab.first_free_column
        for key in NEEDED_COLUMNS[tab.kind]:
            if key not in tab.columns:
                title = header(tab.kind, key)
                self.add_columns.append(AddColumn(tab.ref, key, title, free))
                self.events.append(f"add column '{title}' to {tab.label}")
                free += 1

    def _expect(self, tab: Tab, row: Row, keys: Iterable[str]) -> dict[str, CellValue]:
        get, columns = row.values.get, tab.columns
        return {k: get(k) for k in keys if k in columns}

    def _set(self, tab: Tab, row: Row, key: str, value: CellValue, expect: Iterable[str]) -> None:
        # row.values.get, not row.get, here and in _expect: some 6,000 calls a pass.
        get = row.values.get
        current = get(key)
        if current == value:
            return  # equal values are the same cell
        # same()'s answer for the pairs most writes are, without its call and isinstance tests:
        # text over text or over an empty cell; a date into an empty cell is a change.
        if type(value) is str and (current is None or type(current) is str):
            if (current or "").strip() == value.strip():
                return
        elif not (current is None and type(value) in _DATES) and same(current, value):
            return
        columns = tab.columns
        # A loop, not a dict comprehension: in Python 3.11 that is a function of its own, made
        # and called per write (some 5,800 a busy pass) for one or two keys.
        expected: dict[str, CellValue] = {}
        for k in expect:
            if k in columns:
                expected[k] = get(k)
        self.cells.append(set_cell(tab.ref, row.number, key, value, expected))

    def _where(self, tab: Tab, row: Row) -> str:
        return f"{tab.label} row {row.number}"

    def _note(
        self, tab: Tab, row: Row, note: str, expect: Iterable[str], current: str | None = None
    ) -> None:
        """Say `note` in the row's Sync note; '' clears what the engine said there before.

        A note a person typed is only ever replaced by a problem report, never cleared.
        `current`: the Sync note as read, when the caller read it already.
        """
        if current is None:
            current = row.text("sync_note")
        if not note and not current:
            return  # nothing said, nothing to clear
        if note:
            leads = self.snap.leads.ref
            if tab.ref is leads or tab.ref == leads:
                self.noted_leads.add(row.number)
        if (
            note
            or current.startswith(WARNING)
            or current in STRUCK.values()
            or is_rule_note(current)
        ):
            self._set(tab, row, "sync_note", note, expect)

    def _problem(self, tab: Tab, row: Row, messages: list[str], expect: Iterable[str]) -> None:
        text = "; ".join(messages)
        self.problems.append(Problem(self._where(tab, row), text))
        self._note(tab, row, WARNING + text, expect)

    def _date(self, tab: Tab, value: CellValue) -> datetime | None:
        return read_date(value, tab.date_order or self.config.date_order, tab.epoch)

    def client_key(self, company: str, email: str) -> str:
        """clientkey.client_key, worked out once per company in a pass."""
        key = self._company_keys.get(company)
        if key is None:
            key = self._company_keys[company] = company_key(company)
        return key or domain_key(email)

    def _new_lead_id(self) -> str:
        self.next_lead += 1
        return f"{self.config.rules.lead_id_prefix}{self.next_lead:04d}"

    # ---- Rule 1: conversion and strike-off ------------------------------------------------

    def _read_existing_leads(self) -> None:
        tab = self.snap.leads
        leads = self.leads
        for row, cells in zip(tab.rows, self.lead_cells.rows, strict=True):
            lead_id = cells.lead_id
            if not lead_id:
                lead_id = adopt(self, tab, row) or ""  # Rule 6: hand-typed leads
                if not lead_id:
                    continue
            if lead_id in leads:
                first = leads[lead_id].row
                self._problem(
                    tab,
                    row,
                    [
                        f"Lead ID {lead_id} is also on row {first.number if first else '?'}: "
                        "give one of them a new ID or clear it"
                    ],
                    ["lead_id"],
                )
                continue
            record = _LeadRecord(
                lead_id, cells.company, cells.email, cells.status, cells.folder, row, {}, cells
            )
            leads[lead_id] = record

    def _prospect_row(self, tab: Tab, row: Row, cells: tuple[CellValue, ...]) -> None:
        """`cells`: the row's Lead, Flag and Sync note as picked (see __init__)."""
        expect = ("flag", "company", "lead")
        lead, flag_cell, note_cell = cells
        # cell_text and parse_flag read '' as the empty cell it is; cell_text's first case inline,
        # here and for the note: this runs for every prospect row with something in it.
        lead_cell = lead.strip() if type(lead) is str else cell_text(lead)
        # parse_flag's first case inline too: a flag as typed, as nearly all are.
        flag = FLAGS_AS_TYPED.get(flag_cell) if type(flag_cell) is str else None
        if flag is None:
            try:
                flag = parse_flag(flag_cell)
            except ValueError as error:
                self._problem(tab, row, [str(error)], expect)
                return
        if lead_cell:
            linked = self.linked
            if lead_cell in linked:
                self._problem(
                    tab,
                    row,
                    [
                        f"Lead {lead_cell} is also on {self._where(*linked[lead_cell])} "
                        "(a copied row?): "
                        "clear this Lead cell and type + to make this row a lead of its own"
                    ],
                    expect,
                )
                return
            linked[lead_cell] = (tab, row)
            if lead_cell in self.leads:
                if flag is _CONVERT:
                    self._set(tab, row, "flag", _DONE_MARK, expect)
                note = note_cell.strip() if type(note_cell) is str else cell_text(note_cell)
                if note:  # an empty note has nothing to clear (see _note)
                    self._note(tab, row, "", expect, note)
            elif (flag is _CONVERT or flag is _DONE) and self._never_reached_tracker(lead_cell):
                self._recover(tab, row, lead_cell, flag, expect)
            elif flag is _CONVERT or flag is _DONE:
                self._problem(
                    tab,
                    row,
                    [
                        f"Lead {lead_cell} is not in the Leads tab (deleted?): clear this Lead "
                        "cell and type + to create a new lead"
                    ],
                    expect,
                )
            return
        if flag is _CONVERT:
            self._convert(tab, row.fetched(), expect)
        elif flag is _STRIKE:
            struck = STRUCK[self.words]
            # row.text("sync_note"), from the note as picked: '' and None read as one there.
            note = note_cell.strip() if type(note_cell) is str else cell_text(note_cell)
            if note != struck:
                self._set(tab, row, "sync_note", struck, expect)
                self.strikes.append(StrikeRow(tab.ref, row.number, self._expect(tab, row, expect)))
                self.counts["struck_off"] += 1
                self.events.append(f"strike off {self._where(tab, row)} ({row.text('company')})")
        elif flag is _DONE:
            self._problem(
                tab,
                row,
                ["✓ is written by leadsync once a lead exists: type + to make this a lead"],
                expect,
            )
        else:
            prospect_followup(self, tab, row, expect)  # Rule 8: drip

    def _parse_prospect(self, tab: Tab, row: Row) -> Prospect | list[str]:
        get = row.values.get
        unresolved = row.unresolved
        messages = (
            [
                f"{header(TabKind.PROSPECTS, key)} is a formula leadsync cannot see the result "
                "of (the file was not saved by Excel since): open and save it in Excel, or type "
                "the value"
                for key in sorted(unresolved)
            ]
            if unresolved  # nearly always: no comprehension made and called for no formula
            else []
        )
        company = cell_text(get("company"))
        if not company and "company" not in unresolved:
            messages.append(
                "Company is empty: fill it in and keep the +, the lead is created at the next sync"
            )
        next_date = None
        try:
            next_date = self._date(tab, get("next_action_date"))
        except DateError as error:
            messages.append(f"Next action date: {error}")
        amount = None
        try:
            amount = parse_amount(get("amount"))
        except ValueError as wrong:  # not `error`: mypyc keeps one type per name, DateError
            messages.append(str(wrong))
        if messages:
            return messages
        return Prospect(
            company=company,
            contact=cell_text(get("contact")),
            email=cell_text(get("email")),
            phone=get("phone"),
            notes=cell_text(get("notes")),
            owner=cell_text(get("assign_to")) or self.config.default_owner,
            amount=amount,
            next_action=cell_text(get("next_action")),
            next_action_date=next_date,
        )

    def _convert(self, tab: Tab, row: Row, expect: tuple[str, ...]) -> None:
        parsed = self._parse_prospect(tab, row)
        if isinstance(parsed, list):
            self._problem(tab, row, parsed, expect)
            return
        lead_id = self._new_lead_id()
        self._create_lead(tab, row, parsed, lead_id)
        self.counts["leads_created"] += 1
        self._set(tab, row, "lead", lead_id, expect)
        self._set(tab, row, "flag", _DONE_MARK, expect)
        self._note(tab, row, "", expect)

    def _never_reached_tracker(self, lead_id: str) -> bool:
        number = _number(self.config.rules.lead_id_prefix, lead_id)
        return number is not None and number > self.issued

    def _recover(
        self, tab: Tab, row: Row, lead_id: str, flag: Flag, expect: tuple[str, ...]
    ) -> None:
        """Finish a conversion whose pass stopped between the prospecting file and the tracker.

        The row already carries its lead's ID, so the lead is created under that same ID from
        what the row says now, wherever a sort may have moved it meanwhile.
        """
        row = row.fetched()
        parsed = self._parse_prospect(tab, row)
        if isinstance(parsed, list):
            self._problem(tab, row, parsed, expect)
            return
        self._create_lead(tab, row, parsed, lead_id, " to finish an interrupted pass")
        self.counts["leads_recovered"] += 1
        if flag is _CONVERT:
            self._set(tab, row, "flag", _DONE_MARK, expect)
        self._note(tab, row, "", expect)

    def _create_lead(
        self, tab: Tab, row: Row, prospect: Prospect, lead_id: str, why: str = ""
    ) -> None:
        status = self._initial_status(prospect.next_action_date)
        get = row.values.get
        # Loops, not dict comprehensions: in 3.11 each of those is a function made and called
        # per new lead, and the first would make `get` a closure cell of this method.
        values: dict[str, CellValue] = {}
        for key in CARRIED:
            values[key] = get(key)
        values.update(
            lead_id=lead_id,
            created=self.created,
            owner=prospect.owner,
            amount=prospect.amount,
            next_action_date=_as_cell_date(prospect.next_action_date),
            status=status.word(self.words),
            # An imported row names its list; a row typed by hand names nothing: its file does.
            source=cell_text(get("source")) or tab.source_name,
        )
        # Text stays text: a company typed as '=HYPERLINK(...)' is copied as those characters.
        cells: dict[str, CellValue] = {}
        for k, v in values.items():
            cells[k] = str(v) if isinstance(v, str) else v
        self._add_new_lead(cells, prospect.company, prospect.email, status)
        self.events.append(
            f"create {lead_id} from {self._where(tab, row)} ({prospect.company}, "
            f"{status.value}){why}"
        )

    def _add_new_lead(
        self, values: dict[str, CellValue], company: str, email: str, status: LeadStatus
    ) -> None:
        lead_id = str(values["lead_id"])
        record = _LeadRecord(lead_id, company, email, status, "", None, values, None)
        self.leads[lead_id] = record
        self.new_leads.append(record)

    # ---- Rule 2: every open lead on a next step -------------------------------------------

    def _initial_status(self, next_date: datetime | None) -> LeadStatus:
        return LeadStatus.STANDBY if next_date and next_date > self.now else LeadStatus.TODO

    def _next_steps(self) -> None:
        tab = self.snap.leads
        todo = LeadStatus.TODO.word(self.words)
        # Looked up once, not per lead: in Python 3.11 a member looked up on its enum class
        # is a Python-level call (~0.2 us), and these loops see every lead.
        standby = LeadStatus.STANDBY
        for record in list(self.leads.values()):
            row, cells = record.row, record.cells
            if row is None or cells is None:
                continue
            expect = ("lead_id",)
            if cells.status_problem:
                self._problem(tab, row, [cells.status_problem], expect)
                continue
            status = cells.status
            # Only a Standby lead needs its date; an unreadable one moves it to To-do with the
            # reason (Rule 2), after which the date no longer matters and is no problem.
            next_date = cells.next_date
            date_problem = cells.next_date_problem
            if date_problem:
                date_problem = f"Next action date: {date_problem}"
            if status is None:
                status = self._initial_status(next_date)
                self._set(tab, row, "status", status.word(self.words), expect)
                self.events.append(f"give {record.lead_id} the status {status.value}")
            elif status is standby and next_date is None:
                why = date_problem or "Next action date is empty"
                self._set(tab, row, "status", todo, expect)
                self._note(tab, row, f"Moved to To-do: {why}", expect, cells.sync_note)
                status = LeadStatus.TODO
                self.counts["moved_to_todo"] += 1
                self.events.append(f"move {record.lead_id} to To-do ({why})")
            elif status is standby and next_date is not None and next_date <= self.now:
                due = day_text(next_date)  # once: it costs more than the rest
                self._set(tab, row, "status", todo, expect)
                self._note(tab, row, f"Due {due}: moved to To-do", expect, cells.sync_note)
                status = LeadStatus.TODO
                self.counts["moved_to_todo"] += 1
                self.events.append(f"move {record.lead_id} to To-do (due {due})")
            record.status = status

    def _clear_settled_lead_warnings(self) -> None:
        """A lead's ⚠ note goes once no rule of this pass has anything to say about it.

        Done after every lead rule ran, so that one rule never clears what another one says
        (which would make the note flip from pass to pass).
        """
        tab = self.snap.leads
        for row, cells in zip(tab.rows, self.lead_cells.rows, strict=True):
            if not cells.sync_note:
                continue  # nothing to clear
            if row.number in self.noted_leads:
                continue
            if cells.lead_id or row.number in self.adopted:
                self._note(tab, row, "", ("lead_id",), cells.sync_note)

    # ---- Rule 4: renewals -----------------------------------------------------------------

    def _renewals(self) -> None:
        tab = self.snap.leads
        renewed = {r.cells.renewal_of for r in self.leads.values() if r.cells is not None}
        notice = timedelta(days=self.config.rules.renewal_notice_days)
        won = LeadStatus.WON  # looked up once (see _next_steps)
        for record in list(self.leads.values()):
            row = record.row
            if row is None or record.status is not won or record.lead_id in renewed:
                continue
            assert record.cells is not None
            renewal, problem = self.lead_cells.date(record.cells.renewal_date)
            if problem:
                self._problem(tab, row, [f"Renewal date: {problem}"], ("lead_id",))
                continue
            if renewal is None:
                continue
            wake = renewal - notice
            status = self._initial_status(wake)
            # row.values.get, not row.get, and a loop, not a dict comprehension (see
            # _create_lead): a call fewer per cell, and no function made and called per renewal.
            get = row.values.get
            values: dict[str, CellValue] = {}
            for key in CARRIED:
                values[key] = get(key)
            values.update(
                lead_id=self._new_lead_id(),
                created=self.created,
                owner=get("owner"),
                amount=get("amount"),
                next_action=f"Renewal of {record.lead_id} on {day_text(renewal)}",
                next_action_date=_as_cell_date(wake),
                status=status.word(self.words),
                renewal_of=record.lead_id,
                source="Renewal",
            )
            self._add_new_lead(values, record.company, record.email, status)
            self.counts["renewals_created"] += 1
            self.events.append(f"create renewal {values['lead_id']} of {record.lead_id}")

    # ---- Rule 7: pipeline steps -----------------------------------------------------------

    def _pipeline_cells(self) -> None:
        tab = self.snap.leads
        today = self.now.date()
        has_closed = "closed" in tab.columns
        won, lost = LeadStatus.WON, LeadStatus.LOST  # looked up once (see _next_steps)
        for record in self.leads.values():
            row, cells = record.row, record.cells
            if row is None or cells is None:
                continue
            if cells.step:  # an empty Step is the first step, no problem
                step = self.lead_cells.step(cells.step)
                problem = step_problem(cells.step, step, self.config.pipeline)
                if problem:
                    self._problem(tab, row, [problem], ("lead_id",))
            status = record.status
            if cells.closed is None and status is not won and status is not lost:
                continue  # closed_value keeps an empty cell empty but for a Won or Lost lead
            if has_closed:
                closed = closed_value(status, cells.closed, today)
                if closed is not cells.closed:  # the cell as read, kept: nothing to write
                    self._set(tab, row, "closed", closed, ("lead_id",))

    # ---- Rule 3: client folders -----------------------------------------------------------

    def _folders(self) -> None:
        groups: dict[str, list[_LeadRecord]] = {}
        records = list(self.leads.values())
        companies = list(map(_COMPANY, records))
        # self.client_key, for every lead at once: each company new to its memo keyed once,
        # then the memo read in C, with no test per lead of whether the company is in it.
        company_keys = self._company_keys
        for company in set(companies).difference(company_keys):
            company_keys[company] = company_key(company)
        for record, key in zip(records, map(company_keys.__getitem__, companies), strict=True):
            if not key:
                key = domain_key(record.email)
                if not key:
                    continue
            members = groups.get(key)
            if members is None:
                groups[key] = [record]
            else:
                members.append(record)
        tab = self.snap.clients
        prefix = self.config.rules.folder_id_prefix
        # Each folder row read in one step: most hold what this pass would write already.
        pick = Picker(("client_key", "folder", "leads", "lead_count", "open_leads"))
        picked = list(zip(tab.rows, pick.each(tab.rows), strict=True))
        next_folder = _sequence(prefix, [cell_text(cells[1]) for _held, cells in picked])
        existing: dict[str, tuple[Row, tuple[CellValue, ...]]] = {}
        for held, cells in picked:
            if key := cell_text(cells[0]):
                existing[key] = (held, cells)  # a key on two rows: the last one counts
        # A lone lead without a folder gets none: only clients with a folder or with two or
        # more leads are looked at (on the bench, nearly half the clients have one lead).
        shared = [key for key, members in groups.items() if len(members) > 1]
        todo, standby = OPEN_STATUSES  # looked up once (see _next_steps)
        for key in sorted(existing.keys() | shared):
            members = groups.get(key, [])
            row, cells = existing.get(key, (None, ()))
            lead_ids = ", ".join(map(_LEAD_ID, members))
            open_count = 0
            for r in members:  # a plain loop: this runs for every client
                # `r.status in OPEN_STATUSES` by identity, as a status is a member or None:
                # a closed lead's status is not compared as text with each open one.
                status = r.status
                if status is todo or status is standby:
                    open_count += 1
            if row is None:
                next_folder += 1
                folder_id = f"{prefix}{next_folder:03d}"
                client = next((r.company for r in members if r.company), key)
                self._folder_appends.append(
                    AppendRow(
                        tab.ref,
                        {
                            "folder": folder_id,
                            "client": client,
                            "client_key": key,
                            "leads": lead_ids,
                            "lead_count": len(members),
                            "open_leads": open_count,
                            "created": self.created,
                        },
                    )
                )
                self.counts["folders_created"] += 1
                self.events.append(f"open folder {folder_id} for {client} ({lead_ids})")
            else:
                _key, folder, leads, lead_count, open_leads = cells
                folder_id = cell_text(folder)
                before = len(self.cells)
                expect = ("client_key", "folder")
                # Cells equal to what they should say are never written (see _set): a folder
                # that is up to date is settled here, without a look-up per cell.
                if leads != lead_ids or lead_count != len(members) or open_leads != open_count:
                    self._set(tab, row, "leads", lead_ids, expect)
                    self._set(tab, row, "lead_count", len(members), expect)
                    self._set(tab, row, "open_leads", open_count, expect)
                if len(self.cells) > before:
                    self.counts["folders_updated"] += 1
                    self.events.append(f"update folder {folder_id} ({lead_ids})")
            for record in members:
                if record.row is None or record.folder != folder_id:
                    self._file_lead(record, folder_id)

    def _file_lead(self, record: _LeadRecord, folder_id: str) -> None:
        if record.row is None:
            record.new_values["folder"] = folder_id
        elif record.folder != folder_id:
            self._set(self.snap.leads, record.row, "folder", folder_id, ("lead_id",))
