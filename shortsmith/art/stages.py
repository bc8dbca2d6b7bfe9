"""Backdrops per layout: each composition gets its own set, so a contact sheet reads as different shots.

- ``hero``: a dark room, a spotlight beam and a lit floor disc under the subject;
- ``group``: a wall and a shelf the props stand on;
- ``closeup``: the channel's landscape, thrown out of focus (the subject is in front of it);
- ``figure``: a flat diagonal field with a giant ghost of the number behind the real one;
- ``compare``: the frame split in two tints by a slanted divider;
- ``steps``: a calm field with a dot grid (the rows and connectors are drawn by the layout).

Fields are computed at a third of the size with numpy and upscaled once (smooth gradients only),
so a backdrop costs a few tens of milliseconds at 1080x1920. Colours come from the channel's
palette only; the style's finish (grain, paper fibres, scanlines) is added later by ``_finish``.
"""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageFilter

from .backgrounds import _terminal_field
from .layers import _arr, _grid
from .scene import _backdrop
from .style import VisualStyle, _luma, _mix, _Palette, _scale

_WHITE = (255, 255, 255)


def _img(lo: np.ndarray, w: int, h: int) -> Image.Image:
    small = Image.fromarray(np.clip(lo, 0, 255).astype(np.uint8), "RGB")
    return small.resize((w, h), Image.Resampling.BILINEAR).convert("RGBA")


def _dark(pal: _Palette, style: VisualStyle) -> tuple:
    """The deepest tone of the look (the ground; a dark look's ground stays, a light one's deepens)."""
    return _scale(pal.ground, 0.8) if _luma(pal.ground) < 90 else _scale(pal.ground, 0.45)


def phosphor_of(pal: _Palette, style: VisualStyle) -> tuple | None:
    if style.name != "retro-terminal":
        return None
    return _terminal_field(np.zeros((2, 2, 3), np.float32), pal, style.glow)[1]


def compare_slant(variant: int) -> int:
    """Which way the compare layout's divider leans (its backdrop and its drawn line agree)."""
    return 1 if variant % 2 == 0 else -1


def set_of(layout: str, kind: str, variant: int) -> str:
    """Which set a layout's scene gets: the layout's uses in a video go through its sets in turn,
    and the call to action (the strongest subjects again, and the bell) gets sets of its own: the
    backlit disc as a hero, the ring as a group."""
    if layout == "hero":
        return "disc" if kind == "cta" else ("beam", "side", "disc")[variant % 3]
    if layout == "group":
        return "ring" if kind == "cta" else ("shelf", "table", "ring")[variant % 3]
    return ("a", "b")[variant % 2]


