"""The add-in's own icons: the Teams app's mark (white "SLI" on NHS blue, bot/teams/color.png) at the sizes
Office asks for, instead of xlwings' icons.

The manifest (templates/manifest.xml) names them: 32 and 64 pixels for the add-in's entry (`IconUrl`,
`HighResolutionIconUrl`), 16, 32 and 80 for the ribbon buttons; 128 is there for stores and admin pages;
`favicon.png` (32) replaces xlwings Server's in the task pane's page.
They are committed in static/images/; `python -m excel.icons` draws them again (Pillow, with matplotlib's
DejaVu Sans Bold, both already installed with the project).
"""

from __future__ import annotations

import io
from pathlib import Path

SIZES = (16, 32, 64, 80, 128)
FOLDER = Path(__file__).resolve().parent / "static" / "images"
BLUE = (0, 94, 184, 255)
WHITE = (255, 255, 255, 255)
#: Drawn this many times larger, then scaled down: smooth edges at 16 pixels.
SUPERSAMPLE = 8


def icon_name(size: int) -> str:
    return f"sli-{size}.png"


def draw_icon(size: int) -> bytes:
    """One icon as PNG bytes: a rounded blue square with "SLI" in white, filling most of its width."""
    from matplotlib import font_manager
    from PIL import Image, ImageDraw, ImageFont

    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 6, fill=BLUE)
    font_file = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight="bold"))
    font_size = big
    while True:
        font = ImageFont.truetype(font_file, font_size)
        left, top, right, bottom = draw.textbbox((0, 0), "SLI", font=font)
        if right - left <= big * 0.78 or font_size < 4:
            break
        font_size -= max(1, font_size // 20)
    draw.text(((big - (right - left)) / 2 - left, (big - (bottom - top)) / 2 - top), "SLI", font=font, fill=WHITE)
    out = io.BytesIO()
    image.resize((size, size), Image.LANCZOS).save(out, "PNG", optimize=True)
    return out.getvalue()


def write_icons(folder: Path = FOLDER) -> list[Path]:
    """Every size into `folder` (static/images by default)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for size in SIZES:
        path = folder / icon_name(size)
        path.write_bytes(draw_icon(size))
        written.append(path)
    favicon = folder / "favicon.png"  # the task pane's tab icon (xlwings Server's own, otherwise)
    favicon.write_bytes(draw_icon(32))
    return [*written, favicon]


if __name__ == "__main__":
    for written in write_icons():
        print(written)
