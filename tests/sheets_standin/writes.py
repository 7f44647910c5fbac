"""Writing a block of values into a tab, with the grid checks the API makes first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import a1, typed
from .a1 import Bounds
from .errors import ApiError, bad_request
from .model import Cell, Sheet, Spreadsheet


@dataclass
class Written:
    bounds: Bounds
    rows: set[int]
    cols: set[int]
    cells: int


def grid_error(sheet: Sheet, bounds: Bounds) -> ApiError:
    return bad_request(
        f"Range ({a1.range_text(sheet.title, bounds)}) exceeds grid limits. "
        f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
    )


def enter(book: Spreadsheet, sheet: Sheet, row: int, col: int, value: Any, option: str) -> None:
    """Put one value in a cell as valueInputOption says; formats stay, a typed date adds one."""
    if option == "RAW":
        stored, number_format = typed.raw(value), None
    else:
        stored, number_format = typed.user_entered(value, str(book.properties.get("locale", "")))
    cell = sheet.cell(row, col) or Cell()
    cell.value = stored
    if number_format:
        cell.format = {**(cell.format or {}), "numberFormat": number_format}
    sheet.set(row, col, cell)


def write_block(
    book: Spreadsheet,
    sheet: Sheet,
    target: a1.A1,
    values: list[list[Any]],
    option: str,
    *,
    grow: bool,
) -> Written:
    """Write rows of values from the target's top-left cell.

    A single cell or an open range is only where writing starts; a closed range of several
    cells must hold all the values. Writes past the grid are refused unless `grow` (append),
    which adds the rows and columns needed, as values.append and appendCells do.
    """
    asked = target.bounds
    height, width = len(values), max((len(row) for row in values), default=0)
    bounds = Bounds(
        asked.start_row, asked.start_row + height, asked.start_col, asked.start_col + width
    )
    single = asked.end_row == asked.start_row + 1 and asked.end_col == asked.start_col + 1
    if target.names_cells and not single:
        _check_fits(sheet, target, bounds)
    if grow:
        if bounds.end_row is not None and bounds.end_row > sheet.row_count:
            sheet.grid["rowCount"] = bounds.end_row
        if bounds.end_col is not None and bounds.end_col > sheet.col_count:
            sheet.grid["columnCount"] = bounds.end_col
    elif asked.start_row >= sheet.row_count or asked.start_col >= sheet.col_count:
        raise grid_error(sheet, asked)
    elif (bounds.end_row or 0) > sheet.row_count or (bounds.end_col or 0) > sheet.col_count:
        raise grid_error(sheet, bounds)
    rows, cols, cells = set(), set(), 0
    for i, line in enumerate(values):
        for j, value in enumerate(line):
            if value is None:  # null leaves the cell as it is
                continue
            enter(book, sheet, bounds.start_row + i, bounds.start_col + j, value, option)
            rows.add(bounds.start_row + i)
            cols.add(bounds.start_col + j)
            cells += 1
    return Written(bounds, rows, cols, cells)


def _check_fits(sheet: Sheet, target: a1.A1, bounds: Bounds) -> None:
    asked = target.bounds
    title = target.written_title or a1.quote_title(sheet.title)
    shown = f"Requested writing within range [{title}!{a1.cells_text(asked)}]"
    if asked.end_row is not None and (bounds.end_row or 0) > asked.end_row:
        row = asked.end_row + 1
        raise bad_request(f"{shown}, but tried writing to row [{row}]")
    if asked.end_col is not None and (bounds.end_col or 0) > asked.end_col:
        raise bad_request(
            f"{shown}, but tried writing to column [{a1.column_letters(asked.end_col)}]"
        )
