"""Narrative productions: every form of the format, each bad input reported with its line number,
the script a production becomes, and the cast and series config."""

from __future__ import annotations

import re

import pytest

from shortsmith.config import load_channels, parse_channels
from shortsmith.errors import ConfigError, InputError
from shortsmith.narrative import narrative_from_dict, narrative_script, narrative_to_dict, parse_narrative
from shortsmith.script import check_script

from tests.conftest import ROOT

CHANNELS = load_channels(ROOT / "channels.yaml")
PAPER = CHANNELS.get("paper-trail")
SAMPLE = (ROOT / "examples" / "the-signal.md").read_text(encoding="utf-8")

ISSUE = """# The Signal, part 1
channel: paper-trail
series: the-signal
format: 9:16            (or 16:9, 1:1)

[SCENE: a dim control room, green monitors flicker; camera: slow push-in; lighting: low key]
NARRATOR: The message arrived at 3:07.
OPERATOR: It's not from any station we know.
[TERMINAL: INCOMING TRANSMISSION ... DECODING]
[TRANSITION: glitch]
NARRATOR: Nobody in the room said a word.
"""


def lines_of(exc: InputError) -> list[int]:
    return [int(n) for n in re.findall(r"line (\d+):", exc.message)]


def test_the_issues_example_parses_into_timed_segments():
    n = parse_narrative(ISSUE, name="signal.md")
    assert n.channel == "paper-trail" and n.title == "The Signal, part 1"
    p = n.production
    assert p["format"] == "9:16" and p["series"] == "the-signal"
    segs = p["segments"]
    assert [(s["speaker"], s["line"]) for s in segs] == [("NARRATOR", 7), ("OPERATOR", 8), ("NARRATOR", 11)]
    assert segs[0]["scene"] == "a dim control room, green monitors flicker"
    assert segs[0]["camera"] == "slow push-in" and segs[0]["lighting"] == "low key"
    assert segs[2]["scene"] == segs[0]["scene"]  # a scene holds until the next [SCENE]
    # the overlay and the transition go with the next line of speech
    assert segs[2]["terminal"] == "INCOMING TRANSMISSION ... DECODING" and segs[2]["transition"] == "glitch"
    assert segs[1]["terminal"] == "" and segs[1]["transition"] == ""
    # timed: in order, no overlap, durations from the words
    for a, b in zip(segs, segs[1:]):
        assert b["start"] >= a["start"] + a["duration"] > a["start"]
    assert narrative_from_dict(narrative_to_dict(n)).production == p


def test_bold_speakers_continuation_lines_and_unvoiced_paragraphs():
    text = ("# Night shift\nformat: 16:9\n\n**Operator:** First line\nstill the operator.\n\n"
            "**Analyst**: Second speaker.\n\nA paragraph with no speaker is the channel's voice.\n")
    segs = parse_narrative(text, name="n.md").production["segments"]
    assert [(s["speaker"], s["text"]) for s in segs] == [
        ("OPERATOR", "First line still the operator."), ("ANALYST", "Second speaker."),
        ("", "A paragraph with no speaker is the channel's voice.")]


def test_title_and_paragraphs_still_make_a_short():
    text = ("# Why ships once carried cats\n\nRats were a sailor's worst enemy. They ate the food.\n\n"
            "A ship's cat kept the stores safe.\n\nSailors thought cats brought luck.\n\n"
            "Some cats even got medals.\n\nOne, called Simon, was famous.\n")
    n = parse_narrative(text, name="cats.md")
    assert n.production is None and len(n.paragraphs) == 5


