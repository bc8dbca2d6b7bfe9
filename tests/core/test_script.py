from pathlib import Path

import pytest

from shortsmith.config import load_channels, parse_channels
from shortsmith.errors import InputError
from shortsmith.model import Beat
from shortsmith.script import (HOOK_MAX_SECONDS, check_script, estimate_seconds, spoken_seconds,
                               write_offline_script)
from shortsmith.topics import find_seed, slugify

ROOT = Path(__file__).resolve().parents[2]
CHANNEL = load_channels(ROOT / "channels.yaml").get("curious-minds")
TOPICS = [t.topic for t in CHANNEL.topics]


@pytest.mark.parametrize("topic", TOPICS)
def test_offline_scripts_have_the_structure_and_fit_the_budget(topic):
    s = write_offline_script(CHANNEL, topic, find_seed(CHANNEL, slugify(topic)))
    kinds = [b.kind for b in s.beats]
    assert kinds[0] == "hook" and kinds[1] == "promise" and kinds[-1] == "cta"
    assert 4 <= kinds.count("body") <= 7
    assert CHANNEL.min_seconds <= s.estimated_seconds <= CHANNEL.max_seconds
    assert spoken_seconds(s.hook.narration, s.words_per_minute) <= HOOK_MAX_SECONDS
    assert all(b.visual_prompt and b.keywords for b in s.beats)
    assert check_script(s) == []


def test_every_sample_topic_is_grounded():
    """`make demo` and the schedules never need filler: every sample topic ships its facts (points or a source)."""
    from shortsmith.grounded import gather_facts

    for channel in load_channels(ROOT / "channels.yaml").channels:
        for seed in channel.topics:
            s = write_offline_script(channel, seed.topic, seed)
            facts = {f.text for f in gather_facts(channel, seed.topic, seed)[0]}
            bodies = [b.narration for b in s.beats if b.kind == "body"]
            assert bodies and set(bodies) <= facts, seed.topic
            assert s.source == ("points" if seed.points else seed.source)


def test_deterministic():
    seed = find_seed(CHANNEL, "why-cats-purr")
    assert write_offline_script(CHANNEL, seed.topic, seed) == write_offline_script(CHANNEL, seed.topic, seed)


def test_points_become_body_beats():
    seed = find_seed(CHANNEL, "why-cats-purr")
    s = write_offline_script(CHANNEL, seed.topic, seed)
    bodies = [b.narration for b in s.beats if b.kind == "body"]
    assert bodies[0].startswith("A purr starts in the voice box")
    assert s.facts == list(seed.points[:len(bodies)]) and s.source == "points"


def test_never_exceeds_a_tight_budget_or_fails_clearly():
    seed = find_seed(CHANNEL, "why-the-sky-is-blue")
    tight = parse_channels({"channels": [{"name": "t", "niche": "n", "topics": ["x"],
                                          "target_seconds": {"min": 30, "max": 38}}]}).get("t")
    s = write_offline_script(tight, seed.topic, seed)
    assert 30 <= s.estimated_seconds <= 38
    tiny = parse_channels({"channels": [{"name": "t", "niche": "n", "topics": ["x"],
                                         "target_seconds": {"min": 5, "max": 8}}]}).get("t")
    with pytest.raises(InputError) as e:
        write_offline_script(tiny, seed.topic, seed)
    assert "target_seconds" in e.value.fix


def test_check_script_reports_overlong_and_bad_structure():
    s = write_offline_script(CHANNEL, "Why cats purr", find_seed(CHANNEL, "why-cats-purr"))
    s.beats[2].narration = " ".join(["word"] * 200)
    problems = check_script(s)
    assert any("over the" in p.message for p in problems)
    s.beats = [Beat("body", "Too short.", "x", ["x"])]
    assert any("hook, promise" in p.message for p in check_script(s))


def test_estimate_counts_pauses():
    beats = [Beat("hook", "one two three", "v"), Beat("cta", "four five six", "v")]
    assert estimate_seconds(beats, 60) > 6.0
