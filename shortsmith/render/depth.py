"""Depth in motion: a scene's background, subject and foreground layers move at different speeds.

A procedural scene comes as three PNGs of the output size besides its flat still (see
:mod:`shortsmith.art.compose`): the *background* (opaque), the *subject* and the *foreground*
(RGBA, mostly transparent). The background takes the scene's Ken Burns :class:`~.motion.Motion`
exactly as a flat still would (:func:`~.graph.scene_chains`). A layer of depth ``k`` takes the same
motion with its rates multiplied by ``k``, aligned with the background at mid-scene: a pan moves it
``k`` times as fast, a zoom grows it ``k`` times as fast (subjects travel less vertically: they stand
on the backdrop's shelves and floors, see ``DEPTHS_Y``). At mid-scene the three layers line up as
the flat still does; before and after, nearer layers have travelled further: parallax.

Cost, in the same ONE filter graph: each layer is cropped to the box its pixels occupy and
converted to yuva420p once (on its single decoded frame), looped, and laid over the moving
background with ``overlay`` at per-frame integer positions. Pans move layers without any per-frame
scaling; zooms scale only the layer's box per frame (a subject box is a fraction of the frame).
Positions are rounded to whole pixels (the background stays exact; a layer may sit up to half a
pixel off its ideal path, never stepping backwards). A layer in 4:2:0 at an odd position has its
chroma placed half a sample off: invisible on soft-edged art.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .motion import Motion

# how much faster than the background each layer moves (1.0 = with the background)
DEPTHS: dict[str, float] = {"subject": 1.5, "foreground": 2.4}
# ... and vertically: subjects stand on things drawn in the background (a shelf, a table, a lit floor),
# which are as near as they are; moving up and down much faster than them, a prop would sink into its
# shelf (seen on the demo's frames). Horizontally the slide reads as depth; the motes float free.
DEPTHS_Y: dict[str, float] = {"subject": 1.15, "foreground": 2.4}
# how far (a fraction of the frame width) a layer may get ahead of the background by a scene's ends:
# a long scene (a 35 s outro) would otherwise carry a subject out of the frame, or shrink it to nothing
# in a zoom; in the usual 2-8 s scenes the limits are not reached
LEADS: dict[str, float] = {"subject": 0.08, "foreground": 0.2}
# swscale flags for a layer's per-frame scaling in a zoom: bilinear costs about half of bicubic
# there (measured: +0.2 vs +0.4-0.6 CPU s per 90 frames at 1080x1920) and the factors are near 1
LAYER_SCALE_FLAGS = "bilinear"
LAYER_NAMES = ("subject", "foreground")


@dataclass(frozen=True)
class SceneLayers:
    """A still scene split by depth: ``background`` (opaque), then nearer RGBA layers, each the
    scene's size (``subject``, ``foreground``; either may be absent)."""

    background: Path
    subject: Path | None = None
    foreground: Path | None = None

    def nearer(self) -> list[tuple[str, Path]]:
        return [(name, Path(p)) for name, p in (("subject", self.subject), ("foreground", self.foreground))
                if p is not None]

    @classmethod
    def from_names(cls, entry: dict | None, resolve) -> SceneLayers | None:
        """The layers a scene manifest names (``{"background": f, "subject": f, "foreground": f}``),
        each file found by ``resolve(name) -> Path``; None when there are none or a file is missing
        (the render then takes the flat still)."""
        if not entry or not entry.get("background"):
            return None
        try:
            paths = {k: Path(resolve(v)) for k, v in entry.items() if k in ("background", *LAYER_NAMES) and v}
        except (FileNotFoundError, KeyError):
            return None
        if not all(p.is_file() for p in paths.values()):
            return None
        return cls(paths["background"], paths.get("subject"), paths.get("foreground"))


