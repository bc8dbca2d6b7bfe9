"""Platform variants of a video: TikTok's is the same single ffmpeg graph with the watermark layer off.

TikTok's content sharing guidelines forbid watermarks and promotional overlays, so a channel that
publishes to TikTok and burns a watermark into its Shorts renders a second MP4 from the very same
inputs (scenes, voice, captions, music, settings) with ``watermark=None``. ``compare_watermark``
verifies the pair the way a viewer would see it: outside the watermark's box the frames match; inside
it, the main video is brighter (the white text) and the variant is not.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np

from .ffmpeg import ffmpeg_path
from .render import RenderInputs, RenderSettings

OUTSIDE_MAX_MEAN_DIFF = 3.0  # 0-255: two encodes of the same picture differ by ~1 on average
INSIDE_MIN_EXCESS = 25.0  # the watermark's white text: far brighter than encoder noise


def without_watermark(inputs: RenderInputs) -> RenderInputs:
    return replace(inputs, watermark=None)


def watermark_box(settings: RenderSettings, text: str) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) that contains the watermark drawn by ``render.graph`` (with a margin)."""
    size = max(12, round(settings.height * 0.022))
    x, y = round(settings.width * 0.06), round(settings.height * 0.095)
    x0, y0 = max(0, x - size // 2), max(0, y - size // 2)
    x1 = min(settings.width, x + int(len(text) * size * 0.75) + size)
    y1 = min(settings.height, y + int(size * 1.6) + size // 2)
    return x0, y0, x1, y1


def frame_rgb(video: Path, t: float, width: int, height: int) -> np.ndarray:
    proc = subprocess.run([ffmpeg_path(), "-v", "error", "-ss", f"{t:.3f}", "-i", str(video), "-frames:v", "1",
                           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True, timeout=60)
    return np.frombuffer(proc.stdout, np.uint8).reshape(height, width, 3).astype(np.int16)


def compare_watermark(main: Path, variant: Path, settings: RenderSettings, text: str,
                      times: list[float]) -> dict:
    """Frames of the main video and its watermark-free variant at ``times``, compared in and outside the box."""
    x0, y0, x1, y1 = watermark_box(settings, text)
    outside, inside = [], []
    for t in times:
        a = frame_rgb(main, t, settings.width, settings.height)
        b = frame_rgb(variant, t, settings.width, settings.height)
        diff = np.abs(a - b).max(axis=2)
        mask = np.ones(diff.shape, bool)
        mask[y0:y1, x0:x1] = False
        outside.append(float(diff[mask].mean()))
        excess = (a[y0:y1, x0:x1] - b[y0:y1, x0:x1]).max(axis=2)
        inside.append(float(np.percentile(excess, 99.5)))
    worst_outside, least_inside = round(max(outside), 3), round(min(inside), 1)
    return {"frames": len(times), "outside_mean_diff": worst_outside, "inside_brightness_excess": least_inside,
            "box": [x0, y0, x1, y1],
            "passed": worst_outside <= OUTSIDE_MAX_MEAN_DIFF and least_inside >= INSIDE_MIN_EXCESS}
