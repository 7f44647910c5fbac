"""How a cell is shown: values answers (ValueRenderOption, DateTimeRenderOption) and CellData."""

from __future__ import annotations

import copy
from typing import Any

from . import numfmt
from .formula import FormulaError
from .model import Cell, Json, Sheet, Spreadsheet

# Colour fields Google mirrors into a *Style twin ({"rgbColor": ...}) whenever one is set.
_COLOUR_TWINS = [("backgroundColor", "backgroundColorStyle")]
_TEXT_TWINS = [("foregroundColor", "foregroundColorStyle")]


def plain_number(number: float) -> int | float:
    """Whole numbers are answered as JSON integers (2, not 2.0), as the recordings show."""
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def number_format(cell: Cell | None) -> Json | None:
    if cell is None or not cell.format:
        return None
    found = cell.format.get("numberFormat")
    return found if isinstance(found, dict) else None


def formatted(value: Any, cell: Cell | None) -> str:
    """FORMATTED_VALUE: the text the cell shows."""
    if value is None:
        return ""
    if isinstance(value, FormulaError):
        return value.shown
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return numfmt.render(float(value), number_format(cell))
    return str(value)


def for_values(
    book: Spreadsheet, sheet: Sheet, row: int, col: int, render: str, date_render: str
) -> Any:
    """One cell of a values answer; "" for an empty cell (trimmed later)."""
    cell = sheet.cell(row, col)
    if render == "FORMULA" and cell is not None and cell.value and "formulaValue" in cell.value:
        return cell.value["formulaValue"]
    value = book.effective(sheet, row, col)
    if render == "FORMATTED_VALUE":
        return formatted(value, cell)
    if value is None:
        return ""
    if isinstance(value, FormulaError):
        return value.shown
    if isinstance(value, bool | str):
        return value
    kind = (number_format(cell) or {}).get("type")
    if date_render == "FORMATTED_STRING" and kind in numfmt.DATE_TYPES:
        return formatted(value, cell)
    return plain_number(value)


def effective_value(value: Any) -> Json | None:
    if value is None:
        return None
    if isinstance(value, FormulaError):
        return {"errorValue": {"type": value.type, "message": value.message}}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": plain_number(value)}
    return {"stringValue": value}


def cell_data(book: Spreadsheet, sheet: Sheet, row: int, col: int) -> Json:
    """CellData as spreadsheets.get answers it with grid data."""
    cell = sheet.cell(row, col)
    if cell is None:
        return {}
    data: Json = {}
    if cell.value:
        value = book.effective(sheet, row, col)
        stored = dict(cell.value)
        if "numberValue" in stored:
            stored["numberValue"] = plain_number(stored["numberValue"])
        data["userEnteredValue"] = stored
        shown = effective_value(value)
        if shown is not None:
            data["effectiveValue"] = shown
            data["formattedValue"] = formatted(value, cell)
    if cell.format:
        data["userEnteredFormat"] = copy.deepcopy(cell.format)
    if cell.value or cell.format:
        data["effectiveFormat"] = effective_format(book, cell)
    if cell.note:
        data["note"] = cell.note
    if cell.validation:
        data["dataValidation"] = copy.deepcopy(cell.validation)
    return data


def effective_format(book: Spreadsheet, cell: Cell) -> Json:
    merged: Json = copy.deepcopy(book.properties.get("defaultFormat", {}))
    _merge(merged, cell.format or {})
    return merged


def _merge(into: Json, extra: Json) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def normalise_format(fmt: Json) -> Json:
    """Mirror colours into their *Style twins and back, and drop what is unset or empty."""
    fmt = _without_nulls(fmt)
    _twin(fmt, _COLOUR_TWINS)
    text = fmt.get("textFormat")
    if isinstance(text, dict):
        _twin(text, _TEXT_TWINS)
        if not text:
            del fmt["textFormat"]
    for side in ("top", "bottom", "left", "right"):
        border = fmt.get("borders", {}).get(side) if isinstance(fmt.get("borders"), dict) else None
        if isinstance(border, dict):
            _twin(border, [("color", "colorStyle")])
    return {k: v for k, v in fmt.items() if v != {} or k in ("foregroundColor",)}


def _without_nulls(value: Json) -> Json:
    # A JSON null in a request means "not set", as for any protobuf field.
    return {
        k: _without_nulls(v) if isinstance(v, dict) else v
        for k, v in value.items()
        if v is not None
    }


def _twin(holder: Json, pairs: list[tuple[str, str]]) -> None:
    for plain, style in pairs:
        if plain in holder:
            holder[style] = {"rgbColor": copy.deepcopy(holder[plain])}
        elif isinstance(holder.get(style), dict) and "rgbColor" in holder[style]:
            holder[plain] = copy.deepcopy(holder[style]["rgbColor"])
