"""Ken Burns motion without jitter: exact integer-linear zooms and pans.

``zoompan`` crops an integer-sized window at integer (and, in yuv420p, even) positions and
rescales it, so a tracked point wobbles and steps backwards on most frames. Here every
scene's motion is *integer-linear*: on frame ``n`` the still image is scaled to exactly
``(S0 + a*n) x (T0 + c*n)`` pixels (swscale positions samples with sub-pixel accuracy) and
cropped at ``(x0 + b*n, y0 + d*n)`` with integer ``a, b, c, d``. A source point ``p`` then
lands at ``p*(S0 + a*n)/W - (x0 + b*n)``, which is exactly linear in ``n``: every point moves
at a constant speed, never backwards, with no rounding anywhere. The motion runs in
yuv444p, so odd crop offsets are exact for chroma too, and is converted to yuv420p after.
Pans are the special case ``a = c = 0``: the image is pre-scaled once and only cropped
(nearly free); to keep 4:2:0 chroma exact at odd offsets, two copies (the second shifted
by one pixel) alternate and are cropped at even offsets (see :func:`shortsmith.render.graph.scene_chains`).
Zooms anchor at a point of the image that stays fixed on screen
(a corner, an edge middle or the centre, whichever the integer steps allow). The price
of exactness: the horizontal and vertical zoom rates are small integers (1:2 for 9:16),
so the picture's aspect drifts by about +-1% over a scene (balanced around mid-scene).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError, MediaError


@dataclass(frozen=True)
class Motion:
    """Integer-linear motion of one scene (see the module docstring).

    Frame ``n``: scale the (pre-scaled) image to ``(s0 + a*n) x (t0 + c*n)``, then crop the
    output size at ``(x0 + b*n, y0 + d*n)``. ``a == c == 0`` is a pan (no per-frame scale).
    """

    kind: str  # "zoom_in", "zoom_out" or "pan" ("clip": a video scene, no motion)
    s0: int
    t0: int
    a: int
    c: int
    x0: int
    b: int
    y0: int
    d: int
    frames: int

    @property
    def per_frame_scale(self) -> bool:
        return self.a != 0 or self.c != 0

    def size(self, n: int) -> tuple[int, int]:
        return self.s0 + self.a * n, self.t0 + self.c * n

    def offset(self, n: int) -> tuple[int, int]:
        return self.x0 + self.b * n, self.y0 + self.d * n

    def position(self, p: float, q: float, n: int, width: int, height: int) -> tuple[float, float]:
        """Where source pixel (p, q) of the ``width x height`` scene image is shown on frame n
        (pixel-centre convention)."""
        s, t = self.size(n)
        x, y = self.offset(n)
        return (p + 0.5) * s / width - 0.5 - x, (q + 0.5) * t / height - 0.5 - y

    def zoom_range(self, width: int, height: int) -> tuple[float, float]:
        s_first, _ = self.size(0)
        s_last, _ = self.size(self.frames - 1)
        return s_first / width, s_last / width

    def check(self, out_w: int, out_h: int) -> None:
        """Raise if the crop window ever leaves the scaled image."""
        for n in (0, self.frames - 1):
            s, t = self.size(n)
            x, y = self.offset(n)
            lo_x = lo_y = 0
            if self.kind == "pan":  # the A/B copies are one pixel smaller; B is read at x-1
                s, t = s - (1 if self.b else 0), t - (1 if self.d else 0)
                lo_x, lo_y = (1 if self.b < 0 else 0), (1 if self.d < 0 else 0)
            if not (lo_x <= x <= s - out_w and lo_y <= y <= t - out_h):
                raise MediaError(
                    f"Ken Burns plan {self} leaves the image on frame {n}",
                    field="render.motion",
                    fix="this is a bug in shortsmith.render; please report it with the scene length",
                )


# the per-scene choreography, cycled: (kind, anchor or pan direction)
_PATTERN: list[tuple[str, tuple[float, float]]] = [
    ("zoom_in", (0.5, 0.5)),
    ("pan", (0, -1)),  # drift up
    ("zoom_out", (1.0, 0.5)),
    ("pan", (-1, 0)),  # drift left
    ("zoom_in", (0.0, 1.0)),
    ("pan", (0, 1)),  # drift down
    ("zoom_out", (0.5, 0.0)),
    ("pan", (1, 1)),  # drift right and down
]


def _allowed_anchor(f: float, slope: int) -> list[float]:
    """Anchors (fractions of the size) whose crop offset stays an integer for this slope."""
    return [a for a in (f, 0.5, 0.0, 1.0) if float(a * slope).is_integer()]


def plan_motion(index: int, frames: int, width: int, height: int, *,
                kind: str | None = None, anchor: tuple[float, float] | None = None) -> Motion:
    """The Ken Burns motion of scene ``index`` lasting ``frames`` frames at ``width x height``.

    Zoom rates are whole pixels per frame; the horizontal:vertical rates are the smallest
    integers near the aspect ratio (1:2 for 9:16), and the start size is chosen so that the
    two scale factors are equal at mid-scene (aspect error +-1% for a 6 s scene at 1080x1920).
    """
    frames = max(1, int(frames))
    pat_kind, pat_arg = _PATTERN[index % len(_PATTERN)]
    kind = kind or pat_kind
    arg = anchor if anchor is not None else pat_arg
    unit = max(1, round(min(width, height * 9 / 16) / 1080))  # 1 px/frame at 1080 wide
    m = frames - 1
    if kind == "pan":
        dx, dy = (int(v) for v in arg)
        dx *= unit
        dy *= unit
        # room for the travel plus the 1-pixel shifted copy (see pan_chains); even sizes
        need_w, need_h = width + abs(dx) * (m + 4), height + abs(dy) * (m + 4)
        k = max(need_w / width, need_h / height, 1.0)
        s, t = math.ceil(k * width - 1e-9), math.ceil(k * height - 1e-9)
        s += s % 2
        t += t % 2
        sx, sy = s - (1 if dx else 0), t - (1 if dy else 0)  # the A/B copies' size

        def start(step: int, room: int) -> int:
            if step > 0:
                return 0
            if step < 0:
                return room - room % 2
            return (room // 2) - (room // 2) % 2

        x0, y0 = start(dx, sx - width), start(dy, sy - height)
        motion = Motion("pan", s, t, 0, 0, x0, dx, y0, dy, frames)
        motion.check(width, height)
        return motion
    if kind not in ("zoom_in", "zoom_out"):
        raise InputError(f"unknown Ken Burns motion {kind!r}", field="render.motion",
                         fix="use zoom_in, zoom_out or pan")
    # slopes (px/frame) with a:c close to width:height
    if height >= width:
        a, c = 1, max(1, round(height / width))
    else:
        a, c = max(1, round(width / height)), 1
    # faster zooms for short scenes (about +12..25% over the scene), which also allow a
    # centred anchor (an even slope keeps the centred crop offset an integer)
    mult = max(1, min(3, round(0.15 * width / max(1, a * m)))) * unit
    a, c = a * mult, c * mult
    fx_pref, fy_pref = arg
    fx = _allowed_anchor(fx_pref, a)[0]
    fy = _allowed_anchor(fy_pref, c)[0]
    half = m / 2
    s_mid = max((width + a * half) / width, (height + c * half) / height)
    # never end exactly at the output size: a 2-step margin (ffmpeg 9 misplaced the last two
    # frames of a zoom-out that ended exactly at the crop size, by 1-2 px; measured)
    s0 = max(width + 2 * a, round(s_mid * width - a * half) + 2 * a)
    t0 = max(height + 2 * c, round(s_mid * height - c * half) + 2 * c)
    # integer crop offsets fx*(S-W), fy*(T-H) for every frame
    if not float(fx * (s0 - width)).is_integer():
        s0 += 1
    if not float(fy * (t0 - height)).is_integer():
        t0 += 1
    b, d = int(fx * a), int(fy * c)
    x0, y0 = int(fx * (s0 - width)), int(fy * (t0 - height))
    if kind == "zoom_in":
        motion = Motion("zoom_in", s0, t0, a, c, x0, b, y0, d, frames)
    else:  # the same path played backwards
        s_end, t_end = s0 + a * m, t0 + c * m
        motion = Motion("zoom_out", s_end, t_end, -a, -c, x0 + b * m, -b, y0 + d * m, -d, frames)
    motion.check(width, height)
    return motion


def motion_filters(motion: Motion, width: int, height: int, *, flags: str = "bicubic") -> list[str]:
    """The per-frame filters (after the looped still) that realise ``motion``."""
    out = []
    if motion.per_frame_scale:
        out.append(
            f"scale=w='{motion.s0}+{motion.a}*n':h='{motion.t0}+{motion.c}*n'"
            f":eval=frame:flags={flags}"
        )
    out.append(
        f"crop=w={width}:h={height}:x='{motion.x0}+{motion.b}*n':y='{motion.y0}+{motion.d}*n'"
        ":exact=1"
    )
    return out
