"""The narrative production format: speakers, scene directions, terminal overlays and transitions.

    # The Signal, part 1
    channel: paper-trail
    series: the-signal
    format: 9:16            (or 16:9, 1:1)

    [SCENE: a dim control room, green monitors flicker; camera: slow push-in; lighting: low key]
    NARRATOR: The message arrived at 3:07 in the morning.
    OPERATOR: It's not from any station we know.
    [TERMINAL: INCOMING TRANSMISSION ... DECODING]
    [TRANSITION: glitch]
    **Narrator:** Nobody in the room said a word.

Rules (one pass over the lines, so a bad file is reported once and never loops):

- front lines (``channel:``, ``series:``, ``format:``, ``tags:``, ``privacy:``) come before the first
  direction or line of speech;
- ``NAME: text`` (the name in capitals) or ``**Name:** text`` / ``**Name**: text`` is one line of
  speech: one timed segment, one beat, one scene image. Following lines without a blank line between
  continue it; a paragraph without a speaker is spoken by the channel's own voice;
- ``[SCENE: description; camera: ...; lighting: ...]`` holds until the next SCENE;
  ``[TERMINAL: text]`` is typed over the next line of speech (over the last one at the end of the
  file); ``[TRANSITION: cut|crossfade|glitch|slide]`` is the cut into the next line's scene.

Every problem is collected with its line number (unknown direction, unknown transition, empty line of
speech, a bad front line; with the channel known: unknown speaker, too long for the format) and
reported together in one :class:`~shortsmith.errors.InputError`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from .errors import InputError
from .script import spoken_seconds
from .timing import LEAD_IN_S, PAUSE_BETWEEN_BEATS_S

FORMATS = ("9:16", "16:9", "1:1")
SHORT_FORMATS = ("9:16", "1:1")  # published as Shorts: vertical or square
FORMAT_LIMIT_S = {"9:16": 180.0, "1:1": 180.0, "16:9": 600.0}  # Shorts: 3 min; an episode: 10 min
TRANSITIONS = ("cut", "crossfade", "glitch", "slide")
DIRECTIONS = ("SCENE", "TERMINAL", "TRANSITION")
FRONT_KEYS = ("channel", "series", "format", "tags", "privacy")
DEFAULT_WPM = 165.0
MAX_TERMINAL_CHARS = 240

_FRONT_RE = re.compile(r"^(channel|series|format|tags|privacy)\s*:\s*(.*)$", re.I)
_DIRECTION_RE = re.compile(r"^\[\s*([A-Za-z][A-Za-z _-]*?)\s*(?::\s*(.*?))?\s*\]$")
_SPEAKER_RE = re.compile(r"^([A-Z][A-Z0-9'._ -]{0,39}?)\s*:\s*(.*)$")
_BOLD_SPEAKER_RE = re.compile(r"^\*\*\s*([^*:]{1,40}?)\s*(?::\s*\*\*|\*\*\s*:)\s*(.*)$")
_TIME_LIKE = re.compile(r"^\d")


@dataclass
class Segment:
    """One line of speech with what goes with it; start/duration are estimates from the text."""

    text: str
    speaker: str  # as written, upper-cased ("" = the channel's voice)
    scene: str  # the scene description in effect ("" = none given)
    camera: str = ""
    lighting: str = ""
    terminal: str = ""
    transition: str = ""
    line: int = 0  # 1-based line number of the speech in the file
    start: float = 0.0
    duration: float = 0.0


@dataclass
class Production:
    """What the production format adds to a narrative: its segments, format and series."""

    segments: list[Segment]
    format: str = "9:16"
    series: str = ""
    lines: dict = field(default_factory=dict)  # front key -> its line number


@dataclass
class Problem:
    line: int
    message: str
    fix: str


def speaker_key(name: str) -> str:
    """The form names are compared in: capitals, single spaces."""
    return " ".join(name.replace("_", " ").split()).upper()


def is_production(text: str) -> bool:
    """Whether a narrative uses the production format (speakers, directions, a series or a format)."""
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if _DIRECTION_RE.match(line) or _BOLD_SPEAKER_RE.match(line):
            return True
        m = _FRONT_RE.match(line)
        if m and m.group(1).lower() in ("series", "format"):
            return True
        m = _SPEAKER_RE.match(line)
        if m and not _FRONT_RE.match(line) and not _TIME_LIKE.match(m.group(1)) and len(m.group(1)) >= 2:
            return True
    return False


def problems_error(name: str, problems: list[Problem]) -> InputError:
    problems = sorted(problems, key=lambda p: p.line)
    listing = "; ".join(f"line {p.line}: {p.message}" for p in problems[:12])
    more = f" (and {len(problems) - 12} more)" if len(problems) > 12 else ""
    fixes = list(dict.fromkeys(f"line {p.line}: {p.fix}" for p in problems[:6]))
    return InputError(f"{name} has {len(problems)} problem(s): {listing}{more}", field=f"{name}: line {problems[0].line}",
                      fix="; ".join(fixes))


def _speech(line: str) -> tuple[str, str] | None:
    m = _BOLD_SPEAKER_RE.match(line)
    if m:
        return speaker_key(m.group(1)), m.group(2).strip()
    m = _SPEAKER_RE.match(line)
    if m and len(m.group(1).strip()) >= 2 and not _TIME_LIKE.match(m.group(1)):
        return speaker_key(m.group(1)), m.group(2).strip()
    return None


def _scene(body: str) -> tuple[str, str, str, str | None]:
    """(description, camera, lighting, problem) of a SCENE direction's body."""
    parts = [p.strip() for p in body.split(";") if p.strip()]
    desc, camera, lighting, extra = [], "", "", []
    for part in parts:
        m = re.match(r"^(camera|lighting|light)\s*:\s*(.+)$", part, re.I)
        if m and m.group(1).lower() == "camera":
            camera = m.group(2).strip()
        elif m:
            lighting = m.group(2).strip()
        elif re.match(r"^[a-z_]+\s*:", part, re.I):
            extra.append(part)
        else:
            desc.append(part)
    problem = None
    if extra:
        problem = f"unknown scene setting {extra[0].split(':')[0].strip()!r}"
    return "; ".join(desc), camera, lighting, problem


