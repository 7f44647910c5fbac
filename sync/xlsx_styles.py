"""The workbook's style table, grown only by the formats the engine needs and the book lacks.

Edits are made to the part's text: every font, fill and format a person made stays byte for
byte, and a new cell format is a copy of the one the cell had with one thing changed.
"""

from __future__ import annotations

import re

from sync.errors import BackendError
from sync.xlsx_package import Package
from sync.xml_text import quoteattr

# Built-in number formats that show a date or a time (ECMA-376 §18.8.30, plus the East Asian
# and Thai ones Excel maps by locale).
_DATE_IDS = frozenset(
    [*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)]
)
_FIRST_CUSTOM_ID = 164
DAY_FORMAT = "yyyy-mm-dd"
MOMENT_FORMAT = "yyyy-mm-dd hh:mm"


def _attr(tag: str, name: str) -> str | None:
    match = re.search(rf'\s{name}="([^"]*)"', tag)
    return match.group(1) if match else None


def _with_attr(element: str, name: str, value: str) -> str:
    """`element` with attribute `name` set to `value` in its start tag."""
    end = element.index(">")
    if element[end - 1] == "/":
        end -= 1
    start = element[:end]
    if re.search(rf'\s{name}="', start):
        start = re.sub(rf'(\s{name}=)"[^"]*"', rf'\1"{value}"', start, count=1)
    else:
        start += f' {name}="{value}"'
    return start + element[end:]


def is_date_format(code: str) -> bool:
    # Quoted text, escaped characters and [colour]/[condition] sections are not date parts.
    bare = re.sub(r'"[^"]*"|\\.|\[(?![hms]+\])[^\]]*\]', "", code)
    bare = bare.split(";")[0]
    return re.search(r"[dmyhs]", bare, re.IGNORECASE) is not None


class _Section:
    """One list of the style sheet (fonts, cellXfs, numFmts): its elements as text."""

    def __init__(self, text: str, prefix: str, list_tag: str, item_tag: str) -> None:
        self.prefix = prefix
        self.list_tag, self.item_tag = list_tag, item_tag
        match = re.search(
            rf"<{prefix}{list_tag}\b[^>]*?(?:/>|>(.*?)</{prefix}{list_tag}>)", text, re.S
        )
        self.span = match.span() if match else None
        inner = (match.group(1) or "") if match else ""
        item = rf"<{prefix}{item_tag}\b[^>]*?(?:/>|>.*?</{prefix}{item_tag}>)"
        self.items: list[str] = re.findall(item, inner, re.S)
        # The list's start tag without its closing bracket, so count can be set on it.
        self.start_tag = re.sub(r"/?>$", "", match.group(0).split(">")[0] + ">") if match else ""
        self.added: list[str] = []

    def add(self, element: str) -> int:
        self.added.append(element)
        return len(self.items) + len(self.added) - 1

    def text(self) -> str:
        items = "".join(self.items + self.added)
        tag = self.start_tag or f"<{self.prefix}{self.list_tag}"
        tag = _with_attr(tag + ">", "count", str(len(self.items) + len(self.added)))[:-1]
        return f"{tag}>{items}</{self.prefix}{self.list_tag}>"


