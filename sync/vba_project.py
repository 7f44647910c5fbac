"""Office VBA project files (the `xl/vbaProject.bin` part of an .xlsm), written from the specs.

The file is a Compound File Binary ([MS-CFB], version 3) holding the storages and streams of
[MS-OVBA]:

    PROJECT            project properties as text (2.3.1)
    PROJECTwm          module names in the code page and in UTF-16 (2.3.3)
    VBA/_VBA_PROJECT   the 7-byte header whose version 0xFFFF says "no performance cache" (2.3.4.1)
    VBA/dir            project information, references and modules, compressed (2.3.4.2)
    VBA/<module>       each module's source, compressed (2.3.4.3)

Modules are of four kinds: standard modules (`Module=` in PROJECT, MODULETYPE 0x0021), class
modules (`Class=`, MODULETYPE 0x0022), and the workbook's and each worksheet's document module
(`Document=`, MODULETYPE 0x0022). `class_module_from_cls` reads a class module exported by the
VBA editor (a `.cls` file). Designer modules (UserForms) are not written.

Only source code is written: no p-code, no SRP streams. With `_VBA_PROJECT.Version` at 0xFFFF the
host has no cache it could trust, so it compiles the modules from their source when the workbook
opens (MS-OVBA 1.6). Every field that real Excel fills with something random (project GUID, the
seeds of the CMG/DPB/GC obfuscation) is derived from the input instead, so the same modules always
give the same bytes and a rebuilt template shows no spurious diff.
"""

from __future__ import annotations

import codecs
import hashlib
import itertools
import re
import struct
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

ModuleKind = Literal["standard", "class", "workbook", "worksheet"]
_KINDS: tuple[ModuleKind, ...] = ("standard", "class", "workbook", "worksheet")


@dataclass(frozen=True)
class VbaModule:
    """One module of the project, as a person would see it in the VBA editor.

    `source` carries no `Attribute VB_...` header lines: the writer adds the ones Excel expects
    for the kind of module, so they cannot disagree with the module's name and kind. For a
    class module exported as a `.cls` file, `class_module_from_cls` removes them.
    """

    name: str
    source: str
    kind: ModuleKind


# --------------------------------------------------------------------------------------------
# MS-OVBA 2.4.1: compression
# --------------------------------------------------------------------------------------------

_CHUNK_SIZE = 4096
# A chunk header stores its size minus 3 in 12 bits, so a chunk holds at most 4096 data bytes.
_MAX_CHUNK_DATA = 4096
_CHUNK_SIGNATURE = 0b011 << 12
_CHUNK_COMPRESSED = 1 << 15
# How many earlier positions with the same first three bytes are tried for a match. The spec's
# search is exhaustive; a cap only costs compression ratio, and keeps pathological input (long
# runs over a two-letter alphabet) from taking seconds per chunk in pure Python.
_MAX_CANDIDATES = 64


def compress(data: bytes) -> bytes:
    """Encode `data` as an MS-OVBA CompressedContainer (2.4.1.1.1).

    One case falls outside the spec: when the last, partial chunk does not compress (about
    3.6 KB or more of data with next to no repeated 3-byte sequences) it is stored raw at its
    real length, where the spec only has 4096-byte raw chunks. Source code never gets there.
    """
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK_SIZE):
        out += _compress_chunk(data, start, min(start + _CHUNK_SIZE, len(data)))
    return bytes(out)


