"""batchUpdate requests that change cells: updateCells, appendCells, repeatCell,
setDataValidation, sortRange and findReplace."""

from __future__ import annotations

import copy
import re
from typing import Any

from . import fields, typed
from .a1 import Bounds
from .errors import ApiError, bad_request
from .formula import FormulaError
from .model import Cell, Json, Sheet, Spreadsheet, cells_in
from .render import normalise_format
from .writes import grid_error

_CELL_FIELDS = ("userEnteredValue", "userEnteredFormat", "dataValidation", "note")
_TWINS = {
    "backgroundColor": "backgroundColorStyle",
    "foregroundColor": "foregroundColorStyle",
    "color": "colorStyle",
}
_TWINS |= {v: k for k, v in _TWINS.items()}


def sheet_of(book: Spreadsheet, sheet_id: Any) -> Sheet:
    sheet = book.by_id(int(sheet_id or 0))
    if sheet is None:
        raise bad_request(f"No grid with id: {int(sheet_id or 0)}")
    return sheet


def grid_range(book: Spreadsheet, rng: Json) -> tuple[Sheet, Bounds]:
    """A GridRange: missing starts are 0, missing ends run to the grid's edge."""
    sheet = sheet_of(book, rng.get("sheetId"))
    bounds = Bounds(
        int(rng.get("startRowIndex", 0)),
        int(rng["endRowIndex"]) if "endRowIndex" in rng else None,
        int(rng.get("startColumnIndex", 0)),
        int(rng["endColumnIndex"]) if "endColumnIndex" in rng else None,
    )
    return sheet, bounds


def inside(sheet: Sheet, bounds: Bounds) -> Bounds:
    """A range must start inside the grid; past its edge it is cut off, not grown."""
    if bounds.start_row >= sheet.row_count or bounds.start_col >= sheet.col_count:
        raise grid_error(sheet, bounds)
    end_row = min(
        sheet.row_count, bounds.end_row if bounds.end_row is not None else sheet.row_count
    )
    end_col = min(
        sheet.col_count, bounds.end_col if bounds.end_col is not None else sheet.col_count
    )
    return Bounds(bounds.start_row, end_row, bounds.start_col, end_col)


def _mask(text: Any) -> fields.Mask:
    if not text:
        raise bad_request("At least one field must be specified in 'fields'.")
    try:
        mask = fields.parse(str(text))
    except fields.MaskError:
        raise bad_request(f"Invalid field mask: {text}") from None
    return _with_twins(mask)


def _with_twins(mask: fields.Mask) -> fields.Mask:
    """A colour and its *Style twin are one setting; masking one masks both."""
    out: fields.Mask = {}
    for key, sub in mask.items():
        child = None if sub is None else _with_twins(sub)
        out[key] = child
        if key in _TWINS:
            out[_TWINS[key]] = copy.deepcopy(child)
    return out


def apply_cell(sheet: Sheet, row: int, col: int, source: Json, mask: fields.Mask) -> None:
    """Set the masked fields of one cell from a CellData."""
    cell = sheet.cell(row, col) or Cell()
    current: Json = {}
    for key, value in zip(
        _CELL_FIELDS, (cell.value, cell.format, cell.validation, cell.note), strict=True
    ):
        if value:
            current[key] = copy.deepcopy(value)
    chosen = mask if "*" not in mask else dict.fromkeys(_CELL_FIELDS)
    fields.apply(current, source, {k: v for k, v in chosen.items() if k in _CELL_FIELDS})
    cell.value = current.get("userEnteredValue") or None
    fmt = current.get("userEnteredFormat")
    cell.format = normalise_format(fmt) or None if isinstance(fmt, dict) else None
    cell.validation = _rule(current.get("dataValidation"))
    cell.note = current.get("note") or None
    sheet.set(row, col, cell)


def _rule(rule: Any) -> Json | None:
    """Google leaves unset and false fields out of a stored rule (showCustomUi: false)."""
    if not isinstance(rule, dict) or not rule:
        return None
    return {k: v for k, v in rule.items() if v is not False and v is not None}


def _cells_of(rows: list[Json]) -> list[list[Json]]:
    return [list(row.get("values") or []) for row in rows]


