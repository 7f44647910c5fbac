"""An engine-owned worksheet written wholesale inside a patching save (the Pipeline tab).

Nobody types in that tab, so its cells are replaced as a whole: the part's <sheetData> and
<dimension> change, and everything else in it (column widths, the drawing that holds the
chart) keeps its bytes. A written cell keeps the style of the cell it replaces, so a bold
title or a number format set on the tab stays where it was put. A tracker without the tab gets
a new worksheet part, declared in [Content_Types].xml, related from the workbook and listed
last among its sheets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sync.errors import BackendError
from sync.snapshot import CellValue
from sync.xlsx_cells import cell_ref, value_xml
from sync.xlsx_package import MAIN_NS, REL_NS, Package, add_override, add_relationship
from sync.xml_text import quoteattr

WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKSHEET_REL = REL_NS + "/worksheet"
# Column widths of a tab leadsync adds: names in A and B, numbers after them.
_NEW_TAB_COLUMNS = (
    '<cols><col min="1" max="2" width="24" customWidth="1"/>'
    '<col min="3" max="8" width="16" customWidth="1"/></cols>'
)

Rows = Sequence[Sequence[CellValue]]


_CELL_TAG = re.compile(r"<(?:\w+:)?c\b([^>]*)>")
_REF_ATTR = re.compile(r'\br="([A-Za-z]+\d+)"')
_STYLE_ATTR = re.compile(r'\bs="(\d+)"')


def cell_styles(sheet_data: str) -> dict[str, int]:
    """Cell reference -> style index, of the cells a <sheetData> holds."""
    styles = {}
    for tag in _CELL_TAG.finditer(sheet_data):
        ref, style = _REF_ATTR.search(tag.group(1)), _STYLE_ATTR.search(tag.group(1))
        if ref and style:
            styles[ref.group(1).upper()] = int(style.group(1))
    return styles


def sheet_data(
    rows: Rows, prefix: str, date1904: bool, styles: Mapping[str, int] | None = None
) -> str:
    out = [f"<{prefix}sheetData>"]
    kept = styles or {}
    for number, cells in enumerate(rows, start=1):
        written = [
            value_xml(ref, value, kept.get(ref), date1904)
            for column, value in enumerate(cells, start=1)
            if value is not None and value != "" and (ref := cell_ref(number, column))
        ]
        if written:
            if prefix:
                written = [_prefixed(w, prefix) for w in written]
            out.append(f'<{prefix}row r="{number}">{"".join(written)}</{prefix}row>')
    out.append(f"</{prefix}sheetData>")
    return "".join(out)


def _prefixed(cell: str, prefix: str) -> str:
    """A <c> element of value_xml with every element name in the part's own prefix."""
    return re.sub(r"<(/?)(c|v|is|t)\b", lambda m: f"<{m.group(1)}{prefix}{m.group(2)}", cell)


def extent(rows: Rows) -> str:
    height = max(
        (n for n, cells in enumerate(rows, start=1) if any(c not in (None, "") for c in cells)),
        default=0,
    )
    width = max((len(cells) for cells in rows), default=0)
    if not height or not width:
        return "A1"
    return f"A1:{cell_ref(height, width)}"


def rewrite_sheet(data: bytes, rows: Rows, label: str, date1904: bool) -> bytes:
    """The worksheet part `data` holding exactly `rows` from A1."""
    text = data.decode("utf-8")
    found = re.search(r"<(\w+:)?sheetData\b[^>]*?(?:/>|>.*?</\1?sheetData>)", text, re.S)
    if found is None:
        raise BackendError(f"{label}: the sheet has no cell data part; the file is damaged")
    prefix = found.group(1) or ""
    styles = cell_styles(found.group(0))
    new = sheet_data(rows, prefix, date1904, styles)
    text = text[: found.start()] + new + text[found.end() :]
    text = re.sub(
        rf"(<{re.escape(prefix)}dimension\b[^>]*\bref=)\"[^\"]*\"",
        lambda m: f'{m.group(1)}"{extent(rows)}"',
        text,
        count=1,
    )
    return text.encode("utf-8")


def add_worksheet(package: Package, name: str, rows: Rows, date1904: bool) -> str:
    """Add a worksheet named `name` holding `rows`; returns its part name."""
    workbook = package.workbook_part()
    folder = workbook.rsplit("/", 1)[0] if "/" in workbook else ""
    number = 1
    while package.has(f"{folder}/worksheets/sheet{number}.xml".lstrip("/")):
        number += 1
    part = f"{folder}/worksheets/sheet{number}.xml".lstrip("/")
    content = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        f'<dimension ref="{extent(rows)}"/><sheetViews><sheetView workbookViewId="0"/>'
        f'</sheetViews><sheetFormatPr defaultRowHeight="15"/>{_NEW_TAB_COLUMNS}'
        f"{sheet_data(rows, '', date1904)}"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    )
    package.write(part, content.encode("utf-8"))
    add_override(package, part, WORKSHEET_TYPE)
    target = part[len(folder) + 1 :] if folder else part
    add_relationship(package, workbook, WORKSHEET_REL, target)
    rid = next(
        rel["Id"]
        for rel in package.relationships(workbook)
        if rel.get("Target") == target and rel.get("Type") == WORKSHEET_REL
    )
    text = package.read(workbook).decode("utf-8")
    ids = [int(n) for n in re.findall(r"<(?:\w+:)?sheet\b[^>]*\ssheetId=\"(\d+)\"", text)]
    sheets_end = re.search(r"</(\w+:)?sheets>", text)
    if sheets_end is None:
        raise BackendError(f"{package.label}: the workbook lists no sheets; the file is damaged")
    prefix = sheets_end.group(1) or ""
    bound = re.search(r'xmlns:(\w+)="' + re.escape(REL_NS) + '"', text)
    r = bound.group(1) if bound else "r"
    declare = "" if bound else f' xmlns:r="{REL_NS}"'
    entry = (
        f'<{prefix}sheet name={quoteattr(name)} sheetId="{max([0, *ids]) + 1}"{declare} '
        f'{r}:id="{rid}"/>'
    )
    text = text[: sheets_end.start()] + entry + text[sheets_end.start() :]
    package.write(workbook, text.encode("utf-8"))
    return part