def _copy_token_bits(distance: int) -> int:
    """Bits of a copy token given to the offset, `distance` bytes into the chunk (2.4.1.3.19.1).

    The split moves as the chunk fills: early on offsets are small and lengths may be long.
    """
    return max((distance - 1).bit_length(), 4)


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    body = bytearray()
    # Positions of each 3-byte prefix seen so far in this chunk: copy tokens may not reach back
    # across a chunk boundary, so the index starts empty for every chunk.
    seen: dict[bytes, list[int]] = {}
    indexed = start
    pos = start
    while pos < end:
        flag_at = len(body)
        body.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            while indexed < pos and indexed + 3 <= end:
                seen.setdefault(data[indexed : indexed + 3], []).append(indexed)
                indexed += 1
            bits = _copy_token_bits(pos - start) if pos > start else 4
            limit = min((0xFFFF >> bits) + 3, end - pos)
            best_len, best_at = 0, 0
            if limit >= 3:
                chain = reversed(seen.get(data[pos : pos + 3], []))
                for candidate in itertools.islice(chain, _MAX_CANDIDATES):
                    # A candidate can only win if it also matches at the current best length.
                    if best_len and data[candidate + best_len] != data[pos + best_len]:
                        continue
                    length = 3
                    while length < limit and data[candidate + length] == data[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_at = length, candidate
                        if length == limit:
                            break
            if best_len >= 3:
                token = ((pos - best_at - 1) << (16 - bits)) | (best_len - 3)
                body += token.to_bytes(2, "little")
                flags |= 1 << bit
                pos += best_len
            else:
                body.append(data[pos])
                pos += 1
        body[flag_at] = flags
    if len(body) > _MAX_CHUNK_DATA:
        # Incompressible: store the bytes as they are (a "raw" chunk, flag bit clear). For a
        # final chunk under 4096 bytes the spec would pad with zeros; the exact length is kept
        # instead so that decompress(compress(data)) == data always holds.
        raw = data[start:end]
        return ((len(raw) - 1) | _CHUNK_SIGNATURE).to_bytes(2, "little") + raw
    header = (len(body) - 1) | _CHUNK_SIGNATURE | _CHUNK_COMPRESSED
    return header.to_bytes(2, "little") + bytes(body)


def _has_short_raw_chunk(packed: bytes) -> bool:
    """Whether `compress` had to store a final chunk shorter than 4096 bytes uncompressed.

    MS-OVBA only knows raw chunks of exactly 4096 bytes, and its own algorithm pads a short
    one with zeros, which would change the data. `compress` keeps the data exact instead;
    LibreOffice reads such a chunk, olevba refuses it, and Excel was not tried.
    """
    pos = 1
    while pos < len(packed):
        header = int.from_bytes(packed[pos : pos + 2], "little")
        if not header & _CHUNK_COMPRESSED and header & 0x0FFF != _MAX_CHUNK_DATA - 1:
            return True
        pos += (header & 0x0FFF) + 3
    return False


def decompress(data: bytes) -> bytes:
    """Decode an MS-OVBA CompressedContainer (2.4.1.3.1); ValueError if it is malformed."""
    if not data or data[0] != 0x01:
        raise ValueError("not an MS-OVBA compressed container: first byte is not 0x01")
    out = bytearray()
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError(f"truncated chunk header at byte {pos}")
        header = int.from_bytes(data[pos : pos + 2], "little")
        if header & 0x7000 != _CHUNK_SIGNATURE:
            raise ValueError(f"bad chunk signature at byte {pos}")
        chunk_end = pos + (header & 0x0FFF) + 3
        if chunk_end > len(data):
            raise ValueError(f"chunk at byte {pos} runs past the end of the data")
        chunk_start = len(out)
        pos += 2
        if not header & _CHUNK_COMPRESSED:
            out += data[pos:chunk_end]
            pos = chunk_end
            continue
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                if pos + 2 > chunk_end:
                    raise ValueError(f"truncated copy token at byte {pos}")
                token = int.from_bytes(data[pos : pos + 2], "little")
                pos += 2
                distance = len(out) - chunk_start
                bits = _copy_token_bits(distance) if distance else 4
                length = (token & (0xFFFF >> bits)) + 3
                offset = (token >> (16 - bits)) + 1
                if offset > distance:
                    raise ValueError(f"copy token at byte {pos - 2} reaches before its chunk")
                source = len(out) - offset
                if offset >= length:
                    out += out[source : source + length]
                else:
                    # Overlapping copy: the last `offset` bytes repeat.
                    period = bytes(out[source:])
                    out += (period * (length // offset + 1))[:length]
        if len(out) - chunk_start > _CHUNK_SIZE:
            raise ValueError(f"chunk ending at byte {chunk_end} decompresses past 4096 bytes")
    return bytes(out)


# --------------------------------------------------------------------------------------------
# MS-CFB: the compound file
# --------------------------------------------------------------------------------------------

_SECTOR = 512
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096
_IDS_PER_SECTOR = _SECTOR // 4
_HEADER_DIFAT = 109
_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
_DIFSECT = 0xFFFFFFFC
_NOSTREAM = 0xFFFFFFFF
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_BLACK = 1
_CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass
class _Storage:
    streams: dict[str, bytes] = field(default_factory=dict)
    storages: dict[str, _Storage] = field(default_factory=dict)


@dataclass
class _DirEntry:
    name: str
    kind: int
    data: bytes = b""
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM
    start: int = 0
    size: int = 0

    def pack(self) -> bytes:
        name = self.name.encode("utf-16-le") + b"\0\0"
        return struct.pack(
            "<64sHBBIII16sIQQIQ",
            name,
            len(name),
            self.kind,
            _BLACK,
            self.left,
            self.right,
            self.child,
            bytes(16),  # CLSID
            0,  # state bits
            0,  # creation time: zero keeps the output reproducible
            0,  # modification time
            self.start,
            self.size,
        )


_UNUSED_ENTRY = struct.pack(
    "<64sHBBIII16sIQQIQ", b"", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, bytes(16), 0, 0, 0, 0, 0
)


def _cfb_order(name: str) -> tuple[int, tuple[int, ...]]:
    """Sort key of MS-CFB 2.6.4: shorter names first, then UTF-16 code units uppercased one by one.

    Readers find a child by walking the tree with this comparison, so any other order makes
    entries unfindable even though they are in the file.
    """
    units = name.encode("utf-16-le")
    codes = [int.from_bytes(units[i : i + 2], "little") for i in range(0, len(units), 2)]
    upper = []
    for code in codes:
        if 0xD800 <= code <= 0xDFFF:
            upper.append(code)
            continue
        folded = chr(code).upper()
        upper.append(ord(folded) if len(folded) == 1 else code)
    return len(codes), tuple(upper)


def _directory(root: _Storage) -> list[_DirEntry]:
    entries = [_DirEntry("Root Entry", _ROOT)]
    pending: list[tuple[int, _Storage]] = [(0, root)]
    while pending:
        parent, storage = pending.pop(0)
        names = sorted([*storage.streams, *storage.storages], key=_cfb_order)
        ids: list[int] = []
        for name in names:
            ids.append(len(entries))
            if name in storage.storages:
                entries.append(_DirEntry(name, _STORAGE))
                pending.append((ids[-1], storage.storages[name]))
            else:
                entries.append(_DirEntry(name, _STREAM, storage.streams[name]))
        entries[parent].child = _balanced(entries, ids)
    return entries


def _balanced(entries: list[_DirEntry], ids: list[int]) -> int:
    """Link sorted siblings as a balanced binary search tree and return its top.

    MS-CFB 2.6.4 asks only for a black top, no two red nodes in a row and left < right; it
    names colouring every node black as the simplest valid choice, which is what is done here.
    """
    if not ids:
        return _NOSTREAM
    middle = len(ids) // 2
    top = ids[middle]
    entries[top].left = _balanced(entries, ids[:middle])
    entries[top].right = _balanced(entries, ids[middle + 1 :])
    return top


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _pack_ids(ids: Sequence[int]) -> bytes:
    return struct.pack(f"<{len(ids)}I", *ids)


def _write_compound_file(root: _Storage) -> bytes:
    """Serialise `root` as a version 3 compound file (512-byte sectors)."""
    entries = _directory(root)
    body = bytearray()
    fat: list[int] = []

    def place(blob: bytes) -> int:
        count = _ceil_div(len(blob), _SECTOR)
        first = len(fat)
        fat.extend(range(first + 1, first + count))
        fat.append(_ENDOFCHAIN)
        body.extend(blob)
        body.extend(bytes(count * _SECTOR - len(blob)))
        return first

    # Small streams share the mini stream (64-byte sectors, chained in the mini FAT) so a
    # 300-byte stream does not take a whole 512-byte sector.
    mini = bytearray()
    minifat: list[int] = []
    for entry in entries:
        if entry.kind != _STREAM:
            continue
        entry.size = len(entry.data)
        if not entry.data:
            entry.start = _ENDOFCHAIN
        elif len(entry.data) >= _MINI_CUTOFF:
            entry.start = place(entry.data)
        else:
            count = _ceil_div(len(entry.data), _MINI_SECTOR)
            entry.start = len(minifat)
            minifat.extend(range(entry.start + 1, entry.start + count))
            minifat.append(_ENDOFCHAIN)
            mini.extend(entry.data)
            mini.extend(bytes(count * _MINI_SECTOR - len(entry.data)))
    entries[0].start = place(bytes(mini)) if mini else _ENDOFCHAIN
    entries[0].size = len(mini)

    minifat_sectors = _ceil_div(len(minifat), _IDS_PER_SECTOR)
    first_minifat = _ENDOFCHAIN
    if minifat:
        padded = minifat + [_FREESECT] * (minifat_sectors * _IDS_PER_SECTOR - len(minifat))
        first_minifat = place(_pack_ids(padded))

    directory = b"".join(entry.pack() for entry in entries)
    per_sector = _SECTOR // len(_UNUSED_ENTRY)
    directory += _UNUSED_ENTRY * (-len(entries) % per_sector)
    first_directory = place(directory)

    # The FAT must also describe its own sectors and those of the DIFAT, so grow both until
    # they cover everything, themselves included.
    used = len(fat)
    fat_sectors = difat_sectors = 0
    while True:
        difat_sectors = _ceil_div(max(fat_sectors - _HEADER_DIFAT, 0), _IDS_PER_SECTOR - 1)
        needed = _ceil_div(used + fat_sectors + difat_sectors, _IDS_PER_SECTOR)
        if needed <= fat_sectors:
            break
        fat_sectors = needed
    fat_ids = list(range(used, used + fat_sectors))
    difat_ids = list(range(used + fat_sectors, used + fat_sectors + difat_sectors))
    fat.extend([_FATSECT] * fat_sectors)
    fat.extend([_DIFSECT] * difat_sectors)
    fat.extend([_FREESECT] * (fat_sectors * _IDS_PER_SECTOR - len(fat)))
    body.extend(_pack_ids(fat))

    overflow = fat_ids[_HEADER_DIFAT:]
    for index in range(difat_sectors):
        listed = overflow[index * (_IDS_PER_SECTOR - 1) : (index + 1) * (_IDS_PER_SECTOR - 1)]
        listed += [_FREESECT] * (_IDS_PER_SECTOR - 1 - len(listed))
        following = difat_ids[index + 1] if index + 1 < len(difat_ids) else _ENDOFCHAIN
        body.extend(_pack_ids([*listed, following]))

    header_difat = fat_ids[:_HEADER_DIFAT]
    header_difat += [_FREESECT] * (_HEADER_DIFAT - len(header_difat))
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        _CFB_SIGNATURE,
        bytes(16),  # header CLSID
        0x003E,  # minor version
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # little-endian byte order mark
        9,  # sector shift: 2**9 = 512
        6,  # mini sector shift: 2**6 = 64
        bytes(6),
        0,  # directory sector count: must be 0 in version 3
        fat_sectors,
        first_directory,
        0,  # transaction signature
        _MINI_CUTOFF,
        first_minifat,
        minifat_sectors,
        difat_ids[0] if difat_ids else _ENDOFCHAIN,
        difat_sectors,
    )
    return header + _pack_ids(header_difat) + bytes(body)


# --------------------------------------------------------------------------------------------
# MS-OVBA: the VBA project
# --------------------------------------------------------------------------------------------

_MAX_MODULE_NAME = 31
_MAX_PROJECT_NAME = 128
_LCID_EN_US = 0x0409
# VBA's own streams in the VBA storage: a module of the same name would overwrite one of them.
_VBA_STORAGE_STREAMS = frozenset({"DIR", "_VBA_PROJECT"})
# Names the VBA editor refuses for a module or project: keywords, statements, operators,
# built-in types and the literal values ([MS-VBAL] 3.3.5.2, reserved identifiers).
_RESERVED = frozenset(
    """
    Abs AddressOf And Any Array As Attribute Boolean ByRef Byte ByVal Call Case CBool CByte
    CCur CDate CDbl CDec CDecl Circle CInt CLng CLngLng CLngPtr Close Const CSng CStr
    Currency CVar CVErr Date Debug Decimal Declare DefBool DefByte DefCur DefDate DefDbl DefDec
    DefInt DefLng DefLngLng DefLngPtr DefObj DefSng DefStr DefVar Dim Do DoEvents Double Each
    Else ElseIf Empty End EndIf Enum Eqv Erase Event Exit False Fix For Friend Function Get
    Global GoSub GoTo If Imp Implements In Input InputB Int Integer Is LBound Len LenB Let Like
    Lock Long LongLong LongPtr Loop LSet Me Mod New Next Not Nothing Null On Open Option
    Optional Or ParamArray Preserve Print Private PSet Public Put RaiseEvent ReDim Rem Resume
    Return RSet Scale Seek Select Set Sgn Shared Single Spc Static Stop String Sub Tab Then To
    True Type TypeOf UBound Unlock Until Variant Wend While With WithEvents Write Xor
    """.upper().split()
)
_DIGITS_AND_UNDERSCORE = frozenset("0123456789_")
# Libraries an Excel project always sees (VBA, Excel, and the stdole reference written below):
# the VBA editor refuses a project or module named like one of them.
_LIBRARIES = frozenset({"VBA", "EXCEL", "STDOLE"})
# The `Attribute` header Excel writes for a document module; VB_Base names the host class the
# module extends (an Excel Workbook or Worksheet).
_DOCUMENT_ATTRIBUTES = (
    "Attribute VB_GlobalNameSpace = False",
    "Attribute VB_Creatable = False",
    "Attribute VB_PredeclaredId = True",
    "Attribute VB_Exposed = True",
    "Attribute VB_TemplateDerived = False",
    "Attribute VB_Customizable = True",
)
# The header Excel keeps in the module stream of a class module made with Insert > Class Module
# (Instancing "1 - Private": no instance without `New`, not visible to other projects). A .cls
# export shows only VB_Name and the four in the middle; the stream, as Excel saves it (xlwings'
# own quickstart_standalone.xlsm, and class modules in the wild), also has a VB_Base naming
# VBA's class-module base and the two template attributes.
_CLASS_ATTRIBUTES = (
    "Attribute VB_GlobalNameSpace = False",
    "Attribute VB_Creatable = False",
    "Attribute VB_PredeclaredId = False",
    "Attribute VB_Exposed = False",
    "Attribute VB_TemplateDerived = False",
    "Attribute VB_Customizable = False",
)
# VB_Base of each kind but "standard": the class a module extends (an Excel Workbook or
# Worksheet for a document module, VBA's own class-module base for a class module).
_VB_BASE = {
    "class": "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}",
    "workbook": "0{00020819-0000-0000-C000-000000000046}",
    "worksheet": "0{00020820-0000-0000-C000-000000000046}",
}
# stdole2 (OLE Automation), the one reference every Excel project has; the string is the one
# real Excel-saved workbooks hold. The path is only a hint: VBA looks the library up by GUID.
_STDOLE_NAME = "stdole"
_STDOLE_LIBID = (
    r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0"
    r"#C:\WINDOWS\system32\stdole2.tlb#OLE Automation"
)
# The plain values of CMG, DPB and GC for a project anyone may open and edit (2.3.1.15-17).
_NOT_PROTECTED = bytes(4)
_NO_PASSWORD = b"\x00"
_VISIBLE = b"\xff"
_HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
# Project GUIDs are derived from the project name under this namespace of our own.
_PROJECT_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "leadsync:vba-project")


def build_vba_project(
    project_name: str, modules: Sequence[VbaModule], code_page: int = 1252
) -> bytes:
    """The bytes of a `vbaProject.bin` holding `modules` as source code only.

    Excel compiles the modules when the workbook is opened. The workbook module's name must be
    the workbook's `codeName` and each worksheet module's the `codeName` of its sheet, or Excel
    will not attach them to the workbook and its sheets.
    """
    encoding = _encoding(code_page)
    _check_name(project_name, "project name", _MAX_PROJECT_NAME, encoding)
    _check_modules(project_name, modules, encoding)

    project_id = "{" + str(uuid.uuid5(_PROJECT_ID_NAMESPACE, project_name)).upper() + "}"
    vba = _Storage(
        streams={
            # Reserved1, Version 0xFFFF (no performance cache), Reserved2, Reserved3. Reserved3
            # is "undefined": 0x0001 is what the spec's example and Excel-saved files hold.
            "_VBA_PROJECT": struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0001),
            "dir": compress(_dir_stream(project_name, modules, code_page, encoding)),
        }
    )
    for module in modules:
        packed = compress(_module_text(module).encode(encoding))
        if _has_short_raw_chunk(packed):
            raise ValueError(
                f"module {module.name!r}: the end of its source does not compress (about 3.6 KB "
                "with almost no repeated text, such as an encoded binary), and a module stream "
                "cannot store it uncompressed"
            )
        vba.streams[module.name] = packed
    root = _Storage(
        streams={
            "PROJECT": _project_stream(project_id, project_name, modules, encoding),
            "PROJECTwm": _project_wm_stream(modules, encoding),
        },
        storages={"VBA": vba},
    )
    return _write_compound_file(root)


