"""Choosing the H.264 encoder: NVENC on a machine whose ffmpeg and driver support it, else libx264.

``auto`` tries a tiny NVENC encode once per process (listing ``h264_nvenc`` is not enough:
the bundled ffmpeg lists it everywhere, and it only works with an NVIDIA driver). Asking for
``h264_nvenc`` explicitly on a machine without it is an error that says so, rather than a
silent CPU render.
"""

from __future__ import annotations

import functools
import subprocess

from ..errors import ConfigError, ToolMissingError
from ..ffmpeg import ffmpeg_path

ENCODERS = ("auto", "libx264", "h264_nvenc")


@functools.lru_cache(maxsize=None)
def nvenc_status(ffmpeg: str) -> tuple[bool, str]:
    """Whether this ffmpeg can encode with NVENC here, and why not."""
    try:
        listed = subprocess.run([ffmpeg, "-hide_banner", "-encoders"], capture_output=True, text=True,
                                timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"could not list ffmpeg's encoders ({exc})"
    if "h264_nvenc" not in listed:
        return False, "this ffmpeg has no h264_nvenc encoder"
    probe = subprocess.run(
        [ffmpeg, "-hide_banner", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=256x256:d=0.2:r=30",
         "-c:v", "h264_nvenc", "-f", "null", "-"],
        capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        lines = probe.stderr.strip().splitlines() or ["unknown error"]
        telling = [line for line in lines if any(k in line.lower() for k in ("nvenc", "cuda", "driver", "cannot load"))]
        reason = (telling or lines)[0]
        return False, f"h264_nvenc cannot open here (no NVIDIA GPU or driver): {reason[:160]}"
    return True, "h264_nvenc works"


def choose_encoder(requested: str) -> tuple[str, str]:
    """The encoder to use and a sentence for the log saying why."""
    if requested not in ENCODERS:
        raise ConfigError(f"encoder {requested!r} is not supported", field="renderer.encoder",
                          fix=f"use one of: {', '.join(ENCODERS)}")
    if requested == "libx264":
        return "libx264", "libx264 (as configured)"
    ok, why = nvenc_status(ffmpeg_path())
    if ok:
        return "h264_nvenc", "h264_nvenc on the GPU"
    if requested == "h264_nvenc":
        raise ToolMissingError(why, field="renderer.encoder",
                               fix="run on a machine with an NVIDIA GPU and driver, or set encoder to auto/libx264")
    return "libx264", f"libx264 on the CPU (falling back: {why})"


def video_codec_args(encoder: str, *, preset: str, crf: int) -> list[str]:
    """Encoder options giving H.264 High, comparable quality on either encoder."""
    if encoder == "h264_nvenc":
        # p5/hq with constant-quality VBR is NVENC's closest match to x264 CRF.
        return ["-c:v", "h264_nvenc", "-preset", "p5", "-tune", "hq", "-rc", "vbr", "-cq", str(crf + 2),
                "-b:v", "0", "-profile:v", "high", "-bf", "2", "-spatial-aq", "1"]
    return ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high"]
