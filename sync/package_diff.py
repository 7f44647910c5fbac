"""What changed between two versions of an Excel package, part by part and cell by cell.

leadsync promises that writing its few cells into a person's own workbook leaves everything
else in the file as it was. An .xlsx/.xlsm file is a zip of parts (XML and binary); a writer
that loads the whole workbook into an object model and saves it again silently drops whatever
the model does not know (text boxes, shapes, images in cells, ...). This module compares the
uncompressed parts by name, counts the XML elements of each changed part so a caller can tell
"rewrote a part but kept everything in it" from "lost something", and lists every cell whose
value, type, style or formula changed.

Speed: even a streaming parse costs about a second per 15 MB sheet part in Python, and a write
of a few cells leaves almost every row of a sheet byte for byte as it was. So a changed sheet
(and the shared strings table) is cut into rows (strings), rows found unchanged in both versions
are set aside, and only the rest is parsed, together with everything around the rows. Counts
and cells of identical rows are identical, so the answer is the same as a full comparison; when
the markup could make that shortcut unsafe (comments, CDATA, namespace declarations among the
rows, rows without numbers, ...) the whole part is parsed instead.
"""

from __future__ import annotations

import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote
from xml.parsers import expat

from openpyxl.formula.translate import Translator

from sync.xlsx_cells import column_letters, column_number

# Transitional (what Excel writes by default) and Strict OOXML name the same things in two
# namespaces; both are accepted so a Strict workbook is not taken for one without cells.
_MAIN = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_REL_ID = tuple(
    f"{{{ns}}}id"
    for ns in (
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "http://purl.oclc.org/ooxml/officeDocument/relationships",
    )
)
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"


def _main(local: str) -> frozenset[str]:
    return frozenset(f"{{{ns}}}{local}" for ns in _MAIN)


_ROW, _C, _V, _F, _IS, _T, _R, _SI, _SHEET = (
    _main(n) for n in ("row", "c", "v", "f", "is", "t", "r", "si", "sheet")
)

# Parts that are XML whatever [Content_Types].xml says: VML drawings (comments, buttons,
# header images) have a content type without "xml" in it but are XML all the same.
_XML_EXTENSIONS = (".xml", ".rels", ".vml")

# Excel stores characters XML cannot carry, and a literal "_x0041_", as _xHHHH_ escapes
# (ST_Xstring); only a lowercase x with four hex digits is one (see optimize07.xlsx).
_XSTRING_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_STRING_TYPES = frozenset({"s", "inlineStr", "str"})
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")
_DETAIL_KINDS_SHOWN = 6
_UTF8_BOM = b"\xef\xbb\xbf"
_START_TAG = re.compile(
    rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)"
    rb"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>"
)
_NAMESPACE_DECLARATION = re.compile(rb"xmlns(?::[\w.\-]+)?\s*=\s*(?:\"[^\"]*\"|'[^']*')")
# Strings looked up one by one past this many are cheaper read as one whole table.
_LAZY_STRINGS = 2000


class PackageError(ValueError):
    """The bytes are not an Excel package, or the part asked for cannot be read."""


@dataclass(frozen=True)
class CellInfo:
    type: str
    value: str | None
    style: int
    formula: str | None


@dataclass(frozen=True)
class PartChange:
    part: str
    kind: Literal["added", "removed", "changed"]
    lost_elements: Mapping[str, int]
    gained_elements: Mapping[str, int]
    detail: str


@dataclass(frozen=True)
class CellChange:
    sheet: str
    cell: str
    before: CellInfo | None
    after: CellInfo | None


@dataclass(frozen=True)
class PackageChanges:
    parts: tuple[PartChange, ...]
    cells: tuple[CellChange, ...]

    def parts_other_than(self, allowed: Collection[str]) -> tuple[PartChange, ...]:
        # Relationship targets are often written "/xl/...": accept a part named either way.
        names = {a.lstrip("/") for a in allowed}
        return tuple(p for p in self.parts if p.part not in names)

    def cells_other_than(self, allowed: Collection[tuple[str, str]]) -> tuple[CellChange, ...]:
        cells = {(sheet, _plain_ref(cell)) for sheet, cell in allowed}
        return tuple(c for c in self.cells if (c.sheet, c.cell) not in cells)

    def describe(self) -> list[str]:
        lines = [f"{p.part} {p.kind}: {p.detail}" for p in self.parts]
        lines.extend(_describe_cell(c) for c in self.cells)
        return lines


# --- the package --------------------------------------------------------------------------


