"""A video's quality score (0-100) from its parts, and how much a script repeats the channel's earlier ones.

Parts and weights: script 35 (facts per beat, repetition, similarity to the channel's previous
scripts, hook length, reading level), audio 25 (loudness, clipping, silent gaps, speech rate),
visuals 25 (scene variety, near-duplicate scenes, caption contrast, caption coverage) and sync 15
(audio against video length, captions against speech). Every measure has a score 0-100, a pass
flag and, when it fails, a message that says what to fix. No Dagster here.

Similarity is word 4-gram containment: the share of the new script's 4-word sequences that also
occur in an earlier script. It catches copied or lightly edited sentences in any order and needs no
model; an embedding would flag two honest videos on neighbouring topics as repeats.
"""

from __future__ import annotations

import re
import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .facts import reading_grade, tokens
from .model import Script, Voiceover
from .script import HOOK_MAX_SECONDS, hook_rule_applies, is_production, spoken_seconds

WEIGHTS = {"script": 35, "audio": 25, "visuals": 25, "sync": 15}
DEFAULT_MIN_QUALITY = 60.0
SIMILARITY_LIMIT = 0.30  # uniqueness: at most this share of 4-grams in common with any earlier script
REPETITION_LIMIT = 0.25  # inside one script: between any two beats
MAX_SILENT_GAP_S = 1.5
MIN_CAPTION_CONTRAST = 3.0  # WCAG's minimum for large text
MIN_WPM, MAX_WPM = 100, 240  # hard to follow outside this; 130-200 scores full marks
NEAR_DUPLICATE_DIFF = 6.0  # mean absolute difference of 32x32 thumbnails (0-255) under which two scenes look alike


@dataclass
class Measure:
    part: str
    name: str
    value: float | str
    score: float  # 0-100
    passed: bool
    message: str  # what it is, or what to fix


@dataclass
class QualityReport:
    score: float
    parts: dict[str, float]
    measures: list[Measure] = field(default_factory=list)

    def failed(self) -> list[Measure]:
        return [m for m in self.measures if not m.passed]

    def passes(self, min_quality: float) -> bool:
        return self.score >= min_quality and not self.failed()

    def summary(self, min_quality: float) -> str:
        failing = self.failed()
        head = f"quality {self.score:.0f}/100 (minimum {min_quality:.0f}); " + ", ".join(
            f"{p} {s:.0f}" for p, s in self.parts.items())
        if not failing:
            return head
        return head + ". To fix: " + "; ".join(f"{m.part}.{m.name}: {m.message}" for m in failing)

    def as_dict(self) -> dict:
        return {"score": self.score, "parts": self.parts, "measures": [asdict(m) for m in self.measures]}


# -- text measures ---------------------------------------------------------------------------


def script_text(script: Script) -> str:
    return " ".join(b.narration for b in script.beats)