def layer_box(path: Path, width: int, height: int) -> tuple[int, int, int, int] | None:
    """The box (x, y, w, h) holding a layer's visible pixels, on even coordinates; None when empty."""
    from PIL import Image

    with Image.open(path) as im:
        if im.size != (width, height):
            return (0, 0, width, height) if im.mode in ("RGBA", "LA", "PA") else None
        if im.mode not in ("RGBA", "LA", "PA"):
            return (0, 0, width, height)
        box = im.getchannel("A").point(lambda v: 255 if v > 2 else 0).getbbox()
    if box is None:
        return None
    x0, y0, x1, y1 = box
    x0, y0 = x0 - x0 % 2, y0 - y0 % 2
    x1, y1 = min(width, x1 + x1 % 2), min(height, y1 + y1 % 2)
    return x0, y0, x1 - x0, y1 - y0


def _lin(c0: float, c1: float) -> str:
    """``round(c0 + c1*n)`` as an ffmpeg expression (no commas: safe inside a quoted option)."""
    return f"floor({c0:.6f}+{c1:.8f}*n+0.5)"


@dataclass(frozen=True)
class LayerPath:
    """Where a layer's box is on frame n: size ``(w0 + w1*n, h0 + h1*n)``, top left
    ``(x0 + x1*n, y0 + y1*n)``, all before rounding."""

    w0: float
    w1: float
    h0: float
    h1: float
    x0: float
    x1: float
    y0: float
    y1: float

    def at(self, n: int) -> tuple[int, int, int, int]:
        def r(v: float) -> int:  # floor(v + 0.5), as the filter expression does
            return math.floor(v + 0.5)

        return (r(self.x0 + self.x1 * n), r(self.y0 + self.y1 * n),
                r(self.w0 + self.w1 * n), r(self.h0 + self.h1 * n))


def depth_path(motion: Motion, name: str, box: tuple[int, int, int, int], width: int, height: int) -> LayerPath:
    """The path the render gives layer ``name`` (``DEPTHS``, ``DEPTHS_Y``, held to ``LEADS``)."""
    return layer_path(motion, DEPTHS[name], box, width, height, DEPTHS_Y[name], lead=LEADS[name])


def layer_path(motion: Motion, k: float, box: tuple[int, int, int, int], width: int, height: int,
               k_y: float | None = None, *, lead: float | None = None) -> LayerPath:
    """The path of a layer of depth ``k`` whose box (in scene pixels) is ``box``: the background's
    motion with its rates times ``k``, meeting the background at mid-scene. ``k_y`` (default ``k``)
    multiplies the vertical travel instead; the layer grows evenly (by ``k``) either way. ``lead``
    (a fraction of ``width``) holds the rates down so that the layer is never further than that
    ahead of the background at the scene's ends."""
    k_y = k if k_y is None else k_y
    mid = (motion.frames - 1) / 2
    if lead is not None and mid > 0:  # the layer's rates, held to ``lead`` x width ahead at the ends

        def held(k: float, rate: float) -> float:
            return k if rate == 0 else 1 + min(k - 1, lead * width / (abs(rate) * mid))

        k_s = min(held(k, motion.a), held(k, motion.c * width / height))
        k, k_y = min(k_s, held(k, motion.b)), held(k_y, motion.d)
        k_scale = k_s
    else:
        k_scale = k
    bx, by, bw, bh = box
    # the layer's full-frame size and crop offset at frame n:
    # S(n) = s(mid) + k*a*(n - mid), X(n) = x(mid) + k*b*(n - mid)
    s_mid, t_mid = motion.s0 + motion.a * mid, motion.t0 + motion.c * mid
    x_mid, y_mid = motion.x0 + motion.b * mid, motion.y0 + motion.d * mid
    ka, kc, kb, kd = k_scale * motion.a, k_scale * motion.c, k * motion.b, k_y * motion.d
    s0, t0 = s_mid - ka * mid, t_mid - kc * mid
    ox0, oy0 = x_mid - kb * mid, y_mid - kd * mid
    return LayerPath(w0=bw * s0 / width, w1=bw * ka / width, h0=bh * t0 / height, h1=bh * kc / height,
                     x0=bx * s0 / width - ox0, x1=bx * ka / width - kb,
                     y0=by * t0 / height - oy0, y1=by * kc / height - kd)


