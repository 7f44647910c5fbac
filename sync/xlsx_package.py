"""An Excel package (.xlsx/.xlsm) as a zip of parts: read them, replace a few, keep the rest.

A person's workbook holds parts leadsync knows nothing about (drawings, controls, VBA, images
in cells). The package is rewritten part by part: every part nobody replaced is written back
with the very bytes it had, under the same name, in the same order.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from io import BytesIO
from typing import IO
from xml.etree import ElementTree

from sync.errors import BackendError

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = REL_NS + "/officeDocument"
STRICT_OFFICE_DOCUMENT = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
COPY_BUFFER = 1 << 20


@dataclass(frozen=True)
class SheetPart:
    name: str  # as the tab shows it
    part: str  # "xl/worksheets/sheet1.xml"
    is_worksheet: bool  # False for chartsheets and dialog sheets


def rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def resolve(source_part: str, target: str) -> str:
    """A relationship target as a part name: relative to the source's folder, or absolute."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


class Package:
    """The parts of one workbook, by name, read once from the bytes a pass loaded."""

    def __init__(self, content: bytes, label: str) -> None:
        self.label = label
        try:
            archive = zipfile.ZipFile(BytesIO(content))
            self._infos = archive.infolist()
            self._archive = archive
        except (zipfile.BadZipFile, OSError) as error:
            raise BackendError(
                f"{label} could not be opened as an Excel workbook ({error}); leadsync reads "
                ".xlsx and .xlsm files: save it in one of those formats"
            ) from None
        self._names = {info.filename for info in self._infos}
        self.replaced: dict[str, bytes] = {}
        self.added: dict[str, bytes] = {}
        self.spooled: dict[str, IO[bytes]] = {}  # replaced parts too big to hold: on disk

    def part_names(self) -> list[str]:
        return [info.filename for info in self._infos]

    def has(self, part: str) -> bool:
        return part in self.added or part in self._names

    def read(self, part: str) -> bytes:
        if part in self.replaced:
            return self.replaced[part]
        if part in self.added:
            return self.added[part]
        try:
            return self._archive.read(part)
        except KeyError:
            raise BackendError(f"{self.label} has no part {part}: the file is damaged") from None

    def write(self, part: str, content: bytes) -> None:
        if part in self._names:
            self.replaced[part] = content
        else:
            self.added[part] = content

    def open(self, part: str) -> IO[bytes]:
        """A part as it was read, as a stream: decompressed as it is read."""
        try:
            return self._archive.open(part)
        except KeyError:
            raise BackendError(f"{self.label} has no part {part}: the file is damaged") from None

    def spool(self, part: str) -> IO[bytes]:
        """A temporary file whose content replaces `part` when the package is saved."""
        if part not in self._names:
            raise BackendError(f"{self.label} has no part {part}: the file is damaged")
        self.replaced.pop(part, None)
        # Kept open until the package is saved; close() closes it.
        spooled = self.spooled[part] = tempfile.TemporaryFile()  # noqa: SIM115
        return spooled

    def relationships(self, part: str) -> list[dict[str, str]]:
        """The relationships of `part` (its .rels), each as its attributes."""
        path = rels_path(part) if part else "_rels/.rels"
        if not self.has(path):
            return []
        root = _xml(self.read(path), self.label, path)
        return [dict(rel.attrib) for rel in root if rel.tag == f"{{{PKG_REL_NS}}}Relationship"]

    def target_of(self, source_part: str, rel: dict[str, str]) -> str:
        return resolve(source_part, rel["Target"])

    def target(self, source_part: str, type_suffix: str) -> str | None:
        for rel in self.relationships(source_part):
            if rel.get("Type", "").endswith(type_suffix) and rel.get("TargetMode") != "External":
                return resolve(source_part, rel["Target"])
        return None

    def workbook_part(self) -> str:
        for rel in self.relationships(""):
            if rel.get("Type") in (OFFICE_DOCUMENT, STRICT_OFFICE_DOCUMENT):
                return resolve("", rel["Target"])
        raise BackendError(f"{self.label} has no workbook part: the file is damaged")

    def sheets(self) -> list[SheetPart]:
        workbook = self.workbook_part()
        targets = {
            rel["Id"]: (resolve(workbook, rel["Target"]), rel.get("Type", ""))
            for rel in self.relationships(workbook)
        }
        root = _xml(self.read(workbook), self.label, workbook)
        found = []
        for sheet in root.iter(f"{{{MAIN_NS}}}sheet"):
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), "")
            part, kind = targets.get(rid, ("", ""))
            found.append(SheetPart(sheet.get("name", ""), part, kind.endswith("/worksheet")))
        return found

    def date1904(self) -> bool:
        root = _xml(self.read(self.workbook_part()), self.label, "workbook")
        properties = root.find(f"{{{MAIN_NS}}}workbookPr")
        return properties is not None and properties.get("date1904") in ("1", "true")

    def save(self) -> bytes:
        """The package with replaced and added parts; every other part as it was."""
        out = BytesIO()
        self.save_to(out)
        return out.getvalue()

    def save_to(self, out: IO[bytes]) -> None:
        """As save, written to `out` part by part, each streamed rather than held whole."""
        with zipfile.ZipFile(out, "w") as target:
            for info in self._infos:
                entry = _same_entry(info)
                content = self.replaced.get(info.filename)
                if content is not None:
                    target.writestr(entry, content, compress_type=info.compress_type)
                    continue
                spooled = self.spooled.get(info.filename)
                with target.open(entry, "w") as written:
                    if spooled is not None:
                        spooled.seek(0)
                        shutil.copyfileobj(spooled, written, COPY_BUFFER)
                    else:
                        with self._archive.open(info) as source:
                            shutil.copyfileobj(source, written, COPY_BUFFER)
            for name, content in self.added.items():
                target.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)

    def close(self) -> None:
        for spooled in self.spooled.values():
            spooled.close()
        self.spooled.clear()
        self._archive.close()


def _same_entry(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(info.filename, info.date_time)
    entry.compress_type = info.compress_type
    entry.external_attr = info.external_attr
    entry.create_system = info.create_system
    return entry


def _xml(content: bytes, label: str, part: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(content)
    except ElementTree.ParseError as error:
        raise BackendError(f"{label}: part {part} is not readable XML ({error})") from None


def add_override(package: Package, part: str, content_type: str) -> None:
    """Declare a new part's content type in [Content_Types].xml, as a text edit."""
    name = "[Content_Types].xml"
    text = package.read(name).decode("utf-8")
    if f'PartName="/{part}"' in text:
        return
    entry = f'<Override PartName="/{part}" ContentType="{content_type}"/>'
    text = re.sub(r"</(\w+:)?Types>\s*$", lambda m: entry + m.group(0), text, count=1)
    package.write(name, text.encode("utf-8"))


def add_relationship(package: Package, source: str, rel_type: str, target: str) -> None:
    """Relate `source` (\"\" for the package) to `target`, as a text edit of its .rels."""
    path = rels_path(source) if source else "_rels/.rels"
    taken = {rel.get("Id", "") for rel in package.relationships(source)}
    number = 1
    while f"rId{number}" in taken:
        number += 1
    entry = f'<Relationship Id="rId{number}" Type="{rel_type}" Target="{target}"/>'
    if package.has(path):
        text = package.read(path).decode("utf-8")
        text = re.sub(r"</(\w+:)?Relationships>\s*$", lambda m: entry + m.group(0), text, count=1)
    else:
        text = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}">{entry}</Relationships>'
        )
    package.write(path, text.encode("utf-8"))
