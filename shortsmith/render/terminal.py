"""Retro terminal overlays: text typed in step with the speech, a blinking cursor, scanlines, static.

Measured choice (see bench/bench_narrative.py): the typed states are drawn once each with
Pillow as small RGBA images (only the panel, not the frame), one file per *distinct* state
(characters shown x cursor on/off); every frame of the overlay is a hard link to its state's
file, so the sequence is read by one ``image2`` input at the video's frame rate and laid over
the picture by one ``overlay`` in the same single ffmpeg graph. The files are run-length
encoded TGA: Pillow writes one in ~5 ms where a PNG (zlib level 1) took ~21 ms, ffmpeg
decodes both as fast, and the panel's long flat runs keep them ~30 KB (measured, loaded
machine; PNG writing was most of the overlays' cost). The static is ffmpeg's
``noise`` on the panel's luma, different on every frame (``allf=t``), so it is not baked
into (and does not multiply) the images. Scanlines and the panel are in the images.

Typing follows the beat's words: the share of characters shown at time ``t`` is the share of
the beat's spoken letters said by ``t`` (a word counts as said progressively from its start
to its end), so the text finishes on the last word and pauses when the speaker pauses. The
cursor is solid while typing and blinks (2 Hz) before and after.
"""

from __future__ import annotations

import math
import os
import textwrap
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..fonts import FONTS_DIR
from ..model import WordTiming

MONO_FONT = FONTS_DIR / "DejaVuSansMono-Bold.ttf"
GREEN = (64, 255, 120)
BLINK_HZ = 2.0


@dataclass
class TerminalOverlay:
    """One overlay on the overlay track: ``text`` typed between ``start`` and ``end`` (seconds)."""

    beat: int
    text: str
    start: float  # on screen from (the cut into its scene)
    end: float  # to (the cut out of its scene)
    words: list[WordTiming] = field(default_factory=list)  # the beat's speech, for the typing

    def chars_at(self, t: float) -> int:
        """How many characters are shown at time ``t`` (seconds in the video)."""
        n = len(self.text)
        spoken = [w for w in self.words if w.end > w.start]
        if not spoken:  # no timings: type evenly over the first 80 % of the overlay
            span = max(1e-6, (self.end - self.start) * 0.8)
            return max(0, min(n, math.floor((t - self.start) / span * n + 1e-9)))
        weights = [max(1, len(w.word)) for w in spoken]
        total, said = float(sum(weights)), 0.0
        for w, k in zip(spoken, weights):
            if t >= w.end:
                said += k
            elif t > w.start:
                said += k * (t - w.start) / (w.end - w.start)
        return max(0, min(n, math.floor(said / total * n + 1e-9)))

    def cursor_on(self, t: float) -> bool:
        n = self.chars_at(t)
        typing = 0 < n < len(self.text) or (n == 0 and self.chars_at(t + 0.1) > 0)
        return typing or math.floor((t - self.start) * BLINK_HZ * 2) % 2 == 0


@dataclass(frozen=True)
class PanelLayout:
    x: int
    y: int
    width: int
    height: int
    font_px: int
    columns: int
    rows: int


