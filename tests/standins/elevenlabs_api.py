"""A loopback stand-in for the ElevenLabs text-to-speech API (with timestamps).

It answers ``POST /v1/text-to-speech/{voice_id}/with-timestamps?output_format=...`` the way
the real API does for the official ``elevenlabs`` SDK:

- the key comes in the ``xi-api-key`` header; a missing or wrong key gets 401
  ``{"detail": {"status": "invalid_api_key", ...}}``, a used-up quota 401 ``quota_exceeded``;
- an unknown voice is 404 ``voice_not_found``, an unknown model 400 ``model_not_found``;
  body and query validation errors are FastAPI's 422 ``{"detail": [{"loc", "msg", "type"}]}``;
- a success is ``{"audio_base64", "alignment", "normalized_alignment"}``: real audio in the
  requested format (raw 16-bit PCM, or encoded by the project's ffmpeg for mp3/opus/wav/...)
  and a character alignment that matches it. Every letter or digit is a short tone that
  starts and ends exactly at its aligned times; spaces and punctuation are silence; there
  is some silence before the first and after the last character, as in real speech.
  ``normalized_alignment`` spells digits out and starts with a space, as the real one does.

``corrupt(kind)`` makes the next successful answer unusable in a specific way (see
``CORRUPTIONS``); the base class's ``fault(...)`` scripts HTTP-level faults. ``answers``
keeps every JSON answer sent, so tests can compare timings with the alignment given.
"""

from __future__ import annotations

import base64
import math
import re
import tempfile
from pathlib import Path

import numpy as np

from shortsmith.ffmpeg import run_ffmpeg
from shortsmith.voice.wav import write_wav

from .server import Fault, Reply, Request, StandIn, json_reply

VOICES = {"21m00Tcm4TlvDq8ikWAM": "Rachel", "pNInz6obpgDQGcFmaJgB": "Adam", "EXAVITQu4vr4xnEhQ8Ju": "Bella"}
MODELS = {"eleven_multilingual_v2", "eleven_turbo_v2_5", "eleven_flash_v2_5", "eleven_v3"}
FORMATS = ({f"mp3_{r}" for r in ("22050_32", "24000_48", "44100_32", "44100_64", "44100_96", "44100_128",
                                 "44100_192")}
           | {f"opus_48000_{b}" for b in (32, 64, 96, 128, 192)}
           | {f"{c}_{r}" for c in ("pcm", "wav") for r in (8000, 16000, 22050, 24000, 32000, 44100, 48000)}
           | {"ulaw_8000", "alaw_8000"})
CORRUPTIONS = ("no_alignment", "short_lengths", "empty_audio", "bad_base64", "wrong_text", "bad_audio",
               "only_normalized", "times_past_audio")

_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
LEAD_S, TAIL_S = 0.08, 0.12  # silence before the first / after the last character
LETTER_S, SPACE_S, PAUSE_S = 0.055, 0.03, 0.16  # seconds per letter, space, clause punctuation


def char_seconds(ch: str, speed: float) -> float:
    if ch.isalnum():
        base = LETTER_S
    elif ch in ",;:.!?":
        base = PAUSE_S
    else:
        base = SPACE_S
    return base / speed


def alignment_for(text: str, speed: float = 1.0, start: float = LEAD_S) -> dict:
    chars, starts, ends = [], [], []
    t = start
    for ch in text:
        d = char_seconds(ch, speed)
        chars.append(ch)
        starts.append(round(t, 3))
        t += d
        ends.append(round(t, 3))
    return {"characters": chars, "character_start_times_seconds": starts, "character_end_times_seconds": ends}


def normalize(text: str) -> tuple[str, list[tuple[int, int]]]:
    """What ElevenLabs' normaliser makes of the text (digits spelled out, a leading space), and for
    every written character the run of normalised characters spoken for it."""
    out, spans = " ", []
    for i, ch in enumerate(text):
        if ch.isdigit():
            piece = _DIGITS[int(ch)] + (" " if text[i + 1:i + 2].isdigit() else "")
        else:
            piece = ch
        spans.append((len(out), len(out) + len(piece.rstrip(" ") or piece)))
        out += piece
    return out, spans


