"""Word timings for any voice: align the known text with what a transcriber heard in the audio.

A voice provider that returns no timestamps (espeak-ng, a cloud voice without alignment) gives the
text and the audio. The audio is transcribed once with word timestamps; the known words are then
aligned with the heard words by normalised spelling (difflib's longest matching blocks, so one
misheard word costs that word only). A known word that was heard takes the heard word's times;
the known words between two heard anchors (misheard, merged, numbers spoken as words) share the
time between those anchors by their letter counts. The share of words that were heard is
returned, so the caller can keep its own timings when the audio does not match the text.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path

from ..model import BeatAudio, Voiceover, WordTiming
from . import Transcriber, Transcript, Word, normalise_words


def _key(word: str) -> str:
    n = normalise_words(word)
    return n[0] if n else ""


def _spread(weights: list[float], start: float, end: float) -> list[tuple[float, float]]:
    total = sum(weights) or 1.0
    out, t = [], start
    for w in weights:
        d = (end - start) * w / total
        out.append((t, t + d))
        t += d
    return out


def align_known_words(known: list[str], heard: list[Word], start: float, end: float
                      ) -> tuple[list[tuple[float, float]], float]:
    """Start/end of each known word inside [start, end], and the fraction of known words matched."""
    if not known:
        return [], 1.0
    a = [_key(w) for w in known]
    b = [_key(w.word) for w in heard]
    times: list[tuple[float, float] | None] = [None] * len(known)
    matched = 0
    for block in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            h = heard[block.b + k]
            times[block.a + k] = (max(start, min(h.start, end)), max(start, min(h.end, end)))
            matched += 1
    i = 0
    while i < len(known):  # fill unmatched runs between anchors
        if times[i] is not None:
            i += 1
            continue
        j = i
        while j < len(known) and times[j] is None:
            j += 1
        prev_t = times[i - 1] if i > 0 else None
        next_t = times[j] if j < len(known) else None
        lo = prev_t[1] if prev_t is not None else start
        hi = next_t[0] if next_t is not None else end
        if hi < lo:
            hi = lo
        for k, span in enumerate(_spread([max(1, len(_key(w))) for w in known[i:j]], lo, hi)):
            times[i + k] = span
        i = j
    out: list[tuple[float, float]] = []
    prev_end = start
    for t in times:
        assert t is not None
        s = max(t[0], prev_end if out else start)
        e = max(t[1], s)
        out.append((round(s, 4), round(e, 4)))
        prev_end = s
    return out, matched / len(known)


def retime_voiceover(vo: Voiceover, transcriber: Transcriber, *, min_matched: float = 0.6,
                     language: str | None = None) -> tuple[Voiceover, float]:
    """The voiceover with word times taken from its own audio (one transcription of the whole track)."""
    return align_voiceover(vo, transcriber.transcribe(Path(vo.wav_path), language=language), min_matched=min_matched)


def align_voiceover(vo: Voiceover, transcript: Transcript, *, min_matched: float = 0.6) -> tuple[Voiceover, float]:
    """``vo`` with each beat's word times from ``transcript`` (of the same audio).

    A beat whose words were heard less than ``min_matched`` keeps its timings. Returns the new
    voiceover (``timing_source = "asr-alignment"`` when every beat was re-timed) and the share of
    words heard over all beats.
    """
    beats: list[BeatAudio] = []
    heard_total = words_total = 0
    all_retimed = True
    for beat in vo.beats:
        heard = [w for w in transcript.words if beat.start - 0.3 <= (w.start + w.end) / 2 <= beat.end + 0.3]
        known = [w.word for w in beat.words]
        spans, share = align_known_words(known, heard, beat.start, beat.end)
        heard_total += round(share * len(known))
        words_total += len(known)
        if share >= min_matched:
            beats.append(replace(beat, words=[WordTiming(w, s, e) for w, (s, e) in zip(known, spans)]))
        else:
            all_retimed = False
            beats.append(beat)
    source = "asr-alignment" if all_retimed else vo.timing_source
    return replace(vo, beats=beats, timing_source=source), heard_total / max(1, words_total)
