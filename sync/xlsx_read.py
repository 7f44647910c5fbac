"""Fast read of a worksheet's values: python-calamine, corrected to be exactly what openpyxl gives.

openpyxl builds a Python object per cell and takes about ten seconds for a 50,000-row tab;
calamine (Rust) reads the same tab in about half a second. But the two do not agree on every
cell, and the engine must see the same values whichever reader ran (a pass that read 3 one day
and 3.0 the next would rewrite cells for nothing). Where they differ, checked cell by cell
against openpyxl (3.1) and python-calamine (0.9):

- numbers: calamine gives every number as a float; openpyxl gives an int unless the stored text
  has '.', 'e' or 'E' ("3" -> 3, "3.0" -> 3.0, and a 20-digit integer stays exact);
- dates: calamine decides which formats are dates by its own rules, rounds times its own way,
  gives `date` where openpyxl gives `datetime`, and turns a negative serial into midnight;
- error cells (#N/A, #DIV/0!) come out of calamine empty, and #SPILL!, #CALC! and a few more
  make it refuse the whole tab;
- text: calamine trims whitespace around text not marked xml:space="preserve" (openpyxl keeps
  it as typed), decodes _xHHHH_ escapes (openpyxl does not), and gives "" for an empty cell, so
  an empty string cannot be told from nothing;
- formulas: calamine gives their cached results, as wanted, but cannot say which cells hold one.

So each tab is read by calamine, and the cells it may have wrong are found in the sheet XML by
byte searches that run in C: a style that openpyxl shows as a date, a stored value that is not a
plain number, a formula, a text with whitespace at an edge, an entity or an escape, a shared
string that itself is one of those. Only those cells are read again from their XML, exactly as
openpyxl's own cell parser reads them. (calamine parses in the reading thread: in a thread of
its own it overlapped the searches, but what it freed stayed in that thread's memory arena, some
5 MiB of a pass's peak.) What the searches cannot vouch for (a cell without a
reference, a part not in UTF-8, attributes in single quotes, an error calamine refuses) sends
that tab through openpyxl's own parser instead: as slow as openpyxl, never different.

A FastWorkbook is for one thread at a time, like the pass that opens it.
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import BytesIO
from operator import itemgetter
from types import TracebackType
from typing import IO, Any, Final
from zipfile import BadZipFile, ZipFile

import python_calamine
from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.reader.strings import read_string_table
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.utils.datetime import MAC_EPOCH, from_excel
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS

from sync.errors import BackendError
from sync.snapshot import CellValue

__all__ = ["UNREADABLE", "FastWorkbook", "SheetGrid", "cell_value"]

# What reading a file that is not a readable .xlsx/.xlsm can raise: the zip layer, openpyxl's
# package readers (which raise plain ValueError, KeyError, TypeError on bad parts) and calamine.
UNREADABLE: Final = (
    OSError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    BadZipFile,
    InvalidFileException,
    ET.ParseError,
    python_calamine.CalamineError,
)


def cell_value(value: object) -> CellValue:
    """openpyxl's value as a snapshot holds it: the rule the openpyxl backend applied."""
    if value is None or isinstance(value, str | int | float | bool | datetime | date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    return str(value)  # timedelta ([h]:mm formats) and anything else openpyxl may hand over


@dataclass(frozen=True)
class SheetGrid:
    """A worksheet's values as openpyxl gives them (data_only: a formula's cached result), each
    passed through `cell_value`.

    `rows[i]` is sheet row i + 1 and `rows[i][j]` column j + 1. The grid is a rectangle: all rows
    have the same length, and an empty row, even one in the middle, is a tuple of None. It
    reaches the last row and the last column that hold a value, and may end in cells that hold
    None; openpyxl's grid can reach further, since it also counts cells that only carry a style
    or lie in a merged range (None there too). So compare the two only up to the last value.
    """

    rows: list[tuple[CellValue, ...]]
    # (row, column), 1-based, of every cell holding a real formula (not text that starts '=').
    formulas: frozenset[tuple[int, int]]
    # Formula cells with no cached result (never calculated, or calculated to nothing): None in
    # `rows`, and the engine must take them as unknown, not as empty.
    unresolved: frozenset[tuple[int, int]]


class _Fallback(Exception):
    """The tab holds something the fast path cannot vouch for: read it with openpyxl's parser."""


class _Keep:
    """A cell read again whose value calamine has right already (a plain shared string)."""


_KEEP: Final = _Keep()
_TEMPORAL: Final = frozenset({date, datetime, time, timedelta})
_EMPTY: Final[dict[object, None]] = {"": None}


class FastWorkbook:
    """A workbook opened once from the bytes a pass read, for reading its tabs' values fast."""

    def __init__(self, content: bytes, name: str) -> None:
        """`name` is the file's name, for messages only."""
        self.name = name
        try:
            with warnings.catch_warnings():
                # openpyxl warns about parts it would drop on save (extensions, a missing
                # default style); reading values loses nothing, so they would only be noise.
                warnings.simplefilter("ignore")
                reader = ExcelReader(BytesIO(content), read_only=True, data_only=True)
                reader.read_manifest()
                reader.read_workbook()
                apply_stylesheet(reader.archive, reader.wb)
        except UNREADABLE as error:
            raise BackendError(
                f"{name} could not be opened as an Excel workbook ({error}); "
                "leadsync reads .xlsx and .xlsm files: save it in one of those formats"
            ) from None
        # The small parts (workbook, styles) are read by openpyxl itself, so the sheet list,
        # the date system and which styles show dates are openpyxl's by construction.
        self._content = content
        # Opened on the first full read: calamine reads the whole shared-string table up
        # front, which a pass that reads only a few rows of a tab (sync/xlsx_sparse.py) spares.
        self._calamine_book: python_calamine.CalamineWorkbook | None = None
        self._archive: ZipFile = reader.archive
        self._epoch: datetime = reader.wb.epoch
        self._date_styles = frozenset[int](reader.wb._date_formats)
        self._timedelta_styles = frozenset[int](reader.wb._timedelta_formats)
        self._parts: dict[str, str] = {}
        self._chartsheets: set[str] = set()
        self._names: list[str] = []
        for sheet, rel in reader.parser.find_sheets():
            if rel.target not in reader.valid_files:
                continue  # openpyxl leaves out a sheet whose part is missing
            self._names.append(sheet.name)
            if "chartsheet" in rel.Type:
                self._chartsheets.add(sheet.name)
            else:
                self._parts[sheet.name] = rel.target
        strings = reader.package.find(SHARED_STRINGS)
        part = strings.PartName[1:] if strings is not None else None
        self._strings_part = part if part in reader.valid_files else None
        self._string_fixes: dict[int, str] | None = None
        self._all_strings: list[str] | None = None
        self._date_searches: dict[bytes, _DateSearches] = {}
        self._dates: dict[tuple[bytes, bytes], CellValue] = {}
        self._closed = False

    @property
    def sheet_names(self) -> list[str]:
        """Every sheet, chart sheets included, in workbook order: openpyxl's `sheetnames`."""
        return list(self._names)

    @property
    def date1904(self) -> bool:
        """Whether dates count from 1904 (an option of Mac Excel) rather than from 1900."""
        return bool(self._epoch == MAC_EPOCH)

    def grid(self, sheet: str) -> SheetGrid:
        part = self.worksheet_part(sheet)
        try:
            xml = _SheetXml(self._archive.read(part))
            cells = _CellReader(xml, self)
            if cells.scan():
                try:
                    # Handed over, not kept here: _fast_grid frees calamine's copy early.
                    return self._fast_grid(self._calamine().get_sheet_by_name(sheet), cells)
                except (_Fallback, python_calamine.CalamineError):
                    pass
            return self._openpyxl_grid(xml)
        except UNREADABLE as error:
            raise BackendError(
                f"{self.name} › {sheet} could not be read ({error}); open the file in Excel, "
                "save it as .xlsx and run leadsync again"
            ) from None
        finally:
            # calamine keeps the whole file and its string table; a pass reads a workbook's
            # tabs once each, so opening it again for the next tab costs less than holding it.
            self._close_calamine()

    def _close_calamine(self) -> None:
        if self._calamine_book is not None:
            self._calamine_book.close()
            self._calamine_book = None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._close_calamine()
            self._archive.close()

    def worksheet_part(self, sheet: str) -> str:
        """The package part holding a worksheet's cells."""
        if sheet not in self._parts:
            what = "a chart sheet, not a worksheet" if sheet in self._chartsheets else "not a tab"
            raise BackendError(
                f"{self.name} › {sheet} is {what} of this workbook "
                f"(it has: {', '.join(self._names)})"
            )
        return self._parts[sheet]

    def open_part(self, part: str) -> IO[bytes]:
        """A part's bytes as a stream, decompressed as they are read."""
        return self._archive.open(part)

    @property
    def strings_part(self) -> str | None:
        return self._strings_part

    def parse_cells(
        self,
        source: IO[bytes],
        strings: Sequence[str] | Mapping[int, str],
        formulas: set[tuple[int, int]],
    ) -> tuple[dict[tuple[int, int], CellValue], list[tuple[int, int, int, int]]]:
        """Every cell of a worksheet part by openpyxl's own parser, set up as this workbook's
        reads are: the values by (row, column), and the merged ranges as (min_col, min_row,
        max_col, max_row). Formula cells are added to `formulas`."""
        parser = WorkSheetParser(
            source,
            strings,
            data_only=True,
            epoch=self._epoch,
            date_formats=self._date_styles,
            timedelta_formats=self._timedelta_styles,
        )
        parse_cell = parser.parse_cell

        def parse_and_note(element: Any) -> Any:
            cell = parse_cell(element)
            if element.find(FORMULA_TAG) is not None:
                formulas.add((cell["row"], cell["column"]))
            return cell

        parser.parse_cell = parse_and_note
        values: dict[tuple[int, int], CellValue] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dates out of range: the cell says #VALUE!
            for _, cells in parser.parse():
                for cell in cells:
                    # A later cell with the same reference wins, as in openpyxl's workbook.
                    values[cell["row"], cell["column"]] = cell_value(cell["value"])
        del parser.parse_cell  # the wrapper refers to the parser: no cycle left to collect
        merged = parser.merged_cells.mergeCell if parser.merged_cells else []
        return values, [m.bounds for m in merged]

    def _calamine(self) -> python_calamine.CalamineWorkbook:
        if self._calamine_book is None:
            try:
                self._calamine_book = python_calamine.CalamineWorkbook.from_filelike(
                    BytesIO(self._content)
                )
            except UNREADABLE as error:
                raise BackendError(
                    f"{self.name} could not be opened as an Excel workbook ({error}); "
                    "leadsync reads .xlsx and .xlsm files: save it in one of those formats"
                ) from None
        return self._calamine_book

    def __enter__(self) -> FastWorkbook:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ---- the fast path: calamine, and the cells it may have wrong read again ----------------

    def _fast_grid(self, sheet: python_calamine.CalamineSheet, cells: _CellReader) -> SheetGrid:
        fixes = cells.fixes
        source = sheet.to_python(skip_empty_area=False)
        del sheet  # calamine's own copy of the cells: freed before the grid is built
        columns, guessed = _columns(source)
        del source
        missing = [ref for ref in guessed if ref not in fixes]
        if missing:
            # A format calamine takes for a date and openpyxl does not: only the stored number
            # says what openpyxl shows, so find those cells by their reference.
            fixes.update(cells.read(cells.find(missing)))
        return _grid(columns, fixes, cells.xml.merged(), cells.formulas)

    def _date_cell_searches(self, prefix: bytes) -> _DateSearches:
        """Searches for the cells whose style openpyxl shows as a date or time (compiled once
        per workbook and namespace prefix)."""
        if prefix not in self._date_searches:
            self._date_searches[prefix] = _DateSearches(sorted(self._date_styles), prefix)
        return self._date_searches[prefix]

    def _date(self, text: bytes, style: bytes) -> CellValue:
        """A stored number in a date-styled cell, as openpyxl shows it; kept, because a date
        column repeats the same days over and over."""
        value = self._dates[text, style] = self._number(text.decode(), int(style))
        return value

    def _number(self, text: str, style: int) -> CellValue:
        # openpyxl's _cast_number: the stored text decides int or float, not the value.
        number = float(text) if "." in text or "E" in text or "e" in text else int(text)
        if style not in self._date_styles:
            return number
        try:
            moment = from_excel(number, self._epoch, timedelta=style in self._timedelta_styles)
        except (OverflowError, ValueError):
            return "#VALUE!"  # what openpyxl puts in a date cell outside the calendar
        return cell_value(moment)

    def _shared_string_fixes(self) -> dict[int, str]:
        """The shared strings calamine reads differently from openpyxl, by index, as openpyxl
        reads them; found by byte searches over the shared string table, once per workbook."""
        if self._string_fixes is None:
            self._string_fixes = {}
            if self._strings_part is not None:
                self._string_fixes = _string_fixes(self._archive.read(self._strings_part))
        return self._string_fixes

    # ---- the exact path: openpyxl's own parser ----------------------------------------------

    def _openpyxl_grid(self, xml: _SheetXml) -> SheetGrid:
        if self._all_strings is None:
            self._all_strings = []
            if self._strings_part is not None:
                with self._archive.open(self._strings_part) as source:
                    self._all_strings = read_string_table(source)
        formulas: set[tuple[int, int]] = set()
        values, merged = self.parse_cells(BytesIO(xml.data), self._all_strings, formulas)
        return _grid([], values, merged, formulas)


class _DateSearches:
    """The searches for cells with a style that openpyxl shows as a date or time.

    `marker` finds s="N" after a space, which is how every writer we know of separates
    attributes; `spaced` the same after a tab, CR or LF (each run only when that byte is in the
    sheet at all). `whole` reads a plain-number cell whose start tag is <c r="REF" s="N"> in
    one go. (r="REF" s="N" cannot occur in text: it would need the "<" of </c> after it.)
    """

    def __init__(self, styles: list[int], prefix: bytes) -> None:
        p = re.escape(prefix)
        style = rb's="0*(' + b"|".join(str(i).encode() for i in styles) + rb')"'
        self.marker = re.compile(rb" " + style)
        self.spaced = [(space, re.compile(space + style)) for space in (b"\t", b"\n", b"\r")]
        self.whole = re.compile(
            rb'r="([A-Z]{1,3})([1-9][0-9]{0,6})" '
            + style
            + rb'(?: t="n")?(?:/>|>(?:<'
            + p
            + rb"v>([-+.0-9Ee]*)</"
            + p
            + rb"v>)?</"
            + p
            + rb"c>)"
        )


def _columns(source: list[list[Any]]) -> tuple[list[list[Any]], list[tuple[int, int]]]:
    """calamine's rows as columns of snapshot values, and the cells calamine gave as dates.

    Column by column, because a column nearly always holds one kind of value: a column of
    text needs only "" -> None, done by a dict lookup in C, and only a column that has floats
    pays for a Python-level look at each of its cells.
    """
    if not source:
        return [], []
    width = max(map(len, source))
    for row in source:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
    columns: list[list[Any]] = []
    guessed: list[tuple[int, int]] = []
    for index, column in enumerate(zip(*source, strict=True), start=1):
        kinds = set(map(type, column))
        if kinds & _TEMPORAL:
            guessed.extend(
                (number, index)
                for number, value in enumerate(column, start=1)
                if value.__class__ in _TEMPORAL
            )
        if float in kinds:
            # Unless the scan found its stored text, a float came from a plain integer ("3",
            # an int in openpyxl) or from a decimal with a non-zero fraction ("3.25").
            columns.append(
                [
                    (int(v) if v.is_integer() else v) if v.__class__ is float else _EMPTY.get(v, v)
                    for v in column
                ]
            )
        elif kinds == {str}:
            # The same text down a column (a status, an owner, a next action) is kept once.
            texts = list(map(_EMPTY.get, column, column))
            seen: dict[Any, Any] = {}
            columns.append(list(map(seen.setdefault, texts, texts)))
        else:
            columns.append(list(map(_EMPTY.get, column, column)))
    return columns, guessed


def _grid(
    columns: list[list[Any]],
    fixes: dict[tuple[int, int], Any],
    merged: Iterable[tuple[int, int, int, int]],
    formulas: Iterable[tuple[int, int]],
) -> SheetGrid:
    height = len(columns[0]) if columns else 0
    width = len(columns)
    if fixes and (max(fixes)[0] > height or max(map(itemgetter(1), fixes)) > width):
        # Some cell calamine left out (an error, an empty string) lies past its grid.
        for (row, column), value in fixes.items():
            if value is not None and value is not _KEEP:
                height = max(height, row)
                width = max(width, column)
    for cells in columns:
        cells.extend([None] * (height - len(cells)))
    columns.extend([None] * height for _ in range(width - len(columns)))
    for (row, column), value in fixes.items():
        if value is not _KEEP and row <= height and column <= width:
            columns[column - 1][row - 1] = value
    # openpyxl's workbook (the backend loads whole workbooks) empties every cell of a merged
    # range but its top-left one, whatever the file stored there.
    for min_col, min_row, max_col, max_row in merged:
        for column in range(min_col, min(max_col, width) + 1):
            cells = columns[column - 1]
            for row in range(min_row, min(max_row, height) + 1):
                if (row, column) != (min_row, min_col):
                    cells[row - 1] = None
    rows: list[tuple[CellValue, ...]] = list(zip(*columns, strict=True))
    found = frozenset(formulas)
    unresolved = frozenset(
        (row, column)
        for row, column in found
        if row > height or column > width or rows[row - 1][column - 1] is None
    )
    return SheetGrid(rows, found, unresolved)


# ---- the sheet XML ------------------------------------------------------------------------

_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData[\s/>]")
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?worksheet[\s>]([^>]*)>")
_NAMESPACE = re.compile(rb"""xmlns(?::[\w.-]+)?\s*=\s*(?:"[^"]*"|'[^']*')""")
_ATTRIBUTE = re.compile(rb'([\w:.-]+)="([^"]*)"')
_REF = re.compile(rb"([A-Z]{1,3})([1-9][0-9]{0,6})")
_DECLARATION = re.compile(rb"<\?xml[^>]*encoding=[\"']([^\"']+)")
_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")
_CDATA = re.compile(rb"<!\[CDATA\[")
_AFTER_TAG_NAME = (b" ", b">", b"/", b"\t", b"\r", b"\n")


class _Patterns:
    """The byte searches for one namespace prefix (b"" in nearly every file)."""

    def __init__(self, prefix: bytes) -> None:
        p = re.escape(prefix)
        self.cell_open = b"<" + prefix + b"c"
        self.cell = re.compile(rb"<" + p + rb"c(?=[\s/>])([^>]*?)(/>|>(.*?)</" + p + rb"c>)", re.S)
        self.formula = re.compile(rb"<" + p + rb"f[\s/>]")
        self.value = re.compile(rb"<" + p + rb"v(?:\s[^>]*)?(?:/>|>(.*?)</" + p + rb"v>)", re.S)
        # A stored value calamine's float cannot stand for: anything but a plain integer of at
        # most 15 digits (exact in a float) or a short decimal with a non-zero fraction (never
        # a whole number). Errors, ISO dates and formulas' text results land here as well.
        v, end = rb"<" + p + rb"v(?:\s[^>]*)?>", rb"</" + p + rb"v>"
        self.value_open, self.value_close = v, end
        self.odd_value = re.compile(
            v + rb"(?!-?[0-9]{1,15}" + end
            + rb"|(?=[-0-9.]{1,17}" + end + rb")-?[0-9]*\.[0-9]*[1-9][0-9]*" + end + rb")"
        )  # fmt: skip
        self.index_value = re.compile(v + rb"([0-9]+)" + end)
        # Text that starts with whitespace, an entity or CDATA, or is empty: calamine trims
        # or drops it unless xml:space="preserve" says otherwise. (Text that ends so is found
        # by the needles of _text_suspects.)
        self.text_open = re.compile(rb"<" + p + rb"t(?:>[\s&<]|\s[^>]*>[\s&<]|(?:\s[^>]*)?/>)")
        self.any_text = re.compile(rb"<" + p + rb"t[\s/>]")
        self.text_tag = b"<" + prefix + b"t"
        self.text_close = b"</" + prefix + b"t>"
        self.item = re.compile(rb"<" + p + rb"si[\s/>]")
        self.whole_item = re.compile(
            rb"<" + p + rb"si(?:\s[^>]*)?(?:/>|>.*?</" + p + rb"si>)", re.S
        )
        self.empty_item = re.compile(
            rb"<" + p + rb"si(?:\s[^>]*)?(?:/>|>\s*(?:</" + p + rb"si>|<" + p + rb"rPh[\s>]"
            + rb"|<" + p + rb"phoneticPr[\s/>]))"
        )  # fmt: skip
        self.quoted = re.compile(rb"<" + p + rb"c\s[^>]*='")
        self.merge = re.compile(rb"<" + p + rb'mergeCell\s[^>]*?ref="([^"]*)"')


_PATTERNS: dict[bytes, _Patterns] = {}


def _patterns(prefix: bytes) -> _Patterns:
    if prefix not in _PATTERNS:
        _PATTERNS[prefix] = _Patterns(prefix)
    return _PATTERNS[prefix]


def _text_suspects(data: bytes, start: int, end: int, p: _Patterns) -> list[int]:
    """Where a text element may read differently in calamine: an edge of whitespace, an
    entity, an escape, CDATA. Every needle but the first runs only when a one-byte memchr
    says it can match at all: each full search of a large sheet costs tens of milliseconds."""
    found = [m.start() for m in p.text_open.finditer(data, start, end)]
    found.extend(m.start() for m in _ESCAPE.finditer(data, start, end))
    if not found and p.any_text.search(data, start, end) is None:
        return found
    needles = [b" " + p.text_close]
    needles.extend(c + p.text_close for c in (b"\t", b"\n", b"\r") if data.find(c, start, end) >= 0)
    if data.find(b"&", start, end) >= 0:
        needles.append(b"&#")  # a character reference may stand for whitespace
    for needle in needles:
        at = data.find(needle, start, end)
        while at >= 0:
            found.append(at)
            at = data.find(needle, at + 1, end)
    if data.find(b"[", start, end) >= 0:
        found.extend(m.start() for m in _CDATA.finditer(data, start, end))
    return found


def _string_cells(
    data: bytes, start: int, end: int, p: _Patterns, strings: dict[int, str]
) -> list[int]:
    """Where a value names one of these shared strings (an index in a <v>; a cell that is a
    number with the same digits is read again for nothing, harmlessly)."""
    if len(strings) <= 64:
        # A search for those indices alone keeps the loop over matches in C.
        indices = b"|".join(str(i).encode() for i in sorted(strings, reverse=True))
        search = re.compile(p.value_open + rb"(?:" + indices + rb")" + p.value_close)
        return [m.start() for m in search.finditer(data, start, end)]
    return [
        m.start() for m in p.index_value.finditer(data, start, end) if int(m.group(1)) in strings
    ]


class _SheetXml:
    """A worksheet part: its bytes, the span of its sheetData and its namespace prefix."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        declared = _DECLARATION.match(data)
        # The searches take the bytes for UTF-8 (or ASCII), as every writer we know stores them.
        self.utf8 = data[:2] not in (b"\xff\xfe", b"\xfe\xff") and (
            declared is None or declared.group(1).lower() in (b"utf-8", b"utf8", b"us-ascii")
        )
        found = _SHEET_DATA.search(data)
        self.prefix = (found.group(1) or b"") if found is not None else b""
        self.patterns = _patterns(self.prefix)
        if found is None or data[found.end() - 1 : found.end()] == b"/":
            self.start = self.end = len(data)  # no cells
        else:
            self.start = found.end()
            close = data.find(b"</" + self.prefix + b"sheetData>", self.start)
            self.end = close if close >= 0 else len(data)
        root = _ROOT.search(data, 0, self.start)
        self.namespaces = b" ".join(_NAMESPACE.findall(root.group(1))) if root else b""

    def merged(self) -> list[tuple[int, int, int, int]]:
        return [
            range_boundaries(m.group(1).decode())
            for m in self.patterns.merge.finditer(self.data, self.end)
        ]

    def element(self, fragment: bytes) -> Any:
        # A piece of the sheet parsed on its own needs the root's namespace declarations.
        try:
            return ET.fromstring(b"<w " + self.namespaces + b">" + fragment + b"</w>")[0]
        except ET.ParseError:
            raise _Fallback from None


class _CellReader:
    """Finds the cells of one tab that calamine may have wrong, and reads them as openpyxl."""

    def __init__(self, xml: _SheetXml, book: FastWorkbook) -> None:
        self.xml = xml
        self.book = book
        self.formulas: set[tuple[int, int]] = set()
        self.fixes: dict[tuple[int, int], Any] = {}
        self._parser: Any = None

    def scan(self) -> bool:
        """Puts in `fixes` the openpyxl value of every cell calamine may have wrong (or _KEEP
        where it has it right after all), and in `formulas` the formula cells. False when the
        tab holds something the searches cannot vouch for: openpyxl's parser must read it."""
        try:
            self.fixes = self._scan()
        except _Fallback:
            return False
        return True

    def _scan(self) -> dict[tuple[int, int], Any]:
        xml, book, data, p = self.xml, self.book, self.xml.data, self.xml.patterns
        start, end = xml.start, xml.end
        fixes: dict[tuple[int, int], Any] = {}
        if not xml.utf8:
            raise _Fallback
        if start >= end:
            return fixes
        # Attributes in single quotes: the searches look for ="..." only. (A one-byte memchr
        # first, so a tab with no apostrophe at all pays nothing for the check.)
        if data.find(b"'", start, end) >= 0 and p.quoted.search(data, start, end):
            raise _Fallback
        in_tag: list[int] = []  # markers that must lie in a cell's start tag
        if book._date_styles:
            if 0 in book._date_styles:
                raise _Fallback  # every cell without a style is a date: nothing to search for
            self._date_cells(book._date_cell_searches(xml.prefix), fixes, in_tag)
        anywhere = [m.start() for m in p.formula.finditer(data, start, end)]
        anywhere.extend(m.start() for m in p.odd_value.finditer(data, start, end))
        anywhere.extend(_text_suspects(data, start, end, p))
        strings = book._shared_string_fixes()
        if strings:
            anywhere.extend(_string_cells(data, start, end, p, strings))
        cells: dict[int, re.Match[bytes]] = {}
        for positions, tag_only in ((in_tag, True), (anywhere, False)):
            for at in positions:
                cell = self._cell_around(at)
                if cell is not None and (not tag_only or at < cell.start(2)):
                    cells[cell.start()] = cell
        fixes.update(self.read(cells.values()))
        return fixes

    def find(self, refs: list[tuple[int, int]]) -> list[re.Match[bytes]]:
        """The cells at these (row, column) references, found by their r attribute."""
        data, xml = self.xml.data, self.xml
        found: list[re.Match[bytes]] = []
        at = xml.start
        for row, column in sorted(refs):
            needle = b' r="' + _letters(column) + str(row).encode() + b'"'
            # Cells are stored in order, so each search goes on from the last one.
            hit = data.find(needle, at, xml.end)
            if hit < 0:
                hit = data.find(needle, xml.start, xml.end)
            cell = self._cell_around(hit) if hit >= 0 else None
            if cell is None or hit >= cell.start(2):
                raise _Fallback
            found.append(cell)
            at = cell.end()
        return found

    def read(self, cells: Iterable[re.Match[bytes]]) -> dict[tuple[int, int], Any]:
        return dict(self._read_cell(cell) for cell in cells)

    def _date_cells(
        self, searches: _DateSearches, fixes: dict[tuple[int, int], Any], others: list[int]
    ) -> None:
        """Reads the date-styled cells written <c r="REF" s="N"><v>NUMBER</v></c>, as Excel,
        openpyxl and XlsxWriter write a date, straight from one search; leaves in `others`
        where every other date style is (a formula's cell, a row's style, another layout).

        A long date column makes this the hottest loop of a read: while every date style
        found is in such a cell, one findall (in C) gives all it needs, positions included.
        """
        data, start, end = self.xml.data, self.xml.start, self.xml.end
        dates, columns, date = self.book._dates, _COLUMNS, self.book._date
        found = searches.whole.findall(data, start, end)
        if len(found) == len(searches.marker.findall(data, start, end)):
            for letters, row, style, text in found:
                value = dates.get((text, style), _KEEP) if text else None
                if value is _KEEP:
                    value = date(text, style)
                fixes[int(row), columns.get(letters) or _column(letters)] = value
        else:
            covered = []  # where the cells read here start and end
            for m in searches.whole.finditer(data, start, end):
                letters, row, style, text = m.groups()
                value = dates.get((text, style), _KEEP) if text else None
                if value is _KEEP:
                    value = date(text, style)
                fixes[int(row), columns.get(letters) or _column(letters)] = value
                covered.append((m.start(), m.end()))
            spans = iter(covered)
            span = next(spans, (end, end))
            for m in searches.marker.finditer(data, start, end):
                at = m.start()
                while span[1] <= at:
                    span = next(spans, (end, end))
                if not span[0] <= at:
                    others.append(at)
        for space, search in searches.spaced:
            if data.find(space, start, end) >= 0:
                others.extend(m.start() for m in search.finditer(data, start, end))

    def _cell_around(self, at: int) -> re.Match[bytes] | None:
        data, p = self.xml.data, self.xml.patterns
        opening = p.cell_open
        start = at + 1
        while True:
            start = data.rfind(opening, self.xml.start, start)
            if start < 0:
                return None
            follows = data[start + len(opening) : start + len(opening) + 1]
            if follows in _AFTER_TAG_NAME:
                break  # not <color .../> in rich text or another tag that starts with "c"
        if follows in (b">", b"/"):
            raise _Fallback  # a cell with no reference: only a full parse can place it
        cell = p.cell.match(data, start)
        if cell is None or cell.end() <= at:
            return None
        return cell

    def _read_cell(self, cell: re.Match[bytes]) -> tuple[tuple[int, int], Any]:
        """One cell's value as openpyxl's WorkSheetParser.parse_cell (data_only) reads it: its
        common shapes here, inline strings and text with entities by that method itself."""
        attributes = dict(_ATTRIBUTE.findall(cell.group(1)))
        ref = attributes.get(b"r")
        if ref is None:
            raise _Fallback
        position = _position(ref)
        inner = cell.group(3) or b""
        p = self.xml.patterns
        if p.formula.search(inner):
            self.formulas.add(position)
        kind = attributes.get(b"t", b"n")
        if kind == b"inlineStr":
            return position, self._openpyxl_value(cell)
        found = p.value.search(inner)
        raw = found.group(1) if found is not None else None
        if not raw:
            return position, None  # findtext() gives "" or None, and openpyxl keeps None
        if b"&" in raw or b"<" in raw or b"\r" in raw:
            return position, self._openpyxl_value(cell)  # entities, CDATA, line ends
        text = raw.decode()
        if kind == b"n":
            style = attributes.get(b"s")
            return position, self.book._number(text, int(style) if style else 0)
        if kind == b"s":
            return position, self.book._shared_string_fixes().get(int(text), _KEEP)
        if kind == b"b":
            return position, bool(int(text))
        if kind in (b"e", b"str"):
            return position, text
        return position, self._openpyxl_value(cell)  # "d" (ISO 8601 dates) and the rest

    def _openpyxl_value(self, cell: re.Match[bytes]) -> Any:
        if self._parser is None:
            book = self.book
            self._parser = WorkSheetParser(
                None,
                _StringView(book._shared_string_fixes()),
                data_only=True,
                epoch=book._epoch,
                date_formats=book._date_styles,
                timedelta_formats=book._timedelta_styles,
            )
        element = self.xml.element(cell.group(0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = self._parser.parse_cell(element)["value"]
        return value if value is _KEEP else cell_value(value)


class _StringView:
    """Shared strings for openpyxl's cell parser: a fixed one, or "calamine has it right"."""

    def __init__(self, fixes: dict[int, str]) -> None:
        self._fixes = fixes

    def __getitem__(self, index: int) -> str | _Keep:
        return self._fixes.get(index, _KEEP)


def _position(ref: bytes) -> tuple[int, int]:
    plain = _REF.fullmatch(ref)
    if plain is not None:
        return int(plain.group(2)), _column(plain.group(1))
    try:
        row, column = coordinate_to_tuple(ref.decode())  # "$A$1", lower case: as openpyxl
    except (ValueError, TypeError):
        raise _Fallback from None
    return int(row), int(column)


_COLUMNS: dict[bytes, int] = {}


def _column(letters: bytes) -> int:
    if letters not in _COLUMNS:
        index = 0
        for letter in letters:
            index = index * 26 + letter - 64
        _COLUMNS[letters] = index
    return _COLUMNS[letters]


def _letters(column: int) -> bytes:
    letters = b""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = bytes([65 + rest]) + letters
    return letters


# ---- shared strings -----------------------------------------------------------------------

_SST = re.compile(rb"<([A-Za-z_][\w.-]*:)?sst[\s>]([^>]*)>")


def _string_fixes(data: bytes) -> dict[int, str]:
    root = _SST.search(data)
    if root is None:
        return {}
    p = _patterns(root.group(1) or b"")
    namespaces = b" ".join(_NAMESPACE.findall(root.group(2)))
    suspects: list[int] = []
    for at in _text_suspects(data, root.end(), len(data), p):
        # Excel marks text with whitespace at an edge xml:space="preserve", and calamine then
        # keeps it: only the empty ones (which calamine gives as "", read as no value) and
        # the unmarked ones need openpyxl's reading.
        if data.startswith(p.text_close, at + 1) and data[at] in b" \t\r\n":
            if _preserved(data, at, p):
                continue
        elif data.startswith(p.text_tag, at):
            close = data.find(b">", at)
            empty = data[close - 1] == 0x2F or data[close + 1] == 0x3C  # <t .../> or <t ...><
            if not empty and b"preserve" in data[at:close]:
                continue
        suspects.append(at)
    suspects.extend(m.start() for m in p.empty_item.finditer(data))
    at = data.find(b"x005F_")  # openpyxl deletes these from shared strings
    while at >= 0:
        suspects.append(at)
        at = data.find(b"x005F_", at + 1)
    if not suspects:
        return {}
    starts = [m.start() for m in p.item.finditer(data)]
    fixes: dict[int, str] = {}
    for index in sorted({bisect_right(starts, at) - 1 for at in suspects} - {-1}):
        item = p.whole_item.match(data, starts[index])
        if item is not None:
            element = ET.fromstring(b"<w " + namespaces + b">" + item.group(0) + b"</w>")[0]
            # Exactly openpyxl's read_string_table, for one item.
            fixes[index] = Text.from_tree(element).content.replace("x005F_", "")
    return fixes


def _preserved(data: bytes, end: int, p: _Patterns) -> bool:
    """Whether the <t> element that closes at `end` says xml:space="preserve"."""
    at = end
    while True:
        at = data.rfind(p.text_tag, 0, at)
        if at < 0:
            return False
        if data[at + len(p.text_tag) : at + len(p.text_tag) + 1] in _AFTER_TAG_NAME:
            return b"preserve" in data[at : data.find(b">", at)]
