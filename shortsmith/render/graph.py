"""The video filter graph: still and clip chains, crossfades, the watermark, and filter escaping.

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

from pathlib import Path

from ..fonts import font_for
from .motion import Motion, motion_filters
from .settings import RenderSettings


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


def _watermark_filter(text: str, settings: RenderSettings) -> str:
    size = max(12, round(settings.height * 0.022))
    # top-left, below the Shorts top bar (~8% of the height), clear of the right-hand buttons
    x = round(settings.width * 0.06)
    y = round(settings.height * 0.095)
    shadow = max(1, round(size / 16))
    return (
        f"drawtext=fontfile={filter_value(font_for(text))}:text={filter_value(text)}"
        f":expansion=none:fontsize={size}:fontcolor=white@{settings.watermark_opacity:.2f}"
        f":shadowcolor=black@{settings.watermark_opacity * 0.6:.2f}:shadowx={shadow}"
        f":shadowy={shadow}:x={x}:y={y}"
    )
