"""The offline script writer: every body beat is a fact from the topic's points or source.

It never invents a sentence. The facts come from ``points:`` (used in the user's order) or
a ``source:`` document (ranked by TextRank, kept in the document's order); the hook is the
most surprising fact cut to a clause that can be said in under 3 s, or else the topic
phrased for its shape ("Here's why cats purr."). Without facts it refuses, naming the fixes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .config import Channel, TopicSeed
from .errors import InputError
from .facts import STOPWORDS, Fact, keyphrases, points_as_facts, rank_facts, tokens
from .model import Beat, Script
from .script import (BODY_MAX, BODY_MIN, HOOK_MAX_SECONDS, _sentence, _visual, estimate_seconds, keywords_of,
                     spoken_seconds)
from .sources import Source, is_url, load_source

HOOK_TARGET_S = HOOK_MAX_SECONDS - 0.2  # a margin for the voice reading slower than the estimate
# Piper reads ~15 characters a second (spaces included); long words make the word estimate optimistic.
HOOK_MAX_CHARS = 40
_AUX = r"(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|must|may|might)"
_FUNCTION_START = frozenset("""and but or so because when while if which who whom whose where as after before although
though since until unless with without for from in on at by to of into during within then yet than whereas like
it this that these those they he she its their his her such there here we you i them""".split())
_PHRASE_START = re.compile(r"\s+(?=(?:at|in|on|for|with|during|when|without|from|to|by|after|before|while|because|"
                           r"that|which|who)\s)", re.I)
_NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}


class NoGroundingError(InputError):
    """No facts to build a script from (no points, no source, no narrative, no model)."""


def no_grounding_error(channel: Channel, topic: str) -> NoGroundingError:
    return NoGroundingError(
        f"no facts to write a script about {topic!r}: the offline writer only tells facts from a source "
        "and never fills a video with generic sentences",
        field=f"channels ({channel.name}).topics ({topic})",
        fix="give it facts in one of three ways: (1) add `points:` or `source: FILE|URL` to the topic in "
            "channels.yaml, or run `shortsmith video --topic ... --source FILE|URL`; (2) drop a Markdown "
            "narrative about it into the inbox; (3) configure a script model: OPENAI_API_KEY, or OPENAI_BASE_URL "
            "for a local OpenAI-compatible server (Ollama: http://127.0.0.1:11434/v1), with "
            "`providers: {script: [openai, offline]}` on the channel; or SHORTSMITH_LLM_GGUF (a GGUF run in-process) "
            "with `providers: {script: [local, offline]}`")


def is_grounded(seed: TopicSeed | None) -> bool:
    """Whether the offline writer has facts for this topic (its points or a source)."""
    return bool(seed and (any(p.strip() for p in seed.points) or seed.source))


# -- topic shapes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicShape:
    kind: str  # question | wh | how_to | list | history | name | thing
    text: str  # the topic without trailing punctuation
    count: int | None = None  # the N of "5 facts about X"


def topic_shape(topic: str) -> TopicShape:
    t = re.sub(r"\s+", " ", topic.strip()).rstrip("?!. ")
    low = t.lower()
    if topic.strip().endswith("?") or re.match(rf"^(?:(?:why|how|what|who|where|when|which)\s+{_AUX}|{_AUX})\b", low):
        return TopicShape("question", t)
    if re.match(r"^how to\b", low):
        return TopicShape("how_to", t)
    if re.match(r"^(?:why|how|what|who|where|when)\b", low):
        return TopicShape("wh", t)
    m = re.match(r"^(\d+|two|three|four|five|six|seven|eight|nine|ten)\s+\w+", low)
    if m:
        n = m.group(1)
        count = int(n) if n.isdigit() else next(k for k, v in _NUMBERS.items() if v == n)
        return TopicShape("list", t, count)
    if re.match(r"^(?:the\s+)?(?:history|story|origins?|rise|fall|invention|discovery)\s+of\b", low):
        return TopicShape("history", t)
    words = [w for w in re.findall(r"[^\W_][\w'’.-]*", t)]
    small = {"of", "the", "and", "de", "van", "von", "da", "la", "le", "du", "in", "on"}
    if len(words) >= 2 and all(w[0].isupper() or w.lower() in small for w in words) and words[0][0].isupper():
        return TopicShape("name", t)
    return TopicShape("thing", t)


def _lower_first(text: str) -> str:
    """Lowercase the first letter for mid-sentence use, unless it starts a name or an acronym ("Marie Curie", "DNA")."""
    words = text.split()
    first = words[0]
    if first.isupper() and len(first) > 1 or any(c.isupper() for c in first[1:]):
        return text
    if len(words) > 1 and words[1][:1].isupper() and first.lower() not in {"the", "a", "an", "how", "why", "what",
                                                                             "who", "where", "when"}:
        return text
    return text[:1].lower() + text[1:]


def shape_hook(shape: TopicShape, count: int) -> str:
    """The topic phrased as a grammatical opening line for its shape."""
    t = shape.text
    if shape.kind == "question":
        return t[:1].upper() + t[1:] + "?"
    if shape.kind in ("wh", "how_to", "history"):
        return f"Here's {_lower_first(t)}."
    if shape.kind == "list":
        return f"Here are {list_title(shape, count)[:1].lower()}{list_title(shape, count)[1:]}."
    return f"{t[:1].upper()}{t[1:]}, explained."


def list_title(shape: TopicShape, count: int) -> str:
    """"5 facts about X" with the number the script really has."""
    rest = re.sub(r"^\S+\s+", "", shape.text)
    return f"{count} {rest}"


def make_title(shape: TopicShape, count: int) -> str:
    if shape.kind == "question":
        title = shape.text + "?"
    elif shape.kind == "list":
        title = list_title(shape, count)
    else:
        title = shape.text
    title = title[:1].upper() + title[1:]
    return title if len(title) <= 90 else title[:87].rsplit(" ", 1)[0] + "..."


def _fits(text: str, wpm: float, limit: float = HOOK_TARGET_S) -> bool:
    # a number is said as several words ("1518": "fifteen eighteen"): count each digit as five characters
    chars = len(text) + 4 * sum(ch.isdigit() for ch in text)
    return spoken_seconds(text, wpm) <= limit and chars <= HOOK_MAX_CHARS


def _speakable(text: str) -> bool:
    """Plain words only: a voice reads "../etc" or "a_b" as a string of symbol names."""
    return bool(re.fullmatch(r"[\w'’,.?!:\- ]+", text)) and "_" not in text and ".." not in text


def hook_from_fact(fact: Fact, wpm: float) -> str | None:
    """A clause of the fact that stands alone and is said in under 3 s, or None."""
    text = fact.text.rstrip(".!")
    clauses = [text] + [c.strip() for c in re.split(r"[,;:]\s+|\s+(?:but|yet|so|because|while|which)\s+", text)]
    for clause in clauses:
        words = clause.split()
        if not 4 <= len(words) <= 12 or words[0].lower() in _FUNCTION_START:
            continue
        if not re.search(rf"\b(?:{_AUX[3:-1]}|\w+(?:s|ed))\b", clause.lower()):
            continue  # no verb we can recognise: a fragment, not a statement
        if words[-1].lower() in _FUNCTION_START or words[-1].lower() in {"a", "an", "the"}:
            continue
        candidate = clause[:1].upper() + clause[1:] + "."
        if _fits(candidate, wpm):
            return candidate
    return None


def fitting_hook(shape: TopicShape, count: int, wpm: float) -> str:
    """The shape's hook, shortened until it is said in under 3 s, whatever the topic."""
    t = shape.text
    # the topic, then the topic cut before a trailing phrase ("... a higher salary | at your first job")
    heads = [t] + [t[:m.start()] for m in reversed(list(_PHRASE_START.finditer(t)))
                   if len(t[:m.start()].split()) >= (3 if shape.kind in ("wh", "how_to") else 2)]
    for head in heads:
        cut = TopicShape(shape.kind, head, shape.count)
        for hook in (shape_hook(cut, count), head[:1].upper() + head[1:] + ("?" if shape.kind == "question" else ".")):
            if _fits(hook, wpm) and _speakable(hook):
                return hook
    # the topic's own content words, in its order and case: "Eiffel Tower, explained."
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'’]*", shape.text)
             if w.lower() not in STOPWORDS and 2 < len(w) <= 14]
    names = [w for w in words[1:] if w[0].isupper()]
    words = names or words
    words = list(dict.fromkeys(words))[:4]
    while words:
        phrase = " ".join(words)
        candidate = f"{phrase[:1].upper()}{phrase[1:]}, explained."
        if _fits(candidate, wpm):
            return candidate
        words = words[:-1]
    return "Here's the story."


