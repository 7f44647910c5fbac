"""The Pipeline tab as LibreOffice prints it: the page's text and a PNG of it.

LibreOffice converts the tracker to PDF (every tab; the Pipeline tab fits one landscape page,
chart included); pypdfium2 finds that page, reads its text and renders it to a PNG.

    python tests/pipeline_render.py leads.xlsx docs/pipeline.png   # the README's picture
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2
from libreoffice import MISSING, SOFFICE, TIMEOUT_SECONDS
from PIL import Image, ImageChops

PAGE_MARK = "Open leads by step"  # A1 of the Pipeline tab


def render_pipeline(tracker: Path, png: Path) -> str:
    """Write the Pipeline tab's page to `png` (cropped to what is drawn); return its text."""
    if SOFFICE is None:
        raise RuntimeError(MISSING)
    with tempfile.TemporaryDirectory(prefix="leadsync-render-") as scratch:
        root = Path(scratch)
        command = [
            SOFFICE,
            f"-env:UserInstallation={(root / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(root),
            str(tracker),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_SECONDS)
        document = pypdfium2.PdfDocument(root / f"{tracker.stem}.pdf")
        try:
            for page in document:
                text = page.get_textpage().get_text_range()
                if PAGE_MARK in text:
                    image = page.render(scale=1.6).to_pil().convert("RGB")
                    _cropped(image).save(png, optimize=True)
                    return str(text)
        finally:
            document.close()
    raise AssertionError(f"no page of {tracker.name} shows '{PAGE_MARK}'")


def _cropped(image: Image.Image) -> Image.Image:
    white = Image.new("RGB", image.size, (255, 255, 255))
    box = ImageChops.difference(image, white).getbbox()
    if box is None:
        return image
    left, top, right, bottom = box
    margin = 12
    return image.crop(
        (
            max(left - margin, 0),
            max(top - margin, 0),
            min(right + margin, image.width),
            min(bottom + margin, image.height),
        )
    )


def coloured_pixels(png: Path) -> int:
    """Pixels of strong colour: chart bars and legend keys, never black text on white."""
    data = Image.open(png).convert("RGB").tobytes()
    pixels = (data[i : i + 3] for i in range(0, len(data), 3))
    return sum(1 for pixel in pixels if max(pixel) - min(pixel) > 80)


if __name__ == "__main__":
    print(render_pipeline(Path(sys.argv[1]), Path(sys.argv[2])))
