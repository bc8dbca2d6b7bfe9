"""The offline script writer: every body beat is a fact from the topic's points or source.

It never invents a sentence. The facts come from ``points:`` (used in the user's order) or
a ``source:`` document (ranked by TextRank, kept in the document's order); the hook is the
most surprising clause of a fact that can be said in under 3 s (and the body then does not
say it again), or else the whole topic phrased for its shape ("Here's why cats purr.",
"The dancing plague of fifteen eighteen."). Without facts it refuses, naming the fixes.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .config import Channel, TopicSeed
from .errors import InputError
from .facts import STOPWORDS, Fact, keyphrases, points_as_facts, rank_facts, surprise
from .model import Beat, Script
from .script import (BODY_MAX, BODY_MIN, HOOK_MAX_SECONDS, _sentence, _visual, estimate_seconds, keywords_of,
                     spoken_seconds)
from .sources import Source, load_source

HOOK_TARGET_S = HOOK_MAX_SECONDS - 0.2  # a margin for the voice reading slower than the estimate
# Piper reads ~15 characters a second (spaces included); long words make the word estimate optimistic.
HOOK_MAX_CHARS = 40
_AUX = r"(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|must|may|might)"
_FUNCTION_START = frozenset("""and but or so because when while if which who whom whose where as after before although
though since until unless with without for from in on at by to of into during within then yet than whereas like
it this that these those they he she its their his her such there here we you i them even long just almost nearly
still also not perhaps maybe about around only""".split())
# A hook clause must score at least this (facts.surprise) to open the video instead of the topic.
HOOK_MIN_SURPRISE = 0.75
_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
        "seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
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
    # a number is said as several words ("1518": "one thousand five hundred eighteen"): five characters a digit
    chars = len(text) + 4 * sum(ch.isdigit() for ch in text)
    return spoken_seconds(text, wpm) <= limit and chars <= HOOK_MAX_CHARS


def _speakable(text: str) -> bool:
    """Plain words only: a voice reads "../etc" or "a_b" as a string of symbol names."""
    return bool(re.fullmatch(r"[\w'’,.?!:\- ]+", text)) and "_" not in text and ".." not in text


def _two_digits(n: int) -> str:
    return _ONES[n] if n < 20 else _TENS[n // 10] + (f" {_ONES[n % 10]}" if n % 10 else "")


def year_words(year: int) -> str:
    """A year as it is said ("1518": "fifteen eighteen", "1905": "nineteen oh five", "2007": "two thousand seven")."""
    if 2000 <= year <= 2009:
        return "two thousand" + (f" {_ONES[year - 2000]}" if year > 2000 else "")
    high, low = divmod(year, 100)
    tail = "hundred" if low == 0 else f"oh {_ONES[low]}" if low < 10 else _two_digits(low)
    return f"{_two_digits(high)} {tail}"


def spell_years(text: str) -> str:
    """Years in words: the voice reads "1518" as "one thousand five hundred eighteen" (3.0 s for a 4-word line)."""
    return re.sub(r"\b(1[0-9]{3}|20[0-9]{2})\b", lambda m: year_words(int(m.group(1))), text)


def hook_clauses(fact: Fact, wpm: float) -> list[str]:
    """The clauses of the fact that stand alone as a statement and are said in under 3 s."""
    text = fact.text.rstrip(".!")
    clauses = [text] + [c.strip() for c in re.split(r"[,;:]\s+|\s+(?:but|yet|so|because|while|which)\s+", text)]
    out: list[str] = []
    for clause in dict.fromkeys(clauses):
        words = clause.split()
        if not 4 <= len(words) <= 12 or words[0].lower() in _FUNCTION_START:
            continue
        if not re.search(rf"\b(?:{_AUX[3:-1]}|\w+(?:s|ed))\b", " ".join(words[1:]).lower()):
            continue  # no verb after the subject that we can recognise: a fragment, not a statement
        if words[-1].lower() in _FUNCTION_START or words[-1].lower() in {"a", "an", "the", "both", "either", "mainly"}:
            continue
        if words[0].lower().endswith("ing"):
            continue  # "Flushing out waste ...": a participle, not a subject
        after = text[text.find(clause) + len(clause):] if clause != text else ""
        if len(words) >= 2 and words[-2].lower() in {"a", "an", "the"} and re.match(r"^,\s+[a-z]", after) and \
                after[2:].split()[0].lower() not in _FUNCTION_START | set(_ONES) | set(_TENS):
            continue  # "a needy, baby like cry": the comma was inside a noun phrase
        if re.search(r"\b(?:this|that|these|those|such)\b", " ".join(words[:3]).lower()):
            continue  # "Most of that salt ...": leans on a sentence the viewer has not heard
        candidate = clause[:1].upper() + clause[1:] + "."
        if _fits(candidate, wpm) and _speakable(candidate):
            out.append(candidate)
    return out


def hook_from_fact(fact: Fact, wpm: float) -> str | None:
    """The fact's most surprising clause said in under 3 s, or None."""
    clauses = hook_clauses(fact, wpm)
    return max(clauses, key=surprise) if clauses else None


