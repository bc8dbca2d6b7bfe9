"""Script structure, duration budget and the offline (deterministic) script writer.

A Short's script is: a hook (spoken in at most 3 s), a value promise, 4-7 body beats
and a call to action. Each beat is one scene. Its spoken length is estimated from the
channel's words-per-minute plus the pauses between beats, and must fall inside the
channel's target range; a script over the budget is never produced.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .config import Channel, TopicSeed
from .errors import InputError
from .model import Beat, Script
from .timing import LEAD_IN_S, PAUSE_BETWEEN_BEATS_S

HOOK_MAX_SECONDS = 3.0
BODY_MIN, BODY_MAX = 4, 7

_STOPWORDS = set("""a an the and or but if then than so to of in on at by for with from into onto over under
about as is are was were be been being it its this that these those there their they them you your we our us
he she his her i me my not no do does did doing have has had how why what when where which who whom whose will
would can could should may might must just very more most much many some any every each few own same also only
than too out up down off again further once here all both other such nor s t don now get got make makes made
one two three four five six seven eight nine ten thing things way ways really actually people you'll you're
here's that's it's don't didn't won't watch seconds follow explain tell real reason surprised part next later
save simple fast wild nobody everything stranger think guess wrong find basics""".split())


def words(text: str) -> list[str]:
    return text.split()


def spoken_seconds(text: str, wpm: float) -> float:
    """Estimated speaking time of one beat. Numbers and long words take longer to say."""
    n = 0.0
    for w in words(text):
        core = re.sub(r"[^\w]", "", w)
        n += 1.0 + (0.5 if len(core) >= 9 else 0.0) + (0.8 * len(core) / 4 if core.isdigit() else 0.0)
    return n / wpm * 60.0


def estimate_seconds(beats: list[Beat], wpm: float) -> float:
    speech = sum(spoken_seconds(b.narration, wpm) for b in beats)
    return LEAD_IN_S + speech + PAUSE_BETWEEN_BEATS_S * max(0, len(beats) - 1)


@dataclass
class ScriptProblem:
    field: str
    message: str


def check_script(script: Script) -> list[ScriptProblem]:
    """Every way the script breaks the structure or the budget, as readable problems."""
    problems: list[ScriptProblem] = []
    kinds = [b.kind for b in script.beats]
    if len(kinds) < 2 + BODY_MIN + 0 or kinds[0] != "hook" or kinds[1] != "promise" or kinds[-1] != "cta":
        problems.append(ScriptProblem("beats", f"beats must be hook, promise, {BODY_MIN}-{BODY_MAX} body beats, cta; got {kinds}"))
    n_body = kinds.count("body")
    if not BODY_MIN <= n_body <= BODY_MAX:
        problems.append(ScriptProblem("beats", f"{n_body} body beats; a Short needs {BODY_MIN}-{BODY_MAX}"))
    for i, beat in enumerate(script.beats):
        if not beat.narration.strip():
            problems.append(ScriptProblem(f"beats[{i}].narration", "is empty"))
        if not beat.visual_prompt.strip():
            problems.append(ScriptProblem(f"beats[{i}].visual_prompt", "is empty"))
    if script.beats:
        hook_s = spoken_seconds(script.beats[0].narration, script.words_per_minute)
        if hook_s > HOOK_MAX_SECONDS:
            problems.append(ScriptProblem("beats[0].narration",
                                          f"hook takes {hook_s:.1f} s to say; it must be <= {HOOK_MAX_SECONDS:.0f} s"))
    est = estimate_seconds(script.beats, script.words_per_minute)
    if est > script.max_seconds:
        problems.append(ScriptProblem("beats", f"script runs {est:.1f} s, over the {script.max_seconds:.0f} s budget"))
    if est < script.min_seconds:
        problems.append(ScriptProblem("beats", f"script runs {est:.1f} s, under the {script.min_seconds:.0f} s minimum"))
    if not script.title.strip() or len(script.title) > 100:
        problems.append(ScriptProblem("title", f"title must be 1-100 characters, got {len(script.title)}"))
    return problems


# ---------------------------------------------------------------------------
# the offline writer


def _pick(options: list[str], seed: str, salt: str) -> str:
    h = int(hashlib.sha256(f"{seed}|{salt}".encode()).hexdigest(), 16)
    return options[h % len(options)]


def keywords_of(text: str, limit: int = 4) -> list[str]:
    seen: list[str] = []
    for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text):
        lw = w.lower().strip("'-")
        if lw in _STOPWORDS or len(lw) < 4 or lw in seen:
            continue
        seen.append(lw)
    seen.sort(key=lambda w: -len(w))
    return seen[:limit]


@dataclass(frozen=True)
class _TopicShape:
    kind: str  # why | how | what | list | story | thing
    subject: str  # the topic with its question word removed, e.g. "cats purr"


def _shape(topic: str) -> _TopicShape:
    t = topic.strip().rstrip("?!.")
    low = t.lower()
    m = re.match(r"^(why|how|what)\b\s*(?:do|does|did|is|are|was|were|can|to)?\s*(.*)$", low)
    if m and m.group(2):
        return _TopicShape(m.group(1), t[len(t) - len(m.group(2)):])
    if re.match(r"^\d+\s", low) or re.search(r"\b(facts|things|ways|tips|secrets|myths)\b", low):
        return _TopicShape("list", t)
    if re.match(r"^(the )?(history|story|origin|rise|fall) of\b", low):
        return _TopicShape("story", re.sub(r"^(the )?(history|story|origin|rise|fall) of\s+", "", t, flags=re.I))
    return _TopicShape("thing", t)


_HOOKS = {
    "why": ["{Topic}? Here's the real reason.", "Nobody tells you why {subject}.", "{Topic}? It's stranger than you think."],
    "how": ["{Topic}? Watch this.", "Here's how {subject}, fast.", "{Topic}, in under a minute."],
    "what": ["{Topic}? Let's find out.", "What really {subject}?", "{Topic}? Most people guess wrong."],
    "list": ["{Topic}. Number four surprised me.", "{Topic}, fast.", "You won't believe these {subject}."],
    "story": ["The story of {subject} is wild.", "{Subject} didn't start how you think.", "Here's how {subject} began."],
    "thing": ["{Topic} is not what you think.", "Everything about {subject}, fast.", "{Topic}: the part nobody explains."],
}
_SHORT_HOOKS = ["You've been told this wrong.", "This changes how you see it.", "Stop scrolling. This is wild.",
                "Here's what nobody explains."]
_PROMISES = [
    "In the next {seconds} seconds you'll know more about {about} than most people ever will.",
    "Stick around, because by the end you'll be able to explain {about} to anyone.",
    "Here are the facts about {about} that actually matter, one by one.",
    "Let's break down {about} into a few simple ideas you won't forget.",
]
_BODY_GENERIC = [
    "To understand {about}, start with the basics: a few simple forces working together.",
    "Most people only see the surface, but the interesting part of {about} happens underneath.",
    "Scientists have studied {about} for decades, and the answer keeps getting more surprising.",
    "Here's a detail people miss: small changes lead to surprisingly big effects.",
    "Think of it like a machine with many parts, each one doing a small, specific job.",
    "This is happening around you right now, you just don't notice it.",
    "And the best part: once you understand {about}, you start noticing it everywhere.",
    "There's still an open question here that researchers are racing to answer.",
    "The way we understand {about} today was hard won, through centuries of curiosity.",
]
_CTAS = [
    "Follow {channel} for a new one every day.",
    "Follow for more, and tell me what we should explain next.",
    "If that surprised you, follow {channel} for more like it.",
    "Save this for later and follow for part two.",
]
_VISUAL_MOODS = {
    "hook": "bold dramatic close-up, high contrast",
    "promise": "wide establishing view, inviting light",
    "body": "clear illustrative scene, depth and motion",
    "cta": "clean focal emblem, warm glow",
}


def _fmt(template: str, *, topic: str, subject: str, channel: Channel, seconds: int) -> str:
    shape = _shape(topic)
    about = f"{shape.kind} {subject.lower()}" if shape.kind in ("why", "how", "what") else subject.lower()
    text = template.format(Topic=topic, topic=topic.lower(), subject=subject.lower(), about=about,
                           Subject=subject[:1].upper() + subject[1:], channel=channel.title, seconds=seconds)
    return re.sub(r"\?\?+", "?", text.replace("?.", "?").replace("?,", "?"))


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text.strip())
    if text and text[-1] not in ".!?":
        text += "."
    return text[:1].upper() + text[1:]


def _visual(kind: str, narration: str, topic_words: list[str], channel: Channel) -> tuple[str, list[str]]:
    own = keywords_of(narration, 3)
    # The body shows what its sentence says; hook, promise and call to action show the topic.
    first, second = (own, topic_words) if kind == "body" else (topic_words, own)
    kws: list[str] = []
    for w in first + second:
        if w not in kws and len(kws) < 4:
            kws.append(w)
    prompt = f"{_VISUAL_MOODS[kind]}: {', '.join(kws) or channel.niche}; {channel.style.name} style, vertical 9:16"
    return prompt, kws


def write_offline_script(channel: Channel, topic: str, seed: TopicSeed | None = None) -> Script:
    """A deterministic, topic-aware script that never exceeds the channel's budget.

    The same topic and channel always give the same script; different topics choose
    different hooks, promises, body templates and calls to action. When the topic has
    ``points`` in channels.yaml, those facts become the body beats.
    """
    topic = topic.strip()
    shape = _shape(topic)
    key = f"{channel.name}|{topic.lower()}"
    wpm = channel.words_per_minute
    subject = shape.subject or topic
    kwargs = dict(topic=topic, subject=subject, channel=channel, seconds=int((channel.min_seconds + channel.max_seconds) / 2 // 5 * 5))

    hook_options = [_fmt(h, **kwargs) for h in _HOOKS[shape.kind]]
    hook_options = [h for h in hook_options if spoken_seconds(h, wpm) <= HOOK_MAX_SECONDS - 0.3]
    hook = _pick(hook_options or _SHORT_HOOKS, key, "hook")
    promise = _fmt(_pick(_PROMISES, key, "promise"), **kwargs)
    cta_text = channel.call_to_action or _fmt(_pick(_CTAS, key, "cta"), **kwargs)

    facts = [_sentence(p) for p in (seed.points if seed else ()) if p.strip()]
    generic_order = sorted(_BODY_GENERIC, key=lambda t: hashlib.sha256(f"{key}|{t}".encode()).hexdigest())
    generic = [_fmt(t, **kwargs) for t in generic_order]
    body_pool = facts + [g for g in generic if g not in facts]
    topic_words = list(seed.keywords) if seed and seed.keywords else keywords_of(topic, 3)

    def make(body: list[str]) -> list[Beat]:
        texts = [("hook", hook), ("promise", promise)] + [("body", b) for b in body] + [("cta", cta_text)]
        beats = []
        for kind, text in texts:
            prompt, kws = _visual(kind, text, topic_words, channel)
            beats.append(Beat(kind=kind, narration=_sentence(text), visual_prompt=prompt, keywords=kws))
        return beats

    # Grow the body beat by beat while it fits; stop once inside the target window.
    body: list[str] = []
    for candidate in body_pool:
        if len(body) >= BODY_MAX:
            break
        trial = make(body + [candidate])
        if estimate_seconds(trial, wpm) > channel.max_seconds:
            continue  # this beat is too long for what is left of the budget; try a shorter one
        body.append(candidate)
        if len(body) >= BODY_MIN and estimate_seconds(trial, wpm) >= (channel.min_seconds + channel.max_seconds) / 2:
            break
    beats = make(body)
    est = estimate_seconds(beats, wpm)
    if len(body) < BODY_MIN or est > channel.max_seconds:
        raise InputError(
            f"cannot fit {BODY_MIN} body beats about {topic!r} into {channel.max_seconds:.0f} s at {wpm:.0f} wpm",
            field=f"channels.{channel.name}.target_seconds",
            fix="raise target_seconds.max or words_per_minute, or shorten the topic's points",
        )

    title = topic if len(topic) <= 90 else topic[:87].rsplit(" ", 1)[0] + "..."
    title = title[:1].upper() + title[1:]
    base_tags = [t.lower() for t in channel.tags] + keywords_of(topic, 4)
    tags = list(dict.fromkeys(base_tags + ["shorts"]))[:15]
    description = (
        f"{promise}\n\n"
        + "\n".join(f"- {b}" for b in body[:3])
        + f"\n\n{channel.title}: {channel.niche}.\n"
        + " ".join(f"#{t.replace(' ', '')}" for t in tags[:5])
    )
    return Script(
        channel=channel.name, topic=topic, title=title, description=description[:4900], tags=tags,
        beats=beats, words_per_minute=wpm, min_seconds=channel.min_seconds, max_seconds=channel.max_seconds,
        estimated_seconds=round(est, 2), writer="offline",
    )


def script_markdown(script: Script) -> str:
    """The script as markdown, for the asset's metadata in the UI."""
    lines = [f"### {script.title}", "", f"*{script.estimated_seconds:.1f} s estimated "
             f"({script.word_count} words at {script.words_per_minute:.0f} wpm), writer: {script.writer}*", ""]
    for i, b in enumerate(script.beats):
        lines.append(f"{i + 1}. **{b.kind}**: {b.narration}  ")
        lines.append(f"   _visual: {b.visual_prompt}_")
    return "\n".join(lines)
