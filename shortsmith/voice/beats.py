"""Speaking a script with the local voices: each beat synthesized on its own, trimmed, joined with silences.

Every beat is synthesized on its own, so where it starts and ends in the joined voice
track is known exactly (no guessing where one beat's speech stops). The beats are
trimmed to their speech and joined with silence into one mono 16-bit WAV at the
voice's sample rate (22050 Hz for the default voice; the renderer resamples).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from ..errors import InputError, ToolMissingError
from ..model import BeatAudio, Voiceover, WordTiming
from ..timing import LEAD_IN_S, PAUSE_BETWEEN_BEATS_S, TAIL_S
from .alignment import least_exact
from .espeak import synthesize_espeak, espeak_binary
from .piper import VoiceSpec, synthesize_piper, voice_paths, load_piper, voice_name
from .text import caption_words, normalise_text
from .wav import speech_bounds, write_wav

_LOG = logging.getLogger(__name__)


def _voice_language(spec: VoiceSpec, config_path: str | None) -> str:
    if spec.engine != "piper" or config_path is None:
        return "en-us"
    try:
        return json.loads(Path(config_path).read_text(encoding="utf-8"))["espeak"]["voice"]
    except Exception:
        return "en-us"


def synthesize_beats(texts: list[str], out_wav: Path, spec: VoiceSpec | None = None, *,
                     lead_in_s: float = LEAD_IN_S, pause_s: float = PAUSE_BETWEEN_BEATS_S,
                     tail_s: float = TAIL_S) -> Voiceover:
    """Speak each beat, join them into ``out_wav`` and return every beat's and word's timing.

    The track is ``lead_in_s`` of silence, beat 1's speech, ``pause_s`` of silence, beat 2's
    speech, ... and ``tail_s`` of silence. Each beat's ``start``/``end`` is its first/last
    sample of speech in the track; each word's timing lies inside its beat, in order.
    """
    spec = spec or VoiceSpec()
    if not texts:
        raise InputError("there is nothing to say", field="beats", fix="give the script at least one beat")
    if spec.engine not in ("piper", "espeak"):
        raise InputError(f"unknown voice engine {spec.engine!r}", field="voice.engine",
                         fix="use 'piper' (default) or 'espeak'")

    voice = None
    engine = "espeak-ng"
    config_path = None
    if spec.engine == "piper":
        if spec.model_path:
            voice_paths(spec)  # a wrong path is a configuration mistake: never hide it behind another voice
        try:
            voice = load_piper(spec)
            model_path, config_path = voice_paths(spec)
            engine = f"piper:{voice_name(model_path)}"
        except ToolMissingError as piper_error:
            if spec.fallback != "espeak":
                raise
            if espeak_binary() is None:
                raise ToolMissingError(
                    f"no voice can speak: Piper failed ({piper_error.message}) and the espeak-ng fallback "
                    "is not installed", field="voice.model_path",
                    fix=f"{piper_error.fix} Or install espeak-ng (apt-get install espeak-ng) as the fallback."
                ) from piper_error
            _LOG.warning("Piper could not load (%s); falling back to espeak-ng", piper_error.message)
            engine = "espeak-ng (fallback: Piper could not load)"
    if voice is not None:
        language = voice.config.espeak_voice
    else:
        try:
            config_path = voice_paths(spec)[1] if spec.engine == "piper" else None
        except ToolMissingError:
            config_path = None
        language = _voice_language(spec, config_path)

    beat_words: list[list[str]] = []
    for i, t in enumerate(texts):
        words = caption_words(normalise_text(t, beat=i, language=language))
        if not words:
            raise InputError(f"beat {i + 1} has nothing to say", field=f"beats[{i}].narration",
                             fix="write the narration in words (emoji and symbols alone are not spoken)")
        beat_words.append(words)

    rate = 0  # set by the first beat: the Piper voice's configured rate, or the one espeak-ng reports
    track: list[np.ndarray] = []
    beats: list[BeatAudio] = []
    sources: set[str] = set()
    cursor = 0
    for i, words in enumerate(beat_words):
        if voice is not None:
            audio, times, source = synthesize_piper(voice, words, spec)
            beat_rate = int(voice.config.sample_rate)
        else:
            audio, times, source, beat_rate = synthesize_espeak(words, spec, language)
        rate = rate or beat_rate
        sources.add(source)
        if i == 0:
            lead = np.zeros(int(round(lead_in_s * rate)), np.float32)
            track.append(lead)
            cursor = len(lead)
        lo, hi = speech_bounds(audio, rate)
        if hi <= lo:
            raise InputError(f"beat {i + 1} produced no audible speech", field=f"beats[{i}].narration",
                             fix="check the narration has words the voice can say")
        track.append(audio[lo:hi])
        b_start, b_end = cursor / rate, (cursor + hi - lo) / rate
        shift = (cursor - lo) / rate
        timed = []
        prev_end = b_start
        for w, (a, b) in zip(words, times):
            start = min(max(a + shift, prev_end, b_start), b_end)
            end = min(max(b + shift, start), b_end)
            timed.append(WordTiming(word=w, start=round(start, 4), end=round(end, 4)))
            prev_end = end
        beats.append(BeatAudio(index=i, start=round(b_start, 4), end=round(b_end, 4), words=timed))
        cursor += hi - lo
        gap = np.zeros(int(round((pause_s if i < len(beat_words) - 1 else tail_s) * rate)), np.float32)
        track.append(gap)
        cursor += len(gap)
    joined = np.concatenate(track)
    write_wav(Path(out_wav), joined, rate)
    return Voiceover(wav_path=str(out_wav), sample_rate=rate, duration=len(joined) / rate, beats=beats,
                     engine=engine, timing_source=least_exact(sources))
