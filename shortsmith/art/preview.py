"""Previews for the UI: atomic JPEG writes, contact sheets, inline markdown images."""

from __future__ import annotations

import base64
import io
import math
import re
from pathlib import Path

from PIL import Image

from .thumbnail import renderable


def save_jpeg(img: Image.Image, path: Path | str, quality: int = 90) -> Path:
    """Write a JPEG atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    img.convert("RGB").save(tmp, "JPEG", quality=quality, optimize=True, progressive=True)
    tmp.replace(path)
    return path


def contact_sheet(images: list[Image.Image], *, columns: int = 4, thumb_width: int = 180) -> Image.Image:
    """The images side by side in a grid (all cells sized like the first image's aspect)."""
    if not images:
        raise ValueError("no images for a contact sheet")
    columns = max(1, min(columns, len(images)))
    ratio = images[0].height / images[0].width
    tw, th = thumb_width, max(1, int(round(thumb_width * ratio)))
    rows = math.ceil(len(images) / columns)
    gap = 4
    sheet = Image.new("RGB", (columns * tw + (columns + 1) * gap, rows * th + (rows + 1) * gap), (18, 18, 22))
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        sheet.paste(im.convert("RGB").resize((tw, th), Image.Resampling.LANCZOS), (gap + c * (tw + gap), gap + r * (th + gap)))
    return sheet


def image_to_markdown(img: Image.Image, *, max_width: int = 320, alt: str = "", max_bytes: int = 60_000) -> str:
    """A small inline JPEG as markdown (``![alt](data:image/jpeg;base64,...)``) for Dagster
    metadata; the whole string is kept under ``max_bytes``."""
    im = img.convert("RGB")
    if im.width > max_width:
        im = im.resize((max_width, max(1, int(im.height * max_width / im.width))), Image.Resampling.LANCZOS)
    safe_alt = re.sub(r"[\[\]\n\r]", " ", renderable(alt) if alt else "")[:100]
    overhead = len(f"![{safe_alt}](data:image/jpeg;base64,)")
    quality = 82
    while True:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=quality, optimize=True)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        if len(data) + overhead <= max_bytes:
            break
        if quality > 40:
            quality -= 12
        else:
            im = im.resize((max(1, im.width * 3 // 4), max(1, im.height * 3 // 4)), Image.Resampling.LANCZOS)
            quality = 70
    return f"![{safe_alt}](data:image/jpeg;base64,{data})"
