"""Scene plans: which subjects and which composition a beat gets, chosen by what it says.

Layouts (``LAYOUTS``):

- ``hero``: one subject, large, with the beat kind's focal element (rays, orbit, rings) behind;
- ``group``: the strongest subject behind, two related props in front, each with its shadow;
- ``closeup``: the subject so large the frame crops it, a distant companion out of focus;
- ``figure``: a number the beat says ("twenty to thirty times" -> 20-30) as big type, the subject small;
- ``compare``: two cards side by side (before/after, or this vs that) for a beat that contrasts;
- ``steps``: three subjects along a numbered path for a beat that lists or sequences.

A plan is plain data (it goes into the scene manifest): the layout, the subjects with their
match scores, the figure, and the method that matched them. Consecutive scenes never share a
subject nor, where the beat allows a choice, a layout.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ToolMissingError
from ..model import Beat
from . import subjects as lib
from .lighting import subject_beat

LAYOUTS = ("hero", "group", "closeup", "figure", "compare", "steps")

_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                      "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10 ** 6, "billion": 10 ** 9}
_NUMWORD = set(_UNITS) | set(_TENS) | set(_SCALES)
_COMPARE = re.compile(r"\b(than|versus|vs|instead|compared|unlike|whereas|but|yet|used to)\b", re.I)
_BEFORE = re.compile(r"\b(before|used to|once|at first|in the past)\b", re.I)
_AFTER = re.compile(r"\b(after|today|now|these days|later)\b", re.I)
_STEPS = re.compile(r"\b(first|then|next|finally|step|steps|second|third|fourth|fifth|later|until)\b", re.I)
# words that end what a number counts ("45 seconds | you'll know")
_UNIT_STOP = set("and but so or you you'll you're we they he she it i is are was were will would can could has have "
                 "had that which who when where while if than the".split())
_TOKEN = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|\d[\d,]*(?:\.\d+)?%?|[.;:!?]")


@dataclass
class Figure:
    """A number the beat says, as it will be shown: ``value`` ("20-30", "1932", "2 BILLION") and
    the words after it (``unit``, e.g. "times every second")."""

    value: str
    unit: str


def _words_value(run: list[str]) -> int | None:
    nums = [w for w in run if w not in ("and", "a")]
    if not nums:
        return None
    # a year said as two numbers: "nineteen thirty two", "fifteen eighteen", "twenty nineteen"
    if len(nums) >= 2 and not any(w in _SCALES for w in nums):
        head = _UNITS.get(nums[0]) or _TENS.get(nums[0])
        rest = _words_value(nums[1:])
        if head and 10 <= head <= 20 and rest is not None and 1 <= rest <= 99:
            return head * 100 + rest
    total, current = 0, 0
    for w in run:
        if w == "a":
            current = current or 1
        elif w == "and":
            continue
        elif w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _SCALES:
            total += (current or 1) * _SCALES[w]
            current = 0
    return total + current


def _fmt(n: int, year: bool) -> str:
    if year:
        return str(n)
    for scale, word in ((10 ** 9, "BILLION"), (10 ** 6, "MILLION")):
        if n >= scale and n % (scale // 10) == 0:
            v = n / scale
            return f"{v:g} {word}"
    return f"{n:,}"


def find_figure(text: str) -> Figure | None:
    """The first number a sentence says (digits or words, ranges "X to Y"), or None.
    Small counts said as words ("one", "two") are not figures worth a scene."""
    toks = _TOKEN.findall(text)
    low = [t.lower() for t in toks]
    i = 0
    while i < len(low):
        w = low[i]
        value, year = None, False
        if re.fullmatch(r"\d[\d,]*(?:\.\d+)?%?", w):
            raw = w.replace(",", "")
            pct = raw.endswith("%")
            num = float(raw.rstrip("%"))
            year = not pct and 1000 <= num <= 2100 and "." not in raw
            value = (f"{num:g}%" if pct else (str(int(num)) if year else _fmt(int(num), False)))
            i += 1
        elif w in _NUMWORD or (w == "a" and i + 1 < len(low) and low[i + 1] in _SCALES):
            run: list[str] = []
            while i < len(low) and (low[i] in _NUMWORD or (low[i] in ("and", "a") and run is not None)):
                if low[i] in ("and", "a") and not (i + 1 < len(low) and low[i + 1] in _NUMWORD):
                    break
                run.append(low[i])
                i += 1
            n = _words_value(run)
            if n is None or (n < 10 and not any(r in _SCALES for r in run)):
                continue
            nums = [r for r in run if r not in ("and", "a")]
            year = len(nums) >= 2 and 1000 <= n <= 2100 and not any(r in _SCALES for r in nums)
            value = _fmt(n, year)
        else:
            i += 1
            continue
        # a range: "twenty to thirty", "10 to 20"
        if i + 1 < len(low) and low[i] == "to" and (low[i + 1] in _NUMWORD or low[i + 1][0].isdigit()):
            j = i + 1
            run = []
            while j < len(low) and low[j] in _NUMWORD:
                run.append(low[j])
                j += 1
            other = _words_value(run) if run else (int(float(low[j].replace(",", "").rstrip("%"))) if j < len(low)
                                                   else None)
            if not run:
                j += 1
            if other is not None:
                value = f"{value}\u2013{_fmt(other, False)}"
                i = j
        unit: list[str] = []
        while (i < len(low) and len(unit) < 3 and toks[i] not in ".;:!?" and low[i] not in _UNIT_STOP
               and not year):
            if low[i] == "percent":
                value += "%"
            else:
                unit.append(toks[i])
            i += 1
        return Figure(value=value, unit=" ".join(unit).lower())
    return None


@dataclass
class ScenePlan:
    layout: str
    subjects: list[dict]  # {code, name, score, licence, source}
    method: str  # how subjects were matched: "minilm" or "lexical"
    figure: Figure | None = None
    label: tuple[str, str] | None = None  # the compare layout's card labels, when the beat says them
    variant: int = 0  # how many earlier scenes of the video had this layout: the second one is framed otherwise
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("extra")
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ScenePlan:
        fig = d.get("figure")
        return cls(layout=d["layout"], subjects=list(d.get("subjects") or []), method=d.get("method", ""),
                   figure=Figure(**fig) if fig else None, label=tuple(d["label"]) if d.get("label") else None,
                   variant=int(d.get("variant", 0)))

    def subject_objects(self) -> list[lib.Subject]:
        return [lib.by_code(s["code"]) for s in self.subjects]


def choose_layout(beat: Beat, n_subjects: int, figure: Figure | None, previous: list[str]) -> str:
    """The layout for a beat: what it says decides (a figure, a contrast, a sequence); otherwise
    the framing rotates so no two consecutive scenes share one."""
    text = beat.narration
    last = previous[-1] if previous else None
    kind = beat.kind
    said = []
    if figure is not None and kind != "cta":
        said.append("figure")
    if kind == "body" and _STEPS.search(text) and n_subjects >= 3:
        said.append("steps")
    if kind in ("body", "promise") and _COMPARE.search(text) and n_subjects >= 2:
        said.append("compare")
    for layout in said:
        if layout != last:
            return layout
    if kind in ("hook", "cta") and last != "hero":
        return "hero"
    rotation = ["group", "closeup", "hero"] if n_subjects >= 2 else ["closeup", "hero"]
    # among the framings, the one used least recently (never the last one)
    recent = {lay: i for i, lay in enumerate(previous)}
    options = [lay for lay in rotation if lay != last]
    return min(options, key=lambda lay: (recent.get(lay, -1), rotation.index(lay)))


def plan_scene(beat: Beat, previous: list[dict] | None = None) -> ScenePlan:
    """The plan for a beat given the plans of the scenes before it (in order)."""
    previous = previous or []
    avoid = {s["code"] for s in (previous[-1]["subjects"] if previous else [])}
    used: dict[str, int] = {}
    for p in previous:
        if p["subjects"]:
            used[p["subjects"][0]["code"]] = used.get(p["subjects"][0]["code"], 0) + 1
    if beat.scene:  # a narrative's scene direction, not the dialogue, decides what is shown (lighting.py)
        beat = subject_beat(beat)
    if beat.kind == "cta":
        # "follow X for more" names the channel, not a thing: literal matches ("paper" -> a roll of
        # toilet paper) are beside the point; the video's strongest subjects and a bell say it
        matches, method = _cta_subjects(previous, avoid)
    else:
        matches, method = lib.pick(beat, avoid=avoid, count=3, used=used)
    if not matches:
        matches, method = lib.pick(Beat(beat.kind, "idea", "light bulb", ["idea"]), avoid=avoid, count=1)
    figure = None if beat.scene else find_figure(beat.narration)  # a number in dialogue is not a statistic
    if figure is not None and any((p.get("figure") or {}).get("value") == figure.value for p in previous):
        figure = None  # a number already shown in this video is not news twice
    layout = choose_layout(beat, len(matches), figure, [p["layout"] for p in previous])
    if layout == "closeup" and lib.is_picture(matches[0].subject):
        # a square picture cropped by the frame is just a coloured wall: show it whole
        layout = "hero" if (not previous or previous[-1]["layout"] != "hero") else "group"
    keep = {"hero": 3, "closeup": 2, "group": 3, "figure": 1, "compare": 2, "steps": 3}[layout]
    label = None
    if layout == "compare" and _BEFORE.search(beat.narration) and _AFTER.search(beat.narration):
        label = ("BEFORE", "AFTER")
    subjects = [{"code": m.subject.code, "name": m.subject.name, "score": m.score, "licence": m.subject.licence,
                 "source": m.subject.source} for m in matches[:keep]]
    variant = sum(1 for p in previous if p["layout"] == layout)
    return ScenePlan(layout=layout, subjects=subjects, method=method,
                     figure=figure if layout == "figure" else None, label=label, variant=variant)


FOLLOW_SYMBOL = "1f514"  # a bell: the notification a follower turns on


def _cta_subjects(previous: list[dict], avoid: set[str]) -> tuple[list[lib.Match], str]:
    """The call to action's subjects: the video's two strongest subjects (not the previous scene's),
    then the follow symbol. Strength adds up the scores of every scene a subject appeared in, so the
    topic's recurring subject beats a one-off strong match."""
    best: dict[str, float] = {}
    total: dict[str, float] = {}
    for p in previous:
        for s in p["subjects"]:
            # a flag closing the video would read as the channel's stance, not its topic
            if (s["code"] not in avoid and s["code"] != FOLLOW_SYMBOL
                    and "flag" not in lib.by_code(s["code"]).subcategory):
                best[s["code"]] = max(best.get(s["code"], -1.0), float(s["score"]))
                total[s["code"]] = total.get(s["code"], 0.0) + float(s["score"])
    ranked = sorted(best.items(), key=lambda kv: -total[kv[0]])[:2]
    out = [lib.Match(lib.by_code(code), score) for code, score in ranked]
    if FOLLOW_SYMBOL not in avoid:
        out.append(lib.Match(lib.by_code(FOLLOW_SYMBOL), 0.0))
    return out, (previous[-1].get("method", "minilm") if previous else "channel")


def plan_path(workdir: Path, index: int) -> Path:
    return Path(workdir) / f"scene_{index:02d}.plan.json"


def write_plan(workdir: Path, index: int, plan: ScenePlan) -> Path:
    path = plan_path(workdir, index)
    path.write_text(json.dumps(plan.to_dict(), ensure_ascii=False), encoding="utf-8")
    return path


def read_plans(workdir: Path, index: int) -> list[dict]:
    """The plans of the scenes before ``index`` that are in ``workdir`` (a scene made by another
    provider has none: the scene after it starts afresh)."""
    out = []
    for i in range(index):
        path = plan_path(workdir, i)
        if path.is_file():
            out.append(json.loads(path.read_text(encoding="utf-8")))
        else:
            out = []
    return out


def scene_plans_manifest(plans: list[dict | None]) -> dict:
    """What the scene manifest records from the plans: per scene its layout and subjects with
    their scores, and the credit lines the video's description must carry."""
    subjects = []
    for i, p in enumerate(plans):
        if p:
            subjects.append({"scene": i, "layout": p["layout"], "method": p.get("method"),
                             "subjects": [{"name": s["name"], "code": s["code"], "score": s["score"],
                                           "licence": s["licence"]} for s in p["subjects"]]})
    used = [lib.by_code(s["code"]) for p in plans if p for s in p["subjects"]]
    return {"plans": plans, "subjects": subjects, "layouts": [p["layout"] if p else "" for p in plans],
            "asset_credits": lib.credits_for(used)}


def strongest_subject(manifest: dict) -> lib.Subject | None:
    """The best-matched subject of a video's scenes (from its scene manifest), or None."""
    best = None
    for scene in manifest.get("subjects") or []:
        for s in scene.get("subjects") or []:
            if best is None or s["score"] > best["score"]:
                best = s
    if best is None:
        return None
    try:
        return lib.by_code(best["code"])
    except (KeyError, ToolMissingError):  # the library changed or is not installed: the scene instead
        return None