@dataclass
class _Package:
    content: dict[str, bytes]
    unreadable: dict[str, str]
    # Parsed on first use only: comparing two identical packages should not read any XML.
    _xml_types: frozenset[str] | None = None

    @classmethod
    def open(cls, data: bytes, label: str = "package") -> _Package:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError) as error:
            raise PackageError(f"the {label} is not an Excel file (not a zip: {error})") from error
        content: dict[str, bytes] = {}
        unreadable: dict[str, str] = {}
        with archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                try:
                    content[info.filename] = archive.read(info)
                except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as error:
                    # One damaged member must not hide what happened to the others.
                    unreadable[info.filename] = str(error) or type(error).__name__
        return cls(content, unreadable)

    def names(self) -> set[str]:
        return set(self.content) | set(self.unreadable)

    def find(self, name: str) -> str | None:
        """The stored name for a part name, which OPC compares case-insensitively."""
        if name in self.content:
            return name
        folded = name.casefold()
        return next((n for n in self.content if n.casefold() == folded), None)

    def is_xml(self, name: str) -> bool:
        if name.lower().endswith(_XML_EXTENSIONS):
            return True
        if self._xml_types is None:
            self._xml_types = self._parts_typed_xml()
        return name.casefold() in self._xml_types

    def _parts_typed_xml(self) -> frozenset[str]:
        """Part names whose content type (Override, else Default by extension) is XML."""
        found = self.find("[Content_Types].xml")
        if found is None:
            return frozenset()
        try:
            root = ET.fromstring(self.content[found])
        except ET.ParseError:
            return frozenset()
        defaults: dict[str, str] = {}
        overrides: dict[str, str] = {}
        for entry in root:
            content_type = entry.get("ContentType", "")
            if entry.tag == f"{_CONTENT_TYPES}Default":
                defaults[entry.get("Extension", "").casefold()] = content_type
            elif entry.tag == f"{_CONTENT_TYPES}Override":
                overrides[entry.get("PartName", "").lstrip("/").casefold()] = content_type
        typed = set()
        for name in self.content:
            key = name.casefold()
            base = key.rsplit("/", 1)[-1]
            extension = base.rsplit(".", 1)[-1] if "." in base else ""
            if overrides.get(key, defaults.get(extension, "")).endswith(("+xml", "/xml")):
                typed.add(key)
        return frozenset(typed)

    def relationships(self, source: str) -> list[tuple[str, str, str]]:
        """(id, type, resolved target part) of a part's internal relationships."""
        folder, name = posixpath.split(source)
        rels = self.find(posixpath.join(folder, "_rels", f"{name}.rels"))
        if rels is None:
            return []
        try:
            root = ET.fromstring(self.content[rels])
        except ET.ParseError as error:
            raise PackageError(f"{rels} is not well-formed XML ({error})") from error
        return [
            (rel.get("Id", ""), rel.get("Type", ""), self._resolve(folder, rel.get("Target", "")))
            for rel in root.iter(_PACKAGE_RELS)
            if rel.get("TargetMode") != "External"
        ]

    def related(self, source: str, kind: str) -> str | None:
        """The first part a part relates to with a relationship type ending in /kind."""
        return next((t for _i, k, t in self.relationships(source) if k.endswith(f"/{kind}")), None)

    def _resolve(self, folder: str, target: str) -> str:
        # Targets are URIs relative to the source part's folder, or absolute from the package
        # root; some writers also put a root-relative path without the leading slash.
        target = target.split("#", 1)[0]
        if target.startswith("/"):
            candidates = [target.lstrip("/")]
        else:
            candidates = [posixpath.normpath(posixpath.join(folder, target)), target]
        for candidate in candidates:
            for spelled in (candidate, unquote(candidate)):
                found = self.find(spelled)
                if found is not None:
                    return found
        return candidates[0]

    def workbook_part(self) -> str:
        found = self.related("", "officeDocument")
        return found if found is not None else self.find("xl/workbook.xml") or "xl/workbook.xml"

    def sheets(self) -> list[tuple[str, str, bool]]:
        """(name, part, is a worksheet) for every sheet the workbook lists, in tab order."""
        workbook = self.workbook_part()
        if workbook not in self.content:
            raise PackageError(f"the package has no workbook part ({workbook})")
        relationships = self.relationships(workbook)
        ids = {rel_id: target for rel_id, _kind, target in relationships}
        worksheets = {t for _i, k, t in relationships if k.endswith("/worksheet")}
        try:
            root = ET.fromstring(self.content[workbook])
        except ET.ParseError as error:
            raise PackageError(f"{workbook} is not well-formed XML ({error})") from error
        found = []
        for sheet in root.iter():
            if sheet.tag not in _SHEET:
                continue
            rel_id = next((sheet.get(k) for k in _REL_ID if sheet.get(k) is not None), None)
            part = ids.get(rel_id or "")
            if part is not None:
                found.append((sheet.get("name", ""), part, part in worksheets))
        return found

    def shared_strings_part(self) -> str | None:
        try:
            return self.related(self.workbook_part(), "sharedStrings")
        except PackageError:
            # Damaged workbook relationships: Excel's own place for the table is the best guess.
            return self.find("xl/sharedStrings.xml")

    def shared_strings(self) -> _Strings:
        part = self.shared_strings_part()
        return _Strings(self.content.get(part) if part is not None else None)


