"""Voice from ElevenLabs: text to speech *with timestamps*, beat by beat (no Dagster).

Each beat is one ``POST /v1/text-to-speech/{voice_id}/with-timestamps`` request (the SDK's
``text_to_speech.convert_with_timestamps``): that keeps every request far below the model's
character limit and gives exact beat boundaries. The neighbouring beats go along as
``previous_text`` / ``next_text`` so the intonation flows across the joins.

The answer carries the audio (base64) and a character alignment: for every character of
the text sent, when it starts and ends in that audio. The text sent is the beat's caption
words (``caption_words(normalise_text(...))``, :mod:`.text`) joined by single spaces, so every
caption word maps to a known run of characters, and a word spans exactly the time of its
letters and digits (leading/trailing punctuation is silent and left out). ``alignment``
matches the text sent; ``normalized_alignment`` (numbers and abbreviations spelled out) is
used only when ``alignment`` is missing, with the written word "1969" then spanning the
characters spoken for it.

The beats are trimmed to their speech and joined with the same silences as the Piper path
(:func:`shortsmith.voice.beats.synthesize_beats`), into one mono 16-bit WAV, so captions and the
renderer see the same :class:`~shortsmith.model.Voiceover` whichever engine spoke.

Output format
-------------
The default ``pcm_24000`` is raw 16-bit mono PCM: no decoding, no codec delay, so the
character times are sample-exact, and no lossy generation before the final AAC encode. It is
allowed on every plan (only 44.1 kHz PCM/WAV needs Pro, and 192 kbps MP3 Creator, per the
API reference). The other formats (``mp3_44100_128``, ``opus_*``, ``wav_*``, ``ulaw_8000``,
``alaw_8000``) are decoded with the project's ffmpeg.

A response that cannot be used (no audio, no alignment, alignment lists of different
lengths, times that do not fit the audio, an alignment for some other text) is a transient
"malformed response" error: the call is retried like a 5xx.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import functools
import json
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..config import ElevenLabsVoice
from ..errors import ConfigError, InputError, MediaError, ToolMissingError
from ..ffmpeg import run_ffmpeg
from ..model import BeatAudio, Voiceover, WordTiming
from ..resilience import CallContext, ProviderError, ProviderUnavailable, RetryPolicy, http_error
from ..timing import LEAD_IN_S, PAUSE_BETWEEN_BEATS_S, TAIL_S
from .text import SPOKEN_SYMBOLS, caption_words, normalise_text
from .wav import speech_bounds, read_wav, write_wav

if TYPE_CHECKING:  # the SDK is optional at run time
    from elevenlabs.core.request_options import RequestOptions

PROVIDER = "elevenlabs"
API_KEY_ENV = "ELEVENLABS_API_KEY"
BASE_URL_ENV = "ELEVENLABS_BASE_URL"
DEFAULT_OUTPUT_FORMAT = "pcm_24000"
VOICE_FIELD = "channels[..].voice.elevenlabs"  # the channel is not known here; the asset names it

# The formats of ``convert_with_timestamps`` (the SDK's TextToSpeechConvertWithTimestampsRequestOutputFormat).
OUTPUT_FORMATS = frozenset(
    [f"mp3_{r}" for r in ("22050_32", "24000_48", "44100_32", "44100_64", "44100_96", "44100_128", "44100_192")]
    + [f"opus_48000_{b}" for b in (32, 64, 96, 128, 192)]
    + [f"{c}_{r}" for c in ("pcm", "wav") for r in (8000, 16000, 22050, 24000, 32000, 44100, 48000)]
    + ["ulaw_8000", "alaw_8000"])
_RAW_FFMPEG_INPUT = {"ulaw": "mulaw", "alaw": "alaw"}
_API_KEY_FIX = (f"set {API_KEY_ENV} to a valid ElevenLabs API key (elevenlabs.io > Developers > API keys) "
                "with the Text to Speech permission")


# ---------------------------------------------------------------------------
# Output formats and audio


def parse_output_format(output_format: str) -> tuple[str, int]:
    """``"mp3_44100_128"`` -> ``("mp3", 44100)``; a format the API does not offer is a ConfigError."""
    if output_format not in OUTPUT_FORMATS:
        raise ConfigError(f"output format {output_format!r} is not one ElevenLabs offers",
                          field="ElevenLabsVoiceProvider.output_format",
                          fix=f"use {DEFAULT_OUTPUT_FORMAT!r} (every plan), or e.g. 'mp3_44100_128', 'pcm_16000', "
                              "'wav_24000' ('pcm_44100'/'wav_44100' need the Pro plan)")
    codec, rate = output_format.split("_")[:2]
    return codec, int(rate)


def malformed(what: str, *, beat: int | None = None) -> ProviderError:
    where = f"beat {beat + 1}: " if beat is not None else ""
    return ProviderError(f"malformed response: {where}{what}", provider=PROVIDER, transient=True,
                         fix="ElevenLabs answered with something unusable; it is retried, and if it persists "
                             "check status.elevenlabs.io or list piper after elevenlabs in providers.voice")


def decode_audio(data: bytes, output_format: str, *, beat: int | None = None) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the sample rate of one answer's audio bytes."""
    codec, rate = parse_output_format(output_format)
    if not data:
        raise malformed("the audio is empty", beat=beat)
    if codec == "pcm":
        if len(data) % 2:
            raise malformed(f"{len(data)} bytes of 16-bit PCM is not a whole number of samples", beat=beat)
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0, rate
    with tempfile.TemporaryDirectory(prefix="shortsmith-elevenlabs-") as tmp:
        src, dst = Path(tmp) / f"in.{codec}", Path(tmp) / "out.wav"
        src.write_bytes(data)
        raw = ["-f", _RAW_FFMPEG_INPUT[codec], "-ar", str(rate), "-ac", "1"] if codec in _RAW_FFMPEG_INPUT else []
        try:  # a missing ffmpeg (ToolMissingError) is not the provider's fault: it propagates
            run_ffmpeg(["-y", "-v", "error", *raw, "-i", str(src), "-ac", "1", "-ar", str(rate),
                        "-c:a", "pcm_s16le", str(dst)], timeout=120)
        except MediaError as exc:
            raise malformed(f"the {codec} audio could not be decoded ({exc.message.splitlines()[-1]})",
                            beat=beat) from None
        audio, got = read_wav(dst)
    if audio.size == 0:
        raise malformed("the audio decodes to no samples", beat=beat)
    return audio, got


