"""Writing a plan into one spreadsheet, and making sure each write hit the row it meant.

The Sheets API has no compare-and-swap, and a person may sort or insert rows between the
pass's read and its write. So the one batchUpdate asks for the rows it wrote back in its own
answer (taken atomically with the write) and compares each with the row the pass read, every
cell the write did not set included. The flag is changed with a findReplace limited to its cell
that only turns the exact value read ("+") into the new one, so a flag a person typed is never
overwritten, and the reply says whether it changed. A write that landed on another row (rare:
a sort in the moment between read and write) is undone from what the pass read and repeated
on the row it was meant for, found again by its content.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeAlias

import msgspec

from sync.errors import BackendError, RequestRejected, RetryPass
from sync.google_cells import (
    CELL_DATA_JSON,
    DATED_FIELDS,
    VALUE_FIELDS,
    RowTemplate,
    cell_data,
    fields_of,
    from_api,
    from_cell_data,
    quote_tab,
    row_range_parts,
    row_template,
)
from sync.google_client import SheetsClient
from sync.google_reply import (
    NO_CELL,
    Cell,
    Reply,
    as_cell_data,
    landed,
    swapped,
    unequal,
)
from sync.google_rewrite import rewrite_requests
from sync.google_row_write import RowWrite
from sync.plan import Plan
from sync.planner import same
from sync.snapshot import CellValue, TabRef

# Each lead number written into a spreadsheet is claimed there by a developer metadata entry
# whose ID is derived from the number. Metadata IDs are unique in a spreadsheet, so when two
# passes race to hand out the same number, the second batchUpdate fails as a whole (batches
# are atomic) and that pass reads again: the Sheets API's one compare-and-swap.
CLAIM_KEY = "leadsync.lead"
CLAIM_BASE = 1_000_000_000  # metadata IDs are positive 32-bit integers
# A race is between passes seconds apart, so only the latest claims matter; older ones are
# deleted in batches, keeping a spreadsheet's metadata small whatever the number of leads.
KEEP_CLAIMS = 1000
# A claim's value while its number is only reserved in the tracker (see Writer.reserve): not
# yet a number the tracker held, so it does not count as issued (Lead cells holding it are
# finished by the next pass, not taken for deleted leads), but no other pass can take it.
RESERVED = " reserved"
PRUNE_EVERY = 100
SETTLE_ROUNDS = 3
# What a write's reply keeps of the rows it sends back: their values, not their formats.
REPLY_FIELDS = (
    "replies,updatedSpreadsheet.sheets(properties.title,"
    "data(startRow,rowData.values(effectiveValue,formattedValue)))"
)
# Cells only the engine writes: safe to clear on a row a misplaced write hit.
ENGINE_OWNED = frozenset({"lead", "sync_note", "lead_id", "folder"})
Cells = list[CellValue]

# A cell's updateCells request as the body's encoder writes it (keys in _cell's order, no
# spaces), filled in per cell: a busy pass writes thousands of cells, and a ready fragment
# is neither five dicts and two lists made, walked by the encoder and freed, each.
# The sheet and column are filled in first, once for each field of a tab (%%b, %%d: left for
# the cell's CellData and fields, or text, and its row).
_CELL_JSON = (
    b'{"updateCells":{"rows":[{"values":[%%b]}],"fields":"%%b",'
    b'"start":{"sheetId":%d,"rowIndex":%%d,"columnIndex":%d}}}'
)
_TEXT_CELL_JSON = (
    b'{"updateCells":{"rows":[{"values":[{"userEnteredValue":{"stringValue":%%b}}]}],'
    b'"fields":"userEnteredValue","start":{"sheetId":%d,"rowIndex":%%d,"columnIndex":%d}}}'
)
# What _cell writes for '' (and None): no value.
_EMPTY_CELL = (b"{}", b"userEnteredValue")
# A number's CellData (int or float, not bool), with %b for the number's JSON.
_NUMBER_DATA = CELL_DATA_JSON[float]
# _swap's request as the body's encoder writes it: the text read and the flag's new text
# (%b, encoded), the sheet, the row (0-based, then 1-based) and the column (0-based, then
# 1-based).
_SWAP_JSON = (
    b'{"findReplace":{"find":%b,"replacement":%b,"matchCase":true,"matchEntireCell":true,'
    b'"searchByRegex":false,"includeFormulas":false,"range":{"sheetId":%d,'
    b'"startRowIndex":%d,"endRowIndex":%d,"startColumnIndex":%d,"endColumnIndex":%d}}}'
)
_ENCODE = msgspec.json.Encoder().encode
# A request: a dict, or one already encoded (_row_requests) that the body's encoder copies.
Request: TypeAlias = dict[str, Any] | msgspec.Raw


@dataclass
class TabState:
    sheet_id: int
    header_row: int
    columns: dict[str, int]  # field -> 1-based column
    width: int
    grid_columns: int
    rows: Mapping[int, Sequence[CellValue]]  # 1-based row -> its cells as the pass read them


@dataclass
class RawSheet:
    """An engine-owned tab as read: where it is and how much of it is filled."""

    sheet_id: int
    height: int  # rows holding values, from row 1
    width: int
    grid_rows: int
    grid_columns: int


@dataclass
class SheetState:
    spreadsheet: str
    title: str
    time_zone: str | None
    claims: set[int]  # lead numbers already claimed in this spreadsheet
    tabs: dict[TabRef, TabState] = field(default_factory=dict)
    reserved: set[int] = field(default_factory=set)  # reserved, not yet claimed (tracker)
    raw: dict[str, RawSheet] = field(default_factory=dict)  # by tab name
    sheet_ids: set[int] = field(default_factory=set)


def _same_row(a: Sequence[CellValue], b: Sequence[CellValue], skip: set[int]) -> bool:
    for index in range(max(len(a), len(b))):
        if index in skip:
            continue
        left = a[index] if index < len(a) else None
        right = b[index] if index < len(b) else None
        if not same(left, right):
            return False
    return True


class Writer:
    def __init__(self, client: SheetsClient, state: SheetState) -> None:
        self.client = client
        self.state = state
        # The tab of the last lookup: a write's requests come tab after tab, and a TabRef,
        # a dataclass, hashes in Python, thousands of times a write.
        self._last: tuple[TabRef, TabState] | None = None
        self._dates: dict[date, dict[str, Any]] = {}
        # What _row_requests writes for a date or None: (its CellData, its fields), encoded.
        self._dated: dict[CellValue, tuple[bytes, bytes]] = {}

    # ---- building requests ----------------------------------------------------------------

    def _tab(self, ref: TabRef) -> TabState:
        last = self._last
        if last is not None and last[0] is ref:
            return last[1]
        tab = self.state.tabs[ref]
        self._last = (ref, tab)
        return tab

    def _data(self, value: CellValue) -> dict[str, Any]:
        """cell_data(value), one object for each date: a pass writes the same day into
        thousands of cells, and request bodies are only ever encoded, never changed."""
        # Naive only: aware datetimes can be equal at different wall-clock times.
        if type(value) is date or (type(value) is datetime and value.tzinfo is None):
            found = self._dates.get(value)
            if found is None:
                found = self._dates[value] = cell_data(value)
            return found
        return cell_data(value)

    def _written_columns(self, write: RowWrite) -> set[int]:
        tab = self._tab(write.tab)
        return {tab.columns[key] - 1 for key in write.cells}

    def _cell(self, ref: TabRef, row: int, key: str, value: CellValue) -> dict[str, Any]:
        tab = self._tab(ref)
        data = self._data(value)
        return {
            "updateCells": {
                "rows": [{"values": [data]}],
                "fields": fields_of(data),
                "start": {
                    "sheetId": tab.sheet_id,
                    "rowIndex": row - 1,
                    "columnIndex": tab.columns[key] - 1,
                },
            }
        }

    def _swap(self, ref: TabRef, row: int, key: str, old: str, new: str) -> dict[str, Any]:
        tab = self._tab(ref)
        column = tab.columns[key] - 1
        return {
            "findReplace": {
                "find": old,
                "replacement": new,
                "matchCase": True,
                "matchEntireCell": True,
                "searchByRegex": False,
                "includeFormulas": False,
                "range": {
                    "sheetId": tab.sheet_id,
                    "startRowIndex": row - 1,
                    "endRowIndex": row,
                    "startColumnIndex": column,
                    "endColumnIndex": column + 1,
                },
            }
        }

    def _strike(self, ref: TabRef, row: int, on: bool) -> dict[str, Any]:
        tab = self._tab(ref)
        return {
            "repeatCell": {
                "range": {
                    "sheetId": tab.sheet_id,
                    "startRowIndex": row - 1,
                    "endRowIndex": row,
                    "startColumnIndex": 0,
                    "endColumnIndex": max(tab.width, 1),
                },
                "cell": {"userEnteredFormat": {"textFormat": {"strikethrough": on}}},
                "fields": "userEnteredFormat.textFormat.strikethrough",
            }
        }

    def _row_requests(
        self, writes: Iterable[RowWrite], requests: list[Request], swaps: dict[RowWrite, int]
    ) -> None:
        """The requests of these writes, in order: _cell's for each cell, encoded here (see
        _CELL_JSON) for text, the most cells, and dates, the same few days over and over, as
        _cell builds it for anything else; a findReplace for a flag that can be swapped; the
        strike of a struck row."""
        ref: TabRef | None = None
        # A tab's fragments by field with its sheet and the field's column filled in, made
        # once each, so that a cell's fragment is one format of its value and row.
        texts: dict[str, bytes] = {}
        others: dict[str, bytes] = {}
        sheet_id = 0
        columns: dict[str, int] = {}
        dated = self._dated
        for write in writes:
            if write.tab is not ref:  # writes come tab after tab
                ref = write.tab
                tab = self._tab(ref)
                sheet_id, columns = tab.sheet_id, tab.columns
                texts = {}
                others = {}
            index = write.at - 1
            for key, value in write.cells.items():
                if key == "flag" and _swappable(write):
                    swaps[write] = len(requests)
                    old, new = str(write.expect[key]), str(value)
                    column = columns[key] - 1
                    try:
                        swap = _SWAP_JSON % (
                            _ENCODE(old),
                            _ENCODE(new),
                            sheet_id,
                            index,
                            write.at,
                            column,
                            column + 1,
                        )
                        requests.append(msgspec.Raw(swap))
                    except UnicodeEncodeError:  # a lone surrogate: the body's encoder falls back
                        requests.append(self._swap(ref, write.at, key, old, new))
                    continue
                if type(value) is str:
                    if value:
                        try:
                            text = _ENCODE(value)
                        except UnicodeEncodeError:  # a lone surrogate: the body's encoder
                            requests.append(self._cell(ref, write.at, key, value))  # falls back
                            continue
                        template = texts.get(key)
                        if template is None:
                            template = texts[key] = _TEXT_CELL_JSON % (sheet_id, columns[key] - 1)
                        requests.append(msgspec.Raw(template % (text, index)))
                        continue
                    found = _EMPTY_CELL
                # Naive only, as in _data: aware datetimes can be equal at different wall-clock
                # times.
                elif (
                    value is None
                    or type(value) is date
                    or (type(value) is datetime and value.tzinfo is None)
                ):
                    found = dated.get(value) or self._dated_json(value)
                elif type(value) is int or type(value) is float:
                    found = (_NUMBER_DATA % _ENCODE(value), b"userEnteredValue")
                else:
                    requests.append(self._cell(ref, write.at, key, value))
                    continue
                template = others.get(key)
                if template is None:
                    template = others[key] = _CELL_JSON % (sheet_id, columns[key] - 1)
                requests.append(msgspec.Raw(template % (found[0], found[1], index)))
            if write.strike:
                requests.append(self._strike(ref, write.at, True))

    def _groups(self, plan: Plan) -> list[RowWrite]:
        mine = self.state.spreadsheet
        # Keyed by tab name, not TabRef (all of this spreadsheet): str hashes in C.
        refs: dict[str, TabRef] = {}
        rows: dict[tuple[str, int], RowWrite] = {}
        for change in plan.cells:
            ref = change.tab
            if ref.workbook == mine:
                key = (ref.tab, change.row)
                found = rows.get(key)
                if found is None:  # a tab's first change starts a row
                    rows[key] = RowWrite(
                        refs.setdefault(ref.tab, ref),
                        change.row,
                        change.row,
                        {change.field: change.value},
                        dict(change.expect),
                    )
                else:
                    found.cells[change.field] = change.value
                    found.expect.update(change.expect)
        for strike in plan.strikes:
            ref = strike.tab
            if ref.workbook == mine:
                key = (ref.tab, strike.row)
                found = rows.get(key)
                if found is None:
                    found = rows[key] = RowWrite(
                        refs.setdefault(ref.tab, ref), strike.row, strike.row, {}, {}
                    )
                found.strike = True
                found.expect.update(strike.expect)
        return list(rows.values())

    def _columns(self, plan: Plan, requests: list[Request]) -> None:
        for add in plan.add_columns:
            if add.tab.workbook != self.state.spreadsheet:
                continue
            tab = self._tab(add.tab)
            if add.column > tab.grid_columns:
                requests.append(
                    {
                        "appendDimension": {
                            "sheetId": tab.sheet_id,
                            "dimension": "COLUMNS",
                            "length": add.column - tab.grid_columns,
                        }
                    }
                )
                tab.grid_columns = add.column
            tab.columns[add.field] = add.column
            tab.width = max(tab.width, add.column)
            requests.append(self._cell(add.tab, tab.header_row, add.field, add.header))

    def _appends(self, plan: Plan, requests: list[Request]) -> None:
        mine = self.state.spreadsheet
        # Keyed by tab name, not TabRef (all of this spreadsheet): str hashes in C, a TabRef,
        # a dataclass, in Python, and a busy pass appends hundreds of rows.
        refs: dict[str, TabRef] = {}
        by_tab: dict[str, list[dict[str, Any] | msgspec.Raw]] = {}
        dated: set[str] = set()
        widths: dict[str, int] = {}
        # Rows of a tab mostly set the same fields to values of the same types: one template
        # for each such shape (tab, keys, types), made when first seen in this write.
        shapes: dict[tuple[Any, ...], RowTemplate | None] = {}
        for append in plan.appends:
            ref = append.tab
            if ref.workbook != mine:
                continue
            name = ref.tab
            columns = self._tab(ref).columns
            width = widths.get(name)
            if width is None:
                refs[name] = ref
                width = widths[name] = max(columns.values())
            values = append.values
            shape = (name, *values, *map(type, values.values()))
            try:
                template = shapes[shape]
            except KeyError:
                template = shapes[shape] = _append_template(values, columns, width)
            row: dict[str, Any] | msgspec.Raw | None = None
            if template is not None:
                try:
                    row = msgspec.Raw(template.fill(list(values.values()), self._date_json))
                    has_date = bool(template.dates)
                except (msgspec.EncodeError, UnicodeEncodeError, OverflowError):
                    pass
            if row is None:
                # A value no template is made for, or one msgspec cannot write (a lone
                # surrogate): a dict, for the body's encoder to fall back on the standard
                # library as before.
                row, has_date = self._append_data(values, columns, width)
            by_tab.setdefault(name, []).append(row)
            if has_date:  # what fields_for says of the tab's rows
                dated.add(name)
        for name, rows in by_tab.items():
            requests.append(
                {
                    "appendCells": {
                        "sheetId": self._tab(refs[name]).sheet_id,
                        "rows": rows,
                        "fields": DATED_FIELDS if name in dated else VALUE_FIELDS,
                    }
                }
            )

    def _date_json(self, value: date | datetime) -> bytes:
        """cell_data(value) encoded, remembered for each day as _row_requests does."""
        if type(value) is datetime and value.tzinfo is not None:  # not remembered: see _data
            return _ENCODE(cell_data(value))
        found = self._dated.get(value)
        return (found or self._dated_json(value))[0]

    def _dated_json(self, value: CellValue) -> tuple[bytes, bytes]:
        """(CellData, fields) of None, a date or a naive datetime, encoded, one for each."""
        found = self._dated.get(value)
        if found is None:
            data = self._data(value)
            found = self._dated[value] = (_ENCODE(data), fields_of(data).encode())
        return found

    def _append_data(
        self, values: Mapping[str, CellValue], columns: dict[str, int], width: int
    ) -> tuple[dict[str, Any], bool]:
        """The RowData appending `values` to a tab of these columns, and whether it holds a
        date."""
        empty: dict[str, Any] = {}  # one object for every empty cell: only ever encoded
        line = [empty] * width
        has_date = False
        for key, value in values.items():
            if key in columns:
                data = line[columns[key] - 1] = self._data(value)
                if "userEnteredFormat" in data:
                    has_date = True
        return {"values": line}, has_date

    def _claims(
        self, plan: Plan, prefix: str, requests: list[Request]
    ) -> tuple[set[int], set[int]]:
        """Claim the lead numbers this write puts in the spreadsheet; (claimed, pruned)."""
        mine = self.state.spreadsheet
        # "lead_id": a hand-typed lead adopted in place (Rule 6) claims its number like any.
        # The field first: it rules out most cells with one look, the spreadsheet takes two.
        ids = [
            c.value for c in plan.cells if c.field in ("lead", "lead_id") and c.tab.workbook == mine
        ]
        ids += [a.values.get("lead_id") for a in plan.appends if a.tab.workbook == mine]
        numbers = {n for i in ids if isinstance(i, str) and (n := lead_number(prefix, i))}
        fresh = numbers - self.state.claims
        for number in sorted(fresh):
            if number in self.state.reserved:  # by this pass, or by one that stopped after
                requests.append(delete_metadata(CLAIM_BASE + number, f"{number}{RESERVED}"))
            requests.append(create_metadata(CLAIM_BASE + number, CLAIM_KEY, str(number)))
        held = sorted(self.state.claims | fresh)
        pruned = (
            set(held[: len(held) - KEEP_CLAIMS]) if len(held) > KEEP_CLAIMS + PRUNE_EVERY else set()
        )
        for number in sorted(pruned):
            requests.append(delete_metadata(CLAIM_BASE + number))
        return fresh, pruned

    def reserve(self, plan: Plan, prefix: str) -> None:
        """Reserve in this spreadsheet, the tracker, every lead number `plan` hands out.

        Called when the plan writes Lead IDs into prospecting spreadsheets of their own, which
        are written before the tracker: their claims alone cannot see a number another pass
        gave, in the tracker, to a lead of its own (a hand-typed lead, a renewal), or, in a
        third spreadsheet, to another row. Reserving all of the plan's numbers in the tracker
        first, in one request, makes the tracker the one place where two passes that planned
        the same numbers meet: the second is refused before it writes anything anywhere.
        """
        mine = self.state.spreadsheet
        ids = [c.value for c in plan.cells if c.field in ("lead", "lead_id")]
        ids += [a.values.get("lead_id") for a in plan.appends]
        numbers = {n for i in ids if isinstance(i, str) and (n := lead_number(prefix, i))}
        numbers -= self.state.claims | self.state.reserved
        if not numbers:
            return
        requests = [
            create_metadata(CLAIM_BASE + n, CLAIM_KEY, f"{n}{RESERVED}") for n in sorted(numbers)
        ]
        try:
            self.client.batch_update(mine, {"requests": requests})
        except RequestRejected:
            if numbers & self._claimed_now():
                raise RetryPass("another pass handed out the same lead numbers first") from None
            raise
        self.state.reserved |= numbers

    # ---- the write ------------------------------------------------------------------------

    def write(self, plan: Plan, prefix: str) -> None:
        requests: list[Request] = []
        claimed, pruned = self._claims(plan, prefix, requests)
        self._columns(plan, requests)
        groups = self._groups(plan)
        swaps: dict[RowWrite, int] = {}
        self._row_requests(groups, requests, swaps)
        self._appends(plan, requests)
        created = rewrite_requests(plan, self.state, requests)
        if not requests:
            return
        try:
            reply = self._send(requests, groups)
        except RequestRejected:
            now = self._claimed_now()
            if claimed & now or pruned - now:
                raise RetryPass("another pass handed out the same lead numbers first") from None
            if created:
                raise RetryPass("another pass added the Pipeline tab first") from None
            raise
        self.state.claims |= claimed
        self.state.reserved -= claimed
        self._settle(groups, reply, swaps)

    def _claimed_now(self) -> set[int]:
        """Numbers claimed or reserved in the spreadsheet now, by any pass."""
        meta = self.client.metadata(self.state.spreadsheet, "developerMetadata")
        entries = meta.get("developerMetadata", [])
        return claims_in(entries) | reservations_in(entries)

    def _send(self, requests: list[Request], check: list[RowWrite]) -> Reply:
        body: dict[str, Any] = {"requests": requests}
        if check:
            body["includeSpreadsheetInResponse"] = True
            body["responseIncludeGridData"] = True
            body["responseRanges"] = self._ranges(check)
            return self.client.batch_update_as(self.state.spreadsheet, body, REPLY_FIELDS, Reply)
        return self.client.batch_update_as(self.state.spreadsheet, body, None, Reply)

    def _ranges(self, writes: list[RowWrite]) -> list[str]:
        """The A1 ranges of the rows `writes` go to, each as wide as its tab."""
        ranges = []
        ref: TabRef | None = None
        # The row number joins the parts: before, number, between, number (and "" after).
        # One join of a ready tuple instead of an f-string that formats the number twice.
        parts: tuple[str, str, str] = ("", "", "")
        for write in writes:
            if write.tab is not ref:
                ref = write.tab
                parts = (*row_range_parts(ref.tab, self._tab(ref).width), "")
            ranges.append(str(write.at).join(parts))
        return ranges

    def _missed(self, groups: list[RowWrite], reply: Reply) -> list[RowWrite]:
        """The writes whose row in the reply is not the row the pass read, as _same_row
        tells rows apart, the cells each write sets aside."""
        tabs = landed(reply)
        # Every row side by side in two flat lists, so that unequal looks at them in one go.
        cells: list[Cell] = []
        read: list[Any] = []
        starts: list[int] = []
        ref: TabRef | None = None
        rows: dict[int, list[Cell]] = {}
        known: Mapping[int, Sequence[CellValue]] = {}
        columns: dict[str, int] = {}
        end = 0  # where the row before ends in the flat lists
        for write in groups:
            if write.tab is not ref:  # writes come tab after tab
                ref = write.tab
                rows = tabs.get(ref.tab, {})
                tab = self._tab(ref)
                known, columns = tab.rows, tab.columns
            try:
                was = known[write.row]
            except KeyError:
                was = ()
            now = rows.get(write.at, ())
            starts.append(end)
            cells += now
            read += was
            # A cell past a row's end is empty: "" is as empty as None to `same`.
            short = len(was) - len(now)
            if short > 0:
                cells += [NO_CELL] * short
            elif short < 0:
                read += [""] * -short
            # The cells the write sets are not compared (_written_columns): both sides made
            # empty there, which `unequal` finds equal in C, with no Python call for any.
            before = end - 1  # where column 1 of this row is, less one
            end = len(read)
            for key in write.cells:
                at = before + columns[key]
                if at < end:
                    cells[at] = NO_CELL
                    read[at] = ""
        missed: dict[int, RowWrite] = {}
        for index in unequal(cells, read):
            at = bisect_right(starts, index) - 1  # the write whose row holds this cell
            if at not in missed and not same(
                from_cell_data(as_cell_data(cells[index])), read[index]
            ):
                missed[at] = groups[at]
        return [missed[at] for at in sorted(missed)]

    def _settle(self, groups: list[RowWrite], reply: Reply, swaps: dict[RowWrite, int]) -> None:
        pending = self._missed(groups, reply)
        if not pending:
            return  # nearly always: what follows is for rows that moved under the write
        # Rows are told apart by the cells no write of this pass sets: a misplaced write can
        # have changed the engine's cells of any row it hit.
        skip: dict[TabRef, set[int]] = {}
        for write in groups:
            skip.setdefault(write.tab, set()).update(self._written_columns(write))
        for _round in range(SETTLE_ROUNDS):
            if not pending:
                return
            changed = {w for w in pending if swapped(reply, swaps.get(w))}
            fresh = self._reread({w.tab for w in pending})
            undo: list[Request] = []
            redo: list[Request] = []
            moved: list[RowWrite] = []
            new_swaps: dict[RowWrite, int] = {}
            for write in pending:
                target = self._undo(
                    write, fresh[write.tab], skip[write.tab], write in changed, undo
                )
                if target is not None:
                    again = msgspec.structs.replace(write, at=target)
                    moved.append(again)
                    self._row_requests([again], redo, new_swaps)
            if not moved:
                return
            # Every undo before any redo: a redo may go to a row another write hit by mistake.
            reply = self._send(undo + redo, moved)
            swaps = {w: index + len(undo) for w, index in new_swaps.items()}
            pending = self._missed(moved, reply)
        if pending:
            where = ", ".join(f"{w.tab} row {w.row}" for w in pending)
            raise BackendError(
                f"rows kept moving while leadsync wrote ({where}); run leadsync again when "
                "nobody is sorting the sheet"
            )

    def _undo(
        self,
        write: RowWrite,
        fresh: dict[int, Cells],
        skip: set[int],
        swapped: bool,
        out: list[Request],
    ) -> int | None:
        """Put back what the write changed on the row it hit; return where its row is now.

        None when the row it meant cannot be told apart: it was edited in place (the write is
        where it belongs) or is gone.
        """
        tab = self._tab(write.tab)
        meant = tab.rows.get(write.row, [])
        hit = fresh.get(write.at, [])
        targets = [
            n for n, cells in fresh.items() if n != write.at and _same_row(cells, meant, skip)
        ]
        if not targets:
            return None
        # Rows identical in every cell the pass reads are told apart by the engine's own
        # cells: the row meant still holds exactly what the pass read there.
        untouched = [n for n in targets if _same_row(fresh[n], meant, set())]
        target = (untouched or targets)[0]
        twins = [n for n, cells in tab.rows.items() if _same_row(cells, hit, skip)]
        was = tab.rows[twins[0]] if len(twins) == 1 else None
        for key in write.cells:
            column = tab.columns[key] - 1
            if key == "flag" and _swappable(write):
                if swapped:
                    old = str(write.expect.get(key))
                    out.append(self._swap(write.tab, write.at, key, str(write.cells[key]), old))
                continue
            if was is not None:
                value = was[column] if column < len(was) else None
                out.append(self._cell(write.tab, write.at, key, value))
            elif key in ENGINE_OWNED:
                out.append(self._cell(write.tab, write.at, key, None))
        if write.strike:
            out.append(self._strike(write.tab, write.at, False))
        return target

    def _reread(self, refs: set[TabRef]) -> dict[TabRef, dict[int, Cells]]:
        ordered = sorted(refs, key=lambda r: r.tab)
        answers = self.client.values(self.state.spreadsheet, [quote_tab(r.tab) for r in ordered])
        fresh: dict[TabRef, dict[int, Cells]] = {}
        for ref, answer in zip(ordered, answers, strict=True):
            header = self._tab(ref).header_row
            grid = answer.get("values", [])
            fresh[ref] = {
                number: [from_api(c) for c in cells]
                for number, cells in enumerate(grid, start=1)
                if number > header and any(c not in ("", None) for c in cells)
            }
        return fresh


def _append_template(
    values: Mapping[str, CellValue], columns: dict[str, int], width: int
) -> RowTemplate | None:
    """The template of rows appended to a tab of these columns that set these keys to values
    of these types, in this order."""
    placed = [
        (columns[key] - 1 if key in columns else None, type(value)) for key, value in values.items()
    ]
    return row_template(width, placed)


def _swappable(write: RowWrite) -> bool:
    """A flag write that can be a findReplace of the exact text the pass read."""
    expected, value = write.expect.get("flag"), write.cells.get("flag")
    return isinstance(expected, str) and bool(expected) and isinstance(value, str) and bool(value)


def lead_number(prefix: str, lead_id: str) -> int | None:
    text = lead_id.strip()
    if text.startswith(prefix) and text[len(prefix) :].isdigit():
        return int(text[len(prefix) :])
    return None


def create_metadata(metadata_id: int, key: str, value: str) -> dict[str, Any]:
    """A request creating a spreadsheet-wide entry; it fails if the ID is taken (atomic)."""
    entry = {
        "metadataId": metadata_id,
        "metadataKey": key,
        "metadataValue": value,
        "location": {"spreadsheet": True},
        "visibility": "DOCUMENT",
    }
    return {"createDeveloperMetadata": {"developerMetadata": entry}}


def delete_metadata(metadata_id: int, value: str | None = None) -> dict[str, Any]:
    """A request deleting the entry with this ID, only while it holds `value` if one is given."""
    lookup: dict[str, Any] = {"metadataId": metadata_id}
    if value is not None:
        lookup["metadataValue"] = value
    return {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": lookup}}}


def reservations_in(metadata: list[dict[str, Any]]) -> set[int]:
    found = set()
    for entry in metadata:
        value = str(entry.get("metadataValue", ""))
        number = value.removesuffix(RESERVED)
        if entry.get("metadataKey") == CLAIM_KEY and value != number and number.isdigit():
            found.add(int(number))
    return found


def claims_in(metadata: list[dict[str, Any]]) -> set[int]:
    found = set()
    for entry in metadata:
        if entry.get("metadataKey") == CLAIM_KEY and str(entry.get("metadataValue", "")).isdigit():
            found.add(int(entry["metadataValue"]))
    return found