def ngrams(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def containment(text: str, other: str, n: int = 4) -> float:
    """Share of ``text``'s word n-grams that also occur in ``other`` (0: nothing shared, 1: all copied)."""
    mine = ngrams(text, n)
    return len(mine & ngrams(other, n)) / len(mine) if mine else 0.0


def most_similar(script: Script, previous: list[tuple[str, str]]) -> tuple[float, str]:
    """The highest 4-gram containment against the channel's previous scripts (partition, text), and which."""
    body = " ".join(b.narration for b in script.beats if b.kind == "body") or script_text(script)
    best, which = 0.0, ""
    for partition, text in previous:
        c = containment(body, text)
        if c > best:
            best, which = c, partition
    return best, which


def _lin(value: float, good: float, bad: float) -> float:
    """100 at ``good``, 0 at ``bad``, linear between (either direction)."""
    if good == bad:
        return 100.0
    t = (value - bad) / (good - bad)
    return round(100.0 * min(1.0, max(0.0, t)), 1)


def script_measures(script: Script, previous: list[tuple[str, str]]) -> list[Measure]:
    body = [b.narration for b in script.beats if b.kind == "body"]
    out = []
    if script.facts:
        per_beat = sum(1 for f in script.facts if f.strip()) / max(1, len(body))
    else:  # a model's or a narrative's beats: a fact has a number, a name or enough content words
        per_beat = sum(1 for b in body if re.search(r"\d|\b(?!I\b)[A-Z][a-z]+", b[1:]) or len(tokens(b)) >= 6) \
            / max(1, len(body))
    if is_production(script):  # a story told by its cast: its lines are dialogue, not facts to count
        out.append(Measure("script", "facts_per_beat", 1.0, 100.0, True,
                           "a narrative production: the writer's own story, facts are not counted"))
    else:
        out.append(Measure("script", "facts_per_beat", round(per_beat, 2), _lin(per_beat, 1.0, 0.4), per_beat >= 0.75,
                           f"{per_beat:.0%} of body beats carry a fact" if per_beat >= 0.75 else
                           f"only {per_beat:.0%} of body beats carry a fact; give the topic points or a source"))
    worst = 0.0
    for i in range(1, len(script.beats)):  # the hook may tease a body fact in its own words
        for j in range(i + 1, len(script.beats)):
            a, b = script.beats[i].narration, script.beats[j].narration
            if len(ngrams(a, 3)) >= 3 and len(ngrams(b, 3)) >= 3:
                worst = max(worst, containment(a, b, 3), containment(b, a, 3))
    out.append(Measure("script", "repetition", round(worst, 2), _lin(worst, 0.0, 0.5), worst <= REPETITION_LIMIT,
                       f"beats overlap at most {worst:.0%}" if worst <= REPETITION_LIMIT else
                       f"two beats share {worst:.0%} of their phrases; say each thing once"))
    sim, which = most_similar(script, previous)
    out.append(Measure("script", "similarity", round(sim, 2), _lin(sim, 0.0, 0.6), sim <= SIMILARITY_LIMIT,
                       f"at most {sim:.0%} in common with the channel's last {len(previous)} scripts"
                       if sim <= SIMILARITY_LIMIT else
                       f"{sim:.0%} of its phrases repeat {which}; write this topic from new facts"))
    hook_s = spoken_seconds(script.hook.narration, script.words_per_minute)
    hook_ok = hook_s <= HOOK_MAX_SECONDS or not hook_rule_applies(script)  # a 16:9 episode has no 3 s hook
    hook_score = _lin(hook_s, 2.0, 4.0) if hook_rule_applies(script) else 100.0
    out.append(Measure("script", "hook_seconds", round(hook_s, 2), hook_score, hook_ok,
                       f"hook said in about {hook_s:.1f} s" if hook_ok else
                       f"hook takes {hook_s:.1f} s; cut it to a few words"))
    grade = reading_grade(" ".join(body))
    out.append(Measure("script", "reading_grade", grade, _lin(grade, 8.0, 16.0), grade <= 14.0,
                       f"reading grade {grade:.0f}" if grade <= 14.0 else
                       f"reading grade {grade:.0f}; use shorter sentences and plainer words"))
    return out


# -- audio measures --------------------------------------------------------------------------


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        rate, n, ch, width = w.getframerate(), w.getnframes(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(n)
    dtype, full_scale = {1: (np.uint8, 128.0), 2: (np.int16, 32767.0), 4: (np.int32, 2147483647.0)}[width]
    x = np.frombuffer(raw, dtype=dtype).astype(np.float32)
    x = (x - 128.0) / full_scale if width == 1 else x / full_scale
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    return x, rate


def longest_silence(x: np.ndarray, rate: int, *, window_s: float = 0.05, floor_db: float = -40.0) -> float:
    """Longest run of windows quieter than ``floor_db`` under the loudest window, between the first and last sound."""
    hop = max(1, int(rate * window_s))
    n = len(x) // hop
    if n == 0:
        return 0.0
    rms = np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    db = 20 * np.log10(rms / (rms.max() + 1e-12) + 1e-12)
    loud = np.flatnonzero(db > floor_db)
    if loud.size == 0:
        return len(x) / rate
    quiet = db[loud[0]: loud[-1] + 1] <= floor_db
    best = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        best = max(best, run)
    return best * hop / rate


def audio_measures(voice_wav: Path, voiceover: Voiceover, loudness: dict | None = None) -> list[Measure]:
    x, rate = read_mono(voice_wav)
    out = []
    clipped = float(np.mean(np.abs(x) >= 0.999)) if x.size else 0.0
    out.append(Measure("audio", "clipping", round(clipped * 100, 3), _lin(clipped, 0.0, 0.005), clipped <= 0.001,
                       f"{clipped:.2%} of samples clipped" if clipped <= 0.001 else
                       f"{clipped:.2%} of samples clip; lower the voice's gain or the provider's volume"))
    gap = longest_silence(x, rate)
    out.append(Measure("audio", "silent_gap_s", round(gap, 2), _lin(gap, 0.8, 3.0), gap <= MAX_SILENT_GAP_S,
                       f"longest pause {gap:.1f} s" if gap <= MAX_SILENT_GAP_S else
                       f"{gap:.1f} s of silence in the voice (limit {MAX_SILENT_GAP_S:.1f} s); re-make the voiceover "
                       "or remove the empty beat"))
    # the rate a listener hears: every word over the whole track, pauses included
    words = sum(len(b.words) for b in voiceover.beats)
    wpm = words / voiceover.duration * 60 if voiceover.duration else 0.0
    ok = MIN_WPM <= wpm <= MAX_WPM
    out.append(Measure("audio", "speech_rate_wpm", round(wpm), 100.0 if 130 <= wpm <= 200 else
                       _lin(abs(wpm - 165), 35, 95), ok,
                       f"{wpm:.0f} words a minute" if ok else
                       f"{wpm:.0f} words a minute (outside {MIN_WPM}-{MAX_WPM}); set the voice's length_scale "
                       "(or speed) so it speaks 150-190"))
    if loudness and loudness.get("integrated_lufs") is not None:
        lufs, peak = float(loudness["integrated_lufs"]), float(loudness.get("true_peak_db", -1.0))
        ok = abs(lufs + 14) <= 1.0 and peak <= -1.0 + 0.05
        out.append(Measure("audio", "loudness_lufs", lufs, _lin(abs(lufs + 14), 0.5, 4.0), ok,
                           f"{lufs:.1f} LUFS, true peak {peak:.1f} dBTP" if ok else
                           f"{lufs:.1f} LUFS / {peak:.1f} dBTP; re-render (target -14 LUFS, <= -1 dBTP)"))
    return out


# -- visual measures -------------------------------------------------------------------------


def _thumb(image, size: int = 32) -> np.ndarray:
    return np.asarray(image.convert("RGB").resize((size, size)), dtype=np.float32)


def luminance(rgb) -> float:
    """WCAG relative luminance of an sRGB colour (0-255 components)."""
    def lin(c: float) -> float:
        c = c / 255.0
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(float(v)) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a, b) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def visual_measures(scenes: list, *, caption_colours: list[str], outline_colour: str, outline_px: float,
                    band: tuple[float, float] = (0.35, 0.70), spoken_words: int = 0,
                    caption_words: int = 0) -> list[Measure]:
    """``scenes``: PIL images of each beat's scene (stills, or a clip's frame), in beat order."""
    out = []
    thumbs = [_thumb(s) for s in scenes]
    pairs = [(i, j, float(np.mean(np.abs(thumbs[i] - thumbs[j]))))
             for i in range(len(thumbs)) for j in range(i + 1, len(thumbs))]
    dupes = [(i, j) for i, j, d in pairs if d < NEAR_DUPLICATE_DIFF]
    variety = float(np.mean([d for _, _, d in pairs])) if pairs else 0.0
    out.append(Measure("visuals", "scene_variety", round(variety, 1), _lin(variety, 40.0, 5.0), variety >= 10.0,
                       f"scenes differ by {variety:.0f}/255 on average" if variety >= 10.0 else
                       f"the scenes look alike (mean difference {variety:.0f}/255); vary the visual prompts or style"))
    out.append(Measure("visuals", "near_duplicate_scenes", len(dupes), 100.0 if not dupes else
                       max(0.0, 100.0 - 40.0 * len(dupes)), not dupes,
                       "no two scenes alike" if not dupes else
                       "scenes " + ", ".join(f"{i + 1} and {j + 1}" for i, j in dupes[:4])
                       + " are near-duplicates; re-make them with different prompts"))
    worst, where = 99.0, ""
    outline = hex_rgb(outline_colour)
    for k, scene in enumerate(scenes):
        rgb = np.asarray(scene.convert("RGB"), dtype=np.float32)
        h = rgb.shape[0]
        region = rgb[int(band[0] * h): int(band[1] * h)]
        bg = region.reshape(-1, 3).mean(axis=0)
        for colour in caption_colours:
            fill = hex_rgb(colour)
            ratio = contrast_ratio(fill, bg)
            if outline_px >= 2.0:  # a solid outline separates the letters from any background
                ratio = max(ratio, min(contrast_ratio(fill, outline), contrast_ratio(outline, bg) + 3.0))
            if ratio < worst:
                worst, where = ratio, f"{colour} on scene {k + 1}"
    ok = worst >= MIN_CAPTION_CONTRAST
    out.append(Measure("visuals", "caption_contrast", round(worst, 2), _lin(worst, 7.0, 1.5), ok,
                       f"captions at least {worst:.1f}:1 against the scenes" if ok else
                       f"captions {where} have contrast {worst:.1f}:1 (need {MIN_CAPTION_CONTRAST:.0f}:1); "
                       "choose a caption_highlight that stands out from the palette, or keep the caption outline"))
    if spoken_words:
        cover = min(1.0, caption_words / spoken_words)
        out.append(Measure("visuals", "caption_coverage", round(cover, 3), _lin(cover, 1.0, 0.7), cover >= 0.95,
                           f"{cover:.0%} of spoken words captioned" if cover >= 0.95 else
                           f"only {cover:.0%} of spoken words are captioned; re-make the captions"))
    return out


def sync_measures(*, av_difference_s: float | None, voiceover: Voiceover, cue_starts: list[float]) -> list[Measure]:
    out = []
    if av_difference_s is not None:
        ok = av_difference_s <= 0.1
        out.append(Measure("sync", "audio_video_s", round(av_difference_s, 3), _lin(av_difference_s, 0.0, 0.5), ok,
                           f"audio and video lengths differ by {av_difference_s * 1000:.0f} ms" if ok else
                           f"audio and video lengths differ by {av_difference_s:.2f} s; re-render"))
    starts = [w.start for b in voiceover.beats for w in b.words]
    if starts and cue_starts:
        # each caption group must appear when its first word is spoken
        offsets = [min(abs(c - s) for s in starts) for c in cue_starts]
        worst = max(offsets)
        ok = worst <= 0.15
        out.append(Measure("sync", "caption_offset_s", round(worst, 3), _lin(worst, 0.0, 0.5), ok,
                           f"captions within {worst * 1000:.0f} ms of the words" if ok else
                           f"a caption is {worst:.2f} s away from its word; re-make the captions"))
    return out


def score(measures: list[Measure]) -> QualityReport:
    parts = {}
    for part in WEIGHTS:
        scores = [m.score for m in measures if m.part == part]
        if scores:
            parts[part] = round(sum(scores) / len(scores), 1)
    total = sum(WEIGHTS[p] for p in parts) or 1
    overall = round(sum(parts[p] * WEIGHTS[p] for p in parts) / total, 1)
    return QualityReport(score=overall, parts=parts, measures=measures)


def history_table(history: list[dict], limit: int = 20) -> str:
    """A channel's recent scores as a markdown table (newest first)."""
    rows = ["| when | video | score | script | audio | visuals | sync | weakest |", "|---|---|---|---|---|---|---|---|"]
    for h in list(reversed(history))[:limit]:
        p = h.get("parts", {})
        rows.append(f"| {h.get('at', '')[:16]} | {h.get('topic', h.get('partition'))} | {h.get('score', 0):.0f} | "
                    + " | ".join(f"{p.get(k, 0):.0f}" for k in WEIGHTS) + f" | {h.get('weakest', '')} |")
    return "\n".join(rows)
