"""The Leads tab as one pass reads it: each row's cells fetched once, and parsed once.

Every lead rule and the Pipeline numbers look at the same cells of every lead (its ID, status,
next action date, step, closed date). Fetched through the row's mapping and parsed again by
each of them, those reads were most of a pass's planning time. Here a row is read in one go,
and a value that repeats down a column (a status word, a date serial, a step) is parsed once
per reader. A reader belongs to one pass: its memos never outlive it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sync.config import Config
from sync.dates import DateError, from_serial, read_date
from sync.model import LeadStatus, parse_status
from sync.pipeline_config import PipelineStep
from sync.snapshot import CellValue, Picker, Tab, cell_text

# The cells a LeadCells reads, in the order it unpacks them: first those it holds as text.
_KEYS = (
    "lead_id",
    "company",
    "email",
    "folder",
    "sync_note",
    "step",
    "renewal_of",
    "contact",
    "phone",
    "owner",
    "next_action",
    "status",
    "next_action_date",
    "closed",
    "amount",
    "followups",
    "last_contact",
    "created",
    "renewal_date",
)
_TEXTS = 11
_AT = {key: index for index, key in enumerate(_KEYS)}
# The cells a LeadCells holds as read (each in the attribute of its name), not parsed.
_AS_READ = frozenset(("closed", "amount", "followups", "last_contact", "created", "renewal_date"))


class LeadCells:
    """One Leads row: text cells as `Row.text` reads them, the cells every rule needs parsed.

    A cell that does not parse leaves its parsed value None and says why in its `_problem`
    (the words of the parser's error); the cells only some rules need stay as read (None when
    empty).
    """

    __slots__ = (
        "amount",
        "closed",
        "company",
        "contact",
        "created",
        "email",
        "folder",
        "followups",
        "last_contact",
        "lead_id",
        "next_action",
        "next_date",
        "next_date_problem",
        "owner",
        "phone",
        "renewal_date",
        "renewal_of",
        "status",
        "status_problem",
        "step",
        "sync_note",
    )

    lead_id: str
    company: str
    email: str
    folder: str
    sync_note: str
    step: str
    renewal_of: str
    contact: str
    phone: str
    owner: str
    next_action: str
    status: LeadStatus | None
    status_problem: str
    next_date: datetime | None
    next_date_problem: str
    closed: CellValue
    amount: CellValue
    followups: CellValue
    last_contact: CellValue
    created: CellValue
    renewal_date: CellValue

    def __init__(self, picked: Sequence[CellValue] | None, reader: LeadsReader | None) -> None:
        if picked is None or reader is None:
            return  # an empty one, for _twin to fill in
        cells: Any = picked  # Any: whether a cell has .strip() is the test for text below
        (
            lead_id,
            company,
            email,
            folder,
            sync_note,
            step,
            renewal_of,
            contact,
            phone,
            owner,
            next_action,
            status,
            next_date,
            closed,
            amount,
            followups,
            last_contact,
            created,
            renewal,
        ) = cells
        try:
            # Most rows hold text in all of these: stripped one by one, which costs less than
            # a slice and a map or tuple over it per row. An empty cell read as None, or a
            # number, has no strip().
            self.lead_id = lead_id.strip()
            self.company = company.strip()
            self.email = email.strip()
            self.folder = folder.strip()
            self.sync_note = sync_note.strip()
            self.step = step.strip()
            self.renewal_of = renewal_of.strip()
            self.contact = contact.strip()
            self.phone = phone.strip()
            self.owner = owner.strip()
            self.next_action = next_action.strip()
        except AttributeError:
            (
                self.lead_id,
                self.company,
                self.email,
                self.folder,
                self.sync_note,
                self.step,
                self.renewal_of,
                self.contact,
                self.phone,
                self.owner,
                self.next_action,
            ) = [
                v.strip() if type(v) is str else "" if v is None else cell_text(v)
                for v in picked[:_TEXTS]
            ]
        # The readers' memos looked at here first: a method call per cell is most of the cost
        # of a value that was parsed already (as nearly every status and date was).
        found = reader._statuses.get(status) if type(status) is str else None
        self.status, self.status_problem = found or reader.status(status)
        kind = type(next_date)
        day = reader._dates.get(next_date) if kind is str or kind is int else None
        self.next_date, self.next_date_problem = day or reader.date(next_date)
        # The picker may say '' for an empty cell; as read, an empty cell is None.
        self.closed = None if closed == "" else closed
        self.amount = None if amount == "" else amount
        self.followups = None if followups == "" else followups
        self.last_contact = None if last_contact == "" else last_contact
        self.created = None if created == "" else created
        self.renewal_date = None if renewal == "" else renewal

    def _twin(self) -> LeadCells:
        """A copy, to change a cell of: one line per cell, as a loop over them cost more."""
        twin = LeadCells(None, None)
        twin.lead_id = self.lead_id
        twin.company = self.company
        twin.email = self.email
        twin.folder = self.folder
        twin.sync_note = self.sync_note
        twin.step = self.step
        twin.renewal_of = self.renewal_of
        twin.contact = self.contact
        twin.phone = self.phone
        twin.owner = self.owner
        twin.next_action = self.next_action
        twin.status = self.status
        twin.status_problem = self.status_problem
        twin.next_date = self.next_date
        twin.next_date_problem = self.next_date_problem
        twin.closed = self.closed
        twin.amount = self.amount
        twin.followups = self.followups
        twin.last_contact = self.last_contact
        twin.created = self.created
        twin.renewal_date = self.renewal_date
        return twin


class LeadsReader:
    """Reads a Leads tab's rows for one pass, parsing each distinct status, date and step once."""

    def __init__(self, tab: Tab, config: Config) -> None:
        self.tab = tab
        self.order = tab.date_order or config.date_order
        self.epoch = tab.epoch
        self.pipeline = config.pipeline
        self.pick = Picker(_KEYS)
        self._rows: tuple[LeadCells, ...] | None = None
        self._statuses: dict[str, tuple[LeadStatus | None, str]] = {}
        # Only text and whole numbers: True, 1 and 1.0 are one key to a dict, not one date.
        self._dates: dict[str | int | date, tuple[datetime | None, str]] = {}
        self._steps: dict[str, PipelineStep | None] = {}

    @property
    def rows(self) -> tuple[LeadCells, ...]:
        """The tab's rows, in its order, each read once."""
        if self._rows is None:
            self._rows = tuple([LeadCells(cells, self) for cells in self.pick.each(self.tab.rows)])
        return self._rows

    def read(
        self, values: Mapping[str, CellValue], writes: Mapping[str, CellValue] | None = None
    ) -> LeadCells:
        """A row (or an appended lead's values) as it reads once `writes` to it are made."""
        # A dict (an appended lead's values, a fetched row) read as the picker reads any
        # mapping but a CellsView, get by get, here by a C-level map without its call.
        if type(values) is dict:
            if not writes:
                return LeadCells(tuple(map(values.get, _KEYS)), self)
            picked = list(map(values.get, _KEYS))
        elif not writes:
            return LeadCells(self.pick(values), self)
        else:
            picked = list(self.pick(values))
        for key, value in writes.items():
            at = _AT.get(key)
            if at is not None:
                picked[at] = value
        return LeadCells(picked, self)

    def reread(
        self, cells: LeadCells, values: Mapping[str, CellValue], writes: Mapping[str, CellValue]
    ) -> LeadCells:
        """`read(values, writes)`, where `cells` is `read(values)`.

        Writes only to cells held as read (a Closed date a pass stamps, most often) change
        only those: the row is not read and parsed again.
        """
        for key in writes:
            if key not in _AS_READ and key in _AT:
                return self.read(values, writes)
        twin = cells._twin()
        for key, value in writes.items():
            if key in _AS_READ:
                setattr(twin, key, None if value == "" else value)  # as __init__ reads it
        return twin

    def status(self, value: CellValue) -> tuple[LeadStatus | None, str]:
        """The lead status of a Status cell, or None and why it is none."""
        if type(value) is str:
            found = self._statuses.get(value)
            if found is None:
                found = self._statuses[value] = _status(value)
            return found
        return _status(value)

    def date(self, value: CellValue) -> tuple[datetime | None, str]:
        """The date of a cell (None when empty), or None and why it is no date."""
        if value is None:
            return None, ""
        if type(value) is float:  # a serial with a time of day: seldom the same twice
            try:
                return from_serial(value, self.epoch), ""
            except DateError as error:
                return None, str(error)
        # A date as such too: the plan stamps the same day on every lead it closes.
        if type(value) is str or type(value) is int or type(value) is date:
            found = self._dates.get(value)
            if found is None:
                found = self._dates[value] = self._date(value)
            return found
        return self._date(value)

    def _date(self, value: CellValue) -> tuple[datetime | None, str]:
        try:
            return read_date(value, self.order, self.epoch), ""
        except DateError as error:
            return None, str(error)

    def step(self, text: str) -> PipelineStep | None:
        """The configured step a Step cell's text names; None when it names none."""
        if text not in self._steps:
            self._steps[text] = self.pipeline.find(text)
        return self._steps[text]


def _status(value: CellValue) -> tuple[LeadStatus | None, str]:
    try:
        return parse_status(value), ""
    except ValueError as error:
        return None, str(error)
