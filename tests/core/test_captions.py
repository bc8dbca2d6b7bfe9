"""Captions: groups of <= 3 words inside one beat, highlight switching at each word's start,
inside the Shorts safe area, escaped, long words shrunk to fit."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from shortsmith import captions
from shortsmith.captions import CaptionStyle, ass_time, build_ass, caption_cues, group_words
from shortsmith.errors import ConfigError
from shortsmith.model import BeatAudio, Voiceover, WordTiming

W, H = 1080, 1920
HIGHLIGHT = "#f59e0b"


def _beat(index: int, start: float, text: str, step: float = 0.4) -> BeatAudio:
    words = []
    t = start
    for token in text.split():
        dur = 0.08 + 0.04 * len(token)  # uneven, like speech
        words.append(WordTiming(token, round(t, 3), round(t + dur, 3)))
        t += dur + (0.3 if token[-1] in ",.!?" else 0.05)
    return BeatAudio(index=index, start=words[0].start, end=words[-1].end, words=words)


@pytest.fixture
def vo() -> Voiceover:
    beats = [
        _beat(0, 0.15, "Octopuses have three hearts and blue blood."),
        _beat(1, 4.0, "Wait, this one is wild!"),
        _beat(2, 7.0, "Follow for more"),
    ]
    return Voiceover(wav_path="v.wav", sample_rate=22050, duration=9.0, beats=beats, engine="test",
                     timing_source="alignment")


def _dialogues(ass: str) -> list[tuple[str, str, str]]:
    out = []
    for line in ass.splitlines():
        if line.startswith("Dialogue:"):
            parts = line.split(",", 9)
            out.append((parts[1], parts[2], parts[9]))
    return out


def _highlighted(text: str) -> str:
    m = re.search(r"\{\\c&H000B9EF5&[^}]*\}(.*?)\{", text)
    assert m, text
    return m.group(1)


def _plain(text: str) -> str:
    """Event text without override blocks and line breaks (escaped braces kept as literals)."""
    text = re.sub(r"(?<!\\)\{[^}]*\}", "", text)
    return text.replace("\\N", " ").replace("\\{", "{").replace("\\}", "}").replace("\\\u2060", "\\")


def test_groups_have_at_most_max_words_break_at_punctuation_and_balance():
    words = [WordTiming(w, i, i + 0.5) for i, w in enumerate("one two three four five six seven, eight".split())]
    groups = group_words(words, 3)
    assert [[w.word for w in g] for g in groups] == [
        ["one", "two", "three"], ["four", "five"], ["six", "seven,"], ["eight"]]
    assert all(len(g) <= 3 for g in groups)
    assert [len(g) for g in group_words(words[:4], 3)] == [2, 2]  # never 3 + 1
    assert [len(g) for g in group_words(words, 1)] == [1] * 8
    with pytest.raises(ConfigError):
        group_words(words, 0)


def test_a_group_never_spans_two_beats(vo):
    cues = caption_cues(vo, style=CaptionStyle(), width=W, height=H)
    by_group: dict[int, set[int]] = {}
    for cue in cues:
        by_group.setdefault(cue.group, set()).add(cue.beat)
        assert len(cue.words) <= 3
    assert all(len(beats) == 1 for beats in by_group.values())
    # "Follow for more" is its own group though "wild!" + the next beat would fit in 3 words
    assert any(c.words == ["FOLLOW", "FOR", "MORE"] for c in cues)


def test_every_word_is_highlighted_from_its_own_start_to_the_next_word(vo):
    ass = build_ass(vo, width=W, height=H, style=CaptionStyle(highlight_colour=HIGHLIGHT))
    events = _dialogues(ass)
    words = [w for b in vo.beats for w in b.words]
    assert len(events) == len(words)
    for (start, _end, text), w in zip(events, words):
        assert start == ass_time(w.start)  # the highlight changes exactly at the word's start
        assert _highlighted(text) == w.word.upper()
    for b in vo.beats:  # inside a beat each state ends exactly when the next word starts
        for w, nxt in zip(b.words, b.words[1:]):
            ends = [e for s, e, _ in events if s == ass_time(w.start)]
            assert ends == [ass_time(nxt.start)] or nxt.start - w.end > 0.6
    starts = [ass_time_to_s(s) for s, _, _ in events]
    ends = [ass_time_to_s(e) for _, e, _ in events]
    assert all(e > s for s, e in zip(starts, ends))
    assert all(ends[i] <= starts[i + 1] + 1e-9 for i in range(len(events) - 1))  # no overlap
    last = vo.beats[-1].words[-1]
    assert ass_time_to_s(events[-1][1]) >= last.end - 0.005


def ass_time_to_s(t: str) -> float:
    h, m, s = t.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_header_uses_the_frame_size_and_font(vo):
    ass = build_ass(vo, width=W, height=H, style=CaptionStyle())
    assert "PlayResX: 1080" in ass and "PlayResY: 1920" in ass
    assert "Style: Caption,DejaVu Sans,105.6," in ass
    small = build_ass(vo, width=360, height=640, style=CaptionStyle())
    assert "PlayResX: 360" in small and "PlayResY: 640" in small


@pytest.mark.parametrize("size", [(1080, 1920), (360, 640), (720, 1280)])
def test_captions_stay_inside_the_shorts_safe_area(vo, size):
    width, height = size
    style = CaptionStyle(vertical_position=0.9)  # asked too low: clamped into the band
    for cue in caption_cues(vo, style=style, width=width, height=height):
        x, y = cue.pos
        block = cue.lines * cue.font_size * style.highlight_scale
        assert 0.35 * height <= y - block / 2 and y + block / 2 <= 0.70 * height
        avail = width * (1 - style.margin_left - style.margin_right)
        for line in captions._layout(cue.words, style, width, height).lines:
            assert captions.text_width(" ".join(cue.words[i] for i in line), cue.font_size) <= avail + 1
        assert width * style.margin_left < x < width * (1 - style.margin_right)


def test_special_characters_are_escaped():
    beat = _beat(0, 0.0, r"use {curly} and back\slash\N now")
    vo = Voiceover("v.wav", 22050, 5.0, [beat], "test", "alignment")
    ass = build_ass(vo, width=W, height=H, style=CaptionStyle(uppercase=False))
    for _, _, text in _dialogues(ass):
        stripped = re.sub(r"(?<!\\)\{\\[^{}]*\}", "", text)  # our override blocks
        assert re.search(r"(?<!\\)[{}]", stripped) is None, text  # every literal brace is escaped
        assert "\\N now" not in text and "\\slash" not in text
    plain = " ".join(_plain(t) for _, _, t in _dialogues(ass))
    assert "{curly}" in plain and "back\\slash\\N" in plain


def test_a_long_word_shrinks_its_group_and_still_fits():
    beat = _beat(0, 0.0, "it is Supercalifragilisticexpialidocious today")
    vo = Voiceover("v.wav", 22050, 5.0, [beat], "test", "alignment")
    style = CaptionStyle()
    cues = caption_cues(vo, style=style, width=W, height=H)
    long = [c for c in cues if "SUPERCALIFRAGILISTICEXPIALIDOCIOUS" in c.words]
    short = [c for c in cues if "SUPERCALIFRAGILISTICEXPIALIDOCIOUS" not in c.words]
    assert long and short
    assert all(c.font_size < style.font_size * H * 0.8 for c in long)
    assert all(c.font_size == pytest.approx(style.font_size * H) for c in short)
    assert all("\\fs" in c.text for c in long)
    avail = W * (1 - style.margin_left - style.margin_right)
    for c in long:
        widest = max(captions.text_width(w, c.font_size) for w in c.words) * style.highlight_scale
        assert widest <= avail


def test_bad_colour_is_a_config_error(vo):
    with pytest.raises(ConfigError) as err:
        build_ass(vo, width=W, height=H, style=CaptionStyle(highlight_colour="orange"))
    assert err.value.field == "style.caption_highlight" and "#rrggbb" in err.value.fix
    assert captions.ass_colour("#F59E0B") == "&H000B9EF5&"
    # both spellings of a hex colour, with or without the '#'
    assert captions.ass_colour("#f80") == captions.ass_colour("#FF8800") == captions.ass_colour("ff8800") == "&H000088FF&"
    for bad in ("#ff880", "#ff88001", "#ggg"):
        with pytest.raises(ConfigError):
            captions.ass_colour(bad)


def test_libass_renders_inside_the_safe_area_with_the_highlight(tmp_path):
    """Render one frame with ffmpeg's libass and the shipped font: the text's pixels stay in
    the safe area and the highlighted word is drawn in the highlight colour."""
    from shortsmith.ffmpeg import ffmpeg_path
    from shortsmith.fonts import FONTS_DIR

    try:
        ffmpeg = ffmpeg_path()
    except Exception as exc:  # pragma: no cover - ffmpeg is a project dependency
        pytest.skip(f"no ffmpeg: {exc}")
    width, height = 540, 960
    beat = _beat(0, 0.0, "Extraordinarily weird facts")
    vo = Voiceover("v.wav", 22050, 3.0, [beat], "test", "alignment")
    ass = tmp_path / "c.ass"
    ass.write_text(build_ass(vo, width=width, height=height, style=CaptionStyle(highlight_colour="#00ff00")),
                   encoding="utf-8")
    out = tmp_path / "f.png"
    t = beat.words[1].start + 0.05  # "weird" is being spoken
    subprocess.run([ffmpeg, "-y", "-loglevel", "error", "-f", "lavfi", "-i", f"color=c=0x336699:s={width}x{height}:d=3:r=10",
                    "-vf", f"ass={ass}:fontsdir={FONTS_DIR}", "-ss", f"{t:.2f}", "-frames:v", "1", str(out)],
                   check=True, timeout=60)
    from PIL import Image

    frame = np.asarray(Image.open(out).convert("RGB")).astype(int)
    drawn = np.abs(frame - np.array([0x33, 0x66, 0x99])).sum(axis=2) > 60
    ys, xs = np.nonzero(drawn)
    assert ys.size > 500
    assert ys.min() >= 0.35 * height and ys.max() <= 0.70 * height
    assert xs.min() >= 0.05 * width and xs.max() <= 0.85 * width
    green = (frame[..., 1] > 200) & (frame[..., 0] < 80) & (frame[..., 2] < 80)
    assert green.sum() > 100  # the spoken word is in the highlight colour