def without_clause(text: str, clause: str) -> str | None:
    """The fact with its leading clause (the hook) taken out, if what is left is a sentence; else None."""
    head = clause.rstrip(".")
    if not text.lower().startswith(head.lower()):
        return None
    rest = text[len(head):]
    m = re.match(r"^\s*(?:,\s*and|,\s*so|,\s*but|,\s*yet|;|:)\s+(\S+)", rest)
    if not m or m.group(1).lower().strip(",") in _FUNCTION_START:
        return None  # "..., where tiny muscles": a fragment, or "..., and they": nothing for the pronoun to mean
    rest = rest[m.start(1):].strip()
    if re.search(r"\b(?:it|its|they|them|their|he|him|his|she|her|this|these|those)\b", rest, re.I):
        return None  # "the sun sends less of it": the pronoun meant the clause the body no longer says
    return rest[:1].upper() + rest[1:] if len(rest.split()) >= 4 else None


def _topic_heads(shape: TopicShape) -> list[str]:
    """The topic, then the topic cut before a trailing phrase, longest first ("... a higher salary | at your first job")."""
    t = shape.text
    cuts = list(_PHRASE_START.finditer(t))
    if shape.kind in ("name", "thing"):
        cuts += list(re.finditer(r"\s+(?=of\s)", t))  # "The Great Wall | of China"
    heads = [t]
    for m in sorted(cuts, key=lambda m: -m.start()):
        head = t[:m.start()]
        content = [w for w in head.split() if w.lower() not in STOPWORDS]
        if len(head.split()) >= (3 if shape.kind in ("wh", "how_to") else 2) and len(content) >= (
                2 if shape.kind in ("name", "thing") else 1):
            heads.append(head)
    return heads


def fitting_hook(shape: TopicShape, count: int, wpm: float) -> str:
    """The shape's hook with every word of the topic kept if it is said in under 3 s; shortened only if it must be."""
    heads = [said for head in _topic_heads(shape) for said in dict.fromkeys((head, spell_years(head)))]
    shaped = [shape_hook(TopicShape(shape.kind, head, shape.count), count) for head in heads]
    plain = [head[:1].upper() + head[1:] + ("?" if shape.kind == "question" else ".") for head in heads]
    # "Why leaves change color." alone is a fragment: a shorter "Here's why ..." beats the whole topic bare
    order = shaped + plain if shape.kind in ("wh", "how_to") else [h for pair in zip(shaped, plain) for h in pair]
    for hook in order:
        if _fits(hook, wpm) and _speakable(hook):
            return hook
    # last resort, the topic's own content words in its order and case: "Eiffel Tower, explained."
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


def _rotate(options: list[str], topic: str) -> list[str]:
    """The phrasings starting from one fixed per topic (crc32 is stable across runs, unlike hash())."""
    i = zlib.crc32(topic.lower().encode()) % len(options)
    return options[i:] + options[:i]