def render(alignment: dict, rate: int) -> np.ndarray:
    """Audio whose letters sound exactly when the alignment says (a tone per letter or digit)."""
    total = alignment["character_end_times_seconds"][-1] + TAIL_S if alignment["characters"] else TAIL_S
    audio = np.zeros(int(math.ceil(total * rate)), np.float32)
    for ch, a, b in zip(alignment["characters"], alignment["character_start_times_seconds"],
                        alignment["character_end_times_seconds"]):
        if not ch.isalnum():
            continue
        i, j = int(round(a * rate)), int(round(b * rate))
        n = j - i
        if n <= 0:
            continue
        f = 180.0 + 9.0 * (ord(ch.lower()) % 40)
        t = np.arange(n) / rate
        env = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / max(1, rate * 0.004))
        audio[i:j] = 0.5 * np.sin(2 * math.pi * f * t) * env
    return audio


def encode(audio: np.ndarray, output_format: str) -> bytes:
    codec, rate = output_format.split("_")[0], int(output_format.split("_")[1])
    pcm = np.round(np.clip(audio, -1, 1) * 32767).astype("<i2")
    if codec == "pcm":
        return pcm.tobytes()
    with tempfile.TemporaryDirectory(prefix="elevenlabs-standin-") as tmp:
        src = Path(tmp) / "in.wav"
        write_wav(src, audio, rate)
        if codec == "wav":
            return src.read_bytes()
        out = Path(tmp) / f"out.{codec}"
        args = {"mp3": ["-c:a", "libmp3lame", "-b:a", f"{output_format.split('_')[2]}k", "-f", "mp3"],
                "opus": ["-c:a", "libopus", "-b:a", f"{output_format.split('_')[2]}k", "-f", "ogg"],
                "ulaw": ["-c:a", "pcm_mulaw", "-f", "mulaw"],
                "alaw": ["-c:a", "pcm_alaw", "-f", "alaw"]}[codec]
        run_ffmpeg(["-y", "-v", "error", "-i", str(src), "-ac", "1", "-ar", str(rate), *args, str(out)], timeout=60)
        return out.read_bytes()


def _detail(status: str, message: str) -> dict:
    return {"detail": {"status": status, "message": message}}


def _invalid(loc: list, msg: str, typ: str = "value_error", value=None) -> Reply:
    return json_reply({"detail": [{"type": typ, "loc": loc, "msg": msg, "input": value}]}, 422)


