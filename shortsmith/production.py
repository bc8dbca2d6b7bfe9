"""A narrative production (speakers, scenes, overlays) as a script: one beat per line of speech.

The first line is the hook, every further line a body beat (a story has as many lines as it
needs; no promise or call to action is added to someone else's words). Each beat carries its
speaker, its scene direction, the terminal text typed over it and the transition into it
(:class:`~shortsmith.model.Beat`), and a visual prompt filled from the series' scene template
(:class:`~shortsmith.cast.SceneStyle`), which every visual provider reads (generated images,
stock search keywords, procedural art).

A line spoken longer than the series' ``scene_seconds`` is split at its sentences into several
beats (same speaker and scene direction, a new image each), so no picture stays up longer.

Checked with the channel known (each problem with its line number, all reported at once):
every speaker is in the channel's or the series' cast; the narrative fits its format (a Short,
9:16 or 1:1, at most the channel's max_video_seconds and never over 180 s; a 16:9 episode at most
10 minutes); a Short's first line can be said within the 3 s hook limit.
"""

from __future__ import annotations

import re

from .config import Channel
from .model import Beat, Script
from .narrative_parse import (FORMAT_LIMIT_S, SHORT_FORMATS, Problem, Segment, length_problems, problems_error,
                              production_from_dict, time_segments)
from .script import HOOK_MAX_SECONDS, _visual, estimate_seconds, keywords_of, spoken_seconds
from .topics import clean_topic

_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'A-Z0-9])")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_RE.split(text.strip()) if s.strip()]

MIN_SECONDS = 3.0


def format_limit(channel: Channel, fmt: str) -> tuple[float, str]:
    """The longest the production may run in this format, and how to name that limit."""
    if fmt in SHORT_FORMATS:
        limit = min(FORMAT_LIMIT_S[fmt], channel.max_video_seconds)
        return limit, f"{channel.name}'s {fmt} Short limit (max_video_seconds)"
    return FORMAT_LIMIT_S[fmt], f"the {fmt} episode limit"


def scene_text(seg: Segment) -> str:
    parts = [seg.scene] + [f"{k}: {v}" for k, v in (("camera", seg.camera), ("lighting", seg.lighting)) if v]
    return "; ".join(p for p in parts if p)


def scene_parts(text: str, scene_seconds: float, wpm: float) -> list[str]:
    """A line longer than the series' ``scene_seconds`` split at sentences into parts that each fit
    (one scene image each; a single sentence is never cut); the whole line when it fits or no
    scene length is set."""
    if not scene_seconds or spoken_seconds(text, wpm) <= scene_seconds:
        return [text]
    parts: list[str] = []
    for sentence in sentences(text):
        if parts and spoken_seconds(f"{parts[-1]} {sentence}", wpm) <= scene_seconds:
            parts[-1] = f"{parts[-1]} {sentence}"
        else:
            parts.append(sentence)
    return parts


def production_script(channel: Channel, narrative, *, name: str = "narrative") -> Script:
    """The production's lines as a script for ``channel``, or an InputError listing every problem."""
    production = production_from_dict(narrative.production)
    wpm = channel.words_per_minute
    segments = production.segments
    time_segments(segments, wpm)
    cast = channel.productions.cast_for(production.series)
    problems: list[Problem] = []
    where = f"the {production.series} series' or {channel.name}'s cast" if production.series else f"{channel.name}'s cast"
    for seg in segments:
        if seg.speaker and seg.speaker not in cast:
            known = ", ".join(sorted(cast)) or "nobody yet"
            problems.append(Problem(seg.line, f"unknown speaker {seg.speaker} (not in {where}: {known})",
                                    f"add {seg.speaker} to the cast in channels.yaml, or use one of the known speakers"))
    if production.series and channel.productions.get_series(production.series) is None and channel.productions.series:
        problems.append(Problem(production.lines.get("series", 1), f"series {production.series!r} is not one of "
                                f"{channel.name}'s", f"use one of: {', '.join(s.name for s in channel.productions.series)}"))
    limit, what = format_limit(channel, production.format)
    problems += length_problems(segments, limit, what, wpm)
    if segments and production.format in SHORT_FORMATS:
        hook_s = spoken_seconds(segments[0].text, wpm)
        if hook_s > HOOK_MAX_SECONDS:
            problems.append(Problem(segments[0].line, f"the opening line takes about {hook_s:.1f} s to say; a Short's "
                                                      f"first line must be said within {HOOK_MAX_SECONDS:.0f} s",
                                    "split it: a short first line that hooks, then the rest on a second line"))
    if problems:
        raise problems_error(name, problems)

    title = clean_topic(narrative.title, field=f"{name}: title")
    style = channel.productions.style_for(production.series)
    topic_words = keywords_of(title, 3)
    beats: list[Beat] = []
    for seg in segments:
        for j, text in enumerate(scene_parts(seg.text, style.scene_seconds, wpm)):
            kind = "hook" if not beats else "body"
            fallback, kws = _visual(kind, text, topic_words, channel)
            prompt = style.prompt(seg.scene, seg.camera, seg.lighting, fallback=fallback)
            if seg.scene:  # the direction's words lead the stock query and the procedural art's motifs
                kws = list(dict.fromkeys(keywords_of(seg.scene, 3) + keywords_of(seg.lighting or style.lighting, 1)
                                         + kws))[:6]
            beats.append(Beat(kind=kind, narration=text, visual_prompt=prompt, keywords=kws, speaker=seg.speaker,
                              scene=scene_text(seg), terminal=seg.terminal if j == 0 else "",
                              transition=seg.transition if j == 0 else ""))
    est = estimate_seconds(beats, wpm)
    tags = list(dict.fromkeys([t.lower() for t in channel.tags] + keywords_of(title, 4)
                              + (["shorts"] if production.format in SHORT_FORMATS else [])))[:15]
    lead = " ".join(s.text for s in segments[:2])
    description = f"{lead}\n\n{channel.title}: {channel.niche}.\n" + " ".join(f"#{t.replace(' ', '')}" for t in tags[:5])
    return Script(
        channel=channel.name, topic=title, title=title if len(title) <= 90 else title[:87].rsplit(" ", 1)[0] + "...",
        description=description[:4900], tags=tags, beats=beats, words_per_minute=wpm,
        min_seconds=MIN_SECONDS, max_seconds=limit, estimated_seconds=round(est, 2), writer="narrative",
        source="narrative", format=production.format, series=production.series,
    )
