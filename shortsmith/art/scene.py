"""One scene for one beat: sky, style layer, focal element, motif and finishing, composed."""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from ..model import Beat
from .style import VisualStyle, _Palette, _luma, _mix, _rng, _scale
from .layers import _arr, _erode, _grid, _layer, _put, _soft, _tint
from .backgrounds import (_aurora, _bokeh, _geometric, _neon, _neon_field, _paper, _ridge, _scanline_gain, _sky,
                          _stars, _terminal, _terminal_field)
from .motifs import _ring_pts, motif_masks, pick_motif
from .lighting import light_scene, lighting_of


def _gradient_fill(size: int, top, bottom) -> Image.Image:
    g = np.linspace(0, 1, 32)
    arr = np.array([_mix(top, bottom, float(v)) for v in g], np.uint8)[:, None, :]
    return Image.fromarray(arr, "RGB").resize((size, size), Image.Resampling.BILINEAR).convert("RGBA")


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
        pix = union.resize((cells, cells), Image.Resampling.BOX).point(lambda v: 255 if v > 100 else 0)
        pix_s = Sm.resize((cells, cells), Image.Resampling.BOX).point(lambda v: 255 if v > 110 else 0)
        big = pix.resize((full, full), Image.Resampling.NEAREST)
        big_s = pix_s.resize((full, full), Image.Resampling.NEAREST)
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
    fade = Image.fromarray((np.clip(1 - dist / 0.5, 0, 1) ** 1.5 * 255).astype(np.uint8), "L").resize(size, Image.Resampling.BILINEAR)
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

    img, bg_rgb, phosphor = _backdrop(w, h, kind, pal, rng, style, (fx, fy))

    # 3. the focal element for the beat's kind
    c1, c2 = _accents(pal, name, bg_rgb, phosphor)
    motif = pick_motif(beat.keywords, f"{seed}|{index}", beat.visual_prompt)
    if kind == "hook":
        ray_c = _mix(c1, (255, 255, 255), 0.3) if name != "geometric" else _mix(pal.accents[0], (255, 255, 255), 0.35)
        _put(img, _rays((w, h), focus, ray_c, rng, 16, 70 if name != "geometric" else 110), 0, 0)
    elif kind == "cta":
        _put(img, _rings((w, h), focus, msize * 0.62, c2, max(2, msize * 0.025)), 0, 0)
    elif kind == "promise":
        _put(img, _orbit((w, h), focus, msize * 0.7, c2, max(2, msize * 0.012), rng), 0, 0)
    else:  # body: small, out-of-focus echoes of the motif give depth
        for _ in range(2):
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

    return light_scene(_finish(img, pal, rng, style), lighting_of(beat.scene))  # a narrative's [SCENE ...; lighting]


def _accents(pal: _Palette, name: str, bg_rgb, phosphor) -> tuple[tuple, tuple]:
    """The two colours that stand out on this backdrop (the subject's and its companion's)."""
    bright = name in ("aurora", "neon")
    c1 = phosphor or pal.contrasting(pal.accents[0] if name == "geometric" else bg_rgb, bright=bright)
    c2 = pal.contrasting(c1, exclude=(c1,), bright=bright)
    if phosphor:  # a second phosphor: the palette's other bright accent, if it has one
        others = [c for c in pal.accents if c != phosphor and _luma(c) > 90]
        c2 = max(others, key=_luma) if others else _scale(phosphor, 0.55)
    return c1, c2


def _backdrop(w: int, h: int, kind: str, pal: _Palette, rng: random.Random, style: VisualStyle,
              focus_frac: tuple[float, float]) -> tuple[Image.Image, tuple, tuple | None]:
    """The sky and the style layer (RGBA, full size), the sky colour at the focus, and the
    retro-terminal phosphor colour (None for other looks)."""
    name, glow = style.name, style.glow
    fx, fy = focus_frac
    # the sky, at a quarter of the size
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

    # the style layer
    if name == "paper":  # drawn at half size, then upscaled once
        half = sky.resize((max(8, w // 2), max(8, h // 2)), Image.Resampling.BILINEAR).convert("RGBA")
        _paper(half, pal, rng, glow)
        img = half.convert("RGB").resize((w, h), Image.Resampling.BICUBIC).convert("RGBA")
    else:
        img = sky.resize((w, h), Image.Resampling.BILINEAR).convert("RGBA")
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

    return img, bg_rgb, phosphor


def _finish(img: Image.Image, pal: _Palette, rng: random.Random, style: VisualStyle) -> Image.Image:
    """Caption band, vignette, the player-UI fade, scanlines and grain: the scene as RGB."""
    w, h = img.size
    lw, lh = max(8, w // 4), max(8, h // 4)
    name = style.name
    # computed at a quarter of the size as out = img * gain + lift:
    # a calmer, darker caption band, a vignette, and the bottom (player UI) fading to the ground
    x, y = _grid(lw, lh)
    band = np.exp(-((y - 0.53) ** 2) / (2 * 0.11 ** 2)) * 0.28
    fade = np.clip((y - 0.72) / 0.2, 0, 1) ** 1.2 * 0.6
    vignette = np.clip(((x - 0.45) ** 2 * 1.1 + (y - 0.35) ** 2 * 0.5) * 0.9, 0, 0.45)
    gain = np.clip(1 - band - vignette, 0.1, 1)
    if name == "paper":  # fibres: a low-frequency mottling of the paper
        mottle = np.random.default_rng(rng.randrange(2 ** 32)).normal(0, 1, (max(2, lh // 3), max(2, lw // 3)))
        fib = np.asarray(Image.fromarray(((mottle * 0.25 + 0.5).clip(0, 1) * 255).astype(np.uint8), "L")
                         .resize((lw, lh), Image.Resampling.BICUBIC), np.float32) / 255.0
        gain = gain * (0.97 + 0.06 * fib)
    gain_img = Image.fromarray((np.clip(gain, 0, 1) * 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BILINEAR)
    fade_img = Image.fromarray((fade * 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BILINEAR)
    rgb = ImageChops.multiply(img.convert("RGB"), gain_img.convert("RGB"))
    rgb = Image.composite(Image.new("RGB", (w, h), _scale(pal.ground, 0.55)), rgb, fade_img)
    out = np.asarray(rgb, dtype=np.int16)
    if name == "retro-terminal":
        out = (out * _scanline_gain(h)).astype(np.int16)
    if style.grain:
        gh, gw = (h + 1) // 2, (w + 1) // 2
        noise = np.random.default_rng(rng.randrange(2 ** 32)).standard_normal((gh, gw), dtype=np.float32)
        # grain is strongest in the mid tones, like film
        lum = np.asarray(rgb.convert("L").resize((gw, gh), Image.Resampling.BOX), np.float32) / 255.0
        noise *= 255 * style.grain * (0.35 + 2.6 * lum * (1 - lum))
        noise_img = Image.fromarray(np.clip(noise + 128, 0, 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.NEAREST)
        out = out + (np.asarray(noise_img, np.int16) - 128)[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")
