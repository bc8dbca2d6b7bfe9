"""Script structure and duration budget, shared by every writer (offline, model, narrative).

A Short's script is: a hook (spoken in at most 3 s), a value promise, 4-7 body beats
and a call to action. Each beat is one scene. Its spoken length is estimated from the
channel's words-per-minute plus the pauses between beats, and must fall inside the
channel's target range; a script over the budget is never produced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .config import Channel
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


def is_production(script: Script) -> bool:
    """A narrative production (speakers, scenes, a series or a non-Short format): not held to a
    topic Short's hook/promise/body/cta structure (shortsmith/production.py)."""
    return bool(script.series) or script.format != "9:16" or any(
        b.speaker or b.scene or b.terminal or b.transition for b in script.beats)


def hook_rule_applies(script: Script) -> bool:
    """The 3 s hook is a Short's rule (9:16 or 1:1); a 16:9 episode opens as it likes."""
    return script.format in ("9:16", "1:1")


def check_script(script: Script) -> list[ScriptProblem]:
    """Every way the script breaks the structure or the budget, as readable problems."""
    problems: list[ScriptProblem] = []
    kinds = [b.kind for b in script.beats]
    production = is_production(script)
    if production:  # a narrative production: its opening line is the hook, every further line a body beat
        if not kinds or kinds[0] != "hook" or any(k != "body" for k in kinds[1:]):
            problems.append(ScriptProblem("beats", f"a production's beats must be a hook, then body beats; got {kinds}"))
    else:
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
    if script.beats and hook_rule_applies(script):
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
# shared by the writers: keywords and visual prompts


def keywords_of(text: str, limit: int = 4) -> list[str]:
    seen: list[str] = []
    for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text):
        lw = w.lower().strip("'-")
        if lw in _STOPWORDS or len(lw) < 4 or lw in seen:
            continue
        seen.append(lw)
    seen.sort(key=lambda w: -len(w))
    return seen[:limit]


_VISUAL_MOODS = {
    "hook": "bold dramatic close-up, high contrast",
    "promise": "wide establishing view, inviting light",
    "body": "clear illustrative scene, depth and motion",
    "cta": "clean focal emblem, warm glow",
}


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


def script_markdown(script: Script) -> str:
    """The script as markdown, for the asset's metadata in the UI."""
    lines = [f"### {script.title}", "", f"*{script.estimated_seconds:.1f} s estimated "
             f"({script.word_count} words at {script.words_per_minute:.0f} wpm), writer: {script.writer}*", ""]
    for i, b in enumerate(script.beats):
        lines.append(f"{i + 1}. **{b.kind}**: {b.narration}  ")
        lines.append(f"   _visual: {b.visual_prompt}_")
    return "\n".join(lines)


def write_offline_script(channel: Channel, topic: str, seed=None, **kwargs) -> Script:
    """The offline writer (grounded.py: facts from the topic's points or source, never filler)."""
    from .grounded import write_offline_script as write

    return write(channel, topic, seed, **kwargs)
