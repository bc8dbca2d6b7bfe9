"""Planned scenes: the channel's backdrop, library subjects placed by the plan's layout, finishing.

Depth comes in three layers: the backdrop (sky and style layer), a far layer (small, blurred,
faded companions), the subjects (sharp, with a contact shadow and the style's treatment) and,
for some layouts, a near layer (a large, out-of-focus companion cut by the frame). The subjects
stay in the stage above the caption band (6-44 % of the height) and clear of the right-hand UI
column; only a close-up lets its subject run past the stage.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

from ..fonts import FONT_BOLD
from ..model import Beat
from . import subjects as lib
from .layers import _layer, _put, _soft, _tint
from .layouts import ScenePlan
from .scene import _accents, _backdrop, _finish, _orbit, _rays, _rings
from .style import VisualStyle, _luma, _mix, _Palette, _rng, _scale

_FOCUS = {"hero": (0.44, 0.225), "group": (0.44, 0.2), "closeup": (0.5, 0.2), "figure": (0.42, 0.24),
          "compare": (0.42, 0.23), "steps": (0.42, 0.24)}


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD), size)


def _styled(subject: lib.Subject, size: int, style: VisualStyle, c1, c2, ground, *, shadow: bool = True
            ) -> tuple[Image.Image, int]:
    """The subject as an RGBA square in the channel's look, with its shadow/glow, and its padding."""
    art = lib.render_subject(subject, size)
    a = art.getchannel("A")
    if lib.is_picture(subject):  # a square picture: round it off
        rounded = Image.new("L", art.size, 0)
        ImageDraw.Draw(rounded).rounded_rectangle([0, 0, size - 1, size - 1], radius=int(size * 0.22), fill=255)
        art.putalpha(ImageChops.multiply(a, rounded))
    pad = max(2, size // 6)
    full = size + 2 * pad
    out = Image.new("RGBA", (full, full), (0, 0, 0, 0))
    alpha = Image.new("L", (full, full), 0)
    alpha.paste(art.getchannel("A"), (pad, pad))
    placed = Image.new("RGBA", (full, full), (0, 0, 0, 0))
    placed.paste(art, (pad, pad))
    name, glow = style.name, style.glow
    if name == "retro-terminal":  # pixels of phosphor: the drawing's brightness, quantised to a grid
        cells = max(24, size // 9)
        lum = placed.convert("L").resize((cells, cells), Image.Resampling.BOX)
        a = alpha.resize((cells, cells), Image.Resampling.BOX).point(lambda v: 255 if v > 110 else 0)
        # stretched within the drawing so its inner lines survive the single phosphor colour
        lum = ImageOps.autocontrast(lum, cutoff=2, mask=a)
        lum = ImageChops.multiply(lum.point(lambda v: 60 + v * 195 // 255), a)
        big = lum.resize((full, full), Image.Resampling.NEAREST)
        out.alpha_composite(_tint(_soft(big, size * 0.04), c1, min(1.0, 0.7 * glow)))
        tinted = Image.new("RGBA", (full, full), (*_mix(c1, (255, 255, 255), 0.15), 255))
        tinted.putalpha(big)
        out.alpha_composite(tinted)
        return out, pad
    flat = name in ("geometric", "paper")
    if name == "paper":  # a paper-cut sticker: a light rim around the drawing
        # dilate at a quarter of the size (a wide MaxFilter at full size costs ~1 s)
        small = alpha.resize((max(8, full // 4), max(8, full // 4)), Image.Resampling.BOX)
        rim = small.filter(ImageFilter.MaxFilter(max(3, (size // 112) | 1))).resize((full, full), Image.Resampling.BILINEAR)
        alpha_ring = rim
    else:
        alpha_ring = alpha
    if shadow:
        off = int(size * (0.035 if flat else 0.05))
        sh = Image.new("L", (full, full), 0)
        sh.paste(_soft(alpha_ring, size * (0.012 if flat else 0.045), 2), (off // 2, off))
        out.alpha_composite(_tint(sh, _scale(ground, 0.3), 0.6 if flat else 0.55))
    if name in ("aurora", "neon"):
        out.alpha_composite(_tint(_soft(alpha, size * 0.08), c1, min(1.0, (0.75 if name == "neon" else 0.45) * glow)))
    if name == "paper":
        out.alpha_composite(_tint(alpha_ring, _mix(ground, (255, 255, 255), 0.92)))
    out.alpha_composite(placed)
    if name == "neon":  # a bright rim in the second accent
        edge = ImageChops.subtract(alpha, alpha.filter(ImageFilter.MinFilter(max(3, (size // 60) | 1))))
        out.alpha_composite(_tint(_soft(edge, size * 0.01, 2), _mix(c2, (255, 255, 255), 0.4), 0.9))
    return out, pad


def _place(img: Image.Image, layer: Image.Image, pad: int, size: int, cx: float, cy: float,
           angle: float = 0.0) -> None:
    if angle:
        layer = layer.rotate(angle, resample=Image.Resampling.BILINEAR)  # a few degrees: bilinear is enough
    _put(img, layer, int(cx - size / 2 - pad), int(cy - size / 2 - pad))


def _contact(img: Image.Image, cx: float, cy: float, rx: float, ground) -> None:
    """A soft ellipse of shade under a subject: it stands on something."""
    w, h = img.size
    m = Image.new("L", (int(rx * 2.6), int(rx * 0.9)), 0)
    ImageDraw.Draw(m).ellipse([rx * 0.3, rx * 0.2, rx * 2.3, rx * 0.7], fill=170)
    m = _soft(m, rx * 0.12, 2)
    _put(img, _tint(m, _scale(ground, 0.25), 0.7), int(cx - rx * 1.3), int(cy - rx * 0.45))


def _far(img: Image.Image, subject: lib.Subject, size: int, cx: float, cy: float, blur: float,
         opacity: float) -> None:
    """A companion far away: small, blurred, faded."""
    art = lib.render_subject(subject, size)
    art = art.filter(ImageFilter.GaussianBlur(max(1.0, blur)))
    art.putalpha(art.getchannel("A").point(lambda v: int(v * opacity)))
    _put(img, art, int(cx - size / 2), int(cy - size / 2))


def _text(img: Image.Image, text: str, cx: float, cy: float, max_w: float, max_h: float, fill, outline,
          *, shadow=True) -> tuple[float, float]:
    """Bold text centred at (cx, cy), as large as fits ``max_w`` x ``max_h``; returns its size."""
    size = max(8, int(max_h))
    font = _font(size)
    while size > 8 and font.getlength(text) > max_w:
        size = int(size * 0.92)
        font = _font(size)
    x0, y0, x1, y1 = font.getbbox(text)
    tw, th = x1 - x0, y1 - y0
    x, y = cx - tw / 2 - x0, cy - th / 2 - y0
    stroke = max(2, size // 14)
    if shadow:  # drawn and blurred in a box around the text only: a full-frame blur costs ~0.2 s
        m = int(size * 0.4)
        box_w, box_h = int(tw + 2 * m), int(th + 2 * m)
        lay, d = _layer((box_w, box_h))
        d.text((m - x0 + size * 0.04, m - y0 + size * 0.06), text, font=font, fill=(0, 0, 0, 150),
               stroke_width=stroke, stroke_fill=(0, 0, 0, 150))
        _put(img, lay.filter(ImageFilter.GaussianBlur(max(2, size // 18))), int(x + x0 - m), int(y + y0 - m))
    ImageDraw.Draw(img).text((x, y), text, font=font, fill=(*fill, 255), stroke_width=stroke,
                             stroke_fill=(*outline, 255))
    return tw, th


def _card(img: Image.Image, box, fill, outline, radius: int) -> None:
    lay, d = _layer(img.size)
    d.rounded_rectangle(box, radius=radius, fill=(*fill, 150), outline=(*outline, 220),
                        width=max(2, radius // 8))
    img.alpha_composite(lay)


def render_planned(beat: Beat, plan: ScenePlan, *, style: VisualStyle, seed: str, index: int, total: int,
                   size: tuple[int, int] = (1080, 1920)) -> Image.Image:
    """The scene (RGB, ``size``) for a beat and its plan; deterministic for the same inputs."""
    w, h = int(size[0]), int(size[1])
    if w < 16 or h < 16:
        raise ValueError(f"scene size {size} is too small")
    kind = beat.kind if beat.kind in ("hook", "promise", "body", "cta") else "body"
    layout = plan.layout
    rng = _rng("planned", seed, index, kind, layout, beat.narration, "|".join(s["code"] for s in plan.subjects),
               style.name, style.palette)
    pal = _Palette(style, index)
    fx, fy = _FOCUS.get(layout, (0.44, 0.22))
    fx += rng.uniform(-0.02, 0.02)
    img, bg_rgb, phosphor = _backdrop(w, h, kind, pal, rng, style, (fx, fy))
    img = _reframe(img, rng, index)
    c1, c2 = _accents(pal, style.name, bg_rgb, phosphor)
    subs = plan.subject_objects()
    for s in subs:
        lib.check_licence(s)
    ground = pal.ground
    stage = min(w * 0.84, h * 0.4)  # the square the composition lives in (above the captions)
    draw = {"hero": _hero, "group": _group, "closeup": _closeup, "figure": _figure, "compare": _compare,
            "steps": _steps}[layout]
    draw(img, subs, plan, kind=kind, focus=(fx * w, fy * h), stage=stage, style=style, pal=pal, c1=c1, c2=c2,
         ground=ground, rng=rng)
    return _finish(img, pal, rng, style)


def _reframe(img: Image.Image, rng, index: int) -> Image.Image:
    """The backdrop seen through a different camera per scene: mirrored on every other scene and
    zoomed into a different part, so a channel's look stays while no two backdrops line up."""
    w, h = img.size
    if index % 2:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    zoom = rng.uniform(1.0, 1.35)
    cw, ch = w / zoom, h / zoom
    x0 = rng.uniform(0, w - cw)
    y0 = rng.uniform(0, h - ch) * rng.choice((0.0, 0.5, 1.0))
    if zoom < 1.02:
        return img
    return img.resize((w, h), Image.Resampling.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch))


def _hero(img, subs, plan, *, kind, focus, stage, style, pal, c1, c2, ground, rng):
    w, h = img.size
    size = int(stage * (0.78 if kind == "hook" else 0.7) * style.motif_scale)
    cx, cy = focus
    if kind == "hook":
        ray_c = _mix(c1, (255, 255, 255), 0.3) if style.name != "geometric" else _mix(pal.accents[0], (255, 255, 255), 0.35)
        _put(img, _rays((w, h), focus, ray_c, rng, 16, 70 if style.name != "geometric" else 110), 0, 0)
    elif kind == "cta":
        _put(img, _rings((w, h), focus, size * 0.66, c2, max(2, size * 0.025)), 0, 0)
    else:
        _put(img, _orbit((w, h), focus, size * 0.72, c2, max(2, size * 0.012), rng), 0, 0)
    for k, s in enumerate(subs[1:3]):  # far companions
        fs = int(size * 0.28)
        side = -1 if k == 0 else 1
        _far(img, s, fs, cx + side * stage * 0.5, cy - stage * (0.32 - 0.12 * k), fs * 0.05, 0.45)
    _contact(img, cx, cy + size * 0.5, size * 0.36, ground)
    layer, pad = _styled(subs[0], size, style, c1, c2, ground)
    _place(img, layer, pad, size, cx, cy)


def _group(img, subs, plan, *, kind, focus, stage, style, pal, c1, c2, ground, rng):
    cx, cy = focus
    main = int(stage * 0.56 * style.motif_scale)
    small = int(main * 0.66)
    # the strongest subject behind, the others in front and lower: scale and overlap read as depth
    spots = [(cx, cy - stage * 0.08, main, 0.0),
             (cx - stage * 0.3, cy + stage * 0.24, small, rng.uniform(-9, -3)),
             (cx + stage * 0.3, cy + stage * 0.22, small, rng.uniform(3, 9))]
    # a soft light behind the group, drawn in its own box (a full-frame blur costs ~0.2 s)
    r = main * 0.75
    box = int(r * 2 + main)
    halo = Image.new("L", (box, box), 0)
    ImageDraw.Draw(halo).ellipse([box / 2 - r, box / 2 - r, box / 2 + r, box / 2 + r], fill=120)
    _put(img, _tint(_soft(halo, main * 0.25), _mix(c1, (255, 255, 255), 0.2), 0.45),
         int(cx - box / 2), int(cy - stage * 0.08 - box / 2))
    for (x, y, s, a), subject in zip(spots, subs):
        _contact(img, x, y + s * 0.5, s * 0.34, ground)
        layer, pad = _styled(subject, s, style, c1, c2, ground)
        _place(img, layer, pad, s, x, y, a)


def _closeup(img, subs, plan, *, kind, focus, stage, style, pal, c1, c2, ground, rng):
    w, h = img.size
    size = int(stage * 1.15 * style.motif_scale)
    cx = w * (0.36 if rng.random() < 0.5 else 0.52)
    cy = h * 0.2
    if len(subs) > 1:  # the companion, far behind and out of focus
        fs = int(stage * 0.3)
        _far(img, subs[1], fs, w * 0.72 if cx < w * 0.45 else w * 0.16, h * 0.1, fs * 0.08, 0.5)
    layer, pad = _styled(subs[0], size, style, c1, c2, ground)
    _place(img, layer, pad, size, cx, cy, rng.uniform(-7, 7))


def _figure(img, subs, plan, *, kind, focus, stage, style, pal, c1, c2, ground, rng):
    w, h = img.size
    fig = plan.figure
    accent = pal.vivid if _luma(pal.vivid) > 100 else _mix(pal.brightest, (255, 255, 255), 0.35)
    dark = _scale(ground, 0.35) if _luma(ground) < 120 else (20, 16, 24)
    icon = int(stage * 0.36)
    cx = w * 0.42
    top = h * 0.07
    _contact(img, cx, top + icon * 1.02, icon * 0.3, ground)
    layer, pad = _styled(subs[0], icon, style, c1, c2, ground)
    _place(img, layer, pad, icon, cx, top + icon / 2)
    value = fig.value if fig else ""
    _, th = _text(img, value, cx, top + icon + stage * 0.24, w * 0.76, stage * 0.34, (255, 255, 255), dark)
    if fig and fig.unit:
        _text(img, fig.unit.upper(), cx, top + icon + stage * 0.24 + th / 2 + stage * 0.12, w * 0.74,
              stage * 0.1, accent, dark)


def _compare(img, subs, plan, *, kind, focus, stage, style, pal, c1, c2, ground, rng):
    w, h = img.size
    gap = w * 0.03
    left, right = w * 0.05, w * 0.83
    cw = (right - left - gap) / 2
    top, bottom = h * 0.075, h * 0.075 + min(stage * 1.05, cw * 1.35)
    fill = _mix(ground, (255, 255, 255), 0.12) if _luma(ground) < 128 else _mix(ground, (0, 0, 0), 0.1)
    dark = _scale(ground, 0.35) if _luma(ground) < 120 else (20, 16, 24)
    size = int(min(cw * 0.78, (bottom - top) * 0.62))
    for k, subject in enumerate(subs[:2]):
        x0 = left + k * (cw + gap)
        outline = c1 if k == 0 else c2
        _card(img, [x0, top, x0 + cw, bottom], fill, outline, int(cw * 0.08))
        cx, cy = x0 + cw / 2, top + (bottom - top) * (0.45 if plan.label else 0.5)
        _contact(img, cx, cy + size * 0.5, size * 0.3, ground)
        layer, pad = _styled(subject, size, style, c1, c2, ground, shadow=False)
        _place(img, layer, pad, size, cx, cy)
        if plan.label:
            _text(img, plan.label[k], cx, bottom - (bottom - top) * 0.11, cw * 0.8, (bottom - top) * 0.09,
                  outline if _luma(outline) > 90 else (255, 255, 255), dark, shadow=False)
    # the badge between the cards
    bx, by, r = left + cw + gap / 2, (top + bottom) / 2, w * 0.07
    lay, d = _layer(img.size)
    d.ellipse([bx - r, by - r, bx + r, by + r], fill=(*_mix(c1, (255, 255, 255), 0.1), 255),
              outline=(*dark, 255), width=max(2, int(r * 0.12)))
    img.alpha_composite(lay)
    _text(img, "\u2192" if plan.label else "VS", bx, by, r * 1.3, r * 0.9, dark, _mix(c1, (255, 255, 255), 0.1),
          shadow=False)


def _steps(img, subs, plan, *, kind, focus, stage, style, pal, c1, c2, ground, rng):
    w, h = img.size
    size = int(stage * 0.4 * style.motif_scale)
    flip = rng.random() < 0.5
    xs = [0.22, 0.6, 0.24] if not flip else [0.6, 0.24, 0.6]
    pts = [(w * x, h * (0.1 + 0.135 * k)) for k, x in enumerate(xs)]
    dark = _scale(ground, 0.35) if _luma(ground) < 120 else (20, 16, 24)
    lay, d = _layer(img.size)
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):  # a dotted path from one step to the next
        n = 14
        for k in range(n):
            if k % 2:
                continue
            t0, t1 = k / n, (k + 1) / n
            mx = (x0 + x1) / 2 + (w * 0.1 if x1 > x0 else -w * 0.1)
            bez = [((1 - t) ** 2 * x0 + 2 * (1 - t) * t * mx + t * t * x1,
                    (1 - t) ** 2 * y0 + 2 * (1 - t) * t * ((y0 + y1) / 2) + t * t * y1) for t in (t0, t1)]
            d.line(bez, fill=(*c2, 210), width=max(3, int(size * 0.04)))
    img.alpha_composite(lay)
    for k, ((x, y), subject) in enumerate(zip(pts, subs)):
        _contact(img, x, y + size * 0.5, size * 0.32, ground)
        layer, pad = _styled(subject, size, style, c1, c2, ground)
        _place(img, layer, pad, size, x, y, rng.uniform(-5, 5))
        bx, by, r = x - size * 0.55, y - size * 0.38, size * 0.17
        lay, d = _layer(img.size)
        d.ellipse([bx - r, by - r, bx + r, by + r], fill=(*_mix(c1, (255, 255, 255), 0.15), 255),
                  outline=(*dark, 255), width=max(2, int(r * 0.14)))
        img.alpha_composite(lay)
        _text(img, str(k + 1), bx, by, r * 1.2, r * 1.2, dark, _mix(c1, (255, 255, 255), 0.15), shadow=False)


def subject_credits(plan: ScenePlan) -> list[str]:
    return lib.credits_for(plan.subject_objects())


__all__ = ["render_planned", "subject_credits"]
