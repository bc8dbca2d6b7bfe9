"""Each kind of weak video fails the right part of the quality gate with a message that says what to fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from shortsmith.config import TopicSeed, load_channels
from shortsmith.model import BeatAudio, Voiceover, WordTiming
from shortsmith.quality import (audio_measures, containment, score, script_measures, script_text, visual_measures)
from shortsmith.script import write_offline_script
from shortsmith.topics import find_seed
from shortsmith.voice.wav import write_wav

ROOT = Path(__file__).resolve().parents[2]
CHANNEL = load_channels(ROOT / "channels.yaml").get("curious-minds")
FIXTURES = ROOT / "tests" / "fixtures" / "sources"


def voice(tmp: Path, gap_s: float) -> tuple[Path, Voiceover]:
    """Two spoken beats (noise bursts with word timings) with ``gap_s`` of silence between them."""
    rate = 22050
    rng = np.random.default_rng(1)
    burst = (rng.standard_normal(int(rate * 4.0)) * 0.2).astype(np.float32)
    audio = np.concatenate([burst, np.zeros(int(rate * gap_s), np.float32), burst])
    path = tmp / "voice.wav"
    write_wav(path, audio, rate)
    words = lambda t0: [WordTiming(f"w{i}", t0 + i * 0.33, t0 + i * 0.33 + 0.3) for i in range(12)]  # noqa: E731
    second = 4.0 + gap_s
    vo = Voiceover(str(path), rate, len(audio) / rate,
                   [BeatAudio(0, 0.0, 4.0, words(0.0)), BeatAudio(1, second, second + 4.0, words(second))],
                   "test", "alignment")
    return path, vo


def part_failures(measures, part):
    return [m for m in measures if m.part == part and not m.passed]


def test_a_long_silent_gap_fails_the_audio_part(tmp_path):
    wav, vo = voice(tmp_path, 0.4)
    assert not part_failures(audio_measures(wav, vo), "audio")
    wav, vo = voice(tmp_path, 3.2)
    failed = part_failures(audio_measures(wav, vo), "audio")
    assert [m.name for m in failed] == ["silent_gap_s"]
    assert "3.1 s of silence" in failed[0].message and "re-make the voiceover" in failed[0].message


def scene(colour, shape_colour=None, seed=0):
    img = Image.new("RGB", (180, 320), colour)
    if shape_colour:
        d = ImageDraw.Draw(img)
        rng = np.random.default_rng(seed)
        for _ in range(6):
            x, y = rng.integers(0, 150, 2)
            d.ellipse([int(x), int(y), int(x) + 60, int(y) + 90], fill=shape_colour)
    return img


def test_duplicated_scenes_fail_the_visuals_part():
    varied = [scene(c, s, i) for i, (c, s) in enumerate([("#0b1026", "#22d3ee"), ("#3b2f8f", "#f472b6"),
                                                          ("#7c3aed", "#0b1026"), ("#22d3ee", "#3b2f8f")])]
    kwargs = dict(caption_colours=["#ffffff", "#facc15"], outline_colour="#000000", outline_px=4.0)
    assert not part_failures(visual_measures(varied, **kwargs), "visuals")
    duplicated = varied[:2] + [varied[1].copy(), varied[3]]
    failed = part_failures(visual_measures(duplicated, **kwargs), "visuals")
    assert [m.name for m in failed] == ["near_duplicate_scenes"]
    assert "scenes 2 and 3 are near-duplicates" in failed[0].message and "different prompts" in failed[0].message


def test_low_contrast_captions_fail_the_visuals_part():
    pale = [scene(c, s, i) for i, (c, s) in enumerate([("#f5ecd7", "#fff4e0"), ("#fff8e7", "#f5ecd7"),
                                                        ("#faf0dc", "#ffffff"), ("#fffdf5", "#f0e6d0")])]
    failed = part_failures(visual_measures(pale, caption_colours=["#ffffff", "#fde68a"], outline_colour="#ffffff",
                                           outline_px=0.0), "visuals")
    assert [m.name for m in failed] == ["caption_contrast"]
    assert "need 3:1" in failed[0].message and "caption_highlight" in failed[0].message
    # the same pale scenes with the default black outline are readable
    assert not part_failures(visual_measures(pale, caption_colours=["#ffffff"], outline_colour="#000000",
                                             outline_px=8.0), "visuals")


def test_a_script_that_repeats_an_earlier_one_fails_the_script_part():
    seed = find_seed(CHANNEL, "why-cats-purr")
    first = write_offline_script(CHANNEL, seed.topic, seed)
    other = write_offline_script(CHANNEL, "Why the sea is salty",
                                 TopicSeed("Why the sea is salty", source=str(FIXTURES / "why-the-sea-is-salty.txt")))
    previous = [("curious-minds--why-the-sea-is-salty", script_text(other))]
    assert not part_failures(script_measures(first, previous), "script")
    # the same facts again under another topic name
    again = write_offline_script(CHANNEL, "The purring of cats", seed)
    failed = part_failures(script_measures(again, previous + [("curious-minds--why-cats-purr", script_text(first))]),
                           "script")
    assert [m.name for m in failed] == ["similarity"]
    assert "repeat curious-minds--why-cats-purr" in failed[0].message and "new facts" in failed[0].message


def test_score_is_a_weighted_mean_of_the_parts(tmp_path):
    wav, vo = voice(tmp_path, 0.4)
    seed = find_seed(CHANNEL, "why-cats-purr")
    s = write_offline_script(CHANNEL, seed.topic, seed)
    report = score(script_measures(s, []) + audio_measures(wav, vo))
    assert set(report.parts) == {"script", "audio"} and 0 <= report.score <= 100
    assert report.passes(60) and not report.passes(report.score + 1)
    assert containment("a b c d e", "a b c d e") == 1.0 and containment("a b c d", "w x y z") == 0.0