# The header the VBA editor puts before a class module it exports, for its own import: the
# `VERSION 1.0 CLASS` line and a BEGIN ... END block of instancing properties (VBA writes
# `MultiUse = -1  'True`). A form's .frm starts `VERSION 5.00` and has a designer as well.
_CLS_VERSION = re.compile(r"VERSION\s+1\.0\s+CLASS", re.IGNORECASE)
# `Attribute VB_Name = "x"`, a module-level attribute; a procedure's reads `Attribute Proc.VB_...`.
_MODULE_ATTRIBUTE = re.compile(r"\s*Attribute\s+(\w+)\s*=\s*(.*?)\s*", re.IGNORECASE)


def class_module_from_cls(name: str, text: str) -> VbaModule:
    """The class module `name` from the text of a `.cls` file the VBA editor exported.

    The export's header (`VERSION 1.0 CLASS`, `BEGIN` ... `END`) is the editor's import
    format, never part of a module, and is dropped. So are the module-level `Attribute VB_...`
    lines that follow it: `build_vba_project` writes the ones Excel writes for a new class
    module. Of what that changes, `VB_Exposed = True` only made the class visible to other
    projects referencing this one and `VB_Description` is a help text; `VB_PredeclaredId = True`
    (a default instance code may rely on) and a `VB_Base` other than a class module's (a
    document module exported as .cls) would change what the module is, so they are refused, as
    is a `VB_Name` other than `name`. Procedure-level attributes, such as
    `Attribute Item.VB_UserMemId = 0` (the default member), stay in the source. Text without
    the export header (a module stream as olevba prints it) is read the same way.
    """
    lines = _lines(text.removeprefix("\ufeff"))
    at = 0
    if lines and lines[0].strip().upper().startswith("VERSION"):
        if not _CLS_VERSION.fullmatch(lines[0].strip()):
            raise ValueError(
                f"class {name!r}: {lines[0].strip()!r} is not the header of an exported class "
                "module (VERSION 1.0 CLASS)"
            )
        if len(lines) < 2 or lines[1].strip().upper() != "BEGIN":
            raise ValueError(f"class {name!r}: the VERSION line is not followed by BEGIN")
        ends = [n for n in range(2, len(lines)) if lines[n].strip().upper() == "END"]
        if not ends:
            raise ValueError(f"class {name!r}: the BEGIN block of the header has no END")
        at = ends[0] + 1
    while at < len(lines) and (attribute := _MODULE_ATTRIBUTE.fullmatch(lines[at])):
        statement = lines[at]
        at += 1
        # An attribute value continued on the next line with " _".
        while statement.endswith(" _") and at < len(lines):
            statement = statement[:-1] + lines[at].strip()
            at += 1
        attribute = _MODULE_ATTRIBUTE.fullmatch(statement) or attribute
        key, value = attribute.group(1).upper(), attribute.group(2)
        if key == "VB_NAME" and value.strip('"').upper() != name.upper():
            raise ValueError(f"class {name!r}: the file is the class {value}")
        if key == "VB_PREDECLAREDID" and value.upper() != "FALSE":
            raise ValueError(
                f"class {name!r}: VB_PredeclaredId = {value} (a default instance) cannot be "
                "kept: a class module is written with VB_PredeclaredId = False"
            )
        if key == "VB_BASE" and value.strip('"').upper() != _VB_BASE["class"]:
            raise ValueError(
                f"class {name!r}: VB_Base = {value} makes it a document or designer module, "
                "not a class module"
            )
    return VbaModule(name, "".join(line + "\r\n" for line in lines[at:]), "class")


