"""Ranges that follow a sheet's data: the used area, tables, filters, validation, formats.

When rows are appended under the data, a range that covered the data down to its last row is
meant to cover the new rows too (a dropdown on every lead, a table that holds every lead);
a range that stops elsewhere is a person's choice and is left as it is.
"""

from __future__ import annotations

import re

from sync.xlsx_cells import cell_ref, split_ref

_AREA = re.compile(r"(\$?[A-Za-z]{1,3}\$?\d+)(?::(\$?[A-Za-z]{1,3}\$?\d+))?")


def _grow_ref(ref: str, old_last: int, new_last: int) -> str:
    match = _AREA.fullmatch(ref)
    if match is None or match.group(2) is None:
        return ref  # a single cell is a choice, not a column of data
    first_row, _ = split_ref(match.group(1))
    last_row, _ = split_ref(match.group(2))
    if not (first_row <= old_last <= last_row < new_last):
        return ref
    end = match.group(2)
    digits = re.search(r"\d+$", end)
    assert digits is not None
    return f"{match.group(1)}:{end[: digits.start()]}{new_last}"


def grow_list(refs: str, old_last: int, new_last: int) -> str:
    """A space-separated list of ranges (an sqref) with the data's ranges grown."""
    return " ".join(_grow_ref(ref, old_last, new_last) for ref in refs.split())


def grow_sheet_ranges(text: str, prefix: str, old_last: int, new_last: int) -> str:
    """Grow the autofilter, validation and conditional-format ranges of a worksheet part."""
    if new_last <= old_last:
        return text

    def attribute(match: re.Match[str]) -> str:
        grown = grow_list(match.group(3), old_last, new_last)
        return f'{match.group(1)}{match.group(2)}="{grown}"'

    tags = "|".join(
        f"{prefix}{t}" for t in ("autoFilter", "dataValidation", "conditionalFormatting")
    )
    text = re.sub(rf'(<(?:{tags})\b[^>]*?\s)(ref|sqref)="([^"]*)"', attribute, text)
    # Excel 2010 keeps some validation and formats in an extension list, ranges as text.
    return re.sub(
        r"(<(\w+:)?sqref>)([^<]*)(</\2?sqref>)",
        lambda m: m.group(1) + grow_list(m.group(3), old_last, new_last) + m.group(4),
        text,
    )


def grow_table(text: str, old_last: int, new_last: int) -> str:
    """A table part whose rows end at the data's last row, holding the appended rows too."""
    if new_last <= old_last:
        return text
    table = re.search(r"<(\w+:)?table\b[^>]*>", text)
    if table is None:
        return text
    totals = re.search(r'\stotalsRowCount="(\d+)"', table.group(0))
    if totals and int(totals.group(1)) > 0:
        return text  # rows below a totals row would sit outside the table anyway
    return re.sub(
        r'(<(?:\w+:)?(?:table|autoFilter)\b[^>]*?\sref=")([^"]*)"',
        lambda m: m.group(1) + grow_list(m.group(2), old_last, new_last) + '"',
        text,
    )


def widen_dimension(
    text: str, prefix: str, rows: set[int], columns: set[int], was_empty: bool
) -> str:
    """The sheet's used-area hint, covering the cells just written."""
    if not rows or not columns:
        return text
    match = re.search(rf'(<{prefix}dimension\b[^>]*?\sref=")([^"]*)"', text)
    if match is None:
        return text  # optional; Excel works it out when it is missing
    area = _AREA.fullmatch(match.group(2))
    if area is None:
        return text
    top, left = split_ref(area.group(1))
    bottom, right = split_ref(area.group(2) or area.group(1))
    if was_empty:
        top, left, bottom, right = min(rows), min(columns), max(rows), max(columns)
    else:
        top, left = min(top, *rows), min(left, *columns)
        bottom, right = max(bottom, *rows), max(right, *columns)
    ref = cell_ref(top, left)
    if (bottom, right) != (top, left):
        ref += ":" + cell_ref(bottom, right)
    return text[: match.start()] + match.group(1) + ref + '"' + text[match.end() :]
