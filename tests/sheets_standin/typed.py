"""What a typed value becomes: valueInputOption USER_ENTERED, and RAW for contrast.

USER_ENTERED parses as the Sheets UI does for the spreadsheet's locale: "=..." is a formula,
"+39 02 1234" (a leading + or - that is not a number) becomes the formula "=+39 02 1234",
"'007" is the text "007", "TRUE" a boolean, "1,234.5" a number, "12%" a percent, and dates
(ISO YYYY-MM-DD everywhere; M/D/YYYY in en_US, D/M/YYYY in en_GB, it_IT, fr_FR, de_DE) become
serial numbers carrying a DATE number format. RAW stores strings as they are.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from .numfmt import serial


@dataclass(frozen=True)
class Locale:
    day_first: bool
    decimal: str
    group: str
    date_pattern: str


_LOCALES = {
    "en_US": Locale(False, ".", ",", "M/d/yyyy"),
    "en_GB": Locale(True, ".", ",", "dd/MM/yyyy"),
    "it_IT": Locale(True, ",", ".", "d/M/yyyy"),
    "fr_FR": Locale(True, ",", "\u202f", "dd/MM/yyyy"),
    "de_DE": Locale(True, ",", ".", "dd.MM.yyyy"),
}
_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_LOCAL_DATE = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")

Value = dict[str, Any]  # an ExtendedValue: {"numberValue": 2} and the like
Typed = tuple[Value | None, dict[str, Any] | None]  # the value and the number format it implies


def locale_of(name: str) -> Locale:
    return _LOCALES.get(name, _LOCALES["en_US"])


def raw(value: Any) -> Value | None:
    """RAW: numbers, booleans and strings are stored as given; "" empties the cell."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": value}
    if value == "":
        return None
    return {"stringValue": str(value)}


def user_entered(value: Any, locale_name: str) -> Typed:
    """USER_ENTERED: a JSON number or boolean stays what it is; a string is parsed."""
    if not isinstance(value, str):
        return raw(value), None
    text = value
    if text == "":
        return None, None
    if text.startswith("'"):
        return {"stringValue": text[1:]}, None
    if text.startswith("=") and len(text) > 1:
        return {"formulaValue": text}, None
    locale = locale_of(locale_name)
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return {"boolValue": stripped.upper() == "TRUE"}, None
    number = _number(stripped, locale)
    if number is not None:
        return number
    date = _date(stripped, locale)
    if date is not None:
        return date
    if stripped[:1] in "+-" and len(stripped) > 1:
        return {"formulaValue": "=" + stripped}, None
    return {"stringValue": text}, None


def _number(text: str, locale: Locale) -> Typed | None:
    group, decimal = re.escape(locale.group), re.escape(locale.decimal)
    currency = ""
    if text[:1] in "$€£":
        currency, text = text[0], text[1:]
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    pattern = rf"^[+-]?(?:\d{{1,3}}(?:{group}\d{{3}})+|\d+)?(?:{decimal}\d+)?(?:[eE][+-]?\d+)?$"
    if not re.match(pattern, text) or not re.search(r"\d", text):
        return None
    grouped = locale.group in text
    plain = text.replace(locale.group, "").replace(locale.decimal, ".")
    number = float(plain) / (100 if percent else 1)
    places = len(plain.partition(".")[2].partition("e")[0].partition("E")[0])
    value: Value = {"numberValue": int(number) if number == int(number) else number}
    decimals = "." + "0" * places if places else ""
    if percent:
        return value, {"type": "PERCENT", "pattern": f"0{decimals}%"}
    if currency:
        return value, {"type": "CURRENCY", "pattern": f'"{currency}"#,##0.00'}
    if grouped:
        return value, {"type": "NUMBER", "pattern": f"#,##0{decimals}"}
    return value, None


def _date(text: str, locale: Locale) -> Typed | None:
    iso = _ISO.match(text)
    if iso:
        year, month, day = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
        clock = iso.group(4, 5, 6)
        pattern = "yyyy-mm-dd"
    else:
        local = _LOCAL_DATE.match(text)
        if local:
            first, second = int(local.group(1)), int(local.group(3))
            day, month = (first, second) if locale.day_first else (second, first)
            year = int(local.group(4))
            if len(local.group(4)) == 2:  # two-digit years: 00-29 are 20xx, 30-99 are 19xx
                year += 2000 if year < 30 else 1900
            clock = local.group(5, 6, 7)
            pattern = locale.date_pattern
        else:
            time = _TIME.match(text)
            if not time:
                return None
            hour, minute, second = (int(g or 0) for g in time.groups())
            if hour > 23 or minute > 59 or second > 59:
                return None
            fraction = (hour * 3600 + minute * 60 + second) / 86400
            return {"numberValue": fraction}, {"type": "TIME", "pattern": "h:mm:ss am/pm"}
    try:
        hour, minute, second = (int(g or 0) for g in clock)
        moment = dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    number = serial(moment)
    value: Value = {"numberValue": int(number) if number == int(number) else number}
    if clock[0] is not None:
        return value, {"type": "DATE_TIME", "pattern": pattern + " h:mm:ss"}
    return value, {"type": "DATE", "pattern": pattern}
