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
from io import BytesIO
from typing import IO
from xml.etree import ElementTree

from sync.errors import BackendError
from sync.xlsx_package import Package, add_override, add_relationship
from sync.xlsx_ranges import grow_table
from sync.xlsx_sheet_patch import SheetEdit
from sync.xlsx_sheet_stream import patch_sheet
from sync.xlsx_styles import Styles
from sync.xlsx_tab_rewrite import Rows, add_worksheet, rewrite_sheet
from sync.xml_text import escape, quoteattr

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
    out = BytesIO()
    save_patched(content, label, edits, properties, out, rewrites)
    return out.getvalue()


def save_patched(
    content: bytes,
    label: str,
    edits: Mapping[str, SheetEdit],
    properties: Mapping[str, int] | None,
    target: IO[bytes],
    rewrites: Mapping[str, Rows] | None = None,
) -> None:
    """As patch_workbook, written to `target` as it is made rather than held whole."""
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
        styles.save()  # after the sheets: writing them may need a new format
        for key, value in (properties or {}).items():
            set_custom_property(package, key, value)
        package.save_to(target)
    finally:
        package.close()


def _patch_sheet(
    package: Package, part: str, label: str, edit: SheetEdit, styles: Styles, date1904: bool
) -> None:
    # Patched into a temporary file, not memory: a big part is written to disk in pieces and
    # copied into the new package from there.
    patched = package.spool(part)
    with package.open(part) as source:
        patch_sheet(source, patched.write, label, edit, styles, date1904)
    old_last, new_last = edit.last_row, edit.new_last_row()
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