def promise_lines(shape: TopicShape, topic_line: str, count: int, *, fact_hook: bool) -> list[str]:
    """Value promises, the topic's own first, a longer one last (for a script just under the channel's minimum).

    After a fact hook the promise names the topic; after the topic hook it says what is coming, in words that
    fit the shape (steps for a how-to, moments for a history) and vary between topics.
    """
    n = _NUMBERS.get(count, str(count))
    n_cap = n.capitalize()
    phrase = shape.text if _speakable(shape.text) and len(shape.text.split()) <= 9 else topic_line.rstrip(".?")
    if fact_hook:
        if shape.kind == "question":
            question = phrase[:1].upper() + phrase[1:] + "?" if phrase == shape.text else topic_line
            return [f"{question} {answer}" for answer in _rotate(["Here's the answer.", "Here's what we know."],
                                                                  shape.text)]
        if shape.kind == "list":
            return [f"Here are {list_title(TopicShape(shape.kind, phrase, shape.count), count)}."]
        if shape.kind in ("wh", "how_to", "history"):
            return [f"Here's {_lower_first(phrase)}, in {n} facts."]
        return [f"{phrase[:1].upper()}{phrase[1:]}, in {n} facts.",
                f"Here's the story of {_lower_first(phrase)}, in {n} facts."]
    text = shape.text.lower()
    kind = ("how" if text.startswith("how") else "why" if text.startswith("why") else "wh") \
        if shape.kind in ("wh", "question") else shape.kind
    options, longer = {
        "how": ([f"{n_cap} facts show how.", f"Let's see how, in {n} facts.", f"{n_cap} facts, step by step."],
                "Let's see how, one fact at a time."),
        "why": ([f"It comes down to {n} facts.", f"{n_cap} facts explain it.", f"The answer takes {n} facts."],
                "Here's the answer, one fact at a time."),
        "wh": ([f"{n_cap} facts answer it.", f"Here's the answer, in {n} facts.", f"The answer takes {n} facts."],
               "Here's the answer, one fact at a time."),
        "how_to": ([f"{n_cap} steps, start to finish.", f"Here's what to do, in {n} steps.", f"{n_cap} steps, in order."],
                   "Here's what to do, one step at a time."),
        "history": ([f"{n_cap} moments tell the story.", f"Here's the story, in {n} moments.",
                     f"{n_cap} moments, in order."], "Here's the story, one moment at a time."),
        "list": (["Let's count them.", "Let's go through them.", "Here they are."],
                 "Let's go through them, one at a time."),
    }.get(kind, ([f"{n_cap} facts tell the story.", f"Here's the story, in {n} facts.", f"{n_cap} facts, in order."],
                 "Here's the story, one fact at a time."))
    options = _rotate(options, shape.text)
    if topic_line.startswith("Here"):  # not "Here's the history of X. Here's the story, ..."
        options.sort(key=lambda o: o.startswith("Here"))
    return options + [longer]


# -- the writer ------------------------------------------------------------------------------


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


def hook_options(facts: list[Fact], body: list[Fact], *, frame: list[Beat], channel: Channel, want: int | None,
                 ordered_by_user: bool) -> Iterator[tuple[str, list[Fact], dict[str, str]]]:
    """Surprising clauses said in under 3 s, best first, each with a body that does not say it again.

    The body loses the hook's fact when enough facts are left, else only the hook's leading clause (when the rest
    is a sentence); a hook that can be neither is skipped, so the viewer never hears one clause twice.
    """
    wpm = channel.words_per_minute
    candidates = [(surprise(clause) + 0.25 * f.surprise, -f.position, clause, f)
                  for f in facts for clause in hook_clauses(f, wpm) if surprise(clause) >= HOOK_MIN_SURPRISE]
    in_body = {f.text for f in body}
    for _, _, clause, fact in sorted(candidates, key=lambda c: (-c[0], -c[1])):
        if fact.text not in in_body:
            yield clause, body, {}
            continue
        rest = [f for f in facts if f.text != fact.text]
        smaller = _select(rest, fixed=frame, channel=channel, want=want, ordered_by_user=ordered_by_user)
        if len(smaller) >= BODY_MIN and (want is None or len(smaller) == len(body)):
            yield clause, smaller, {}
        shorter = without_clause(fact.text, clause)
        if shorter:
            yield clause, body, {fact.text: shorter}


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
    topic_words = list(seed.keywords) if seed and seed.keywords else keywords_of(topic, 3)

    def beat(kind: str, text: str) -> Beat:
        prompt, kws = _visual(kind, text, topic_words, channel)
        return Beat(kind=kind, narration=_sentence(text), visual_prompt=prompt, keywords=kws)

    def assemble(fact_hook: str | None, chosen: list[Fact], texts: dict[str, str]) -> tuple[list[Beat], str, str]:
        """The script with this hook and body, and the first promise that keeps it inside the budget."""
        topic_line = fitting_hook(shape, len(chosen), wpm)
        hook = fact_hook or topic_line
        tried = []
        for promise in promise_lines(shape, topic_line, len(chosen), fact_hook=fact_hook is not None):
            beats = ([beat("hook", hook), beat("promise", promise)]
                     + [beat("body", texts.get(f.text, f.text)) for f in chosen] + [beat("cta", cta)])
            if channel.min_seconds <= estimate_seconds(beats, wpm) <= channel.max_seconds:
                return beats, hook, promise
            tried.append((beats, hook, promise))
        return tried[0]

    options = hook_options(facts, body, frame=frame, channel=channel, want=want, ordered_by_user=source is None)
    for fact_hook, chosen, texts in options:
        beats, hook, promise = assemble(fact_hook, chosen, texts)
        if channel.min_seconds <= estimate_seconds(beats, wpm) <= channel.max_seconds:
            body = chosen
            break
    else:
        beats, hook, promise = assemble(None, body, {})
    count = len(body)
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