class ElevenLabsStandIn(StandIn):
    def __init__(self, api_key: str = "sk_test_0123456789abcdef", *, quota_characters: int | None = None):
        self.api_key = api_key
        self.quota_characters = quota_characters  # None: unlimited
        self.characters_used = 0
        self.answers: list[dict] = []  # every successful JSON answer, in order
        self._corrupt: list[str] = []
        super().__init__()

    def corrupt(self, kind: str, times: int = 1) -> None:
        assert kind in CORRUPTIONS, kind
        with self._lock:
            self._corrupt.extend([kind] * times)

    def tts_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/with-timestamps")]

    # -- errors in ElevenLabs' shape ------------------------------------------------
    def error_reply(self, status: int, fault: Fault) -> Reply:
        if fault.body is not None:
            return Reply(status, fault.body)
        shapes = {
            401: _detail("invalid_api_key", "Invalid API key"),
            429: _detail("too_many_concurrent_requests",
                         "Too many concurrent requests. Your current subscription is associated with a maximum of "
                         "5 concurrent requests."),
            500: _detail("internal_server_error", "An internal server error occurred."),
            503: _detail("system_busy", "We are experiencing an unusually high volume of requests."),
        }
        return Reply(status, shapes.get(status, _detail("error", f"injected {status}")))

    # -- the API --------------------------------------------------------------------
    def route(self, req: Request) -> Reply | None:
        m = re.fullmatch(r"/v1/text-to-speech/([^/]+)/with-timestamps", req.path)
        if req.method != "POST" or not m:
            return json_reply({"detail": "Not Found"}, 404)
        if req.headers.get("xi-api-key") != self.api_key:
            return json_reply(_detail("invalid_api_key", "Invalid API key"), 401)
        voice_id = m.group(1)
        output_format = (req.query.get("output_format") or ["mp3_44100_128"])[0]
        if output_format not in FORMATS:
            return _invalid(["query", "output_format"], "Input should be one of the supported formats",
                            "literal_error", output_format)
        try:
            body = req.json()
        except ValueError:
            return _invalid(["body"], "JSON decode error", "json_invalid")
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return _invalid(["body", "text"], "Field required" if text is None else "Text must not be empty",
                            "missing" if text is None else "value_error", text)
        settings = body.get("voice_settings") or {}
        for key, lo, hi in (("stability", 0, 1), ("similarity_boost", 0, 1), ("style", 0, 1), ("speed", 0.7, 1.2)):
            v = settings.get(key)
            if v is not None and not lo <= float(v) <= hi:
                return _invalid(["body", "voice_settings", key],
                                f"Input should be less than or equal to {hi}" if v > hi
                                else f"Input should be greater than or equal to {lo}", "value_error", v)
        model_id = body.get("model_id") or "eleven_multilingual_v2"
        if model_id not in MODELS:
            return json_reply(_detail("model_not_found", f"A model with model ID {model_id} does not exist."), 400)
        if voice_id not in VOICES:
            return json_reply(_detail("voice_not_found", f"A voice with the voice_id {voice_id} was not found."), 404)
        if self.quota_characters is not None and self.characters_used + len(text) > self.quota_characters:
            left = self.quota_characters - self.characters_used
            return json_reply(_detail("quota_exceeded",
                                      f"This request exceeds your quota of {self.quota_characters}. You have {left} "
                                      f"credits remaining, while {len(text)} credits are required for this request."),
                              401)
        with self._lock:
            kind = self._corrupt.pop(0) if self._corrupt else None
        return json_reply(self._speak(text, float(settings.get("speed") or 1.0), output_format, kind))

    def _speak(self, text: str, speed: float, output_format: str, kind: str | None) -> dict:
        rate = int(output_format.split("_")[1])
        spoken, spans = normalize(text)
        normalized = alignment_for(spoken, speed, start=LEAD_S - SPACE_S / speed)
        audio = encode(render(normalized, rate), output_format)  # what is spoken is the normalised text
        starts, ends = normalized["character_start_times_seconds"], normalized["character_end_times_seconds"]
        alignment = {"characters": list(text), "character_start_times_seconds": [starts[a] for a, _ in spans],
                     "character_end_times_seconds": [ends[b - 1] for _, b in spans]}
        answer = {"audio_base64": base64.b64encode(audio).decode(), "alignment": alignment,
                  "normalized_alignment": normalized}
        if kind == "no_alignment":
            answer["alignment"] = answer["normalized_alignment"] = None
        elif kind == "short_lengths":
            answer["alignment"]["character_end_times_seconds"] = answer["alignment"]["character_end_times_seconds"][:-2]
            answer["normalized_alignment"] = None
        elif kind == "empty_audio":
            answer["audio_base64"] = ""
        elif kind == "bad_base64":
            answer["audio_base64"] = "!!not base64!!"
        elif kind == "bad_audio":
            answer["audio_base64"] = base64.b64encode(b"\x00\x01garbage, not audio" * 3).decode()
        elif kind == "wrong_text":
            other = alignment_for("Completely different words were spoken here instead", speed)
            answer["alignment"] = answer["normalized_alignment"] = other
        elif kind == "only_normalized":
            answer["alignment"] = None
        elif kind == "times_past_audio":
            answer["alignment"]["character_end_times_seconds"][-1] += 30.0
            answer["normalized_alignment"] = None
        else:
            self.characters_used += len(text)
        self.answers.append(answer)
        return answer
