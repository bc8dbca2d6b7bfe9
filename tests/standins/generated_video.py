"""Small real MP4s for the video-generation stand-ins (made with ffmpeg once, then cached)."""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
import threading
from pathlib import Path

from shortsmith.ffmpeg import ffmpeg_path

_CACHE: dict[tuple, bytes] = {}
_LOCK = threading.Lock()


def colour_of(text: str) -> str:
    """A colour that depends on the prompt, so a test can tell which job made which scene."""
    d = hashlib.sha256(text.encode()).digest()
    return f"0x{d[0]:02x}{d[1]:02x}{d[2]:02x}"


def make_mp4(width: int, height: int, seconds: float, colour: str, fps: int = 12) -> bytes:
    """A real H.264 MP4 (no audio: video models answer silent clips) of one colour with a moving box."""
    key = (width, height, seconds, colour, fps)
    with _LOCK:
        if key not in _CACHE:
            with tempfile.TemporaryDirectory() as d:
                out = Path(d) / "clip.mp4"
                graph = (f"color=c={colour}:s={width}x{height}:r={fps}:d={seconds},"
                         f"drawbox=x='mod(t*40,{max(1, width - 16)})':y={height // 3}:w=16:h=16:color=white@0.9:t=fill,"
                         "format=yuv420p")
                subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i", graph, "-c:v", "libx264",
                                "-preset", "ultrafast", "-g", str(fps), "-pix_fmt", "yuv420p", "-movflags", "+faststart",
                                str(out)], check=True, capture_output=True, timeout=60)
                _CACHE[key] = out.read_bytes()
        return _CACHE[key]