def _encoding(code_page: int) -> str:
    try:
        return codecs.lookup(f"cp{code_page}").name
    except LookupError:
        raise ValueError(f"code page {code_page} is not one Python can encode") from None


def _check_name(name: str, what: str, longest: int, encoding: str) -> None:
    if not name:
        raise ValueError(f"{what} is empty")
    if len(name) > longest:
        raise ValueError(f"{what} {name!r} is longer than {longest} characters")
    first, rest = name[0], name[1:]
    if not (_is_letter(first) and all(_is_letter(c) or c in _DIGITS_AND_UNDERSCORE for c in rest)):
        raise ValueError(
            f"{what} {name!r} is not a VBA identifier: a letter, then letters, digits or _"
        )
    if name.upper() in _RESERVED:
        raise ValueError(f"{what} {name!r} is a reserved word of VBA")
    if name.upper() in _LIBRARIES:
        raise ValueError(f"{what} {name!r} is the name of a library every Excel project uses")
    try:
        name.encode(encoding)
    except UnicodeEncodeError:
        raise ValueError(f"{what} {name!r} cannot be written in code page {encoding}") from None


def _is_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L")


def _check_modules(project_name: str, modules: Sequence[VbaModule], encoding: str) -> None:
    seen: dict[str, str] = {project_name.upper(): "the project"}
    for module in modules:
        _check_name(module.name, "module name", _MAX_MODULE_NAME, encoding)
        key = module.name.upper()
        if key in seen:
            raise ValueError(
                f"module name {module.name!r} is already used by {seen[key]} "
                "(VBA names ignore case)"
            )
        if key in _VBA_STORAGE_STREAMS:
            raise ValueError(f"module name {module.name!r} is taken by a stream of the project")
        seen[key] = f"module {module.name!r}"
        if module.kind not in _KINDS:
            raise ValueError(f"module {module.name!r} has an unknown kind {module.kind!r}")
        for line in _lines(module.source):
            words = line.split(None, 2)
            if len(words) > 1 and words[0].upper() == "ATTRIBUTE" and "." not in words[1]:
                raise ValueError(
                    f"module {module.name!r}: leave out module-level Attribute lines "
                    f"({line.strip()!r}); they are written for you"
                )
        try:
            module.source.encode(encoding)
        except UnicodeEncodeError as error:
            raise ValueError(
                f"module {module.name!r}: {module.source[error.start : error.end]!r} cannot be "
                f"written in code page {encoding}"
            ) from None
    workbooks = [m.name for m in modules if m.kind == "workbook"]
    if len(workbooks) != 1:
        raise ValueError(
            f"a project needs exactly one workbook module, got {len(workbooks)}"
            + (f" ({', '.join(workbooks)})" if workbooks else "")
        )


