"""Instagram's video_url: a presigned GET of the S3 media store (moto_server on loopback) that the stand-in fetches."""

from __future__ import annotations

import hashlib
import json

import pytest

from pipeline_defs.assets.platform_posts import presigned_video_url
from shortsmith.config import load_channels
from shortsmith.errors import ConfigError
from shortsmith.instagram import InstagramApi, ReelsSession, ReelsSettings, new_state
from shortsmith.resilience import MemoryKV, RetryPolicy
from shortsmith.storage import LocalMediaStore
from tests.conftest import write_channels
from tests.deploy.test_s3_store import make_store
from tests.standins.instagram import InstagramStandIn

KEY = "curious-minds--why-cats-purr"


def test_a_reel_from_a_presigned_s3_url(s3_env, bucket, tmp_path, monkeypatch):
    store = make_store(s3_env["SHORTSMITH_S3_ENDPOINT_URL"], bucket, tmp_path / "cache")
    video = bytes(range(256)) * 2000
    with store.write_stage(KEY, "video", "fp", {"checks_passed": True}) as w:
        w.path("video.mp4").write_bytes(video)
    with InstagramStandIn() as ig:
        ig.fetch_video_urls = True
        monkeypatch.setenv("IG_TOKEN_T", next(iter(ig.tokens)))
        ch = load_channels(write_channels(tmp_path / "channels.yaml", platforms=["instagram"], instagram={
            "user_id": ig.user_id, "token_env": "IG_TOKEN_T", "upload": "video_url"})).channels[0]
        url = presigned_video_url(store, KEY, ch)
        assert "Signature=" in url and f"/media/curious-minds/{KEY}/video/video.mp4" in url
        api = InstagramApi({"access_token": next(iter(ig.tokens))}, channel=ch.name, user_id=ig.user_id,
                           graph_url=ig.url, rupload_url=ig.url, timeout_s=5)
        session = ReelsSession(api, ch, MemoryKV(), sleep=lambda s: None,
                               settings=ReelsSettings(policy=RetryPolicy(max_attempts=2, base_delay_s=0.01),
                                                      poll_interval_s=0))
        state = session.publish(new_state(KEY, ch.name, "x", len(video)), video=None, video_url=url,
                                caption="Why cats purr", save=lambda s: None)
        assert state["status"] == "done" and not ig.seen("/ig-api-upload/")
        assert ig.media[0]["sha256"] == hashlib.sha256(video).hexdigest()  # Instagram fetched the very bytes
        assert "Signature" not in json.dumps(state)  # the capability URL is not kept in the record
    with pytest.raises(ConfigError) as err:
        presigned_video_url(LocalMediaStore(tmp_path / "media"), KEY, ch)
    assert "SHORTSMITH_STORAGE=s3" in err.value.fix
