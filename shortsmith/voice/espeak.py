"""The espeak-ng fallback (Debian's program): speech without alignments, words spread by phoneme or letter counts."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import numpy as np

from ..errors import ToolMissingError
from .alignment import spread, phoneme_units
from .piper import VoiceSpec
from .text import spoken_form, word_weight
from .wav import speech_bounds, read_wav


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


def _espeak_phoneme_counts(binary: str, words: list[str], language: str) -> list[int] | None:
    """Phonemes per written word from ``espeak-ng --ipa`` (one word per line), or None."""
    lines = "\n".join(re.sub(r"[.!?]+$", "", spoken_form(w)) + "." for w in words)
    try:
        out = subprocess.run([binary, "-q", "--ipa", "-v", language], input=lines.encode(), capture_output=True,
                             timeout=60, check=True).stdout.decode(errors="replace")
    except (subprocess.SubprocessError, OSError):
        return None
    rows = [r.strip() for r in out.splitlines() if r.strip()]
    if len(rows) != len(words):
        return None
    return [len(phoneme_units(list(unicodedata.normalize("NFD", r)))) for r in rows]


def synthesize_espeak(words: list[str], spec: VoiceSpec, language: str = "en-us"
                       ) -> tuple[np.ndarray, list[tuple[float, float]], str, int]:
    """One beat with Debian's espeak-ng; words spread over the speech by phoneme (or letter) counts."""
    binary = espeak_binary()
    if binary is None:
        raise ToolMissingError("espeak-ng is not installed", field="voice.engine",
                               fix="install it (apt-get install espeak-ng) or use the Piper engine")
    text = " ".join(spoken_form(w) for w in words)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "beat.wav"
        speed = str(int(round(165 / max(0.25, spec.length_scale))))
        try:
            subprocess.run([binary, "-v", language, "-s", speed, "-w", str(out), "--", text], check=True,
                           capture_output=True, timeout=120)
        except subprocess.CalledProcessError as exc:
            raise ToolMissingError(f"espeak-ng failed: {exc.stderr.decode(errors='replace').strip()}",
                                   field="voice.engine", fix="check the espeak-ng install (espeak-ng --version)") from exc
        audio, rate = read_wav(out)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 1e-6:
        audio = audio / peak * spec.volume
    lo, hi = speech_bounds(audio, rate)
    counts = _espeak_phoneme_counts(binary, words, language)
    source = "phoneme-weights" if counts else "character-weights"
    speech = [c + 0.5 for c in counts] if counts else [word_weight(w) for w in words]
    # espeak pauses after clause punctuation: give those words a share of silence at their end
    pause = [0.7 * sum(speech) / len(speech) if spoken_form(w)[-1] in ",;:.!?" else 0.0 for w in words]
    edges = spread([a + b for a, b in zip(speech, pause)], lo / rate, hi / rate)
    times = [(a, b - (b - a) * p / (s + p)) for (a, b), s, p in zip(edges, speech, pause)]
    return audio.astype(np.float32), times, source, rate
