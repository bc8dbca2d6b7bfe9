"""The sky and the style layer under a scene: aurora, geometric, neon, paper, retro-terminal."""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from .style import _Palette, _luma, _mix, _sat, _scale
from .layers import _arr, _grid, _layer, _soft, _tint


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
    for _ in range(int(38 * rng.uniform(0.8, 1.2))):
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
        fill = Image.fromarray(grad, "RGB").resize((w, h), Image.Resampling.BILINEAR).convert("RGBA")
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
    fill = Image.fromarray(g, "RGB").resize((int(2 * r) + 1, int(2 * r) + 1), Image.Resampling.BILINEAR)
    sun_layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    sun_layer.paste(fill, (int(cx - r), int(cy - r)))
    sun_layer.putalpha(sun_mask)
    img.alpha_composite(sun_layer)
    # mountains silhouette on the horizon
    mnt = Image.new("L", img.size, 0)
    pts: list[tuple[float, float]] = [(0, horizon * h)]
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
    fade_img = Image.fromarray((fade[:, None] * 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BILINEAR)
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
