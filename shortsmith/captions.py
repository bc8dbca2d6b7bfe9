"""Burned-in captions: a few words at a time, the spoken word highlighted (ASS for libass).

Layout rules (YouTube Shorts):

- The Shorts UI covers the top ~8 % (search, menu), the bottom ~20 % (title, channel,
  music) and the right ~15 % (like, comment, share). Captions are centred on
  ``style.vertical_position`` and always kept inside ``style.safe_top``..``style.safe_bottom``
  (35 %..70 % of the height by default) and inside the horizontal margins.
- At most ``max_words`` words are on screen; a group never spans two beats and breaks
  after punctuation, so a caption never joins two sentences or scenes.
- One Dialogue event per word state: while word *i* of a group is spoken (from its start
  to the next word's start) the group is shown with word *i* in the highlight colour and
  slightly larger. The highlight therefore changes exactly at each word's start time (to
  ASS's centisecond resolution; adjacent events share the same boundary so nothing
  flickers or overlaps).
- Text widths are measured with the shipped DejaVu Sans Bold (the font libass is given via
  ``fontsdir=FONTS_DIR``); a group that does not fit goes on two lines, and a word that
  alone is too wide shrinks the font of its group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from .colour import expand_hex
from .errors import ConfigError
from .fonts import ASS_FONT_NAME, FONT_BOLD, FONT_REGULAR
from .model import Voiceover, WordTiming

_BREAK_AFTER = (",", ".", ";", ":", "!", "?", "\u2026")


@dataclass(frozen=True)
class CaptionStyle:
    font_name: str = ASS_FONT_NAME
    bold: bool = True
    font_size: float = 0.055  # of the frame height (105 px at 1920)
    base_colour: str = "#ffffff"
    highlight_colour: str = "#f59e0b"  # the channel palette's accent
    highlight_scale: float = 1.08  # the spoken word's size (1.0: colour only, no reflow)
    # a narrative's speakers: (speaker, "#rrggbb") pairs; a speaker's lines are highlighted in their colour
    speaker_colours: tuple[tuple[str, str], ...] = ()
    outline_colour: str = "#000000"
    outline: float = 0.0045  # outline width, of the height
    shadow: float = 0.0015  # shadow offset, of the height
    max_words: int = 3
    uppercase: bool = True
    vertical_position: float = 0.60  # centre of the caption block, of the height
    safe_top: float = 0.35  # captions stay below this (of the height) ...
    safe_bottom: float = 0.70  # ... and above this (the Shorts title/channel area starts ~0.80)
    margin_left: float = 0.08  # of the width
    margin_right: float = 0.15  # of the width (the like/comment/share column)
    hold_s: float = 0.3  # how long the last group of a phrase stays after its last word
    max_lines: int = 2


def ass_colour(hex_colour: str, *, field: str = "style.caption_highlight") -> str:
    """``#rrggbb`` -> ASS ``&H00BBGGRR`` (opaque)."""
    value = hex_colour.strip()
    full = expand_hex(value if value.startswith("#") else "#" + value)
    if full is None:
        raise ConfigError(f"colour {hex_colour!r} is not a #rrggbb hex colour", field=field,
                          fix="write the colour as '#rrggbb' (or '#rgb'), e.g. '#f59e0b'")
    rgb = full[1:]
    return f"&H00{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}&".upper()


def escape_ass(text: str) -> str:
    """Make text literal in an ASS event: braces would open override blocks, a backslash
    would start \\N, \\n or \\h. Braces become ``\\{``/``\\}`` (libass prints them literally)
    and a backslash is followed by a word joiner so it is never read as an escape."""
    return (text.replace("\\", "\\\u2060").replace("{", "\\{").replace("}", "\\}")
            .replace("\n", " ").replace("\r", " "))


