"""Word timings from Piper's phoneme alignments.

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
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
from .text import spoken_form, word_weight
from .wav import speech_bounds



# A phoneme "unit" for alignment: a base phoneme with its stress mark and length marks.
_STRESS = set("ˈˌ")
_BOUNDARY = set("^$_ ")


def _is_boundary(ph: str) -> bool:
    return ph in _BOUNDARY or unicodedata.category(ph[0])[0] in "PZ" or ph in "—…"


def phoneme_units(phonemes: list[str], counts: list[int] | None = None) -> list[tuple[str, int, int]]:
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
    return [[u[0] for u in phoneme_units([p for sent in voice.phonemize(w) for p in sent])] for w in spoken_words]


def spread(weights: list[float], start: float, end: float) -> list[tuple[float, float]]:
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


def time_sentence(voice, words: list[str], phonemes: list[str], counts: list[int] | None,
                   audio: np.ndarray, rate: int) -> tuple[list[tuple[float, float]], str]:
    """Start/end (seconds, from the sentence's first sample) of each written word."""
    STATS.sentences += 1
    expected = _word_units(voice, [spoken_form(w) for w in words])
    weights = [len(e) + 0.5 if e else word_weight(w) for w, e in zip(words, expected)]
    units = phoneme_units(phonemes, counts) if counts is not None and sum(counts) == len(audio) else []
    if not units:  # no alignments from this model: phoneme counts over the audible speech
        lo, hi = speech_bounds(audio, rate)
        return [(a / rate, b / rate) for a, b in spread(weights, lo, hi)], "phoneme-weights"
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


def least_exact(sources: set[str]) -> str:
    for s in ("character-weights", "phoneme-weights", "alignment"):
        if s in sources:
            return s
    return "alignment"
