"""A1 notation the way the Sheets API reads and writes it.

Reads: 'It''s a tab'!A1:B2, Tab!A:C, Tab!2:5, Tab!A2:C, Tab!A1:1, a tab name alone, or cells
alone (which mean the first tab). Writes: the tab name quoted only when it needs quotes
("Sheet1!A1:Z1", "'🌵 tab'!A1:C2"), as every recorded answer shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ENDPOINT = re.compile(r"^\$?([A-Za-z]{0,3})\$?(\d{0,7})$")
# A title is written bare only when it cannot be mistaken for anything else.
_BARE_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CELL_LIKE = re.compile(r"^([A-Za-z]{1,3}\d+|[Rr]\d+[Cc]\d+)$")


class RangeError(ValueError):
    """The text is not a range; the API answers "Unable to parse range: <text>"."""


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """A -> 0, AA -> 26."""
    index = 0
    for char in letters.upper():
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index - 1


@dataclass(frozen=True)
class Bounds:
    """Zero-based, end-exclusive edges of a range; None is an open edge (to the grid's end)."""

    start_row: int
    end_row: int | None
    start_col: int
    end_col: int | None

    def clip(self, rows: int, cols: int) -> Bounds:
        """Close the open edges at the grid's size."""
        end_row = rows if self.end_row is None else self.end_row
        end_col = cols if self.end_col is None else self.end_col
        return Bounds(self.start_row, end_row, self.start_col, end_col)

    @property
    def rows(self) -> int:
        assert self.end_row is not None
        return self.end_row - self.start_row

    @property
    def cols(self) -> int:
        assert self.end_col is not None
        return self.end_col - self.start_col


WHOLE = Bounds(0, None, 0, None)


@dataclass(frozen=True)
class A1:
    """A parsed range: the tab as written (None: the first tab) and its cells."""

    title: str | None
    written_title: str | None
    bounds: Bounds
    names_cells: bool


def split(text: str) -> tuple[str | None, str | None, str | None]:
    """Split into (tab title, tab as written, cell part); each may be missing."""
    if text.startswith("'"):
        i, title = 1, ""
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    title, i = title + "'", i + 2
                    continue
                rest = text[i + 1 :]
                if rest == "":
                    return title, text, None
                if rest.startswith("!"):
                    return title, text[: i + 1], rest[1:]
                raise RangeError(text)
            title, i = title + text[i], i + 1
        raise RangeError(text)
    if "!" in text:
        title, _, cells = text.rpartition("!")
        return title, title, cells
    return None, None, text


def parse_cells(part: str) -> Bounds:
    """Parse the cell part: A1, A1:B2, A:C, 2:5, A2:C, A1:1."""
    ends = part.split(":")
    if len(ends) > 2 or not part:
        raise RangeError(part)
    parsed = []
    for end in ends:
        match = _ENDPOINT.match(end)
        if not match or (not match.group(1) and not match.group(2)):
            raise RangeError(part)
        col = column_index(match.group(1)) if match.group(1) else None
        row = int(match.group(2)) - 1 if match.group(2) else None
        if row is not None and row < 0:
            raise RangeError(part)
        parsed.append((col, row))
    (c0, r0), (c1, r1) = parsed[0], parsed[-1]
    if len(parsed) == 1:
        if c0 is None:  # "5": the whole row
            return Bounds(r0 or 0, (r0 or 0) + 1, 0, None)
        if r0 is None:  # "C": the whole column
            return Bounds(0, None, c0, c0 + 1)
        return Bounds(r0, r0 + 1, c0, c0 + 1)
    start_row, end_row = r0 or 0, None if r1 is None else r1 + 1
    start_col, end_col = c0 or 0, None if c1 is None else c1 + 1
    # Reversed corners (B2:A1) name the same cells as A1:B2.
    if end_row is not None and end_row <= start_row:
        start_row, end_row = end_row - 1, start_row + 1
    if end_col is not None and end_col <= start_col:
        start_col, end_col = end_col - 1, start_col + 1
    return Bounds(start_row, end_row, start_col, end_col)


def parse(text: str, titles: list[str]) -> A1:
    """Parse a range against the tab titles the spreadsheet has."""
    title, written, cells = split(text)
    if title is None:
        assert cells is not None
        if cells in titles:  # a tab's name wins over cells it could also be read as
            return A1(cells, cells, WHOLE, False)
        return A1(None, None, parse_cells(cells), True)
    if cells is None:
        return A1(title, written, WHOLE, False)
    return A1(title, written, parse_cells(cells), True)


def quote_title(title: str) -> str:
    """Quote a tab title the way the API writes it back."""
    if _BARE_TITLE.match(title) and not _CELL_LIKE.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def cells_text(bounds: Bounds) -> str:
    """A1 text of the cells; an open end is written without its row or column."""
    start = f"{column_letters(bounds.start_col)}{bounds.start_row + 1}"
    end_col = "" if bounds.end_col is None else column_letters(bounds.end_col - 1)
    end_row = "" if bounds.end_row is None else str(bounds.end_row)
    if end_col + end_row == start:
        return start
    return f"{start}:{end_col}{end_row}"


def range_text(title: str, bounds: Bounds) -> str:
    """Tab!A1:B2, the form every API answer uses."""
    return f"{quote_title(title)}!{cells_text(bounds)}"