def ass_time(seconds: float) -> str:
    cs = max(0, int(round(seconds * 100)))
    h, rem = divmod(cs, 360000)
    m, rem = divmod(rem, 6000)
    s, cs = divmod(rem, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def group_words(words: Sequence[WordTiming], max_words: int = 3) -> list[list[WordTiming]]:
    """Split one beat's words into caption groups of at most ``max_words`` words.

    A group ends after a word ending in punctuation; a phrase longer than ``max_words`` is
    split into balanced groups (7 words -> 3 + 2 + 2, not 3 + 3 + 1). Pass one beat at a
    time: a group never spans two beats.
    """
    if max_words < 1:
        raise ConfigError(f"max_words is {max_words}", field="style.max_words", fix="use 1 or more")
    phrases: list[list[WordTiming]] = [[]]
    for w in words:
        phrases[-1].append(w)
        if w.word.rstrip("\"')]").endswith(_BREAK_AFTER):
            phrases.append([])
    groups: list[list[WordTiming]] = []
    for phrase in phrases:
        if not phrase:
            continue
        n = len(phrase)
        k = math.ceil(n / max_words)
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        pos = 0
        for size in sizes:
            groups.append(list(phrase[pos:pos + size]))
            pos += size
    return groups


@lru_cache(maxsize=8)
def _font(bold: bool):
    from PIL import ImageFont

    path = FONT_BOLD if bold else FONT_REGULAR
    font = ImageFont.truetype(str(path), 200)
    ascent, descent = font.getmetrics()
    # libass (like VSFilter) sizes a font so that ascent + descent = Fontsize.
    return font, (ascent + descent) / 200.0


def text_width(text: str, size: float, *, bold: bool = True) -> float:
    """Width in pixels of ``text`` rendered by libass at ASS font size ``size``."""
    font, height_per_em = _font(bold)
    # +4 %: libass's hinting and outline rounding render slightly wider than Pillow measures
    return font.getlength(text) / 200.0 * size / height_per_em * 1.04


@dataclass
class _Layout:
    lines: list[list[int]]  # word indexes per line
    size: float


def _layout(words: list[str], style: CaptionStyle, width: int, height: int) -> _Layout:
    """Line breaks and font size so the group (with the largest highlighted word) fits."""
    avail = width * (1.0 - style.margin_left - style.margin_right)
    base = style.font_size * height
    border = 2 * (style.outline + style.shadow) * height

    def line_width(idx: list[int], size: float) -> float:
        text = " ".join(words[i] for i in idx)
        extra = max(text_width(words[i], size, bold=style.bold) for i in idx) * (style.highlight_scale - 1.0)
        return text_width(text, size, bold=style.bold) + max(0.0, extra) + border

    candidates: list[list[list[int]]] = [[list(range(len(words)))]]
    if style.max_lines >= 2 and len(words) >= 2:
        candidates += [[list(range(k)), list(range(k, len(words)))] for k in range(1, len(words))]
    best: tuple[tuple[float, float], _Layout] | None = None
    for lines in candidates:
        widest = max(line_width(line, base) for line in lines)
        size = base if widest <= avail else base * avail / widest  # shrink until the widest line fits
        # one line unless it would need to shrink below 85 %; then the largest, most balanced layout
        key = (round(size * (1.0 if len(lines) == 1 else 0.85), 1), -widest)
        if best is None or key > best[0]:
            best = (key, _Layout(lines=lines, size=size))
    assert best is not None
    return best[1]


def _centre(style: CaptionStyle, width: int, height: int, lines: int, size: float) -> tuple[int, int]:
    """Centre of the caption block, clamped so the whole block is inside the safe band."""
    block = lines * size * 1.0 * max(1.0, style.highlight_scale) + 2 * style.outline * height
    top, bottom = style.safe_top * height + block / 2, style.safe_bottom * height - block / 2
    y = style.vertical_position * height
    y = min(max(y, top), bottom) if top <= bottom else (style.safe_top + style.safe_bottom) / 2 * height
    x = width * (style.margin_left + (1.0 - style.margin_right)) / 2
    return int(round(x)), int(round(y))


def _event_text(words: list[str], layout: _Layout, active: int, style: CaptionStyle, colours: tuple[str, str],
                base_size: float, pos: tuple[int, int]) -> str:
    base, highlight = colours
    scale = int(round(100 * style.highlight_scale))
    tags = f"{{\\an5\\pos({pos[0]},{pos[1]})"
    if abs(layout.size - base_size) > 0.5:
        tags += f"\\fs{layout.size:.1f}"
    tags += "}"
    lines = []
    for line in layout.lines:
        parts = []
        for i in line:
            text = escape_ass(words[i])
            if i == active:
                parts.append(f"{{\\c{highlight}\\fscx{scale}\\fscy{scale}}}{text}"
                             f"{{\\c{base}\\fscx100\\fscy100}}")
            else:
                parts.append(text)
        lines.append(" ".join(parts))
    return tags + "\\N".join(lines)


def build_ass(voiceover: Voiceover, *, width: int, height: int, style: CaptionStyle | None = None) -> str:
    """The ASS subtitle file (as text) for ``voiceover``'s words on a ``width`` x ``height`` video."""
    style = style or CaptionStyle()
    if width <= 0 or height <= 0:
        raise ConfigError(f"video size {width}x{height} is invalid", field="renderer.width/height",
                          fix="use a positive size such as 1080x1920")
    if not 0.0 <= style.safe_top < style.safe_bottom <= 1.0:
        raise ConfigError("caption safe band is empty", field="style.safe_top/safe_bottom",
                          fix="keep 0 <= safe_top < safe_bottom <= 1 (default 0.35 and 0.70)")
    base = ass_colour(style.base_colour, field="style.caption_base")
    highlight = ass_colour(style.highlight_colour)
    outline_c = ass_colour(style.outline_colour, field="style.caption_outline")
    size = style.font_size * height
    header = [
        "[Script Info]",
        "; Generated by shortsmith.captions",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 2",
        "ScaledBorderAndShadow: yes",
        "YCbCr Matrix: None",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
        "MarginL, MarginR, MarginV, Encoding",
        f"Style: Caption,{style.font_name},{size:.1f},{base},{highlight},{outline_c},&H80000000&,"
        f"{-1 if style.bold else 0},0,0,0,100,100,0,0,1,{style.outline * height:.1f},{style.shadow * height:.1f},"
        f"5,{int(style.margin_left * width)},{int(style.margin_right * width)},0,1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    events = []
    for cue in caption_cues(voiceover, style=style, width=width, height=height):
        events.append(f"Dialogue: 0,{ass_time(cue.start)},{ass_time(cue.end)},Caption,,0,0,0,,{cue.text}")
    return "\n".join(header + events) + "\n"


@dataclass
class Cue:
    """One caption event: ``text`` (ASS) is on screen from ``start`` to ``end`` (seconds)."""

    start: float
    end: float
    beat: int
    group: int
    active: int  # index of the highlighted word within the group
    words: list[str]
    text: str
    pos: tuple[int, int]
    font_size: float
    lines: int


def caption_cues(voiceover: Voiceover, *, style: CaptionStyle, width: int, height: int) -> list[Cue]:
    """Every word state of every caption group, in time order (what `build_ass` writes)."""
    colours = (ass_colour(style.base_colour, field="style.caption_base"), ass_colour(style.highlight_colour))
    by_speaker = {name: (colours[0], ass_colour(c, field=f"cast.{name}.colour")) for name, c in style.speaker_colours}
    speaker_of = {b.index: b.speaker for b in voiceover.beats}
    base_size = style.font_size * height
    cues: list[Cue] = []
    all_groups = [(b.index, g) for b in voiceover.beats for g in group_words(b.words, style.max_words)]
    for gi, (beat, group) in enumerate(all_groups):
        shown = [w.word.upper() if style.uppercase else w.word for w in group]
        layout = _layout(shown, style, width, height)
        pos = _centre(style, width, height, len(layout.lines), layout.size)
        next_start = all_groups[gi + 1][1][0].start if gi + 1 < len(all_groups) else None
        last = group[-1]
        same_beat_next = gi + 1 < len(all_groups) and all_groups[gi + 1][0] == beat
        # the group stays up until the next group starts when that follows closely (no flicker),
        # else until `hold_s` after its last word (never into the next group).
        if same_beat_next and next_start is not None and next_start - last.end <= style.hold_s * 2:
            group_end = next_start
        else:
            group_end = last.end + style.hold_s
            if next_start is not None:
                group_end = min(group_end, next_start)
        group_end = max(group_end, last.end if next_start is None else min(last.end, next_start))
        for i, w in enumerate(group):
            start = w.start
            end = group[i + 1].start if i + 1 < len(group) else group_end
            if ass_time(end) == ass_time(start):
                continue  # shorter than a centisecond
            cues.append(Cue(start=start, end=end, beat=beat, group=gi, active=i, words=shown,
                            text=_event_text(shown, layout, i, style, by_speaker.get(speaker_of.get(beat, ""), colours),
                                             base_size, pos),
                            pos=pos, font_size=layout.size, lines=len(layout.lines)))
    return cues
