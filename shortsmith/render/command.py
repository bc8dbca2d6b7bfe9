"""The assembly engine: scene images + voice + music + captions -> one finished Short.

Everything visual happens in ONE ffmpeg filter graph and one encode (no intermediate
video files, no per-frame Python):

    scene PNG --(once: colour convert to BT.709 yuv444p, optional pre-scale)--> loop N frames
      --> Ken Burns motion (exact integer-linear scale + crop, see below) --> yuv420p
    scenes --concat, with xfade on the overlapping frames only (centred on the cuts between
      beats; xfade works in 4:4:4, so only those frames are converted)--> ass captions
      --> drawtext watermark
      --> H.264 High, yuv420p, BT.709 tags, 30 fps CFR

    voice --> 48 kHz stereo --+-----------------------------------> amix --> gain --> limiter
    music --> 48 kHz stereo --> sidechaincompress (keyed by voice) -^          --> trim gain --> AAC

Before the render, a short audio-only analysis pass (two quick ffmpeg runs over the audio,
no video) measures the voice, the music and the limited mix, so that the render graph can
apply fixed, linear gains: the result lands on ``target_lufs`` integrated with the true
peak under ``true_peak_db``.

Ken Burns without jitter
------------------------
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
by one pixel) alternate and are cropped at even offsets (see :func:`scene_chains`). Zooms anchor at a point of the image that stays fixed on screen
(a corner, an edge middle or the centre, whichever the integer steps allow). The price
of exactness: the horizontal and vertical zoom rates are small integers (1:2 for 9:16),
so the picture's aspect drifts by about +-1% over a scene (balanced around mid-scene).

Video clips as scenes
---------------------
A scene may also be a video clip (a path ending in ``.mp4``, ``.mov`` or ``.webm``, e.g.
stock footage): it is read with ``-stream_loop -1`` (so a clip shorter than its scene
loops) and its own audio is not read (``-an``); its chain restarts its timestamps,
converts it to the output fps, scales it to cover the output and centre-crops it, converts
it to BT.709 yuv420p, and trims it to exactly its scene's frame count. There is no Ken
Burns motion on a clip (it moves by itself); crossfades, captions, watermark and audio are
the same as for stills.
"""

from __future__ import annotations

import math
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import InputError, MediaError
from ..encoders import choose_encoder, video_codec_args
from ..ffmpeg import run_ffmpeg
from ..fonts import FONT_BOLD, FONTS_DIR
from ..model import SceneTiming, Voiceover


# --------------------------------------------------------------------------- settings


@dataclass
class RenderSettings:
    width: int = 1080
    height: int = 1920
    fps: int = 30
    crf: int = 20
    preset: str = "veryfast"
    audio_bitrate: str = "160k"
    sample_rate: int = 48000
    crossfade_s: float = 0.5
    target_lufs: float = -14.0
    true_peak_db: float = -1.0
    music_db: float = -16.0  # music loudness relative to the voice, in the pauses
    duck_db: float = 8.0  # about how far the music dips while the voice speaks
    tail_s: float = 0.8  # picture (and music) after the last word
    watermark_opacity: float = 0.55
    transition: str = "fade"  # any xfade transition name
    zoom_scale: str = "bicubic"  # swscale flags for the per-frame zoom
    encoder: str = "libx264"  # "auto": NVENC when this ffmpeg and driver can, else libx264 (see encoders.py)

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0 or self.width % 2 or self.height % 2:
            raise InputError(
                f"video size {self.width}x{self.height} is not usable",
                field="render.width/height",
                fix="use even, positive sizes such as 1080x1920 (H.264 yuv420p needs even sizes)",
            )
        if self.fps <= 0:
            raise InputError(f"fps {self.fps} must be positive", field="render.fps", fix="use 30")
        if self.crossfade_s < 0:
            raise InputError(f"crossfade_s {self.crossfade_s} is negative",
                             field="render.crossfade_s", fix="use 0.5 (or 0 for hard cuts)")


VIDEO_SUFFIXES = (".mp4", ".mov", ".webm")


