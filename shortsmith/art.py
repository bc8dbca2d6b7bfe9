"""Procedural scene art, thumbnails and previews (Pillow + numpy; no network, no model).

A scene is built in layers:

1. a sky: a palette gradient with pools of soft light, computed at a quarter of the size
   with numpy and upscaled (smooth fields need no more, and it keeps a 1080x1920 frame
   well under a second on two cores);
2. a style layer: ``aurora`` (luminous ribbons, stars, bokeh), ``geometric`` (bold flat
   shapes with drop shadows), ``neon`` (a dark sky, a striped sun, a glowing perspective
   grid), ``paper`` (paper-cut hills with cast shadows and fibre texture) or
   ``retro-terminal`` (a phosphor CRT: scanlines, bloom, data bars, pixelated icons);
3. a focal element that depends on the beat's kind: a burst of rays behind the hook,
   an orbit for the promise, small out-of-focus echoes for body beats, concentric rings
   for the call to action;
4. a motif chosen from the beat's keywords (a sun, waves, a neural network, a rocket,
   coins, a clock, a tree, a planet, ... 30 of them, a hash picks one when no keyword
   matches), drawn as shape masks at 2x (antialiased) and filled in the style's manner;
5. finishing: the caption band (35-70 % of the height) is darkened and kept calm, the
   bottom quarter (covered by the Shorts player UI) fades to the ground colour, a
   vignette, and film grain.

Nothing important is placed in the right 15 % (the like/comment/share column) or the
bottom quarter. No text is drawn on scenes; captions are burned in later.
The same (seed, index, beat, style, size) always gives the same pixels.
"""

from __future__ import annotations

import base64
import colorsys
import hashlib
import io
import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from .colour import HEX_RE
from .errors import ConfigError
from .fonts import FONT_BOLD
from .model import Beat

STYLES = ("aurora", "geometric", "neon", "paper", "retro-terminal")
_ALIASES = {"terminal": "retro-terminal", "retro": "retro-terminal", "retro_terminal": "retro-terminal"}
_STYLE_KEYS = {"name", "palette", "grain", "glow", "motif_scale"}
_DEFAULT_PALETTE = ("#0f172a", "#6366f1", "#ec4899", "#f59e0b")


@dataclass(frozen=True)
class VisualStyle:
    """How scenes look: a named look, its palette and a few knobs.

    ``palette``: 2-8 ``#rrggbb`` colours (3-6 look best); the darkest is the ground, the
    others are accents. ``grain``: film grain strength (0-0.15). ``glow``: strength of
    glows and light (0-2). ``motif_scale``: size of the motif (0.5-1.5).
    """

    name: str = "aurora"
    palette: tuple[str, ...] = _DEFAULT_PALETTE
    grain: float = 0.03
    glow: float = 1.0
    motif_scale: float = 1.0
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        name = _ALIASES.get(str(self.name).strip().lower(), str(self.name).strip().lower())
        if name not in STYLES:
            raise ConfigError(f"style '{self.name}' is unknown", field="style.name",
                              fix=f"use one of: {', '.join(STYLES)}")
        object.__setattr__(self, "name", name)
        if isinstance(self.palette, str) or not isinstance(self.palette, (list, tuple)):
            raise ConfigError(f"palette must be a list of colours, got {self.palette!r}", field="style.palette",
                              fix="write it as a list, e.g. palette: ['#0b1026', '#7c3aed', '#22d3ee']")
        if not 2 <= len(self.palette) <= 8:
            raise ConfigError(f"the palette has {len(self.palette)} colours", field="style.palette",
                              fix="give 2 to 8 colours (3-6 look best) like '#1e293b'")
        norm = []
        for i, c in enumerate(self.palette):
            if not isinstance(c, str) or not HEX_RE.match(c.strip()):
                raise ConfigError(f"colour {c!r} is not a #rrggbb hex colour", field=f"style.palette[{i}]",
                                  fix="write colours as '#rrggbb', e.g. '#6366f1' (quote them in YAML)")
            c = c.strip().lower()
            if len(c) == 4:
                c = "#" + "".join(ch * 2 for ch in c[1:])
            norm.append(c)
        object.__setattr__(self, "palette", tuple(norm))
        for knob, lo, hi in (("grain", 0.0, 0.15), ("glow", 0.0, 2.0), ("motif_scale", 0.5, 1.5)):
            value = getattr(self, knob)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise ConfigError(f"{knob} is {value!r}", field=f"style.{knob}",
                                  fix=f"use a number from {lo} to {hi}")
            object.__setattr__(self, knob, float(value))

    @classmethod
    def from_dict(cls, data: dict | None) -> VisualStyle:
        """Build from a channel's ``style:`` mapping (unknown keys such as
        ``caption_highlight`` belong to other stages and are ignored)."""
        data = dict(data or {})
        palette = data.get("palette")
        if palette is None:
            palette = _DEFAULT_PALETTE
        kwargs = {k: data[k] for k in ("grain", "glow", "motif_scale") if k in data and data[k] is not None}
        return cls(name=data.get("name") or "aurora", palette=palette, **kwargs)

    def rgb(self) -> list[tuple[int, int, int]]:
        return [hex_rgb(c) for c in self.palette]


def hex_rgb(c: str) -> tuple[int, int, int]:
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


def _luma(c) -> float:
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def _sat(c) -> float:
    r, g, b = (v / 255 for v in c)
    return colorsys.rgb_to_hsv(r, g, b)[1] * max(r, g, b)


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(round(a[i] * (1 - t) + b[i] * t)) for i in range(3))


def _scale(c, k: float) -> tuple[int, int, int]:
    return tuple(int(max(0, min(255, round(v * k)))) for v in c)


def _seed_int(*parts) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16], 16)


def _rng(*parts) -> random.Random:
    return random.Random(_seed_int(*parts))