# -- the writer ------------------------------------------------------------------------------


def _source_label(source: Source | None, topic: str) -> str:
    if source is None:
        return "the channel's notes"
    if source.title and not set(tokens(source.title)) <= set(tokens(topic)):
        return source.title
    if is_url(source.origin):
        return re.sub(r"^https?://(?:www\.)?", "", source.origin).split("/", 1)[0]
    return "the source"


def gather_facts(channel: Channel, topic: str, seed: TopicSeed | None,
                 base_dir: Path | None = None) -> tuple[list[Fact], Source | None]:
    """The topic's facts: its points first (in order), then the source's sentences (best first)."""
    facts = points_as_facts(list(seed.points)) if seed else []
    source = None
    if seed and seed.source:
        source = load_source(seed.source, base_dir=base_dir,
                             field=f"channels ({channel.name}).topics ({topic}).source")
        offset = len(facts)
        known = {f.text.lower() for f in facts}
        for f in rank_facts(source.text, topic):
            if f.text.lower() not in known:
                facts.append(Fact(f.text, f.original, f.position + offset, f.rank, f.surprise))
    return facts, source


def _select(facts: list[Fact], *, fixed: list[Beat], channel: Channel, want: int | None,
            ordered_by_user: bool) -> list[Fact]:
    """Facts for the body, best first, while they fit the budget; then in their source order."""
    wpm = channel.words_per_minute
    mid = (channel.min_seconds + channel.max_seconds) / 2
    chosen: list[Fact] = []
    pool = facts if ordered_by_user else sorted(facts, key=lambda f: (-f.rank, f.position))
    for fact in pool:
        if len(chosen) >= (want or BODY_MAX):
            break
        beats = fixed + [Beat("body", f.text, "") for f in chosen + [fact]]
        if estimate_seconds(beats, wpm) > channel.max_seconds:
            continue
        chosen.append(fact)
        if want is None and len(chosen) >= BODY_MIN and estimate_seconds(beats, wpm) >= mid:
            break
    return sorted(chosen, key=lambda f: f.position)