def _lines(source: str) -> list[str]:
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n") if text else []


def _module_text(module: VbaModule) -> str:
    header = [f'Attribute VB_Name = "{module.name}"']
    if module.kind != "standard":
        header.append(f'Attribute VB_Base = "{_VB_BASE[module.kind]}"')
        header.extend(_CLASS_ATTRIBUTES if module.kind == "class" else _DOCUMENT_ATTRIBUTES)
    return "".join(line + "\r\n" for line in [*header, *_lines(module.source)])


def _record(record_id: int, payload: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(payload)) + payload


def _text_records(record_id: int, unicode_id: int, text: str, encoding: str) -> bytes:
    """A dir record holding `text` in the code page, followed by its UTF-16 twin."""
    return _record(record_id, text.encode(encoding)) + _record(unicode_id, text.encode("utf-16-le"))


def _dir_stream(
    project_name: str, modules: Sequence[VbaModule], code_page: int, encoding: str
) -> bytes:
    out = bytearray()
    # PROJECTINFORMATION (2.3.4.2.1)
    out += _record(0x0001, struct.pack("<I", 1))  # SysKind: 32-bit Windows, as Excel writes
    out += _record(0x0002, struct.pack("<I", _LCID_EN_US))
    out += _record(0x0014, struct.pack("<I", _LCID_EN_US))  # LcidInvoke
    out += _record(0x0003, struct.pack("<H", code_page))
    out += _record(0x0004, project_name.encode(encoding))
    out += _text_records(0x0005, 0x0040, "", encoding)  # DocString
    out += _text_records(0x0006, 0x003D, "", encoding)  # HelpFile1, HelpFile2
    out += _record(0x0007, struct.pack("<I", 0))  # HelpContext
    out += _record(0x0008, struct.pack("<I", 0))  # LibFlags
    # PROJECTVERSION's size field is fixed at 4 although 6 bytes follow (2.3.4.2.1.11).
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)
    out += _text_records(0x000C, 0x003C, "", encoding)  # Constants
    # PROJECTREFERENCES (2.3.4.2.2): REFERENCENAME then REFERENCEREGISTERED
    out += _text_records(0x0016, 0x003E, _STDOLE_NAME, encoding)
    libid = _STDOLE_LIBID.encode(encoding)
    out += _record(0x000D, struct.pack("<I", len(libid)) + libid + struct.pack("<IH", 0, 0))
    # PROJECTMODULES (2.3.4.2.3)
    out += _record(0x000F, struct.pack("<H", len(modules)))
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE: 0xFFFF on write
    for module in modules:
        out += _text_records(0x0019, 0x0047, module.name, encoding)  # MODULENAME (+ Unicode)
        out += _text_records(0x001A, 0x0032, module.name, encoding)  # MODULESTREAMNAME
        out += _text_records(0x001C, 0x0048, "", encoding)  # MODULEDOCSTRING
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: no p-code before source
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE: 0xFFFF on write
        # MODULETYPE (0x0021 procedural; 0x0022 document, class or designer) and the
        # terminators have a 4-byte Reserved 0 where other records have their size: an empty
        # record writes exactly that.
        out += _record(0x0021 if module.kind == "standard" else 0x0022, b"")
        out += _record(0x002B, b"")  # module terminator
    out += _record(0x0010, b"")  # dir terminator
    return bytes(out)