def panel_layout(width: int, height: int) -> PanelLayout:
    """Where the panel sits: the upper part of the frame, clear of the captions' safe area
    (9:16 captions sit at 35-70 % of the height, 1:1 at 55-84 %, 16:9 at 64-92 %)."""
    portrait = height > width
    pw = round(width * (0.84 if portrait else 0.62)) // 2 * 2
    font_px = max(10, round(min(width, height) * (0.042 if portrait else 0.040)))
    rows = 4
    line_h = round(font_px * 1.3)
    ph = (rows * line_h + 2 * round(font_px * 0.8)) // 2 * 2
    x = ((width - pw) // 2) // 2 * 2
    y = round(height * 0.13) // 2 * 2  # under the watermark (at 9.5 % of the height)
    char_w = _font(font_px).getlength("M")
    columns = max(8, int((pw - 2 * round(font_px * 0.8)) // char_w) - 1)
    return PanelLayout(x, y, pw, ph, font_px, columns, rows)


@lru_cache(maxsize=8)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(MONO_FONT), size)


def wrap(text: str, columns: int, rows: int) -> list[str]:
    """The text as terminal lines (hard-wrapped, at most ``rows``; the last row ends in '...')."""
    lines: list[str] = []
    for para in text.split("\n"):
        lines += textwrap.wrap(para, columns, break_long_words=True) or [""]
    if len(lines) > rows:
        lines = lines[:rows]
        lines[-1] = lines[-1][: columns - 3] + "..."
    return lines


def draw_state(layout: PanelLayout, lines: list[str], chars: int, cursor: bool):
    """The panel (RGBA) with the first ``chars`` characters of ``lines`` typed."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (layout.width, layout.height), (4, 16, 8, 190))
    draw = ImageDraw.Draw(img)
    pad = round(layout.font_px * 0.8)
    line_h = round(layout.font_px * 1.3)
    font = _font(layout.font_px)
    char_w = font.getlength("M")
    left = chars
    row, col = 0, 0
    for row, line in enumerate(lines):
        shown = line[:max(0, left)]
        y = pad + row * line_h
        if shown:
            # a soft glow under the text, then the text
            draw.text((pad + 1, y + 1), shown, font=font, fill=(20, 120, 50, 200))
            draw.text((pad, y), shown, font=font, fill=(*GREEN, 255))
        col = len(shown)
        if left <= len(line):
            break
        left -= len(line)
    if cursor:
        cx, cy = pad + round(col * char_w), pad + row * line_h
        draw.rectangle([cx, cy + 2, cx + round(char_w) - 2, cy + layout.font_px], fill=(*GREEN, 230))
    # scanlines: every third row darker, and a thin bright border
    step = max(2, layout.height // 90)
    for yy in range(0, layout.height, step * 2):
        draw.line([(0, yy), (layout.width, yy)], fill=(0, 0, 0, 90))
    draw.rectangle([0, 0, layout.width - 1, layout.height - 1], outline=(*GREEN, 160), width=max(1, layout.font_px // 10))
    return img


def write_overlay_frames(overlay: TerminalOverlay, layout: PanelLayout, fps: int, folder: Path,
                         prefix: str) -> tuple[int, int, int]:
    """Write the overlay's frames (``prefix_%05d.tga``, hard links to one file per state).

    Returns (first frame number in the video, frame count, distinct states drawn)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = wrap(overlay.text, layout.columns, layout.rows)
    typed = "".join(lines)
    shown_text = TerminalOverlay(overlay.beat, typed, overlay.start, overlay.end, overlay.words)
    first = round(overlay.start * fps)
    count = max(1, round(overlay.end * fps) - first)
    states: dict[tuple[int, bool], Path] = {}
    for k in range(count):
        t = (first + k) / fps
        key = (shown_text.chars_at(t), shown_text.cursor_on(t))
        path = states.get(key)
        if path is None:
            path = folder / f"{prefix}_state{len(states):04d}.tga"
            draw_state(layout, lines, *key).save(path, compression="tga_rle")
            states[key] = path
        frame = folder / f"{prefix}_{k:05d}.tga"
        if frame.exists():
            frame.unlink()
        try:
            os.link(path, frame)
        except OSError:  # a file system without hard links
            frame.write_bytes(path.read_bytes())
    return first, count, len(states)


def overlay_chains(index: int, input_label: str, first_frame: int, fps: int, layout: PanelLayout,
                   main: str, out: str) -> list[str]:
    """Static on the panel, shifted to its time, and laid over ``main`` -> ``out``."""
    return [
        f"{input_label}format=yuva420p,noise=c0s=18:c0f=t+u,settb=1/{fps},setpts=N+{first_frame}[term{index}]",
        f"{main}[term{index}]overlay=x={layout.x}:y={layout.y}:eof_action=pass:repeatlast=0:format=yuv420"
        f"{out}",
    ]


def terminal_track(overlays: list[TerminalOverlay], width: int, height: int, fps: int, first_input: int,
                   folder: Path, main: str) -> tuple[list[str], list[str], str, dict]:
    """ffmpeg inputs and chains laying every overlay over ``main``; returns (args, chains, out label, stats)."""
    args: list[str] = []
    chains: list[str] = []
    if not overlays:
        return args, chains, main, {}
    layout = panel_layout(width, height)
    states = 0
    t0 = time.perf_counter()
    for k, ov in enumerate(overlays):
        prefix = f"term{k}"
        first, count, drawn = write_overlay_frames(ov, layout, fps, folder, prefix)
        states += drawn
        args += ["-framerate", str(fps), "-start_number", "0", "-i", str(folder / f"{prefix}_%05d.tga")]
        out = f"[vterm{k}]"
        chains += overlay_chains(k, f"[{first_input + k}:v]", first, fps, layout, main, out)
        main = out
    return args, chains, main, {"overlays": len(overlays), "states_drawn": states,
                                "draw_s": round(time.perf_counter() - t0, 3),
                                "panel": f"{layout.width}x{layout.height}+{layout.x}+{layout.y}"}
