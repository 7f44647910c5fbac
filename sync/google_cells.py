"""Between the engine's cell values and the Sheets API's JSON: A1 names, values, locales."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from operator import itemgetter
from typing import Any

import msgspec

from sync.dates import EPOCH_1900, DateOrder
from sync.snapshot import CellValue
from sync.xlsx_cells import column_letters

# Locales whose people write the month first or the year first; every other one is day first.
_MDY = {"en_US", "en_PH", "es_US", "en_CA", "fil_PH"}
_YMD = {"ja_JP", "zh_CN", "zh_TW", "ko_KR", "hu_HU", "lt_LT", "sv_SE", "fr_CA", "mn_MN"}


def date_order(locale: str | None) -> DateOrder | None:
    if not locale:
        return None
    if locale in _MDY:
        return DateOrder.MDY
    if locale in _YMD:
        return DateOrder.YMD
    return DateOrder.DMY


def quote_tab(tab: str) -> str:
    """A sheet name as A1 notation wants it: in single quotes, quotes doubled."""
    return "'" + tab.replace("'", "''") + "'"


def row_range_parts(tab: str, width: int) -> tuple[str, str]:
    """The A1 range of one row as wide as the tab, without its row number (put between and
    after the two parts): computed once for thousands of rows of a tab."""
    return f"{quote_tab(tab)}!A", f":{column_letters(max(width, 1))}"


def from_api(value: Any) -> CellValue:
    """A value of an UNFORMATTED_VALUE answer; dates stay serial numbers for the planner."""
    if value == "" or value is None:
        return None
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def from_cell_data(cell: dict[str, Any]) -> CellValue:
    """The effective value of a CellData, as UNFORMATTED_VALUE would have given it."""
    effective = cell.get("effectiveValue")
    if not effective:
        return None
    for kind in ("stringValue", "numberValue", "boolValue"):
        if kind in effective:
            return from_api(effective[kind])
    return from_api(cell.get("formattedValue"))


def serial(moment: datetime | date) -> float:
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    return (moment.replace(tzinfo=None) - EPOCH_1900).total_seconds() / 86400


def cell_data(value: object) -> dict[str, Any]:
    """CellData that writes `value` literally: text is never parsed into a formula or number.

    A value of no type a cell holds (a Decimal) is written as its text: `object`, not
    CellValue, so that compiled by mypyc this still takes it rather than raise.
    """
    if type(value) is str:  # most cells, first: a write builds thousands of these
        return {"userEnteredValue": {"stringValue": value}} if value else {}
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, int | float):
        return {"userEnteredValue": {"numberValue": value}}
    if isinstance(value, datetime | date):
        whole_day = not isinstance(value, datetime) or value.time() == time()
        pattern = "yyyy-mm-dd" if whole_day else "yyyy-mm-dd hh:mm"
        return {
            "userEnteredValue": {"numberValue": serial(value)},
            "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": pattern}},
        }
    return {"userEnteredValue": {"stringValue": str(value)}}


VALUE_FIELDS = "userEnteredValue"
# A date needs its format written with it or it shows as a bare number.
DATED_FIELDS = "userEnteredValue,userEnteredFormat.numberFormat"


def fields_for(cells: list[dict[str, Any]]) -> str:
    for cell in cells:
        if "userEnteredFormat" in cell:
            return DATED_FIELDS
    return VALUE_FIELDS


def fields_of(cell: dict[str, Any]) -> str:
    """fields_for([cell]), for the one cell of most writes."""
    return DATED_FIELDS if "userEnteredFormat" in cell else VALUE_FIELDS


_ENCODE = msgspec.json.Encoder().encode
# The CellData cell_data makes for a value of each type, as the body's encoder writes it, with
# %b where the value's own JSON goes. A date's is made whole per value (see RowTemplate).
CELL_DATA_JSON: dict[type, bytes] = {
    str: b'{"userEnteredValue":{"stringValue":%b}}',
    int: b'{"userEnteredValue":{"numberValue":%b}}',
    float: b'{"userEnteredValue":{"numberValue":%b}}',
    bool: b'{"userEnteredValue":{"boolValue":%b}}',
}
# Text's CellData filled in with '', which cell_data writes as {} instead. In a RowData's JSON
# these bytes can only be an empty string's CellData: a quote inside an encoded string is
# always escaped.
_EMPTY_TEXT = b'{"userEnteredValue":{"stringValue":""}}'


@dataclass(frozen=True, slots=True)
class RowTemplate:
    """The RowData JSON of every row whose values have the same types in the same columns, with
    a %b where each value goes: a row is then one format of its values' JSON (each encoded by
    one C call), not a CellData dict or two per cell made, walked by the body's encoder and
    freed. The bytes are those of {"values": [cell_data(value) for each column]}, empty
    columns {}."""

    template: bytes
    pick: Callable[[list[bytes]], Any] | None  # the values' JSON in column order, if any
    dates: tuple[int, ...]  # positions among the values of dates, whose CellData is made whole

    def fill(self, values: Sequence[CellValue], date_json: Callable[[Any], bytes]) -> bytes:
        """The JSON of a row of `values`, in the order the template was made for. Raises what
        the encoder raises for a value it cannot write (a lone surrogate, a huge int)."""
        parts = list(map(_ENCODE, values))
        for position in self.dates:
            parts[position] = date_json(values[position])
        row = self.template if self.pick is None else self.template % self.pick(parts)
        # '' is the one value whose JSON is "": most rows have none, and a list of a dozen
        # short bytes is looked through sooner than the row's hundreds of bytes.
        if b'""' in parts:
            row = row.replace(_EMPTY_TEXT, b"{}")
        return row


def row_template(width: int, placed: Sequence[tuple[int | None, type]]) -> RowTemplate | None:
    """The template of rows `width` cells wide whose values go to these 0-based columns (None:
    left out) and have these types, in the values' order; None for a type cell_data writes
    otherwise than a template can (any but text, numbers, truth values, dates and None)."""
    pieces = [b"{}"] * width
    slots: dict[int, int] = {}  # column -> position of the value written there
    dates: list[int] = []
    for position, (column, kind) in enumerate(placed):
        if column is None:
            continue
        if kind is type(None):
            pieces[column] = b"{}"
            slots.pop(column, None)
            continue
        if kind is date or kind is datetime:
            pieces[column] = b"%b"
            dates.append(position)
        else:
            piece = CELL_DATA_JSON.get(kind)
            if piece is None:
                return None
            pieces[column] = piece
        slots[column] = position
    order = [slots[column] for column in sorted(slots)]
    return RowTemplate(
        template=b'{"values":[' + b",".join(pieces) + b"]}",
        pick=itemgetter(*order) if order else None,
        dates=tuple(position for position in dates if position in slots.values()),
    )
