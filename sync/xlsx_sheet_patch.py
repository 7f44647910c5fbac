"""Write a few cells into a worksheet part by editing its text where those cells are.

Only the rows the engine writes are rebuilt; every other byte of the part stays as Excel (or
whoever) wrote it, so elements leadsync has never heard of survive. Rows are found by their
`r` attributes with a scan over start tags, which is cheap next to parsing 50,000 rows; the
part streams past a window at a time (sync/xlsx_sheet_stream.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sync.errors import BackendError
from sync.snapshot import CellValue
from sync.xlsx_cells import cell_ref, split_ref, value_xml
from sync.xlsx_styles import DAY_FORMAT, MOMENT_FORMAT, Styles

# Row attributes an appended row takes from the row above it: how it looks, never whether it
# is hidden or grouped.
_LOOK_ATTRIBUTES = ("s", "customFormat", "ht", "customHeight")


class PatchRefused(BackendError):
    """A cell the engine would write holds something a plain value would destroy."""


@dataclass(frozen=True)
class CellWrite:
    row: int
    column: int
    value: CellValue
    # A new cell takes the style of this column's cell in the same row (a header written
    # beside the others looks like them).
    style_from: int | None = None


@dataclass
class SheetEdit:
    writes: list[CellWrite] = field(default_factory=list)
    strikes: set[int] = field(default_factory=set)
    appends: list[dict[int, CellValue]] = field(default_factory=list)
    last_row: int = 1  # the last row in use: appended rows go below it and look like it
    header_row: int = 1

    def new_last_row(self) -> int:
        return self.last_row + len(self.appends)


@dataclass
class _Cell:
    column: int
    text: str  # the whole <c> element


@dataclass
class _Row:
    number: int
    start_tag: str  # "<row ...>" (normalised to an open tag)
    cells: list[_Cell]
    tail: str  # what follows the cells inside the row (an extLst)


def _attr(tag: str, name: str) -> str | None:
    match = re.search(rf'\s{name}="([^"]*)"', tag)
    return match.group(1) if match else None


def _set_attr(tag: str, name: str, value: str | None) -> str:
    """A start tag (ending in '>' or '/>') with `name` set, or removed when value is None."""
    tag = re.sub(rf'\s{name}="[^"]*"', "", tag, count=1)
    if value is None:
        return tag
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:end]} {name}="{value}"{tag[end:]}'


class SheetPatcher:
    def __init__(self, head: bytes, label: str, styles: Styles, date1904: bool) -> None:
        """`head` is the part up to its rows: its namespace prefix and column styles are there.

        The rows come later, a window at a time (sync/xlsx_sheet_stream.py), in `data`: bytes,
        not text, so a 50,000-row part is scanned where it lies and only the rows written are
        decoded."""
        self.data = head
        self.label = label
        self.styles = styles
        self.date1904 = date1904
        root = re.search(rb"<(\w+:)?worksheet\b", head)
        self.p = (root.group(1) or b"").decode() if root else ""
        self._b = self.p.encode()
        self._column_styles = self._read_column_styles()

    def _read_column_styles(self) -> list[tuple[int, int, int]]:
        cols = re.search(rb"<" + self._b + rb"cols\b.*?</" + self._b + rb"cols>", self.data, re.S)
        text = cols.group(0).decode("utf-8") if cols else ""
        found = []
        for col in re.findall(rf"<{self.p}col\b[^>]*>", text):
            style = _attr(col, "style")
            if style:
                found.append((int(_attr(col, "min") or 0), int(_attr(col, "max") or 0), int(style)))
        return found

    def _column_style(self, column: int) -> int:
        for low, high, style in self._column_styles:
            if low <= column <= high:
                return style
        return 0

    def _parse_row(self, number: int, start: re.Match[bytes]) -> tuple[_Row, int]:
        """The row element starting at `start`, and where it ends in `data`."""
        tag = start.group(0).decode("utf-8")
        if tag.endswith("/>"):
            return _Row(number, tag[:-2] + ">", [], ""), start.end()
        closing = b"</" + self._b + b"row>"
        close = self.data.find(closing, start.end())
        if close < 0:
            raise PatchRefused(f"{self.label}: row {number} is damaged")
        inner = self.data[start.end() : close].decode("utf-8")
        cells: list[_Cell] = []
        column = 0
        last_end = 0
        pattern = rf"<{self.p}c\b[^>]*?(?:/>|>.*?</{self.p}c>)"
        for match in re.finditer(pattern, inner, re.S):
            ref = _attr(match.group(0)[: match.group(0).index(">") + 1], "r")
            column = split_ref(ref)[1] if ref else column + 1
            cells.append(_Cell(column, match.group(0)))
            last_end = match.end()
        return _Row(number, tag, cells, inner[last_end:]), close + len(closing)

    # ---- the edit ----------------------------------------------------------------------

    def _write_row(
        self,
        row: _Row,
        writes: dict[int, CellWrite],
        strike: bool,
        template: _Row | None = None,
    ) -> None:
        by_column = {cell.column: cell for cell in row.cells}
        template_styles = (
            {c.column: int(_attr(_start(c.text), "s") or 0) for c in template.cells}
            if template is not None
            else {}
        )
        for column, write in writes.items():
            existing = by_column.get(column)
            ref = cell_ref(row.number, column)
            if existing is not None:
                _refuse_if_rich(existing.text, f"{self.label} cell {ref}")
                style = int(_attr(_start(existing.text), "s") or 0)
                if write.value is None and template is not None:
                    continue
                existing.text = self._cell(existing.text, ref, write.value, style)
            else:
                style = self._new_cell_style(row, column, write, by_column, template_styles)
                cell = _Cell(column, value_xml(ref, None, style, self.date1904))
                cell.text = self._cell(cell.text, ref, write.value, style)
                by_column[column] = cell
        if strike:
            for cell in by_column.values():
                if _has_value(cell.text):
                    style = int(_attr(_start(cell.text), "s") or 0)
                    struck = self.styles.strike(style)
                    cell.text = _restyle(cell.text, struck)
        row.cells = [by_column[c] for c in sorted(by_column)]
        if row.cells:
            row.start_tag = _widen_spans(row.start_tag, row.cells[0].column, row.cells[-1].column)

    def _new_cell_style(
        self,
        row: _Row,
        column: int,
        write: CellWrite,
        by_column: dict[int, _Cell],
        template_styles: dict[int, int],
    ) -> int:
        if column in template_styles:
            return template_styles[column]
        if write.style_from is not None and write.style_from in by_column:
            return int(_attr(_start(by_column[write.style_from].text), "s") or 0)
        if _attr(row.start_tag, "customFormat") in ("1", "true"):
            return int(_attr(row.start_tag, "s") or 0)
        return self._column_style(column)

    def _cell(self, element: str, ref: str, value: CellValue, style: int) -> str:
        """`element` (a <c>) holding `value`, keeping every attribute but its type."""
        if isinstance(value, datetime | date) and not isinstance(value, bool):
            with_time = isinstance(value, datetime) and value.time() != time()
            style = self.styles.dated(style, MOMENT_FORMAT if with_time else DAY_FORMAT)
        fresh = value_xml(ref, value, style, self.date1904)
        tag = _start(element)
        fresh_tag = _start(fresh)
        tag = _set_attr(tag, "t", _attr(fresh_tag, "t"))
        tag = _set_attr(tag, "s", str(style) if style else None)
        body = fresh[len(fresh_tag) :]
        if fresh_tag.endswith("/>"):
            return tag if tag.endswith("/>") else tag[:-1] + "/>"
        tag = tag[:-2] + ">" if tag.endswith("/>") else tag
        return tag + body


def _start(element: str) -> str:
    return element[: element.index(">") + 1]


def _has_value(element: str) -> bool:
    return not _start(element).endswith("/>")


def _refuse_if_rich(element: str, where: str) -> None:
    tag = _start(element)
    if re.search(r"<(\w+:)?f\b", element):
        raise PatchRefused(
            f"{where} holds a formula, and leadsync writes there; replace the formula with "
            "its value (or clear the cell) and run leadsync again. Nothing was written."
        )
    if _attr(tag, "vm") is not None or _attr(tag, "cm") is not None:
        raise PatchRefused(
            f"{where} holds a picture or linked data type, and leadsync writes there; move "
            "it to another column and run leadsync again. Nothing was written."
        )


def _restyle(element: str, style: int) -> str:
    tag = _start(element)
    return _set_attr(tag, "s", str(style) if style else None) + element[len(tag) :]


def _row_xml(row: _Row) -> str:
    cells = "".join(cell.text for cell in row.cells)
    if not cells and not row.tail:
        return row.start_tag[:-1] + "/>"
    name = re.match(r"<([\w:]+)", row.start_tag)
    assert name is not None
    return f"{row.start_tag}{cells}{row.tail}</{name.group(1)}>"


def _look_like(tag: str, template: str) -> str:
    for name in _LOOK_ATTRIBUTES:
        tag = _set_attr(tag, name, _attr(template, name))
    dy = re.search(r'\s(\w+:dyDescent)="([^"]*)"', template)
    if dy:
        tag = _set_attr(tag, dy.group(1), dy.group(2))
    return tag


def _widen_spans(tag: str, first: int, last: int) -> str:
    spans = _attr(tag, "spans")
    if not spans:
        return tag
    bounds = [int(n) for part in spans.split() for n in part.split(":") if n.isdigit()]
    if not bounds or (min(bounds) <= first and last <= max(bounds)):
        return tag
    if " " in spans:
        return _set_attr(tag, "spans", None)  # several ranges: an optional hint, dropped
    return _set_attr(tag, "spans", f"{min(first, *bounds)}:{max(last, *bounds)}")