def layer_chains(index: int, name: str, input_label: str, base_label: str, out_label: str, motion: Motion,
                 box: tuple[int, int, int, int], width: int, height: int, fps: int) -> list[str]:
    """Chains that lay one layer (``input_label``, an RGBA still of the scene's size) over
    ``base_label`` (the moving background, yuv420p) along its :func:`layer_path`."""
    bx, by, bw, bh = box
    path = depth_path(motion, name, box, width, height)
    lab = f"[l{index}{name[0]}]"
    colour = "out_color_matrix=bt709:out_range=tv:flags=lanczos+accurate_rnd+full_chroma_int"
    n = motion.frames
    head = f"{input_label}crop={bw}:{bh}:{bx}:{by},"
    if motion.per_frame_scale:
        prep = f"scale={colour},format=yuva420p,"
        per_frame = (f",scale=w='{_lin(path.w0, path.w1)}':h='{_lin(path.h0, path.h1)}'"
                     f":eval=frame:flags={LAYER_SCALE_FLAGS}")
    else:  # a pan: scaled once to the background's size, then only moved
        w, h = path.at(0)[2:]
        prep = f"scale={max(2, w)}:{max(2, h)}:{colour},format=yuva420p,"
        per_frame = ""
    return [
        head + prep + f"loop=loop={n - 1}:size=1:start=0,settb=1/{fps},setpts=N,fps={fps}" + per_frame + lab,
        f"{base_label}{lab}overlay=x='{_lin(path.x0, path.x1)}':y='{_lin(path.y0, path.y1)}'"
        f":eval=frame:format=yuv420:alpha=straight:eof_action=pass{out_label}",
    ]


def parallax_chains(index: int, base_label: str, layers: list[tuple[str, str, tuple[int, int, int, int]]],
                    motion: Motion, width: int, height: int, fps: int, *,
                    out_label: str | None = None) -> list[str]:
    """All nearer layers (``(name, input_label, box)``, far to near) over the moving background
    ``base_label``, ending in ``out_label`` (``[s{index}]``)."""
    out = out_label or f"[s{index}]"
    chains: list[str] = []
    below = base_label
    if not layers:
        return [f"{base_label}null{out}"]
    for j, (name, label, box) in enumerate(layers):
        target = out if j == len(layers) - 1 else f"[d{index}x{j}]"
        chains += layer_chains(index, name, label, below, target, motion, box, width, height, fps)
        below = target
    return chains


def depth_scene(index: int, layers: SceneLayers, motion: Motion, width: int, height: int, fps: int,
                first_input: int, *, source_size: tuple[int, int] | None, flags: str = "bicubic",
                check_images: bool = True) -> tuple[list[str], list[str]]:
    """The extra inputs (``-framerate fps -i layer.png`` for each nearer layer, numbered from
    ``first_input``) and the chains for a layered still scene whose background is input ``index``."""
    from .graph import scene_chains

    base = f"[d{index}]"
    chains = scene_chains(index, f"[{index}:v]", motion, width, height, fps, source_size=source_size,
                          flags=flags, out_label=base)
    args: list[str] = []
    nearer: list[tuple[str, str, tuple[int, int, int, int]]] = []
    for name, path in layers.nearer():
        box = layer_box(path, width, height) if check_images else (0, 0, width, height)
        if box is None:  # nothing on this layer
            continue
        args += ["-framerate", str(fps), "-i", str(path)]
        nearer.append((name, f"[{first_input + len(nearer)}:v]", box))
    chains += parallax_chains(index, base, nearer, motion, width, height, fps)
    return args, chains
