"""channels.yaml: platforms, tiktok and instagram blocks are checked field by field (shortsmith/platforms.py)."""

from __future__ import annotations

import pytest

from shortsmith.config import load_channels
from shortsmith.errors import ConfigError
from tests.conftest import write_channels


def load(tmp_path, **channel):
    return load_channels(write_channels(tmp_path / "channels.yaml", **channel)).channels[0]


def test_defaults_publish_to_youtube_only(tmp_path):
    ch = load(tmp_path)
    assert ch.platforms.platforms == ("youtube",) and not ch.platforms.tiktok.configured


def test_all_three_platforms_with_their_blocks(tmp_path):
    ch = load(tmp_path, platforms=["youtube", "tiktok", "instagram"],
              tiktok={"credentials": "secrets/t.json", "mode": "inbox"},
              instagram={"user_id": 17841400000000001, "token_env": "IG_TOKEN"})
    assert ch.platforms.uses("tiktok") and ch.platforms.tiktok.scope == "video.upload"
    assert ch.platforms.tiktok.credentials == str(tmp_path / "secrets" / "t.json")
    assert ch.platforms.instagram.user_id == "17841400000000001" and ch.platforms.instagram.configured


@pytest.mark.parametrize("channel, field, words", [
    ({"platforms": ["youtube", "vimeo"]}, "platforms[1]", "youtube, tiktok, instagram"),
    ({"platforms": ["tiktok", "tiktok"]}, "platforms", "once"),
    ({"tiktok": {"privacy_level": "PUBLIC_TO_EVERYONE"}}, "tiktok.privacy_level", "SELF_ONLY"),
    ({"tiktok": {"privacy_level": "FRIENDS"}}, "tiktok.privacy_level", "MUTUAL_FOLLOW_FRIENDS"),
    ({"tiktok": {"mode": "draft"}}, "tiktok.mode", "inbox"),
    ({"tiktok": {"credentials_env": "lower-case"}}, "tiktok.credentials_env", "NAME"),
    ({"tiktok": {"watermark": True}}, "tiktok.watermark", "use only"),
    ({"instagram": {"user_id": "@me"}}, "instagram.user_id", "numeric"),
    ({"instagram": {"upload": "ftp"}}, "instagram.upload", "presigned"),
    ({"platforms": ["instagram"], "instagram": {"user_id": "1"}}, "instagram.token_env", "long-lived"),
])
def test_bad_values_name_the_field_and_the_fix(tmp_path, channel, field, words):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, **channel)
    assert err.value.field.endswith(field) and words in str(err.value)
