"""Number formats: how a number cell is shown (FORMATTED_VALUE, FORMATTED_STRING).

Covers what a sales sheet uses: the automatic format, fixed decimals, grouping, percent,
currency, and date/time patterns over serial numbers (days since 1899-12-30, the fraction
being the time of day, as DateTimeRenderOption documents).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

EPOCH = dt.datetime(1899, 12, 30)
DATE_TYPES = ("DATE", "TIME", "DATE_TIME")

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_DATE_TOKEN = re.compile(
    r'"[^"]*"|\\.|yyyy|yy|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p|\.0+|.',
    re.IGNORECASE,
)
_NUMBER_CORE = re.compile(r"[#0?,]*\.[#0?]+|[#0?][#0?,]*")


def serial(value: dt.date | dt.datetime) -> float:
    """Days since 1899-12-30; a datetime keeps its time as the fraction."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value.replace(tzinfo=None) - EPOCH
    return delta.days + delta.seconds / 86400


def from_serial(number: float) -> dt.datetime:
    return EPOCH + dt.timedelta(days=number)


def automatic(number: float) -> str:
    """The format a cell has before anyone chooses one: 2, 1.5, 0.12, 0.3333333333."""
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    if abs(number) >= 1e15 or (number != 0 and abs(number) < 1e-10):
        mantissa, exponent = f"{number:.2E}".split("E")
        return f"{mantissa}E{'+' if int(exponent) >= 0 else '-'}{abs(int(exponent)):02d}"
    return f"{number:.10f}".rstrip("0").rstrip(".")


def render(number: float, number_format: dict[str, Any] | None) -> str:
    """A number as its cell shows it."""
    if not number_format:
        return automatic(number)
    kind = number_format.get("type", "NUMBER")
    pattern = number_format.get("pattern", "")
    if kind in DATE_TYPES:
        pattern = pattern or {"DATE": "M/d/yyyy", "TIME": "h:mm:ss am/pm"}.get(
            kind, "M/d/yyyy H:mm:ss"
        )
        return render_date(number, pattern)
    if kind == "TEXT" or not pattern:
        return automatic(number)
    return render_number(number, pattern)


def render_date(number: float, pattern: str) -> str:
    moment = from_serial(round(number * 86400) / 86400)
    tokens = _DATE_TOKEN.findall(pattern)
    twelve_hour = any(t.lower() in ("am/pm", "a/p") for t in tokens)
    out = []
    for i, token in enumerate(tokens):
        lower = token.lower()
        if lower.startswith("m") and lower in ("m", "mm") and _is_minute(tokens, i):
            out.append(f"{moment.minute:0{len(lower)}d}")
        elif lower in ("yyyy", "yy"):
            out.append(str(moment.year) if lower == "yyyy" else f"{moment.year % 100:02d}")
        elif lower in ("m", "mm"):
            out.append(f"{moment.month:0{len(lower)}d}")
        elif lower in ("mmm", "mmmm", "mmmmm"):
            name = _MONTHS[moment.month - 1]
            out.append({"mmm": name[:3], "mmmm": name, "mmmmm": name[0]}[lower])
        elif lower in ("d", "dd"):
            out.append(f"{moment.day:0{len(lower)}d}")
        elif lower in ("ddd", "dddd"):
            name = _DAYS[moment.weekday()]
            out.append(name[:3] if lower == "ddd" else name)
        elif lower in ("h", "hh"):
            hour = moment.hour % 12 or 12 if twelve_hour else moment.hour
            out.append(f"{hour:0{len(lower)}d}")
        elif lower in ("s", "ss"):
            out.append(f"{moment.second:0{len(lower)}d}")
        elif lower == "am/pm":
            out.append("AM" if moment.hour < 12 else "PM")
        elif lower == "a/p":
            out.append("A" if moment.hour < 12 else "P")
        elif lower.startswith(".0"):
            out.append(f".{moment.microsecond // 1000:03d}"[: len(lower)])
        else:
            out.append(_literal(token))
    return "".join(out)


def _is_minute(tokens: list[str], i: int) -> bool:
    """m is a minute right after an hour or right before a second, else a month."""
    before = [t.lower() for t in tokens[:i] if t.lower()[:1] in "hdmys"]
    after = [t.lower() for t in tokens[i + 1 :] if t.lower()[:1] in "hdmys"]
    return bool((before and before[-1][0] == "h") or (after and after[0][0] == "s"))


def _literal(token: str) -> str:
    if token.startswith('"'):
        return token[1:-1]
    if token.startswith("\\"):
        return token[1:]
    return token


def render_number(number: float, pattern: str) -> str:
    sections = _split_sections(pattern)
    section, sign = sections[0], "-" if number < 0 else ""
    if number < 0 and len(sections) > 1:
        section, sign = sections[1], ""
    elif number == 0 and len(sections) > 2:
        section = sections[2]
    section = re.sub(r"\[\$([^\]-]*)[^\]]*\]", r'"\1"', section)
    match = _NUMBER_CORE.search(re.sub(r'"[^"]*"', lambda m: " " * len(m.group()), section))
    if not match:
        return _unquote(section)
    prefix, core, suffix = section[: match.start()], match.group(), section[match.end() :]
    value = abs(number) * 100 ** (prefix + suffix).count("%")
    integer_part, _, decimal_part = core.partition(".")
    places = sum(1 for c in decimal_part if c in "0#?")
    minimum = decimal_part.count("0")
    text = f"{value:.{places}f}"
    whole, _, fraction = text.partition(".")
    while len(fraction) > minimum and fraction.endswith("0"):
        fraction = fraction[:-1]
    whole = whole.lstrip("0").rjust(max(integer_part.count("0"), 0), "0")
    if "," in integer_part:
        whole = f"{int(whole or 0):,}" if whole else whole
    shown = whole + ("." + fraction if fraction else "")
    return sign + _unquote(prefix) + shown + _unquote(suffix)


def _split_sections(pattern: str) -> list[str]:
    sections, current, quoted = [], "", False
    for char in pattern:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            sections.append(current)
            current = ""
        else:
            current += char
    return [*sections, current]


def _unquote(text: str) -> str:
    return re.sub(r'"([^"]*)"|\\(.)', lambda m: m.group(1) or m.group(2) or "", text)