def parse_production(lines: list[str], *, body_start: int, wpm: float = DEFAULT_WPM,
                     front: dict[str, tuple[str, int]] | None = None) -> tuple[Production, list[Problem]]:
    """Segments of the lines from ``body_start`` (0-based index) on; problems are collected, not raised."""
    front = front or {}
    problems: list[Problem] = []
    fmt = "9:16"
    if "format" in front:
        value, at = front["format"]
        token = value.split()[0] if value.split() else ""
        if token in FORMATS:
            fmt = token
        else:
            problems.append(Problem(at, f"format {value!r} is not one of {', '.join(FORMATS)}",
                                    "write 'format: 9:16' (a Short), '16:9' (an episode) or '1:1'"))
    series = ""
    if "series" in front:
        value, at = front["series"]
        series = value.strip().lower()
        if not re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", series):
            problems.append(Problem(at, f"series {value!r} is not a slug",
                                    "use lowercase letters, digits and hyphens, as in channels.yaml"))
    segments: list[Segment] = []
    scene, camera, lighting = "", "", ""
    terminal: tuple[str, int] | None = None
    transition: tuple[str, int] | None = None
    current: Segment | None = None  # the speech being continued (no blank line yet)
    for idx in range(body_start, len(lines)):
        n = idx + 1
        line = lines[idx].strip()
        if not line:
            current = None
            continue
        if line.startswith("#"):
            problems.append(Problem(n, "a second heading", "keep one '# Title' line at the top; "
                                                            "use [SCENE: ...] to mark a new scene"))
            current = None
            continue
        d = _DIRECTION_RE.match(line)
        if d:
            current = None
            kind, body = speaker_key(d.group(1)), (d.group(2) or "").strip()
            if kind not in DIRECTIONS:
                problems.append(Problem(n, f"unknown direction [{d.group(1)}]",
                                        f"use one of {', '.join(f'[{k}: ...]' for k in DIRECTIONS)}"))
            elif not body:
                problems.append(Problem(n, f"[{kind}] says nothing", f"write [{kind}: ...] with its content"))
            elif kind == "SCENE":
                scene, camera, lighting, bad = _scene(body)
                if bad:
                    problems.append(Problem(n, bad, "a scene is 'description; camera: ...; lighting: ...'"))
            elif kind == "TERMINAL":
                if len(body) > MAX_TERMINAL_CHARS:
                    problems.append(Problem(n, f"the terminal text has {len(body)} characters "
                                               f"(at most {MAX_TERMINAL_CHARS})", "shorten it or split it over two lines"))
                terminal = (body, n)
            else:
                value = body.lower()
                if value not in TRANSITIONS:
                    problems.append(Problem(n, f"unknown transition {body!r}",
                                            f"use one of: {', '.join(TRANSITIONS)}"))
                else:
                    transition = (value, n)
            continue
        if line.startswith("[") and line.endswith("]") or (line.startswith("[") and "]" not in line):
            problems.append(Problem(n, f"a direction that cannot be read: {line[:60]!r}",
                                    "write directions as [SCENE: ...], [TERMINAL: ...] or [TRANSITION: ...] on one line"))
            current = None
            continue
        speech = _speech(line)
        if speech is None and current is not None:
            current.text = f"{current.text} {line}".strip()
            continue
        speaker, text = speech if speech else ("", line)
        seg = Segment(text=text, speaker=speaker, scene=scene, camera=camera, lighting=lighting, line=n)
        if terminal:
            seg.terminal = terminal[0]
            terminal = None
        if transition:
            seg.transition = transition[0]
            transition = None
        segments.append(seg)
        current = seg
    if terminal:
        if segments and not segments[-1].terminal:
            segments[-1].terminal = terminal[0]  # typed over the closing line
        else:
            problems.append(Problem(terminal[1], "a terminal overlay with no line of speech to go with",
                                    "put a line of speech after the [TERMINAL: ...] direction"))
    if transition:
        problems.append(Problem(transition[1], "a transition with no scene after it",
                                "put the [TRANSITION: ...] before the line it leads into, or remove it"))
    for seg in segments:
        seg.text = " ".join(seg.text.split())
        if not re.search(r"\w", seg.text):
            problems.append(Problem(seg.line, f"{seg.speaker or 'the line'} says nothing",
                                    "write what the speaker says after the colon, or remove the line"))
    if not segments and not problems:
        problems.append(Problem(body_start + 1, "there is no line of speech",
                                "write lines such as 'NARRATOR: The message arrived at 3:07.' under the title"))
    time_segments(segments, wpm)
    return Production(segments=segments, format=fmt, series=series,
                      lines={k: at for k, (_v, at) in front.items()}), problems