# --- reading XML --------------------------------------------------------------------------

# What a cell holds as read, before anything needs a CellInfo: type, value, style, and the
# formula text, or for a cell sharing a formula (master text, master cell) once resolved.
_Formula = str | tuple[str, str] | None
_Raw = tuple[str, str | None, int, _Formula]
_FindMaster = Callable[[str], tuple[str, str] | None]


@dataclass
class _Scan:
    counts: Counter[str] = field(default_factory=Counter)
    attributes: Counter[str] = field(default_factory=Counter)
    error: str | None = None
    cells: dict[str, _Raw] = field(default_factory=dict)
    cells_error: str | None = None
    masters: dict[str, tuple[str, str]] = field(default_factory=dict)
    depths: dict[str, int] = field(default_factory=dict)
    # A row without a number is numbered by the rows before it, so rows set aside as
    # unchanged could move; the shortcut is only taken when every row is numbered.
    unnumbered_rows: bool = False


def _scan_xml(
    data: bytes, on_row: Callable[[ET.Element], None] | None = None, counting: bool = True
) -> _Scan:
    """Count elements and attributes by Clark name in one streaming pass.

    Elements are cleared once ended so memory stays flat on big parts; with on_row, each
    worksheet <row> is handed over before it is cleared (its cells need their children).
    Other parts are small, so they also note how deep each kind of element first sits: a lost
    text box is told as "1 xdr:sp" before the 40 paragraphs and runs that went with it.
    """
    scan = _Scan()
    counts, attributes, depths = scan.counts, scan.attributes, scan.depths
    depth = 0
    try:
        if on_row is not None:
            for _event, element in ET.iterparse(io.BytesIO(data), events=("end",)):
                tag = element.tag
                if counting:
                    counts[tag] += 1
                    if element.attrib:
                        attributes.update(f"{tag}@{name}" for name in element.attrib)
                if tag in _ROW:
                    on_row(element)
                    element.clear()
        else:
            for event, element in ET.iterparse(io.BytesIO(data), events=("start", "end")):
                if event == "start":
                    depth += 1
                    continue
                tag = element.tag
                counts[tag] += 1
                if element.attrib:
                    attributes.update(f"{tag}@{name}" for name in element.attrib)
                depths[tag] = min(depths.get(tag, depth), depth)
                depth -= 1
                element.clear()
    except ET.ParseError as error:
        scan.error = str(error)
    return scan


def _well_formed(data: bytes) -> bool:
    # expat without handlers checks a 15 MB part in a tenth of the time iterparse needs.
    parser = expat.ParserCreate(namespace_separator="}")
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return False
    return True


def _text_of(element: ET.Element) -> str:
    """The text of an <si> or <is>: plain <t>, or rich text runs; phonetic runs (rPh) are
    reading aids shown above the text, not part of the value."""
    pieces = []
    for child in element:
        if child.tag in _T:
            pieces.append(child.text or "")
        elif child.tag in _R:
            pieces.extend(t.text or "" for t in child if t.tag in _T)
    return _unescape("".join(pieces))


def _unescape(text: str) -> str:
    if "_x" not in text:
        return text
    return _XSTRING_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


# --- cutting a part into repeated units (rows of a sheet, strings of the table) ------------


@dataclass(frozen=True)
class _Layout:
    head: bytes  # everything up to the first unit: prolog, root, ..., the container's start tag
    units: tuple[bytes, ...]  # each from its start tag up to the next unit (or the container's end)
    tail: bytes  # from the container's end tag on
    namespaces: tuple[bytes, ...]  # declarations in scope for the units

    def document(self, units: Iterable[bytes]) -> bytes:
        return self.head + b"".join(units) + self.tail


