"""Markdown narratives: parsing, and the narrative as a script within the channel's budget."""

from __future__ import annotations

import pytest

from shortsmith.config import load_channels
from shortsmith.errors import InputError
from shortsmith.narrative import narrative_from_dict, narrative_script, narrative_to_dict, parse_narrative
from shortsmith.script import HOOK_MAX_SECONDS, check_script, spoken_seconds

from tests.conftest import ROOT

CH = load_channels(ROOT / "channels.yaml").get("curious-minds")

GOOD = """# The lighthouse keeper's cat
channel: curious-minds

A cat once saved a lighthouse. The keeper on a tiny island off Maine had fallen ill, and nobody on shore knew.

For three nights the lamp stayed dark, and ships slowed to a crawl in the thick autumn fog.

His cat, a grey tom called Admiral, slipped out through a broken window and walked the frozen causeway at low tide.

At the harbour, fishermen recognised the cat and followed it back across the ice to the tower.

They found the keeper weak but alive, and they lit the great lamp again that same evening.

Today the island has a small bronze statue of Admiral, facing the sea he kept safe.
"""


def test_paragraphs_become_hook_promise_body_and_cta():
    n = parse_narrative(GOOD, name="cat.md")
    assert n.channel == "curious-minds" and n.title == "The lighthouse keeper's cat" and len(n.paragraphs) == 6
    s = narrative_script(CH, n)
    kinds = [b.kind for b in s.beats]
    assert kinds == ["hook", "promise"] + ["body"] * 5 + ["cta"]
    assert s.beats[0].narration == "A cat once saved a lighthouse."
    assert s.beats[1].narration.startswith("The keeper on a tiny island")
    assert s.beats[2].narration.startswith("For three nights")
    assert spoken_seconds(s.beats[0].narration, s.words_per_minute) <= HOOK_MAX_SECONDS
    assert check_script(s) == []
    assert s.writer == "narrative" and s.title == n.title
    assert narrative_from_dict(narrative_to_dict(n)) == n


def test_long_first_sentence_is_cut_at_a_pause_and_few_paragraphs_are_split():
    text = ("# Why the tide turns\n\nTwice a day, without fail, the whole ocean seems to breathe in and out along every "
            "coast. Here is what pulls it.\n\n"
            "The moon pulls on the water nearest to it. The earth is pulled a little less. The far side is pulled "
            "least of all, so the ocean stretches into two bulges. The planet turns under those bulges every day. "
            "Each coast passes through both of them, so it gets two high tides. The sun adds its own smaller pull. "
            "When sun and moon line up, tides run extra high.\n")
    s = narrative_script(CH, parse_narrative(text, name="tide.md"))
    assert s.beats[0].narration == "Twice a day."
    assert s.beats[1].narration.startswith("Without fail, the whole ocean")
    assert [b.kind for b in s.beats].count("body") == 4  # one paragraph spread over four beats
    assert check_script(s) == []


@pytest.mark.parametrize("text, field, words", [
    ("no title here\n\nOne.\n\nTwo.", "title", "'# Title'"),
    ("# Only a title\n\nJust one paragraph.", "body", "at least two paragraphs"),
    ("# Tiny\n\nA hook.\n\nOne. Two.", "body", "4 body beats"),
    ("# Emoji \U0001F600 title\n\nA.\n\nB.", "title", "unsupported characters"),
])
def test_malformed_narratives_say_what_to_fix(text, field, words):
    with pytest.raises(InputError) as err:
        narrative_script(CH, parse_narrative(text, name="bad.md"), name="bad.md")
    assert field in err.value.field and words in str(err.value)


def test_too_long_and_too_short_narratives_are_rejected_with_word_counts():
    long = "# A long story\n\nIt starts here.\n\n" + "\n\n".join(
        "This paragraph keeps going with many more words than a short video could ever hold in time." for _ in range(12))
    with pytest.raises(InputError, match=r"over curious-minds's 55 s budget") as err:
        narrative_script(CH, parse_narrative(long))
    assert "cut about" in err.value.fix
    short = "# A short story\n\nIt starts.\n\nOne thing.\n\nTwo things.\n\nThree things.\n\nFour things."
    with pytest.raises(InputError, match="under curious-minds's 35 s minimum") as err:
        narrative_script(CH, parse_narrative(short))
    assert "add about" in err.value.fix