def time_segments(segments: list[Segment], wpm: float) -> float:
    """Estimated start and duration of every segment (the voice stage's silences); the total."""
    t = LEAD_IN_S
    for i, seg in enumerate(segments):
        seg.start = round(t, 2)
        seg.duration = round(spoken_seconds(seg.text, wpm), 2)
        t += seg.duration + (PAUSE_BETWEEN_BEATS_S if i < len(segments) - 1 else 0.0)
    return t


def length_problems(segments: list[Segment], limit_s: float, what: str, wpm: float = DEFAULT_WPM) -> list[Problem]:
    """The line at which the narrative runs past ``limit_s`` seconds, as a problem (or none)."""
    for seg in segments:
        if seg.start + seg.duration > limit_s:
            total = segments[-1].start + segments[-1].duration
            return [Problem(seg.line, f"the narrative runs past {what} of {limit_s:.0f} s here "
                                      f"(about {total:.0f} s in all)",
                            f"cut about {total - limit_s:.0f} s of speech (about "
                            f"{int((total - limit_s) * wpm / 60) + 1} words), split it into parts, "
                            "or use format: 16:9 for an episode of up to 10 minutes")]
    return []


def production_to_dict(production: Production) -> dict:
    return asdict(production)


def production_from_dict(data: dict) -> Production:
    return Production(segments=[Segment(**s) for s in data.get("segments", [])], format=data.get("format", "9:16"),
                      series=data.get("series", ""), lines=dict(data.get("lines") or {}))
