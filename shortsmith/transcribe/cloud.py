"""OpenAI's transcription API (``verbose_json`` with word and segment timestamps) via the official SDK.

The audio is sent as 16 kHz mono MP3 at 32 kbit/s (about 14 MB an hour, under the API's 25 MB
upload limit for ~1.7 hours); a longer source is refused with the fix rather than cut silently.
The API's words carry no punctuation; it is put back from the segment text (difflib alignment of
the normalised words), so sentences cut the same way as with the offline model. The language the
API reports by name ("english") is turned into its ISO code.
"""

from __future__ import annotations

import difflib
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InputError, MediaError
from ..ffmpeg import ffmpeg_path
from ..resilience import CallContext, ProviderError, RetryPolicy, offline_calls
from . import Segment, Transcriber, Transcript, Word, normalise_words

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
PROVIDER = "openai-transcribe"

LANGUAGE_CODES = {
    "english": "en", "german": "de", "french": "fr", "spanish": "es", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "polish": "pl", "russian": "ru", "ukrainian": "uk", "turkish": "tr", "arabic": "ar",
    "hebrew": "he", "hindi": "hi", "japanese": "ja", "korean": "ko", "chinese": "zh", "swedish": "sv",
    "norwegian": "no", "danish": "da", "finnish": "fi", "greek": "el", "czech": "cs", "romanian": "ro",
    "hungarian": "hu", "indonesian": "id", "vietnamese": "vi", "thai": "th",
}


def language_code(name: str) -> str:
    value = (name or "").strip().lower()
    return LANGUAGE_CODES.get(value, value if len(value) <= 3 else value[:2])


def encode_upload(media: Path, dest: Path, timeout: float = 600) -> Path:
    """16 kHz mono 32 kbit/s MP3 of the media's first audio stream (the upload)."""
    cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(media), "-map", "0:a:0",
           "-vn", "-ac", "1", "-ar", "16000", "-c:a", "libmp3lame", "-b:a", "32k", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
    if proc.returncode != 0 or not dest.is_file() or dest.stat().st_size == 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-2:]
        raise MediaError(f"{media} has no readable audio: {' / '.join(tail) or 'ffmpeg failed'}", field="media",
                         fix="give a media file with a sound track (the download may be corrupt: fetch it again)")
    if dest.stat().st_size > MAX_UPLOAD_BYTES:
        raise InputError(f"{media} is too long for one transcription upload ({dest.stat().st_size >> 20} MB as "
                         f"32 kbit/s MP3; the API takes 25 MB)", field="source",
                         fix="cut the source to under ~1.5 hours, or use the offline transcriber")
    return dest


def punctuate(words: list[Word], text: str) -> list[Word]:
    """Give bare API words the punctuation and capitals of the transcript text (matched by normalised word)."""
    tokens = [t for t in text.split() if normalise_words(t)]
    a = [normalise_words(w.word)[0] if normalise_words(w.word) else "" for w in words]
    b = [normalise_words(t)[0] for t in tokens]
    out = list(words)
    for block in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            w = words[block.a + k]
            out[block.a + k] = Word(tokens[block.b + k], w.start, w.end, w.probability)
    return out


def from_verbose(resp: Any, *, model: str) -> Transcript:
    """A Transcript from the SDK's TranscriptionVerbose (or its dict)."""
    get = (lambda o, k, d=None: o.get(k, d)) if isinstance(resp, dict) else (lambda o, k, d=None: getattr(o, k, d))
    raw_words = get(resp, "words") or []
    if not raw_words and (get(resp, "text") or "").strip():
        raise ProviderError("the transcription has text but no word timestamps", provider=PROVIDER,
                            field="transcriber.model",
                            fix="use whisper-1 (the model that gives word timestamps with verbose_json)")
    words: list[Word] = []
    for w in raw_words:
        wg = (lambda k, w=w: w.get(k)) if isinstance(w, dict) else (lambda k, w=w: getattr(w, k))
        start, end = float(wg("start")), float(wg("end"))
        word = str(wg("word")).strip()
        if word:
            words.append(Word(word, round(start, 3), round(max(start, end), 3)))
    segs = []
    for s in get(resp, "segments") or []:
        sg = (lambda k, s=s: s.get(k)) if isinstance(s, dict) else (lambda k, s=s: getattr(s, k))
        segs.append(Segment(round(float(sg("start")), 3), round(float(sg("end")), 3), str(sg("text")).strip()))
    text = " ".join(s.text for s in segs) or (get(resp, "text") or "")
    return Transcript(words=punctuate(words, text), segments=segs, language=language_code(get(resp, "language", "")),
                      language_probability=1.0, duration=round(float(get(resp, "duration", 0.0) or 0.0), 3),
                      provider="openai", model=model)


def transcribe_openai(client: Any, media: Path, *, model: str = "whisper-1", language: str | None = None,
                      calls: CallContext | None = None,
                      classify: Callable[[BaseException], ProviderError | None] = lambda e: None,
                      max_attempts: int = 4, per_minute: int = 0, secrets: tuple[str, ...] = ()) -> Transcript:
    """Transcribe ``media`` with the SDK ``client`` (retries, rate limit and scrubbing by ``calls``)."""
    calls = calls or offline_calls()
    with tempfile.TemporaryDirectory(prefix="shortsmith-asr-") as tmp:
        upload = encode_upload(media, Path(tmp) / "audio.mp3")
        data = upload.read_bytes()

        def once() -> Any:
            kwargs: dict[str, Any] = {"model": model, "file": ("audio.mp3", data, "audio/mpeg"),
                                      "response_format": "verbose_json",
                                      "timestamp_granularities": ["word", "segment"]}
            if language:
                kwargs["language"] = language
            return client.audio.transcriptions.create(**kwargs)

        t0 = time.perf_counter()
        resp = calls.call(once, provider=PROVIDER, classify=classify, policy=RetryPolicy(max_attempts=max_attempts),
                          per_minute=per_minute, secrets=secrets)
    if isinstance(resp, str):  # a server that ignored response_format
        raise ProviderError("the transcription came back as plain text, without timestamps", provider=PROVIDER,
                            transient=True)
    transcript = from_verbose(resp, model=model)
    calls.meter.add(PROVIDER, "transcribe", minute=transcript.duration / 60.0)
    elapsed = time.perf_counter() - t0
    transcript.meta = {"seconds": round(elapsed, 2),
                       "real_time_factor": round(elapsed / max(transcript.duration, 1e-6), 3)}
    return transcript


class OpenAITranscriber(Transcriber):
    """Core side of the cloud transcriber: the resource gives it a client factory and the error classifier."""

    name = "openai"

    def __init__(self, client_factory: Callable[[], Any], *, model: str = "whisper-1",
                 classify: Callable[[BaseException], ProviderError | None] = lambda e: None,
                 calls: CallContext | None = None, max_attempts: int = 4, per_minute: int = 0,
                 secrets: tuple[str, ...] = ()):
        self.client_factory = client_factory
        self.model = model
        self.classify = classify
        self.calls = calls
        self.max_attempts = max_attempts
        self.per_minute = per_minute
        self.secrets = secrets

    def describe(self) -> dict:
        return {"provider": self.name, "model": self.model}

    def transcribe(self, media: Path, *, language: str | None = None) -> Transcript:
        return transcribe_openai(self.client_factory(), media, model=self.model, language=language, calls=self.calls,
                                 classify=self.classify, max_attempts=self.max_attempts, per_minute=self.per_minute,
                                 secrets=self.secrets)
