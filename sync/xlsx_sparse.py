"""Read only the rows of a big tab that a pass acts on, streaming its sheet part.

A 50,000-row prospecting tab is mostly cold prospects nobody has flagged, and the planner
passes them by. Reading them all (calamine's grid, its Rust copy, the Python values) is most of
what a pass costs in memory. This reader decompresses the part a window of whole rows at a
time and keeps only the header rows and the rows that store something in one of the columns
the caller names (flag, lead, sync note...). Those rows go through openpyxl's own cell parser,
so their values are exactly what openpyxl, and the full reader, give. On the way it notes where
the tab's data ends: the last row and the last column that store a value.

The searches are byte searches that run in C. Whatever they cannot vouch for (a part not in
UTF-8, a namespace prefix, a cell or row without its reference, a tag split by a line break)
raises NotSparse, and the caller reads the whole tab instead: slower, never different.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import IO, Final
from xml.etree.ElementTree import iterparse

from openpyxl.cell.text import Text
from openpyxl.xml.constants import SHEET_MAIN_NS

from sync.errors import BackendError
from sync.snapshot import CellValue
from sync.xlsx_cells import column_letters, column_number
from sync.xlsx_read import UNREADABLE, FastWorkbook
from sync.xlsx_row_windows import PartEnded, read_head, row_windows

__all__ = ["NotSparse", "SparseGrid", "sparse_grid"]

WINDOW: Final = 1 << 18  # bytes of XML decompressed at a time
BATCH: Final = 250  # rows kept parsed at a time

_SHEET_DATA: Final = re.compile(rb"<sheetData(?:\s[^>]*?)?(/?)>")
_ROW: Final = re.compile(rb'<row r="([0-9]+)"[^>]*?(?:/>|>.*?</row>)', re.S)
# The column of a cell that stores something: its start tag does not close itself.
_STORED: Final = re.compile(rb'<c r="([A-Z]{1,3})[0-9]+"[^>]*?(?<!/)>')
_REFERENCE: Final = re.compile(rb'<c r="[A-Z]{1,3}([0-9]+)"')
_NUMBER: Final = re.compile(rb"<v>([0-9]+)</v>")
_DECLARATION: Final = re.compile(rb"<\?xml[^>]*encoding=[\"']([^\"']+)")
# Tag openings the searches would miss: a cell or row whose first attribute is not its
# reference, or whose name is followed by a line break or a tab.
_UNSEARCHABLE: Final = (b"<c>", b"<c/>", b"<c\t", b"<c\n", b"<c\r", b"<row>", b"<row/>")
_UNSEARCHABLE_ROWS: Final = (b"<row\t", b"<row\n", b"<row\r")


class NotSparse(Exception):
    """The tab holds something the searches cannot vouch for: read it whole."""


@dataclass(frozen=True)
class SparseGrid:
    # 1-based row -> its cells from column 1, as openpyxl gives them (data_only), passed
    # through `cell_value`; a row's tuple ends at its last stored cell.
    rows: dict[int, tuple[CellValue, ...]]
    last_row: int  # the last row that stores a value (0: none)
    last_column: int  # the last column that stores a value in any row (0: none)
    formulas: frozenset[tuple[int, int]]
    unresolved: frozenset[tuple[int, int]]  # formula cells without a cached result


# Given the first `head_rows` rows (row 1 first), the 1-based columns whose stored values make
# a row worth keeping.
ChooseColumns = Callable[[Sequence[Sequence[CellValue]]], Collection[int]]


def sparse_grid(
    book: FastWorkbook, sheet: str, head_rows: int, choose: ChooseColumns
) -> SparseGrid:
    """The header rows and the rows with a stored value in a chosen column, of one tab."""
    part = book.worksheet_part(sheet)
    try:
        with book.open_part(part) as stream:
            head, rest = _read_head(stream)
            if head.endswith(b"/>"):  # <sheetData/>: not one row
                choose([() for _ in range(head_rows)])
                return SparseGrid({}, 0, 0, frozenset(), frozenset())
            scan = _Scan(book, head, head_rows, choose)
            tail = b""
            for window, after in _windows(stream, rest):
                scan.window(window)
                tail = after
            scan.finish()
            strings = _shared_strings(book, scan.string_indexes())
            return scan.grid(tail, strings)
    except UNREADABLE as error:
        raise BackendError(
            f"{book.name} › {sheet} could not be read ({error}); open the file in Excel, "
            "save it as .xlsx and run leadsync again"
        ) from None


def _read_head(stream: IO[bytes]) -> tuple[bytes, bytes]:
    """The part up to its <sheetData> start tag, included (where the rows begin), and what
    was read past it."""
    try:
        head, rest = read_head(stream, _SHEET_DATA, WINDOW)
    except PartEnded:
        raise NotSparse from None  # no rows, a prefixed <x:sheetData>, or an odd part
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise NotSparse
    declared = _DECLARATION.match(head)
    if declared is not None and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii"):
        raise NotSparse
    return head, rest


def _windows(stream: IO[bytes], buffer: bytes) -> Iterator[tuple[bytes, bytes]]:
    try:
        yield from row_windows(stream, buffer, b"", WINDOW)
    except PartEnded:
        raise NotSparse from None  # the part ends inside its rows: damaged


class _Scan:
    def __init__(
        self, book: FastWorkbook, start: bytes, head_rows: int, choose: ChooseColumns
    ) -> None:
        self.book = book
        self.start = start  # the part up to its rows: the root's namespaces are there
        self.head_rows = head_rows
        self.choose = choose
        self.head: list[bytes] = []  # the header rows' XML, while the headers are not known
        self.kept: list[bytes] = []  # the XML of every row kept, header rows first
        self.trigger: re.Pattern[bytes] | None = None
        self.last_row = 0
        self.columns: set[bytes] = set()

    def window(self, data: bytes) -> None:
        _check_searchable(data)
        start = 0
        if self.trigger is None:
            start = self._head(data)
            if self.trigger is None:
                return
        self._keep(data, start)

    def finish(self) -> None:
        if self.trigger is None:
            self._choose()

    def _head(self, data: bytes) -> int:
        """Collects the header rows; where the rows after them start (len(data): not yet)."""
        for row in _ROW.finditer(data):
            if int(row.group(1)) > self.head_rows:
                self._choose()
                return row.start()
            self.head.append(row.group(0))
            self._note_stored(row.group(0))
        return len(data)

    def _choose(self) -> None:
        xml = b"".join(self.head)
        grid = self._parse_rows(xml)
        rows = [grid.get(number, ()) for number in range(1, self.head_rows + 1)]
        letters = [column_letters(c).encode() for c in sorted(set(self.choose(rows)))]
        self.kept.extend(self.head)
        self.head = []
        if not letters:
            self.trigger = re.compile(rb"(?!x)x")  # no column chosen: keep no other row
            return
        alternatives = b"|".join(letters)
        self.trigger = re.compile(rb'<c r="(?:' + alternatives + rb')[0-9]+"[^>]*?(?<!/)>')

    def _keep(self, data: bytes, start: int) -> None:
        assert self.trigger is not None
        self._note_stored(data, start)
        taken = -1  # where the last row kept starts
        for cell in self.trigger.finditer(data, start):
            row_start = data.rfind(b"<row ", start, cell.start())
            if row_start <= taken:
                continue
            row_end = data.find(b"</row>", cell.end())
            if row_start < 0 or row_end < 0:
                raise NotSparse
            self.kept.append(data[row_start : row_end + len(b"</row>")])
            taken = row_start

    def _note_stored(self, data: bytes, start: int = 0) -> None:
        self.columns.update(_STORED.findall(data, start))
        # The last cell that stores something is the one closed by the last </c>.
        closed = data.rfind(b"</c>", start)
        if closed >= 0:
            opened = data.rfind(b'<c r="', start, closed)
            cell = _REFERENCE.match(data, opened) if opened >= 0 else None
            if cell is None:
                raise NotSparse
            self.last_row = max(self.last_row, int(cell.group(1)))

    def string_indexes(self) -> set[int]:
        """Every number stored in a kept row: a superset of the shared strings they use."""
        return {int(n) for xml in self.kept for n in _NUMBER.findall(xml)}

    def _parse_rows(self, rows: bytes) -> dict[int, tuple[CellValue, ...]]:
        # Only the header rows, before the shared strings are known: parse them on their own.
        strings = _shared_strings(self.book, {int(n) for n in _NUMBER.findall(rows)})
        closing = b"</sheetData></worksheet>"
        return _parse(self.book, self.start, [rows], closing, strings).rows

    def grid(self, tail: bytes, strings: Mapping[int, str]) -> SparseGrid:
        parsed = _parse(self.book, self.start, self.kept, tail, strings)
        last_column = max((column_number(c.decode()) for c in self.columns), default=0)
        return SparseGrid(
            parsed.rows, self.last_row, last_column, parsed.formulas, parsed.unresolved
        )


def _check_searchable(data: bytes) -> None:
    if data.count(b"<c ") != data.count(b'<c r="') or data.count(b"<row ") != data.count(
        b'<row r="'
    ):
        raise NotSparse
    if any(token in data for token in _UNSEARCHABLE + _UNSEARCHABLE_ROWS):
        raise NotSparse


@dataclass(frozen=True)
class _Parsed:
    rows: dict[int, tuple[CellValue, ...]]
    formulas: frozenset[tuple[int, int]]
    unresolved: frozenset[tuple[int, int]]


def _parse(
    book: FastWorkbook, start: bytes, rows: Sequence[bytes], tail: bytes, strings: Mapping[int, str]
) -> _Parsed:
    """The cells of `rows` (each a row element), as openpyxl reads them: parsed a batch at a
    time, each batch as a part of its own between the part's `start` and `tail`."""
    # openpyxl's workbook empties every cell of a merged range but its top-left one; the
    # ranges are in the tail.
    _values, merged = book.parse_cells(BytesIO(start + tail), strings, set())
    formulas: set[tuple[int, int]] = set()
    found: dict[int, tuple[CellValue, ...]] = {}
    closing = b"</sheetData></worksheet>"
    for first in range(0, len(rows), BATCH):
        document = start + b"".join(rows[first : first + BATCH]) + closing
        cells, _merged = book.parse_cells(BytesIO(document), strings, formulas)
        batch: dict[int, dict[int, CellValue]] = {}
        for (number, column), value in cells.items():
            batch.setdefault(number, {})[column] = value
        for number, row in batch.items():
            if number in found:  # the same row twice: a later cell wins, as in openpyxl
                row = dict(enumerate(found[number], start=1)) | row
            for min_col, min_row, max_col, max_row in merged:
                if min_row <= number <= max_row:
                    for column in range(min_col, max_col + 1):
                        if (number, column) != (min_row, min_col) and column in row:
                            row[column] = None
            width = max((c for c, v in row.items() if v is not None), default=0)
            found[number] = tuple(row.get(column) for column in range(1, width + 1))
    unresolved = frozenset(
        (r, c) for r, c in formulas if c > len(found.get(r, ())) or found[r][c - 1] is None
    )
    return _Parsed(found, frozenset(formulas), unresolved)


class _Strings(dict[int, str]):
    """The shared strings a parse needs, by index; a missing one is a damaged file, as in a
    list openpyxl would index."""

    def __missing__(self, index: int) -> str:
        raise IndexError(f"shared string {index} is not in the table")


def _shared_strings(book: FastWorkbook, wanted: set[int]) -> _Strings:
    """The shared strings at these indexes, read as openpyxl's read_string_table reads them,
    streaming the table so that the others are never kept."""
    found = _Strings()
    part = book.strings_part
    if part is None or not wanted:
        return found
    item = f"{{{SHEET_MAIN_NS}}}si"
    last = max(wanted)
    index = -1
    with book.open_part(part) as source:
        events = iterparse(source, events=("start", "end"))
        _event, root = next(events)
        for event, element in events:
            if event != "end" or element.tag != item:
                continue
            index += 1
            if index in wanted:
                found[index] = Text.from_tree(element).content.replace("x005F_", "")
            root.clear()  # the items read so far: gone, so the table is never held whole
            if index >= last:
                break
    return found
