"""Instagram Reels (shortsmith.instagram) through its real HTTP client (httpx) against the loopback stand-in."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from shortsmith.config import load_channels
from shortsmith.errors import InputError
from shortsmith.instagram import (InstagramApi, InstagramError, PublishLimitDeferred, ReelRejected, ReelsSession,
                                  ReelsSettings, build_caption, check_caption, load_token, new_state)
from shortsmith.resilience import MemoryKV, RetryPolicy
from tests.conftest import write_channels
from tests.standins.instagram import InstagramStandIn


@pytest.fixture
def ig():
    with InstagramStandIn() as api:
        yield api


class Rig:
    def __init__(self, tmp: Path, ig: InstagramStandIn, monkeypatch, *, token_file: dict | None = None):
        self.ig = ig
        block = {"user_id": ig.user_id}
        if token_file is not None:
            path = tmp / "secrets" / "ig.json"
            path.parent.mkdir(exist_ok=True)
            path.write_text(json.dumps(token_file))
            path.chmod(0o600)
            block["token_file"] = "secrets/ig.json"
            self.token_path = path
        else:
            monkeypatch.setenv("IG_TOKEN_TEST", next(iter(ig.tokens)))
            block["token_env"] = "IG_TOKEN_TEST"
        self.channel = load_channels(write_channels(tmp / "channels.yaml", platforms=["instagram"],
                                                    instagram=block)).channels[0]
        self.kv = MemoryKV()
        self.saved: list[dict] = []
        self.video = tmp / "reel.mp4"
        self.video.write_bytes(bytes(range(256)) * 4000)

    def session(self) -> ReelsSession:
        token, path = load_token(self.channel)
        api = InstagramApi(token, channel=self.channel.name, user_id=self.ig.user_id, graph_url=self.ig.url,
                           rupload_url=self.ig.url, timeout_s=5.0, token_path=path,
                           refresh_url=self.ig.url + "/refresh_access_token")
        settings = ReelsSettings(policy=RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02),
                                 poll_interval_s=0.0, polls_per_run=3)
        return ReelsSession(api, self.channel, self.kv, settings=settings, sleep=lambda s: None)

    def save(self, state: dict) -> None:
        self.saved.append(json.loads(json.dumps(state)))

    def publish(self, state: dict | None = None, *, video_url: str | None = None, caption: str = "Why cats purr #cats",
                save=None) -> dict:
        state = state or new_state("curious-minds--t", "curious-minds", "sha", self.video.stat().st_size)
        return self.session().publish(state, video=None if video_url else self.video, video_url=video_url,
                                      caption=caption, save=save or self.save)


def test_reel_by_resumable_upload_is_published_once(tmp_path, ig, monkeypatch):
    rig = Rig(tmp_path, ig, monkeypatch)
    state = rig.publish()
    assert state["status"] == "done" and state["permalink"].startswith("https://www.instagram.com/reel/")
    (reel,) = ig.media
    assert reel["id"] == state["media_id"] and reel["sha256"] == hashlib.sha256(rig.video.read_bytes()).hexdigest()
    (up,) = ig.seen("/ig-api-upload/")
    assert up.headers["offset"] == "0" and up.headers["file_size"] == str(rig.video.stat().st_size)
    assert up.headers["authorization"].startswith("OAuth ")
    create = ig.seen(f"/v21.0/{ig.user_id}/media")[0]
    assert create.query["media_type"] == ["REELS"] and create.query["upload_type"] == ["resumable"]
    # the container id was saved before the bytes went out; "publishing" before media_publish
    assert [s["status"] for s in rig.saved][:2] == ["uploading", "processing"]
    assert "publishing" in [s["status"] for s in rig.saved]
    assert rig.publish(state)["media_id"] == reel["id"] and len(ig.media) == 1


def test_reel_from_a_video_url(tmp_path, ig, monkeypatch):
    rig = Rig(tmp_path, ig, monkeypatch)
    url = "https://bucket.s3.amazonaws.com/curious-minds/video.mp4?X-Amz-Signature=abc"
    state = rig.publish(video_url=url)
    assert state["status"] == "done" and ig.media[0]["video_url"] == url and not ig.seen("/ig-api-upload/")


def test_caption_limits_are_checked_before_sending(tmp_path, ig, monkeypatch):
    rig = Rig(tmp_path, ig, monkeypatch)
    with pytest.raises(InputError) as err:
        rig.publish(caption="x" * 2201)
    assert err.value.field == "instagram.caption" and "2200" in err.value.fix
    with pytest.raises(InputError) as err:
        check_caption(" ".join(f"#tag{i}" for i in range(31)))
    assert "31 hashtags" in str(err.value)
    assert build_caption("T", "D", [f"t{i}" for i in range(30)]).count("#") == 30
    assert not ig.requests


def test_container_error_is_rejected_and_not_retried(tmp_path, ig, monkeypatch):
    ig.container_error = "2207026: unsupported video format"
    rig = Rig(tmp_path, ig, monkeypatch)
    with pytest.raises(ReelRejected) as err:
        rig.publish()
    assert "unsupported video format" in str(err.value)
    state = rig.saved[-1]
    assert state["status"] == "rejected"
    assert rig.publish(state)["status"] == "rejected" and len(ig.containers) == 1 and not ig.media


def test_publishing_limit_defers_and_holds_across_sessions(tmp_path, ig, monkeypatch):
    ig.quota_total, ig.published_elsewhere = 2, 1
    rig = Rig(tmp_path, ig, monkeypatch)
    assert rig.publish()["status"] == "done"
    second = new_state("curious-minds--u", "curious-minds", "sha", 1)
    with pytest.raises(PublishLimitDeferred) as err:
        rig.publish(second)
    assert "2 of its 2" in err.value.message and err.value.until.timestamp() > time.time()
    assert len(ig.media) == 1 and not ig.seen(f"/v21.0/{ig.user_id}/media_publish")[1:]
    # the stand-in's own usage does not yet count a post another process reserved: our ledger does
    ig.published_elsewhere = 0
    ig.media.clear()
    rig.kv.update(f"shortsmith/instagram/published/{ig.user_id}",  # two reserved by others, not yet published
                  lambda v: {"posts": {"a": {"at": time.time()}, "b": {"at": time.time()}}})
    with pytest.raises(PublishLimitDeferred):
        rig.publish(new_state("curious-minds--v", "curious-minds", "sha", 1))


def test_killed_between_media_publish_and_its_record_resumes_without_a_second_post(tmp_path, ig, monkeypatch):
    rig = Rig(tmp_path, ig, monkeypatch)

    class Killed(BaseException):
        pass

    def save_then_die(st: dict) -> None:
        if st["status"] == "done":  # media_publish answered; the process dies before recording it
            raise Killed()
        rig.save(st)

    with pytest.raises(Killed):
        rig.publish(save=save_then_die)
    state = rig.saved[-1]
    assert state["status"] == "publishing" and len(ig.media) == 1
    done = rig.publish(state)
    assert done["status"] == "done" and done["media_id"] == ig.media[0]["id"] and len(ig.media) == 1
    assert len(ig.seen(f"/v21.0/{ig.user_id}/media_publish")) == 1


def test_expiring_file_token_is_refreshed_and_expired_env_token_names_the_fix(tmp_path, ig, monkeypatch):
    old = next(iter(ig.tokens))
    rig = Rig(tmp_path, ig, monkeypatch, token_file={"access_token": old, "expires_at": time.time() + 3600})
    assert rig.publish()["status"] == "done"
    saved = json.loads(rig.token_path.read_text())
    assert saved["access_token"] != old and saved["access_token"] in ig.tokens
    assert saved["expires_at"] > time.time() + 50 * 86400
    assert oct(rig.token_path.stat().st_mode & 0o777) == "0o600"

    ig.expire_token(old)
    (tmp_path / "b").mkdir()
    rig2 = Rig(tmp_path / "b", ig, monkeypatch)
    monkeypatch.setenv("IG_TOKEN_TEST", old)  # a long-lived token in a variable cannot be refreshed by us
    with pytest.raises(InstagramError) as err:
        rig2.publish()
    text = str(err.value)
    assert "code 190" in text and "long-lived token" in text and "token_env" in err.value.field
    assert old not in text
