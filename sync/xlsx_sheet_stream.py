"""Patch a worksheet part as it streams past, a window of whole rows at a time.

A 50,000-row part is some 27 MB of XML; holding it, and its patched copy, would be most of a
pass's memory. Here it is read in windows that end where a row ends: the rows the edit names
are rebuilt (sync/xlsx_sheet_patch.py), new rows are put in before the first row numbered
above them, and every other byte is passed on as it came. The part's head (with the used-area
hint) and its tail (with the ranges that grow with appended rows) are small and are edited as
text, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import IO, Final

from sync.xlsx_ranges import grow_sheet_ranges, widen_dimension
from sync.xlsx_row_windows import PartEnded, read_head, row_windows
from sync.xlsx_sheet_patch import (
    CellWrite,
    PatchRefused,
    SheetEdit,
    SheetPatcher,
    _look_like,
    _Row,
    _row_xml,
)
from sync.xlsx_styles import Styles

WINDOW: Final = 1 << 18  # bytes of XML read at a time
_START: Final = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")


def patch_sheet(
    source: IO[bytes],
    write: Callable[[bytes], object],
    label: str,
    edit: SheetEdit,
    styles: Styles,
    date1904: bool,
) -> None:
    """Copies the part from `source` to `write` with `edit` applied."""
    head, rest = _read_head(source, label)
    patcher = SheetPatcher(head, label, styles, date1904)
    rows = _Rows(patcher, edit)
    out = _Output(write, head, edit, patcher.p)
    b = patcher.p.encode()
    if head.endswith(b"/>"):  # <sheetData/>: new rows go in a cell table of their own
        inserted = rows.remaining()
        tail = rest + source.read()
        if inserted:
            out.head = head[:-2] + b">"
            out.body(inserted, has_cells=b"<" + b + b"c" in inserted)
            tail = b"</" + b + b"sheetData>" + tail
        out.finish(tail)
        return
    cell = re.compile(rb"<" + b + rb"c\b")
    tail = b""
    for window, after in _windows(source, rest, b):
        out.body(rows.window(window), has_cells=cell.search(window) is not None)
        tail = after
    inserted = rows.remaining()
    out.body(inserted, has_cells=b"<" + b + b"c" in inserted)
    out.finish(tail)


def _read_head(source: IO[bytes], label: str) -> tuple[bytes, bytes]:
    try:
        return read_head(source, _START, WINDOW)
    except PartEnded:
        raise PatchRefused(f"{label} has no cell table; it is not a worksheet") from None


def _windows(source: IO[bytes], buffer: bytes, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
    try:
        yield from row_windows(source, buffer, prefix, WINDOW)
    except PartEnded:
        raise PatchRefused("the cell table of the sheet is damaged (it never ends)") from None


class _Output:
    """Writes the patched part in order; holds the head back until it is known whether the
    sheet had any cell before, which decides how its used-area hint is set."""

    def __init__(
        self, write: Callable[[bytes], object], head: bytes, edit: SheetEdit, prefix: str
    ) -> None:
        self.write = write
        self.head: bytes | None = head
        self.held: list[bytes] = []
        self.edit = edit
        self.prefix = prefix

    def body(self, data: bytes, has_cells: bool) -> None:
        if self.head is None:
            self.write(data)
            return
        self.held.append(data)
        if has_cells:
            self._release(was_empty=False)

    def finish(self, tail: bytes) -> None:
        if self.head is not None:
            self._release(was_empty=True)
        edit = self.edit
        text = tail.decode("utf-8")
        grown = grow_sheet_ranges(text, self.prefix, edit.last_row, edit.new_last_row())
        self.write(tail if grown == text else grown.encode("utf-8"))

    def _release(self, was_empty: bool) -> None:
        assert self.head is not None
        head, self.head = self.head, None
        start = head.rfind(b"<" + self.prefix.encode() + b"sheetData")
        before = head[:start].decode("utf-8")
        edit = self.edit
        rows = {w.row for w in edit.writes if w.value not in (None, "")}
        if edit.appends:
            rows |= set(range(edit.last_row + 1, edit.new_last_row() + 1))
        columns = {w.column for w in edit.writes if w.value not in (None, "")}
        columns |= {c for values in edit.appends for c, v in values.items() if v not in (None, "")}
        widened = widen_dimension(before, self.prefix, rows, columns, was_empty)
        self.write(head if widened == before else widened.encode("utf-8") + head[start:])
        for data in self.held:
            self.write(data)
        self.held = []


class _Rows:
    """Which rows the edit touches, and each rebuilt as the stream reaches it."""

    def __init__(self, patcher: SheetPatcher, edit: SheetEdit) -> None:
        self.patcher = patcher
        self.edit = edit
        self.wanted: dict[int, dict[int, CellWrite]] = {}
        for write in edit.writes:
            self.wanted.setdefault(write.row, {})[write.column] = write
        for offset, values in enumerate(edit.appends, start=1):
            number = edit.last_row + offset
            for column, value in values.items():
                self.wanted.setdefault(number, {})[column] = CellWrite(number, column, value)
        # Appended rows look like the last row in use (not like the header row).
        self.template = edit.last_row if edit.appends and edit.last_row > edit.header_row else 0
        self.template_row: _Row | None = None
        self.template_columns: list[int] = []  # its cells as read, before any write to it
        self.pending = sorted(set(self.wanted) | edit.strikes, reverse=True)  # next: last
        self.number = 0  # the number of the last row seen (rows without r count on)
        b = patcher.p.encode()
        self.row_start = re.compile(rb"<" + b + rb"row\b[^>]*>")
        self.number_of = re.compile(rb'\sr="(\d+)"')

    def window(self, data: bytes) -> bytes:
        patcher, pending = self.patcher, self.pending
        patcher.data = data
        pieces: list[bytes] = []
        cursor = 0
        for match in self.row_start.finditer(data):
            given = self.number_of.search(match.group(0))
            number = self.number = int(given.group(1)) if given else self.number + 1
            while pending and pending[-1] < number:  # a row the sheet does not have yet
                pieces.append(data[cursor : match.start()])
                cursor = match.start()
                pieces.append(self._new_row(pending.pop()))
            if number != self.template and not (pending and pending[-1] == number):
                continue
            row, end = patcher._parse_row(number, match)
            if number == self.template:
                self.template_row = row
                self.template_columns = [cell.column for cell in row.cells]
            if pending and pending[-1] == number:
                pending.pop()
                below = self.template_row if number > self.edit.last_row else None
                patcher._write_row(row, self._writes(number), number in self.edit.strikes, below)
                pieces.append(data[cursor : match.start()])
                pieces.append(_row_xml(row).encode("utf-8"))
                cursor = end
        if not pieces:
            return data
        pieces.append(data[cursor:])
        return b"".join(pieces)

    def remaining(self) -> bytes:
        """The rows still to write, all below the last row of the sheet."""
        rows = [self._new_row(number) for number in reversed(self.pending)]
        self.pending.clear()
        return b"".join(rows)

    def _writes(self, number: int) -> dict[int, CellWrite]:
        writes = self.wanted.get(number, {})
        if number > self.edit.last_row and number <= self.edit.new_last_row():
            # An appended row gets a cell, styled like the one above, in every column the
            # row above has one.
            writes = dict(writes)
            for column in self.template_columns:
                writes.setdefault(column, CellWrite(number, column, None))
        return writes

    def _new_row(self, number: int) -> bytes:
        writes = self._writes(number)
        if not writes:
            return b""
        patcher, template = self.patcher, self.template_row
        row = _Row(number, f'<{patcher.p}row r="{number}">', [], "")
        if template is not None and number > self.edit.last_row:
            row.start_tag = _look_like(row.start_tag, template.start_tag)
        patcher._write_row(row, writes, number in self.edit.strikes, template)
        return _row_xml(row).encode("utf-8")
