"""Plain data passed between pipeline stages (no Dagster import).

Every stage writes one of these as JSON next to its media files, so a stage can be
re-run alone and a later stage can read what an earlier one produced.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

BEAT_KINDS = ("hook", "promise", "body", "cta")


@dataclass
class Beat:
    """One spoken segment of a Short; it is also one scene (one image)."""

    kind: str  # one of BEAT_KINDS
    narration: str
    visual_prompt: str
    keywords: list[str] = field(default_factory=list)
    # narrative productions (issue 13); empty for a topic's Short
    speaker: str = ""  # who speaks this line (a cast member), "" = the channel's voice
    scene: str = ""  # the scene direction in effect ("a dim control room; camera: slow push-in")
    terminal: str = ""  # retro terminal overlay text typed over this beat in step with its speech
    transition: str = ""  # transition INTO this beat's scene: cut | crossfade | glitch | slide ("" = default)


@dataclass
class Script:
    channel: str
    topic: str
    title: str
    description: str
    tags: list[str]
    beats: list[Beat]  # hook, promise, 4-7 body beats, cta (in that order)
    words_per_minute: float
    min_seconds: float
    max_seconds: float
    estimated_seconds: float
    writer: str = "offline"
    facts: list[str] = field(default_factory=list)  # the source sentence behind each body beat, in order
    source: str = ""  # where the facts came from: a path or URL, "points", "narrative", or "" (a model)
    format: str = "9:16"  # frame shape: 9:16 (a Short), 16:9 or 1:1
    series: str = ""  # a narrative's series (its cast and style template come from it)

    @property
    def hook(self) -> Beat:
        return self.beats[0]

    @property
    def word_count(self) -> int:
        return sum(len(b.narration.split()) for b in self.beats)


@dataclass
class WordTiming:
    """A spoken word; times are seconds from the start of the voice track."""

    word: str
    start: float
    end: float


@dataclass
class BeatAudio:
    index: int
    start: float  # first sample of this beat's speech in the voice track
    end: float  # last sample of this beat's speech
    words: list[WordTiming]
    speaker: str = ""  # the cast member who spoke this beat ("" = the channel's voice)
    provider: str = ""  # the voice provider that actually spoke it (after any fallback)


@dataclass
class Voiceover:
    wav_path: str  # the whole voice track (mono, beats joined with pauses)
    sample_rate: int
    duration: float  # length of the voice track in seconds
    beats: list[BeatAudio]
    engine: str  # e.g. "piper:joe-us-medium" or "espeak-ng"
    timing_source: str  # "alignment", "phoneme-weights" or "character-weights"


@dataclass
class SceneTiming:
    """When a scene is on screen in the final video (crossfades centred on cuts)."""

    index: int
    start: float
    end: float


def to_json(obj: Any) -> str:
    # a dataclass *class* is not an instance: asdict only takes instances
    data = asdict(obj) if is_dataclass(obj) and not isinstance(obj, type) else obj
    return json.dumps(data, indent=2, ensure_ascii=False)


def _build(cls: type[T], data: Any) -> T:
    if not is_dataclass(cls):
        return data
    kwargs = {}
    hints = {f.name: f.type for f in fields(cls)}
    for name, value in data.items():
        if name not in hints:
            continue
        kwargs[name] = value
    obj = cls(**kwargs)
    return obj


def script_from_dict(data: dict) -> Script:
    data = dict(data)
    data["beats"] = [Beat(**b) for b in data["beats"]]
    return _build(Script, data)


def voiceover_from_dict(data: dict) -> Voiceover:
    data = dict(data)
    data["beats"] = [
        BeatAudio(
            index=b["index"],
            start=b["start"],
            end=b["end"],
            words=[WordTiming(**w) for w in b["words"]],
            speaker=b.get("speaker", ""),
            provider=b.get("provider", ""),
        )
        for b in data["beats"]
    ]
    return _build(Voiceover, data)


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (temp file + rename) so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(to_json(obj), encoding="utf-8")
    tmp.replace(path)


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))
