"""Run code written for xlwings on a real .xlsx/.xlsm file, with no Excel anywhere.

Code behind an Excel button gets the live workbook from `xw.Book.caller()`. xlwings' remote
engine (the one behind xlwings Server and its Office Scripts client) builds the same kind of Book
from JSON describing a workbook, lets the code read and write it, and hands back the list of
actions Excel would then apply. This module plays Excel's two parts with openpyxl: it describes a
file as the client would (`book_payload`) and applies the returned actions to the file
(`apply_actions`), so a test can open the file afterwards and see what a person would see.

Where the harness cannot know what Excel would do, it raises instead of guessing: an action it
does not apply, text that Excel would turn into something else, a formula whose result the file
does not hold. A test then fails loudly instead of passing on a write that never landed.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

import openpyxl
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.table import Table
from openpyxl.worksheet.worksheet import Worksheet

# xlwings registers its remote engine (PRO code) at import time, and only when it finds a key.
# Set here, at import of this module, so xlwings imported later in the session gets it too.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

Action = dict[str, Any]
Uncached = Literal["raise", "empty"]

# Book.__init__ accepts any client whose version is xlwings' own. "Office.js" would skip that
# check, but it also switches on what only the Office.js add-in sends (gridlines, pivot tables,
# async reads); the Office Scripts client sends what a file can tell: values, names, tables.
CLIENT = "Microsoft Office Scripts"

# What Excel does beyond the file: shown to the person or run in Excel, never saved.
NOT_APPLIED = frozenset(
    {"alert", "runMacro", "calculate", "setScreenUpdating", "rangeSelect", "save"}
)

# A format over more cells than this is a whole row or column, which openpyxl can only fake
# cell by cell (and the cells typed there later would not get it).
MAX_FORMATTED_CELLS = 100_000

# Excel's time-only values are days after this one; the Office Scripts client sends them so.
EXCEL_DAY_ZERO = datetime(1899, 12, 30)

MACRO_SUFFIXES = frozenset({".xlsm", ".xltm", ".xlam"})


class UnsupportedActionError(NotImplementedError):
    """The engine asked for something this harness does not apply to files."""


class AmbiguousTextError(ValueError):
    """Text that Excel would read as a formula, number or date in ways not modelled here."""


class UncachedFormulaError(ValueError):
    """A formula cell whose result the file does not hold, so Excel's value is unknown."""


@dataclass(frozen=True)
class RemoteRun:
    actions: list[Action]  # everything the engine asked Excel to do, in order
    alerts: list[Action]  # the `alert` actions: what the person was shown
    unapplied: list[Action]  # alerts and the other actions that do not change the file

    @property
    def messages(self) -> list[str]:
        return [str(alert["args"][0]) for alert in self.alerts]


# ---- the workbook as the client describes it ----------------------------------------------


def _xlwings() -> Any:
    import xlwings as xw

    if not xw.__pro__:
        raise RuntimeError(
            "xlwings was imported before XLWINGS_LICENSE_KEY was set, so its remote engine is "
            "not registered: import xlwings_remote before xlwings, or set "
            "XLWINGS_LICENSE_KEY=noncommercial for the test run"
        )
    return xw


def book_payload(
    path: Path,
    *,
    active_sheet: str | None = None,
    selection: str | None = None,
    uncached_formulas: Uncached = "raise",
) -> dict[str, Any]:
    """The JSON the remote engine would get from Excel with `path` open.

    `active_sheet` (default: the one saved as active) is the tab the person is on and
    `selection` the cells selected there (default "A1"). A formula cell reads as its result as
    saved in the file; files saved by openpyxl hold none (openpyxl writes formulas without
    results, apply_actions included), which raises unless `uncached_formulas="empty"`.
    """
    formulas = openpyxl.load_workbook(path)
    results = openpyxl.load_workbook(path, data_only=True)
    return {
        "client": CLIENT,
        "version": _xlwings().__version__,
        "book": {
            "name": path.name,
            "active_sheet_index": _active_index(formulas, active_sheet),
            "selection": selection or "A1",
        },
        "names": _names(formulas),
        "sheets": [
            _sheet_payload(sheet, results[sheet.title], uncached_formulas)
            for sheet in formulas.worksheets
        ],
    }


def _active_index(workbook: Workbook, name: str | None) -> int:
    titles = [sheet.title for sheet in workbook.worksheets]
    if name is None:
        active = workbook.active
        # A chart sheet can be the active one; the client only counts worksheets.
        return titles.index(active.title) if active is not None and active.title in titles else 0
    if name not in titles:
        raise ValueError(f"no sheet named {name!r}; the workbook has {titles}")
    return titles.index(name)


