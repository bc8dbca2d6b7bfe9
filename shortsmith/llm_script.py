"""Scripts from a chat model: the prompt, the JSON schema, and strict checking of the answer (no Dagster).

The model is asked for the script structure as JSON (OpenAI structured output with a JSON
schema; OpenAI-compatible local servers get the same schema). Whatever comes back is checked
here, not trusted: the structure, the duration budget (``script.check_script``) and YouTube's
title/description limits. A bad answer gets one corrective turn listing what was wrong, then a
clear failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .config import Channel, TopicSeed
from .model import Beat, Script
from .script import (BODY_MAX, BODY_MIN, HOOK_MAX_SECONDS, LEAD_IN_S, PAUSE_BETWEEN_BEATS_S, ScriptProblem,
                     check_script, estimate_seconds)

_SEGMENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["narration", "visual_prompt", "keywords"],
    "properties": {
        "narration": {"type": "string", "description": "what the voice says, plain spoken English"},
        "visual_prompt": {"type": "string", "description": "one vertical scene that illustrates it, no text in it"},
        "keywords": {"type": "array", "items": {"type": "string"}, "description": "1-3 stock-footage search words"},
    },
}

SCRIPT_SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "description", "tags", "hook", "promise", "beats", "cta"],
    "properties": {
        "title": {"type": "string", "description": "at most 90 characters, no angle brackets"},
        "description": {"type": "string", "description": "2-4 short lines for the YouTube description"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "hook": _SEGMENT,
        "promise": _SEGMENT,
        "beats": {"type": "array", "items": _SEGMENT, "minItems": BODY_MIN, "maxItems": BODY_MAX},
        "cta": _SEGMENT,
    },
}


DEFAULT_GUIDELINES = "warm, curious and conversational, speaking to one viewer."


def word_budget(channel: Channel) -> tuple[int, int]:
    """The narration word range that fits the channel's target seconds (pauses between ~8 beats excluded)."""
    overhead = LEAD_IN_S + PAUSE_BETWEEN_BEATS_S * 7
    per_s = channel.words_per_minute / 60.0
    lo = int((channel.min_seconds - overhead) * per_s * 1.02) + 1
    hi = int((channel.max_seconds - overhead) * per_s * 0.93)  # long words take longer than one slot
    return lo, max(lo + 5, hi)


def build_messages(channel: Channel, topic: str, seed: TopicSeed | None) -> list[dict]:
    lo, hi = word_budget(channel)
    hook_words = int(HOOK_MAX_SECONDS * channel.words_per_minute / 60.0) - 1
    system = (
        f"You write scripts for the YouTube Shorts channel \"{channel.title}\" ({channel.niche}).\n"
        f"Voice: {channel.script_guidelines or DEFAULT_GUIDELINES}\n"
        f"Always: short spoken sentences; no emojis, hashtags or stage directions; numbers written as words.\n"
        f"Structure: a hook of at most {hook_words} words that makes the viewer stay, a one-sentence promise of what "
        f"they will learn, {BODY_MIN}-{BODY_MAX} body beats with one concrete fact each, and a call to action"
        + (f" close to: \"{channel.call_to_action}\"" if channel.call_to_action else "") + ".\n"
        f"Length: the narration of all parts together must be {lo}-{hi} words "
        f"(the video is {channel.min_seconds:.0f}-{channel.max_seconds:.0f} seconds at {channel.words_per_minute:.0f} "
        f"words per minute).\n"
        f"Every part gets a visual_prompt for one vertical 9:16 scene and 1-3 keywords for stock footage.\n"
        f"Title at most 90 characters; tags are lowercase; never use '<' or '>'.\n"
        f"Answer with JSON that matches the given schema and nothing else."
    )
    user = f"Topic: {topic}\nLanguage: {channel.language}\n"
    if seed and seed.points:
        user += "Facts to build the body from (reword freely, keep them true):\n" + "\n".join(f"- {p}" for p in seed.points)
    if channel.tags:
        user += f"\nChannel tags: {', '.join(channel.tags)}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def response_format(kind: str = "json_schema") -> dict:
    if kind == "json_object":  # servers without schema support: the schema is still checked here
        return {"type": "json_object"}
    return {"type": "json_schema", "json_schema": {"name": "short_script", "strict": True, "schema": SCRIPT_SCHEMA}}