def _layout(data: bytes, container: str, unit: str) -> _Layout | None:
    """Cut a part at its units' start tags, or None when that cut could split something else.

    A unit's start tag is found by its bytes, so nothing may hide a "<": no comments, CDATA,
    DOCTYPE or processing instructions (Excel writes none), and the part must be well-formed
    (checked by the caller). No namespace declarations among the units means each unit's
    elements are named the same wherever the unit is put.
    """
    start = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    if b"<!" in data or data.find(b"<?", start + 1) != -1:
        return None
    position = data.find(b"<", start)
    if data.startswith(b"<?", position):
        position = data.find(b"<", data.find(b"?>", position))
    root = _START_TAG.match(data, position) if position >= 0 else None
    if root is None or root.group(4):
        return None
    prefix = root.group(1) or b""
    declared = [root.group(0)]
    opened = root
    if root.group(2) != container.encode():
        inner = _open_tag(data, prefix + container.encode(), root.end())
        if inner is None:
            return None
        opened = inner
        declared.append(opened.group(0))
    end_tag = b"</" + prefix + container.encode()
    closed = data.rfind(end_tag) if opened is root else data.find(end_tag, opened.end())
    if closed < opened.end():
        return None
    head_declarations = len(_NAMESPACE_DECLARATION.findall(data, 0, opened.end()))
    namespaces = tuple(sorted(d for tag in declared for d in _NAMESPACE_DECLARATION.findall(tag)))
    if head_declarations != len(namespaces) or data.find(b"xmlns", opened.end(), closed) != -1:
        return None
    token = re.compile(rb"<" + re.escape(prefix + unit.encode()) + rb"[\s/>]")
    starts = [m.start() for m in token.finditer(data, opened.end(), closed)]
    first = starts[0] if starts else closed
    if data[opened.end() : first].strip():
        return None
    ends = [*starts[1:], closed] if starts else []
    units = tuple(data[a:b] for a, b in zip(starts, ends, strict=True))
    return _Layout(data[:first], units, data[closed:], namespaces)


def _open_tag(data: bytes, qname: bytes, start: int) -> re.Match[bytes] | None:
    """The first start tag named qname from start on, unless it is an empty element."""
    found = re.compile(rb"<" + re.escape(qname) + rb"[\s/>]").search(data, start)
    tag = _START_TAG.match(data, found.start()) if found is not None else None
    return tag if tag is not None and not tag.group(4) else None


def _changed_units(
    old: bytes, new: bytes, container: str, unit: str
) -> tuple[tuple[_Layout, list[bytes]], tuple[_Layout, list[bytes]]] | None:
    """Both layouts, each with the units the other version does not have byte for byte."""
    before, after = _layout(old, container, unit), _layout(new, container, unit)
    if before is None or after is None or before.namespaces != after.namespaces:
        return None
    if not (_well_formed(old) and _well_formed(new)):
        return None
    kept_before = _without(before.units, after.units)
    return (before, kept_before), (after, _without(after.units, before.units))


def _without(units: Iterable[bytes], others: Iterable[bytes]) -> list[bytes]:
    spare = Counter(others)
    kept = []
    for piece in units:
        if spare[piece] > 0:
            spare[piece] -= 1
        else:
            kept.append(piece)
    return kept


def _units_seen(scan: _Scan, unit: str) -> int:
    return sum(scan.counts[tag] for tag in _main(unit))


# --- shared strings -----------------------------------------------------------------------


class _Strings:
    """A shared strings table, read whole or one string at a time.

    Checking a few changed rows of a big sheet needs a handful of strings out of maybe 100,000;
    parsing them one by one from the cut table is much faster than reading all of it.
    """

    def __init__(self, data: bytes | None) -> None:
        self.data = data
        self._whole: list[str | None] | None = None if data is not None else []
        self._one_by_one: dict[int, str | None] = {}
        self._layout: _Layout | Literal[False] | None = False  # False: not looked at yet

    def layout(self) -> _Layout | None:
        if self._layout is False:
            found = _layout(self.data, "sst", "si") if self.data is not None else None
            self._layout = found if found and self.data and _well_formed(self.data) else None
        return self._layout

    def whole(self) -> list[str | None]:
        if self._whole is None:
            self._whole = _read_shared_strings(self.data or b"")
        return self._whole

    def get(self, index: int) -> str | None:
        layout = self.layout() if self._whole is None else None
        if layout is None or len(self._one_by_one) >= _LAZY_STRINGS:
            whole = self.whole()
            return whole[index] if 0 <= index < len(whole) else None
        if index not in self._one_by_one:
            text = None
            if 0 <= index < len(layout.units):
                try:
                    root = ET.fromstring(layout.document([layout.units[index]]))
                except ET.ParseError:
                    # The cut did not give one whole string after all: read the table whole.
                    self._one_by_one.clear()
                    self._layout = None
                    return self.get(index)
                text = next((_text_of(si) for si in root if si.tag in _SI), None)
            self._one_by_one[index] = text
        return self._one_by_one[index]