@pytest.mark.parametrize("body, line, words", [
    ("NARRATOR: Hello there.\n[SOUND: a door slams]\nNARRATOR: Then silence.", 6, "unknown direction"),
    ("NARRATOR: Hello there.\nOPERATOR:\nNARRATOR: Then silence.", 6, "says nothing"),
    ("NARRATOR: Hello there.\n[TRANSITION: wipe]\nNARRATOR: Then silence.", 6, "unknown transition"),
    ("NARRATOR: Hello there.\nNARRATOR: Then silence.\n[TRANSITION: glitch]", 7, "no scene after it"),
    ("[SCENE: a room; mood: tense]\nNARRATOR: Hello there.", 5, "unknown scene setting"),
    ("NARRATOR: Hello there.\n[TERMINAL]\nNARRATOR: Then silence.", 6, "says nothing"),
    ("NARRATOR: Hello there.\n[SCENE: a room\nNARRATOR: Then silence.", 6, "cannot be read"),
])
def test_each_bad_line_is_reported_with_its_number(body, line, words):
    text = f"# A test\nchannel: paper-trail\nseries: the-signal\n\n{body}\n"
    with pytest.raises(InputError) as err:
        parse_narrative(text, name="bad.md")
    assert line in lines_of(err.value) and words in err.value.message
    assert err.value.field == f"bad.md: line {lines_of(err.value)[0]}" and err.value.fix


def test_a_bad_format_and_every_problem_of_a_file_are_reported_together():
    text = "# A test\nformat: 4:3\n\nNARRATOR: Hello.\n[ZOOM: in]\nOPERATOR:\n[TRANSITION: swirl]\nNARRATOR: Bye.\n"
    with pytest.raises(InputError) as err:
        parse_narrative(text, name="bad.md")
    assert lines_of(err.value) == [2, 5, 6, 7]
    assert "4:3" in err.value.message


def test_unknown_speaker_is_found_with_the_channel_and_its_line():
    text = ISSUE.replace("OPERATOR: It's", "JANITOR: It's")
    n = parse_narrative(text, name="signal.md")
    with pytest.raises(InputError) as err:
        narrative_script(PAPER, n, name="signal.md")
    assert lines_of(err.value) == [8] and "unknown speaker JANITOR" in err.value.message
    assert "NARRATOR" in err.value.message  # the known cast is listed
    # OPERATOR is only in the series' cast: without the series line it is unknown too
    n2 = parse_narrative(ISSUE.replace("series: the-signal\n", "format: 9:16\n", 1).replace(
        "format: 9:16            (or 16:9, 1:1)\n", ""), name="s.md")
    with pytest.raises(InputError, match="unknown speaker OPERATOR"):
        narrative_script(PAPER, n2, name="s.md")


def test_too_long_for_the_format_names_the_line_where_it_runs_over():
    line = "NARRATOR: " + " ".join(["word"] * 30) + "."
    body = "\n".join([line] * 8)  # ~8 x 11.6 s at 155 wpm: over the 60 s Short, fine as a 16:9 episode
    text = f"# Long\nchannel: paper-trail\nseries: the-signal\nformat: 9:16\n\nNARRATOR: Listen.\n{body}\n"
    with pytest.raises(InputError) as err:
        narrative_script(PAPER, parse_narrative(text, name="long.md"), name="long.md")
    assert "runs past" in err.value.message and lines_of(err.value)[0] in range(10, 15)
    episode = narrative_script(PAPER, parse_narrative(text.replace("9:16", "16:9"), name="long.md"))
    assert episode.format == "16:9" and episode.max_seconds == 600 and not check_script(episode)


def test_a_shorts_opening_line_must_hook_within_3_seconds():
    text = ISSUE.replace("The message arrived at 3:07.", "The message arrived at seven minutes past three in the "
                                                         "morning, long after the last shift had gone home.")
    with pytest.raises(InputError) as err:
        narrative_script(PAPER, parse_narrative(text, name="s.md"), name="s.md")
    assert lines_of(err.value) == [7] and "3 s" in err.value.message
    wide = narrative_script(PAPER, parse_narrative(text.replace("9:16 ", "16:9 "), name="s.md"))
    assert not check_script(wide)  # an episode opens as it likes


def test_the_sample_becomes_a_script_with_the_contract_fields():
    s = narrative_script(PAPER, parse_narrative(SAMPLE, name="the-signal.md"), name="the-signal.md")
    assert not check_script(s)
    assert [b.kind for b in s.beats] == ["hook"] + ["body"] * (len(s.beats) - 1)
    assert {b.speaker for b in s.beats} == {"NARRATOR", "OPERATOR", "ANALYST"}
    assert sum(1 for b in s.beats if b.terminal) == 2 and [b.transition for b in s.beats].count("glitch") == 1
    assert s.format == "9:16" and s.series == "the-signal" and s.writer == "narrative"
    style = PAPER.productions.style_for("the-signal")
    first = s.beats[0]
    # the series' template filled from the direction: base prompt, camera, lighting, modifiers
    assert first.visual_prompt.startswith("a retro sci-fi film still of a dim control room")
    assert "slow push-in" in first.visual_prompt and "low key lighting" in first.visual_prompt
    assert all(m in first.visual_prompt for m in style.style_modifiers)
    assert {"monitors", "control"} <= set(first.keywords)  # the stock query and the art follow the direction
    later = next(b for b in s.beats if "rooftop" in b.scene)
    assert "lightning flashes lighting" in later.visual_prompt and "camera: low angle" in later.scene