class _Palette:
    """The ground (darkest colour), accents rotated per beat, and derived tones."""

    def __init__(self, style: VisualStyle, index: int):
        cols = sorted(style.rgb(), key=_luma)
        self.ground = cols[0]
        acc = cols[1:]
        if len(acc) == 1:  # a two-colour palette: derive a lighter and a deeper tone
            acc = [_mix(acc[0], self.ground, 0.45), acc[0], _mix(acc[0], (255, 255, 255), 0.35)]
        # rotate so consecutive beats lead with a different accent
        k = index % len(acc)
        self.accents = acc[k:] + acc[:k]
        self.all = [self.ground] + acc
        self.brightest = max(acc, key=_luma)
        self.vivid = max(acc, key=lambda c: _sat(c) + _luma(c) / 600)

    def contrasting(self, background, exclude=(), bright: bool = False) -> tuple[int, int, int]:
        """The accent that stands out best on ``background`` (an RGB colour): far from it in
        colour and brightness, and saturated; the beat's leading accent gets a small bonus.
        ``bright``: choose among the brighter half of the accents (for dark, glowing looks)."""
        options = [c for c in self.accents if c not in exclude] or self.accents
        if bright and len(options) > 2:
            options = sorted(options, key=_luma)[len(options) // 2:]

        def score(c):
            dist = math.dist(c, background) / 441.7
            return dist + abs(_luma(c) - _luma(background)) / 255 + 0.35 * _sat(c) + (0.12 if c == self.accents[0] else 0)
        return max(options, key=score)


# ---------------------------------------------------------------------------
# numpy fields (float32, HxWx3, 0..255)


def _grid(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return (x + 0.5) / w, (y + 0.5) / h


def _arr(c) -> np.ndarray:
    return np.array(c, np.float32)[None, None, :]


def _sky(w: int, h: int, pal: _Palette, rng: random.Random, kind: str, glow: float) -> np.ndarray:
    x, y = _grid(w, h)
    top = _arr(_mix(pal.ground, pal.accents[0], 0.55))
    mid = _arr(_mix(pal.ground, pal.accents[-1], 0.25))
    bottom = _arr(_scale(pal.ground, 0.8))
    t = y[..., None]
    img = np.where(t < 0.5, top * (1 - t * 2) + mid * t * 2, mid * (2 - t * 2) + bottom * (t * 2 - 1))
    aspect = w / h
    strength = (0.6 if kind == "hook" else 0.45) * glow
    for i in range(3):
        c = _arr(pal.accents[(i + 1) % len(pal.accents)])
        cx, cy = rng.uniform(0.05, 0.85), rng.uniform(0.0, 0.45)
        r = rng.uniform(0.18, 0.32)
        d2 = ((x - cx) * aspect) ** 2 + (y - cy) ** 2
        a = (np.exp(-d2 / (2 * r * r)) * min(0.9, strength))[..., None]
        img = img * (1 - a) + c * a
    return img


def _aurora(img: np.ndarray, pal: _Palette, rng: random.Random, glow: float) -> np.ndarray:
    h, w, _ = img.shape
    x, y = _grid(w, h)
    for i in range(3):
        c = _arr(_mix(pal.accents[i % len(pal.accents)], (255, 255, 255), 0.1))
        base = rng.uniform(0.1, 0.3) + i * 0.04
        amp, freq, phase = rng.uniform(0.03, 0.07), rng.uniform(0.8, 1.8), rng.uniform(0, 6.28)
        curve = base + amp * np.sin(x * freq * 6.28 + phase) + 0.015 * np.sin(x * 9.0 + phase * 3)
        dist = y - curve
        streaks = 0.55 + 0.45 * np.sin(x * rng.uniform(25, 45) + phase) ** 2
        edge = np.exp(-(dist ** 2) / (2 * 0.018 ** 2))
        curtain = np.where(dist < 0, np.exp(dist / 0.09), 0.0) * streaks
        a = np.clip((edge * 0.8 + curtain * 0.6) * 0.75 * glow, 0, 0.9)[..., None]
        img = img + (c - img * 0.45) * a  # additive-ish light
    return img


def _neon_field(img: np.ndarray, pal: _Palette, rng: random.Random, glow: float, horizon: float,
                sun: tuple[float, float, float]) -> np.ndarray:
    h, w, _ = img.shape
    x, y = _grid(w, h)
    img = img * 0.35 + _arr(_scale(pal.ground, 0.6)) * 0.2
    # horizon haze
    haze = np.exp(-((y - horizon) ** 2) / (2 * 0.03 ** 2))[..., None] * 0.75 * glow
    img = img + _arr(pal.accents[0]) * haze
    # the sun's glow
    sx, sy, sr = sun
    d = np.sqrt(((x - sx) * w / h) ** 2 + (y - sy) ** 2)
    img = img + _arr(pal.vivid) * (np.exp(-np.maximum(d - sr, 0) / 0.05) * 0.55 * glow)[..., None]
    return img


def _terminal_field(img: np.ndarray, pal: _Palette, glow: float) -> tuple[np.ndarray, tuple]:
    h, w, _ = img.shape
    x, y = _grid(w, h)
    phosphor = max(pal.accents, key=lambda c: _sat(c) + _luma(c) / 400)
    dark = _scale(_mix(pal.ground, (0, 0, 0), 0.5), 1.0)
    img = np.broadcast_to(_arr(dark), img.shape).copy()
    # a soft screen glow, brighter in the centre of the tube
    d2 = (x - 0.45) ** 2 + ((y - 0.3) * 0.7) ** 2
    img = img + _arr(phosphor) * (np.exp(-d2 / 0.08) * 0.16 * glow)[..., None]
    return img, phosphor


# ---------------------------------------------------------------------------
# PIL layers drawn at full size


def _layer(size) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    im = Image.new("RGBA", size, (0, 0, 0, 0))
    return im, ImageDraw.Draw(im)


def _soft(mask: Image.Image, radius: float, factor: int = 4) -> Image.Image:
    """A Gaussian blur computed at 1/factor of the size (cheap, and smooth after upscaling)."""
    w, h = mask.size
    small = mask.resize((max(1, w // factor), max(1, h // factor)), Image.BILINEAR)
    small = small.filter(ImageFilter.GaussianBlur(max(0.5, radius / factor)))
    return small.resize((w, h), Image.BILINEAR)


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


def _stars(img: Image.Image, rng: random.Random, count: int, top: float, bottom: float,
           colour=(255, 255, 255)) -> None:
    w, h = img.size
    lay, d = _layer(img.size)
    k = w / 1080
    for _ in range(count):
        sx, sy = rng.uniform(0, w * 0.97), h * (top + (bottom - top) * rng.random() ** 1.6)
        r = rng.choice((1.0, 1.0, 1.4, 1.8, 2.6)) * k
        a = int(rng.uniform(90, 235) * (1 - 0.6 * (sy / h - top) / max(0.01, bottom - top)))
        d.ellipse([sx - r, sy - r, sx + r, sy + r], fill=(*colour, max(0, a)))
        if r > 2.2 * k:  # a few twinkles
            d.line([(sx - r * 4, sy), (sx + r * 4, sy)], fill=(*colour, a // 3), width=max(1, int(k)))
            d.line([(sx, sy - r * 4), (sx, sy + r * 4)], fill=(*colour, a // 3), width=max(1, int(k)))
    img.alpha_composite(lay)


def _ridge(img: Image.Image, pal: _Palette, rng: random.Random) -> None:
    """A dark mountain ridge with a pine treeline low in the frame, rim-lit by the sky."""
    w, h = img.size
    base = rng.uniform(0.7, 0.75)
    pts = [(0, h)]
    n = 40
    p1, p2 = rng.uniform(0, 6.28), rng.uniform(0, 6.28)
    ridge = []
    for k in range(n + 1):
        u = k / n
        v = base - 0.035 * math.sin(u * 5.5 + p1) - 0.015 * math.sin(u * 17 + p2)
        ridge.append((u * w, v * h))
    lay, d = _layer(img.size)
    dark = (*_scale(pal.ground, 0.6), 255)
    d.polygon([(0, h)] + ridge + [(w, h)], fill=dark)
    for k in range(int(38 * rng.uniform(0.8, 1.2))):
        u = rng.random()
        i = min(n - 1, int(u * n))
        gy = ridge[i][1] + (ridge[i + 1][1] - ridge[i][1]) * (u * n - i)
        th, tw = rng.uniform(0.012, 0.03) * h, rng.uniform(0.008, 0.016) * w
        d.polygon([(u * w - tw, gy + 4), (u * w, gy - th), (u * w + tw, gy + 4)], fill=dark)
    rim = (*_mix(pal.accents[0], (255, 255, 255), 0.3), 120)
    d.line(ridge, fill=rim, width=max(1, w // 540))
    d.polygon([(0, h)] + ridge + [(w, h)], fill=dark)
    img.alpha_composite(lay)


def _bokeh(img: Image.Image, pal: _Palette, rng: random.Random, count: int) -> None:
    w, h = img.size
    lay, d = _layer(img.size)
    for _ in range(count):
        c = pal.accents[rng.randrange(len(pal.accents))]
        r = rng.uniform(0.015, 0.05) * w
        bx, by = rng.uniform(0, w * 0.85), rng.uniform(0.04, 0.34) * h
        d.ellipse([bx - r, by - r, bx + r, by + r], fill=(*_mix(c, (255, 255, 255), 0.3), rng.randint(30, 80)))
    img.alpha_composite(lay.filter(ImageFilter.GaussianBlur(max(1, w // 540))))


def _geometric(img: Image.Image, pal: _Palette, rng: random.Random, focus: tuple[float, float]) -> None:
    w, h = img.size
    shapes, d = _layer(img.size)
    mask = Image.new("L", img.size, 0)
    md = ImageDraw.Draw(mask)
    fx, fy = focus

    def put(kind, box_or_pts, colour, **kw):
        getattr(d, kind)(box_or_pts, fill=(*colour, 255), **kw)
        getattr(md, kind)(box_or_pts, fill=255, **kw)

    accents = pal.accents
    # a big disc behind the motif
    r = 0.36 * w
    put("ellipse", [fx * w - r, fy * h - r, fx * w + r, fy * h + r], accents[0])
    # large corner shapes: a quarter disc, a triangle, a bar
    r2 = rng.uniform(0.35, 0.5) * w
    corner = rng.choice([(0, 0), (w, 0)])
    put("ellipse", [corner[0] - r2, corner[1] - r2, corner[0] + r2, corner[1] + r2], accents[1 % len(accents)])
    tri_y = rng.uniform(0.02, 0.12) * h
    side = rng.choice((-1, 1))
    x0 = w * (0.85 if side > 0 else 0.0)
    put("polygon", [(x0, tri_y), (x0 + side * 0.35 * w, tri_y + 0.22 * h), (x0 - side * 0.05 * w, tri_y + 0.3 * h)],
        accents[2 % len(accents)])
    # a diagonal stripe band low in the frame (flat and muted: calm under the captions)
    y0 = rng.uniform(0.8, 0.86) * h
    put("polygon", [(0, y0), (w, y0 - 0.1 * h), (w, y0 - 0.04 * h), (0, y0 + 0.06 * h)],
        _mix(accents[-1], pal.ground, 0.55))
    # a dot grid in the upper left
    gx0, gy0 = rng.uniform(0.05, 0.15) * w, rng.uniform(0.36, 0.42) * h
    step, dr = 0.045 * w, 0.008 * w
    for i in range(5):
        for j in range(3):
            cx, cy = gx0 + i * step, gy0 + j * step
            d.ellipse([cx - dr, cy - dr, cx + dr, cy + dr], fill=(*_mix(accents[0], (255, 255, 255), 0.4), 150))
    # a ring
    rr = rng.uniform(0.07, 0.11) * w
    rx, ry = rng.uniform(0.6, 0.78) * w, rng.uniform(0.36, 0.44) * h
    d.ellipse([rx - rr, ry - rr, rx + rr, ry + rr], outline=(*accents[1 % len(accents)], 255),
              width=max(2, int(0.018 * w)))
    md.ellipse([rx - rr, ry - rr, rx + rr, ry + rr], outline=255, width=max(2, int(0.018 * w)))
    # shadows: the shape mask, blurred and offset down-right
    shadow = _soft(mask, 0.02 * w)
    off = int(0.012 * w)
    sh = Image.new("L", img.size, 0)
    sh.paste(shadow, (off, off))
    img.alpha_composite(_tint(sh, _scale(pal.ground, 0.4), 0.55))
    img.alpha_composite(shapes)


def _paper(img: Image.Image, pal: _Palette, rng: random.Random, style_glow: float) -> None:
    """Paper-cut hills with cast shadows (the caller draws them at half size)."""
    w, h = img.size
    canvas = img
    layers = 5
    far = _mix(pal.brightest, (255, 255, 255), 0.15)
    near = _scale(pal.ground, 0.95)
    ys = np.linspace(0, 1, 9)
    for i in range(layers):
        t = i / (layers - 1)
        tone = pal.accents[(i + 1) % len(pal.accents)]
        colour = _mix(_mix(tone, far, 0.3 * (1 - t)), near, 0.1 + 0.55 * t ** 1.3)
        level = 0.6 + 0.07 * i + rng.uniform(-0.012, 0.012)
        amp = (0.038 - 0.004 * i) * h
        f1, f2 = rng.uniform(0.8, 1.8), rng.uniform(2.5, 4.5)
        p1, p2 = rng.uniform(0, 6.28), rng.uniform(0, 6.28)
        n = 64
        pts = []
        for k in range(n + 1):
            u = k / n
            yy = level * h - amp * (math.sin(u * f1 * 6.28 + p1) * 0.8 + math.sin(u * f2 * 6.28 + p2) * 0.25)
            pts.append((u * w, yy))
        poly = pts + [(w, h), (0, h)]
        mask = Image.new("L", (w, h), 0)
        ImageDraw.Draw(mask).polygon(poly, fill=255)
        # the layer casts a soft shadow upwards onto the layers behind it
        shadow = Image.new("L", (w, h), 0)
        shadow.paste(_soft(mask, 0.025 * w, 2), (0, -int(0.01 * h)))
        canvas.alpha_composite(_tint(shadow, _scale(pal.ground, 0.25), 0.65))
        # the paper itself: lit from above, a little darker further down
        top_c = _mix(colour, (255, 255, 255), 0.1)
        bottom_c = _scale(colour, 0.75)
        grad = np.array([_mix(top_c, bottom_c, float(v)) for v in ys], np.uint8)[:, None, :]
        fill = Image.fromarray(grad, "RGB").resize((w, h), Image.BILINEAR).convert("RGBA")
        fill.putalpha(mask)
        canvas.alpha_composite(fill)
        # a thin lit edge along the cut
        edge, ed = _layer((w, h))
        ed.line(pts, fill=(*_mix(colour, (255, 255, 255), 0.5), 120), width=max(1, w // 400))
        canvas.alpha_composite(edge)


def _neon(img: Image.Image, pal: _Palette, rng: random.Random, horizon: float, sun, glow: float) -> None:
    w, h = img.size
    sx, sy, sr = sun
    # a striped sun sitting on the horizon
    sun_mask = Image.new("L", img.size, 0)
    sd = ImageDraw.Draw(sun_mask)
    cx, cy, r = sx * w, sy * h, sr * h
    sd.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    for k in range(6):
        yy = cy + r * (0.1 + k * 0.16)
        sd.rectangle([cx - r, yy, cx + r, yy + r * (0.02 + k * 0.025)], fill=0)
    sd.rectangle([0, horizon * h, w, h], fill=0)
    top_c, bottom_c = _mix(pal.vivid, (255, 255, 255), 0.25), pal.accents[0] if pal.accents[0] != pal.vivid else pal.accents[-1]
    grad = np.linspace(0, 1, 16)
    g = np.array([_mix(top_c, bottom_c, float(v)) for v in grad], np.uint8)[:, None, :]
    fill = Image.fromarray(g, "RGB").resize((int(2 * r) + 1, int(2 * r) + 1), Image.BILINEAR)
    sun_layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    sun_layer.paste(fill, (int(cx - r), int(cy - r)))
    sun_layer.putalpha(sun_mask)
    img.alpha_composite(sun_layer)
    # mountains silhouette on the horizon
    mnt = Image.new("L", img.size, 0)
    pts = [(0, horizon * h)]
    xk = 0.0
    while xk < 1.0:
        xk += rng.uniform(0.06, 0.14)
        pts.append((xk * w, (horizon - rng.uniform(0.01, 0.06)) * h))
    pts += [(w, horizon * h)]
    ImageDraw.Draw(mnt).polygon(pts, fill=255)
    img.alpha_composite(_tint(mnt, _scale(pal.ground, 0.7)))
    edge, ed = _layer(img.size)
    ed.line(pts, fill=(*pal.accents[0], 200), width=max(2, w // 360))
    # the perspective grid on the floor
    grid_c = pal.accents[1 % len(pal.accents)] if pal.accents[1 % len(pal.accents)] != pal.ground else pal.vivid
    lines, ld = _layer(img.size)
    hy = horizon * h
    lw = max(1, w // 540)
    vx = 0.5 * w
    for k in range(-12, 13):
        ld.line([(vx + k * 0.02 * w, hy), (vx + k * 0.35 * w, h * 1.2)], fill=(*grid_c, 230), width=lw)
    z = 1.0
    while True:
        yy = hy + (h - hy) * (0.06 / z) * 6
        z *= 0.72
        if yy > h:
            break
        ld.line([(0, yy), (w, yy)], fill=(*grid_c, 230), width=lw)
        if z < 0.02:
            break
    ld.line([(0, hy), (w, hy)], fill=(*_mix(grid_c, (255, 255, 255), 0.5), 255), width=lw * 2)
    # fade the grid towards the camera (the player UI covers the bottom) and near the horizon
    rows = np.linspace(0, 1, 64) * h
    fade = np.clip(np.minimum((rows - hy) / (0.04 * h) + 0.4, (0.95 * h - rows) / (0.15 * h)), 0, 1)
    fade_img = Image.fromarray((fade[:, None] * 255).astype(np.uint8), "L").resize((w, h), Image.BILINEAR)
    a = ImageChops.multiply(lines.getchannel("A"), fade_img)
    lines.putalpha(a)
    glow_l = _tint(_soft(a, 0.012 * w), grid_c, min(1.0, 0.9 * glow))
    img.alpha_composite(glow_l)
    img.alpha_composite(lines)
    img.alpha_composite(edge)


def _terminal(img: Image.Image, pal: _Palette, rng: random.Random, phosphor) -> None:
    w, h = img.size
    lay, d = _layer(img.size)
    dim = (*phosphor, 26)
    step = max(4, w // 18)
    for gx in range(0, w, step):
        d.line([(gx, 0), (gx, h)], fill=dim, width=1)
    for gy in range(0, h, step):
        d.line([(0, gy), (w, gy)], fill=dim, width=1)
    # "data" bars (no letters): a log of blocks in the top band, a meter, a waveform
    x0, y0, bh = 0.07 * w, 0.025 * h, 0.008 * h
    for row in range(4):
        xx = x0
        for _ in range(rng.randint(2, 5)):
            ln = rng.uniform(0.03, 0.12) * w
            if xx + ln > 0.8 * w:
                break
            d.rectangle([xx, y0 + row * bh * 1.9, xx + ln, y0 + row * bh * 1.9 + bh], fill=(*phosphor, rng.randint(70, 150)))
            xx += ln + 0.02 * w
    # a spectrum in the lower third (dim, low contrast: the caption band stays calm)
    n = 28
    base = 0.73 * h
    for k in range(n):
        v = abs(math.sin(k * 0.55 + rng.uniform(0, 0.6))) * rng.uniform(0.3, 1.0)
        bx = 0.07 * w + k * 0.026 * w
        d.rectangle([bx, base - v * 0.05 * h, bx + 0.016 * w, base], fill=(*phosphor, 70))
    img.alpha_composite(lay)


def _scanline_gain(h: int) -> np.ndarray:
    """Per-row brightness of CRT scanlines (one dark line every ``period`` rows)."""
    period = max(3, h // 480)
    lines = np.ones((h, 1, 1), np.float32)
    lines[::period] = 0.76
    return lines


def _put(img: Image.Image, layer: Image.Image, x: int, y: int) -> None:
    """Alpha-composite ``layer`` onto ``img`` with its top left at (x, y), clipped to the frame."""
    if x < 0 or y < 0:
        layer = layer.crop((max(0, -x), max(0, -y), layer.width, layer.height))
        x, y = max(0, x), max(0, y)
    if x >= img.width or y >= img.height or layer.width == 0 or layer.height == 0:
        return
    img.alpha_composite(layer, (x, y))


# ---------------------------------------------------------------------------
# motifs: iconic drawings chosen from the beat's keywords

MOTIF_WORDS: dict[str, str] = {
    "sun": "sun sunlight sunshine sky day summer solar sunny sunrise sunset bright daylight shine atmosphere",
    "moon": "moon night lunar dark sleep dream evening crescent nocturnal",
    "rainbow": "rainbow colour color spectrum violet prism scatter scattering wavelength hue pigment",
    "waves": "ocean sea water wave tide river swim beach surf current flow liquid wet rain underwater lake",
    "network": "brain mind network neuron think thought memory idea internet data computer ai learn intelligence "
               "nerve signal connect social smart understand",
    "rocket": "rocket space launch fast speed fly future mars nasa engine astronaut boost",
    "coins": "money coin cost price rich invest economy cash penny market dollar pay bank gold wealth save "
             "fortune scrap dealer sell sold buy offer con scam deal",
    "clock": "time clock minute hour second schedule late early daily habit routine month week",
    "hourglass": "hourglass history historian ancient century past old age wait year decade medieval",
    "tree": "tree forest wood plant nature garden root branch jungle",
    "leaf": "leaf leaves green photosynthesis autumn season seed eco",
    "flower": "flower bloom petal blossom pollen nectar spring rose garden sipping",
    "planet": "planet saturn universe galaxy orbit gravity cosmos astronomy jupiter hole black",
    "globe": "earth world globe country map travel global continent geography climate australia europe america",
    "heart": "heart love health body blood life care mother feel emotion happy kind muscle pulse medicine newborn",
    "bulb": "idea lightbulb invent science discover fact why how trick tip secret clever genius curiosity "
            "surprising strangest scientist",
    "hexagon": "bee honey hive wax honeycomb insect worker",
    "cat": "cat kitten purr pet meow kitty feline",
    "bird": "bird emu fly wing feather nest egg eagle crow parrot penguin",
    "drop": "drop coffee drink tea brew juice milk oil thirst hydrate teaspoon evaporate",
    "mountain": "mountain volcano rock climb peak hill stone everest lava cliff",
    "atom": "atom physics chemistry molecule particle quantum element electron nuclear enzyme",
    "bolt": "lightning electricity electric power energy storm thunder charge battery twitch shock spark",
    "gear": "gear machine engineering technology mechanism tool build repair factory robot system process",
    "chart": "chart growth grow stat trend percent increase graph number record rise sale profit result "
             "thousand hundred million billion dozen",
    "eye": "eye see vision look sight watch visible perception notice reflective chameleon camouflage",
    "fish": "fish octopus shark whale dolphin marine reef aquarium squid",
    "flame": "fire flame heat hot burn warm cook temperature spicy",
    "snowflake": "snow cold ice winter freeze frozen arctic frost chill",
    "music": "music sound song voice hear noise vibration hum buzz listen audio sing rhythm dance musician",
    "book": "book story read study school lesson library write word language knowledge",
    "letter": "letter mail envelope message telegram newspaper news printed published post note send",
    "shield": "war army soldier battle military defend protect security weapon bullet ammunition fight",
    "virus": "virus plague disease germ poison sick infection bacteria epidemic illness",
    "star": "star stars sparkle best famous wish wonder magic amazing",
    "bell": "follow subscribe bell notification alert reminder alarm",
    "dna": "dna gene genetic cell biology evolution species inherit",
    "house": "house home building city room live family inside town tower eiffel government council",
}
MOTIFS = tuple(MOTIF_WORDS)
_VOCAB: dict[str, str] = {}
for _motif, _words in MOTIF_WORDS.items():
    for _w in _words.split():
        _VOCAB.setdefault(_w, _motif)
_IGNORED = {"style", "vertical", "scene", "view", "light"}  # words of the prompt template


def _stem(word: str) -> list[str]:
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    if word.endswith("ing"):
        forms += [word[:-3], word[:-3] + "e"]
    if word.endswith("ed"):
        forms += [word[:-2], word[:-1]]
    return forms


def pick_motif(keywords: list[str], seed: str, prompt: str = "") -> str:
    """The motif for a beat: its keywords matched against MOTIF_WORDS (earlier keywords
    weigh more, words of the visual prompt a little); a hash of ``seed`` when none match."""
    scores: dict[str, float] = {}
    order: dict[str, int] = {}
    kws = [w for k in keywords for w in re.findall(r"[a-z]+", str(k).lower())]
    words = [(w, 3.0 / (1 + 0.35 * i)) for i, w in enumerate(kws)]
    words += [(w, 0.5) for w in re.findall(r"[a-z]+", prompt.lower()) if w not in _IGNORED]
    for pos, (word, weight) in enumerate(words):
        for form in _stem(word):
            motif = _VOCAB.get(form)
            if motif:
                scores[motif] = scores.get(motif, 0.0) + weight
                order.setdefault(motif, pos)
                break
    if scores:
        return max(scores, key=lambda m: (scores[m], -order[m]))
    return MOTIFS[_seed_int("motif", seed, *keywords) % len(MOTIFS)]


class _Pen:
    """Draws on two masks (P: the main shape, S: the secondary parts) in unit coordinates:
    (-1, -1) is the top left of the motif square and (1, 1) the bottom right."""

    def __init__(self, s: int):
        self.s = s
        self.P = Image.new("L", (s, s), 0)
        self.S = Image.new("L", (s, s), 0)
        self.dp, self.ds = ImageDraw.Draw(self.P), ImageDraw.Draw(self.S)

    def _d(self, layer):
        return self.dp if layer == "P" else self.ds

    def xy(self, u, v):
        return ((u + 1) * self.s / 2, (v + 1) * self.s / 2)

    def L(self, v: float) -> float:
        return v * self.s / 2

    def ellipse(self, cx, cy, rx, ry=None, layer="P", fill=255, width=0):
        ry = rx if ry is None else ry
        box = [*self.xy(cx - rx, cy - ry), *self.xy(cx + rx, cy + ry)]
        if width:
            self._d(layer).ellipse(box, outline=fill, width=max(1, int(self.L(width))))
        else:
            self._d(layer).ellipse(box, fill=fill)

    def poly(self, pts, layer="P", fill=255):
        self._d(layer).polygon([self.xy(u, v) for u, v in pts], fill=fill)

    def line(self, pts, width, layer="P", fill=255, round_caps=True):
        d = self._d(layer)
        xy = [self.xy(u, v) for u, v in pts]
        wpx = max(1, int(self.L(width)))
        d.line(xy, fill=fill, width=wpx, joint="curve")
        if round_caps:
            r = wpx / 2
            for px, py in (xy[0], xy[-1]):
                d.ellipse([px - r, py - r, px + r, py + r], fill=fill)

    def rect(self, x0, y0, x1, y1, layer="P", fill=255, radius=0.0):
        box = [*self.xy(x0, y0), *self.xy(x1, y1)]
        if radius:
            self._d(layer).rounded_rectangle(box, radius=int(self.L(radius)), fill=fill)
        else:
            self._d(layer).rectangle(box, fill=fill)

    def erase(self, fn, *args, **kw):
        """Cut a shape out of both masks."""
        for layer in ("P", "S"):
            fn(*args, layer=layer, fill=0, **kw)


def _ring_pts(cx, cy, rx, ry, rot, a0=0.0, a1=2 * math.pi, n=90):
    pts = []
    for k in range(n + 1):
        a = a0 + (a1 - a0) * k / n
        x, y = rx * math.cos(a), ry * math.sin(a)
        pts.append((cx + x * math.cos(rot) - y * math.sin(rot), cy + x * math.sin(rot) + y * math.cos(rot)))
    return pts


def _star_pts(cx, cy, r_out, r_in, n=5, rot=-math.pi / 2):
    pts = []
    for k in range(2 * n):
        r = r_out if k % 2 == 0 else r_in
        a = rot + k * math.pi / n
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def _draw(pen: _Pen, motif: str, rng: random.Random) -> None:  # noqa: C901 - a catalogue of drawings
    p = pen
    if motif == "sun":
        for k in range(12):
            a = k * math.pi / 6 + math.pi / 12
            p.line([(0.58 * math.cos(a), 0.58 * math.sin(a)), (0.86 * math.cos(a), 0.86 * math.sin(a))], 0.09, "S")
        p.ellipse(0, 0, 0.45)
    elif motif == "moon":
        p.ellipse(-0.05, 0.05, 0.62)
        p.ellipse(0.28, -0.18, 0.52, layer="P", fill=0)
        for cx, cy, r in ((0.5, 0.35, 0.13), (0.62, -0.55, 0.09), (0.15, 0.72, 0.07)):
            p.poly(_star_pts(cx, cy, r, r * 0.3, 4), "S")
    elif motif == "waves":
        for row in range(3):
            base = -0.42 + row * 0.36
            ph = rng.uniform(0, 6.28)
            top = [(u, base + 0.1 * math.sin(u * 3.2 + ph)) for u in np.linspace(-0.95, 0.95, 60)]
            bottom = [(u, v + 0.16) for u, v in reversed(top)]
            p.poly(top + bottom, "P" if row % 2 == 0 else "S")
        p.ellipse(0.55, -0.72, 0.12, layer="S")
    elif motif == "network":
        nodes = []
        for k in range(12):
            a = k * 2 * math.pi / 12 + rng.uniform(-0.2, 0.2)
            r = rng.uniform(0.55, 0.9)
            nodes.append((r * math.cos(a), 0.82 * r * math.sin(a)))
        nodes += [(rng.uniform(-0.3, 0.3), rng.uniform(-0.25, 0.25)) for _ in range(4)]
        for i, a in enumerate(nodes):
            near = sorted(nodes, key=lambda b: math.dist(a, b))[1:4]
            for b in near:
                p.line([a, b], 0.035, "S")
        for a in nodes:
            p.ellipse(a[0], a[1], rng.uniform(0.06, 0.1))
    elif motif == "rocket":
        body = [(0, -0.9), (0.2, -0.55), (0.22, 0.3), (-0.22, 0.3), (-0.2, -0.55)]
        p.poly([(-0.2, 0.0), (-0.46, 0.42), (-0.2, 0.34)], "S")
        p.poly([(0.2, 0.0), (0.46, 0.42), (0.2, 0.34)], "S")
        p.poly([(-0.16, 0.38), (0.16, 0.38), (0.0, 0.92)], "S")
        p.poly(body)
        p.erase(p.ellipse, 0, -0.3, 0.11)
        p.ellipse(0, -0.3, 0.075, layer="S")
    elif motif == "coins":
        for k in range(4):
            y = 0.62 - k * 0.17
            p.ellipse(-0.35, y, 0.42, 0.13, layer="S" if k % 2 else "P")
            p.ellipse(-0.35, y - 0.03, 0.42, 0.1, layer="S" if k % 2 else "P")
        p.ellipse(0.32, 0.05, 0.5)
        p.ellipse(0.32, 0.05, 0.38, layer="S", width=0.06)
        p.rect(0.27, -0.17, 0.37, 0.27, layer="S")
    elif motif == "clock":
        p.ellipse(0, 0, 0.85, width=0.12)
        for k in range(12):
            a = k * math.pi / 6
            r0 = 0.6 if k % 3 == 0 else 0.66
            p.line([(r0 * math.cos(a), r0 * math.sin(a)), (0.7 * math.cos(a), 0.7 * math.sin(a))], 0.05)
        p.line([(0, 0), (0.32, -0.22)], 0.1, "S")
        p.line([(0, 0), (-0.08, -0.55)], 0.07, "S")
        p.ellipse(0, 0, 0.09, layer="S")
    elif motif == "hourglass":
        p.rect(-0.55, -0.9, 0.55, -0.76, radius=0.05)
        p.rect(-0.55, 0.76, 0.55, 0.9, radius=0.05)
        p.poly([(-0.45, -0.76), (0.45, -0.76), (0.06, 0.0), (0.45, 0.76), (-0.45, 0.76), (-0.06, 0.0)])
        p.poly([(-0.33, -0.68), (0.33, -0.68), (0.04, 0.0), (0.33, 0.68), (-0.33, 0.68), (-0.04, 0.0)], fill=0)
        p.poly([(-0.2, -0.4), (0.2, -0.4), (0.02, -0.04), (-0.02, -0.04)], "S")
        p.poly([(0.0, 0.3), (0.3, 0.68), (-0.3, 0.68)], "S")
        p.line([(0, -0.02), (0, 0.5)], 0.025, "S")
    elif motif == "tree":
        p.poly([(-0.1, 0.9), (-0.07, 0.1), (0.07, 0.1), (0.1, 0.9)], "S")
        p.line([(0, 0.35), (-0.3, 0.05)], 0.06, "S")
        for dx, dy, r in ((0, -0.35, 0.5), (-0.4, -0.05, 0.36), (0.4, -0.05, 0.36), (0.0, 0.05, 0.36)):
            p.ellipse(dx, dy, r)
    elif motif == "leaf":
        rot = -0.7
        pts = []
        for k in range(41):
            t = k / 40 * 2 * math.pi
            x, y = 0.85 * math.cos(t), 0.42 * math.sin(t) * (1 - 0.35 * math.cos(t))
            pts.append((x * math.cos(rot) - y * math.sin(rot), x * math.sin(rot) + y * math.cos(rot)))
        p.poly(pts)
        a = (math.cos(rot), math.sin(rot))
        p.line([(-0.95 * a[0], -0.95 * a[1]), (0.75 * a[0], 0.75 * a[1])], 0.05, "S")
        for t in (-0.4, 0.0, 0.4):
            bx, by = t * a[0], t * a[1]
            for side in (-1, 1):
                p.line([(bx, by), (bx + 0.3 * a[0] - side * 0.25 * a[1], by + 0.3 * a[1] + side * 0.25 * a[0])],
                       0.03, "S")
    elif motif == "planet":
        rot = -0.35
        p.line(_ring_pts(0, 0, 0.95, 0.28, rot), 0.09, "S", round_caps=False)
        p.ellipse(0, 0, 0.5, layer="S", fill=0)
        p.ellipse(0, 0, 0.5)
        p.line(_ring_pts(0, 0, 0.95, 0.28, rot, 0.0, math.pi), 0.09, "S", round_caps=False)
        p.ellipse(-0.15, -0.1, 0.5, 0.06, layer="S")
    elif motif == "globe":
        p.ellipse(0, 0, 0.78)
        for rx in (0.3, 0.58):
            p.ellipse(0, 0, rx, 0.78, layer="S", width=0.04)
        p.line([(0, -0.78), (0, 0.78)], 0.04, "S")
        for v in (-0.42, 0.0, 0.42):
            half = math.sqrt(max(0.0, 0.78 ** 2 - v ** 2))
            p.line([(-half, v), (half, v)], 0.04, "S")
        p.ellipse(0, 0, 0.78, layer="S", width=0.05)
    elif motif == "heart":
        pts = []
        for k in range(81):
            t = k / 80 * 2 * math.pi
            x = 16 * math.sin(t) ** 3
            y = -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t))
            pts.append((x / 19, y / 19 + 0.05))
        p.poly(pts)
        p.line([(-0.95, 0.05), (-0.35, 0.05), (-0.2, -0.25), (0.0, 0.35), (0.15, -0.05), (0.25, 0.05), (0.95, 0.05)],
               0.06, "S")
    elif motif == "bulb":
        p.ellipse(0, -0.2, 0.55)
        p.poly([(-0.33, 0.15), (0.33, 0.15), (0.22, 0.5), (-0.22, 0.5)])
        p.rect(-0.24, 0.5, 0.24, 0.78, "S", radius=0.06)
        for yy in (0.59, 0.69):
            p.line([(-0.24, yy), (0.24, yy)], 0.025, "S", fill=0, round_caps=False)
        p.line([(-0.12, 0.15), (-0.12, -0.15), (0.0, -0.05), (0.12, -0.15), (0.12, 0.15)], 0.04, "S")
        for a in (-2.6, -2.1, -1.57, -1.05, -0.5):
            p.line([(0.72 * math.cos(a), -0.2 + 0.72 * math.sin(a)), (0.9 * math.cos(a), -0.2 + 0.9 * math.sin(a))],
                   0.05, "S")
    elif motif == "hexagon":
        r = 0.27
        for q, rr in ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, 1)):
            hx, hy = r * 1.78 * (q + rr / 2), r * 1.54 * rr
            pts = [(hx + r * math.cos(math.pi / 6 + k * math.pi / 3), hy + r * math.sin(math.pi / 6 + k * math.pi / 3))
                   for k in range(6)]
            p.poly(pts, "S" if (q - rr) % 3 == 0 else "P")
            p.poly([(hx + (u - hx) * 0.12 + 0, hy + (v - hy) * 0.12) for u, v in pts], fill=0)
    elif motif == "cat":
        p.poly([(-0.62, -0.25), (-0.55, -0.85), (-0.15, -0.5)])
        p.poly([(0.62, -0.25), (0.55, -0.85), (0.15, -0.5)])
        p.ellipse(0, 0.05, 0.66, 0.56)
        p.poly([(-0.5, -0.4), (-0.5, -0.7), (-0.28, -0.5)], "S")
        p.poly([(0.5, -0.4), (0.5, -0.7), (0.28, -0.5)], "S")
        for ex in (-0.25, 0.25):
            p.ellipse(ex, -0.02, 0.1, 0.12, layer="S")
            p.ellipse(ex, -0.02, 0.03, 0.09, layer="S", fill=0)
        p.poly([(-0.08, 0.17), (0.08, 0.17), (0, 0.26)], "S")
        for side in (-1, 1):
            for k in (-1, 0, 1):
                p.line([(side * 0.3, 0.25), (side * 0.95, 0.2 + k * 0.12)], 0.025, "S")
    elif motif == "drop":
        p.ellipse(0, 0.2, 0.5)
        p.poly([(-0.46, 0.02), (0.46, 0.02), (0, -0.85)])
        p.ellipse(-0.18, 0.25, 0.09, 0.16, layer="S")
        p.ellipse(0, 0.85, 0.6, 0.1, layer="S", width=0.04)
    elif motif == "mountain":
        p.poly([(-0.95, 0.7), (-0.25, -0.65), (0.45, 0.7)])
        p.poly([(-0.05, 0.7), (0.42, -0.2), (0.95, 0.7)], "S")
        p.poly([(-0.25, -0.65), (-0.44, -0.28), (-0.3, -0.34), (-0.2, -0.24), (-0.06, -0.28)], "S")
        p.poly([(-0.25, -0.65), (-0.44, -0.28), (-0.3, -0.34), (-0.2, -0.24), (-0.06, -0.28)], "P", fill=0)
    elif motif == "atom":
        for rot in (0.0, math.pi / 3, -math.pi / 3):
            p.line(_ring_pts(0, 0, 0.9, 0.32, rot), 0.05, "S", round_caps=False)
        p.ellipse(0, 0, 0.2)
        for rot, t in ((0.0, 0.6), (math.pi / 3, 2.5), (-math.pi / 3, 4.3)):
            x, y = 0.9 * math.cos(t), 0.32 * math.sin(t)
            p.ellipse(x * math.cos(rot) - y * math.sin(rot), x * math.sin(rot) + y * math.cos(rot), 0.08)
    elif motif == "bolt":
        p.poly([(0.15, -0.95), (-0.45, 0.12), (-0.05, 0.12), (-0.2, 0.95), (0.45, -0.18), (0.05, -0.18), (0.3, -0.95)])
        for cx, cy in ((-0.6, -0.5), (0.62, 0.3), (-0.55, 0.6)):
            p.poly(_star_pts(cx, cy, 0.14, 0.04, 4), "S")
    elif motif == "gear":
        teeth = 10
        pts = []
        for k in range(teeth * 4):
            a = k * 2 * math.pi / (teeth * 4)
            r = 0.82 if k % 4 in (1, 2) else 0.64
            pts.append((r * math.cos(a), r * math.sin(a)))
        p.poly(pts)
        p.ellipse(0, 0, 0.4, layer="S")
        p.erase(p.ellipse, 0, 0, 0.2)
    elif motif == "chart":
        for k, v in enumerate((0.3, 0.5, 0.45, 0.8)):
            x = -0.75 + k * 0.42
            p.rect(x, 0.8 - v * 1.3, x + 0.28, 0.8, radius=0.04)
        p.line([(-0.85, 0.2), (-0.3, -0.1), (0.05, 0.05), (0.65, -0.6)], 0.07, "S")
        p.poly([(0.8, -0.78), (0.48, -0.7), (0.74, -0.45)], "S")
        p.rect(-0.9, 0.82, 0.9, 0.88, "S")
    elif motif == "eye":
        top = [(u, -0.55 * (1 - u * u)) for u in np.linspace(-0.95, 0.95, 40)]
        bottom = [(u, 0.55 * (1 - u * u)) for u in np.linspace(0.95, -0.95, 40)]
        p.poly(top + bottom)
        p.ellipse(0, 0, 0.38, layer="S")
        p.erase(p.ellipse, 0, 0, 0.16)
        p.ellipse(-0.1, -0.12, 0.06, layer="P")
        for a in (-2.4, -1.9, -1.57, -1.2, -0.7):
            p.line([(0.6 * math.cos(a) * 1.2, -0.12 + 0.6 * math.sin(a) * 1.05),
                    (0.8 * math.cos(a) * 1.2, -0.12 + 0.8 * math.sin(a) * 1.05)], 0.05, "S")
    elif motif == "fish":
        p.ellipse(-0.1, 0, 0.62, 0.38)
        p.poly([(0.4, 0), (0.9, -0.38), (0.82, 0), (0.9, 0.38)])
        p.poly([(-0.25, -0.3), (0.05, -0.58), (0.15, -0.3)], "S")
        p.poly([(-0.05, 0.3), (0.15, 0.5), (0.2, 0.28)], "S")
        p.erase(p.ellipse, -0.45, -0.08, 0.07)
        p.line(_ring_pts(-0.25, 0, 0.2, 0.3, 0, -1.2, 1.2, 20), 0.04, "S")
        for cx, cy, r in ((-0.85, -0.5, 0.07), (-0.75, -0.75, 0.05), (-0.9, -0.9, 0.035)):
            p.ellipse(cx, cy, r, layer="S", width=0.025)
    elif motif == "flame":
        def teardrop(sx, sy, oy):
            pts = []
            for k in range(61):
                t = k / 60 * 2 * math.pi
                x = math.sin(t) * (1 - math.cos(t)) * 0.5
                y = -math.cos(t)
                pts.append((x * sx, y * sy + oy))
            return pts
        p.poly(teardrop(0.95, 0.85, 0.05))
        p.poly(teardrop(0.5, 0.45, 0.45), "S")
    elif motif == "snowflake":
        for k in range(6):
            a = k * math.pi / 3 - math.pi / 2
            c, s_ = math.cos(a), math.sin(a)
            p.line([(0, 0), (0.88 * c, 0.88 * s_)], 0.07)
            for t, ln in ((0.45, 0.22), (0.68, 0.15)):
                bx, by = t * c, t * s_
                for side in (-1, 1):
                    b = a + side * math.pi / 4
                    p.line([(bx, by), (bx + ln * math.cos(b), by + ln * math.sin(b))], 0.055)
        p.poly([(0.24 * math.cos(k * math.pi / 3), 0.24 * math.sin(k * math.pi / 3)) for k in range(6)], "S")
    elif motif == "music":
        p.poly([(-0.42, -0.55), (0.58, -0.8), (0.58, -0.6), (-0.42, -0.35)], "S")
        p.rect(-0.42, -0.55, -0.32, 0.45, "S")
        p.rect(0.48, -0.8, 0.58, 0.25, "S")
        p.ellipse(-0.55, 0.5, 0.22, 0.16)
        p.ellipse(0.35, 0.3, 0.22, 0.16)
        for k in range(3):
            p.line(_ring_pts(-0.9, 0.0, 0.15 + 0.12 * k, 0.2 + 0.15 * k, 0, -0.9, 0.9, 20), 0.035, "S")
    elif motif == "book":
        p.poly([(-0.9, -0.5), (-0.05, -0.38), (-0.05, 0.65), (-0.9, 0.55)])
        p.poly([(0.9, -0.5), (0.05, -0.38), (0.05, 0.65), (0.9, 0.55)])
        p.line([(0, -0.42), (0, 0.7)], 0.06, "S")
        for k in range(5):
            t = -0.22 + k * 0.17
            for side in (-1, 1):
                p.line([(side * 0.2, t + 0.02), (side * 0.75, t - 0.05)], 0.03, "S")
        p.poly([(0.45, -0.48), (0.6, -0.5), (0.6, -0.2), (0.525, -0.28), (0.45, -0.2)], "S")
    elif motif == "star":
        p.poly(_star_pts(0, 0.05, 0.85, 0.36))
        p.poly(_star_pts(0, 0.05, 0.42, 0.18), "S")
        for cx, cy, r in ((0.72, -0.7, 0.14), (-0.75, -0.55, 0.1), (0.7, 0.65, 0.09)):
            p.poly(_star_pts(cx, cy, r, r * 0.3, 4), "S")
    elif motif == "bell":
        pts = [(-0.62, 0.45), (-0.5, 0.25), (-0.45, -0.2)]
        pts += [(0.45 * math.cos(a), -0.2 - 0.5 * math.sin(a)) for a in np.linspace(math.pi, 0, 24)]
        pts += [(0.45, -0.2), (0.5, 0.25), (0.62, 0.45)]
        p.poly(pts)
        p.rect(-0.7, 0.42, 0.7, 0.52, radius=0.05)
        p.ellipse(0, 0.63, 0.13, layer="S")
        p.ellipse(0, -0.76, 0.08, layer="S")
        for centre in (math.pi - 0.25, 0.25):
            for k in range(2):
                r = 0.78 + k * 0.16
                p.line(_ring_pts(0, -0.05, r, r, 0, centre - 0.35, centre + 0.35, 12), 0.05, "S")
    elif motif == "dna":
        n = 48
        a = [(0.45 * math.sin(t * 2.4 * math.pi / 2), t) for t in np.linspace(-0.9, 0.9, n)]
        b = [(-0.45 * math.sin(t * 2.4 * math.pi / 2), t) for t in np.linspace(-0.9, 0.9, n)]
        for k in range(2, n - 1, 4):
            p.line([a[k], b[k]], 0.045, "S")
        p.line(a, 0.1)
        p.line(b, 0.1, "S")
    elif motif == "rainbow":
        for k in range(4):
            r = 0.9 - k * 0.17
            p.line(_ring_pts(0, 0.35, r, r, 0, math.pi, 2 * math.pi, 60), 0.13, "P" if k % 2 == 0 else "S",
                   round_caps=False)
        for cx in (-0.62, 0.62):
            for dx, r in ((-0.14, 0.14), (0.05, 0.19), (0.24, 0.13)):
                p.ellipse(cx + dx, 0.4, r, r * 0.8, layer="S")
    elif motif == "flower":
        for k in range(8):
            a = k * math.pi / 4
            p.ellipse(0.48 * math.cos(a), 0.48 * math.sin(a) - 0.1, 0.26)
        p.erase(p.ellipse, 0, -0.1, 0.3)
        p.ellipse(0, -0.1, 0.26, layer="S")
        p.line([(0, 0.3), (0.05, 0.95)], 0.06, "S")
        p.ellipse(0.22, 0.68, 0.18, 0.08, layer="S")
    elif motif == "bird":
        p.ellipse(-0.05, 0.1, 0.5, 0.36)
        p.ellipse(0.38, -0.3, 0.24)
        p.poly([(0.55, -0.36), (0.9, -0.26), (0.56, -0.2)], "S")
        p.erase(p.ellipse, 0.42, -0.36, 0.05)
        p.poly([(-0.35, 0.0), (0.15, -0.05), (-0.1, 0.35), (-0.75, 0.3)], "S")
        p.poly([(-0.5, 0.05), (-0.95, -0.2), (-0.8, 0.25)])
        p.line([(-0.05, 0.45), (-0.1, 0.85)], 0.05, "S")
        p.line([(0.12, 0.45), (0.15, 0.85)], 0.05, "S")
    elif motif == "letter":
        p.rect(-0.85, -0.5, 0.85, 0.55, radius=0.06)
        p.line([(-0.8, -0.45), (0, 0.1), (0.8, -0.45)], 0.07, "S")
        p.line([(-0.8, 0.5), (-0.25, -0.05)], 0.04, "S")
        p.line([(0.8, 0.5), (0.25, -0.05)], 0.04, "S")
        p.ellipse(0.62, -0.62, 0.2, layer="S")
        p.poly(_star_pts(0.62, -0.62, 0.13, 0.06), fill=0, layer="S")
    elif motif == "shield":
        pts = [(0, -0.9), (0.72, -0.6), (0.66, 0.1)]
        pts += [(0.66 * math.cos(a), 0.1 + 0.82 * math.sin(a)) for a in np.linspace(0, math.pi / 2, 12)]
        pts = pts + [(-u, v) for u, v in reversed(pts[1:])]
        p.poly(pts)
        p.poly([(0, -0.72), (0.55, -0.48), (0.5, 0.05)] +
               [(0.5 * math.cos(a), 0.05 + 0.7 * math.sin(a)) for a in np.linspace(0, math.pi / 2, 10)], "S")
        p.poly(_star_pts(-0.02, -0.05, 0.3, 0.13), "S")
    elif motif == "virus":
        for k in range(10):
            a = k * math.pi / 5
            p.line([(0.45 * math.cos(a), 0.45 * math.sin(a)), (0.8 * math.cos(a), 0.8 * math.sin(a))], 0.07, "S")
            p.ellipse(0.84 * math.cos(a), 0.84 * math.sin(a), 0.09, layer="S")
        p.ellipse(0, 0, 0.55)
        for cx, cy, r in ((-0.2, -0.15, 0.12), (0.2, 0.1, 0.09), (-0.05, 0.28, 0.07), (0.22, -0.25, 0.06)):
            p.ellipse(cx, cy, r, layer="S")
    else:  # house
        p.poly([(-0.85, -0.05), (0, -0.8), (0.85, -0.05)])
        p.rect(-0.62, -0.1, 0.62, 0.8)
        p.erase(p.rect, -0.15, 0.3, 0.15, 0.8, radius=0.04)
        p.rect(-0.15, 0.3, 0.15, 0.8, "S", radius=0.04)
        p.erase(p.rect, 0.28, 0.05, 0.5, 0.27)
        p.rect(0.28, 0.05, 0.5, 0.27, "S")
        p.rect(0.4, -0.7, 0.56, -0.35, "S")


def motif_masks(motif: str, size: int, rng: random.Random) -> tuple[Image.Image, Image.Image]:
    """The motif's main and secondary masks (L, ``size`` square), drawn at 2x and downsampled."""
    pen = _Pen(size * 2)
    _draw(pen, motif, rng)
    P = pen.P.resize((size, size), Image.LANCZOS)
    S = pen.S.resize((size, size), Image.LANCZOS)
    return P, S


def _gradient_fill(size: int, top, bottom) -> Image.Image:
    g = np.linspace(0, 1, 32)
    arr = np.array([_mix(top, bottom, float(v)) for v in g], np.uint8)[:, None, :]
    return Image.fromarray(arr, "RGB").resize((size, size), Image.BILINEAR).convert("RGBA")


def _motif_layer(motif: str, size: int, style: str, c1, c2, ground, rng: random.Random,
                 glow: float) -> tuple[Image.Image, int]:
    """The motif as an RGBA square with its shadow/glow, and the padding around it."""
    P, S = motif_masks(motif, size, rng)
    pad = size // 5
    full = size + 2 * pad
    out = Image.new("RGBA", (full, full), (0, 0, 0, 0))

    def placed(mask):
        m = Image.new("L", (full, full), 0)
        m.paste(mask, (pad, pad))
        return m

    Pm, Sm = placed(P), placed(S)
    union = ImageChops.lighter(Pm, Sm)
    if style == "neon":
        edge_p = ImageChops.subtract(Pm, _erode(Pm, max(1, size // 120)))
        edge_s = ImageChops.subtract(Sm, _erode(Sm, max(1, size // 160)))
        out.alpha_composite(_tint(_soft(union, size * 0.05), c1, min(1.0, 0.55 * glow)))
        out.alpha_composite(_tint(_soft(ImageChops.lighter(edge_p, edge_s), size * 0.015, 2), c2, min(1.0, glow)))
        out.alpha_composite(_tint(Pm, c1, 0.16))
        out.alpha_composite(_tint(edge_p, _mix(c1, (255, 255, 255), 0.55)))
        out.alpha_composite(_tint(edge_s, _mix(c2, (255, 255, 255), 0.55)))
        return out, pad
    if style == "retro-terminal":
        cells = max(12, size // 18)
        pix = union.resize((cells, cells), Image.BOX).point(lambda v: 255 if v > 100 else 0)
        pix_s = Sm.resize((cells, cells), Image.BOX).point(lambda v: 255 if v > 110 else 0)
        big = pix.resize((full, full), Image.NEAREST)
        big_s = pix_s.resize((full, full), Image.NEAREST)
        gap = Image.new("L", (full, full), 0)  # a thin gap between the "pixels"
        gd = ImageDraw.Draw(gap)
        step = full / cells
        for k in range(cells + 1):
            gd.line([(k * step, 0), (k * step, full)], fill=255, width=max(1, int(step * 0.12)))
            gd.line([(0, k * step), (full, k * step)], fill=255, width=max(1, int(step * 0.12)))
        big = ImageChops.subtract(big, gap)
        big_s = ImageChops.subtract(big_s, gap)
        out.alpha_composite(_tint(_soft(big, size * 0.04), c1, min(1.0, 0.7 * glow)))
        out.alpha_composite(_tint(big, _mix(c1, (255, 255, 255), 0.2)))
        out.alpha_composite(_tint(big_s, c2))
        return out, pad
    flat = style in ("geometric", "paper")
    # shadow (hard and offset for the flat styles, soft and low for the others)
    off = int(size * (0.03 if flat else 0.04))
    sh = Image.new("L", (full, full), 0)
    sh.paste(_soft(union, size * (0.015 if flat else 0.05), 2), (off, off))
    out.alpha_composite(_tint(sh, _scale(ground, 0.35), 0.55 if flat else 0.6))
    if not flat:  # a coloured glow
        out.alpha_composite(_tint(_soft(union, size * 0.07), c1, min(1.0, 0.45 * glow)))
    if flat:
        fill1 = Image.new("RGBA", (full, full), (*c1, 255))
        fill2 = Image.new("RGBA", (full, full), (*c2, 255))
    else:
        fill1 = _gradient_fill(full, _mix(c1, (255, 255, 255), 0.45), _scale(c1, 0.85))
        fill2 = _gradient_fill(full, _mix(c2, (255, 255, 255), 0.35), _scale(c2, 0.85))
    fill1.putalpha(Pm)
    fill2.putalpha(Sm)
    out.alpha_composite(fill1)
    out.alpha_composite(fill2)
    if style == "paper":  # a second, offset "cut" outline gives the layered paper look
        rim = ImageChops.subtract(union, union.filter(ImageFilter.MinFilter(3)))
        out.alpha_composite(_tint(rim, _mix(c1, (255, 255, 255), 0.5), 0.5))
    return out, pad


# ---------------------------------------------------------------------------
# focal elements per beat kind


def _rays(size, centre, colour, rng: random.Random, count: int, opacity: int) -> Image.Image:
    w, h = size
    lay, d = _layer(size)
    cx, cy = centre
    R = 1.3 * h
    a0 = rng.uniform(0, math.pi)
    for k in range(count):
        a = a0 + k * 2 * math.pi / count
        da = math.pi / count * 0.55
        d.polygon([(cx, cy), (cx + R * math.cos(a - da), cy + R * math.sin(a - da)),
                   (cx + R * math.cos(a + da), cy + R * math.sin(a + da))], fill=(*colour, opacity))
    # rays fade with distance from the centre
    lw, lh = max(8, w // 8), max(8, h // 8)
    x, y = _grid(lw, lh)
    dist = np.sqrt(((x - cx / w) * w / h) ** 2 + (y - cy / h) ** 2)
    fade = Image.fromarray((np.clip(1 - dist / 0.5, 0, 1) ** 1.5 * 255).astype(np.uint8), "L").resize(size, Image.BILINEAR)
    lay.putalpha(ImageChops.multiply(lay.getchannel("A"), fade))
    return lay


def _rings(size, centre, radius, colour, width, count=3) -> Image.Image:
    lay, d = _layer(size)
    cx, cy = centre
    for k in range(count):
        r = radius * (1 + 0.2 * k)
        a = int(220 * (1 - k / (count + 0.5)))
        d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(*colour, a), width=max(1, int(width * (1 - 0.25 * k))))
    return lay


def _orbit(size, centre, radius, colour, width, rng: random.Random) -> Image.Image:
    lay, d = _layer(size)
    cx, cy = centre
    rot = rng.uniform(-0.5, 0.5)
    pts = _ring_pts(cx, cy, radius * 1.05, radius * 0.42, rot, n=120)
    for k in range(0, len(pts) - 1, 3):  # dotted
        d.line([pts[k], pts[k + 1]], fill=(*colour, 200), width=max(1, int(width)))
    t = rng.uniform(0, 2 * math.pi)
    px, py = _ring_pts(cx, cy, radius * 1.05, radius * 0.42, rot, t, t, 1)[0]
    r = width * 2.2
    d.ellipse([px - r, py - r, px + r, py + r], fill=(*colour, 255))
    return lay


# ---------------------------------------------------------------------------


def render_scene(beat: Beat, *, style: VisualStyle, seed: str, index: int, total: int,
                 size: tuple[int, int] = (1080, 1920)) -> Image.Image:
    """One scene (RGB, ``size``) for a beat; deterministic for the same inputs."""
    w, h = int(size[0]), int(size[1])
    if w < 16 or h < 16:
        raise ValueError(f"scene size {size} is too small")
    kind = beat.kind if beat.kind in ("hook", "promise", "body", "cta") else "body"
    rng = _rng("scene", seed, index, kind, beat.narration, beat.visual_prompt, "|".join(beat.keywords),
               style.name, style.palette)
    pal = _Palette(style, index)
    name = style.name
    glow = style.glow

    # where the motif goes: the upper part, clear of the right-hand UI column
    if kind == "hook":
        mfrac, fx, fy = 0.58, 0.44, 0.215
    elif kind == "cta":
        mfrac, fx, fy = 0.46, 0.43, 0.22
    elif kind == "promise":
        mfrac, fx, fy = 0.5, 0.42 + rng.uniform(-0.03, 0.03), 0.22
    else:
        mfrac = 0.48 + rng.uniform(-0.03, 0.03)
        fx = (0.37 if index % 2 else 0.5) + rng.uniform(-0.03, 0.03)
        fy = 0.21 + rng.uniform(-0.015, 0.015)
    mfrac *= style.motif_scale
    msize = max(8, int(min(w * mfrac, h * 0.3)))
    focus = (fx * w, fy * h)

    # 1. the sky, at a quarter of the size
    lw, lh = max(8, w // 4), max(8, h // 4)
    lo = _sky(lw, lh, pal, rng, kind, glow)
    horizon = 0.72 + rng.uniform(-0.015, 0.015)
    sun = (rng.uniform(0.3, 0.55), horizon - 0.035, 0.1)
    phosphor = None
    if name == "aurora":
        lo = _aurora(lo, pal, rng, glow)
    elif name == "neon":
        lo = _neon_field(lo, pal, rng, glow, horizon, sun)
    elif name == "retro-terminal":
        lo, phosphor = _terminal_field(lo, pal, glow)
    elif name == "geometric":  # a clean, deep ground for flat colour to pop on
        gx, gy = _grid(lw, lh)
        top_c = _arr(_mix(_scale(pal.ground, 1.25), pal.accents[0], 0.12))
        lo = top_c * (1 - gy[..., None]) + _arr(_scale(pal.ground, 0.85)) * gy[..., None]
    elif name == "paper":  # a soft paper sky: two tints of the palette and a warm glow
        gx, gy = _grid(lw, lh)
        t = np.clip(gy / 0.62, 0, 1)[..., None]
        top_c = _arr(_mix(pal.accents[0], pal.ground, 0.3))
        bottom_c = _arr(_mix(pal.brightest, (255, 255, 255), 0.2))
        lo = top_c * (1 - t) + bottom_c * t
        d2 = ((gx - sun[0]) * lw / lh) ** 2 + (gy - 0.5) ** 2
        lo = lo + _arr(_mix(pal.brightest, (255, 255, 255), 0.6)) * (np.exp(-d2 / 0.01) * 0.25)[..., None]
    bg_rgb = tuple(float(v) for v in lo[min(lh - 1, int(fy * lh)), min(lw - 1, int(fx * lw))])
    sky = Image.fromarray(np.clip(lo, 0, 255).astype(np.uint8), "RGB")

    # 2. the style layer
    if name == "paper":  # drawn at half size, then upscaled once
        half = sky.resize((max(8, w // 2), max(8, h // 2)), Image.BILINEAR).convert("RGBA")
        _paper(half, pal, rng, glow)
        img = half.convert("RGB").resize((w, h), Image.BICUBIC).convert("RGBA")
    else:
        img = sky.resize((w, h), Image.BILINEAR).convert("RGBA")
    if name == "aurora":
        _bokeh(img, pal, rng, 14)
        _stars(img, rng, 90, 0.0, 0.55)
        _ridge(img, pal, rng)
    elif name == "neon":
        _stars(img, rng, 60, 0.0, horizon - 0.05)
        _neon(img, pal, rng, horizon, sun, glow)
    elif name == "geometric":
        _geometric(img, pal, rng, (fx, fy))
    elif name == "retro-terminal":
        _terminal(img, pal, rng, phosphor)

    # 3. the focal element for the beat's kind
    bright = name in ("aurora", "neon")
    c1 = phosphor or pal.contrasting(pal.accents[0] if name == "geometric" else bg_rgb, bright=bright)
    c2 = pal.contrasting(c1, exclude=(c1,), bright=bright)
    if phosphor:  # a second phosphor: the palette's other bright accent, if it has one
        others = [c for c in pal.accents if c != phosphor and _luma(c) > 90]
        c2 = max(others, key=_luma) if others else _scale(phosphor, 0.55)
    motif = pick_motif(beat.keywords, f"{seed}|{index}", beat.visual_prompt)
    if kind == "hook":
        ray_c = _mix(c1, (255, 255, 255), 0.3) if name != "geometric" else _mix(pal.accents[0], (255, 255, 255), 0.35)
        _put(img, _rays((w, h), focus, ray_c, rng, 16, 70 if name != "geometric" else 110), 0, 0)
    elif kind == "cta":
        _put(img, _rings((w, h), focus, msize * 0.62, c2, max(2, msize * 0.025)), 0, 0)
    elif kind == "promise":
        _put(img, _orbit((w, h), focus, msize * 0.7, c2, max(2, msize * 0.012), rng), 0, 0)
    else:  # body: small, out-of-focus echoes of the motif give depth
        for k in range(2):
            es = max(8, int(msize * rng.uniform(0.22, 0.32)))
            m, _ = motif_masks(motif, es, rng)
            ex = rng.uniform(0.04, 0.8) * w - es / 2
            if abs(ex + es / 2 - focus[0]) < msize * 0.6:
                ex = (0.05 * w if focus[0] > w * 0.45 else 0.8 * w - es)
            ey = rng.uniform(0.05, 0.3) * h
            blurred = m.filter(ImageFilter.GaussianBlur(max(1, es // 30)))
            _put(img, _tint(blurred, c2, 0.35), int(ex), int(ey))

    # 4. the motif
    layer, pad = _motif_layer(motif, msize, name, c1, c2, pal.ground, rng, glow)
    _put(img, layer, int(focus[0] - msize / 2 - pad), int(focus[1] - msize / 2 - pad))

    # 5. finishing, computed at a quarter of the size as out = img * gain + lift:
    # a calmer, darker caption band, a vignette, and the bottom (player UI) fading to the ground
    x, y = _grid(lw, lh)
    band = np.exp(-((y - 0.53) ** 2) / (2 * 0.11 ** 2)) * 0.28
    fade = np.clip((y - 0.72) / 0.2, 0, 1) ** 1.2 * 0.6
    vignette = np.clip(((x - 0.45) ** 2 * 1.1 + (y - 0.35) ** 2 * 0.5) * 0.9, 0, 0.45)
    gain = np.clip(1 - band - vignette, 0.1, 1)
    if name == "paper":  # fibres: a low-frequency mottling of the paper
        fib = np.random.default_rng(rng.randrange(2 ** 32)).normal(0, 1, (max(2, lh // 3), max(2, lw // 3)))
        fib = np.asarray(Image.fromarray(((fib * 0.25 + 0.5).clip(0, 1) * 255).astype(np.uint8), "L")
                         .resize((lw, lh), Image.BICUBIC), np.float32) / 255.0
        gain = gain * (0.97 + 0.06 * fib)
    gain_img = Image.fromarray((np.clip(gain, 0, 1) * 255).astype(np.uint8), "L").resize((w, h), Image.BILINEAR)
    fade_img = Image.fromarray((fade * 255).astype(np.uint8), "L").resize((w, h), Image.BILINEAR)
    rgb = ImageChops.multiply(img.convert("RGB"), gain_img.convert("RGB"))
    rgb = Image.composite(Image.new("RGB", (w, h), _scale(pal.ground, 0.55)), rgb, fade_img)
    out = np.asarray(rgb, dtype=np.int16)
    if name == "retro-terminal":
        out = (out * _scanline_gain(h)).astype(np.int16)
    if style.grain:
        gh, gw = (h + 1) // 2, (w + 1) // 2
        noise = np.random.default_rng(rng.randrange(2 ** 32)).standard_normal((gh, gw), dtype=np.float32)
        # grain is strongest in the mid tones, like film
        lum = np.asarray(rgb.convert("L").resize((gw, gh), Image.BOX), np.float32) / 255.0
        noise *= 255 * style.grain * (0.35 + 2.6 * lum * (1 - lum))
        noise_img = Image.fromarray(np.clip(noise + 128, 0, 255).astype(np.uint8), "L").resize((w, h), Image.NEAREST)
        out = out + (np.asarray(noise_img, np.int16) - 128)[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


# ---------------------------------------------------------------------------
# thumbnails and previews


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD), size)


@lru_cache(maxsize=1)
def _notdef() -> bytes:
    font = _font(48)
    return bytes(font.getmask("\U0010fffd"))


@lru_cache(maxsize=4096)
def _has_glyph(ch: str) -> bool:
    font = _font(48)
    mask = font.getmask(ch)
    return not (bytes(mask) == _notdef() and mask.size == font.getmask("\U0010fffd").size)


def renderable(text: str) -> str:
    """``text`` with what the bold font cannot draw removed: emoji, pictographs, control and
    format characters (zero-width joiners, variation selectors); whitespace collapsed."""
    text = unicodedata.normalize("NFC", str(text))
    kept = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
            continue
        cat = unicodedata.category(ch)
        if cat[0] == "C" or 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF:
            continue  # controls, format characters (ZWJ), private use, variation selectors
        if cat in ("Mn", "Me") and not kept:
            continue  # a combining mark with nothing to combine with
        if _has_glyph(ch):
            kept.append(ch)
    return re.sub(r"\s+", " ", "".join(kept)).strip()


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        while font.getlength(word) > width and len(word) > 1:  # a word wider than a line: split it
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut] + "-") > width:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut] + "-")
            word = word[cut:]
        trial = f"{current} {word}".strip()
        if not current or font.getlength(trial) <= width:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def fit_title(title: str, width: int, height: int, *, max_lines: int = 3, max_size: int | None = None,
              min_size: int = 28) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest bold font size at which ``title`` wraps into ``max_lines`` lines inside
    ``width`` x ``height``; a title too long even at ``min_size`` is cut with an ellipsis."""
    size = max_size or int(height / 2.2)
    while True:
        font = _font(size)
        lines = _wrap(title, font, width)
        if len(lines) <= max_lines and len(lines) * size * 1.12 <= height:
            return font, lines
        if size <= min_size:
            break
        size = max(min_size, int(size * 0.92))
    kept = lines[:max_lines]
    last = kept[-1]
    while last and font.getlength(last + "…") > width:
        last = last[:-1].rstrip()
    kept[-1] = (last.rstrip(" -") + "…") if last else "…"
    return font, kept


def render_thumbnail(title: str, *, scene: Image.Image | None, style: VisualStyle,
                     size: tuple[int, int] = (1280, 720)) -> Image.Image:
    """A 16:9 thumbnail: the scene (or a fresh one in the style) behind the title in big,
    bold, outlined text on the left; the scene's motif area shows on the right."""
    w, h = int(size[0]), int(size[1])
    pal = _Palette(style, 0)
    if scene is None:
        scene = render_scene(Beat("hook", title, title, re.findall(r"[A-Za-z]+", title.lower())),
                             style=style, seed=f"thumb|{title}", index=0, total=1, size=(720, 1280))
    scene = scene.convert("RGB")
    sw, sh = scene.size
    # background: the upper part of the scene, scaled to cover, blurred and darkened
    crop_h = min(sh, int(sw * h / w))
    top = max(0, min(sh - crop_h, int(sh * 0.42) - crop_h // 2))  # below the motif: no ghost copy
    bg = scene.crop((0, top, sw, top + crop_h)).resize((w // 4, h // 4), Image.BILINEAR)
    bg = bg.filter(ImageFilter.GaussianBlur(9)).resize((w, h), Image.BICUBIC)
    img = bg.convert("RGBA")
    # the motif area, sharp, on the right
    side = int(min(sw * 0.72, sh * 0.4))
    cx, cy = int(sw * 0.44), int(sh * 0.215)
    box = (max(0, cx - side // 2), max(0, cy - side // 2), min(sw, cx + side // 2), min(sh, cy + side // 2))
    focal = scene.crop(box)
    fs = int(h * 0.92)
    focal = focal.resize((fs, int(fs * focal.height / max(1, focal.width))), Image.LANCZOS)
    fmask = Image.new("L", focal.size, 0)
    ImageDraw.Draw(fmask).ellipse([fs * 0.13, fs * 0.13, fs * 0.87, fs * 0.87], fill=255)
    fmask = fmask.filter(ImageFilter.GaussianBlur(fs // 12))
    img.paste(focal, (w - int(fs * 0.93), (h - focal.height) // 2), fmask)
    # darken the left for the text
    x = np.linspace(0, 1, w, dtype=np.float32)
    shade = np.clip(1.0 - x / 0.75, 0, 1) ** 1.3 * 0.72
    arr = np.asarray(img.convert("RGB"), dtype=np.float32)
    arr *= (1 - shade)[None, :, None]
    img = Image.fromarray(arr.astype(np.uint8), "RGB").convert("RGBA")

    text = renderable(title).upper() or "WATCH THIS"
    margin = int(w * 0.055)
    text_w, text_h = int(w * 0.6), int(h * 0.8)
    # at most 3 lines; a title too long for a readable size is cut with an ellipsis
    font, lines = fit_title(text, text_w, text_h, max_size=int(h * 0.2), min_size=max(12, int(h * 0.085)))
    fsz = font.size
    line_h = int(fsz * 1.1)
    total_h = line_h * len(lines)
    y0 = (h - total_h) // 2
    accent = pal.vivid if _luma(pal.vivid) > 110 else _mix(pal.brightest, (255, 255, 255), 0.3)
    d = ImageDraw.Draw(img)
    bar_w = max(6, int(w * 0.008))
    d.rounded_rectangle([margin - bar_w * 3, y0 + fsz * 0.1, margin - bar_w * 2, y0 + total_h - fsz * 0.1],
                        radius=bar_w // 2, fill=(*accent, 255))
    # a soft drop shadow, then the text with a dark outline
    shadow, sd = _layer((w, h))
    stroke = max(3, fsz // 12)
    longest = max(range(len(lines)), key=lambda i: font.getlength(lines[i])) if len(lines) > 1 else -1
    for i, line in enumerate(lines):
        sd.text((margin + fsz * 0.05, y0 + i * line_h + fsz * 0.07), line, font=font, fill=(0, 0, 0, 200),
                stroke_width=stroke, stroke_fill=(0, 0, 0, 200))
    img.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(max(2, fsz // 16))))
    d = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        colour = accent if (i == len(lines) - 1 and len(lines) > 1 and i != longest) else (255, 255, 255)
        d.text((margin, y0 + i * line_h), line, font=font, fill=(*colour, 255),
               stroke_width=stroke, stroke_fill=(10, 10, 16, 255))
    return img.convert("RGB")


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
        sheet.paste(im.convert("RGB").resize((tw, th), Image.LANCZOS), (gap + c * (tw + gap), gap + r * (th + gap)))
    return sheet


def image_to_markdown(img: Image.Image, *, max_width: int = 320, alt: str = "", max_bytes: int = 60_000) -> str:
    """A small inline JPEG as markdown (``![alt](data:image/jpeg;base64,...)``) for Dagster
    metadata; the whole string is kept under ``max_bytes``."""
    im = img.convert("RGB")
    if im.width > max_width:
        im = im.resize((max_width, max(1, int(im.height * max_width / im.width))), Image.LANCZOS)
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
            im = im.resize((max(1, im.width * 3 // 4), max(1, im.height * 3 // 4)), Image.LANCZOS)
            quality = 70
    return f"![{safe_alt}](data:image/jpeg;base64,{data})"
