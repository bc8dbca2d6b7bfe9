"""Planned scenes: the layout's backdrop (``stages``), library subjects placed by the layout, finishing.

Each layout is its own shot: a hero lit on a disc, props on a shelf, a close-up cut by the frame
over the blurred landscape, a number as giant type, a split frame, numbered rows. Depth comes in
layers: the backdrop, a far layer (small, blurred, faded companions) and the subjects (sharp, with
a contact shadow and the style's treatment). Subjects stay in the stage above the caption band
(6-44 % of the height) and clear of the right-hand UI column; only a close-up runs past it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

from ..fonts import FONT_BOLD
from ..model import Beat
from . import subjects as lib
from .layers import _layer, _put, _soft, _tint
from . import stages
from .layouts import ScenePlan
from .lighting import light_scene, lighting_of
from .scene import _accents, _finisher, _rays, _rings
from .style import VisualStyle, _luma, _mix, _Palette, _rng, _scale

_FOCUS = {"hero": (0.465, 0.225), "group": (0.465, 0.22), "closeup": (0.5, 0.2), "figure": (0.465, 0.22),
          "compare": (0.5, 0.245), "steps": (0.465, 0.23)}


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


@dataclass
class LayeredScene:
    """A planned scene by depth (see ``shortsmith.render.depth``): the ``background`` (RGB), the
    ``subject`` and ``foreground`` layers (RGBA, transparent where empty), all finished, and ``flat``,
    the three stacked (RGB: the still for previews, thumbnails and renders without depth)."""

    flat: Image.Image
    background: Image.Image
    subject: Image.Image
    foreground: Image.Image

    def save(self, folder: Path, stem: str) -> dict[str, str]:
        """Writes ``<stem>.bg.png``, ``<stem>.subject.png``, ``<stem>.fg.png``; returns the names by layer.

        The three are written at once on threads (PIL's PNG encoder and numpy release the GIL): one
        after another they were a third of a procedural scene's time (1.1 of 3.2 s of PNG encoding
        for 9 scenes at 1080x1920, measured with cProfile)."""
        from concurrent.futures import ThreadPoolExecutor

        names = {"background": f"{stem}.bg.png", "subject": f"{stem}.subject.png", "foreground": f"{stem}.fg.png"}

        def write(layer: str) -> None:
            image = self.background if layer == "background" else _bleed(getattr(self, layer))
            image.save(Path(folder) / names[layer], optimize=False, compress_level=1)

        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="layer-png") as pool:
            for done in [pool.submit(write, layer) for layer in names]:
                done.result()  # the first error, if any
        return names


def _bleed(layer: Image.Image) -> Image.Image:
    """The layer with its nearby colours spread under its fully transparent pixels (their alpha stays
    0), so scaling and 4:2:0 chroma at its edges do not pull in black. Only the box around its
    visible pixels is worked on (the render reads no further)."""
    box = layer.getchannel("A").getbbox()
    if box is None:
        return layer
    m = 16
    box = (max(0, box[0] - m), max(0, box[1] - m), min(layer.width, box[2] + m), min(layer.height, box[3] + m))
    out = layer.copy()
    out.paste(_spread(layer.crop(box)), box[:2])
    return out


def _spread(layer: Image.Image) -> Image.Image:
    a = np.asarray(layer.getchannel("A"), np.float32) / 255.0
    rgb = np.asarray(layer.convert("RGB"), np.float32)
    small = (max(1, layer.width // 4), max(1, layer.height // 4))
    pm = Image.fromarray(np.clip(rgb * a[..., None], 0, 255).astype(np.uint8), "RGB")
    pm_s = np.asarray(pm.resize(small, Image.Resampling.BOX).filter(ImageFilter.GaussianBlur(2))
                      .resize(layer.size, Image.Resampling.BILINEAR), np.float32)
    a_s = np.asarray(layer.getchannel("A").resize(small, Image.Resampling.BOX).filter(ImageFilter.GaussianBlur(2))
                     .resize(layer.size, Image.Resampling.BILINEAR), np.float32) / 255.0
    spread = pm_s / np.maximum(a_s, 1e-3)[..., None]
    out = np.where((a == 0)[..., None] & (a_s > 0.004)[..., None], spread, rgb)
    im = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")
    im.putalpha(layer.getchannel("A"))
    return im


def render_planned(beat: Beat, plan: ScenePlan, *, style: VisualStyle, seed: str, index: int, total: int,
                   size: tuple[int, int] = (1080, 1920)) -> Image.Image:
    """The scene (RGB, ``size``) for a beat and its plan; deterministic for the same inputs."""
    return render_layered(beat, plan, style=style, seed=seed, index=index, total=total, size=size).flat


def render_layered(beat: Beat, plan: ScenePlan, *, style: VisualStyle, seed: str, index: int, total: int,
                   size: tuple[int, int] = (1080, 1920)) -> LayeredScene:
    """The scene for a beat and its plan, by depth: the backdrop with what stands far (rays, rings,
    far companions, the ghost number, cards), the subjects (with their contact shadows, the figure,
    the labels), and a foreground of out-of-focus motes; deterministic for the same inputs."""
    w, h = int(size[0]), int(size[1])
    if w < 16 or h < 16:
        raise ValueError(f"scene size {size} is too small")
    kind = beat.kind if beat.kind in ("hook", "promise", "body", "cta") else "body"
    layout = plan.layout
    rng = _rng("planned", seed, index, kind, layout, beat.narration, "|".join(s["code"] for s in plan.subjects),
               style.name, style.palette)
    pal = _Palette(style, index)
    fx, fy = _FOCUS.get(layout, (0.465, 0.22))
    kit = stages.set_of(layout, kind, plan.variant)
    if kit == "side":
        fx = 0.36
    img, bg_rgb = stages.field(layout, w, h, kind, pal, rng, style, (fx, fy), plan.variant)
    if layout == "closeup":
        img = _reframe(img, rng, index)
    c1, c2 = _accents(pal, style.name, bg_rgb, stages.phosphor_of(pal, style))
    subs = plan.subject_objects()
    for s in subs:
        lib.check_licence(s)
    ground = pal.ground
    stage = min(w * 0.84, h * 0.4)  # the square the composition lives in (above the captions)
    draw = {"hero": _hero, "group": _group, "closeup": _closeup, "figure": _figure, "compare": _compare,
            "steps": _steps}[layout]
    near, _ = _layer((w, h))
    draw(img, near, subs, plan, kind=kind, focus=(fx * w, fy * h), stage=stage, style=style, pal=pal, c1=c1, c2=c2,
         ground=ground, rng=rng)
    fore = _foreground((w, h), style, pal, c1, c2, _rng("motes", seed, index, layout), layout)
    flat = img.copy()
    flat.alpha_composite(near)
    flat.alpha_composite(fore)
    finish = _finisher(flat, pal, rng, style)
    scene = LayeredScene(flat=finish(flat), background=finish(img), subject=finish(near, alpha=True),
                         foreground=finish(fore, alpha=True))
    return _graded(scene, lighting_of(beat.scene))  # a narrative's [SCENE ...; lighting]


def _graded(scene: LayeredScene, lighting: str) -> LayeredScene:
    """Every layer graded alike for a scene direction's lighting (the grade is per pixel around the
    flat scene's mean, so the graded layers still stack to the graded flat scene)."""
    if not lighting:
        return scene
    mean = float(np.asarray(scene.flat, np.float32).mean())

    def grade(im: Image.Image) -> Image.Image:
        out = light_scene(im, lighting, mean=mean)
        if im.mode == "RGBA":
            out.putalpha(im.getchannel("A"))
        return out

    return LayeredScene(flat=grade(scene.flat), background=grade(scene.background), subject=grade(scene.subject),
                        foreground=grade(scene.foreground))