@dataclass
class ParsedScript:
    script: Script | None
    problems: list[ScriptProblem]


def _segment(data: object, where: str, problems: list[ScriptProblem]) -> tuple[str, str, list[str]] | None:
    if not isinstance(data, dict):
        problems.append(ScriptProblem(where, "must be an object with narration, visual_prompt and keywords"))
        return None
    narration, visual = data.get("narration"), data.get("visual_prompt")
    keywords = data.get("keywords") or []
    if not isinstance(narration, str) or not narration.strip():
        problems.append(ScriptProblem(f"{where}.narration", "must be non-empty text"))
        return None
    if not isinstance(visual, str) or not visual.strip():
        problems.append(ScriptProblem(f"{where}.visual_prompt", "must be non-empty text"))
        return None
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        problems.append(ScriptProblem(f"{where}.keywords", "must be a list of strings"))
        keywords = []
    return " ".join(narration.split()), " ".join(visual.split()), [k.strip().lower() for k in keywords if k.strip()][:3]


def parse_script(content: str | None, channel: Channel, topic: str, *, writer: str) -> ParsedScript:
    """The Script in a model's answer, with every structural and budget problem found."""
    problems: list[ScriptProblem] = []
    if not content or not content.strip():
        return ParsedScript(None, [ScriptProblem("response", "the answer was empty")])
    text = content.strip()
    if text.startswith("```"):  # some local models wrap JSON in a code fence despite the instructions
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return ParsedScript(None, [ScriptProblem("response", f"is not valid JSON ({exc.msg} at {exc.pos})")])
    if not isinstance(data, dict):
        return ParsedScript(None, [ScriptProblem("response", "must be a JSON object")])
    for key in SCRIPT_SCHEMA["required"]:
        if key not in data:
            problems.append(ScriptProblem(key, "is missing"))
    raw_title, raw_description = data.get("title"), data.get("description")
    title = raw_title if isinstance(raw_title, str) else ""
    description = raw_description if isinstance(raw_description, str) else ""
    tags = [t.strip().lower() for t in data.get("tags") or [] if isinstance(t, str) and t.strip()]
    parts = [("hook", data.get("hook")), ("promise", data.get("promise"))]
    body = data.get("beats")
    if not isinstance(body, list):
        problems.append(ScriptProblem("beats", "must be a list of body beats"))
        body = []
    parts += [("body", b) for b in body] + [("cta", data.get("cta"))]
    beats: list[Beat] = []
    for i, (kind, raw) in enumerate(parts):
        where = kind if kind != "body" else f"beats[{i - 2}]"
        seg = _segment(raw, where, problems)
        if seg:
            beats.append(Beat(kind=kind, narration=seg[0], visual_prompt=seg[1], keywords=seg[2]))
    for name, text_value in (("title", title), ("description", description)):
        if "<" in text_value or ">" in text_value:
            problems.append(ScriptProblem(name, "contains '<' or '>', which YouTube rejects"))
    if len(description.encode()) > 4900:
        problems.append(ScriptProblem("description", "is longer than 4900 bytes"))
    if problems:
        return ParsedScript(None, problems)
    tags = list(dict.fromkeys([t.lower() for t in channel.tags] + tags + ["shorts"]))[:15]
    script = Script(channel=channel.name, topic=topic, title=" ".join(title.split()), description=description.strip(),
                    tags=tags, beats=beats, words_per_minute=channel.words_per_minute,
                    min_seconds=channel.min_seconds, max_seconds=channel.max_seconds,
                    estimated_seconds=round(estimate_seconds(beats, channel.words_per_minute), 2), writer=writer)
    return ParsedScript(script, check_script(script))


def correction_message(problems: list[ScriptProblem], channel: Channel) -> dict:
    lo, hi = word_budget(channel)
    listing = "\n".join(f"- {p.field}: {p.message}" for p in problems)
    return {"role": "user", "content": (
        f"That script cannot be used:\n{listing}\n"
        f"Rewrite it so that every problem is fixed: {lo}-{hi} narration words in total, "
        f"{BODY_MIN}-{BODY_MAX} body beats, a hook under {HOOK_MAX_SECONDS:.0f} seconds. "
        f"Answer with the complete JSON only.")}