def field(layout: str, w: int, h: int, kind: str, pal: _Palette, rng: random.Random, style: VisualStyle,
          focus: tuple[float, float], variant: int = 0) -> tuple[Image.Image, tuple]:
    """The backdrop (RGBA, ``w`` x ``h``) for a layout and the colour behind its focus; an odd
    ``variant`` (the layout's second use in a video) is another set: a backlit disc for the hero,
    a round table for the group, the figure's field turned the other way."""
    if layout == "closeup":
        img, bg, _ = _backdrop(w, h, kind, pal, rng, style, focus)
        # out of focus: blurred small (cheap at any radius) and scaled back
        k = 12
        small = img.convert("RGB").resize((max(4, w // k), max(4, h // k)), Image.Resampling.BOX)
        small = small.filter(ImageFilter.GaussianBlur(1.6))
        return small.resize((w, h), Image.Resampling.BICUBIC).convert("RGBA"), bg
    lw, lh = max(8, w // 3), max(8, h // 3)  # a third: the table's and the split's edges stay clean
    x, y = _grid(lw, lh)
    ax = x * lw / lh  # x in units of the height (round shapes stay round)
    fx, fy = focus
    dark = _dark(pal, style)
    phos = phosphor_of(pal, style)
    light = phos or _mix(pal.brightest, _WHITE, 0.25)
    a0, a1 = (phos, _scale(phos, 0.5)) if phos else (pal.accents[0], pal.accents[1 % len(pal.accents)])
    kit = set_of(layout, kind, variant)
    odd = kit == "b"
    if kit == "disc":  # a big backlit disc behind the subject, rim-lit, over a dark field
        lo = np.broadcast_to(_arr(_mix(dark, a1, 0.3)), (lh, lw, 3)).copy()
        r = np.sqrt((ax - fx * lw / lh) ** 2 + (y - fy) ** 2)
        lo += _arr(_mix(a0, light, 0.35)) * (np.clip((0.27 - r) / 0.01, 0, 1) * 0.55)[..., None]
        lo += _arr(light) * (np.exp(-((r - 0.27) / 0.012) ** 2) * 0.6)[..., None]
        lo *= (1 - 0.4 * np.clip((y - 0.5) * 2, 0, 1))[..., None]
        # two footlights in the lower corners, aimed up at the stage
        for sx in (0.0, 1.0):
            d2 = ((ax - sx * lw / lh) / 0.6) ** 2 + ((y - 0.82) / 1.4) ** 2
            lo += _arr(_mix(a1, light, 0.5)) * (np.exp(-d2 / 0.004) * 0.5)[..., None]
    elif kit == "ring":  # concentric rings on a deep field: the props will stand around the circle
        lo = np.broadcast_to(_arr(_mix(dark, a1, 0.35)), (lh, lw, 3)).copy()
        r = np.sqrt((ax - fx * lw / lh) ** 2 + (y - fy) ** 2)
        rings = (np.abs(np.sin(r * 40.0)) < 0.22) * np.clip(1 - r / 1.4, 0, 1) * 0.45
        rings *= 1 - 0.7 * np.exp(-((y - 0.6) / 0.09) ** 2)  # faint behind the captions
        lo += _arr(light) * (rings + np.exp(-r ** 2 / 0.01) * 0.3)[..., None]
        lo *= (1 - 0.45 * np.clip((y - 0.4) * 2, 0, 1))[..., None]
    elif kit == "side":  # a diagonal beam from the top right onto a subject left of centre
        lo = np.broadcast_to(_arr(_mix(dark, a0, 0.12)), (lh, lw, 3)).copy()
        # distance from the line (1.0, -0.05) -> (fx, fy + 0.08), in x units
        px, py = 1.0, -0.05
        qx, qy = fx, fy + 0.08
        # past the subject the beam runs on down to the floor at the lower left
        t = np.clip(((x - px) * (qx - px) + (y - py) * (qy - py)) / ((qx - px) ** 2 + (qy - py) ** 2), 0, 3.0)
        dist = np.sqrt((x - (px + t * (qx - px))) ** 2 + (y - (py + t * (qy - py))) ** 2)
        lo += _arr(light) * (np.clip(1 - dist / (0.04 + 0.12 * t), 0, 1) ** 1.5 * 0.3)[..., None]
        pool = ((x - fx) / 0.3) ** 2 + ((y - (fy + 0.13)) / 0.03) ** 2
        lo += _arr(light) * (np.clip(1.2 - pool, 0, 1) * 0.4)[..., None]
        lo *= (1 - 0.4 * np.clip((y - 0.45) * 1.5, 0, 1))[..., None]
    elif kit == "table":  # a round table seen from the front, a dark room behind
        lo = np.broadcast_to(_arr(_mix(dark, a0, 0.22)), (lh, lw, 3)).copy()
        lo *= (1 - 0.3 * np.abs(x - 0.5))[..., None]
        wood = _mix(a0, dark, 0.15)
        lamp = (ax - fx * lw / lh) ** 2 + ((y - 0.05) * 0.8) ** 2  # a lamp's pool of light above
        lo += _arr(light) * (np.exp(-lamp / 0.015) * 0.5)[..., None]
        # a window with four panes behind the table, and its light on the wall
        win = (x > 0.6) & (x < 0.86) & (y > 0.07) & (y < 0.19)
        bars = (np.abs(x - 0.73) < 0.008) | (np.abs(y - 0.13) < 0.004)
        lo[win] = _arr(_mix(a1, light, 0.55))[0, 0]
        lo[win & bars] = _arr(_scale(wood, 0.6))[0, 0]
        e = ((x - fx) / 0.52) ** 2 + ((y - (fy + 0.16)) / 0.07) ** 2
        # soft-edged masks: hard ones would show stair steps once scaled up
        e2 = ((x - fx) / 0.52) ** 2 + ((y - (fy + 0.18)) / 0.07) ** 2
        rim = np.clip((1 - e2) / 0.08, 0, 1)[..., None]
        lo = lo * (1 - rim) + _arr(_scale(wood, 0.7)) * rim
        top = np.clip((1 - e) / 0.08, 0, 1)[..., None]
        lo = lo * (1 - top) + _arr(_mix(wood, light, 0.3)) * (1.1 - 0.25 * np.clip(e, 0, 1))[..., None] * top
        leg = (np.abs(x - fx) < 0.05) & (y > fy + 0.23) & (y < 0.8)
        lo[leg] = _arr(_scale(wood, 0.55))[0, 0]
        foot = (np.abs(x - fx) < 0.2) & (y >= 0.79) & (y < 0.81)
        lo[foot] = _arr(_scale(wood, 0.7))[0, 0]
    elif kit == "beam":  # a dark room, a beam from above, a lit floor disc
        lo = np.broadcast_to(_arr(_mix(dark, a0, 0.18)), (lh, lw, 3)).copy()
        d2 = (ax - fx * lw / lh) ** 2 + ((y - fy) * 0.9) ** 2
        lo += _arr(_mix(a0, light, 0.5)) * (np.exp(-d2 / 0.012) * 0.75)[..., None]
        beam = np.clip(1 - np.abs(x - fx) / (0.12 + 0.55 * y), 0, 1) * (y < fy + 0.16)
        lo += _arr(light) * (beam ** 1.5 * 0.22)[..., None]
        disc = ((x - fx) / 0.34) ** 2 + ((y - (fy + 0.13)) / 0.028) ** 2
        lo += _arr(light) * (np.clip(1.2 - disc, 0, 1) * 0.35)[..., None]
        # the floor: lighter than the room, boards converging on the subject
        floor = y > fy + 0.13
        depth = np.clip((y - fy - 0.13) / 0.6, 0, 1)
        boards = (np.abs(np.sin((x - fx) / (0.02 + depth * 0.5) * 3.0)) < 0.2) * 0.3
        floor_c = _arr(_mix(dark, a0, 0.32)) * (1 - boards)[..., None] * (0.7 + 0.5 * depth)[..., None]
        lo = np.where(floor[..., None], lo * 0.35 + floor_c * 0.65, lo)
    elif layout == "group":  # a wall with a warm pool of light, and a shelf
        wall = _mix(_mix(a1, dark, 0.45), light, 0.12)
        lo = np.broadcast_to(_arr(wall), (lh, lw, 3)).copy()
        stripes = (np.sin(x * 2 * np.pi * 11) > 0.6) * 0.05  # wallpaper / panelling
        lo *= (1 - stripes)[..., None]
        d2 = ((ax - fx * lw / lh) * 0.8) ** 2 + (y - fy) ** 2
        lo += _arr(light) * (np.exp(-d2 / 0.02) * 0.35)[..., None]
        shelf_top, shelf_front = fy + 0.095, fy + 0.13
        wood = _mix(a0, dark, 0.2)
        plank = (y >= shelf_top) & (y < shelf_front)
        lo[plank] = _arr(_mix(wood, light, 0.35))[0, 0] * (0.85 + 0.15 * (y[plank] - shelf_top) / 0.035)[..., None]
        front = (y >= shelf_front) & (y < shelf_front + 0.02)
        lo[front] = _arr(_scale(wood, 0.8))[0, 0]
        below = y >= shelf_front + 0.02
        shade = np.clip((y - shelf_front - 0.02) / 0.05, 0, 1)
        lo[below] = (lo[below] * (0.55 + 0.25 * shade[below])[..., None])
        # the cabinet under the shelf: door seams and a second, lower shelf
        seams = below & ((np.abs(x - 0.33) < 0.006) | (np.abs(x - 0.66) < 0.006))
        lo[seams] *= 0.45
        door = below & (x > 0.33) & (x < 0.66)  # the middle door stands ajar: lighter
        lo[door] = lo[door] * 1.25 + _arr(light)[0, 0] * 0.04
        low = (y >= 0.78) & (y < 0.8)
        lo[low] = _arr(_mix(wood, light, 0.2))[0, 0]
    elif layout == "figure":  # a flat diagonal field with bold stripes
        xx = 1 - x if odd else x
        t = np.clip((xx * 0.6 + y) / 1.3, 0, 1)[..., None]
        top_c = _mix(a0, dark, 0.25)
        lo = _arr(top_c) * (1 - t) + _arr(dark) * t
        band = (np.sin((xx * lw / lh * 0.9 + y) * 22.0) > 0.5) * 0.16
        lo = lo * (1 + band)[..., None]
    elif layout == "compare":  # two tints split by a slanted divider
        split = 0.5 + 0.06 * (0.5 - y) * compare_slant(variant)
        left = x < split
        ca = _mix(a0, dark, 0.35)
        cb = _mix(pal.contrasting(a0, exclude=(a0,)), dark, 0.45)
        if abs(_luma(ca) - _luma(cb)) < 25 and max(abs(p - q) for p, q in zip(ca, cb)) < 40:
            cb = _scale(cb, 0.6)
        lo = np.where(left[..., None], _arr(ca), _arr(cb)).astype(np.float32)
        lo *= (1 - 0.35 * y)[..., None]  # darker towards the captions and the player UI
    else:  # steps: a calm vertical gradient with a dot grid
        t = y[..., None]
        lo = _arr(_mix(a1, dark, 0.55)) * (1 - t) + _arr(dark) * t
        cell = 1 / 24  # a dot grid of 24 columns, square cells
        dots = ((np.mod(x, cell) < cell * 0.22) & (np.mod(y * lh / lw, cell) < cell * 0.22)) * 0.18
        lo = lo * (1 + dots)[..., None]
        # the rail the numbers run on, lit, from top to bottom of the frame
        rail = np.exp(-((x - 0.17) / 0.06) ** 2)
        lo += _arr(_mix(a0, light, 0.3)) * (rail * 0.22)[..., None]
    # the light falls across the lower frame from a side that differs between the video's shots
    # of one layout and between layouts, so their lower halves do not line up
    k = (_LIGHT_ORDER.get(layout, 0) + variant + 2 * (kind == "cta")) % 4
    across = [x - 0.5, 0.5 - x, 0.25 - np.abs(x - 0.5), np.abs(x - 0.5) - 0.25][k]
    ramp = np.clip((y - 0.38) / 0.12, 0, 1)
    lo = lo * (1 + 0.55 * across * ramp)[..., None] + _arr(light) * (0.16 * np.clip(across + 0.25, 0, 1) * ramp)[..., None]
    bg = tuple(float(v) for v in lo[min(lh - 1, int(fy * lh)), min(lw - 1, int(fx * lw))])
    return _img(lo, w, h), bg


_LIGHT_ORDER = {"hero": 0, "closeup": 1, "group": 3, "figure": 2, "compare": 1, "steps": 2}
