"""What a render takes: its settings and its inputs (scene stills or clips, voice, music, captions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..model import Voiceover


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
    # narrative productions (issue 13; see tracks.py): per beat, the transition into its scene
    # (cut|crossfade|glitch|slide, "" = crossfade) and the terminal overlay text ("" = none)
    transitions: list[str] = field(default_factory=list)
    terminals: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.scene_images = [Path(p) for p in self.scene_images]
        self.voice_wav = Path(self.voice_wav)
        self.music_wav = Path(self.music_wav) if self.music_wav else None
        self.ass_path = Path(self.ass_path) if self.ass_path else None
