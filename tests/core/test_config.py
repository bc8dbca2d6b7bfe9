from pathlib import Path

import pytest
import yaml

from shortsmith.config import load_channels, parse_channels
from shortsmith.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def minimal(**overrides):
    channel = {"name": "test-channel", "niche": "science facts", "topics": ["Why cats purr"]}
    channel.update(overrides)
    return {"channels": [channel]}


def test_sample_channels_file_loads():
    cfg = load_channels(ROOT / "channels.yaml")
    ch = cfg.get("curious-minds")
    assert ch.topics and all(t.topic for t in ch.topics)
    assert ch.min_seconds == 35 and ch.max_seconds == 55  # from the defaults block
    assert ch.privacy == "private" and ch.synthetic_media is True
    assert ch.voice.engine == "piper"


def test_unknown_channel_names_the_known_ones():
    cfg = parse_channels(minimal())
    with pytest.raises(ConfigError) as e:
        cfg.get("nope")
    assert "nope" in str(e.value) and "test-channel" in str(e.value) and e.value.fix


@pytest.mark.parametrize("override, field, words", [
    ({"name": "Bad Name"}, "name", "slug"),
    ({"style": {"palette": ["#fff", "#000000"]}}, "palette[0]", "#rrggbb"),
    ({"privacy": "secret"}, "privacy", "private, unlisted or public"),
    ({"target_seconds": {"min": 50, "max": 40}}, "target_seconds", "min below max"),
    ({"max_video_seconds": 400}, "max_video_seconds", "Shorts limit"),
    ({"words_per_minute": True}, "words_per_minute", "number"),
    ({"colour": "red"}, "colour", "allowed keys"),
    ({"topics": []}, "topics", "at least one topic"),
    ({"voice": {"engine": "elevenlabs-typo"}}, "voice.engine", "piper"),
])
def test_bad_values_name_field_and_fix(override, field, words):
    with pytest.raises(ConfigError) as e:
        parse_channels(minimal(**override))
    assert field in (e.value.field or ""), e.value
    assert words in str(e.value)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_channels(tmp_path / "missing.yaml")
    bad = tmp_path / "channels.yaml"
    bad.write_text("channels: [\n  - name: x\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_channels(bad)


def test_topics_file_relative_to_config(tmp_path):
    (tmp_path / "topics.yaml").write_text(yaml.safe_dump([{"topic": "How tides work", "score": 90}]))
    cfg_file = tmp_path / "channels.yaml"
    cfg_file.write_text(yaml.safe_dump(minimal(topics="topics.yaml")))
    ch = load_channels(cfg_file).get("test-channel")
    assert ch.topics[0].topic == "How tides work" and ch.topics[0].score == 90