def update_cells(book: Spreadsheet, request: Json) -> Json:
    mask = _mask(request.get("fields"))
    data = _cells_of(request.get("rows") or [])
    if "range" in request:
        sheet, asked = grid_range(book, request["range"])
        area = inside(sheet, asked)
    else:
        start = request.get("start") or {}
        sheet = sheet_of(book, start.get("sheetId"))
        r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
        width = max((len(r) for r in data), default=0)
        area = Bounds(r0, r0 + len(data), c0, c0 + width)
        beyond = r0 + len(data) > sheet.row_count or c0 + width > sheet.col_count
        if r0 >= sheet.row_count or c0 >= sheet.col_count or beyond:
            raise grid_error(sheet, area)
    for r, c in cells_in(area):
        i, j = r - area.start_row, c - area.start_col
        source = data[i][j] if i < len(data) and j < len(data[i]) else {}
        apply_cell(sheet, r, c, source or {}, mask)
    return {}


def append_cells(book: Spreadsheet, request: Json) -> Json:
    """Rows go after the last row holding a value; the grid grows to take them."""
    sheet = sheet_of(book, request.get("sheetId"))
    mask = _mask(request.get("fields"))
    data = _cells_of(request.get("rows") or [])
    start = sheet.last_row_with_values() + 1
    width = max((len(r) for r in data), default=0)
    sheet.grid["rowCount"] = max(sheet.row_count, start + len(data))
    sheet.grid["columnCount"] = max(sheet.col_count, width)
    for i, line in enumerate(data):
        for j, source in enumerate(line):
            apply_cell(sheet, start + i, j, source or {}, mask)
    return {}


def repeat_cell(book: Spreadsheet, request: Json) -> Json:
    sheet, asked = grid_range(book, request.get("range") or {})
    mask = _mask(request.get("fields"))
    for r, c in cells_in(inside(sheet, asked)):
        apply_cell(sheet, r, c, request.get("cell") or {}, mask)
    return {}


def set_data_validation(book: Spreadsheet, request: Json) -> Json:
    sheet, asked = grid_range(book, request.get("range") or {})
    rule = _rule(request.get("rule"))
    for r, c in cells_in(inside(sheet, asked)):
        cell = sheet.cell(r, c) or Cell()
        cell.validation = copy.deepcopy(rule)
        sheet.set(r, c, cell)
    return {}


def sort_range(book: Spreadsheet, request: Json) -> Json:
    """Sort the rows of a range by its cells; only the range's own columns move."""
    sheet, asked = grid_range(book, request.get("range") or {})
    area = inside(sheet, asked)
    assert area.end_row is not None and area.end_col is not None
    order = list(range(area.start_row, area.end_row))
    for spec in reversed(request.get("sortSpecs") or []):
        col = int(spec.get("dimensionIndex", 0))
        keys = {r: book.effective(sheet, r, col) for r in order}
        filled = sorted((r for r in order if keys[r] is not None), key=lambda r: _sort_key(keys[r]))
        blank = [r for r in order if keys[r] is None]
        if spec.get("sortOrder") == "DESCENDING":
            filled = _stable_reverse(filled, {r: _sort_key(keys[r]) for r in filled})
        order = filled + blank  # empty cells go last either way
    moved = {r: [sheet.cell(r, c) for c in range(area.start_col, area.end_col)] for r in order}
    for target, source in zip(range(area.start_row, area.end_row), order, strict=True):
        for offset, cell in enumerate(moved[source]):
            sheet.set(target, area.start_col + offset, None)
            if cell is not None:
                sheet.set(target, area.start_col + offset, cell)
    return {}


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, float(value))
    if isinstance(value, FormulaError):
        return (3, value.shown)
    return (1, str(value).casefold())


def _stable_reverse(rows: list[int], key: dict[int, tuple[int, Any]]) -> list[int]:
    """Descending order that keeps equal rows in their current order."""
    groups: dict[Any, list[int]] = {}
    for r in rows:
        groups.setdefault(key[r], []).append(r)
    return [r for k in sorted(groups, reverse=True) for r in groups[k]]