class Styles:
    def __init__(self, package: Package) -> None:
        self.package = package
        part = package.target(package.workbook_part(), "/styles")
        if part is None or not package.has(part):
            raise BackendError(
                f"{package.label} has no style table; open it in Excel, save it, and run "
                "leadsync again"
            )
        self.part = part
        self.text = package.read(part).decode("utf-8")
        root = re.search(r"<(\w+:)?styleSheet\b", self.text)
        self.prefix = (root.group(1) or "") if root else ""
        self.fonts = _Section(self.text, self.prefix, "fonts", "font")
        self.xfs = _Section(self.text, self.prefix, "cellXfs", "xf")
        self.formats = _Section(self.text, self.prefix, "numFmts", "numFmt")
        self._strike: dict[int, int] = {}
        self._dated: dict[tuple[int, str], int] = {}
        self._format_ids: dict[str, int] = {}

    @property
    def changed(self) -> bool:
        return bool(self.fonts.added or self.xfs.added or self.formats.added)

    def _xf(self, index: int) -> str:
        if 0 <= index < len(self.xfs.items):
            return self.xfs.items[index]
        if self.xfs.items:
            return self.xfs.items[0]  # a style index past the table reads as the default
        return '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'

    def format_code(self, index: int) -> str | None:
        number = int(_attr(self._xf(index), "numFmtId") or 0)
        for element in self.formats.items + self.formats.added:
            if _attr(element, "numFmtId") == str(number):
                return _attr(element, "formatCode")
        return None

    def is_date(self, index: int) -> bool:
        number = int(_attr(self._xf(index), "numFmtId") or 0)
        if number in _DATE_IDS:
            return True
        code = self.format_code(index)
        return code is not None and is_date_format(code)

    def strike(self, index: int) -> int:
        """A cell format like `index` whose font is struck through."""
        if index not in self._strike:
            xf = self._xf(index)
            font_id = int(_attr(xf, "fontId") or 0)
            fonts = self.fonts.items
            font = fonts[font_id] if font_id < len(fonts) else f"<{self.prefix}font/>"
            if re.search(rf"<{self.prefix}strike\b(?![^>]*val=\"(0|false)\")", font):
                self._strike[index] = index
            else:
                struck = _struck_font(font, self.prefix)
                new_font = self.fonts.add(struck)
                xf = _with_attr(_with_attr(xf, "fontId", str(new_font)), "applyFont", "1")
                self._strike[index] = self.xfs.add(xf)
        return self._strike[index]

    def dated(self, index: int, code: str) -> int:
        """A cell format like `index` that shows a date with `code`, unless it shows one."""
        if self.is_date(index):
            return index
        if (index, code) not in self._dated:
            number = self._format_id(code)
            xf = _with_attr(self._xf(index), "numFmtId", str(number))
            self._dated[index, code] = self.xfs.add(_with_attr(xf, "applyNumberFormat", "1"))
        return self._dated[index, code]

    def _format_id(self, code: str) -> int:
        if code in self._format_ids:
            return self._format_ids[code]
        for element in self.formats.items:
            if _attr(element, "formatCode") == code:
                number = int(_attr(element, "numFmtId") or 0)
                self._format_ids[code] = number
                return number
        taken = [int(_attr(e, "numFmtId") or 0) for e in self.formats.items + self.formats.added]
        number = max([_FIRST_CUSTOM_ID - 1, *taken]) + 1
        self.formats.add(
            f"<{self.prefix}numFmt numFmtId={quoteattr(str(number))} formatCode={quoteattr(code)}/>"
        )
        self._format_ids[code] = number
        return number

    def save(self) -> None:
        if not self.changed:
            return
        text = self.text
        # Replaced from the end so earlier spans stay valid.
        sections = [s for s in (self.xfs, self.fonts, self.formats) if s.added]
        for section in sorted(sections, key=lambda s: s.span[0] if s.span else 0, reverse=True):
            if section.span is not None:
                start, end = section.span
                text = text[:start] + section.text() + text[end:]
            else:
                # numFmts comes first in a style sheet; the others always exist.
                root_end = re.search(r"<(\w+:)?styleSheet\b[^>]*>", text)
                if root_end is None:
                    raise BackendError(f"{self.package.label}: its style table is damaged")
                text = text[: root_end.end()] + section.text() + text[root_end.end() :]
        self.package.write(self.part, text.encode("utf-8"))


def _struck_font(font: str, prefix: str) -> str:
    # CT_Font's children may come in any order; a strike without val means on.
    font = re.sub(rf"<{prefix}strike\b[^>]*/>", "", font)
    if font.endswith("/>"):
        return font[:-2] + f"><{prefix}strike/></{prefix}font>"
    # After bold and italic, where Excel itself puts it.
    opened = re.match(rf"<{prefix}font\b[^>]*>(?:<{prefix}[bi]\b[^>]*/>)*", font)
    assert opened is not None
    return font[: opened.end()] + f"<{prefix}strike/>" + font[opened.end() :]
