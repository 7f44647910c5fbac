"""Between the engine's cell values and the Sheets API's JSON: A1 names, values, locales."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

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


def cell_data(value: CellValue) -> dict[str, Any]:
    """CellData that writes `value` literally: text is never parsed into a formula or number."""
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