# ---------------------------------------------------------------------------
# Alignment -> word timings


@dataclass(frozen=True)
class Alignment:
    characters: list[str]
    starts: list[float]
    ends: list[float]

    @property
    def text(self) -> str:
        return "".join(self.characters)


def _field(obj: Any, name: str, alias: str | None = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(alias or name, obj.get(name))
    return getattr(obj, name, None)


def read_alignment(raw: Any, *, beat: int | None = None, duration: float | None = None) -> Alignment | None:
    """An SDK ``CharacterAlignmentResponseModel`` (or its JSON dict) checked; None when absent or empty."""
    if raw is None:
        return None
    chars = _field(raw, "characters")
    starts = _field(raw, "character_start_times_seconds")
    ends = _field(raw, "character_end_times_seconds")
    if not chars and not starts and not ends:
        return None
    if not all(isinstance(x, (list, tuple)) for x in (chars, starts, ends)):
        raise malformed("the alignment lists are missing or not lists", beat=beat)
    if not (len(chars) == len(starts) == len(ends)):
        raise malformed(f"the alignment has {len(chars)} characters but {len(starts)} start and {len(ends)} end "
                        "times", beat=beat)
    if not all(isinstance(c, str) for c in chars):
        raise malformed("the alignment characters are not strings", beat=beat)
    try:
        s = [float(x) for x in starts]
        e = [float(x) for x in ends]
    except (TypeError, ValueError):
        raise malformed("the alignment times are not numbers", beat=beat) from None
    limit = (duration + 0.25) if duration is not None else math.inf
    prev = 0.0
    for k, (a, b) in enumerate(zip(s, e)):
        if not (math.isfinite(a) and math.isfinite(b)) or a < 0 or b < a - 1e-3 or a < prev - 1e-3:
            raise malformed(f"the alignment times are not in order at character {k} ({a}, {b})", beat=beat)
        if b > limit:
            raise malformed(f"the alignment ends at {b:.2f} s but the audio is {duration:.2f} s long", beat=beat)
        prev = a
    return Alignment(list(chars), s, e)


def _timed_span(word: str) -> tuple[int, int]:
    """Offsets (within ``word``) of the characters that carry its sound: letters, digits, spoken symbols."""
    idx = [k for k, ch in enumerate(word) if ch.isalnum() or ch in SPOKEN_SYMBOLS]
    return (idx[0], idx[-1] + 1) if idx else (0, len(word))


def word_times(words: Sequence[str], alignment: Alignment, *, beat: int | None = None,
               min_match: float = 0.6) -> list[tuple[float, float]]:
    """Start/end (seconds in the beat's audio) of every word of ``" ".join(words)`` from the alignment.

    When the alignment's text is the text sent, each word spans exactly its characters. When it
    differs (the normalised alignment: "3" spoken as "three"), the texts are matched with a
    sequence diff and a replaced run of text maps onto the run of characters spoken for it.
    """
    text = " ".join(words)
    # index of the alignment entry each character of the alignment's joined text belongs to
    owner = [k for k, c in enumerate(alignment.characters) for _ in c]
    spoken = alignment.text
    # for every text position: the half-open range of alignment-text positions it was spoken as
    lo = [-1] * len(text)
    hi = [-1] * len(text)
    if spoken == text:
        lo, hi = list(range(len(text))), list(range(1, len(text) + 1))
    else:
        sm = difflib.SequenceMatcher(None, text.lower(), spoken.lower(), autojunk=False)
        equal = 0
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op == "equal":
                equal += i2 - i1
                for d in range(i2 - i1):
                    lo[i1 + d], hi[i1 + d] = j1 + d, j1 + d + 1
            elif op == "replace":
                for d in range(i2 - i1):
                    a = j1 + (j2 - j1) * d // (i2 - i1)
                    b = j1 + -(-(j2 - j1) * (d + 1) // (i2 - i1))
                    lo[i1 + d], hi[i1 + d] = a, max(b, a + 1)
        letters = sum(ch.isalnum() for ch in text)
        if equal < min_match * max(1, letters):
            raise malformed(f"the alignment is for other text ({spoken[:60]!r} does not match the "
                            f"{text[:60]!r} sent)", beat=beat)
    times: list[tuple[float, float]] = []
    pos = 0
    for w in words:
        a, b = _timed_span(w)
        ranges = [(lo[k], hi[k]) for k in range(pos + a, pos + b) if lo[k] >= 0]
        if not ranges:
            raise malformed(f"the alignment has no characters for the word {w!r}", beat=beat)
        first = owner[min(r[0] for r in ranges)]
        last = owner[max(r[1] for r in ranges) - 1]
        times.append((alignment.starts[first], max(alignment.ends[last], alignment.starts[first])))
        pos += len(w) + 1
    return times


# ---------------------------------------------------------------------------
# One beat's answer


@dataclass
class BeatSpeech:
    """One beat as spoken: its audio and each word's start/end within that audio."""

    audio: np.ndarray  # mono float32
    rate: int
    times: list[tuple[float, float]]
    characters: int  # billed characters (the text sent)


def read_response(response: Any, words: Sequence[str], output_format: str, *, beat: int | None = None
                  ) -> BeatSpeech:
    """Audio and word timings from a ``convert_with_timestamps`` answer (SDK model or JSON dict)."""
    if response is None or isinstance(response, (str, bytes, list)):
        raise malformed(f"expected a JSON object, got {type(response).__name__}", beat=beat)
    b64 = _field(response, "audio_base_64", "audio_base64")
    if not isinstance(b64, str) or not b64:
        raise malformed("audio_base64 is missing or empty", beat=beat)
    try:
        data = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise malformed("audio_base64 is not valid base64", beat=beat) from None
    audio, rate = decode_audio(data, output_format, beat=beat)
    duration = len(audio) / rate
    text = " ".join(words)
    # ``alignment`` is for the text as sent; ``normalized_alignment`` only stands in when it is unusable
    usable: list[Alignment] = []
    problems: list[ProviderError] = []
    for name in ("alignment", "normalized_alignment"):
        try:
            found = read_alignment(_field(response, name), beat=beat, duration=duration)
        except ProviderError as exc:
            problems.append(exc)
            continue
        if found is not None and found.text == text:
            usable.insert(0, found)
            break
        if found is not None:
            usable.append(found)
    if not usable:
        raise problems[0] if problems else malformed(
            "the answer has no character alignment (alignment and normalized_alignment are empty)", beat=beat)
    for k, alignment in enumerate(usable):
        try:
            times = word_times(words, alignment, beat=beat)
            break
        except ProviderError:
            if k + 1 == len(usable):
                raise
    return BeatSpeech(audio=audio, rate=rate, times=times, characters=len(text))


# ---------------------------------------------------------------------------
# Joining beats


def join_beats(beats: Sequence[BeatSpeech], words: Sequence[Sequence[str]], out_wav: Path, *,
               lead_in_s: float = LEAD_IN_S, pause_s: float = PAUSE_BETWEEN_BEATS_S, tail_s: float = TAIL_S
               ) -> tuple[list[BeatAudio], float, int]:
    """Trim each beat to its speech and join: lead-in, beat, pause, beat, ..., tail.

    A beat's speech runs from the first to the last sample that is audible *or* covered by a
    word (so a soft word at an edge is never cut). Word times move with their beat and stay in
    order inside it. Writes ``out_wav`` (mono 16-bit) and returns the beats, the duration and
    the sample rate.
    """
    rate = beats[0].rate
    pieces: list[np.ndarray] = [np.zeros(int(round(lead_in_s * rate)), np.float32)]
    at = len(pieces[0])  # samples written so far
    out: list[BeatAudio] = []
    for i, (speech, beat_words) in enumerate(zip(beats, words)):
        if speech.rate != rate:
            raise malformed(f"the audio is at {speech.rate} Hz, the beats before at {rate} Hz", beat=i)
        loud_from, loud_to = speech_bounds(speech.audio, rate)
        first = min([loud_from] + [int(math.floor(a * rate)) for a, _ in speech.times])
        last = max([loud_to] + [int(math.ceil(b * rate)) for _, b in speech.times])
        first, last = max(0, first), min(len(speech.audio), last)
        if last <= first:
            raise InputError(f"beat {i + 1} produced no audible speech", field=f"beats[{i}].narration",
                             fix="check the narration has words the voice can say")
        begin, finish = at / rate, (at + last - first) / rate
        offset = (at - first) / rate
        timed: list[WordTiming] = []
        floor = begin
        for word, (a, b) in zip(beat_words, speech.times):
            start = min(finish, max(floor, a + offset))
            end = min(finish, max(start, b + offset))
            timed.append(WordTiming(word=word, start=round(start, 4), end=round(end, 4)))
            floor = end
        out.append(BeatAudio(index=i, start=round(begin, 4), end=round(finish, 4), words=timed))
        gap_s = pause_s if i + 1 < len(beats) else tail_s
        pieces += [speech.audio[first:last].astype(np.float32), np.zeros(int(round(gap_s * rate)), np.float32)]
        at += (last - first) + len(pieces[-1])
    track = np.concatenate(pieces)
    write_wav(Path(out_wav), track, rate)
    return out, len(track) / rate, rate


# ---------------------------------------------------------------------------
# The SDK call


def voice_settings_dict(voice: ElevenLabsVoice) -> dict:
    return {"stability": voice.stability, "similarity_boost": voice.similarity_boost, "style": voice.style,
            "speed": voice.speed}


def beat_words(texts: Sequence[str], *, model_id: str) -> list[list[str]]:
    """The caption words of every beat (what is sent, spoken and timed)."""
    if not texts:
        raise InputError("there is nothing to say", field="beats", fix="give the script at least one beat")
    out = []
    for i, t in enumerate(texts):
        # ElevenLabs' multilingual models read every script: the language label only names the voice
        words = caption_words(normalise_text(t, beat=i, language=f"ElevenLabs {model_id}"))
        if not words:
            raise InputError(f"beat {i + 1} has nothing to say", field=f"beats[{i}].narration",
                             fix="write the narration in words (emoji and symbols alone are not spoken)")
        out.append(words)
    return out


def _detail(body: Any) -> tuple[str, str, str]:
    """(status/code, message, param) of an ElevenLabs error body ``{"detail": ...}``."""
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list):  # FastAPI validation: [{"loc": [...], "msg": ..., "type": ...}]
        first = detail[0] if detail and isinstance(detail[0], dict) else {}
        loc = [str(x) for x in first.get("loc", []) if x not in ("body", "query", "path")]
        return str(first.get("type", "")), str(first.get("msg", "")), ".".join(loc)
    if isinstance(detail, dict):
        return (str(detail.get("status") or detail.get("code") or detail.get("type") or ""),
                str(detail.get("message") or detail.get("msg") or ""), str(detail.get("param") or ""))
    return "", str(detail or ""), ""


_SETTING_FIXES = {
    "stability": "use a value from 0.0 to 1.0",
    "similarity_boost": "use a value from 0.0 to 1.0",
    "style": "use a value from 0.0 to 1.0 (0 is the fastest)",
    "speed": "use a value from 0.7 to 1.2 (1.0 is normal speed)",
}


_QUOTA_FIX = ("top up or upgrade the ElevenLabs plan, or wait for the quota to reset; with piper listed after "
              "elevenlabs in providers.voice, Piper speaks meanwhile")


class QuotaExceeded(ProviderError):
    """The account has no characters left: not retried (it would not help); the voice asset falls back."""


def request_error(status: int, body: Any, *, beat: int | None = None) -> ProviderError:
    """A 4xx that retrying cannot fix, naming the setting to change."""
    code, message, param = _detail(body)
    said = f"HTTP {status} {code}: {message}".strip().rstrip(":")
    key = f"{code} {param} {message}".lower()
    if status in (401, 402, 403) and code in ("quota_exceeded", "payment_required"):
        return QuotaExceeded(f"{said} (the account's character quota is used up)", provider=PROVIDER,
                             status=status, fix=_QUOTA_FIX)
    if status in (401, 403):
        return ProviderError(f"{said} (the key was refused)", provider=PROVIDER, status=status, field=API_KEY_ENV,
                             fix=_API_KEY_FIX)
    for setting, fix in _SETTING_FIXES.items():
        if setting in key:
            return ProviderError(said, provider=PROVIDER, status=status, field=f"{VOICE_FIELD}.{setting}", fix=fix)
    if "voice" in key:
        return ProviderError(said, provider=PROVIDER, status=status, field=f"{VOICE_FIELD}.voice_id",
                             fix="use the id of a voice in your ElevenLabs library (Voices > ... > Copy voice ID, "
                                 "or GET /v1/voices), not its name")
    if "model" in key:
        return ProviderError(said, provider=PROVIDER, status=status, field=f"{VOICE_FIELD}.model_id",
                             fix="use a text-to-speech model id such as 'eleven_multilingual_v2', "
                                 "'eleven_turbo_v2_5' or 'eleven_flash_v2_5' (GET /v1/models)")
    if "output_format" in key:
        return ProviderError(said, provider=PROVIDER, status=status, field="ElevenLabsVoiceProvider.output_format",
                             fix=f"use {DEFAULT_OUTPUT_FORMAT!r}, which every plan may use")
    if "text" in key or "character" in key:
        return ProviderError(said, provider=PROVIDER, status=status,
                             field=f"beats[{beat}].narration" if beat is not None else "beats[].narration",
                             fix="shorten the beat's narration or remove characters the voice cannot say")
    return ProviderError(said, provider=PROVIDER, status=status, field=VOICE_FIELD,
                         fix="the request was rejected; check the channel's voice.elevenlabs settings")


def classify(exc: BaseException, *, beat: int | None = None) -> ProviderError | None:
    """An ``elevenlabs``/``httpx`` exception as a ProviderError (None: not the provider's)."""
    import httpx
    import pydantic

    from elevenlabs.core.api_error import ApiError
    from elevenlabs.core.parse_error import ParsingError

    if isinstance(exc, (ParsingError, pydantic.ValidationError, json.JSONDecodeError)):
        return malformed(f"the answer does not have the expected shape ({type(exc).__name__})", beat=beat)
    if isinstance(exc, ApiError):
        status = exc.status_code
        if status is not None and 200 <= status < 300:  # the SDK could not decode the JSON of a 200
            return malformed(f"the body is not JSON: {str(exc.body)[:80]!r}", beat=beat)
        if status is not None and 400 <= status < 500 and status not in (408, 429):
            return request_error(status, exc.body, beat=beat)
        code, message, _ = _detail(exc.body)
        return http_error(PROVIDER, status, f"{code}: {message}" if code else message, exc.headers)
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(f"no answer in time ({type(exc).__name__})", provider=PROVIDER, transient=True,
                             fix="ElevenLabs is slow; it is retried. Raise ElevenLabsVoiceProvider.timeout_s if "
                                 "long beats time out")
    if isinstance(exc, httpx.TransportError):
        return ProviderError(f"connection failed ({type(exc).__name__}: {exc})", provider=PROVIDER, transient=True,
                             fix="check the network (and ELEVENLABS_BASE_URL, if set)")
    return None


@dataclass
class ElevenLabsTTS:
    """Speaks a script through the ``elevenlabs`` SDK; see the module docstring."""

    api_key: str = field(repr=False)
    base_url: str | None = None
    timeout_s: float = 60.0
    max_attempts: int = 4
    requests_per_minute: int = 0
    output_format: str = DEFAULT_OUTPUT_FORMAT

    def synthesize(self, texts: Sequence[str], out_wav: Path, voice: ElevenLabsVoice, calls: CallContext
                   ) -> Voiceover:
        if not self.api_key:
            raise ProviderUnavailable(f"no API key ({API_KEY_ENV} is not set)", provider=PROVIDER,
                                      fix=f"set {API_KEY_ENV}, or leave elevenlabs out of providers.voice")
        parse_output_format(self.output_format)
        for name in ("voice_id", "model_id"):
            if not str(getattr(voice, name) or "").strip():
                raise ConfigError(f"{name} is empty", field=f"{VOICE_FIELD}.{name}",
                                  fix=f"set voice.elevenlabs.{name} in channels.yaml, or remove it for the default")
        words = beat_words(texts, model_id=voice.model_id)
        sent = [" ".join(w) for w in words]
        import httpx

        try:
            from elevenlabs import ElevenLabs, VoiceSettings
        except ImportError as exc:
            raise ToolMissingError("the elevenlabs SDK is not installed", field="providers.voice",
                                   fix="pip install 'elevenlabs>=2.78,<3', or leave elevenlabs out of "
                                       "providers.voice") from exc
        settings = VoiceSettings(**voice_settings_dict(voice))
        # calls.call is the only retry loop; the SDK types the timeout int but hands it to httpx, which takes float
        options: RequestOptions = {"max_retries": 0,
                                   "timeout_in_seconds": self.timeout_s}  # type: ignore[typeddict-item]
        spoken: list[BeatSpeech] = []
        with httpx.Client(timeout=self.timeout_s) as http:
            client = ElevenLabs(api_key=self.api_key, base_url=self.base_url or None, timeout=self.timeout_s,
                                httpx_client=http)
            for i, text in enumerate(sent):
                context = {"previous_text": sent[i - 1]} if i > 0 else {}
                if i + 1 < len(sent):
                    context["next_text"] = sent[i + 1]

                def once(i: int = i, text: str = text, context: dict = context) -> BeatSpeech:
                    response = client.text_to_speech.convert_with_timestamps(
                        voice.voice_id, text=text, model_id=voice.model_id, voice_settings=settings,
                        output_format=self.output_format, request_options=options, **context)
                    return read_response(response, words[i], self.output_format, beat=i)

                try:
                    speech = calls.call(once, provider=PROVIDER, classify=functools.partial(classify, beat=i),
                                        policy=RetryPolicy(max_attempts=self.max_attempts),
                                        per_minute=self.requests_per_minute, secrets=[self.api_key])
                except QuotaExceeded as exc:  # not worth retrying, but another provider can speak
                    raise ProviderUnavailable(exc.message.removeprefix(f"{PROVIDER}: "), provider=PROVIDER,
                                              fix=_QUOTA_FIX) from None
                calls.meter.add(PROVIDER, "tts", character=speech.characters)
                calls.log(f"{PROVIDER}: beat {i + 1}: {speech.characters} characters, "
                          f"{len(speech.audio) / speech.rate:.2f} s of audio")
                spoken.append(speech)
        beats, duration, rate = join_beats(spoken, words, out_wav)
        return Voiceover(wav_path=str(out_wav), sample_rate=rate, duration=duration, beats=beats,
                         engine=f"{PROVIDER}:{voice.model_id}:{voice.voice_id}", timing_source="alignment")