def write_offline_script(channel: Channel, topic: str, seed: TopicSeed | None = None, *,
                         base_dir: Path | None = None) -> Script:
    """A script whose every body beat is a fact from the topic's points or source; deterministic."""
    topic = topic.strip()
    facts, source = gather_facts(channel, topic, seed, base_dir)
    if not facts:
        raise no_grounding_error(channel, topic)
    shape = topic_shape(topic)
    wpm = channel.words_per_minute
    field = f"channels ({channel.name}).topics ({topic})"
    want = shape.count if shape.kind == "list" and shape.count and BODY_MIN <= shape.count <= BODY_MAX else None
    cta = channel.call_to_action or f"Follow {channel.title} for more."
    # the frame's length is known only once the hook is chosen; size the body for the longer frame
    frame = [Beat("hook", "x " * 8, ""), Beat("promise", "x " * 12, ""), Beat("cta", cta, "")]
    body = _select(facts, fixed=frame, channel=channel, want=want, ordered_by_user=source is None)
    if len(body) < BODY_MIN:
        usable = len(facts)
        raise InputError(
            f"only {len(body)} of {usable} fact(s) about {topic!r} fit as beats; a Short needs {BODY_MIN}-{BODY_MAX}",
            field=field + (".source" if source else ".points"),
            fix=f"give at least {BODY_MIN} facts of one sentence each (points or a longer source), "
                f"or raise target_seconds.max (now {channel.max_seconds:.0f} s)")
    count = len(body)
    surprising = max(body, key=lambda f: (f.surprise, -f.position))
    fact_hook = hook_from_fact(surprising, wpm)
    topic_line = fitting_hook(shape, count, wpm)
    n_words = _NUMBERS.get(count, str(count)).capitalize()
    if fact_hook:
        hook = fact_hook
        promise = (topic_line[:-1] + ", in " + n_words.lower() + " facts." if shape.kind != "question"
                   else f"The answer, in {n_words.lower()} facts.")
    else:
        hook = topic_line
        if shape.kind == "list":
            promise = f"Let's count them, from {_source_label(source, topic)}." if source else "Let's count them."
        else:
            promise = (f"{n_words} facts, from {_source_label(source, topic)}." if source
                       else f"{n_words} facts, one at a time.")
    topic_words = list(seed.keywords) if seed and seed.keywords else keywords_of(topic, 3)

    def beat(kind: str, text: str) -> Beat:
        prompt, kws = _visual(kind, text, topic_words, channel)
        return Beat(kind=kind, narration=_sentence(text), visual_prompt=prompt, keywords=kws)

    beats = [beat("hook", hook), beat("promise", promise)] + [beat("body", f.text) for f in body] + [beat("cta", cta)]
    est = estimate_seconds(beats, wpm)
    if est > channel.max_seconds:
        raise InputError(f"the facts about {topic!r} run {est:.0f} s, over the {channel.max_seconds:.0f} s budget",
                         field=f"channels.{channel.name}.target_seconds",
                         fix="raise target_seconds.max or words_per_minute, or shorten the topic's points")
    if est < channel.min_seconds:
        raise InputError(
            f"the {count} facts about {topic!r} make only {est:.0f} s of speech; the channel's minimum is "
            f"{channel.min_seconds:.0f} s", field=field + (".source" if source else ".points"),
            fix="add facts (more points or a longer source), or lower target_seconds.min")
    title = make_title(shape, count)
    exclude = {w.lower() for w in re.findall(r"[A-Za-z]+", channel.title)}
    content_tags = keyphrases([f.text for f in body], 6, exclude=exclude)
    tags = list(dict.fromkeys([t.lower() for t in channel.tags] + keywords_of(topic, 3) + content_tags
                              + ["shorts"]))[:15]
    credit = f"\n\nSource: {source.origin}" if source else ""
    description = (f"{hook} {promise}\n\n" + "\n".join(f"- {f.text}" for f in body) + credit
                   + f"\n\n{channel.title}: {channel.niche}.\n" + " ".join(f"#{t.replace(' ', '')}" for t in tags[:5]))
    return Script(
        channel=channel.name, topic=topic, title=title, description=description[:4900], tags=tags,
        beats=beats, words_per_minute=wpm, min_seconds=channel.min_seconds, max_seconds=channel.max_seconds,
        estimated_seconds=round(est, 2), writer="offline", facts=[f.original for f in body],
        source=source.origin if source else ("points" if seed and seed.points else ""),
    )