def _project_stream(
    project_id: str, project_name: str, modules: Sequence[VbaModule], encoding: str
) -> bytes:
    lines = [f'ID="{project_id}"']
    for module in modules:
        if module.kind == "standard":
            lines.append(f"Module={module.name}")  # ProjectStdModule (2.3.1.5)
        elif module.kind == "class":
            lines.append(f"Class={module.name}")  # ProjectClassModule (2.3.1.6)
        else:  # ProjectDocModule (2.3.1.4)
            lines.append(f"Document={module.name}/&H00000000")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        # Unprotected project (2.3.1.15-17): no protection bits, no password, visible.
        f'CMG="{_encrypt(_NOT_PROTECTED, project_id, b"CMG")}"',
        f'DPB="{_encrypt(_NO_PASSWORD, project_id, b"DPB")}"',
        f'GC="{_encrypt(_VISIBLE, project_id, b"GC")}"',
        "",
        "[Host Extender Info]",
        _HOST_EXTENDER,
    ]
    return "".join(line + "\r\n" for line in lines).encode(encoding)


def _encrypt(data: bytes, project_id: str, label: bytes) -> str:
    """MS-OVBA 2.4.3.2 data encryption, as the hex digits the PROJECT stream holds.

    The spec leaves the seed and the ignored bytes to chance; here they come from a hash of
    the project ID and the value, so the output is reproducible.
    """
    noise = hashlib.sha256(project_id.encode("ascii") + b"|" + label + b"|" + data).digest()
    seed = noise[0]
    project_key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ 2, seed ^ project_key])  # Seed, VersionEnc (version 2), key
    last_plain, last_enc, before_last_enc = project_key, out[2], out[1]
    ignored = noise[1 : 1 + (seed & 6) // 2]
    for byte in [*ignored, *len(data).to_bytes(4, "little"), *data]:
        encrypted = byte ^ ((before_last_enc + last_plain) & 0xFF)
        out.append(encrypted)
        before_last_enc, last_enc, last_plain = last_enc, encrypted, byte
    return out.hex().upper()


def _project_wm_stream(modules: Sequence[VbaModule], encoding: str) -> bytes:
    out = bytearray()
    for module in modules:
        out += module.name.encode(encoding) + b"\0"
        out += module.name.encode("utf-16-le") + b"\0\0"
    return bytes(out + b"\0\0")