def _foreground(size: tuple[int, int], style: VisualStyle, pal: _Palette, c1, c2, rng, layout: str) -> Image.Image:
    """Out-of-focus motes close to the lens, gathered at one edge of the frame clear of the captions
    and the right-hand buttons: they pass fastest in the render's motion, which reads as depth."""
    w, h = size
    lay = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    # one cluster per scene, in the upper frame (the lower third stays each layout's own set):
    # upper left, upper right, or on the left edge above the captions
    corner = rng.choice(((0.08, 0.07), (0.86, 0.05), (0.05, 0.29)))
    cells = style.name == "retro-terminal"
    light = _mix(c2, (255, 255, 255), 0.45)
    for k in range(rng.randint(2, 4)):
        r = w * rng.uniform(0.035, 0.085) * (1.0 if k else 1.5)
        cx = (corner[0] + rng.uniform(-0.06, 0.06)) * w
        cy = (corner[1] + rng.uniform(-0.035, 0.035)) * h
        m = Image.new("L", (int(r * 4), int(r * 4)), 0)
        d = ImageDraw.Draw(m)
        box = [r, r, r * 3, r * 3]
        if cells:  # square phosphor blocks
            d.rectangle(box, fill=255)
        else:  # a disc with a brighter rim, like lens bokeh
            d.ellipse(box, fill=150)
            d.ellipse(box, outline=255, width=max(1, int(r * 0.12)))
        m = m.filter(ImageFilter.GaussianBlur(r * (0.08 if cells else 0.22)))
        colour = light if k % 2 == 0 else _mix(c1, (255, 255, 255), 0.3)
        _put(lay, _tint(m, colour, rng.uniform(0.3, 0.45) * (0.8 if style.name == "paper" else 1.0)),
             int(cx - 2 * r), int(cy - 2 * r))
    return lay


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


