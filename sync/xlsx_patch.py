"""Save a person's workbook by patching it: only the parts holding written cells change.

The new package differs from the old one in the worksheet parts the engine wrote, a table
part whose rows grew, the style table when the engine needs a format the book lacks (struck
through, or a date), and, in the tracker, the custom property that remembers lead numbers.
Strings are written inline in the cell (t="inlineStr"), which Excel and LibreOffice read, so
the shared-string table is never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from sync.errors import BackendError
from sync.xlsx_package import Package, add_override, add_relationship
from sync.xlsx_ranges import grow_sheet_ranges, grow_table, widen_dimension
from sync.xlsx_sheet_patch import SheetEdit, SheetPatcher
from sync.xlsx_styles import Styles
from sync.xlsx_tab_rewrite import Rows, add_worksheet, rewrite_sheet

CUSTOM_PART = "docProps/custom.xml"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
# The format ID Office gives every user-defined property.
USER_DEFINED = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def patch_workbook(
    content: bytes,
    label: str,
    edits: Mapping[str, SheetEdit],
    properties: Mapping[str, int] | None = None,
    rewrites: Mapping[str, Rows] | None = None,
) -> bytes:
    """`content` with `edits` (by tab name) written and `properties` set; nothing else.

    `rewrites` (by tab name) replace an engine-owned tab's cells wholesale, adding the tab
    when the workbook has none of that name.
    """
    package = Package(content, label)
    try:
        sheets = {sheet.name: sheet for sheet in package.sheets()}
        styles = Styles(package)
        date1904 = package.date1904()
        for name, edit in edits.items():
            sheet = sheets.get(name)
            if sheet is None or not sheet.is_worksheet:
                raise BackendError(f"{label} has no worksheet named '{name}'")
            _patch_sheet(package, sheet.part, f"{label} › {name}", edit, styles, date1904)
        for name, rows in (rewrites or {}).items():
            sheet = sheets.get(name)
            if sheet is None:
                add_worksheet(package, name, rows, date1904)
            elif not sheet.is_worksheet:
                raise BackendError(f"{label} › {name} is not a worksheet; rename it")
            else:
                data = package.read(sheet.part)
                package.write(sheet.part, rewrite_sheet(data, rows, f"{label} › {name}", date1904))
        styles.save()
        for key, value in (properties or {}).items():
            set_custom_property(package, key, value)
        return package.save()
    finally:
        package.close()


def _patch_sheet(
    package: Package, part: str, label: str, edit: SheetEdit, styles: Styles, date1904: bool
) -> None:
    data = package.read(part)
    patcher = SheetPatcher(data, label, styles, date1904)
    begin, _end, _empty = patcher.sheet_data()
    cell = re.compile(rb"<" + patcher.p.encode() + rb"c\b")
    was_empty = cell.search(data, begin) is None
    patched = patcher.apply(edit)
    # The used-area hint comes before the cells, the ranges that grow after them: only those
    # two short stretches of the part are edited as text.
    head_end = patched.find(b"<" + patcher.p.encode() + b"sheetData")
    name = patcher.p.encode() + b"sheetData"
    closing = re.compile(rb"</" + name + rb">|<" + name + rb"\b[^>]*/>")
    tail_match = closing.search(patched, head_end)
    tail_start = tail_match.end() if tail_match else len(patched)
    head = patched[:head_end].decode("utf-8")
    tail = patched[tail_start:].decode("utf-8")
    rows = {w.row for w in edit.writes if w.value not in (None, "")}
    rows |= set(range(edit.last_row + 1, edit.new_last_row() + 1)) if edit.appends else set()
    columns = {w.column for w in edit.writes if w.value not in (None, "")}
    columns |= {c for values in edit.appends for c, v in values.items() if v not in (None, "")}
    head = widen_dimension(head, patcher.p, rows, columns, was_empty)
    old_last, new_last = edit.last_row, edit.new_last_row()
    tail = grow_sheet_ranges(tail, patcher.p, old_last, new_last)
    new_head, new_tail = head.encode("utf-8"), tail.encode("utf-8")
    if new_head != patched[:head_end] or new_tail != patched[tail_start:]:
        patched = b"".join([new_head, memoryview(patched)[head_end:tail_start], new_tail])
    if patched is not data:
        package.write(part, patched)
    if new_last > old_last:
        for rel in package.relationships(part):
            if rel.get("Type", "").endswith("/table"):
                table = package.target_of(part, rel)
                before = package.read(table).decode("utf-8")
                after = grow_table(before, old_last, new_last)
                if after != before:
                    package.write(table, after.encode("utf-8"))


def read_custom_property(package: Package, name: str) -> str | None:
    part = package.target("", "/custom-properties")
    if part is None or not package.has(part):
        return None
    try:
        root = ElementTree.fromstring(package.read(part))
    except ElementTree.ParseError:
        return None
    for prop in root:
        if prop.get("name") == name and len(prop):
            return prop[0].text
    return None


def set_custom_property(package: Package, name: str, value: int) -> None:
    """Set an integer document property (File ▸ Info ▸ Properties ▸ Advanced ▸ Custom)."""
    part = package.target("", "/custom-properties")
    if part is None:
        part = CUSTOM_PART
        if package.has(part):
            raise BackendError(f"{package.label}: {part} is there but not related; damaged file")
        text = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}"></Properties>'
        )
        add_override(package, part, CUSTOM_TYPE)
        add_relationship(package, "", CUSTOM_REL, part)
    else:
        text = package.read(part).decode("utf-8")
    element = re.search(
        rf"<(\w+:)?property\b[^>]*\sname={re.escape(quoteattr(name))}[^>]*>.*?</\1?property>",
        text,
        re.S,
    )
    vt = re.search(r'xmlns:(\w+)="' + re.escape(VT_NS) + '"', text)
    vt_prefix = vt.group(1) if vt else "vt"
    if element is not None:
        start = element.group(0)[: element.group(0).index(">") + 1]
        prefix = element.group(1) or ""
        new = f"{start}<{vt_prefix}:i4>{value}</{vt_prefix}:i4></{prefix}property>"
        text = text[: element.start()] + new + text[element.end() :]
    else:
        pids = [int(p) for p in re.findall(r'\spid="(\d+)"', text)]
        root = re.search(r"<(\w+:)?Properties\b", text)
        prefix = (root.group(1) or "") if root else ""
        new = (
            f'<{prefix}property fmtid="{USER_DEFINED}" pid="{max([1, *pids]) + 1}" '
            f"name={quoteattr(escape(name))}><{vt_prefix}:i4>{value}</{vt_prefix}:i4>"
            f"</{prefix}property>"
        )
        if re.search(rf"<{prefix}Properties\b[^>]*/>", text):
            text = re.sub(
                rf"(<{prefix}Properties\b[^>]*)/>", rf"\1>{new}</{prefix}Properties>", text
            )
        else:
            text = text.replace(f"</{prefix}Properties>", new + f"</{prefix}Properties>", 1)
    package.write(part, text.encode("utf-8"))