def _read_shared_strings(data: bytes) -> list[str | None]:
    strings: list[str | None] = []
    try:
        for _event, element in ET.iterparse(io.BytesIO(data), events=("end",)):
            if element.tag in _SI:
                strings.append(_text_of(element))
                element.clear()
    except ET.ParseError:
        # Strings read before the damage still resolve; the part itself is reported as
        # broken when it changed, and cells pointing past the end read as None.
        pass
    return strings


def _strings_kept(old: _Strings, new: _Strings) -> bool:
    """Whether every string of the table before is still there at the same index.

    Writers add new text at the end of the table; then no unchanged sheet can have changed.
    """
    if old.data == new.data:
        return True
    before, after = old.layout(), new.layout()
    if (
        before is not None
        and after is not None
        and before.namespaces == after.namespaces
        and after.units[: len(before.units)] == before.units
    ):
        return True
    strings = old.whole()
    return new.whole()[: len(strings)] == strings


# --- cells --------------------------------------------------------------------------------


def _plain_ref(ref: str) -> str:
    return ref.replace("$", "").upper()


def _ref_order(ref: str) -> tuple[int, int]:
    match = _CELL_REF.fullmatch(ref)
    if match is None:
        return (0, 0)
    return (int(match.group(2)), column_number(match.group(1)))


class _CellsUnreadable(ValueError):
    pass


def _scan_sheet(
    data: bytes, strings: _Strings, find_master: _FindMaster | None = None, counting: bool = True
) -> _Scan:
    """Counts, plus every cell that holds something, as _Raw by reference.

    A cell element with no value, no formula and the default style is what Excel shows for no
    cell at all; writers differ on whether they keep such elements, so both read as absent.
    """
    cells: dict[str, _Raw] = {}
    masters: dict[str, tuple[str, str]] = {}
    followers: list[tuple[str, str]] = []
    state = {"row": 0, "unnumbered": 0}
    problem: list[str] = []

    def on_row(row: ET.Element) -> None:
        if not problem:
            try:
                read_row(row)
            except _CellsUnreadable as error:
                problem.append(str(error))

    def read_row(row: ET.Element) -> None:
        number = row.get("r")
        if number is None:
            state["row"] += 1
            state["unnumbered"] += 1
        elif number.isdigit():
            state["row"] = int(number)
        else:
            raise _CellsUnreadable(f"a row is numbered {number!r}")
        column = 0
        previous: str | None = None
        for cell in row:
            if cell.tag not in _C:
                continue
            ref = cell.get("r")
            if ref is None:
                # A cell may leave out its reference: it is then right of the one before.
                if previous is not None:
                    match = _CELL_REF.fullmatch(previous)
                    if match is None:
                        raise _CellsUnreadable(f"a cell is named {previous!r}")
                    column = column_number(match.group(1))
                column += 1
                ref = f"{column_letters(column)}{state['row']}"
                previous = None
            else:
                ref = ref.upper()
                previous = ref
            raw = read_cell(cell, ref)
            if raw is None:
                cells.pop(ref, None)
            else:
                cells[ref] = raw

    def read_cell(cell: ET.Element, ref: str) -> _Raw | None:
        kind = cell.get("t", "n")
        style_text = cell.get("s")
        if style_text is None:
            style = 0
        elif style_text.isdigit():
            style = int(style_text)
        else:
            raise _CellsUnreadable(f"{ref} has style {style_text!r}, not a number")
        value: str | None = None
        inline: str | None = None
        formula: _Formula = None
        for child in cell:
            tag = child.tag
            if tag in _V:
                value = child.text
            elif tag in _F:
                formula = child.text
                shared = child.get("si")
                if child.get("t") == "shared" and shared is not None:
                    if formula:
                        masters[shared] = (formula, ref)
                    else:
                        followers.append((ref, shared))
                elif formula is None:
                    # A formula element without text (a data table) still is a formula.
                    formula = ""
            elif tag in _IS:
                inline = _text_of(child)
        if kind == "s" and value is not None:
            # A reference past the table (or not a number) cannot be shown by Excel either;
            # None makes the cell differ from any real text rather than read as some string.
            value = strings.get(int(value)) if value.isdigit() else None
        elif kind == "inlineStr":
            value = inline if inline is not None else value
        elif kind == "str" and value is not None:
            value = _unescape(value)
        if value is None and formula is None and style == 0 and kind == "n":
            return None
        return (kind, value, style, formula)

    scan = _scan_xml(data, on_row, counting)
    scan.masters = masters
    scan.unnumbered_rows = state["unnumbered"] > 0
    if problem:
        scan.cells_error = problem[0]
        return scan
    for ref, shared in followers:
        raw = cells.get(ref)
        if raw is None:
            continue
        master = masters.get(shared)
        if master is None and find_master is not None:
            master = find_master(shared)
        # A shared formula whose master is missing still is a formula: "" says so.
        cells[ref] = (raw[0], raw[1], raw[2], master if master is not None else "")
    scan.cells = cells
    return scan


