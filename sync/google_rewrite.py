"""An engine-owned tab (the Pipeline tab) rewritten inside the pass's one batchUpdate.

One updateCells over the area the tab used and the area it will use: the cells the new
content does not cover are cleared by the same request. A tab that is not there yet is added
by an addSheet earlier in the same batch, under a sheet ID chosen here so that the
updateCells can name it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from sync.google_cells import RowTemplate, cell_data, row_template
from sync.plan import Plan
from sync.snapshot import CellValue

if TYPE_CHECKING:
    from sync.google_write import Request, SheetState

# A new tab's grid: roomy enough for the pipeline of a large team, small next to the
# spreadsheet's 10 million cells.
NEW_TAB_ROWS = 200
NEW_TAB_COLUMNS = 12


def rewrite_requests(plan: Plan, state: SheetState, requests: list[Request]) -> bool:
    """Append the requests of `plan`'s rewrites in this spreadsheet; True if one adds a tab."""
    created = False
    for rewrite in plan.rewrites:
        if rewrite.tab.workbook != state.spreadsheet:
            continue
        name = rewrite.tab.tab
        height = len(rewrite.rows)
        width = max((len(row) for row in rewrite.rows), default=0)
        known = state.raw.get(name)
        if known is None:
            sheet_id = max(state.sheet_ids, default=0) + 1
            state.sheet_ids.add(sheet_id)
            grid = {
                "rowCount": max(NEW_TAB_ROWS, height),
                "columnCount": max(NEW_TAB_COLUMNS, width),
            }
            requests.append(
                {
                    "addSheet": {
                        "properties": {"sheetId": sheet_id, "title": name, "gridProperties": grid}
                    }
                }
            )
            old_height = old_width = 0
            created = True
        else:
            sheet_id = known.sheet_id
            old_height, old_width = known.height, known.width
            for dimension, need, have in (
                ("ROWS", height, known.grid_rows),
                ("COLUMNS", width, known.grid_columns),
            ):
                if need > have:
                    requests.append(
                        {
                            "appendDimension": {
                                "sheetId": sheet_id,
                                "dimension": dimension,
                                "length": need - have,
                            }
                        }
                    )
        rows = max(height, old_height, 1)
        columns = max(width, old_width, 1)
        requests.append(
            {
                "updateCells": {
                    "range": {
                        "sheetId": sheet_id,
                        "startRowIndex": 0,
                        "endRowIndex": rows,
                        "startColumnIndex": 0,
                        "endColumnIndex": columns,
                    },
                    # Text is written as text (stringValue), never parsed: Google's RAW.
                    "rows": _rows(rewrite.rows),
                    "fields": "userEnteredValue",
                }
            }
        )
    return created


def _rows(rows: tuple[tuple[CellValue, ...], ...]) -> list[dict[str, Any] | msgspec.Raw]:
    """Each row's RowData, {"values": [cell_data(value) for each value]}, encoded from the
    template of its values' types (most lines of a Pipeline tab share a few); a row msgspec
    cannot encode (a lone surrogate) or of a type no template is made for stays the dicts,
    for the body's encoder to fall back on the standard library as before."""
    templates: dict[tuple[type, ...], RowTemplate | None] = {}
    out: list[dict[str, Any] | msgspec.Raw] = []
    for row in rows:
        kinds = tuple(map(type, row))
        try:
            template = templates[kinds]
        except KeyError:
            template = templates[kinds] = row_template(len(row), list(enumerate(kinds)))
        if template is not None:
            try:
                out.append(msgspec.Raw(template.fill(row, _date_json)))
                continue
            except (msgspec.EncodeError, UnicodeEncodeError, OverflowError):
                pass
        out.append({"values": [cell_data(value) for value in row]})
    return out


def _date_json(value: Any) -> bytes:
    return msgspec.json.encode(cell_data(value))
