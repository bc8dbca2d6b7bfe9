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

from ..model import Script, SceneTiming, Voiceover
from .settings import RenderInputs, RenderSettings
from .terminal import TerminalOverlay
from .timeline import scene_timeline, video_duration
from .transitions import check_transitions

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
