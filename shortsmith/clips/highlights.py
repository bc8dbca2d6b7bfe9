"""Choosing the highlights of a long video: N segments of 20-60 s that start and end on sentences.

Candidates are every run of whole sentences (from the transcript) whose span is inside the
bounds, so a clip never starts or ends mid-sentence. Each candidate is scored by what makes a
Short hold on its own (each term is justified where it is computed, in :func:`score_window`):

- content density: content words (not stop words) per second; talk that says something
  rather than filler;
- a hook: a first sentence that is a question, or states a number, makes the viewer stay;
  questions and numbers inside add a little;
- energy: the speech's loudness against the source's median (animated delivery);
- dead air: internal pauses over 1 s cost;
- context: a first sentence opening with a connective ("and", "but", "so", "because", "this",
  pronouns...) leans on what came before and costs;
- length: a mild preference for 30-45 s (long enough to land a point, short enough to finish).

Then the set of non-overlapping candidates with the highest total score is taken (as many as asked
for, when the source is long enough: :func:`best_set`). A configured language model may pick
instead (:func:`shortsmith.clips.llm_pick.pick_with_model`); its choice is checked against the same
bounds and falls back to this score when it is unusable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..transcribe import SAMPLE_RATE, Sentence, Transcript, normalise_words

MIN_S, MAX_S = 20.0, 60.0

STOP_WORDS = frozenset("""a an the and or but so if then than that this these those there here is are was were be been
being am do does did doing have has had having i me my we our you your he him his she her it its they them their
what which who whom whose when where why how all any both each few more most other some such no nor not only own
same too very can will just should now of at by for with about against between into through during before after
above below to from up down in out on off over under again further once um uh like yeah okay oh well really
actually basically kind sort going gonna get got thing things lot""".split())
CONNECTIVES = frozenset("and but so because then also this that these those it he she they them which or".split())
NUMBER_WORDS = frozenset("""one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
hundred hundreds thousand thousands million millions billion billions percent half double triple""".split())


@dataclass(frozen=True)
class Highlight:
    first_sentence: int
    last_sentence: int
    start: float  # seconds in the source: the first word's start (minus a small lead)
    end: float  # the last word's end (plus a small tail)
    score: float
    text: str
    reasons: dict  # each term of the score, for the metadata and the README's justification

    @property
    def duration(self) -> float:
        return self.end - self.start


def loudness_per_second(audio: np.ndarray, rate: int = SAMPLE_RATE) -> np.ndarray:
    """RMS level in dB of each second of audio (for the energy term)."""
    n = len(audio) // rate
    if n == 0:
        return np.zeros(0)
    frames = audio[: n * rate].reshape(n, rate).astype(np.float64)
    rms = np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-9
    return 20 * np.log10(rms)


def _has_number(text: str) -> bool:
    return bool(re.search(r"\d", text)) or any(w in NUMBER_WORDS for w in normalise_words(text))


def score_window(sentences: list[Sentence], transcript: Transcript, loudness: np.ndarray | None,
                 median_db: float) -> tuple[float, dict]:
    """The score of one run of sentences and its terms."""
    start, end = sentences[0].start, sentences[-1].end
    dur = max(end - start, 1e-6)
    words = [w for s in sentences for w in normalise_words(s.text)]
    content = [w for w in words if w not in STOP_WORDS and len(w) > 2]
    # Density: content words per second, ~1.0-1.5 in informative talk, ~0.5 in rambling.
    density = len(content) / dur
    # Hook: the first sentence decides whether a viewer stays (retention drops most in the first seconds).
    first = sentences[0].text
    hook = 0.6 * first.rstrip().endswith("?") + 0.4 * _has_number(first)
    # Questions and numbers later keep attention, with less weight, capped.
    inner = min(0.6, 0.15 * sum(s.text.rstrip().endswith("?") or _has_number(s.text) for s in sentences[1:]))
    # Energy: mean loudness over the window against the source median; +-6 dB maps to +-0.5.
    energy = 0.0
    if loudness is not None and loudness.size:
        seg = loudness[int(start): max(int(start) + 1, int(np.ceil(end)))]
        if seg.size:
            energy = float(np.clip((float(np.mean(seg)) - median_db) / 12.0, -0.5, 0.5))
    # Dead air: seconds of pauses over 1 s between the window's words.
    ws = transcript.words[sentences[0].first: sentences[-1].last + 1]
    dead = sum(max(0.0, b.start - a.end - 1.0) for a, b in zip(ws, ws[1:]))
    dead_air = -0.1 * dead
    # Context: an opening that points back ("And...", "This is why...") does not stand alone.
    opening = normalise_words(first)[:1]
    context = -0.5 if opening and opening[0] in CONNECTIVES else 0.0
    # Length: 30-45 s best; a gentle slope outside.
    length = -0.02 * max(0.0, 30.0 - dur) - 0.02 * max(0.0, dur - 45.0)
    terms = {"density": round(density, 3), "hook": round(hook, 3), "inner": round(inner, 3),
             "energy": round(energy, 3), "dead_air": round(dead_air, 3), "context": context,
             "length": round(length, 3)}
    return round(sum(terms.values()), 4), terms


def candidates(transcript: Transcript, *, min_s: float = MIN_S, max_s: float = MAX_S,
               audio: np.ndarray | None = None) -> list[Highlight]:
    """Every run of whole sentences lasting min_s..max_s, scored (best first)."""
    sents = transcript.sentences()
    loudness = loudness_per_second(audio) if audio is not None else None
    median_db = float(np.median(loudness)) if loudness is not None and loudness.size else 0.0
    out: list[Highlight] = []
    for i in range(len(sents)):
        for j in range(i, len(sents)):
            dur = sents[j].end - sents[i].start
            if dur > max_s:
                break
            if dur < min_s:
                continue
            score, terms = score_window(sents[i:j + 1], transcript, loudness, median_db)
            out.append(Highlight(i, j, sents[i].start, sents[j].end, score,
                                 " ".join(s.text for s in sents[i:j + 1]), terms))
    out.sort(key=lambda h: (-h.score, h.start))
    return out


def choose(transcript: Transcript, count: int, *, min_s: float = MIN_S, max_s: float = MAX_S,
           audio: np.ndarray | None = None, lead_s: float = 0.15, tail_s: float = 0.35) -> list[Highlight]:
    """The ``count`` best non-overlapping highlights, in source order, padded by a breath each side."""
    if count < 1:
        raise InputError(f"count {count} asks for no clips", field="count", fix="ask for 1 or more clips")
    pool = candidates(transcript, min_s=min_s, max_s=max_s, audio=audio)
    if not pool:
        raise InputError(f"the transcript ({transcript.duration:.0f} s, {len(transcript.sentences())} sentences) has "
                         f"no run of whole sentences lasting {min_s:.0f}-{max_s:.0f} s", field="source",
                         fix="use a longer source with speech, or lower the minimum clip length")
    chosen = best_set(pool, count)
    return [pad(h, transcript, lead_s, tail_s) for h in chosen]


def best_set(pool: list[Highlight], count: int) -> list[Highlight]:
    """As many non-overlapping candidates as possible (up to ``count``), with the highest total score.

    Weighted interval scheduling over sentences (dynamic programming), so asking for two clips of a
    talk whose single best window covers its middle gives two good halves rather than one clip.
    """
    n = max(h.last_sentence for h in pool) + 2
    by_first: dict[int, list[Highlight]] = {}
    for h in pool:
        by_first.setdefault(h.first_sentence, []).append(h)
    neg = float("-inf")
    # best[c][i]: the best total of c windows using sentences i.. (neg: impossible)
    best = [[0.0] * (n + 1)] + [[neg] * (n + 1) for _ in range(count)]
    pick: dict[tuple[int, int], Highlight | None] = {}
    for c in range(1, count + 1):
        for i in range(n - 1, -1, -1):
            best[c][i], pick[(c, i)] = best[c][i + 1], None
            for h in by_first.get(i, []):
                rest = best[c - 1][h.last_sentence + 1]
                if rest > neg and h.score + rest > best[c][i]:
                    best[c][i], pick[(c, i)] = h.score + rest, h
    c = max(k for k in range(count + 1) if best[k][0] > neg)
    out: list[Highlight] = []
    i = 0
    while c > 0 and i < n:
        chosen = pick.get((c, i))
        if chosen is None:
            i += 1
            continue
        out.append(chosen)
        i, c = chosen.last_sentence + 1, c - 1
    return out


def pad(h: Highlight, transcript: Transcript, lead_s: float, tail_s: float) -> Highlight:
    """Widen the cut by a breath without reaching into the neighbouring words."""
    sents = transcript.sentences()
    prev_end = sents[h.first_sentence - 1].end if h.first_sentence > 0 else 0.0
    next_start = sents[h.last_sentence + 1].start if h.last_sentence + 1 < len(sents) else transcript.duration
    start = max(prev_end, h.start - lead_s, 0.0)
    end = min(next_start, h.end + tail_s, transcript.duration or h.end + tail_s)
    return Highlight(h.first_sentence, h.last_sentence, round(start, 3), round(end, 3), h.score, h.text, h.reasons)
