"""Highlights chosen by a configured chat model (OpenAI or any OpenAI-compatible server), checked here.

The model sees the transcript's sentences, numbered and timed, and answers with JSON (a schema):
which runs of sentences make the best self-contained Shorts and a title for each. Nothing it says is
trusted: indices must exist, each run must last ``min_s``-``max_s``, runs must not overlap. The valid
picks are kept (scored by the transcript score too, for the metadata); when none is valid, or the
call fails, the caller falls back to the transcript score (:func:`shortsmith.clips.highlights.choose`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..resilience import CallContext, ProviderError, RetryPolicy, offline_calls
from ..transcribe import Transcript
from .highlights import MAX_S, MIN_S, Highlight, pad, score_window

SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["clips"],
    "properties": {"clips": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["first", "last", "title", "why"],
        "properties": {"first": {"type": "integer"}, "last": {"type": "integer"},
                       "title": {"type": "string"}, "why": {"type": "string"}}}}},
}


def messages(transcript: Transcript, count: int, min_s: float, max_s: float) -> list[dict]:
    lines = [f"[{i}] ({s.start:.1f}-{s.end:.1f} s) {s.text}" for i, s in enumerate(transcript.sentences())]
    system = ("You pick highlights of a talk for YouTube Shorts. A highlight is a run of whole sentences that "
              "stands on its own (no 'this'/'and' pointing back), opens with a hook (a question, a number, a "
              f"surprise) and lasts {min_s:.0f}-{max_s:.0f} seconds by the times given. Highlights must not overlap. "
              "Answer with JSON matching the schema: first and last are sentence numbers; title at most 90 "
              "characters; why in one short sentence.")
    user = f"Pick up to {count} highlights from these sentences:\n" + "\n".join(lines)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def check_picks(raw: Any, transcript: Transcript, count: int, min_s: float, max_s: float
                ) -> tuple[list[tuple[Highlight, str]], list[str]]:
    """The valid picks (highlight, title) and what was wrong with the others."""
    sents = transcript.sentences()
    problems: list[str] = []
    picks: list[tuple[Highlight, str]] = []
    clips = raw.get("clips") if isinstance(raw, dict) else None
    if not isinstance(clips, list):
        return [], ["the answer has no 'clips' list"]
    for k, c in enumerate(clips):
        try:
            first, last, title = int(c["first"]), int(c["last"]), str(c.get("title", "")).strip()[:90]
        except (KeyError, TypeError, ValueError):
            problems.append(f"clips[{k}]: needs integer first/last")
            continue
        if not (0 <= first <= last < len(sents)):
            problems.append(f"clips[{k}]: sentences {first}-{last} do not exist (0-{len(sents) - 1})")
            continue
        dur = sents[last].end - sents[first].start
        if not (min_s <= dur <= max_s):
            problems.append(f"clips[{k}]: lasts {dur:.1f} s, not {min_s:.0f}-{max_s:.0f} s")
            continue
        if any(not (last < h.first_sentence or first > h.last_sentence) for h, _ in picks):
            problems.append(f"clips[{k}]: overlaps an earlier pick")
            continue
        score, terms = score_window(sents[first:last + 1], transcript, None, 0.0)
        terms = {**terms, "model": str(c.get("why", ""))[:200]}
        h = Highlight(first, last, sents[first].start, sents[last].end, score,
                      " ".join(s.text for s in sents[first:last + 1]), terms)
        picks.append((h, title))
        if len(picks) == count:
            break
    return picks, problems


def pick_with_model(client: Any, model: str, transcript: Transcript, count: int, *, min_s: float = MIN_S,
                    max_s: float = MAX_S, calls: CallContext | None = None,
                    classify: Callable[[BaseException], ProviderError | None] = lambda e: None,
                    log: Callable[[str], None] = lambda m: None) -> list[tuple[Highlight, str]] | None:
    """The model's valid picks in source order (padded like the scored ones), or None to fall back."""
    calls = calls or offline_calls()
    try:
        completion = calls.call(lambda: client.chat.completions.create(
            model=model, messages=messages(transcript, count, min_s, max_s), temperature=0.2,
            response_format={"type": "json_schema",
                             "json_schema": {"name": "highlights", "strict": True, "schema": SCHEMA}}),
            provider="openai-chat", classify=classify, policy=RetryPolicy(max_attempts=3))
        content = completion.choices[0].message.content or ""
        raw = json.loads(content)
    except (ProviderError, json.JSONDecodeError, IndexError, AttributeError) as exc:
        log(f"highlights: the model's answer is unusable ({exc}); using the transcript score")
        return None
    usage = getattr(completion, "usage", None)
    calls.meter.add("openai-chat", "highlights", input_token=getattr(usage, "prompt_tokens", 0) or 0,
                    output_token=getattr(usage, "completion_tokens", 0) or 0)
    picks, problems = check_picks(raw, transcript, count, min_s, max_s)
    for p in problems:
        log(f"highlights: dropped the model's {p}")
    if not picks:
        return None
    return [(pad(h, transcript, 0.15, 0.35), title) for h, title in sorted(picks, key=lambda p: p[0].start)]