def find_replace(book: Spreadsheet, request: Json) -> Json:
    find = request.get("find")
    if not find:
        raise bad_request("Find must not be empty.")
    scope = _scope(book, request)
    flags = 0 if request.get("matchCase") else re.IGNORECASE
    try:
        pattern = re.compile(find if request.get("searchByRegex") else re.escape(find), flags)
    except re.error as error:
        raise bad_request(f"Invalid regular expression: {find} ({error})") from None
    replacement = str(request.get("replacement") or "")
    regex = bool(request.get("searchByRegex"))
    counts = {"valuesChanged": 0, "formulasChanged": 0, "occurrencesChanged": 0}
    rows, sheets = set(), set()
    for sheet, area in scope:
        for r, c in cells_in(area):
            cell = sheet.cell(r, c)
            if cell is None or not cell.value:
                continue
            is_formula = "formulaValue" in cell.value
            if is_formula and not request.get("includeFormulas"):
                continue
            before = _searchable(cell.value)
            after, found = _replace(
                pattern, before, replacement, regex, bool(request.get("matchEntireCell"))
            )
            if not found:
                continue
            counts["occurrencesChanged"] += found
            counts["formulasChanged" if is_formula else "valuesChanged"] += 1
            rows.add((sheet.sheet_id, r))
            sheets.add(sheet.sheet_id)
            cell.value = _stored_after(cell.value, after, str(book.properties.get("locale", "")))
            sheet.set(r, c, cell)
    answer = counts | {"rowsChanged": len(rows), "sheetsChanged": len(sheets)}
    order = [
        "valuesChanged",
        "formulasChanged",
        "rowsChanged",
        "sheetsChanged",
        "occurrencesChanged",
    ]
    return {"findReplace": {k: answer[k] for k in order if answer[k]}}


def _scope(book: Spreadsheet, request: Json) -> list[tuple[Sheet, Bounds]]:
    if request.get("allSheets"):
        return [(s, Bounds(0, s.row_count, 0, s.col_count)) for s in book.sheets]
    if "range" in request:
        sheet, asked = grid_range(book, request["range"])
        return [(sheet, inside(sheet, asked))]
    if "sheetId" in request:
        sheet = sheet_of(book, request["sheetId"])
        return [(sheet, Bounds(0, sheet.row_count, 0, sheet.col_count))]
    raise bad_request("One of range, sheetId or allSheets must be set.")


def _searchable(value: Json) -> str:
    kind, content = next(iter(value.items()))
    if kind == "boolValue":
        return "TRUE" if content else "FALSE"
    if kind == "numberValue":
        return str(int(content)) if float(content).is_integer() else str(content)
    return str(content)


def _replace(
    pattern: re.Pattern[str], text: str, replacement: str, regex: bool, whole: bool
) -> tuple[str, int]:
    def expand(match: re.Match[str]) -> str:
        return _java_expand(replacement, match) if regex else replacement

    if whole:
        match = pattern.fullmatch(text)
        return (expand(match), 1) if match else (text, 0)
    return pattern.subn(expand, text)


def _java_expand(template: str, match: re.Match[str]) -> str:
    """Java's replacement syntax, which the API documents: $1 is a group, \\$ a dollar."""
    out, i = [], 0
    while i < len(template):
        char = template[i]
        if char == "\\" and i + 1 < len(template):
            out.append(template[i + 1])
            i += 2
        elif char == "$" and i + 1 < len(template) and template[i + 1].isdigit():
            j = i + 1
            while j < len(template) and template[j].isdigit():
                j += 1
            try:
                out.append(match.group(int(template[i + 1 : j])) or "")
            except IndexError:
                raise ApiError(400, f"Invalid replacement: {template}") from None
            i = j
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _stored_after(old: Json, text: str, locale: str) -> Json | None:
    """A replaced formula stays a formula; text stays text; a number or boolean is re-read."""
    if "formulaValue" in old:
        return (
            {"formulaValue": text} if text.startswith("=") else typed.user_entered(text, locale)[0]
        )
    if "stringValue" in old:
        return {"stringValue": text} if text else None
    return typed.user_entered(text, locale)[0]