def _sheet_payload(sheet: Worksheet, results: Worksheet, uncached: Uncached) -> dict[str, Any]:
    # Before the values: reading the A1 rectangle makes openpyxl create its cells, A1 included.
    used_range = _used_range(sheet)
    return {
        "name": sheet.title,
        "values": _values(sheet, results, uncached),
        # Not sent by the Office Scripts client (the engine then reports A1:last cell); sent
        # here so `used_range` is the one desktop Excel reports, which is what the code meets.
        "used_range_address": used_range,
        "visibility": {"hidden": "Hidden", "veryHidden": "VeryHidden"}.get(
            sheet.sheet_state, "Visible"
        ),
        "pictures": [],  # openpyxl does not tell pictures' names and sizes
        "tables": [_table_payload(table) for table in sheet.tables.values()],
    }


def _is_empty(sheet: Worksheet) -> bool:
    return sheet.max_row == 1 and sheet.max_column == 1 and sheet.cell(1, 1).value is None


def _values(sheet: Worksheet, results: Worksheet, uncached: Uncached) -> list[list[Any]]:
    # Like the client: a rectangle from A1 to the used range's last cell, "" where empty.
    if _is_empty(sheet):
        return [[""]]
    rows = sheet.iter_rows(min_row=1, min_col=1, max_row=sheet.max_row, max_col=sheet.max_column)
    return [[_cell_payload(cell, results, uncached) for cell in row] for row in rows]


def _cell_payload(cell: Cell | MergedCell, results: Worksheet, uncached: Uncached) -> Any:
    if cell.data_type != "f":
        return _json_value(cell.value)
    result = results[cell.coordinate].value
    if result is None and uncached == "raise":
        raise UncachedFormulaError(
            f"{results.title}!{cell.coordinate} holds {cell.value!r} but no saved result (the "
            "file was last saved by openpyxl?): Excel would show its result, this harness "
            "cannot compute it; pass uncached_formulas='empty' to read it as empty"
        )
    return _json_value(result)


def _json_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return _iso(datetime.combine(value, time()))
    if isinstance(value, time):
        return _iso(datetime.combine(EXCEL_DAY_ZERO, value))
    if isinstance(value, timedelta):
        return _iso(EXCEL_DAY_ZERO + value)
    raise TypeError(f"no JSON form for a cell holding {type(value).__name__}: {value!r}")


def _iso(moment: datetime) -> str:
    # JavaScript's Date.toISOString(), which the client sends and the engine's
    # datetime_regex turns back into a datetime.
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _address(min_col: int, min_row: int, max_col: int, max_row: int) -> str:
    first = f"{get_column_letter(min_col)}{min_row}"
    if (min_col, min_row) == (max_col, max_row):
        return first
    return f"{first}:{get_column_letter(max_col)}{max_row}"


def _used_range(sheet: Worksheet) -> str | None:
    if _is_empty(sheet):
        return None  # the engine then reports A1, as Excel does for an empty sheet
    return _address(sheet.min_column, sheet.min_row, sheet.max_column, sheet.max_row)


def _table_payload(table: Table) -> dict[str, Any]:
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    headers = table.headerRowCount or 0
    totals = table.totalsRowCount or 0
    style = table.tableStyleInfo.name if table.tableStyleInfo is not None else None
    return {
        "name": table.displayName,
        "range_address": _address(min_col, min_row, max_col, max_row),
        "header_row_range_address": (
            _address(min_col, min_row, max_col, min_row) if headers else None
        ),
        "data_body_range_address": _address(min_col, min_row + headers, max_col, max_row - totals),
        "total_row_range_address": (
            _address(min_col, max_row, max_col, max_row) if totals else None
        ),
        "show_headers": bool(headers),
        "show_totals": bool(totals),
        "table_style": style,
        "show_autofilter": table.autoFilter is not None,
    }


def _names(workbook: Workbook) -> list[dict[str, Any]]:
    titles = [sheet.title for sheet in workbook.worksheets]
    entries = [
        _name_entry(name, titles, None)
        for name in workbook.defined_names.values()
        if not name.hidden
    ]
    for index, sheet in enumerate(workbook.worksheets):
        entries += [
            _name_entry(name, titles, index)
            for name in sheet.defined_names.values()
            if not name.hidden
        ]
    return entries


def _name_entry(name: DefinedName, titles: list[str], scope: int | None) -> dict[str, Any]:
    sheet_index, address = _single_range(name, titles)
    return {
        "name": name.name,
        "refers_to": f"={name.attr_text}",
        "sheet_index": sheet_index,
        "address": address,
        "scope_sheet_name": titles[scope] if scope is not None else None,
        "scope_sheet_index": scope,
        "book_scope": scope is None,
    }


