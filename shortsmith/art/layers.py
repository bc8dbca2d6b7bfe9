"""Small compositing helpers shared by every layer: numpy grids, RGBA layers, soft masks, tinting."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def _grid(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return (x + 0.5) / w, (y + 0.5) / h


def _arr(c) -> np.ndarray:
    return np.array(c, np.float32)[None, None, :]


def _layer(size) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    im = Image.new("RGBA", size, (0, 0, 0, 0))
    return im, ImageDraw.Draw(im)


def _soft(mask: Image.Image, radius: float, factor: int = 4) -> Image.Image:
    """A Gaussian blur computed at 1/factor of the size (cheap, and smooth after upscaling)."""
    w, h = mask.size
    small = mask.resize((max(1, w // factor), max(1, h // factor)), Image.Resampling.BILINEAR)
    small = small.filter(ImageFilter.GaussianBlur(max(0.5, radius / factor)))
    return small.resize((w, h), Image.Resampling.BILINEAR)


def _erode(mask: Image.Image, radius: int) -> Image.Image:
    """Shrink a mask by about ``radius`` pixels (a box blur and a threshold: O(n) for any radius)."""
    return mask.filter(ImageFilter.BoxBlur(radius)).point(lambda v: max(0, min(255, (v - 215) * 6)))


def _tint(mask: Image.Image, colour, opacity: float = 1.0) -> Image.Image:
    """An RGBA layer of one colour whose alpha is ``mask``."""
    layer = Image.new("RGBA", mask.size, (*colour, 0))
    if opacity < 1.0:
        mask = mask.point(lambda v: int(v * opacity))
    layer.putalpha(mask)
    return layer


def _put(img: Image.Image, layer: Image.Image, x: int, y: int) -> None:
    """Alpha-composite ``layer`` onto ``img`` with its top left at (x, y), clipped to the frame."""
    if x < 0 or y < 0:
        layer = layer.crop((max(0, -x), max(0, -y), layer.width, layer.height))
        x, y = max(0, x), max(0, y)
    if x >= img.width or y >= img.height or layer.width == 0 or layer.height == 0:
        return
    img.alpha_composite(layer, (x, y))
