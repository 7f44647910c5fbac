"""Cell references and cell values as SpreadsheetML text, for writes that patch a sheet part."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from sync.dates import EPOCH_1900, EPOCH_1904
from sync.snapshot import CellValue
from sync.xml_text import escape

_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
# Characters XML 1.0 cannot hold; Excel stores them as _xHHHH_ escapes.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LOOKS_ESCAPED = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def column_letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def split_ref(ref: str) -> tuple[int, int]:
    """'$C$7' -> (7, 3): row, column."""
    match = _REF.fullmatch(ref.strip())
    if match is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(match.group(2)), column_number(match.group(1))


def cell_ref(row: int, column: int) -> str:
    return f"{column_letters(column)}{row}"


def text_xml(text: str) -> str:
    """Text for a <t> element: escaped, with what XML cannot carry written as Excel does."""
    text = _LOOKS_ESCAPED.sub(r"_x005F_\1", text)
    text = _UNSAFE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return escape(text)


def serial(value: date | datetime, date1904: bool) -> float:
    """A date as the number Excel stores, in the workbook's own date system."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, time())
    epoch = EPOCH_1904 if date1904 else EPOCH_1900
    days = (moment.replace(tzinfo=None) - epoch).total_seconds() / 86400
    if not date1904 and days < 61:
        days -= 1  # Excel's 1900 system counts a 29 February 1900 that never was
    return days


def number_text(value: float) -> str:
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return repr(value)


def value_xml(ref: str, value: CellValue, style: int | None, date1904: bool) -> str:
    """One <c> element holding `value`; a None or empty value leaves only the styled cell."""
    attrs = f' r="{ref}"' + (f' s="{style}"' if style else "")
    if value is None or value == "":
        return f"<c{attrs}/>"
    if isinstance(value, bool):
        return f'<c{attrs} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"<c{attrs}><v>{number_text(value)}</v></c>"
    if isinstance(value, datetime | date):
        return f"<c{attrs}><v>{number_text(serial(value, date1904))}</v></c>"
    text = str(value)
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c{attrs} t="inlineStr"><is><t{space}>{text_xml(text)}</t></is></c>'
