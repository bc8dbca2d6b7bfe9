"""Grabbing still frames from a finished video (previews for the UI, contact sheets)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from PIL import Image

from .errors import MediaError
from .ffmpeg import ffmpeg_path


def frame_at(video: Path, seconds: float, *, width: int = 270) -> Image.Image:
    """The frame shown at ``seconds``, scaled to ``width`` pixels wide."""
    cmd = [ffmpeg_path(), "-v", "error", "-ss", f"{max(0.0, seconds):.3f}", "-i", str(video),
           "-frames:v", "1", "-vf", f"scale={width}:-2", "-f", "image2pipe", "-c:v", "png", "-"]
    proc = subprocess.run(cmd, capture_output=True, timeout=60)
    if proc.returncode != 0 or not proc.stdout:
        raise MediaError(f"could not read a frame at {seconds:.2f} s from {video}: "
                         f"{proc.stderr.decode(errors='replace')[-400:]}", field="video")
    return Image.open(io.BytesIO(proc.stdout)).convert("RGB")


def frames_at(video: Path, times: list[float], *, width: int = 180) -> list[Image.Image]:
    return [frame_at(video, t, width=width) for t in times]