def _single_range(name: DefinedName, titles: list[str]) -> tuple[int | None, str | None]:
    # Only a name for one block of cells has coordinates; the engine resolves those itself.
    if name.type != "RANGE":
        return None, None
    destinations = list(name.destinations)
    if len(destinations) != 1 or destinations[0][0] not in titles:
        return None, None
    title, cells = destinations[0]
    return titles.index(title), cells.replace("$", "")


# ---- Excel applying the actions -------------------------------------------------------------


def apply_actions(path: Path, actions: list[Action]) -> list[Action]:
    """Apply the engine's actions to the file as Excel would; return those that are not file
    changes (alerts, macros, selection, ...) in order. Nothing is saved if one cannot be applied,
    and the file is not touched when none changes it.
    """
    unapplied = [action for action in actions if action["func"] in NOT_APPLIED]
    if len(unapplied) == len(actions):
        # Saving through openpyxl would drop every formula's saved result; Excel changes nothing.
        return unapplied
    workbook = openpyxl.load_workbook(path, keep_vba=path.suffix.lower() in MACRO_SUFFIXES)
    for action in actions:
        func = action["func"]
        if func in NOT_APPLIED:
            continue
        handler = _HANDLERS.get(func)
        if handler is None:
            raise UnsupportedActionError(
                f"xlwings_remote cannot apply the {func!r} action to a file "
                f"(it applies {sorted(_HANDLERS)}; returns {sorted(NOT_APPLIED)}): {action}"
            )
        handler(workbook, action)
    workbook.save(path)
    if workbook.vba_archive is not None:
        # Closed now, while its buffer is open; left to the garbage collector it warns.
        workbook.vba_archive.close()
    return unapplied


def _sheet(workbook: Workbook, action: Action) -> Worksheet:
    return workbook.worksheets[action["sheet_position"]]


def _cells(workbook: Workbook, action: Action) -> Iterator[Cell | MergedCell]:
    """Every cell of the action's range."""
    if action["row_count"] * action["column_count"] > MAX_FORMATTED_CELLS:
        raise UnsupportedActionError(
            f"{action['func']} over {action['row_count']} x {action['column_count']} cells: "
            "whole rows or columns are not applied by this harness"
        )
    rows = _sheet(workbook, action).iter_rows(
        min_row=action["start_row"] + 1,
        max_row=action["start_row"] + action["row_count"],
        min_col=action["start_column"] + 1,
        max_col=action["start_column"] + action["column_count"],
    )
    for row in rows:
        yield from row


def _set_values(workbook: Workbook, action: Action) -> None:
    values = action["values"]
    shape = (len(values), {len(row) for row in values})
    if shape != (action["row_count"], {action["column_count"]}):
        # Office.js refuses values whose shape is not the range's.
        raise ValueError(f"{action['func']} values do not fill their range: {action}")
    sheet = _sheet(workbook, action)
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            cell = sheet.cell(action["start_row"] + 1 + r, action["start_column"] + 1 + c)
            _write(cell, value)


def _set_formula(workbook: Workbook, action: Action) -> None:
    if not isinstance(action["values"], list):
        # One formula for several cells: Excel shifts its relative references cell by cell.
        raise UnsupportedActionError(f"one formula filled over a range: {action}")
    _set_values(workbook, action)


def _write(cell: Cell, value: Any) -> None:
    if isinstance(value, str):
        _write_text(cell, value)
        return
    _set_quote_prefix(cell, False)
    cell.value = value


def _write_text(cell: Cell, text: str) -> None:
    if text.startswith("'"):
        # Excel keeps the rest as text, whatever it looks like, and marks the cell so.
        cell.value = text[1:] or None
        cell.data_type = "s"  # openpyxl would make "=..." a formula and "#N/A" an error
        _set_quote_prefix(cell, True)
        return
    _set_quote_prefix(cell, False)
    if cell.number_format == "@":
        cell.value = text or None  # a cell formatted as Text takes what is typed as it is
        cell.data_type = "s"
        return
    cell.value = typed_input(text)


def _set_quote_prefix(cell: Cell, on: bool) -> None:
    # Only when it changes: each assignment gives the cell a new style entry.
    if bool(cell.quotePrefix) != on:
        cell.quotePrefix = on


NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
# Text Excel reads as a number, date, time, percent, fraction or currency in ways not modelled.
NUMBER_LIKE = re.compile(r"[\d\s$€£¥%.,:/()+-]*\d[\d\s$€£¥%.,:/()+-]*(?:\s*[aApP][mM]?)?")
MONTH_DATE = re.compile(
    r"(?i)(?=.*\d)\s*(?:\d{1,2}[\s/.-]+)?"
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
    r"(?:[\s/,.-]+\d{1,4}){0,2}\s*"
)
# Excel keeps 15 significant digits of a number typed in; a longer one would not survive.
EXCEL_DIGITS = 15


def typed_input(text: str) -> Any:
    """What Excel stores when `text` arrives in a General cell without an apostrophe.

    Excel reads it as if typed: "=..." a formula, "42" a number, "TRUE" a boolean, the ISO
    dates xlwings sends for dates a date, "#N/A" an error (openpyxl does that one). Anything
    else that Excel could read as a formula, number or date raises AmbiguousTextError.
    """
    if text == "":
        return None  # Excel clears the cell
    if text.startswith("="):
        if text == "=":
            raise AmbiguousTextError("'=' alone: Excel refuses it as a formula")
        return text  # openpyxl stores a string starting with "=" as a formula
    if NUMBER.fullmatch(text):
        return _number(text)
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    moment = _iso_moment(text)
    if moment is not None:
        return moment
    if text[0] in "+-@" or NUMBER_LIKE.fullmatch(text) or MONTH_DATE.fullmatch(text):
        raise AmbiguousTextError(
            f"Excel would read {text!r} as a formula, number or date; write it with a leading "
            "apostrophe to keep it text, or write the typed value"
        )
    return text


def _number(text: str) -> int | float:
    if len(re.sub(r"\D", "", text.split("e")[0].split("E")[0]).lstrip("0")) > EXCEL_DIGITS:
        raise AmbiguousTextError(f"{text!r} has more digits than an Excel number keeps")
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    return float(text)


def _iso_moment(text: str) -> date | datetime | None:
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
        if ISO_DATETIME.fullmatch(text):
            return datetime.fromisoformat(text)
    except ValueError:
        return None  # not a real day: NUMBER_LIKE calls it ambiguous
    return None


def _clear_contents(workbook: Workbook, action: Action) -> None:
    for cell in _cells(workbook, action):
        if not isinstance(cell, MergedCell):
            cell.value = None


def _clear_formats(workbook: Workbook, action: Action) -> None:
    for cell in _cells(workbook, action):
        if not isinstance(cell, MergedCell):
            cell.style = "Normal"


def _clear(workbook: Workbook, action: Action) -> None:
    _clear_contents(workbook, action)
    _clear_formats(workbook, action)


def _argb(color: str | None) -> str | None:
    # The engine sends "#rrggbb"; openpyxl wants "AARRGGBB".
    return None if color is None else "FF" + color.lstrip("#").upper()


FONT_ATTRIBUTES = {"bold": "b", "italic": "i", "size": "sz", "name": "name", "color": "color"}


def _set_font_property(workbook: Workbook, action: Action) -> None:
    attribute, value = action["args"]
    if attribute not in FONT_ATTRIBUTES:
        raise UnsupportedActionError(f"font attribute {attribute!r}: {action}")
    if attribute == "color":
        value = _argb(value)
    for cell in _cells(workbook, action):
        font = copy(cell.font)  # openpyxl shares style objects between cells
        setattr(font, FONT_ATTRIBUTES[attribute], value)
        cell.font = font


def _set_number_format(workbook: Workbook, action: Action) -> None:
    for cell in _cells(workbook, action):
        cell.number_format = action["args"][0]


def _set_range_color(workbook: Workbook, action: Action) -> None:
    color = _argb(action["args"][0])
    for cell in _cells(workbook, action):
        cell.fill = PatternFill("solid", fgColor=color) if color else PatternFill(fill_type=None)


HORIZONTAL = {
    "General": "general",
    "Left": "left",
    "Center": "center",
    "Right": "right",
    "Fill": "fill",
    "Justify": "justify",
    "CenterAcrossSelection": "centerContinuous",
    "Distributed": "distributed",
}
VERTICAL = {
    "Top": "top",
    "Center": "center",
    "Bottom": "bottom",
    "Justify": "justify",
    "Distributed": "distributed",
}


def _align(workbook: Workbook, action: Action, **change: Any) -> None:
    for cell in _cells(workbook, action):
        alignment = copy(cell.alignment)
        for key, value in change.items():
            setattr(alignment, key, value)
        cell.alignment = alignment


def _set_wrap_text(workbook: Workbook, action: Action) -> None:
    _align(workbook, action, wrap_text=bool(action["args"][0]))


def _set_horizontal(workbook: Workbook, action: Action) -> None:
    _align(workbook, action, horizontal=HORIZONTAL[action["args"][0]])


