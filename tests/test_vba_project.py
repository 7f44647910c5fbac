"""The VBA project file (`xl/vbaProject.bin`) leadsync writes, read by parsers we did not write.

olefile reads the compound file, oletools' olevba reads the VBA project inside it the way
malware scanners and Office tooling do, and the Excel-saved workbooks of the corpus show what
real Excel puts in the records we write.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import os
import random
import re
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser, decompress_stream

from sync.vba_project import (
    VbaModule,
    _Storage,
    _write_compound_file,
    build_vba_project,
    class_module_from_cls,
    compress,
    decompress,
)

CORPUS = Path(
    os.environ.get(
        "LEADSYNC_EXCEL_CORPUS",
        Path(__file__).resolve().parents[2] / "shared" / "excel-corpus" / "files",
    )
)
MACRO_WORKBOOK = CORPUS / "macro01.xlsm"
BLACK = 1  # MS-CFB 2.6.3 colour flag
needs_corpus = pytest.mark.skipif(
    not MACRO_WORKBOOK.exists(), reason=f"Excel corpus not found at {CORPUS}"
)

BUTTONS = """Option Explicit

' Called by the "Sync now" button on the Prospects tab.
Public Sub SyncNow()
    RunPython "import sync.xlwings_backend as b; b.sync_now()"
End Sub

Sub StrikeOff()
Attribute StrikeOff.VB_ProcData.VB_Invoke_Func = " \\n14"
    ActiveCell.Value = "x"
End Sub
"""
WORKBOOK = "Private Sub Workbook_Open()\r\n    Application.StatusBar = False\r\nEnd Sub\r\n"
SHEET = "Private Sub Worksheet_Activate()\rEnd Sub"
MODULES = (
    VbaModule("LeadsyncButtons", BUTTONS, "standard"),
    VbaModule("ThisWorkbook", WORKBOOK, "workbook"),
    VbaModule("Sheet1", SHEET, "worksheet"),
)


def crlf(source: str) -> str:
    """Source as the module stream holds it: every line, the last one too, ends with CRLF."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").removesuffix("\n").split("\n")
    return "".join(line + "\r\n" for line in lines)


def open_ole(data: bytes) -> olefile.OleFileIO:
    # DEFECT_INCORRECT makes olefile raise on anything that breaks the spec, not just log it.
    return olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)


def stream(ole: olefile.OleFileIO, path: str) -> bytes:
    data: bytes = ole.openstream(path).read()
    return data


def dir_records(data: bytes) -> list[tuple[int, bytes]]:
    """The records of a decompressed `dir` stream, as (id, payload)."""
    records = []
    pos = 0
    while pos < len(data):
        record_id, size = struct.unpack_from("<HI", data, pos)
        # PROJECTVERSION's size field says 4 but 6 bytes follow (MS-OVBA 2.3.4.2.1.11).
        if record_id == 0x0009:
            size = 6
        records.append((record_id, data[pos + 6 : pos + 6 + size]))
        pos += 6 + size
    return records


def decrypt(hex_digits: str) -> tuple[int, int, bytes]:
    """MS-OVBA 2.4.3.3, written apart from the encryption under test: (version, key, data)."""
    raw = bytes.fromhex(hex_digits)
    seed, version_enc, key_enc = raw[0], raw[1], raw[2]
    key = seed ^ key_enc
    plain, enc1, enc2 = key, key_enc, version_enc
    decoded = []
    for byte in raw[3:]:
        value = byte ^ ((enc2 + plain) & 0xFF)
        decoded.append(value)
        enc2, enc1, plain = enc1, byte, value
    skip = (seed & 6) // 2
    length = int.from_bytes(bytes(decoded[skip : skip + 4]), "little")
    data = bytes(decoded[skip + 4 :])
    assert len(data) == length
    return seed ^ version_enc, key, data


def project_properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.split("\r\n") if "=" in line)


def excel_vba_project() -> bytes:
    with zipfile.ZipFile(MACRO_WORKBOOK) as workbook:
        return workbook.read("xl/vbaProject.bin")


# --------------------------------------------------------------------------------------------
# Compression
# --------------------------------------------------------------------------------------------


def _random(size: int) -> bytes:
    return random.Random(size).randbytes(size)


ROUND_TRIPS = {
    "empty": b"",
    "one byte": b"x",
    "under one chunk": BUTTONS.encode(),
    "exactly one chunk": (b"Dim lead As Range\r\n" * 300)[:4096],
    "one chunk and a byte": (b"Dim lead As Range\r\n" * 300)[:4097],
    "several chunks": crlf(BUTTONS * 40).encode(),
    "incompressible": _random(3 * 4096 + 1000),
    "repetitive": b"a" * 20_000,
    "repeating pair": b"ab" * 10_000,
}