def _dark_of(ground):
    return _scale(ground, 0.35) if _luma(ground) < 120 else (20, 16, 24)


def _hero(img, near, subs, plan, *, kind, focus, stage, style, pal, c1, c2, ground, rng):
    """Centred and large, lit from above, standing on the lit disc."""
    w, h = img.size
    size = int(stage * (0.86 if kind == "hook" else 0.78) * style.motif_scale)
    cx, cy = focus
    if kind == "hook":
        _put(img, _rays((w, h), focus, _mix(c1, (255, 255, 255), 0.3), rng, 18, 60), 0, 0)
    elif kind == "cta":
        _put(img, _rings((w, h), focus, size * 0.62, c2, max(2, size * 0.02)), 0, 0)
    for k, s in enumerate(subs[1:3]):  # far companions, high in the dark
        fs = int(size * 0.24)
        side = -1 if k == 0 else 1
        _far(img, s, fs, cx + side * stage * 0.44, cy - stage * 0.36, fs * 0.06, 0.4)
    _contact(near, cx, cy + size * 0.46, size * 0.4, ground)
    layer, pad = _styled(subs[0], size, style, c1, c2, ground)
    _place(near, layer, pad, size, cx, cy)


def _group(img, near, subs, plan, *, kind, focus, stage, style, pal, c1, c2, ground, rng):
    """The props standing side by side on the shelf, the strongest in the middle and largest."""
    w, h = img.size
    cx, cy = focus
    main = int(stage * 0.5 * style.motif_scale)
    small = int(main * 0.7)
    kit = stages.set_of("group", kind, plan.variant)
    if kit == "ring":  # around a circle, the strongest on top, joined by a dotted ring
        r = stage * 0.3
        spots = [(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)) + s * 0.46, s, t)
                 for a, s, t in ((-90, int(main * 0.9), 0.0), (30, small, 5.0), (150, small, -5.0))]
        lay, d = _layer(img.size)
        n = 36
        for k in range(0, n, 2):
            a0, a1 = 2 * math.pi * k / n, 2 * math.pi * (k + 1) / n
            d.line([(cx + r * math.cos(a0), cy + r * math.sin(a0)), (cx + r * math.cos(a1), cy + r * math.sin(a1))],
                   fill=(*c2, 200), width=max(2, int(stage * 0.012)))
        img.alpha_composite(lay)
    elif kit == "table":  # around the round table: the strongest at the back, the others in front
        table = cy + h * 0.16  # the table top's centre (drawn by the backdrop)
        main = int(main * 1.2)
        spots = [(cx - stage * 0.16, table + h * 0.01, main, -4.0),
                 (cx + stage * 0.3, table - h * 0.03, small, 6.0),
                 (cx + stage * 0.22, table + h * 0.045, small, -3.0)]
    else:  # side by side on the shelf
        shelf = cy + h * 0.095  # the shelf's top edge (drawn by the backdrop)
        spots = [(cx, shelf, main, 0.0), (cx - stage * 0.36, shelf, small, rng.uniform(-6, -2)),
                 (cx + stage * 0.36, shelf, small, rng.uniform(2, 6))]
    for (x, shelf, s, a), subject in zip(spots, subs):
        y = shelf - s * 0.46
        _contact(near, x, shelf + s * 0.02, s * 0.36, ground)
        layer, pad = _styled(subject, s, style, c1, c2, ground)
        _place(near, layer, pad, s, x, y, a)