def _master_finder(layout: _Layout, strings: _Strings) -> _FindMaster:
    """Find a shared formula's master among the rows that were set aside as unchanged."""
    found: dict[str, tuple[str, str] | None] = {}

    def find(shared: str) -> tuple[str, str] | None:
        if shared not in found:
            mark = re.compile(rb"\bsi\s*=\s*[\"']" + re.escape(shared.encode()) + rb"[\"']")
            found[shared] = None
            for row in layout.units:
                if mark.search(row):
                    master = _scan_sheet(layout.document([row]), strings).masters.get(shared)
                    if master is not None:
                        found[shared] = master
                        break
        return found[shared]

    return find


def _sheet_scans(
    old: bytes, new: bytes, strings: tuple[_Strings, _Strings], strings_kept: bool
) -> tuple[_Scan, _Scan]:
    """Counts and cells of a sheet part in both versions, parsing only rows that changed.

    Rows set aside as byte-identical hold the same cells only while every shared string they
    point at is the same; when the table was rewritten, every row is read.
    """
    cut = _changed_units(old, new, "sheetData", "row") if strings_kept else None
    if cut is not None and all(_rows_numbered(layout) for layout, _rows in cut):
        scans = [
            _scan_sheet(layout.document(rows), side, _master_finder(layout, side))
            for (layout, rows), side in zip(cut, strings, strict=True)
        ]
        if all(
            scan.error is None
            and not scan.unnumbered_rows
            and _units_seen(scan, "row") == len(rows)
            for scan, (_layout, rows) in zip(scans, cut, strict=True)
        ):
            return scans[0], scans[1]
    return _scan_sheet(old, strings[0]), _scan_sheet(new, strings[1])


def _rows_numbered(layout: _Layout) -> bool:
    numbered = re.compile(rb"<[^\s/>]+\s[^>]*?\br\s*=")
    return all(numbered.match(row) for row in layout.units)


def _plain_scans(old: bytes, new: bytes, container: str, unit: str) -> tuple[_Scan, _Scan]:
    """Counts of a part with many units (the shared strings), parsing only changed units."""
    cut = _changed_units(old, new, container, unit)
    if cut is not None:
        scans = [_scan_xml(layout.document(units)) for layout, units in cut]
        if all(
            s.error is None and _units_seen(s, unit) == len(u)
            for s, (_l, u) in zip(scans, cut, strict=True)
        ):
            return scans[0], scans[1]
    return _scan_xml(old), _scan_xml(new)


def _translate(formula: _Formula, ref: str) -> str | None:
    if formula is None or isinstance(formula, str):
        return formula
    text, origin = formula
    if origin == ref:
        return text
    try:
        return str(Translator(f"={text}", origin=origin).translate_formula(ref))[1:]
    except Exception:
        # A formula the tokenizer cannot follow is still the master's text, shifted or not.
        return text


def _info(raw: _Raw | None, ref: str) -> CellInfo | None:
    if raw is None:
        return None
    return CellInfo(raw[0], raw[1], raw[2], _translate(raw[3], ref))


# --- public API ---------------------------------------------------------------------------


def sheet_parts(package: bytes) -> dict[str, str]:
    """Sheet name -> part path, in tab order; chartsheets are listed too (they have no cells)."""
    return {name: part for name, part, _worksheet in _Package.open(package).sheets()}


def read_cells(package: bytes, sheet: str) -> dict[str, CellInfo]:
    """Every cell of a sheet that holds something (a value, a formula or a style), by reference.

    Shared strings are resolved through the workbook's relationships (a workbook with only
    numbers or inline strings has no shared strings part), shared formulas are shifted to each
    cell as Excel shows them, and _xHHHH_ escapes are turned back into the characters typed.
    """
    opened = _Package.open(package)
    sheets = {name: part for name, part, _worksheet in opened.sheets()}
    part = sheets.get(sheet)
    if part is None:
        # Excel treats tab names case-insensitively, so a person may spell them either way.
        part = next((p for n, p in sheets.items() if n.casefold() == sheet.casefold()), None)
    if part is None:
        raise PackageError(f"no sheet named {sheet!r}; the workbook has {list(sheets)}")
    if part not in opened.content:
        raise PackageError(f"sheet {sheet!r} points at {part}, which cannot be read")
    strings = opened.shared_strings()
    strings.whole()  # every string is likely needed: one pass beats one parse per string
    scan = _scan_sheet(opened.content[part], strings, counting=False)
    if scan.error is not None:
        raise PackageError(f"{part} is not well-formed XML ({scan.error})")
    if scan.cells_error is not None:
        raise PackageError(f"{part}: {scan.cells_error}")
    found = {ref: _info(raw, ref) for ref, raw in scan.cells.items()}
    return {ref: info for ref, info in found.items() if info is not None}


