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
    ({"style": {"palette": ["#ffff", "#000000"]}}, "palette[0]", "#rrggbb"),
    ({"style": {"palette": ["#000000", "fff"]}}, "palette[1]", "#rrggbb"),
    ({"style": {"caption_highlight": "#12345"}}, "caption_highlight", "#rrggbb"),
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


def test_colours_may_be_written_long_or_short_and_reach_every_stage_long():
    short = parse_channels(minimal(style={"palette": ["#0F0", "#1e293b"], "caption_highlight": "#f80"}))
    long = parse_channels(minimal(style={"palette": ["#00FF00", "#1e293b"], "caption_highlight": "#ff8800"}))
    s, lg = short.channels[0].style, long.channels[0].style
    assert s.palette == ("#00FF00", "#1e293b") == lg.palette  # long spellings are kept as written
    assert s.caption_highlight == "#ff8800" == lg.caption_highlight


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


# -- providers, ElevenLabs voice, YouTube, pricing ---------------------

def _load(tmp_path, **overrides):
    from tests.conftest import write_channels
    from shortsmith.config import load_channels

    return load_channels(write_channels(tmp_path / "c.yaml", **overrides)).channels[0]


def test_provider_chains_default_offline_and_accept_cloud(tmp_path):
    ch = _load(tmp_path)
    assert ch.providers.script == ("offline",) and not ch.providers.cloud
    ch = _load(tmp_path, providers={"script": ["openai", "offline"], "voice": "elevenlabs",
                                    "visuals": ["pexels", "openai", "procedural"]})
    assert ch.providers.voice == ("elevenlabs",) and ch.providers.visuals[0] == "pexels" and ch.providers.cloud


@pytest.mark.parametrize("providers, field, words", [
    ({"script": ["gpt5"]}, "providers.script[0]", "openai, local, offline"),
    ({"voice": []}, "providers.voice", "list"),
    ({"visuals": ["pexels", "pexels"]}, "providers.visuals", "once"),
    ({"sound": ["x"]}, "providers", "allowed keys"),
    ({"music": ["x"]}, "providers.music[0]", "musicapi, elevenlabs, library, composer, synth"),
])
def test_provider_chain_mistakes_name_the_field(tmp_path, providers, field, words):
    from shortsmith.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        _load(tmp_path, providers=providers)
    assert field in err.value.field and words in str(err.value)


def test_elevenlabs_settings_and_youtube_block(tmp_path):
    from shortsmith.errors import ConfigError

    ch = _load(tmp_path, voice={"engine": "piper", "elevenlabs": {"voice_id": "abc", "stability": 0.3}},
               youtube={"credentials": "secrets/yt.json", "project": "my-proj", "playlist_id": "PL1",
                        "publish_at": "17:30"})
    assert ch.voice.elevenlabs.voice_id == "abc" and ch.voice.elevenlabs.stability == 0.3
    assert ch.youtube.configured and ch.youtube.credentials.endswith("secrets/yt.json")
    assert ch.youtube.project == "my-proj" and ch.youtube.publish_at == "17:30"
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, voice={"elevenlabs": {"stability": 3}})
    assert err.value.field.endswith("voice.elevenlabs.stability")
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, youtube={"credentials_env": "not a name"})
    assert err.value.field.endswith("youtube.credentials_env")
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, style={"image_prompt": "no placeholder"})
    assert err.value.field.endswith("style.image_prompt")


def test_pricing_overrides(tmp_path):
    import yaml

    from shortsmith.config import load_channels
    from shortsmith.errors import ConfigError

    from tests.conftest import sample_channels

    base = sample_channels()
    base["pricing"] = {"elevenlabs": {"character": 0.0003}}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(base))
    assert load_channels(tmp_path / "p.yaml").pricing == {"elevenlabs": {"character": 0.0003}}
    base["pricing"] = {"elevenlabs": {"character": "cheap"}}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(base))
    with pytest.raises(ConfigError) as err:
        load_channels(tmp_path / "p.yaml")
    assert err.value.field == "pricing"


def test_a_point_that_yaml_reads_as_a_mapping_names_the_field_and_the_quotes(tmp_path):
    path = tmp_path / "channels.yaml"
    path.write_text(yaml.safe_dump({"channels": [{"name": "c", "niche": "science", "topics": [
        {"topic": "Why leaves change colour", "points": ["Green fades first.", {"Reds are different": "they are new."}]}]}]}))
    with pytest.raises(ConfigError) as err:
        load_channels(path)
    assert err.value.field == "channels[0] (c).topics[0].points[1]"
    assert "quotes" in str(err.value)
