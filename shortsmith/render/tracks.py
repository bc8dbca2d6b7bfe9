"""The timeline of a render as tracks: scenes (with the transition into each), overlays, voices, music.

A topic's Short has one track of scenes joined by crossfades, one voice and the music. A
narrative (issue 13) adds a transition per cut, terminal overlays typed over some beats and a
speaker per voiced beat; all of it comes from the :class:`~shortsmith.model.Script` beats and
the :class:`~shortsmith.model.Voiceover` word timings, and all of it is rendered by the one
ffmpeg graph of :func:`shortsmith.render.build_command`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import InputError
from ..model import Script, SceneTiming, Voiceover
from .settings import RenderInputs, RenderSettings
from .terminal import TerminalOverlay
from .timeline import scene_timeline, video_duration
from .transitions import check_transitions

# frame shape -> (width, height) at the default 1080 short side
FORMATS = {"9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080)}
SHORT_FORMATS = ("9:16", "1:1")  # vertical or square: published as a Short (<= 180 s)
SHORTS_LIMIT_S = 180.0
EPISODE_LIMIT_S = 600.0  # a 16:9 episode


def check_format(fmt: str, where: str = "script.format") -> str:
    fmt = (fmt or "9:16").strip()
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}", field=where, fix=f"use one of: {', '.join(FORMATS)}")
    return fmt


def format_size(fmt: str, width: int = 1080, height: int = 1920) -> tuple[int, int]:
    """The frame size of ``fmt`` for a renderer configured at ``width x height`` (its short side kept)."""
    fmt = check_format(fmt)
    short, long = min(width, height), max(width, height)
    if fmt == "9:16":
        return short, long
    if fmt == "16:9":
        return long, short
    return short, short


def settings_for_format(settings: RenderSettings, fmt: str) -> RenderSettings:
    """``settings`` with the frame size of ``fmt`` (everything else unchanged)."""
    from dataclasses import replace

    w, h = format_size(fmt, settings.width, settings.height)
    return settings if (w, h) == (settings.width, settings.height) else replace(settings, width=w, height=h)


def is_short(fmt: str) -> bool:
    """Whether a video of this format is published as a YouTube Short (vertical or square)."""
    return check_format(fmt) in SHORT_FORMATS


def duration_limit(fmt: str, channel_limit: float) -> float:
    """The longest video the checks accept: the channel's Shorts limit, or 10 min for a 16:9 episode."""
    return min(channel_limit, SHORTS_LIMIT_S) if is_short(fmt) else max(channel_limit, EPISODE_LIMIT_S)


@dataclass
class SceneCut:
    index: int
    start: float
    end: float
    transition: str  # into this scene (the first scene's is unused)


@dataclass
class VoiceSpan:
    index: int
    speaker: str
    provider: str
    start: float
    end: float


@dataclass
class Timeline:
    duration: float
    scenes: list[SceneCut]
    overlays: list[TerminalOverlay] = field(default_factory=list)
    voices: list[VoiceSpan] = field(default_factory=list)
    music: bool = False

    def summary(self) -> dict:
        """JSON-able: for the render report and the asset's metadata."""
        return {
            "duration": self.duration,
            "scenes": [asdict(s) for s in self.scenes],
            "overlays": [{"beat": o.beat, "text": o.text, "start": o.start, "end": o.end} for o in self.overlays],
            "voices": [asdict(v) for v in self.voices],
            "music": self.music,
        }


def plan_overlays(terminals: list[str], scenes: list[SceneTiming], voiceover: Voiceover,
                  crossfade_s: float) -> list[TerminalOverlay]:
    """One overlay per beat with terminal text, on screen from the cut into its scene to the cut out."""
    words = {b.index: b.words for b in voiceover.beats}
    half = crossfade_s / 2
    out = []
    for i, (text, sc) in enumerate(zip(terminals, scenes)):
        if not text or not text.strip():
            continue
        start = sc.start + (half if i > 0 else 0.0)
        end = sc.end - (half if i < len(scenes) - 1 else 0.0)
        out.append(TerminalOverlay(sc.index, text.strip(), start, end, list(words.get(sc.index, []))))
    return out


def plan_timeline(inputs: RenderInputs, settings: RenderSettings) -> Timeline:
    """The tracks of this render (the same scenes and cuts :func:`build_command` renders)."""
    vo = inputs.voiceover
    duration = video_duration(vo, settings)
    scenes = scene_timeline(vo, duration, settings.crossfade_s, fps=settings.fps)
    kinds = check_transitions(list(inputs.transitions) + [""] * (len(scenes) - len(inputs.transitions)))
    cuts = [SceneCut(s.index, s.start, s.end, k if i else "") for i, (s, k) in enumerate(zip(scenes, kinds))]
    terminals = list(inputs.terminals) + [""] * (len(scenes) - len(inputs.terminals))
    overlays = plan_overlays(terminals, scenes, vo, settings.crossfade_s)
    voices = [VoiceSpan(b.index, b.speaker, b.provider, b.start, b.end) for b in vo.beats]
    return Timeline(duration, cuts, overlays, voices, music=inputs.music_wav is not None)


def narrative_inputs(script: Script, *, scene_images: list[Path], voice_wav: Path, voiceover: Voiceover,
                     music_wav: Path | None = None, ass_path: Path | None = None,
                     watermark: str | None = None) -> RenderInputs:
    """Render inputs carrying the script's transitions and terminal overlays (one per beat)."""
    return RenderInputs(scene_images=scene_images, voice_wav=voice_wav, voiceover=voiceover, music_wav=music_wav,
                        ass_path=ass_path, watermark=watermark,
                        transitions=[b.transition for b in script.beats],
                        terminals=[b.terminal for b in script.beats])
