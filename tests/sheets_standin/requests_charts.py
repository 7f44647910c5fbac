"""addChart: an EmbeddedChart kept on its sheet, checked as the Sheets API reference describes it.

Reference: spreadsheets.batchUpdate AddChartRequest {chart: EmbeddedChart}; EmbeddedChart has
chartId (optional, random when unset, an error when taken), spec (a ChartSpec whose chart
union holds exactly one of basicChart, pieChart, ...) and position (an EmbeddedObjectPosition:
exactly one of sheetId, overlayPosition, newSheet). The reply is {"addChart": {"chart": ...}}
with the chart as stored. Only what leadsync sends is checked deeply (basicChart).
"""

from __future__ import annotations

import copy
import random

from .errors import bad_request
from .model import Json, Spreadsheet

CHART_KINDS = (
    "basicChart", "pieChart", "bubbleChart", "candlestickChart", "orgChart", "histogramChart",
    "waterfallChart", "treemapChart", "scorecardChart",
)  # fmt: skip
BASIC_TYPES = {"BAR", "LINE", "AREA", "COLUMN", "SCATTER", "COMBO", "STEPPED_AREA"}


def _sheet_ids(book: Spreadsheet) -> set[int]:
    return {sheet.sheet_id for sheet in book.sheets}


def _check_sources(book: Spreadsheet, data: Json, where: str) -> None:
    sources = (data.get("sourceRange") or {}).get("sources")
    if not isinstance(sources, list) or not sources:
        raise bad_request(f"Invalid {where}: sourceRange.sources must list at least one range.")
    for source in sources:
        if int(source.get("sheetId", 0)) not in _sheet_ids(book):
            raise bad_request(f"Invalid {where}: no sheet with id {source.get('sheetId')}.")


def _check_basic(book: Spreadsheet, basic: Json) -> None:
    if basic.get("chartType") not in BASIC_TYPES:
        raise bad_request(f"Invalid value at 'basicChart.chartType': {basic.get('chartType')!r}")
    for index, domain in enumerate(basic.get("domains") or []):
        _check_sources(book, domain.get("domain") or {}, f"basicChart.domains[{index}]")
    series = basic.get("series") or []
    if not series:
        raise bad_request("Invalid basicChart: a chart needs at least one series.")
    for index, item in enumerate(series):
        _check_sources(book, item.get("series") or {}, f"basicChart.series[{index}]")


def add_chart(book: Spreadsheet, request: Json, rng: random.Random) -> Json:
    chart = copy.deepcopy(request.get("chart") or {})
    spec = chart.get("spec") or {}
    kinds = [kind for kind in CHART_KINDS if kind in spec]
    if len(kinds) != 1:
        raise bad_request("Invalid chart.spec: exactly one chart type must be set.")
    if kinds[0] == "basicChart":
        _check_basic(book, spec["basicChart"])
    position = chart.get("position") or {}
    places = [key for key in ("sheetId", "overlayPosition", "newSheet") if key in position]
    if len(places) != 1:
        raise bad_request(
            "Invalid chart.position: exactly one of sheetId, overlayPosition, newSheet."
        )
    if places[0] == "overlayPosition":
        anchor = position["overlayPosition"].get("anchorCell") or {}
        sheet_id = int(anchor.get("sheetId", -1))
    elif places[0] == "sheetId":
        sheet_id = int(position["sheetId"])
    else:
        raise bad_request("The Sheets stand-in does not implement charts on a new sheet.")
    sheet = next((s for s in book.sheets if s.sheet_id == sheet_id), None)
    if sheet is None:
        raise bad_request(f"Invalid chart.position: no sheet with id {sheet_id}.")
    taken = {int(c["chartId"]) for s in book.sheets for c in s.charts}
    if "chartId" in chart:
        if int(chart["chartId"]) in taken:
            raise bad_request(f"An object with id {chart['chartId']} already exists.")
    else:
        chart["chartId"] = rng.randrange(1, 2**31 - 1)
        while chart["chartId"] in taken:
            chart["chartId"] = rng.randrange(1, 2**31 - 1)
    sheet.charts.append(chart)
    return {"addChart": {"chart": copy.deepcopy(chart)}}