def compare_packages(before: bytes, after: bytes) -> PackageChanges:
    old = _Package.open(before, "package before")
    new = _Package.open(after, "package after")
    changed = sorted(
        name
        for name in old.names() | new.names()
        if old.content.get(name) is None
        or new.content.get(name) is None
        or old.content[name] != new.content[name]
    )
    if not changed:
        return PackageChanges((), ())

    worksheets = _worksheets_in_both(old, new)
    strings = (old.shared_strings(), new.shared_strings())
    strings_parts = {p for p in (old.shared_strings_part(), new.shared_strings_part()) if p}
    # Cells of an unchanged sheet can still change through the shared strings table; only an
    # append (what any writer of new text does) leaves every existing reference as it was.
    strings_kept = not worksheets or _strings_kept(*strings)

    scans: dict[str, tuple[_Scan, _Scan]] = {}
    cells: list[CellChange] = []
    for part, sheet in worksheets.items():
        if part in changed or not strings_kept:
            pair = _sheet_scans(old.content[part], new.content[part], strings, strings_kept)
            scans[part] = pair
            cells.extend(_cell_changes(sheet, *pair))
    for part in strings_parts:
        if part in changed and part in old.content and part in new.content:
            scans[part] = _plain_scans(old.content[part], new.content[part], "sst", "si")
    parts = [_part_change(name, old, new, scans.get(name)) for name in changed]
    return PackageChanges(tuple(parts), tuple(cells))


def _worksheets_in_both(old: _Package, new: _Package) -> dict[str, str]:
    """Worksheet part -> sheet name, for worksheet parts both packages hold, in tab order.

    Either side's workbook may be the damaged one, so a part listed as a worksheet on either
    side is compared, under the name the person gave it before the write.
    """
    named: dict[str, str] = {}
    for package in (old, new):
        try:
            listed = package.sheets()
        except PackageError:
            continue
        for name, part, is_worksheet in listed:
            if is_worksheet:
                named.setdefault(part, name)
    return {p: n for p, n in named.items() if p in old.content and p in new.content}


def _cell_changes(sheet: str, old: _Scan, new: _Scan) -> Iterable[CellChange]:
    if old.error or new.error or old.cells_error or new.cells_error:
        return []
    before, after = old.cells, new.cells
    # Equal raw cells are equal CellInfos, so most cells of a big sheet are settled here.
    differing = [ref for ref in before.keys() | after.keys() if before.get(ref) != after.get(ref)]
    changes = []
    for ref in sorted(differing, key=_ref_order):
        was, now = _info(before.get(ref), ref), _info(after.get(ref), ref)
        if was != now:
            changes.append(CellChange(sheet, ref, was, now))
    return changes


def _part_change(
    name: str, old: _Package, new: _Package, scans: tuple[_Scan, _Scan] | None
) -> PartChange:
    in_old, in_new = name in old.names(), name in new.names()
    kind: Literal["added", "removed", "changed"] = (
        "changed" if in_old and in_new else "removed" if in_old else "added"
    )
    problems = [
        f"cannot be read from the zip {side}: {package.unreadable[name]}"
        for side, package in (("before", old), ("after", new))
        if name in package.unreadable
    ]
    xml = (in_old and old.is_xml(name)) or (in_new and new.is_xml(name))
    if not xml:
        size = len(old.content.get(name) or new.content.get(name) or b"")
        words = {"added": f"added ({size} bytes)", "removed": f"removed ({size} bytes)"}
        detail = "binary part " + words.get(kind, "differs")
        return PartChange(name, kind, {}, {}, "; ".join([detail, *problems]))

    before, after = scans or (_whole_scan(old, name), _whole_scan(new, name))
    for side, scan in (("before", before), ("after", after)):
        if scan is not None and scan.error is not None:
            problems.append(f"not well-formed XML {side} ({scan.error})")
    # A side that is absent or cannot be read keeps nothing a reader could use: everything the
    # other side has counts as lost (or gained), so "no lost elements" never passes on a part
    # that a write broke.
    before_counts = _readable_counts(before)
    after_counts = _readable_counts(after)
    lost = _positive(before_counts - after_counts)
    gained = _positive(after_counts - before_counts)

    lines: list[str] = []
    readable = all(
        not present or (scan is not None and scan.error is None)
        for present, scan in ((in_old, before), (in_new, after))
    )
    if kind == "added" and readable:
        lines.append(_plural(after_counts.total(), "element"))
    elif kind == "removed" and readable:
        lines.append(_plural(before_counts.total(), "element"))
    elif readable and not lost and not gained:
        lines.append("content differs, same elements")
    else:
        if lost:
            lines.append(_count_line(lost, "fewer", depths=before.depths if before else {}))
        if gained:
            lines.append(_count_line(gained, "more", depths=after.depths if after else {}))
    if kind == "changed" and readable:
        lines.extend(_attribute_notes(before, after))
    lines.extend(problems)
    for side, scan in (("before", before), ("after", after)):
        if scan is not None and scan.cells_error is not None:
            lines.append(f"cells not compared, {side}: {scan.cells_error}")
    return PartChange(name, kind, lost, gained, "; ".join(lines))