def _set_vertical(workbook: Workbook, action: Action) -> None:
    _align(workbook, action, vertical=VERTICAL[action["args"][0]])


def _refuse_taken_name(workbook: Workbook, name: str) -> None:
    # Excel refuses a second sheet of the same name; openpyxl would quietly rename it.
    if name.casefold() in (title.casefold() for title in workbook.sheetnames):
        raise ValueError(f"the workbook already has a sheet named {name!r}")


def _add_sheet(workbook: Workbook, action: Action) -> None:
    index, name = action["args"]
    if name is not None:
        _refuse_taken_name(workbook, name)
    workbook.create_sheet(title=name, index=index)


def _mentions(workbook: Workbook, title: str) -> list[str]:
    """Formulas and names that refer to sheet `title`, which Excel rewrites on a rename."""
    quoted = "'" + title.replace("'", "''") + "'"
    reference = re.compile(rf"(?<![\w.']){re.escape(title)}!|{re.escape(quoted)}!", re.IGNORECASE)
    found = [(f"name {name.name}", name.attr_text) for name in workbook.defined_names.values()]
    for sheet in workbook.worksheets:
        found += [(f"name {name.name}", name.attr_text) for name in sheet.defined_names.values()]
        found += [
            (f"{sheet.title}!{cell.coordinate}", str(getattr(cell.value, "text", cell.value)))
            for row in sheet.iter_rows()
            for cell in row
            if cell.data_type == "f"
        ]
    return [f"{where}: {text}" for where, text in found if reference.search(text or "")]


def _set_sheet_name(workbook: Workbook, action: Action) -> None:
    sheet = _sheet(workbook, action)
    name = action["args"][0]
    if name.casefold() != sheet.title.casefold():
        _refuse_taken_name(workbook, name)
    mentions = _mentions(workbook, sheet.title)
    if mentions:
        raise UnsupportedActionError(
            f"renaming {sheet.title!r}: Excel would rewrite these references, this harness "
            f"does not: {mentions}"
        )
    sheet.title = name


def _activate_sheet(workbook: Workbook, action: Action) -> None:
    index = action["args"][0]
    for position, sheet in enumerate(workbook.worksheets):
        # Left selected, two tabs would open grouped and typing would go to both.
        sheet.sheet_view.tabSelected = position == index
    workbook.active = workbook.worksheets[index]


_HANDLERS: dict[str, Callable[[Workbook, Action], None]] = {
    "setValues": _set_values,
    "setFormula": _set_formula,
    "rangeClearContents": _clear_contents,
    "rangeClearFormats": _clear_formats,
    "rangeClear": _clear,
    "setFontProperty": _set_font_property,
    "setNumberFormat": _set_number_format,
    "setRangeColor": _set_range_color,
    "setWrapText": _set_wrap_text,
    "setHorizontalAlignment": _set_horizontal,
    "setVerticalAlignment": _set_vertical,
    "addSheet": _add_sheet,
    "setSheetName": _set_sheet_name,
    "activateSheet": _activate_sheet,
}


# ---- both together ---------------------------------------------------------------------------


def _over_the_wire(data: Any) -> Any:
    # What crosses HTTP between Excel and the server is JSON: tuples become lists, and a value
    # JSON cannot carry (NaN, a Decimal) fails here as it would there.
    return json.loads(json.dumps(data, allow_nan=False))


def run_in_book(
    path: Path,
    entry: Callable[[Any], object],
    *,
    active_sheet: str | None = None,
    selection: str | None = None,
    uncached_formulas: Uncached = "raise",
) -> RemoteRun:
    """Open `path` as Excel would hand it to xlwings, run `entry(book)`, apply what it did.

    If `entry` raises, the error propagates and the file is left as it was.
    """
    xw = _xlwings()
    payload = book_payload(
        path, active_sheet=active_sheet, selection=selection, uncached_formulas=uncached_formulas
    )
    book = xw.Book(json=_over_the_wire(payload))
    try:
        entry(book)
        actions: list[Action] = _over_the_wire(book.json())["actions"]
    finally:
        book.close()  # the engine keeps every book it opened until closed
    unapplied = apply_actions(path, actions)
    alerts = [action for action in unapplied if action["func"] == "alert"]
    return RemoteRun(actions=actions, alerts=alerts, unapplied=unapplied)


def count_actions_per_sheet(actions: list[Action]) -> dict[int, int]:
    """How many actions address each sheet (by position); book-wide ones such as alerts and
    new sheets are not counted."""
    counts = Counter(
        action["sheet_position"] for action in actions if action["sheet_position"] is not None
    )
    return dict(counts)
