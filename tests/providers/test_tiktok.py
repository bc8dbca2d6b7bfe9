"""TikTok posting (shortsmith.tiktok) through its real HTTP client (httpx) against the loopback stand-in."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from shortsmith.config import load_channels
from shortsmith.errors import ConfigError
from shortsmith.ratewindow import RateWindow
from shortsmith.resilience import MemoryKV, RetryPolicy
from shortsmith.tiktok import (TikTokApi, TikTokError, TikTokRejected, TikTokSession, TikTokSettings, chunk_plan,
                               chunk_ranges, load_token, new_state)
from tests.conftest import write_channels
from tests.standins.tiktok import TikTokStandIn, chunk_rule_problem

MB = 1024 * 1024


def channel_with(tmp: Path, **tiktok):
    cfg = {"credentials": "secrets/tt.json", **tiktok}
    return load_channels(write_channels(tmp / "channels.yaml", platforms=["youtube", "tiktok"], tiktok=cfg)).channels[0]


def write_token(tmp: Path, token: dict) -> Path:
    path = tmp / "secrets" / "tt.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(token))
    path.chmod(0o600)
    return path


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.write(b"\x00\x00\x00\x18ftypmp42")  # a few real bytes at the start, the rest a hole
        fh.truncate(size)
    return path


class Rig:
    def __init__(self, tmp: Path, tt: TikTokStandIn, token: dict | None = None, **tiktok):
        self.tmp, self.tt = tmp, tt
        self.token_path = write_token(tmp, token or tt.token_json())
        self.channel = channel_with(tmp, **tiktok)
        self.kv = MemoryKV()
        self.saved: list[dict] = []
        self.slept: list[float] = []

    def session(self, **settings) -> TikTokSession:
        token, path = load_token(self.channel)
        api = TikTokApi(token, channel=self.channel.name, client_key=self.tt.client_key,
                        client_secret=self.tt.client_secret, base_url=self.tt.url, timeout_s=5.0, token_path=path)
        s = TikTokSettings(policy=RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02),
                           poll_interval_s=0.0, **settings)
        def sleep(seconds: float) -> None:
            self.slept.append(seconds)
            time.sleep(seconds)

        return TikTokSession(api, self.channel, RateWindow(self.kv, sleep=sleep),
                             settings=s, sleep=lambda s: None)

    def save(self, state: dict) -> None:
        self.saved.append(json.loads(json.dumps(state)))

    def publish(self, video: Path, state: dict | None = None, **settings) -> dict:
        state = state or new_state("curious-minds--t", "curious-minds", "sha", video.stat().st_size)
        return self.session(**settings).publish(state, video=video, title="Why cats purr #cats", duration_s=30.0,
                                                save=self.save)


@pytest.fixture
def tt():
    with TikTokStandIn() as api:
        yield api


@pytest.mark.parametrize("size, preferred, expect", [
    (int(4.9 * MB), 10 * MB, (int(4.9 * MB), 1)),  # under 5 MB: one piece
    (5 * MB, 10 * MB, (5 * MB, 1)),
    (64 * MB + 1, 10 * MB, (10 * MB, 6)),  # trailing 4 MB + 1 ride on the last chunk
    (64 * MB + 1, 64 * MB, ((64 * MB + 1) // 2, 2)),  # over 64 MB is never one chunk
    (200 * MB, 64 * MB, (64 * MB, 3)),  # last chunk 72 MB (<= 128 MB)
    (200 * MB, 1 * MB, (5 * MB, 40)),  # chunks are at least 5 MB
])
def test_chunk_plan_follows_the_documented_rules(size, preferred, expect):
    chunk, count = chunk_plan(size, preferred)
    assert (chunk, count) == expect
    assert chunk_rule_problem(size, chunk, count) is None
    ranges = chunk_ranges(size, chunk, count)
    assert ranges[0][0] == 0 and ranges[-1][1] == size - 1 and len(ranges) == count
    assert all(b[0] == a[1] + 1 for a, b in zip(ranges, ranges[1:]))


def test_small_video_is_posted_in_one_put_with_the_ai_label(tmp_path, tt):
    rig = Rig(tmp_path, tt)
    video = tmp_path / "v.mp4"
    video.write_bytes(bytes(range(256)) * (int(4.9 * MB) // 256))
    state = rig.publish(video)
    assert state["status"] == "done" and state["post_ids"] == [tt.posts[0]["post_id"]]
    (put,) = [r for r in tt.requests if r.method == "PUT"]
    size = video.stat().st_size
    assert put.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    assert tt.posts[0]["sha256"] == hashlib.sha256(video.read_bytes()).hexdigest()
    info = tt.posts[0]["post_info"]
    assert info["is_aigc"] is True and info["privacy_level"] == "SELF_ONLY"
    assert info["disable_stitch"] is True  # creator_info says stitch is disabled: honoured
    init = tt.seen("/v2/post/publish/video/init/")[0].json()["source_info"]
    assert init == {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": size, "total_chunk_count": 1}
    # the publish id was saved before the first byte went out
    first_with_id = next(s for s in rig.saved if s.get("publish_id"))
    assert first_with_id["status"] == "uploading" and first_with_id["next_chunk"] == 0


@pytest.mark.parametrize("size", [5 * MB, 64 * MB + 1, 200 * MB])
def test_chunked_uploads_send_ordered_content_ranges(tmp_path, tt, size):
    rig = Rig(tmp_path, tt)
    video = sparse(tmp_path / "big.mp4", size)
    state = rig.publish(video, chunk_size=64 * MB if size == 200 * MB else 10 * MB)
    assert state["status"] == "done"
    chunk, count = chunk_plan(size, 64 * MB if size == 200 * MB else 10 * MB)
    ranges = [r.headers["content-range"] for r in tt.requests if r.method == "PUT"]
    assert ranges == [f"bytes {a}-{b}/{size}" for a, b in chunk_ranges(size, chunk, count)]
    assert tt.posts[0]["size"] == size


def test_privacy_level_not_offered_is_refused_before_any_upload(tmp_path, tt):
    tt.creator["privacy_level_options"] = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS"]
    rig = Rig(tmp_path, tt)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x" * 1000)
    with pytest.raises(ConfigError) as err:
        rig.publish(video)
    assert "privacy_level" in err.value.field and "PUBLIC_TO_EVERYONE" in str(err.value)
    assert not tt.seen("/v2/post/publish/video/init/") and not tt.posts


def test_unaudited_client_posting_publicly_gets_a_clear_error(tmp_path, tt):
    with pytest.raises(ConfigError) as cfg:  # refused already when channels.yaml is read
        channel_with(tmp_path, privacy_level="PUBLIC_TO_EVERYONE")
    assert "SELF_ONLY" in str(cfg.value) and "audited" in str(cfg.value)
    # a channel that claims an audit TikTok has not granted: TikTok's own answer, explained
    tt.creator["privacy_level_options"] = ["PUBLIC_TO_EVERYONE", "SELF_ONLY"]
    rig = Rig(tmp_path, tt, privacy_level="PUBLIC_TO_EVERYONE", audited=True)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x" * 1000)
    with pytest.raises(TikTokError) as err:
        rig.publish(video)
    assert err.value.code == "unaudited_client_can_only_post_to_private_accounts"
    assert "SELF_ONLY" in str(err.value) and err.value.field.endswith("tiktok.privacy_level")


def test_long_moderation_is_recorded_and_finished_by_a_later_poll(tmp_path, tt):
    tt.moderation_polls = 7
    rig = Rig(tmp_path, tt)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"y" * 5000)
    state = rig.publish(video)
    assert state["status"] == "processing" and state["publish_id"] and not tt.posts
    assert len(tt.seen("/v2/post/publish/status/fetch/")) == 3  # a few polls, then hand back
    state = rig.session().poll(state, rig.save)
    assert state["status"] == "processing"
    state = rig.session().poll(state, rig.save)
    assert state["status"] == "done" and len(tt.posts) == 1
    assert len(tt.seen("/v2/post/publish/video/init/")) == 1


def test_moderation_failure_is_rejected_and_never_posted_again(tmp_path, tt):
    tt.moderation_result = "FAILED"
    rig = Rig(tmp_path, tt)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"z" * 5000)
    with pytest.raises(TikTokRejected) as err:
        rig.publish(video)
    assert "spam_risk_text" in str(err.value)
    state = rig.saved[-1]
    assert state["status"] == "rejected"
    assert rig.publish(video, state)["status"] == "rejected"
    assert len(tt.seen("/v2/post/publish/video/init/")) == 1


def test_expired_access_token_is_refreshed_and_written_back_0600(tmp_path, tt):
    rig = Rig(tmp_path, tt)
    tt.expire_access_tokens()  # the server no longer takes it, although the file says it is valid
    video = tmp_path / "v.mp4"
    video.write_bytes(b"q" * 3000)
    assert rig.publish(video)["status"] == "done"
    saved = json.loads(rig.token_path.read_text())
    assert saved["access_token"] in tt.access_tokens and tt.access_tokens[saved["access_token"]] > 0
    assert oct(rig.token_path.stat().st_mode & 0o777) == "0o600"
    assert len(tt.seen("/v2/oauth/token/")) == 1


def test_revoked_token_names_the_auth_command_and_leaks_nothing(tmp_path, tt):
    token = tt.token_json()
    rig = Rig(tmp_path, tt, token=token)
    tt.revoke()
    video = tmp_path / "v.mp4"
    video.write_bytes(b"q" * 3000)
    with pytest.raises(TikTokError) as err:
        rig.publish(video)
    text = str(err.value)
    assert "shortsmith tiktok-auth --channel curious-minds" in text and "invalid_grant" in text
    assert token["refresh_token"] not in text and token["access_token"] not in text
    assert tt.client_secret not in text


def test_a_crash_mid_upload_resumes_at_tiktoks_uploaded_bytes_and_posts_once(tmp_path, tt):
    rig = Rig(tmp_path, tt)
    video = sparse(tmp_path / "v.mp4", 23 * MB)  # 2 chunks of 10 MB + 3 MB trailing on the last

    class Killed(BaseException):
        pass

    def save_then_die(st: dict) -> None:
        if st.get("next_chunk") == 1:  # TikTok has chunk 1; the process dies before recording it
            raise Killed()
        rig.save(st)

    state = new_state("curious-minds--t", "curious-minds", "sha", video.stat().st_size)
    with pytest.raises(Killed):
        rig.session().publish(state, video=video, title="t", duration_s=30, save=save_then_die)
    state = rig.saved[-1]  # what the crashed process had persisted
    assert state["status"] == "uploading" and state["next_chunk"] == 0
    done = rig.publish(video, state)
    assert done["status"] == "done" and done["resumes"] == 1 and len(tt.posts) == 1
    ranges = [r.headers["content-range"] for r in tt.requests if r.method == "PUT"]
    assert ranges == [f"bytes 0-{10 * MB - 1}/{23 * MB}", f"bytes {10 * MB}-{23 * MB - 1}/{23 * MB}"]
    assert len(tt.seen("/v2/post/publish/video/init/")) == 1


def test_init_rate_limit_is_held_across_sessions_sharing_state(tmp_path, tt):
    tt.init_limit, tt.window_s = 2, 2.0  # the stand-in answers 429 rate_limit_exceeded beyond 2 inits in 2 s
    rig = Rig(tmp_path, tt)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"r" * 2000)
    for _ in range(3):  # the 3rd init in the window waits for a free slot instead of hitting the 429
        rig.publish(video, init_per_window=2, window_s=2.3)  # the margin: a request arrives after its slot
    assert len(tt.seen("/v2/post/publish/video/init/")) == 3 and len(tt.posts) == 3
    assert tt.rate_limited == 0
    assert rig.slept and all(0 < s <= 2.3 for s in rig.slept)


def test_tiktok_auth_writes_a_0600_token_that_publishes(tmp_path, tt, monkeypatch):
    from urllib.parse import parse_qs, urlsplit

    import httpx

    from pipeline_defs.tiktok_auth import authorize

    channel = channel_with(tmp_path)
    env = {"TIKTOK_CLIENT_KEY": tt.client_key, "TIKTOK_CLIENT_SECRET": tt.client_secret}
    monkeypatch.setenv("TIKTOK_CLIENT_KEY", tt.client_key)
    monkeypatch.setenv("TIKTOK_CLIENT_SECRET", tt.client_secret)
    seen = {}

    def consent(url: str) -> None:  # the user signs in and consents: TikTok redirects to our loopback server
        q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        seen.update(q)
        httpx.get(q["redirect_uri"], params={"code": "standin-code", "state": q["state"], "scopes": q["scope"]})

    path = authorize(channel, open_url=consent, base_url=tt.url, environ=env, timeout_s=10)
    assert path == tmp_path / "secrets" / "tt.json" and oct(path.stat().st_mode & 0o777) == "0o600"
    assert seen["scope"] == "user.info.basic,video.publish,video.list" and seen["code_challenge_method"] == "S256"
    (exchange,) = tt.seen("/v2/oauth/token/")
    form = {k: v[0] for k, v in parse_qs(exchange.body.decode()).items()}
    assert form["grant_type"] == "authorization_code" and form["redirect_uri"] == seen["redirect_uri"]
    assert hashlib.sha256(form["code_verifier"].encode()).hexdigest() == seen["code_challenge"]
    token = json.loads(path.read_text())
    assert token["access_token"] in tt.access_tokens and token["open_id"] == tt.open_id
    video = tmp_path / "v.mp4"
    video.write_bytes(b"a" * 1000)
    rig = Rig.__new__(Rig)
    rig.tt, rig.channel, rig.kv, rig.saved, rig.slept, rig.token_path = tt, channel, MemoryKV(), [], [], path
    assert rig.publish(video)["status"] == "done"
