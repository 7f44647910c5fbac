"""Form Control buttons ("Developer ▸ Insert ▸ Button") as the VML drawing part Excel stores.

A worksheet's legacy drawing (`xl/drawings/vmlDrawingN.vml`, [MS-OI29500] and ECMA-376 Part 4,
the VML of Office) holds one `v:shape` per button. What makes a shape a button that runs a
macro is its `x:ClientData` element: `ObjectType="Button"` and `x:FmlaMacro` naming the macro.
Where it sits is `x:Anchor`: eight integers, column and pixel offset of the top-left corner,
row and pixel offset of it, then the same for the bottom-right corner (columns and rows count
from 0). The shape's CSS `style` says the same in points; both are written from one layout.

The shape type (`o:spt="201"`, a "host control"), the fill and stroke colours and the text box
are the ones Excel writes for a button it created itself (see the Excel-saved button07.xlsm of
the test corpus).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sync.xml_text import escape

# Excel's pixel grid at 100% zoom and 96 dpi: 4 pixels are 3 points.
POINTS_PER_PIXEL = 0.75
# A column without a width of its own is 8.43 characters of Calibri 11, which Excel draws as
# 64 pixels.
DEFAULT_COLUMN_PIXELS = 64
# A row of the default height, 15 points.
DEFAULT_ROW_PIXELS = 20
# Calibri 11's widest digit is 7 pixels; ECMA-376 Part 1, 18.3.1.13 turns a column `width` into
# pixels with it.
MAX_DIGIT_PIXELS = 7

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# One VML part numbers its shapes in a block of 1024 per `o:idmap` entry; a workbook's parts
# must use different blocks, which is why every drawing gets its own `block`.
_SHAPES_PER_BLOCK = 1024
_MAX_SHAPES = _SHAPES_PER_BLOCK - 1
_BUTTON_HEIGHT_PIXELS = 30
_GAP_PIXELS = 8
_LEFT_MARGIN_PIXELS = 6
# A rough width of Calibri 11 text: captions get room for this much per character plus padding,
# so a caption is never clipped in Excel; the exact width only changes how much space is left.
_CAPTION_CHAR_PIXELS = 7
_CAPTION_PADDING_PIXELS = 28


@dataclass(frozen=True)
class Button:
    caption: str  # what the person reads on the button
    macro: str  # the VBA Sub it runs (a public Sub of a standard module)


@dataclass(frozen=True)
class Placed:
    """A button's rectangle, in pixels from the sheet's top-left corner."""

    button: Button
    left: int
    top: int
    width: int
    height: int


def column_pixels(width: float | None) -> int:
    """Pixels of a column whose `<col width>` is `width` (None: the default column)."""
    if width is None:
        return DEFAULT_COLUMN_PIXELS
    return int((256 * width + int(128 / MAX_DIGIT_PIXELS)) / 256 * MAX_DIGIT_PIXELS)


def caption_pixels(caption: str) -> int:
    return _CAPTION_CHAR_PIXELS * len(caption) + _CAPTION_PADDING_PIXELS


def button_bar(buttons: Sequence[Button], row_pixels: int) -> list[Placed]:
    """The buttons side by side in the first row, left to right, centred in its height."""
    if row_pixels < _BUTTON_HEIGHT_PIXELS:
        raise ValueError(f"a {row_pixels}-pixel row is lower than a button")
    top = (row_pixels - _BUTTON_HEIGHT_PIXELS) // 2
    placed = []
    left = _LEFT_MARGIN_PIXELS
    for button in buttons:
        width = caption_pixels(button.caption)
        placed.append(Placed(button, left, top, width, _BUTTON_HEIGHT_PIXELS))
        left += width + _GAP_PIXELS
    return placed


def _cell_offset(position: int, sizes: Sequence[int], default: int) -> tuple[int, int]:
    """(index, offset) of the pixel `position` along columns or rows of the given sizes."""
    index = 0
    while True:
        size = sizes[index] if index < len(sizes) else default
        if position < size:
            return index, position
        position -= size
        index += 1


def anchor(placed: Placed, column_sizes: Sequence[int], row_sizes: Sequence[int]) -> list[int]:
    """The eight numbers of `x:Anchor` for a rectangle over columns and rows of these sizes."""
    left_col, left_off = _cell_offset(placed.left, column_sizes, DEFAULT_COLUMN_PIXELS)
    top_row, top_off = _cell_offset(placed.top, row_sizes, DEFAULT_ROW_PIXELS)
    right_col, right_off = _cell_offset(
        placed.left + placed.width, column_sizes, DEFAULT_COLUMN_PIXELS
    )
    bottom_row, bottom_off = _cell_offset(placed.top + placed.height, row_sizes, DEFAULT_ROW_PIXELS)
    return [left_col, left_off, top_row, top_off, right_col, right_off, bottom_row, bottom_off]


def _points(pixels: int) -> str:
    return f"{pixels * POINTS_PER_PIXEL:g}pt"


def _text(caption: str) -> str:
    # XML-escaped, and anything beyond ASCII as a character reference: the part then reads the
    # same whatever encoding a reader assumes for a file without an XML declaration.
    return escape(caption).encode("ascii", "xmlcharrefreplace").decode("ascii")


def vml_drawing(
    placed: Sequence[Placed], column_sizes: Sequence[int], row_sizes: Sequence[int], block: int
) -> bytes:
    """A complete `vmlDrawingN.vml` part holding these buttons; `block` (1, 2, ...) must differ
    between the drawings of one workbook."""
    if not 1 <= len(placed) <= _MAX_SHAPES:
        raise ValueError(f"a drawing holds 1 to {_MAX_SHAPES} buttons, got {len(placed)}")
    if block < 1:
        raise ValueError(f"block is 1 or more, got {block}")
    shapes = []
    for number, item in enumerate(placed, start=1):
        if not _IDENTIFIER.fullmatch(item.button.macro):
            raise ValueError(f"macro {item.button.macro!r} is not a VBA Sub name")
        if not item.button.caption.strip():
            raise ValueError(f"the button for {item.button.macro} has no caption")
        numbers = ", ".join(str(n) for n in anchor(item, column_sizes, row_sizes))
        shape_id = block * _SHAPES_PER_BLOCK + number
        style = (
            f"position:absolute;margin-left:{_points(item.left)};margin-top:{_points(item.top)};"
            f"width:{_points(item.width)};height:{_points(item.height)};z-index:{number};"
            "mso-wrap-style:tight"
        )
        shapes.append(
            f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t201" style="{style}" '
            'o:button="t" fillcolor="buttonFace [67]" strokecolor="windowText [64]" '
            'o:insetmode="auto">'
            '<v:fill color2="buttonFace [67]" o:detectmouseclick="t"/>'
            '<o:lock v:ext="edit" rotation="t"/>'
            '<v:textbox style="mso-direction-alt:auto" o:singleclick="f">'
            '<div style="text-align:center"><font face="Calibri" size="220" color="#000000">'
            f"{_text(item.button.caption)}</font></div></v:textbox>"
            '<x:ClientData ObjectType="Button">'
            f"<x:Anchor>{numbers}</x:Anchor>"
            "<x:PrintObject>False</x:PrintObject>"
            "<x:AutoFill>False</x:AutoFill>"
            f"<x:FmlaMacro>[0]!{item.button.macro}</x:FmlaMacro>"
            "<x:TextHAlign>Center</x:TextHAlign>"
            "<x:TextVAlign>Center</x:TextVAlign>"
            "</x:ClientData></v:shape>"
        )
    text = (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">\n'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>\n'
        '<v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" '
        'path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/>'
        '<v:path shadowok="f" o:extrusionok="f" strokeok="f" fillok="f" o:connecttype="rect"/>'
        '<o:lock v:ext="edit" shapetype="t"/>'
        "</v:shapetype>\n" + "\n".join(shapes) + "\n</xml>\n"
    )
    return text.encode("ascii")
