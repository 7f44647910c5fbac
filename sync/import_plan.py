"""Rule 6 for imported lists, as one pure function: `plan_import(...) -> ImportPlan`.

A list goes into a prospecting tab as prospects, never into Leads: a salesperson qualifies a
prospect with `+`, and a whole list turned into leads would bury the real ones. Each row of the
list is appended, skipped as a duplicate of someone the team already has (sync/duplicates.py),
or refused with its reason; the plan says which, row by row, and holds the appends for a
backend to write. Like the sync planner it reads no file and no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime

from sync.duplicates import Contact, DuplicateIndex, Match, phone_key
from sync.errors import ListError
from sync.headers import TabKind, field, header
from sync.layout import HEADER_SEARCH_ROWS, find_headers
from sync.model import parse_amount
from sync.plan import AddColumn, AppendRow, Plan
from sync.snapshot import CellValue, Snapshot, Tab
from sync.xlsx_cells import column_letters

# Prospect fields a list may fill. Flag, Lead and Sync note are the engine's: a list that
# carried '+' or a lead ID would create or claim leads behind everyone's back.
IMPORTED = (
    "company",
    "contact",
    "email",
    "phone",
    "notes",
    "assign_to",
    "amount",
    "next_action",
    "next_action_date",
)
ENGINE_COLUMNS = ("flag", "lead", "sync_note")
NOTES_SEPARATOR = "; "


@dataclass(frozen=True)
class ColumnUse:
    """What became of each column of the list."""

    imported: tuple[tuple[str, str], ...]  # (the list's header, the prospect column it fills)
    to_notes: tuple[str, ...]  # headers whose values go into Notes as "Header: value"
    engine: tuple[str, ...]  # Flag, Lead, Sync note: written by leadsync, never imported
    dropped: tuple[str, ...]  # no column to go to (the target tab has no Notes either)


@dataclass(frozen=True)
class Appended:
    row: int  # row of the list
    company: str
    values: Mapping[str, CellValue]  # prospect field -> value, as written
    duplicate_of: tuple[Match, ...] = ()  # kept by --keep-duplicates


@dataclass(frozen=True)
class Skipped:
    row: int
    company: str
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class Refused:
    row: int
    reason: str


@dataclass(frozen=True)
class Remark:
    """Something worth knowing about a row that was imported all the same."""

    row: int
    text: str


@dataclass(frozen=True)
class ImportPlan:
    list_name: str
    target: str  # "prospects.xlsx › Prospects"
    header_row: int  # row of the list holding its headers
    columns: ColumnUse
    appended: tuple[Appended, ...]
    skipped: tuple[Skipped, ...]
    refused: tuple[Refused, ...]
    remarks: tuple[Remark, ...]
    plan: Plan  # the Source column if missing, and one appended row per imported one


def plan_import(
    rows: Sequence[Sequence[CellValue]],
    list_name: str,
    snapshot: Snapshot,
    target: Tab,
    source: str,
    aliases: dict[str, str],
    keep_duplicates: bool = False,
    phone_region: str | None = None,
) -> ImportPlan:
    """Which rows of a list to append to `target`, which to skip, and which to refuse.

    `rows` is the whole list, row 1 first; its header row is found as a tab's is, among the
    first rows. Duplicates are looked for in every tab of `snapshot` and in the list itself.
    """
    head, found = find_headers(rows[:HEADER_SEARCH_ROWS], aliases)
    titles = list(rows[head]) if rows else []
    # A ragged CSV row can run past its headers; those cells go into Notes like the rest.
    width = max((len(r) for r in rows[head:]), default=0)
    titles += [None] * (width - len(titles))
    if "company" not in found:
        raise ListError(_no_company(list_name, head + 1, titles))
    columns, extras = _columns(titles, found, target)
    index = _existing(snapshot, phone_region)
    appended: list[Appended] = []
    skipped: list[Skipped] = []
    refused: list[Refused] = []
    remarks: list[Remark] = []
    for number in range(head + 2, len(rows) + 1):
        cells = rows[number - 1]
        if all(c is None or c == "" for c in cells):
            continue

        def at(position: int, cells: Sequence[CellValue] = cells) -> CellValue:
            return cells[position] if position < len(cells) else None

        values: dict[str, CellValue] = {k: at(found[k]) for k in IMPORTED if k in found}
        company = _text(values.get("company"))
        if not company:
            refused.append(Refused(number, "Company is empty: fill it in and import the row"))
            continue
        values = {k: v for k, v in values.items() if k in target.columns and v is not None}
        notes = [_text(values.get("notes"))] if values.get("notes") is not None else []
        notes += [f"{name}: {_text(at(i))}" for i, name in extras if at(i) is not None]
        if notes and "notes" in target.columns:
            values["notes"] = NOTES_SEPARATOR.join(notes)
        amount = values.get("amount")
        if isinstance(amount, str):
            # Unreadable, it is kept as typed: the sync pass reports it if the row is converted.
            with suppress(ValueError):
                values["amount"] = parse_amount(amount)
        values["source"] = source
        email = at(found["email"]) if "email" in found else None
        phone = at(found["phone"]) if "phone" in found else None
        if phone is not None and not phone_key(phone, phone_region):
            remarks.append(Remark(number, _unread_phone(phone, phone_region)))
        contact = Contact.of(company, email, phone, phone_region)
        matches = tuple(index.find(contact))
        index.add(f"{list_name} row {number}", contact)
        if matches and not keep_duplicates:
            skipped.append(Skipped(number, company, matches))
            continue
        appended.append(Appended(number, company, values, matches))
    changes: list[AddColumn] = []
    if appended and "source" not in target.columns:
        title = header(TabKind.PROSPECTS, "source")
        changes.append(AddColumn(target.ref, "source", title, target.first_free_column))
    plan = Plan(
        add_columns=tuple(changes),
        appends=tuple(AppendRow(target.ref, row.values) for row in appended),
        events=tuple(f"append {list_name} row {row.row} ({row.company})" for row in appended),
    )
    return ImportPlan(
        list_name=list_name,
        target=target.label,
        header_row=head + 1,
        columns=columns,
        appended=tuple(appended),
        skipped=tuple(skipped),
        refused=tuple(refused),
        remarks=tuple(remarks),
        plan=plan,
    )


def _columns(
    titles: Sequence[CellValue], found: Mapping[str, int], target: Tab
) -> tuple[ColumnUse, list[tuple[int, str]]]:
    """What becomes of each column, and the (position, name) of those that go into Notes."""
    by_position = {position: key for key, position in found.items()}
    imported: list[tuple[str, str]] = []
    to_notes: list[str] = []
    engine: list[str] = []
    dropped: list[str] = []
    extras: list[tuple[int, str]] = []
    for position, title in enumerate(titles):
        name = _text(title) or f"Column {column_letters(position + 1)}"
        key = by_position.get(position)
        if key in ENGINE_COLUMNS:
            engine.append(name)
        elif key in IMPORTED and key in target.columns:
            imported.append((name, header(TabKind.PROSPECTS, key)))
        elif "notes" in target.columns:
            # Another column (City, Industry, a list's own Source): kept where a person reads it.
            to_notes.append(name)
            extras.append((position, name))
        else:
            dropped.append(name)
    use = ColumnUse(tuple(imported), tuple(to_notes), tuple(engine), tuple(dropped))
    return use, extras


def _existing(snapshot: Snapshot, region: str | None) -> DuplicateIndex:
    index = DuplicateIndex()
    for tab in (*snapshot.prospects, snapshot.leads):
        for row in tab.rows:
            contact = Contact.of(row.get("company"), row.get("email"), row.get("phone"), region)
            index.add(f"{tab.label} row {row.number}", contact)
    return index


def _no_company(list_name: str, header_row: int, titles: Sequence[CellValue]) -> str:
    names = ", ".join(_text(t) for t in titles if _text(t)) or "nothing"
    company = field(TabKind.PROSPECTS, "company")
    spellings = " or ".join(f"'{n}'" for n in (company.header, *company.aliases))
    return (
        f"{list_name} has no Company column (its header row, row {header_row}, reads: "
        f"{names}); head the column of company names {spellings}, or add your heading under "
        '[headers.prospects] company = ["..."] in leadsync.toml'
    )


def _unread_phone(phone: CellValue, region: str | None) -> str:
    text = _text(phone)
    why = f"Phone '{text}' is not a number leadsync can read"
    if region is None and not text.startswith(("+", "00")):
        why = (
            f"Phone '{text}' has no country code (set phone_region in leadsync.toml to read "
            "such numbers)"
        )
    return why + ": imported as typed, not checked for duplicates"


def _text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        whole_day = value.time() == datetime.min.time()
        return value.date().isoformat() if whole_day else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