def is_video(path: str | Path) -> bool:
    """Whether a scene is a video clip (by its suffix) rather than a still image."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


@dataclass
class RenderInputs:
    scene_images: list[Path]  # one per beat, in beat order: a still (PNG) or a video clip (.mp4/.mov/.webm)
    voice_wav: Path
    voiceover: Voiceover
    music_wav: Path | None = None
    ass_path: Path | None = None
    watermark: str | None = None

    def __post_init__(self) -> None:
        self.scene_images = [Path(p) for p in self.scene_images]
        self.voice_wav = Path(self.voice_wav)
        self.music_wav = Path(self.music_wav) if self.music_wav else None
        self.ass_path = Path(self.ass_path) if self.ass_path else None


# --------------------------------------------------------------------------- timeline


def video_duration(voiceover: Voiceover, settings: RenderSettings) -> float:
    """The voice plus a short tail, rounded up to a whole frame."""
    seconds = max(voiceover.duration, max((b.end for b in voiceover.beats), default=0.0))
    frames = math.ceil((seconds + settings.tail_s) * settings.fps - 1e-6)
    return frames / settings.fps


def scene_timeline(voiceover: Voiceover, total_duration: float, crossfade_s: float,
                   *, fps: int = 30) -> list[SceneTiming]:
    """When each scene is on screen; scene ``i`` shows beat ``i``.

    The cut between scene ``i-1`` and ``i`` is the middle of the pause between the two
    beats' speech; the crossfade is centred on the cut. Scene 0 starts at 0 and the last
    scene ends at ``total_duration``. Times are whole frames, so ``start``/``end`` include
    the crossfade overlap: ``scenes[i].end - scenes[i+1].start == crossfade``.
    """
    beats = sorted(voiceover.beats, key=lambda b: b.index)
    if not beats:
        raise InputError("the voiceover has no beats", field="voiceover.beats",
                         fix="re-run the voiceover step; every script beat needs audio")
    total_frames = round(total_duration * fps)
    xf = round(crossfade_s * fps)
    half = xf // 2
    min_len = xf + 2  # a scene must outlast its crossfades
    cuts: list[int] = []
    for prev, nxt in zip(beats, beats[1:]):
        mid = (prev.end + nxt.start) / 2 if nxt.start >= prev.end else nxt.start
        cuts.append(round(mid * fps))
    # keep cuts increasing and leave every scene long enough for its transitions
    bounds = [0] + cuts + [total_frames]
    for i in range(1, len(bounds) - 1):
        bounds[i] = max(bounds[i], bounds[i - 1] + min_len)
    for i in range(len(bounds) - 2, 0, -1):
        bounds[i] = min(bounds[i], bounds[i + 1] - min_len)
    if any(b2 - b1 < min_len for b1, b2 in zip(bounds, bounds[1:])) or bounds[1:-1] and bounds[1] < 0:
        raise InputError(
            f"{len(beats)} scenes do not fit in {total_duration:.2f} s with "
            f"{crossfade_s:.2f} s crossfades",
            field="voiceover.beats",
            fix="use fewer beats, a longer voiceover or a shorter crossfade",
        )
    scenes = []
    for i in range(len(beats)):
        start = 0 if i == 0 else bounds[i] - half
        end = total_frames if i == len(beats) - 1 else bounds[i + 1] - half + xf
        scenes.append(SceneTiming(index=beats[i].index, start=start / fps, end=end / fps))
    return scenes


def _frames(t: float, fps: int) -> int:
    return round(t * fps)


# --------------------------------------------------------------------------- Ken Burns


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


def _fit(source_size: tuple[int, int] | None, width: int, height: int) -> str:
    if source_size is None or tuple(source_size) == (width, height):
        return ""
    # cover-fit an image of another size (once, on the single still frame)
    return (f"scale={width}:{height}:force_original_aspect_ratio=increase:flags=lanczos,"
            f"crop={width}:{height},")


def _pan_offset(start: int, step: int) -> str:
    """Crop offset of frame n for a pan of ``step`` (-1, 0, 1) px/frame on the A/B pair."""
    if step > 0:
        return f"{start}+2*floor(n/2)"
    if step < 0:
        return f"{start}-2*ceil(n/2)"
    return str(start)


def scene_chains(index: int, input_label: str, motion: Motion, width: int, height: int, fps: int,
                 *, source_size: tuple[int, int] | None = None, flags: str = "bicubic",
                 out_label: str | None = None) -> list[str]:
    """Filter chains from one still image to ``motion.frames`` moving yuv420p frames.

    Pans: the still is scaled once (4:4:4), and two 4:2:0 copies are made, ``A`` and ``B``
    = ``A`` shifted by one pixel along the pan. Looping ``A, B, A, B...`` and cropping at
    even offsets ``2*floor(n/2)`` moves the picture by exactly one pixel per frame with
    exact chroma (an odd crop offset in 4:2:0 would misplace chroma by half a sample) and
    no per-frame work except a pointer offset.

    Zooms: the still (4:4:4) is scaled per frame to the exact integer size of
    :class:`Motion` and cropped at its integer offset, then converted to 4:2:0.
    """
    out = out_label or f"[s{index}]"
    fit = _fit(source_size, width, height)
    colour = "out_color_matrix=bt709:out_range=tv:flags=lanczos+accurate_rnd+full_chroma_int"
    n = motion.frames
    if motion.per_frame_scale:
        return [
            f"{input_label}{fit}scale={colour},format=yuv444p,"
            f"loop=loop={n - 1}:size=1:start=0,settb=1/{fps},setpts=N,fps={fps},"
            + ",".join(motion_filters(motion, width, height, flags=flags))
            + f",format=yuv420p{out}"
        ]
    ox, oy = (1 if motion.b else 0), (1 if motion.d else 0)
    sw, sh = motion.s0 - ox, motion.t0 - oy
    a, b = f"[p{index}a]", f"[p{index}b]"
    a2, b2 = f"[p{index}a2]", f"[p{index}b2]"
    xexpr, yexpr = _pan_offset(motion.x0, motion.b), _pan_offset(motion.y0, motion.d)
    # B(x, y) = A(x + ox, y + oy) for either direction (see _pan_offset)
    return [
        f"{input_label}{fit}scale={motion.s0}:{motion.t0}:{colour},format=yuv444p,split=2{a}{b}",
        f"{a}crop={sw}:{sh}:0:0,format=yuv420p{a2}",
        f"{b}crop={sw}:{sh}:{ox}:{oy},format=yuv420p{b2}",
        f"{a2}{b2}concat=n=2:v=1:a=0,loop=loop={(n + 1) // 2 - 1}:size=2:start=0,"
        f"trim=end_frame={n},settb=1/{fps},setpts=N,fps={fps},"
        f"crop=w={width}:h={height}:x='{xexpr}':y='{yexpr}':exact=1{out}",
    ]


def scene_chain(input_label: str, motion: Motion, width: int, height: int, fps: int, *,
                source_size: tuple[int, int] | None = None, flags: str = "bicubic") -> str:
    """All of :func:`scene_chains` joined, ending in ``[s0]`` (single-scene graphs, tests)."""
    return ";".join(scene_chains(0, input_label, motion, width, height, fps,
                                 source_size=source_size, flags=flags))


def clip_chains(index: int, input_label: str, frames: int, width: int, height: int, fps: int, *,
                sar: str = "0", out_label: str | None = None) -> list[str]:
    """Filter chain from a video clip (read with ``-stream_loop -1``) to exactly ``frames``
    yuv420p frames at ``fps``: cover-scaled, centre-cropped, BT.709, no Ken Burns motion.

    ``sar`` is set to match the still scenes (PNG stills without a pHYs chunk have an unknown
    SAR, 0:1; older ffmpeg's concat/xfade refuse inputs whose SARs differ).
    """
    out = out_label or f"[s{index}]"
    return [
        f"{input_label}setpts=PTS-STARTPTS,fps={fps},"
        f"scale={width}:{height}:force_original_aspect_ratio=increase:flags=lanczos"
        ":out_color_matrix=bt709:out_range=tv,"
        f"crop={width}:{height},setsar={sar},format=yuv420p,"
        f"trim=end_frame={frames},settb=1/{fps},setpts=N{out}"
    ]


def transition_chains(scene_frames: list[int], xf_frames: int, transition: str, fps: int,
                      *, in_fmt: str = "[s{i}]", out_label: str = "[vcat]") -> list[str]:
    """Join the scene streams with crossfades of ``xf_frames`` frames.

    ``xfade`` only works in 4:4:4/RGB, so feeding it whole scenes would convert every frame
    there and back. Instead each scene is split (references, no copies) into its head
    (first ``xf_frames``), body and tail (last ``xf_frames``); only tail+head pairs go
    through xfade, and the pieces are concatenated: body0, fade1, body1, fade2, ...
    """
    k = len(scene_frames)
    if k == 1:
        return [f"{in_fmt.format(i=0)}null{out_label}"]
    d = xf_frames
    chains, pieces = [], []
    tb = f"settb=1/{fps},setpts=PTS-STARTPTS"
    for i, n in enumerate(scene_frames):
        src = in_fmt.format(i=i)
        has_head, has_tail = i > 0 and d > 0, i < k - 1 and d > 0
        outs = (["[h%d]" % i] if has_head else []) + ["[b%d]" % i] + (["[t%d]" % i] if has_tail else [])
        if len(outs) > 1:
            chains.append(f"{src}split={len(outs)}{''.join(outs)}")
        else:
            chains.append(f"{src}null{outs[0]}")
        body_start, body_end = (d if has_head else 0), (n - d if has_tail else n)
        chains.append(f"[b{i}]trim=start_frame={body_start}:end_frame={body_end},{tb}[B{i}]")
        if has_head:
            chains.append(f"[h{i}]trim=end_frame={d},{tb}[H{i}]")
        if has_tail:
            chains.append(f"[t{i}]trim=start_frame={n - d},{tb}[T{i}]")
    for i in range(k):
        if i > 0 and d > 0:
            chains.append(
                f"[T{i - 1}][H{i}]xfade=transition={transition}:duration={d / fps:.6f}:offset=0,"
                f"format=yuv420p,{tb}[F{i}]"
            )
            pieces.append(f"[F{i}]")
        pieces.append(f"[B{i}]")
    chains.append(f"{''.join(pieces)}concat=n={len(pieces)}:v=1:a=0,settb=1/{fps},setpts=N{out_label}")
    return chains


# --------------------------------------------------------------------------- escaping


def escape_option(value: str) -> str:
    """Quote a value for a filter option (first level of ffmpeg filter escaping)."""
    return "'" + str(value).replace("'", "'\\''") + "'"


def escape_graph(text: str) -> str:
    """Escape a filter's argument string for the filtergraph parser (second level)."""
    out = []
    for ch in text:
        if ch in "\\'[],;":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def filter_value(value: str | Path) -> str:
    """A value (a path, free text) made safe as ``key=<value>`` inside -filter_complex."""
    return escape_graph(escape_option(str(value)))


# --------------------------------------------------------------------------- audio


@dataclass
class AudioPlan:
    """Fixed gains (dB) the render graph applies; from :func:`analyse_audio`."""

    voice_gain_db: float = 0.0
    music_gain_db: float = 0.0
    master_gain_db: float = 0.0
    limit_db: float = -2.0  # limiter ceiling (sample peak) before the trim
    trim_gain_db: float = 0.0
    measured: dict = field(default_factory=dict)


def _limit_linear(db: float) -> float:
    return min(1.0, max(0.0625, 10 ** (db / 20)))


def audio_chain(voice_in: str, music_in: str | None, duration: float, settings: RenderSettings,
                plan: AudioPlan, *, out_label: str = "aout", final: bool = True) -> list[str]:
    """Filter chains from the voice (and music) inputs to ``[out_label]``.

    ``final=False`` stops after the limiter (the analysis pass measures that point).
    """
    sr = settings.sample_rate
    d = f"{duration:.6f}"
    chains = [
        f"{voice_in}aresample={sr},aformat=sample_fmts=fltp:channel_layouts=mono,"
        f"pan=stereo|c0=c0|c1=c0,apad=whole_dur={d},atrim=end={d},asetpts=N/SR/TB,"
        f"volume={plan.voice_gain_db:.3f}dB" + ("[voice]" if music_in else "[mix]")
    ]
    if music_in:
        # the compressor is keyed by the voice: threshold ~ 20 dB under speech level
        ratio = 4.0
        chains += [
            "[voice]asplit=2[vmix][vkey]",
            f"{music_in}aresample={sr},aformat=sample_fmts=fltp:channel_layouts=stereo,"
            f"atrim=end={d},apad=whole_dur={d},atrim=end={d},asetpts=N/SR/TB,"
            f"volume={plan.music_gain_db:.3f}dB[music]",
            f"[music][vkey]sidechaincompress=threshold=0.02:ratio={ratio}:attack=40:release=600"
            f":knee=4:detection=rms:link=maximum[ducked]",
            "[vmix][ducked]amix=inputs=2:duration=first:normalize=0[mix]",
        ]
    tail = (
        f"[mix]volume={plan.master_gain_db:.3f}dB,"
        f"alimiter=limit={_limit_linear(plan.limit_db):.5f}:attack=5:release=80:level=0:latency=1"
    )
    if final:
        tail += (f",volume={plan.trim_gain_db:.3f}dB,aresample={sr},"
                 f"aformat=sample_fmts=fltp:channel_layouts=stereo[{out_label}]")
    else:
        tail += f"[{out_label}]"
    chains.append(tail)
    return chains


_EBUR_BLOCK = re.compile(
    r"\[(?P<name>[^\]@\s]+@[^\]\s]+|Parsed_ebur128_\d+) @ [^\]]+\] Summary:(?P<body>.*?)"
    r"(?=\[\S+ @ [^\]]+\] Summary:|\Z)",
    re.S,
)


def parse_ebur128(log: str) -> dict[str, dict[str, float]]:
    """{filter instance name: {"I": LUFS, "TP": dBTP, "LRA": LU}} from ebur128 summaries."""
    out: dict[str, dict[str, float]] = {}
    for m in _EBUR_BLOCK.finditer(log):
        body = m.group("body")
        vals: dict[str, float] = {}
        for key, pat in (("I", r"I:\s+(-?[\d.]+|-inf|nan)\s+LUFS"),
                         ("LRA", r"LRA:\s+(-?[\d.]+|-inf|nan)\s+LU\b"),
                         ("TP", r"Peak:\s+(-?[\d.]+|-inf|nan)\s+dBFS")):
            mm = re.search(pat, body)
            if mm:
                vals[key] = float(mm.group(1))
        name = m.group("name")
        out[name.split("@", 1)[1] if "@" in name else name] = vals
    return out


def _finite(x: float | None, default: float) -> float:
    return default if x is None or not math.isfinite(x) else x


def analyse_audio(inputs: RenderInputs, settings: RenderSettings, duration: float) -> AudioPlan:
    """The audio-only analysis (two short ffmpeg runs): gains that make the final mix hit
    ``target_lufs`` with its true peak under ``true_peak_db``."""
    plan = AudioPlan(limit_db=settings.true_peak_db - 1.0)
    music = inputs.music_wav
    # pass 1: voice and music loudness, separately
    args = ["-i", str(inputs.voice_wav)]
    if music:
        args += ["-stream_loop", "-1", "-i", str(music)]
    d = f"{duration:.6f}"
    # the voice is measured as the render plays it: mono duplicated to both channels
    graph = [f"[0:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=mono,"
             f"pan=stereo|c0=c0|c1=c0,atrim=end={d},ebur128@voice=peak=true:framelog=quiet[v]"]
    maps = ["-map", "[v]"]
    if music:
        graph.append(f"[1:a]aresample=48000,atrim=end={d},ebur128@music=peak=true:framelog=quiet[m]")
        maps += ["-map", "[m]"]
    log = run_ffmpeg([*args, "-filter_complex", ";".join(graph), *maps, "-f", "null", "-"])
    levels = parse_ebur128(log)
    voice_i = _finite(levels.get("voice", {}).get("I"), -70.0)
    if voice_i <= -69.0:
        raise InputError(
            f"the voice track {inputs.voice_wav} is silent (integrated loudness {voice_i} LUFS)",
            field="voice_wav", fix="re-run the voiceover step; the TTS produced no audible speech",
        )
    plan.voice_gain_db = settings.target_lufs - voice_i
    plan.measured["voice_lufs"] = voice_i
    if music:
        music_i = _finite(levels.get("music", {}).get("I"), -70.0)
        plan.measured["music_lufs"] = music_i
        if music_i > -69.0:
            plan.music_gain_db = settings.target_lufs + settings.music_db - music_i
        else:
            plan.music_gain_db = 0.0
    return set_trim(inputs, settings, plan, duration)


# Headroom kept under the true-peak ceiling for the AAC encoder's overshoot. Measured on the 13
# sample topics (Piper voices, 160 kb/s, bench/bench_loudness.py): with 0.3 dB 6 of 13 encodes
# went over the ceiling and needed the audio redone; with 0.8 dB none did (max -1.3 dBTP).
AAC_MARGIN_DB = 0.8


def _audio_inputs(inputs: RenderInputs) -> list[str]:
    args = ["-i", str(inputs.voice_wav)]
    if inputs.music_wav:
        args += ["-stream_loop", "-1", "-i", str(inputs.music_wav)]
    return args


def set_trim(inputs: RenderInputs, settings: RenderSettings, plan: AudioPlan, duration: float) -> AudioPlan:
    """Pass 2: the mix through the limiter, as the render does it, measured; then the linear trim
    after the limiter that reaches the target loudness without passing the true-peak ceiling."""
    for attempt in range(4):
        chains = audio_chain("[0:a]", "[1:a]" if inputs.music_wav else None, duration, settings, plan,
                             out_label="lim", final=False)
        chains.append("[lim]ebur128@mix=peak=true:framelog=quiet[out]")
        log = run_ffmpeg([*_audio_inputs(inputs), "-filter_complex", ";".join(chains), "-map", "[out]",
                          "-f", "null", "-"])
        mix = parse_ebur128(log).get("mix", {})
        mix_i = _finite(mix.get("I"), settings.target_lufs)
        mix_tp = _finite(mix.get("TP"), plan.limit_db)
        # a linear trim after the limiter; the limiter left (true_peak - limit) dB of headroom
        trim = settings.target_lufs - mix_i
        headroom = settings.true_peak_db - AAC_MARGIN_DB - mix_tp  # room for the encoder's overshoot
        shortfall = trim - headroom
        if shortfall <= 0.2 or attempt == 3:
            break
        # a peaky mix: the trim cannot reach the target under the ceiling. Drive the limiter
        # harder instead (more gain into it); its output peaks stay put and the loudness rises.
        plan.master_gain_db = round(plan.master_gain_db + shortfall, 2)
    plan.trim_gain_db = min(trim, headroom)
    plan.measured.update({"mix_lufs_before_trim": mix_i, "mix_true_peak_before_trim": mix_tp,
                          "limiter_drive_db": plan.master_gain_db})
    return plan


def _audio_codec_args(settings: RenderSettings) -> list[str]:
    return ["-c:a", "aac", "-b:a", settings.audio_bitrate, "-ar", str(settings.sample_rate), "-ac", "2"]


def guard_true_peak(inputs: RenderInputs, settings: RenderSettings, out_path: Path, plan: AudioPlan,
                    duration: float, *, attempts: int = 2) -> list[dict]:
    """Keep the encoded audio under the true-peak ceiling.

    The AAC encoder can overshoot the limited mix, now and then by more than the AAC_MARGIN_DB the
    trim keeps free (1.7 dB was seen on a Piper voice at 160 kb/s). The output's true peak is
    measured (audio only, ~0.5 s); when it is over the ceiling, the limiter ceiling is lowered
    by the overshoot, the trim measured again (the loudness target still holds), and only the
    audio is encoded again, the video stream copied. Returns what was corrected.
    """
    from ..validate import measure_loudness

    corrections: list[dict] = []
    for _ in range(attempts):
        _, peak = measure_loudness(out_path)
        if not math.isfinite(peak) or peak <= settings.true_peak_db:
            break
        overshoot = peak - (settings.true_peak_db - AAC_MARGIN_DB)
        plan.limit_db = round(plan.limit_db - overshoot, 2)
        set_trim(inputs, settings, plan, duration)
        chains = audio_chain("[1:a]", "[2:a]" if inputs.music_wav else None, duration, settings, plan)
        tmp = out_path.with_name(f".{out_path.stem}.audio{out_path.suffix or '.mp4'}")
        try:
            run_ffmpeg(["-y", "-i", str(out_path), *_audio_inputs(inputs), "-filter_complex", ";".join(chains),
                        "-map", "0:v", "-map", "[aout]", "-c:v", "copy", *_audio_codec_args(settings),
                        "-t", f"{duration:.6f}", "-movflags", "+faststart", str(tmp)])
            tmp.replace(out_path)
        finally:
            if tmp.exists():
                tmp.unlink()
        corrections.append({"true_peak_dbtp": peak, "limit_db": plan.limit_db, "trim_gain_db": plan.trim_gain_db})
    return corrections


# --------------------------------------------------------------------------- video graph


def _image_size(path: Path) -> tuple[int, int]:
    try:
        from PIL import Image

        with Image.open(path) as im:
            return im.size
    except FileNotFoundError as exc:
        raise InputError(f"scene image {path} does not exist", field="scene_images",
                         fix="re-run the scene_images step") from exc
    except Exception as exc:  # noqa: BLE001 - PIL raises many kinds
        raise InputError(f"scene image {path} cannot be read: {exc}", field="scene_images",
                         fix="re-run the scene_images step; the file is damaged") from exc


def _still_sar(path: Path) -> str:
    """The SAR ffmpeg's PNG decoder gives a still: 1 with a pHYs chunk, else unknown (0)."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            return "1" if ("dpi" in im.info or "aspect" in im.info) else "0"
    except Exception:  # noqa: BLE001 - _image_size reports unreadable stills
        return "0"


def _clip_info(path: Path) -> dict:
    """Size and duration of a scene clip (ffprobe); a clear error when it is missing or has no video."""
    from ..ffmpeg import probe

    if not path.exists():
        raise InputError(f"scene clip {path} does not exist", field="scene_images",
                         fix="re-run the scene_images step")
    try:
        info = probe(path)
    except MediaError as exc:
        raise InputError(f"scene clip {path} cannot be read: {exc.message}", field="scene_images",
                         fix="re-run the scene_images step; the download is damaged") from exc
    video = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"), None)
    if video is None or not video.get("width") or not video.get("height"):
        raise InputError(f"scene clip {path} has no video stream", field="scene_images",
                         fix="re-run the scene_images step; the file is not a video")
    try:
        duration = float(video.get("duration") or info.get("format", {}).get("duration") or 0.0)
    except ValueError:
        duration = 0.0
    return {"width": int(video["width"]), "height": int(video["height"]), "duration": duration}


def _watermark_filter(text: str, settings: RenderSettings) -> str:
    size = max(12, round(settings.height * 0.022))
    # top-left, below the Shorts top bar (~8% of the height), clear of the right-hand buttons
    x = round(settings.width * 0.06)
    y = round(settings.height * 0.095)
    shadow = max(1, round(size / 16))
    return (
        f"drawtext=fontfile={filter_value(FONT_BOLD)}:text={filter_value(text)}"
        f":expansion=none:fontsize={size}:fontcolor=white@{settings.watermark_opacity:.2f}"
        f":shadowcolor=black@{settings.watermark_opacity * 0.6:.2f}:shadowx={shadow}"
        f":shadowy={shadow}:x={x}:y={y}"
    )


@dataclass
class RenderPlan:
    duration: float
    frames: int
    scenes: list[SceneTiming]
    motions: list[Motion]
    audio: AudioPlan
    filter_graph: str
    command: list[str]
    encoder: str = "libx264"
    encoder_note: str = ""


def build_command(inputs: RenderInputs, settings: RenderSettings, out_path: Path, *,
                  audio: AudioPlan | None = None, check_images: bool = True) -> RenderPlan:
    """The complete ffmpeg invocation (without the executable) and what it will do."""
    encoder, encoder_note = choose_encoder(settings.encoder)
    beats = inputs.voiceover.beats
    if len(inputs.scene_images) != len(beats):
        raise InputError(
            f"{len(inputs.scene_images)} scene images for {len(beats)} voice beats",
            field="scene_images",
            fix="provide exactly one image per beat (re-run scene_images after the voiceover)",
        )
    if not inputs.voice_wav.exists():
        raise InputError(f"voice track {inputs.voice_wav} does not exist", field="voice_wav",
                         fix="re-run the voiceover step")
    if inputs.music_wav and not inputs.music_wav.exists():
        raise InputError(f"music track {inputs.music_wav} does not exist", field="music_wav",
                         fix="re-run the music step, or render without music")
    if inputs.ass_path and not inputs.ass_path.exists():
        raise InputError(f"caption file {inputs.ass_path} does not exist", field="ass_path",
                         fix="re-run the captions step, or render without captions")
    W, H, fps = settings.width, settings.height, settings.fps
    audio = audio or AudioPlan(limit_db=settings.true_peak_db - 1.0)
    duration = video_duration(inputs.voiceover, settings)
    total_frames = round(duration * fps)
    scenes = scene_timeline(inputs.voiceover, duration, settings.crossfade_s, fps=fps)
    xf_frames = round(settings.crossfade_s * fps)

    args: list[str] = ["-y"]
    for img in inputs.scene_images:
        if is_video(img):
            # loop a short clip; its own audio is never read
            args += ["-stream_loop", "-1", "-an", "-i", str(img)]
        else:
            args += ["-framerate", str(fps), "-i", str(img)]
    stills = [p for p in inputs.scene_images if not is_video(p)]
    clip_sar = _still_sar(stills[0]) if check_images and stills else "0"
    voice_idx = len(inputs.scene_images)
    args += ["-i", str(inputs.voice_wav)]
    music_idx = None
    if inputs.music_wav:
        music_idx = voice_idx + 1
        args += ["-stream_loop", "-1", "-i", str(inputs.music_wav)]

    chains: list[str] = []
    motions: list[Motion] = []
    frames: list[int] = []
    for i, (img, sc) in enumerate(zip(inputs.scene_images, scenes)):
        n = _frames(sc.end, fps) - _frames(sc.start, fps)
        frames.append(n)
        if is_video(img):
            if check_images:
                _clip_info(img)
            # no Ken Burns on a clip: a still "motion" records its frame count
            motions.append(Motion("clip", W, H, 0, 0, 0, 0, 0, 0, n))
            chains += clip_chains(i, f"[{i}:v]", n, W, H, fps, sar=clip_sar)
            continue
        motion = plan_motion(i, n, W, H)
        motions.append(motion)
        size = _image_size(img) if check_images else (W, H)
        chains += scene_chains(i, f"[{i}:v]", motion, W, H, fps, source_size=size,
                               flags=settings.zoom_scale)
    chains += transition_chains(frames, xf_frames, settings.transition, fps, out_label="[vcat]")
    last = "[vcat]"
    post = []
    if inputs.ass_path:
        post.append(f"ass=filename={filter_value(inputs.ass_path)}:fontsdir={filter_value(FONTS_DIR)}")
    if inputs.watermark:
        post.append(_watermark_filter(inputs.watermark, settings))
    post.append("format=yuv420p")
    post.append("setparams=field_mode=prog:range=tv:color_primaries=bt709:color_trc=bt709"
                ":colorspace=bt709")
    chains.append(f"{last}{','.join(post)}[vout]")
    chains += audio_chain(f"[{voice_idx}:a]", f"[{music_idx}:a]" if music_idx is not None else None,
                          duration, settings, audio)
    graph = ";\n".join(chains)

    args += [
        "-filter_complex", graph,
        "-map", "[vout]", "-map", "[aout]",
        *video_codec_args(encoder, preset=settings.preset, crf=settings.crf),
        "-pix_fmt", "yuv420p",
        "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
        "-color_range", "tv",
        "-r", str(fps), "-fps_mode", "cfr",
        *_audio_codec_args(settings),
        "-t", f"{duration:.6f}",
        "-movflags", "+faststart",
        str(out_path),
    ]
    return RenderPlan(duration=duration, frames=total_frames, scenes=scenes, motions=motions,
                      audio=audio, filter_graph=graph, command=args, encoder=encoder, encoder_note=encoder_note)


def render_video(inputs: RenderInputs, settings: RenderSettings, out_path: Path, *,
                 progress: Callable[[float], None] | None = None,
                 measure_output: bool = True) -> dict:
    """Render the Short to ``out_path`` (written atomically) and return a report."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.stem}.partial{out_path.suffix or '.mp4'}")
    t0 = time.perf_counter()
    duration = video_duration(inputs.voiceover, settings)
    audio = analyse_audio(inputs, settings, duration)
    t1 = time.perf_counter()
    plan = build_command(inputs, settings, tmp, audio=audio)
    try:
        run_ffmpeg(plan.command, total_seconds=plan.duration, progress=progress)
        corrections = guard_true_peak(inputs, settings, tmp, plan.audio, plan.duration)
        tmp.replace(out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    t2 = time.perf_counter()
    report = {
        "path": str(out_path),
        "duration_s": plan.duration,
        "frames": plan.frames,
        "width": settings.width,
        "height": settings.height,
        "fps": settings.fps,
        "scenes": [asdict(s) for s in plan.scenes],
        "motions": [m.kind for m in plan.motions],
        "audio_plan": asdict(plan.audio),
        "audio_corrections": corrections,  # true-peak re-encodes of the audio (usually none)
        "timings_s": {"audio_analysis": round(t1 - t0, 3), "render": round(t2 - t1, 3)},
        "command": ["ffmpeg", *plan.command],
        "command_line": shlex.join(["ffmpeg", *plan.command]),
        "size_bytes": out_path.stat().st_size,
    }
    report["duration"] = plan.duration
    report["encoder"] = plan.encoder
    report["encoder_note"] = plan.encoder_note
    if measure_output:
        from ..validate import measure_loudness

        integrated, peak = measure_loudness(out_path)
        report["loudness"] = {"integrated_lufs": integrated, "true_peak_dbtp": peak}
        report["integrated_lufs"] = integrated
        report["true_peak_db"] = peak
        report["timings_s"]["measure"] = round(time.perf_counter() - t2, 3)
    report["timings_s"]["total"] = round(time.perf_counter() - t0, 3)
    return report


__all__ = [
    "AudioPlan", "Motion", "RenderInputs", "RenderPlan", "RenderSettings", "VIDEO_SUFFIXES", "analyse_audio",
    "audio_chain", "build_command", "clip_chains", "escape_graph", "escape_option", "filter_value", "is_video",
    "guard_true_peak", "motion_filters", "parse_ebur128", "plan_motion", "render_video", "scene_chain", "set_trim",
    "scene_chains", "scene_timeline", "transition_chains", "video_duration",
]