def test_topic_shorts_keep_their_structure_rules():
    s = narrative_script(PAPER, parse_narrative(SAMPLE, name="the-signal.md"))
    s.series, s.format = "", "9:16"
    for b in s.beats:
        b.speaker = b.scene = b.terminal = b.transition = ""
    assert any("hook, promise" in p.message for p in check_script(s))  # not a production any more


def _channels(extra: dict) -> dict:
    ch = {"name": "demo", "niche": "stories", "topics": [{"topic": "A topic"}], **extra}
    return {"channels": [ch]}


@pytest.mark.parametrize("extra, field", [
    ({"cast": {"NARRATOR": {"voices": ["elevenlabs", "piper"]}}}, "cast.NARRATOR.elevenlabs"),
    ({"cast": {"NARRATOR": {"voices": ["polly"]}}}, "cast.NARRATOR.voices[0]"),
    ({"cast": {"NARRATOR": {"piper": {"pitch": 20}}}}, "cast.NARRATOR.piper.pitch"),
    ({"cast": {"NARRATOR": {"piper": {"formant": "weird"}}}}, "cast.NARRATOR.piper.formant"),
    ({"cast": {"NARRATOR": {"piper": {"model_path": "nope.onnx"}}}}, "cast.NARRATOR.piper.model_path"),
    ({"cast": {"NARRATOR": {"accent": "x"}}}, "cast.NARRATOR.accent"),
    ({"series": {"Bad Name": {}}}, "series.Bad Name"),
    ({"series": {"s1": {"style": {"lens": "x"}}}}, "series.s1.style.lens"),
])
def test_cast_and_series_mistakes_name_the_field(extra, field, tmp_path):
    with pytest.raises(ConfigError) as err:
        parse_channels(_channels(extra), base_dir=tmp_path)
    assert err.value.field.endswith(field) and err.value.fix


def test_series_cast_extends_and_overrides_the_channels():
    cfg = parse_channels(_channels({
        "cast": {"NARRATOR": {"piper": {"pitch": -2}}, "GUARD": {}},
        "series": {"s1": {"cast": {"narrator": {"piper": {"pitch": 5}}, "Night_Guard": {}},
                          "style": {"base_prompt": "noir still of {scene}", "lighting": "hard"}}}}))
    prods = cfg.get("demo").productions
    assert prods.cast_for("")["NARRATOR"].piper.pitch == -2
    cast = prods.cast_for("s1")
    assert cast["NARRATOR"].piper.pitch == 5 and {"GUARD", "NIGHT GUARD"} <= set(cast)
    assert prods.style_for("s1").prompt("a pier at night") == "noir still of a pier at night, hard lighting"


def test_a_line_longer_than_the_series_scene_length_gets_several_scenes():
    long_line = ("NARRATOR: The tower stood alone on the ridge. Its lamp had been dark for years. "
                 "Then one night it blinked twice, and the whole valley saw it.")
    text = f"# The tower\nchannel: paper-trail\nseries: the-signal\nformat: 16:9\n\n[TRANSITION: glitch]\n{long_line}\n"
    s = narrative_script(PAPER, parse_narrative(text, name="t.md"))
    assert PAPER.productions.style_for("the-signal").scene_seconds == 6
    assert [b.narration for b in s.beats] == ["The tower stood alone on the ridge. Its lamp had been dark for years.",
                                              "Then one night it blinked twice, and the whole valley saw it."]
    assert {b.speaker for b in s.beats} == {"NARRATOR"} and [b.transition for b in s.beats] == ["glitch", ""]
    assert [b.kind for b in s.beats] == ["hook", "body"] and not check_script(s)
