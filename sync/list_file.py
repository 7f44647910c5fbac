"""Reading a list to import: a CSV export or an .xlsx file, as rows of cell values.

Lists come from anywhere: a trade-fair badge scanner, a CRM export, a colleague's Excel.
CSV files are UTF-8 (with or without the BOM Excel writes) or, from older Windows software,
Windows-1252; Italian and most continental Excel versions separate fields with ';'. Nothing of
that is asked of the person: the encoding is the one the bytes decode in, the delimiter the one
under which the header row names the most known columns, and the report says what was assumed.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sync.errors import ListError
from sync.layout import HEADER_SEARCH_ROWS, find_headers
from sync.snapshot import CellValue
from sync.xlsx_read import FastWorkbook

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}

Grid = tuple[tuple[CellValue, ...], ...]


@dataclass(frozen=True)
class ListTable:
    name: str  # the file's name, as rows are reported ("contacts.csv row 7")
    rows: Grid  # every row of the list, row 1 first, text trimmed, empty cells None
    read_as: str  # what was assumed: "UTF-8 with BOM, semicolon-separated" or "sheet 'Foglio1'"


def read_list(path: Path, aliases: dict[str, str], sheet: str | None = None) -> ListTable:
    """The rows of a CSV or .xlsx list; `aliases` (header text -> field) pick a CSV delimiter."""
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        hint = " (an old Excel file: save it as .xlsx or CSV)" if suffix == ".xls" else ""
        raise ListError(
            f"{path.name}: leadsync imports .csv and .xlsx lists, not '{suffix or path.name}'{hint}"
        )
    try:
        content = path.read_bytes()
    except OSError as error:
        raise ListError(f"{path} could not be read ({error.strerror}); check the path") from None
    if suffix in XLSX_SUFFIXES:
        return _xlsx_list(content, path.name, sheet)
    if sheet is not None:
        raise ListError(f"--sheet is for .xlsx lists; {path.name} is a CSV file with one table")
    text, encoding = decode_csv(content)
    rows, delimiter = split_csv(text, aliases)
    return ListTable(path.name, rows, f"{encoding}, {DELIMITERS[delimiter]}-separated")


def decode_csv(content: bytes) -> tuple[str, str]:
    """The text of a CSV file and the name of the encoding it was read in."""
    for bom, codec, name in (
        (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
        (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
    ):
        if content.startswith(bom):
            return content.decode(codec), name
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), "Windows-1252 (it is not UTF-8)"
    except UnicodeDecodeError:
        # Five bytes mean nothing in Windows-1252; Latin-1 reads every byte as something.
        return content.decode("latin-1"), "Latin-1 (it is neither UTF-8 nor Windows-1252)"


def split_csv(text: str, aliases: dict[str, str]) -> tuple[Grid, str]:
    """Rows of the CSV text and the delimiter chosen for them.

    The delimiter is the one under which the header row names the most known columns; a tie
    (a list whose headers leadsync knows under none) goes to the one giving the widest header.
    """
    best: tuple[tuple[int, int], Grid, str] | None = None
    for delimiter in DELIMITERS:
        rows = _parse(text, delimiter)
        _index, found = find_headers(rows[:HEADER_SEARCH_ROWS], aliases)
        width = max((len(r) for r in rows[:HEADER_SEARCH_ROWS]), default=0)
        score = (len(found), width)
        if best is None or score > best[0]:
            best = (score, rows, delimiter)
    assert best is not None
    return best[1], best[2]


def _parse(text: str, delimiter: str) -> Grid:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return tuple(tuple(_cell(value) for value in row) for row in reader)


def _cell(value: CellValue) -> CellValue:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _xlsx_list(content: bytes, name: str, sheet: str | None) -> ListTable:
    with FastWorkbook(content, name) as book:  # says itself when the file is no workbook
        names = book.sheet_names
        chosen = sheet if sheet is not None else (names[0] if names else None)
        if chosen is None or chosen not in names:
            raise ListError(
                f"{name} has no sheet named '{chosen}' (it has: {', '.join(names)}); "
                "choose one with --sheet"
            )
        rows: Sequence[Sequence[CellValue]] = book.grid(chosen).rows
        grid = tuple(tuple(_cell(value) for value in row) for row in rows)
    return ListTable(name, grid, f"sheet '{chosen}'")