def _whole_scan(package: _Package, name: str) -> _Scan | None:
    content = package.content.get(name)
    return None if content is None else _scan_xml(content)


def _readable_counts(scan: _Scan | None) -> Counter[str]:
    if scan is None or scan.error is not None:
        return Counter()
    return scan.counts


def _positive(counts: Counter[str]) -> dict[str, int]:
    return {tag: n for tag, n in sorted(counts.items()) if n > 0}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _count_line(
    counts: Mapping[str, int],
    direction: str,
    what: str = "element",
    depths: Mapping[str, int] | None = None,
) -> str:
    # Outermost kinds first (what a person placed), then the most frequent.
    depth = depths or {}
    ranked = sorted(counts.items(), key=lambda item: (depth.get(item[0], 0), -item[1], item[0]))
    shown = ", ".join(f"{n} {tag}" for tag, n in ranked[:_DETAIL_KINDS_SHOWN])
    if len(ranked) > _DETAIL_KINDS_SHOWN:
        shown += f" and {len(ranked) - _DETAIL_KINDS_SHOWN} more kinds"
    return f"{_plural(sum(counts.values()), what)} {direction}: {shown}"


def _attribute_notes(before: _Scan | None, after: _Scan | None) -> list[str]:
    """Kept elements can still have lost an attribute that matters (a cell's vm="1" is what
    shows an image placed in it), so attributes that went missing or appeared are named too.

    Attributes that left (or came) with their elements are already told by the element counts;
    only the change beyond that is named.
    """
    if before is None or after is None:
        return []

    def beyond(
        had: Counter[str], has: Counter[str], had_tags: Counter[str], has_tags: Counter[str]
    ) -> dict[str, int]:
        found = {}
        for key, n in (had - has).items():
            tag = key.rsplit("@", 1)[0]
            extra = n - max(0, had_tags[tag] - has_tags[tag])
            if extra > 0:
                found[key] = extra
        return dict(sorted(found.items()))

    lost = beyond(before.attributes, after.attributes, before.counts, after.counts)
    gained = beyond(after.attributes, before.attributes, after.counts, before.counts)
    notes = []
    if lost:
        notes.append(_count_line(lost, "fewer", "attribute"))
    if gained:
        notes.append(_count_line(gained, "more", "attribute"))
    return notes


# --- describing cells ---------------------------------------------------------------------

_TYPE_WORDS = {"b": "boolean", "e": "error", "d": "date"}


def _describe_cell(change: CellChange) -> str:
    before, after = change.before, change.after
    show_type = before is not None and after is not None and before.type != after.type
    show_style = (before.style if before else 0) != (after.style if after else 0)
    return (
        f"{_sheet_ref(change.sheet)}!{change.cell}: "
        f"{_show(before, show_type, show_style)} → {_show(after, show_type, show_style)}"
    )


def _sheet_ref(sheet: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def _show(info: CellInfo | None, show_type: bool, show_style: bool) -> str:
    if info is None:
        return "empty"
    if info.value is None:
        text = "empty"
    elif info.type in _STRING_TYPES:
        text = repr(info.value)
    elif info.type in _TYPE_WORDS:
        text = f"{info.value} ({_TYPE_WORDS[info.type]})"
    else:
        text = info.value
    if info.formula is not None:
        text += f" from ={info.formula}"
    if show_type:
        text += f" [type {info.type}]"
    if show_style:
        text += f" [style {info.style}]"
    return text
