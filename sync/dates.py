"""Reading the dates people put in cells: real dates, serial numbers and typed text.

A spreadsheet date has no time zone; leadsync reads it as wall-clock time in the configured
zone. Serial numbers count days from the workbook's epoch, which is 1899-12-30 for the 1900
date system (Excel on Windows, Google Sheets) and 1904-01-01 for the 1904 system (old Mac files).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from enum import StrEnum

EPOCH_1900 = datetime(1899, 12, 30)
EPOCH_1904 = datetime(1904, 1, 1)


class DateOrder(StrEnum):
    DMY = "DMY"
    MDY = "MDY"
    YMD = "YMD"


class DateError(ValueError):
    """A cell that should hold a date holds something else; the message says what to type."""


_TEXT_DATE = re.compile(
    r"^\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$"
)

_EXAMPLE = {DateOrder.DMY: "25/11/2026", DateOrder.MDY: "11/25/2026", DateOrder.YMD: "2026-11-25"}


# Serials from_serial reads are under this: the day after 9999-12-31 in the 1900 system. With
# that epoch, every float under it is a date: the float below it is 9999-12-31 23:59:59.99996
# (floats are 40 microseconds apart there), so none rounds up into year 10000.
SERIAL_END = 2_958_466


def from_serial(serial: float, epoch: datetime = EPOCH_1900) -> datetime:
    if not 0 < serial < SERIAL_END:
        raise DateError(f"{serial!r} is not a date serial number")
    try:
        return epoch + timedelta(serial)  # days, positional: no keyword to parse per call
    except OverflowError:  # the 1904 epoch is 1,462 days later: past year 9999 sooner
        raise DateError(f"{serial!r} is not a date serial number") from None


def day_text(moment: date) -> str:
    """The day as f"{moment:%Y-%m-%d}" writes it, a datetime's too.

    Through isoformat, which says the same from year 1000 on for about a tenth of the cost of
    a strftime (that imports the time module and builds a struct_time per call); below year
    1000, %Y is not padded to four digits, so those few days still go through strftime.
    """
    if moment.year < 1000:
        return f"{moment:%Y-%m-%d}"
    return date.isoformat(moment)  # date's, not datetime's: no time of day


def parse_text_date(text: str, order: DateOrder) -> datetime:
    match = _TEXT_DATE.match(text)
    if not match:
        raise DateError(f"'{text}' is not a date; type it like {_EXAMPLE[order]}")
    a, b, c, hh, mm, ss = match.groups()
    if len(a) == 4:  # 2026-11-25 is unambiguous whatever the configured order
        year, month, day = int(a), int(b), int(c)
    elif order is DateOrder.DMY:
        day, month, year = int(a), int(b), int(c)
    elif order is DateOrder.MDY:
        month, day, year = int(a), int(b), int(c)
    else:
        raise DateError(f"'{text}' does not start with a year; type it like {_EXAMPLE[order]}")
    if year < 100:
        year += 2000
    try:
        return datetime(year, month, day, int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        raise DateError(f"'{text}' is not a real date; type it like {_EXAMPLE[order]}") from None


def read_date(value: object, order: DateOrder, epoch: datetime = EPOCH_1900) -> datetime | None:
    """A naive wall-clock datetime from a cell value; None for an empty cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, bool):
        raise DateError(f"{value!r} is not a date; type it like {_EXAMPLE[order]}")
    if isinstance(value, int | float):
        return from_serial(float(value), epoch)
    return parse_text_date(str(value), order)
