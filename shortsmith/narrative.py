"""Markdown narratives dropped into an inbox become video requests.

The format:

    # Title of the video
    channel: curious-minds          (optional front line; else the inbox's default channel)

    First paragraph: it becomes the hook and the promise.

    Each further paragraph becomes a body beat.

A narrative with speakers and directions (``NARRATOR: ...``, ``[SCENE: ...]``) is a production:
see :mod:`shortsmith.narrative_parse` for that format and :mod:`shortsmith.production` for its script.

A file that cannot be used is rejected with a report that says why (no title, no
paragraphs, unknown channel, too long, unsupported characters), so the inbox never loops
on a bad file.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import asdict, dataclass, field

from .config import Channel
from .errors import InputError
from .model import Beat, Script
from .narrative_parse import Problem, is_production, parse_production, problems_error, production_to_dict
from .script import (BODY_MAX, BODY_MIN, HOOK_MAX_SECONDS, _visual, estimate_seconds, keywords_of,
                     spoken_seconds)
from .topics import clean_topic

MAX_BYTES = 64_000


@dataclass
class Narrative:
    title: str
    paragraphs: list[str]
    channel: str | None = None
    digest: str = ""
    meta: dict = field(default_factory=dict)
    production: dict | None = None  # speakers, scenes, overlays (shortsmith/narrative_parse.py)


def parse_narrative(text: str, *, name: str = "narrative") -> Narrative:
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise InputError(f"{name} is larger than {MAX_BYTES // 1000} kB", field=name,
                         fix="split it into several narratives")
    lines = text.replace("\r\n", "\n").split("\n")
    if is_production(text):
        return _parse_production_narrative(text, lines, name)
    title: str | None = None
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in lines:
        stripped = line.strip()
        if title is None and stripped.startswith("# "):
            title = stripped[2:].strip()
            continue
        m = re.match(r"^(channel|tags|privacy):\s*(.+)$", stripped, re.I)
        if m and not body:
            meta[m.group(1).lower()] = m.group(2).strip()
            continue
        body.append(line)
    if not title:
        raise InputError(f"{name} has no title", field=f"{name}: title",
                         fix="start the file with a '# Title' line")
    title = clean_topic(title, field=f"{name}: title")
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", "\n".join(body))]
    paragraphs = [p for p in paragraphs if p and not p.startswith("#")]
    if len(paragraphs) < 2:
        raise InputError(f"{name} has {len(paragraphs)} paragraph(s)", field=f"{name}: body",
                         fix="write at least two paragraphs under the title (a hook and the story)")
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
    return Narrative(title=title, paragraphs=paragraphs, channel=meta.get("channel"), digest=digest, meta=meta)


def _parse_production_narrative(text: str, lines: list[str], name: str) -> Narrative:
    """Title and front lines (with their line numbers), then the production's segments."""
    title, title_line = None, 0
    front: dict[str, tuple[str, int]] = {}
    problems: list[Problem] = []
    body_start = len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if title is None and stripped.startswith("# "):
            title, title_line = stripped[2:].strip(), i + 1
            continue
        m = re.match(r"^(channel|series|format|tags|privacy)\s*:\s*(.*)$", stripped, re.I)
        if m:
            key = m.group(1).lower()
            if key in front:
                problems.append(Problem(i + 1, f"a second '{key}:' line", f"keep one '{key}:' line"))
            value = re.sub(r"\s+\(.*\)\s*$", "", m.group(2)).strip()  # "9:16   (or 16:9, 1:1)"
            front[key] = (value, i + 1)
            continue
        body_start = i
        break
    if not title:
        problems.append(Problem(1, "there is no title", "start the file with a '# Title' line"))
    else:
        try:
            title = clean_topic(title, field=f"{name}: title")
        except InputError as exc:
            problems.append(Problem(title_line, f"the title cannot be used ({exc.message})", exc.fix or "reword it"))
    production, found = parse_production(lines, body_start=body_start, front=front)
    problems += found
    if problems:
        raise problems_error(name, problems)
    meta = {k: v for k, (v, _at) in front.items()}
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
    return Narrative(title=title or "", paragraphs=[s.text for s in production.segments], channel=meta.get("channel"),
                     digest=digest, meta=meta, production=production_to_dict(production))


def narrative_to_dict(narrative: Narrative) -> dict:
    return asdict(narrative)


def narrative_from_dict(data: dict) -> Narrative:
    return Narrative(title=data["title"], paragraphs=list(data["paragraphs"]), channel=data.get("channel"),
                     digest=data.get("digest", ""), meta=dict(data.get("meta") or {}),
                     production=data.get("production"))


_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'A-Z0-9])")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_RE.split(text.strip()) if s.strip()]


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text.strip()).strip(" ,;:-")
    if text and text[-1] not in ".!?":
        text += "."
    return text[:1].upper() + text[1:]