def _closeup(img, near, subs, plan, *, kind, focus, stage, style, pal, c1, c2, ground, rng):
    """The subject so large the frame cuts it, in front of the blurred landscape."""
    w, h = img.size
    size = int(w * 0.86 * style.motif_scale)
    left = (rng.random() < 0.5) != bool(plan.variant % 2)  # a second close-up comes from the other side
    cx = w * (0.3 if left else 0.66)
    cy = h * 0.19
    if len(subs) > 1:  # the companion, small and out of focus on the open side
        fs = int(stage * 0.26)
        _far(img, subs[1], fs, w * (0.74 if left else 0.16), h * 0.09, fs * 0.08, 0.55)
    layer, pad = _styled(subs[0], size, style, c1, c2, ground)
    _place(near, layer, pad, size, cx, cy, rng.uniform(-9, 9))


def _figure(img, near, subs, plan, *, kind, focus, stage, style, pal, c1, c2, ground, rng):
    """The number as type filling the frame: a giant tilted ghost of it behind, the number itself
    large on a highlighter stroke, what it counts below; the subject is a small badge."""
    w, h = img.size
    fig = plan.figure
    value = fig.value if fig else ""
    accent = pal.vivid if _luma(pal.vivid) > 100 else _mix(pal.brightest, (255, 255, 255), 0.35)
    dark = _dark_of(ground)
    cx = w * 0.465
    # the ghost: drawn in its own box, tilted, faint
    gw, gh = int(w * 1.6), int(h * 0.5)
    ghost = Image.new("RGBA", (gw, gh), (0, 0, 0, 0))
    gfont_size = gh
    font = _font(gfont_size)
    while gfont_size > 8 and font.getlength(value) > gw * 0.95:
        gfont_size = int(gfont_size * 0.9)
        font = _font(gfont_size)
    x0, y0, x1, y1 = font.getbbox(value)
    ImageDraw.Draw(ghost).text(((gw - (x1 - x0)) / 2 - x0, (gh - (y1 - y0)) / 2 - y0), value, font=font,
                               fill=(*_mix(accent, (255, 255, 255), 0.3), 38),
                               stroke_width=max(2, gfont_size // 40), stroke_fill=(*accent, 90))
    ghost = ghost.rotate(rng.uniform(6, 12) * (1 if plan.variant % 2 else -1), resample=Image.Resampling.BILINEAR, expand=True)
    _put(img, ghost, int(w / 2 - ghost.width / 2), int(h * 0.36 - ghost.height / 2))
    cy = h * 0.215
    tall = h * (0.24 if len(value) <= 3 else 0.16)  # "5" or "40%" may be taller than "1,000,000"
    size = max(8, int(tall))
    font = _font(size)
    while size > 8 and font.getlength(value) > w * 0.8:
        size = int(size * 0.92)
        font = _font(size)
    bx0, by0, bx1, by1 = font.getbbox(value)
    tw, th = bx1 - bx0, by1 - by0
    lay, d = _layer(near.size)  # the highlighter stroke under the lower half of the number
    d.rounded_rectangle([cx - tw / 2 - w * 0.04, cy + th * 0.02, cx + tw / 2 + w * 0.04, cy + th * 0.62],
                        radius=int(th * 0.12), fill=(*accent, 235))
    near.alpha_composite(lay.rotate(rng.uniform(-3, -1), resample=Image.Resampling.BILINEAR,
                                    center=(cx, cy + th * 0.3)))
    _, th = _text(near, value, cx, cy, w * 0.8, tall, (255, 255, 255), dark)
    if fig and fig.unit:
        _text(near, fig.unit.upper(), cx, cy + th / 2 + h * 0.055, w * 0.78, h * 0.042,
              _mix(accent, (255, 255, 255), 0.55), dark)
    icon = int(stage * 0.2)
    layer, pad = _styled(subs[0], icon, style, c1, c2, ground)
    _place(near, layer, pad, icon, w * 0.2, h * 0.095, rng.uniform(-10, 10))


def _compare(img, near, subs, plan, *, kind, focus, stage, style, pal, c1, c2, ground, rng):
    """One subject on each half of the split frame, a VS (or arrow) badge on the divider."""
    w, h = img.size
    dark = _dark_of(ground)
    size = int(w * 0.36 * style.motif_scale)
    cy = h * 0.245
    for k, subject in enumerate(subs[:2]):
        cx = w * (0.245 if k == 0 else 0.7)
        outline = c1 if k == 0 else c2
        _contact(near, cx, cy + size * 0.5, size * 0.34, ground)
        layer, pad = _styled(subject, size, style, c1, c2, ground)
        _place(near, layer, pad, size, cx, cy, (-5 if k == 0 else 5))
        if plan.label:
            _text(near, plan.label[k], cx, h * 0.105, w * 0.36, h * 0.035,
                  outline if _luma(outline) > 90 else (255, 255, 255), dark)
    bx, by, r = w * 0.5, cy, w * 0.085
    lay, d = _layer(img.size)
    slant = stages.compare_slant(plan.variant)  # the divider, crisp at full size over the backdrop's split
    d.line([(w * (0.5 + 0.03 * slant), 0), (w * (0.5 - 0.03 * slant), h)],
           fill=(*_mix(c1, (255, 255, 255), 0.5), 235), width=max(2, int(w * 0.008)))
    d.ellipse([bx - r, by - r, bx + r, by + r], fill=(*_mix(c1, (255, 255, 255), 0.15), 255),
              outline=(*dark, 255), width=max(2, int(r * 0.12)))
    img.alpha_composite(lay)
    _text(img, "\u2192" if plan.label else "VS", bx, by, r * 1.3, r * 0.9, dark, _mix(c1, (255, 255, 255), 0.15),
          shadow=False)


def _steps(img, near, subs, plan, *, kind, focus, stage, style, pal, c1, c2, ground, rng):
    """Three numbered rows, top to bottom, joined by a connector through the numbers."""
    w, h = img.size
    dark = _dark_of(ground)
    rows = [h * (0.115 + 0.13 * k) for k in range(len(subs[:3]))]
    rh = h * 0.11
    nx, r = w * 0.17, h * 0.03
    card = _mix(ground, (255, 255, 255), 0.16) if _luma(ground) < 128 else _mix(ground, (0, 0, 0), 0.12)
    lay, d = _layer(img.size)
    for y in rows:
        d.rounded_rectangle([w * 0.07, y - rh / 2, w * 0.82, y + rh / 2], radius=int(rh * 0.3),
                            fill=(*card, 120), outline=(*_mix(c2, card, 0.4), 160), width=max(1, int(rh * 0.03)))
    if len(rows) > 1:
        d.line([(nx, rows[0]), (nx, rows[-1])], fill=(*c2, 230), width=max(3, int(r * 0.35)))
    img.alpha_composite(lay)
    size = int(rh * 1.12)
    for k, (y, subject) in enumerate(zip(rows, subs)):
        lay, d = _layer(img.size)
        d.ellipse([nx - r, y - r, nx + r, y + r], fill=(*_mix(c1, (255, 255, 255), 0.15), 255),
                  outline=(*dark, 255), width=max(2, int(r * 0.14)))
        img.alpha_composite(lay)
        _text(img, str(k + 1), nx, y, r * 1.2, r * 1.2, dark, _mix(c1, (255, 255, 255), 0.15), shadow=False)
        x = w * (0.38 + 0.13 * k)  # each step a little further along: a sequence, not a list
        layer, pad = _styled(subject, size, style, c1, c2, ground)
        _place(near, layer, pad, size, x, y, rng.uniform(-5, 5))
        if k < len(rows) - 1:  # a chevron pointing to the next row
            ay = y + rh / 2 + (rows[k + 1] - y - rh) / 2
            lay, d = _layer(img.size)
            s = h * 0.008
            d.line([(nx - s * 1.6, ay - s), (nx, ay + s), (nx + s * 1.6, ay - s)], fill=(*c1, 255),
                   width=max(2, int(s * 0.8)))
            img.alpha_composite(lay)


def subject_credits(plan: ScenePlan) -> list[str]:
    return lib.credits_for(plan.subject_objects())


__all__ = ["LayeredScene", "render_layered", "render_planned", "subject_credits"]