@pytest.mark.parametrize("data", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_compression_round_trips_and_olevba_decompresses_it_too(data: bytes) -> None:
    packed = compress(data)
    assert packed[0] == 0x01
    assert decompress(packed) == data
    assert bytes(decompress_stream(bytearray(packed))) == data


def test_compression_shrinks_repetition_and_stores_noise_as_it_is() -> None:
    assert len(compress(b"a" * 20_000)) < 60
    noise = _random(3 * 4096)
    # Three raw chunks: the signature byte, then a 2-byte header before each 4096 bytes.
    assert compress(noise) == b"\x01" + b"".join(
        b"\xff\x3f" + noise[i : i + 4096] for i in (0, 4096, 8192)
    )


def test_compression_gives_the_bytes_of_the_spec_examples() -> None:
    # MS-OVBA 3.2.1 (no compression) and 3.2.2 (normal compression).
    plain = b"abcdefghijklmnopqrstuv."
    packed = bytes.fromhex("0119B000 6162636465666768 00 696A6B6C6D6E6F70 00 7172737475762E")
    assert compress(plain) == packed and decompress(packed) == plain
    plain = b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa"
    packed = bytes.fromhex(
        "012FB000236161616263646582660070616768696A013808616B6C00206D6E6F7006"
        "71027004007273747576107778797A002C"
    )
    assert compress(plain) == packed and decompress(packed) == plain


def test_an_incompressible_short_last_chunk_is_kept_exact_but_refused_in_a_module() -> None:
    # The spec has raw chunks of 4096 bytes only and would pad this one with zeros; compress
    # keeps the bytes exact, which a strict reader like olevba does not accept.
    data = b"a" * 4096 + _random(3900)
    packed = compress(data)
    assert decompress(packed) == data
    with pytest.raises(ValueError, match="4098"):
        decompress_stream(bytearray(packed))
    rng = random.Random(5)
    noise = "".join(
        rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", k=3900)
    )
    modules = [VbaModule("Payload", f'Const DATA = "{noise}"\n', "standard"), MODULES[1]]
    with pytest.raises(ValueError, match="'Payload': the end of its source does not compress"):
        build_vba_project("LeadsyncMacros", modules)


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=9000),
        st.lists(
            st.sampled_from([b"a", b"ab", b"Sub ", b"\r\n", b"End Sub", b"\x00"]), max_size=3000
        ).map(b"".join),
    )
)
def test_decompress_undoes_compress(data: bytes) -> None:
    assert decompress(compress(data)) == data


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (b"", "first byte"),
        (b"\x02\x00\xb0\x00", "first byte"),
        (b"\x01\x00", "truncated chunk header"),
        (b"\x01\x00\x20\x00", "signature"),
        (b"\x01\x10\xb0\x00abc", "past the end"),
        (b"\x01\x02\xb0\x01\x00\x00", "reaches before its chunk"),
    ],
)
def test_decompress_rejects_malformed_containers(data: bytes, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        decompress(data)


@needs_corpus
def test_decompress_reads_what_excel_compressed() -> None:
    ole = open_ole(excel_vba_project())
    packed = stream(ole, "VBA/dir")
    records = dir_records(decompress(packed))
    assert records[0] == (0x0001, struct.pack("<I", 1))  # PROJECTSYSKIND comes first
    assert records[-1] == (0x0010, b"")
    assert decompress(packed) == bytes(decompress_stream(bytearray(packed)))
    # Module1's source starts at its MODULEOFFSET, after Excel's compiled code.
    names = [payload for record_id, payload in records if record_id == 0x0019]
    offsets = [payload for record_id, payload in records if record_id == 0x0031]
    offset = struct.unpack("<I", offsets[names.index(b"Module1")])[0]
    source = decompress(stream(ole, "VBA/Module1")[offset:])
    assert source.startswith(b'Attribute VB_Name = "Module1"\r\nSub Macro1()\r\n')


# --------------------------------------------------------------------------------------------
# The compound file
# --------------------------------------------------------------------------------------------


def test_the_file_holds_exactly_the_vba_streams() -> None:
    data = build_vba_project("LeadsyncMacros", MODULES)
    assert olefile.isOleFile(data=data)
    ole = open_ole(data)
    assert sorted(ole.listdir(streams=True, storages=True)) == [
        ["PROJECT"],
        ["PROJECTwm"],
        ["VBA"],
        ["VBA", "LeadsyncButtons"],
        ["VBA", "Sheet1"],
        ["VBA", "ThisWorkbook"],
        ["VBA", "_VBA_PROJECT"],
        ["VBA", "dir"],
    ]
    assert ole.get_type("VBA") == olefile.STGTY_STORAGE
    # Version 0xFFFF: no performance cache, so the host compiles from source.
    assert stream(ole, "VBA/_VBA_PROJECT") == bytes.fromhex("CC61FFFF000100")
    assert stream(ole, "PROJECTwm") == (
        b"LeadsyncButtons\0" + "LeadsyncButtons".encode("utf-16-le") + b"\0\0"
        b"ThisWorkbook\0" + "ThisWorkbook".encode("utf-16-le") + b"\0\0"
        b"Sheet1\0" + "Sheet1".encode("utf-16-le") + b"\0\0"
        b"\0\0"
    )
    assert decompress(stream(ole, "VBA/LeadsyncButtons")) == (
        b'Attribute VB_Name = "LeadsyncButtons"\r\n' + crlf(BUTTONS).encode()
    )
    sheet = decompress(stream(ole, "VBA/Sheet1")).decode()
    assert sheet == (
        'Attribute VB_Name = "Sheet1"\r\n'
        'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"\r\n'
        "Attribute VB_GlobalNameSpace = False\r\n"
        "Attribute VB_Creatable = False\r\n"
        "Attribute VB_PredeclaredId = True\r\n"
        "Attribute VB_Exposed = True\r\n"
        "Attribute VB_TemplateDerived = False\r\n"
        "Attribute VB_Customizable = True\r\n"
        "Private Sub Worksheet_Activate()\r\n"
        "End Sub\r\n"
    )
    workbook = decompress(stream(ole, "VBA/ThisWorkbook")).decode()
    assert (
        workbook.splitlines()[1] == 'Attribute VB_Base = "0{00020819-0000-0000-C000-000000000046}"'
    )


def test_the_project_stream_names_the_modules_and_is_unprotected() -> None:
    ole = open_ole(build_vba_project("LeadsyncMacros", MODULES))
    text = stream(ole, "PROJECT").decode("cp1252")
    lines = text.split("\r\n")
    assert lines[1:4] == [
        "Module=LeadsyncButtons",
        "Document=ThisWorkbook/&H00000000",
        "Document=Sheet1/&H00000000",
    ]
    assert text.endswith(
        "\r\n\r\n[Host Extender Info]\r\n"
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000\r\n"
    )
    properties = project_properties(text)
    assert properties["Name"] == '"LeadsyncMacros"'
    assert properties["HelpContextID"] == '"0"'
    assert properties["VersionCompatible32"] == '"393222000"'
    project_id = properties["ID"].strip('"')
    assert len(project_id) == 38 and project_id[0] + project_id[-1] == "{}"
    key = sum(project_id.encode()) & 0xFF
    unprotected = {"CMG": bytes(4), "DPB": b"\x00", "GC": b"\xff"}
    for name, value in unprotected.items():
        digits = properties[name].strip('"')
        assert digits == digits.upper()
        assert decrypt(digits) == (2, key, value), name


@needs_corpus
def test_the_test_decryptor_reads_what_excel_wrote() -> None:
    properties = project_properties(stream(open_ole(excel_vba_project()), "PROJECT").decode())
    key = sum(properties["ID"].strip('"').encode()) & 0xFF
    assert decrypt(properties["CMG"].strip('"')) == (2, key, bytes(4))
    assert decrypt(properties["DPB"].strip('"')) == (2, key, b"\x00")
    assert decrypt(properties["GC"].strip('"')) == (2, key, b"\xff")


def test_the_dir_stream_describes_project_reference_and_modules() -> None:
    ole = open_ole(build_vba_project("LeadsyncMacros", MODULES))
    records = dict(dir_records(decompress(stream(ole, "VBA/dir"))))
    ids = [record_id for record_id, _ in dir_records(decompress(stream(ole, "VBA/dir")))]
    module_ids = [0x19, 0x47, 0x1A, 0x32, 0x1C, 0x48, 0x31, 0x1E, 0x2C]
    assert ids == [
        *[0x01, 0x02, 0x14, 0x03, 0x04, 0x05, 0x40, 0x06, 0x3D, 0x07, 0x08, 0x09, 0x0C, 0x3C],
        *[0x16, 0x3E, 0x0D],
        *[0x0F, 0x13],
        *[*module_ids, 0x21, 0x2B],
        *[*module_ids, 0x22, 0x2B],
        *[*module_ids, 0x22, 0x2B],
        0x10,
    ]
    assert records[0x0003] == struct.pack("<H", 1252)
    assert records[0x0004] == b"LeadsyncMacros"
    assert records[0x000F] == struct.pack("<H", 3)
    assert records[0x0013] == b"\xff\xff"
    all_records = dir_records(decompress(stream(ole, "VBA/dir")))
    assert [p for i, p in all_records if i == 0x0019] == [
        b"LeadsyncButtons",
        b"ThisWorkbook",
        b"Sheet1",
    ]
    assert [p for i, p in all_records if i == 0x0047] == [
        "LeadsyncButtons".encode("utf-16-le"),
        "ThisWorkbook".encode("utf-16-le"),
        "Sheet1".encode("utf-16-le"),
    ]
    assert {p for i, p in all_records if i == 0x0031} == {bytes(4)}  # source at offset 0
    assert {p for i, p in all_records if i == 0x002C} == {b"\xff\xff"}


@needs_corpus
def test_the_dir_stream_has_the_layout_and_values_excel_writes() -> None:
    """Same records in the same order as macro01.xlsm (Module1, ThisWorkbook, Sheet1), less the
    Office library reference Excel adds, with the same fixed values."""
    excel = dir_records(decompress(stream(open_ole(excel_vba_project()), "VBA/dir")))
    modules = (
        VbaModule("Module1", "Sub Macro1()\nEnd Sub\n", "standard"),
        VbaModule("ThisWorkbook", "", "workbook"),
        VbaModule("Sheet1", "", "worksheet"),
    )
    ours = dir_records(
        decompress(stream(open_ole(build_vba_project("VBAProject", modules)), "VBA/dir"))
    )
    references = {0x16, 0x3E, 0x0D}
    assert [i for i, _ in ours if i not in references] == [
        i for i, _ in excel if i not in references
    ]
    stdole = next(p for i, p in excel if i == 0x0D)
    assert [p for i, p in ours if i == 0x0D] == [stdole]
    assert b"stdole2.tlb#OLE Automation" in stdole
    fixed = {0x01, 0x02, 0x14, 0x03, 0x04, 0x05, 0x40, 0x06, 0x3D, 0x07, 0x08, 0x0C, 0x3C}
    assert [(i, p) for i, p in ours if i in fixed] == [(i, p) for i, p in excel if i in fixed]
    for record in (0x19, 0x47, 0x1A, 0x32, 0x21, 0x22):
        assert [p for i, p in ours if i == record] == [p for i, p in excel if i == record]


def _tree(ole: olefile.OleFileIO, top: int) -> Iterator[tuple[int, int]]:
    """(entry id, depth) of a sibling tree, in order."""
    if top == olefile.NOSTREAM:
        return
    entry = ole.direntries[top]
    yield from ((i, d + 1) for i, d in _tree(ole, entry.sid_left))
    yield top, 1
    yield from ((i, d + 1) for i, d in _tree(ole, entry.sid_right))


def _cfb_key(name: str) -> tuple[int, str]:
    return len(name), name.upper()


def test_each_storage_lists_its_children_as_a_balanced_all_black_search_tree() -> None:
    sheets = [VbaModule(f"Sheet{n}", "", "worksheet") for n in range(1, 21)]
    data = build_vba_project("Big", [*MODULES[:2], *sheets[1:], VbaModule("a_b", "", "standard")])
    ole = open_ole(data)
    assert ole.direntries[0].color == BLACK
    for storage in (0, ole.direntries[0].kids_dict["vba"].sid):
        order = list(_tree(ole, ole.direntries[storage].sid_child))
        names = [ole.direntries[i].name for i, _ in order]
        assert names == sorted(names, key=_cfb_key)
        assert {ole.direntries[i].color for i, _ in order} == {BLACK}
        assert max(depth for _, depth in order) == len(order).bit_length()
    assert len(list(_tree(ole, ole.direntries[0].kids_dict["vba"].sid_child))) == 24


def test_header_and_directory_entries_carry_no_clsid_or_time() -> None:
    data = build_vba_project("LeadsyncMacros", MODULES)
    ole = open_ole(data)
    assert (ole.dll_version, ole.minor_version, ole.sector_size, ole.mini_sector_size) == (
        3,
        0x3E,
        512,
        64,
    )
    assert ole.mini_stream_cutoff_size == 4096
    assert len(data) % 512 == 0
    for entry in ole.direntries:
        if entry is not None:
            assert entry.clsid == "" and entry.createTime == 0 and entry.modifyTime == 0


def test_a_large_module_is_stored_in_regular_sectors() -> None:
    rng = random.Random(4)
    words = ["Range", "Cells", "lead", "client", "Value", "Then", "If", "Set", "Dim"]
    lines = [
        f'    s{n} = "{" ".join(rng.choices(words, k=5))} {rng.randrange(10**9)}"'
        for n in range(900)
    ]
    source = "Sub Big()\n" + "\n".join(lines) + "\nEnd Sub\n"
    modules = (VbaModule("Big", source, "standard"), MODULES[1])
    ole = open_ole(build_vba_project("LeadsyncMacros", modules))
    assert ole.get_size("VBA/Big") >= 4096  # over the mini stream cutoff
    assert decompress(stream(ole, "VBA/Big")).decode() == 'Attribute VB_Name = "Big"\r\n' + crlf(
        source
    )


def test_a_file_too_large_for_the_header_fat_list_gets_a_difat() -> None:
    """Past 109 FAT sectors (about 7 MB) the FAT's own location list overflows into DIFAT
    sectors; no VBA project gets there, so the compound file writer is driven directly."""
    big = bytes(range(256)) * (8 * 1024 * 1024 // 256)
    data = _write_compound_file(
        _Storage(
            streams={"Big": big, "small": b"xyz"}, storages={"S": _Storage({"a": b"1" * 5000})}
        )
    )
    num_fat_sectors, num_difat_sectors = (
        struct.unpack_from("<I", data, 44)[0],
        struct.unpack_from("<I", data, 72)[0],
    )
    assert num_fat_sectors > 109 and num_difat_sectors == 1
    ole = open_ole(data)
    assert stream(ole, "Big") == big
    assert stream(ole, "S/a") == b"1" * 5000
    assert stream(ole, "small") == b"xyz"


# --------------------------------------------------------------------------------------------
# What olevba makes of it
# --------------------------------------------------------------------------------------------


def _without_attributes(code: str) -> str:
    lines = code.split("\r\n")
    while lines and lines[0].startswith("Attribute VB_"):
        lines.pop(0)
    return "\r\n".join(lines)


def _xlsm(vba_project: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
            '/package/2006/content-types"><Default Extension="bin" ContentType="application/'
            'vnd.ms-office.vbaProject"/></Types>',
        )
        package.writestr("xl/vbaProject.bin", vba_project)
    return buffer.getvalue()


@pytest.mark.parametrize("packaging", ["vbaProject.bin", "xlsm"])
def test_olevba_extracts_every_module_with_its_source(packaging: str) -> None:
    data = build_vba_project("LeadsyncMacros", MODULES)
    if packaging == "xlsm":
        data = _xlsm(data)
    parser = VBA_Parser("leadsync." + packaging, data=data)
    try:
        assert parser.detect_vba_macros()
        found = [(path, name, code) for _, path, name, code in parser.extract_macros()]
    finally:
        parser.close()
    # olevba names a module .bas or .cls from its MODULETYPE record.
    assert [(path, name) for path, name, _ in found] == [
        ("VBA/LeadsyncButtons", "LeadsyncButtons.bas"),
        ("VBA/ThisWorkbook", "ThisWorkbook.cls"),
        ("VBA/Sheet1", "Sheet1.cls"),
    ]
    for module, (_, _, code) in zip(MODULES, found, strict=True):
        assert code.startswith(f'Attribute VB_Name = "{module.name}"\r\n')
        assert _without_attributes(code) == crlf(module.source)


def test_olevba_reads_names_and_source_in_another_code_page() -> None:
    modules = (
        VbaModule("ЭтаКнига", "", "workbook"),
        VbaModule("Лист1", "' Привет, клиент\n", "worksheet"),
    )
    data = build_vba_project("Проект", modules, code_page=1251)
    ole = open_ole(data)
    assert ["VBA", "Лист1"] in ole.listdir()
    assert stream(ole, "PROJECT").decode("cp1251").splitlines()[1:3] == [
        "Document=ЭтаКнига/&H00000000",
        "Document=Лист1/&H00000000",
    ]
    parser = VBA_Parser("cyrillic.bin", data=data)
    try:
        code = {name: source for _, name, _, source in parser.extract_macros()}
    finally:
        parser.close()
    assert _without_attributes(code["VBA/Лист1"]) == "' Привет, клиент\r\n"


# --------------------------------------------------------------------------------------------
# Class modules
# --------------------------------------------------------------------------------------------

COUNTER = """Option Explicit
Private pCount As Long

Public Property Get Count() As Long
Attribute Count.VB_UserMemId = 0
    Count = pCount
End Property

Public Sub Bump()
    pCount = pCount + 1
End Sub
"""
WITH_CLASS = (*MODULES, VbaModule("Counter", COUNTER, "class"))
# The module stream header of a new class module (Insert > Class Module), as Excel saves it:
# the .cls export of the same module shows only VB_Name and the four lines in the middle.
CLASS_HEADER = (
    'Attribute VB_Name = "{name}"\r\n'
    'Attribute VB_Base = "0{{FCFB3D2A-A0FA-1068-A738-08002B3371B5}}"\r\n'
    "Attribute VB_GlobalNameSpace = False\r\n"
    "Attribute VB_Creatable = False\r\n"
    "Attribute VB_PredeclaredId = False\r\n"
    "Attribute VB_Exposed = False\r\n"
    "Attribute VB_TemplateDerived = False\r\n"
    "Attribute VB_Customizable = False\r\n"
)
# The records a MODULE of the dir stream starts with, in order, before its MODULETYPE.
MODULE_RECORDS = [0x19, 0x47, 0x1A, 0x32, 0x1C, 0x48, 0x31, 0x1E, 0x2C]


def xlwings_file(relative: str) -> Path:
    """A file of the installed xlwings package, found without importing xlwings."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        pytest.skip("xlwings is not installed")
    path = Path(spec.origin).parent / relative
    if not path.is_file():
        pytest.skip(f"this xlwings has no {relative}")
    return path


def module_records(records: list[tuple[int, bytes]], name: str) -> list[tuple[int, bytes]]:
    """The records of the dir stream's MODULE named `name`, up to its terminator."""
    start = records.index((0x0019, name.encode()))
    end = next(n for n in range(start, len(records)) if records[n][0] == 0x002B)
    return records[start : end + 1]


def extract(data: bytes) -> dict[str, tuple[str, str]]:
    """olevba's view of a vbaProject.bin: stream path -> (file name, code)."""
    parser = VBA_Parser("leadsync.bin", data=data)
    try:
        return {path: (name, code) for _, path, name, code in parser.extract_macros()}
    finally:
        parser.close()


def cls_body(text: str) -> str:
    """What an exported .cls holds below its VERSION/BEGIN/END header and module attributes,
    with every line ending in CRLF: the code a class module built from it must carry."""
    lines = text.replace("\r\n", "\n").removesuffix("\n").split("\n")
    lines = lines[[line.strip() for line in lines].index("END") + 1 :]
    while lines and lines[0].startswith("Attribute VB_"):
        lines.pop(0)
    return "".join(line + "\r\n" for line in lines)


def test_olevba_extracts_a_class_module_as_a_class_with_its_source() -> None:
    found = extract(build_vba_project("LeadsyncMacros", WITH_CLASS))
    # olevba calls a module .cls when the PROJECT stream lists it as Class= (or Document=).
    name, code = found["VBA/Counter"]
    assert name == "Counter.cls"
    assert code == CLASS_HEADER.format(name="Counter") + crlf(COUNTER)
    assert found["VBA/LeadsyncButtons"][0] == "LeadsyncButtons.bas"


def test_the_project_stream_lists_a_class_module_as_class() -> None:
    ole = open_ole(build_vba_project("LeadsyncMacros", WITH_CLASS))
    lines = stream(ole, "PROJECT").decode("cp1252").split("\r\n")
    assert lines[1:5] == [
        "Module=LeadsyncButtons",
        "Document=ThisWorkbook/&H00000000",
        "Document=Sheet1/&H00000000",
        "Class=Counter",
    ]
    assert ["VBA", "Counter"] in ole.listdir()
    assert b"Counter\0" + "Counter".encode("utf-16-le") + b"\0\0" in stream(ole, "PROJECTwm")


def test_the_dir_stream_gives_a_class_module_type_0x0022() -> None:
    ole = open_ole(build_vba_project("LeadsyncMacros", WITH_CLASS))
    records = dir_records(decompress(stream(ole, "VBA/dir")))
    assert dict(records)[0x000F] == struct.pack("<H", 4)
    counter = module_records(records, "Counter")
    assert [i for i, _ in counter] == [*MODULE_RECORDS, 0x22, 0x2B]
    assert dict(counter)[0x0022] == b""  # MODULETYPE: no payload, Reserved 0
    assert [i for i, _ in module_records(records, "LeadsyncButtons")][-2] == 0x21


def test_a_class_module_carries_the_header_excel_saves_for_one() -> None:
    """xlwings' quickstart_standalone.xlsm holds its Dictionary class as Excel compiled and
    saved it (p-code before the source): the same class built here has the same PROJECT
    line, the same dir records and the same module header, but for VB_Exposed (the class came
    from xlwings' add-in, where it is public) and the help text the builder leaves out."""
    with zipfile.ZipFile(xlwings_file("quickstart_standalone.xlsm")) as workbook:
        excel = open_ole(workbook.read("xl/vbaProject.bin"))
    excel_records = module_records(dir_records(decompress(stream(excel, "VBA/dir"))), "Dictionary")
    offset = struct.unpack("<I", dict(excel_records)[0x0031])[0]
    assert offset > 0  # compiled by Excel
    excel_source = decompress(stream(excel, "VBA/Dictionary")[offset:]).decode("cp1252")

    dictionary = class_module_from_cls(
        "Dictionary", xlwings_file("addin/Dictionary.cls").read_text(encoding="utf-8")
    )
    ours = open_ole(build_vba_project("VBAProject", [MODULES[1], dictionary]))
    our_records = module_records(dir_records(decompress(stream(ours, "VBA/dir"))), "Dictionary")
    our_source = decompress(stream(ours, "VBA/Dictionary")).decode("cp1252")

    assert "Class=Dictionary" in stream(excel, "PROJECT").decode("cp1252").split("\r\n")
    assert "Class=Dictionary" in stream(ours, "PROJECT").decode("cp1252").split("\r\n")
    assert [i for i, _ in our_records] == [i for i, _ in excel_records]

    def header(source: str) -> list[str]:
        return list(
            itertools.takewhile(lambda line: line.startswith("Attribute VB_"), source.split("\r\n"))
        )

    expected = [
        line.replace("VB_Exposed = True", "VB_Exposed = False")
        for line in header(excel_source)
        if not line.startswith("Attribute VB_Description")
    ]
    assert header(our_source) == expected
    assert "\r\n".join(expected) + "\r\n" == CLASS_HEADER.format(name="Dictionary")


def test_a_class_module_from_xlwings_dictionary_cls_round_trips_its_code() -> None:
    text = xlwings_file("addin/Dictionary.cls").read_text(encoding="utf-8")
    assert text.startswith("VERSION 1.0 CLASS")  # an export, header and all
    module = class_module_from_cls("Dictionary", text)
    assert (module.name, module.kind) == ("Dictionary", "class")
    name, code = extract(build_vba_project("VBAProject", [MODULES[1], module]))["VBA/Dictionary"]
    assert name == "Dictionary.cls"
    assert code == CLASS_HEADER.format(name="Dictionary") + cls_body(text)
    # Procedure attributes stay: Item is the default member, d(key) means d.Item(key).
    assert "\r\nAttribute Item.VB_UserMemId = 0\r\n" in code
    assert "VERSION" not in code and "MultiUse" not in code


EXPORTED_COUNTER = (
    "VERSION 1.0 CLASS\r\n"
    "BEGIN\r\n"
    "  MultiUse = -1  'True\r\n"
    "END\r\n"
    'Attribute VB_Name = "Counter"\r\n'
    "Attribute VB_GlobalNameSpace = False\r\n"
    "Attribute VB_Creatable = False\r\n"
    "Attribute VB_PredeclaredId = False\r\n"
    "Attribute VB_Exposed = True\r\n"
    'Attribute VB_Description = "Counts, one _\r\n'
    '    at a time"\r\n' + crlf(COUNTER)
)


@pytest.mark.parametrize(
    "text",
    [
        EXPORTED_COUNTER,
        EXPORTED_COUNTER.replace("\r\n", "\n"),
        "\ufeff" + EXPORTED_COUNTER,
        # The module stream's own form, as olevba prints it: no export header, with VB_Base.
        CLASS_HEADER.format(name="Counter") + COUNTER,
    ],
    ids=["exported", "LF line ends", "byte order mark", "stream form"],
)
def test_class_module_from_cls_keeps_the_code_and_drops_header_and_attributes(
    text: str,
) -> None:
    assert class_module_from_cls("Counter", text) == VbaModule("Counter", crlf(COUNTER), "class")


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (
            "VERSION 5.00\r\nBegin {C62A69F0-16DC-11CE-9E98-00AA00574A4F} Counter\r\nEnd\r\n",
            "'VERSION 5.00' is not the header of an exported class module",
        ),
        ("VERSION 1.0 CLASS\r\nMultiUse = -1\r\n", "not followed by BEGIN"),
        ("VERSION 1.0 CLASS\r\nBEGIN\r\n  MultiUse = -1  'True\r\n", "has no END"),
        (EXPORTED_COUNTER.replace('"Counter"', '"Tally"'), 'the file is the class "Tally"'),
        (
            EXPORTED_COUNTER.replace("PredeclaredId = False", "PredeclaredId = True"),
            "VB_PredeclaredId = True (a default instance) cannot be kept",
        ),
        (
            # ThisWorkbook exported: a document module, not a class.
            'Attribute VB_Name = "Counter"\r\n'
            'Attribute VB_Base = "0{00020819-0000-0000-C000-000000000046}"\r\n',
            "makes it a document or designer module",
        ),
    ],
)
def test_class_module_from_cls_refuses_what_is_not_a_plain_class(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        class_module_from_cls("Counter", text)


def test_a_class_module_keeps_its_bytes_from_build_to_build() -> None:
    first = build_vba_project("LeadsyncMacros", WITH_CLASS)
    assert build_vba_project("LeadsyncMacros", list(WITH_CLASS)) == first


# --------------------------------------------------------------------------------------------
# Inputs and reproducibility
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("modules", "complaint"),
    [
        ([VbaModule("1Sheet", "", "worksheet")], "not a VBA identifier"),
        ([VbaModule("My Module", "", "standard")], "not a VBA identifier"),
        ([VbaModule("Lead-sync", "", "standard")], "not a VBA identifier"),
        ([VbaModule("_Hidden", "", "standard")], "not a VBA identifier"),
        ([VbaModule("", "", "standard")], "empty"),
        ([VbaModule("M" * 32, "", "standard")], "longer than 31"),
        ([VbaModule("Sub", "", "standard")], "reserved word"),
        ([VbaModule("Excel", "", "standard")], "library"),
        ([VbaModule("dir", "", "standard")], "taken by a stream"),
        (
            [VbaModule("Sheet1", "", "worksheet"), VbaModule("SHEET1", "", "standard")],
            "already used",
        ),
        ([VbaModule("Leads", "", "standard")], "already used by the project"),
        ([VbaModule("Лист1", "", "worksheet")], "code page"),
        ([VbaModule("Buttons", 'MsgBox "✓"', "standard")], "'✓' cannot be written"),
        ([VbaModule("Buttons", 'Attribute VB_Name = "Buttons"\n', "standard")], "Attribute"),
        ([VbaModule("Counter", "Attribute VB_Exposed = True\n", "class")], "Attribute"),
        ([VbaModule("Buttons", "", "chart")], "unknown kind"),  # type: ignore[arg-type]
        ([VbaModule("Sheet1", "", "worksheet")], "exactly one workbook module, got 0"),
        ([VbaModule("A", "", "workbook"), VbaModule("B", "", "workbook")], "got 2 (A, B)"),
    ],
)
def test_bad_modules_are_refused_with_the_reason(modules: list[VbaModule], complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        build_vba_project("Leads", _with_workbook(modules, complaint))


def _with_workbook(modules: list[VbaModule], complaint: str) -> list[VbaModule]:
    # Every case but the workbook-count ones gets its workbook module, so only the named fault
    # is left to find.
    if "workbook module" in complaint or any(m.kind == "workbook" for m in modules):
        return modules
    return [*modules, VbaModule("ThisWorkbook", "", "workbook")]


@pytest.mark.parametrize(
    ("project", "code_page", "complaint"),
    [
        ("VBA Project", 1252, "not a VBA identifier"),
        ("P" * 129, 1252, "longer than 128"),
        ("ThisWorkbook", 1252, "already used by the project"),
        ("Leads", 99999, "code page 99999"),
    ],
)
def test_bad_projects_are_refused_with_the_reason(
    project: str, code_page: int, complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        build_vba_project(project, MODULES, code_page=code_page)


def test_procedure_attributes_in_the_source_are_kept() -> None:
    data = build_vba_project("LeadsyncMacros", MODULES)
    source = decompress(stream(open_ole(data), "VBA/LeadsyncButtons")).decode()
    assert 'Attribute StrikeOff.VB_ProcData.VB_Invoke_Func = " \\n14"\r\n' in source


def test_the_same_modules_give_the_same_bytes() -> None:
    first = build_vba_project("LeadsyncMacros", MODULES)
    assert build_vba_project("LeadsyncMacros", list(MODULES)) == first
    other = build_vba_project("OtherMacros", MODULES)
    ids = [
        project_properties(stream(open_ole(d), "PROJECT").decode())["ID"] for d in (first, other)
    ]
    assert ids[0] != ids[1]  # the project GUID follows the project name