def _split_hook(first: str, title: str, wpm: float) -> tuple[str, str]:
    """Hook (speakable in under 3 s) and promise from the first paragraph."""
    limit = HOOK_MAX_SECONDS - 0.2
    parts = sentences(first)
    head, rest = parts[0], " ".join(parts[1:])
    if spoken_seconds(head, wpm) <= limit:
        return _sentence(head), rest
    # a long first sentence: cut it at its first pause (comma, colon, semicolon, dash) if that is short
    m = re.match(r"^(.{8,}?)(?:,|:|;|\s[-\u2013\u2014]\s)\s*(.+)$", head)
    if m and spoken_seconds(m.group(1), wpm) <= limit:
        rest_head = m.group(2)
        return _sentence(m.group(1)), (rest_head[:1].upper() + rest_head[1:] + " " + rest).strip()
    # otherwise the title is the hook and the whole first paragraph is the promise
    hook = title if title[-1:] in "?!." else title + "."
    if spoken_seconds(hook, wpm) <= limit:
        return hook, first
    return "Here's a story worth a minute.", first


def _body_beats(paragraphs: list[str], name: str) -> list[str]:
    body = list(paragraphs)
    if len(body) < BODY_MIN:
        # too few paragraphs: spread their sentences over BODY_MIN beats, keeping the order
        parts = [s for p in body for s in sentences(p)]
        if len(parts) < BODY_MIN:
            raise InputError(
                f"{name} has {len(parts)} sentence(s) after the first paragraph; a Short needs {BODY_MIN} body beats",
                field=f"{name}: body",
                fix=f"write at least {BODY_MIN} sentences (or paragraphs) after the opening paragraph")
        total = sum(len(p.split()) for p in parts)
        body, current, done = [], [], 0
        for i, part in enumerate(parts):
            current.append(part)
            done += len(part.split())
            beats_left = BODY_MIN - len(body) - 1
            parts_left = len(parts) - i - 1
            if beats_left and (done >= total * (len(body) + 1) / BODY_MIN or parts_left == beats_left):
                body.append(" ".join(current))
                current = []
        if current:
            body.append(" ".join(current))
    while len(body) > BODY_MAX:
        # too many paragraphs: merge the neighbouring pair with the fewest words
        i = min(range(len(body) - 1), key=lambda j: len(body[j].split()) + len(body[j + 1].split()))
        body[i:i + 2] = [body[i] + " " + body[i + 1]]
    return body


def narrative_script(channel: Channel, narrative: Narrative, *, name: str = "narrative") -> Script:
    """The narrative's own words as a Short's script, or an InputError saying what to change.

    The first paragraph becomes the hook (its first sentence or clause, if it can be said in
    under 3 s) and the value promise (the rest); every further paragraph becomes a body beat
    (4-7 of them: short narratives are split at sentences, long ones merged); the channel's call
    to action closes it. The script must fit the channel's target_seconds, otherwise it is
    rejected with how many words to cut or add.
    """
    if narrative.production:
        from .production import production_script

        return production_script(channel, narrative, name=name)
    wpm = channel.words_per_minute
    title = clean_topic(narrative.title, field=f"{name}: title")
    hook, promise = _split_hook(narrative.paragraphs[0], title, wpm)
    if not promise:
        promise = f"Here's {title[:1].lower() + title[1:].rstrip('?!.')}, in under a minute."
    body = _body_beats(narrative.paragraphs[1:], name)
    cta = channel.call_to_action or f"Follow {channel.title} for more stories like this."
    topic_words = keywords_of(title, 3)
    texts = [("hook", hook), ("promise", promise)] + [("body", b) for b in body] + [("cta", cta)]
    beats = []
    for kind, text in texts:
        prompt, kws = _visual(kind, text, topic_words, channel)
        beats.append(Beat(kind=kind, narration=_sentence(text), visual_prompt=prompt, keywords=kws))
    est = estimate_seconds(beats, wpm)
    if est > channel.max_seconds:
        cut = math.ceil((est - channel.max_seconds) * wpm / 60)
        raise InputError(
            f"{name} runs about {est:.0f} s when spoken, over {channel.name}'s {channel.max_seconds:.0f} s budget",
            field=f"{name}: body",
            fix=f"cut about {cut} words (or raise target_seconds.max for the channel, up to max_video_seconds)")
    if est < channel.min_seconds:
        add = math.ceil((channel.min_seconds - est) * wpm / 60)
        raise InputError(
            f"{name} runs about {est:.0f} s when spoken, under {channel.name}'s {channel.min_seconds:.0f} s minimum",
            field=f"{name}: body",
            fix=f"add about {add} words (or lower target_seconds.min for the channel)")
    tags = list(dict.fromkeys([t.lower() for t in channel.tags] + keywords_of(title, 4) + ["shorts"]))[:15]
    description = f"{promise}\n\n{channel.title}: {channel.niche}.\n" + " ".join(
        f"#{t.replace(' ', '')}" for t in tags[:5])
    return Script(
        channel=channel.name, topic=title, title=title if len(title) <= 90 else title[:87].rsplit(" ", 1)[0] + "...",
        description=description[:4900], tags=tags, beats=beats, words_per_minute=wpm,
        min_seconds=channel.min_seconds, max_seconds=channel.max_seconds, estimated_seconds=round(est, 2),
        writer="narrative",
    )
