"""The Pipeline tab as a new tracker carries it: the steps block, and a chart over it.

The Excel template gets an openpyxl bar chart (kept by the patching save: it lives in its own
drawing and chart parts, which a pass never rewrites); `leadsync init --google` gets the same
chart through the Sheets API's addChart. Both read Amount and Weighted amount of each step
from the block that starts at A2, which every pass keeps in place (sync.pipeline_plan).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from sync.pipeline import compute
from sync.pipeline_config import PipelineSettings
from sync.pipeline_plan import FIRST_STEP_ROW, Grid, pipeline_grid

CHART_TITLE = "Open pipeline by step"
CHART_ANCHOR = "H2"  # right of the widest block (six columns), below the title row
_AMOUNT_COLUMNS = (4, 5)  # D: Amount, E: Weighted amount


def empty_grid(settings: PipelineSettings) -> Grid:
    """The steps block of a tracker with no leads yet; the first pass writes the rest."""
    grid = pipeline_grid(compute((), date(2000, 1, 1), settings))
    head = grid[: FIRST_STEP_ROW + len(settings.steps)]
    # No date: a template does not know when it will first be synced.
    return (head[0][:4], *head[1:])


def lay_out_pipeline_tab(ws: Any, settings: PipelineSettings) -> None:
    for number, cells in enumerate(empty_grid(settings), start=1):
        for column, value in enumerate(cells, start=1):
            if value is not None:
                ws.cell(row=number, column=column, value=value)
    ws["A1"].font = Font(name="Calibri", bold=True, size=13)
    total = FIRST_STEP_ROW + len(settings.steps)
    # Passes rewrite the values; these formats stay on their cells (sync.xlsx_tab_rewrite).
    for column in range(1, 6):
        ws.cell(row=FIRST_STEP_ROW - 1, column=column).font = Font(name="Calibri", bold=True)
        ws.cell(row=total, column=column).font = Font(name="Calibri", bold=True)
    for number in range(FIRST_STEP_ROW, total + 1):
        for column in _AMOUNT_COLUMNS:
            ws.cell(row=number, column=column).number_format = "#,##0"
    # One landscape page, chart included, when printed or saved as PDF.
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 24
    for letter in "CDEF":
        ws.column_dimensions[letter].width = 16
    last = FIRST_STEP_ROW + len(settings.steps) - 1
    chart = BarChart()
    chart.type = "col"
    chart.title = CHART_TITLE
    chart.y_axis.title = "Amount"
    chart.height, chart.width = 8, 16
    first, final = _AMOUNT_COLUMNS
    data = Reference(ws, min_col=first, max_col=final, min_row=FIRST_STEP_ROW - 1, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=FIRST_STEP_ROW, max_row=last))
    ws.add_chart(chart, CHART_ANCHOR)


def _span(sheet_id: int, column: int, steps: int) -> dict[str, Any]:
    # Zero-based and end-exclusive, with the header row above the steps for the series' name.
    return {
        "sources": [
            {
                "sheetId": sheet_id,
                "startRowIndex": FIRST_STEP_ROW - 2,
                "endRowIndex": FIRST_STEP_ROW - 1 + steps,
                "startColumnIndex": column - 1,
                "endColumnIndex": column,
            }
        ]
    }


def google_chart_request(sheet_id: int, settings: PipelineSettings) -> dict[str, Any]:
    """An addChart request: a column chart of Amount and Weighted amount per step."""
    steps = len(settings.steps)
    return {
        "addChart": {
            "chart": {
                "spec": {
                    "title": CHART_TITLE,
                    "basicChart": {
                        "chartType": "COLUMN",
                        "legendPosition": "BOTTOM_LEGEND",
                        "axis": [
                            {"position": "BOTTOM_AXIS", "title": "Step"},
                            {"position": "LEFT_AXIS", "title": "Amount"},
                        ],
                        "domains": [{"domain": {"sourceRange": _span(sheet_id, 1, steps)}}],
                        "series": [
                            {
                                "series": {"sourceRange": _span(sheet_id, c, steps)},
                                "targetAxis": "LEFT_AXIS",
                            }
                            for c in _AMOUNT_COLUMNS
                        ],
                        "headerCount": 1,
                    },
                },
                "position": {
                    "overlayPosition": {
                        "anchorCell": {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": 7},
                        "widthPixels": 520,
                        "heightPixels": 300,
                    }
                },
            }
        }
    }
