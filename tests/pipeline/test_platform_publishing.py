"""YouTube, TikTok and Instagram from one channel through Dagster, against the three loopback stand-ins.

The partition's media is pre-populated (script, a validated 1 s MP4, its watermark-free TikTok variant
and a thumbnail), so only the publishing assets run; every upload goes through the real clients
(googleapiclient for YouTube, httpx for TikTok and Instagram) to tests/standins/.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipeline_defs.assets.platform_posts import instagram_reels, tiktok_posts
from pipeline_defs.assets.published_uploads import published_uploads
from pipeline_defs.platform_records import PlatformRecords
from pipeline_defs.resources.channels import ChannelsResource
from pipeline_defs.resources.platforms import PlatformPublisher
from pipeline_defs.resources.storage import MediaStorage
from pipeline_defs.sensors.platform_posts import finish_pending
from shortsmith.ffmpeg import ffmpeg_path
from tests.conftest import ROOT
from tests.pipeline.test_youtube_publishing import TOPICS, Env, clip, everything_logged, yt  # noqa: F401 - fixtures
from tests.standins.instagram import InstagramStandIn
from tests.standins.tiktok import TikTokStandIn

ASSETS = [published_uploads, tiktok_posts, instagram_reels]


@pytest.fixture(scope="module")
def variant(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("variant") / "video.mp4"
    subprocess.run([ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=108x192:rate=30", "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000",
                    "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
                   check=True, timeout=60)
    return path


@pytest.fixture
def tt():
    with TikTokStandIn() as api:
        yield api


@pytest.fixture
def ig():
    with InstagramStandIn() as api:
        yield api


class Platforms(Env):
    def __init__(self, tmp, youtube, media, instance, tt, ig, variant, monkeypatch):
        self.tt, self.ig, self.variant = tt, ig, variant
        token = tmp / "secrets" / "tiktok.json"
        token.parent.mkdir(exist_ok=True)
        token.write_text(json.dumps(tt.token_json()))
        token.chmod(0o600)
        monkeypatch.setenv("TIKTOK_CLIENT_KEY", tt.client_key)
        monkeypatch.setenv("TIKTOK_CLIENT_SECRET", tt.client_secret)
        monkeypatch.setenv("IG_TOKEN_CURIOUS_MINDS", next(iter(ig.tokens)))
        super().__init__(tmp, youtube, media, instance, platforms=["youtube", "tiktok", "instagram"],
                         tiktok={"credentials": "secrets/tiktok.json"},
                         instagram={"user_id": ig.user_id, "token_env": "IG_TOKEN_CURIOUS_MINDS"})

    def populate(self, topic: str) -> str:
        key = super().populate(topic)
        with self.store.write_stage(key, "video-tiktok", "fp", {"checks_passed": True, "checks": [],
                                                                "comparison": {"passed": True}}) as w:
            w.path("video.mp4").write_bytes(self.variant.read_bytes())
        return key

    def platforms(self, **overrides) -> PlatformPublisher:
        return PlatformPublisher(**{**dict(root=str(self.tmp / "channel"), tiktok_base_url=self.tt.url,
                                           instagram_graph_url=self.ig.url, instagram_rupload_url=self.ig.url,
                                           timeout_s=5.0, max_attempts=3, base_delay_s=0.01, max_delay_s=0.05,
                                           poll_interval_s=0.0), **overrides})

    def resources(self) -> dict:
        return {"channels": ChannelsResource(path=str(self.channels_file)),
                "storage": MediaStorage(root=str(self.tmp / "media")),
                "publisher": self.publisher(), "platforms": self.platforms()}

    def run(self, key: str, assets=ASSETS):
        return dg.materialize(assets, partition_key=key, instance=self.instance, raise_on_error=False,
                              resources=self.resources())


@pytest.fixture
def env(tmp_path, yt, clip, tt, ig, variant, monkeypatch):  # noqa: F811
    with dg.instance_for_test() as instance:
        yield Platforms(tmp_path, yt, clip, instance, tt, ig, variant, monkeypatch)


def meta_of(result, asset: str) -> dict:
    mats = result.asset_materializations_for_node(asset)
    assert mats, f"{asset} was not materialized"
    return {k: v.value for k, v in mats[-1].metadata.items()}


def failures(result) -> dict[str, str]:
    return {e.step_key: e.event_specific_data.error.message for e in result.all_events
            if e.event_type_value == "STEP_FAILURE"}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_one_channel_publishes_one_video_to_all_three_platforms_exactly_once(env):
    key = env.populate(TOPICS[0])
    result = env.run(key)
    assert result.success, failures(result)
    main = env.store.file(key, "video", "video.mp4")
    yt_meta, tt_meta, ig_meta = (meta_of(result, a) for a in ("published_uploads", "tiktok_posts", "instagram_reels"))
    (uploaded,) = env.yt.uploads()
    assert yt_meta["status"] == "published" and uploaded["_sha256"] == sha(main)
    (post,) = env.tt.posts
    assert tt_meta["status"] == "published" and tt_meta["post_id"] == post["post_id"]
    assert post["sha256"] == sha(env.variant) != sha(main)  # TikTok got the watermark-free variant
    assert post["post_info"]["is_aigc"] is True and tt_meta["ai_generated"] is True
    assert tt_meta["privacy"] == "SELF_ONLY" and tt_meta["url"].endswith(f"/video/{post['post_id']}")
    assert post["post_info"]["title"].startswith("Why cats purr")
    (reel,) = env.ig.media
    assert ig_meta["status"] == "published" and ig_meta["post_id"] == reel["id"] and reel["sha256"] == sha(main)
    assert ig_meta["url"].startswith("https://www.instagram.com/reel/")
    assert PlatformRecords(env.instance, "tiktok").posts("curious-minds") == {key: post["post_id"]}
    assert PlatformRecords(env.instance, "instagram").posts("curious-minds") == {key: reel["id"]}
    logged = everything_logged(result, env.instance)
    token = json.loads((env.tmp / "secrets" / "tiktok.json").read_text())
    for secret in (token["access_token"], token["refresh_token"], env.tt.client_secret, *env.ig.tokens,
                   *env.yt.refresh_tokens, env.yt.client_secret):
        assert secret not in logged

    before = len(env.tt.requests), len(env.ig.requests)
    again = env.run(key)
    assert again.success
    assert {meta_of(again, a)["status"] for a in ("published_uploads", "tiktok_posts", "instagram_reels")} == {
        "already_published"}
    assert (len(env.tt.requests), len(env.ig.requests)) == before
    assert len(env.yt.uploads()) == 1 and len(env.tt.posts) == 1 and len(env.ig.media) == 1


def test_a_tiktok_failure_stays_on_tiktok(env):
    key = env.populate(TOPICS[0])
    env.tt.revoke()
    result = env.run(key)
    assert not result.success
    failed = failures(result)
    assert set(failed) == {"tiktok_posts"}
    assert "shortsmith tiktok-auth --channel curious-minds" in failed["tiktok_posts"]
    assert meta_of(result, "published_uploads")["status"] == "published"
    assert meta_of(result, "instagram_reels")["status"] == "published"
    assert len(env.yt.uploads()) == 1 and len(env.ig.media) == 1 and not env.tt.posts


def test_long_moderation_ends_the_step_and_the_sensor_finishes_the_post(env):
    key = env.populate(TOPICS[0])
    env.tt.moderation_polls = 4
    result = env.run(key, [tiktok_posts])
    assert result.success
    m = meta_of(result, "tiktok_posts")
    assert m["status"] == "pending" and m["platform_status"] == "PROCESSING_DOWNLOAD" and m["publish_id"]
    assert not env.tt.posts
    resources = env.resources()
    events, runs = finish_pending(env.instance, resources["channels"], resources["platforms"])
    assert not events and not runs  # one poll per tick: still in moderation
    events, runs = finish_pending(env.instance, resources["channels"], resources["platforms"])
    (event,) = events
    assert event.partition == key and event.metadata["status"].value == "published" and not runs
    assert len(env.tt.posts) == 1 and len(env.tt.seen("/v2/post/publish/video/init/")) == 1
    assert meta_of(env.run(key, [tiktok_posts]), "tiktok_posts")["status"] == "already_published"


def test_the_24_hour_publishing_limit_defers_the_reel(env):
    key = env.populate(TOPICS[0])
    env.ig.quota_total, env.ig.published_elsewhere = 50, 50
    result = env.run(key, [instagram_reels])
    assert result.success
    m = meta_of(result, "instagram_reels")
    assert m["status"] == "deferred" and "50 of its 50" in m["reason"] and m["deferred_until"]
    assert not env.ig.media and not env.ig.seen(f"/v21.0/{env.ig.user_id}/media_publish")
    resources = env.resources()
    assert finish_pending(env.instance, resources["channels"], resources["platforms"]) == ([], [])  # not due yet


CHILD = """
import sys, dagster as dg
from pipeline_defs.assets.platform_posts import instagram_reels, tiktok_posts
from tests.pipeline.test_platform_publishing import child_resources
assets = {"instagram": [instagram_reels], "tiktok": [tiktok_posts]}[sys.argv[1]]
with dg.DagsterInstance.get() as instance:
    dg.materialize(assets, partition_key=sys.argv[2], instance=instance, resources=child_resources(sys.argv[3]))
"""


def child_resources(spec: str) -> dict:
    s = json.loads(spec)
    return {"channels": ChannelsResource(path=s["channels"]), "storage": MediaStorage(root=s["media"]),
            "platforms": PlatformPublisher(**s["platforms"])}


@pytest.mark.slow  # two publishing processes start (Dagster imports), are killed, and the partitions re-run
def test_processes_killed_between_upload_and_publish_post_exactly_once_after_the_rerun(
        tmp_path, yt, clip, tt, ig, variant, monkeypatch):  # noqa: F811
    """Two publishing processes (Instagram and TikTok, one partition each) are killed -9 at the worst moment:
    Instagram's media_publish has landed, TikTok has every byte; the re-run resumes each into one post."""
    home = tmp_path / "dagster"
    home.mkdir()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        env = Platforms(tmp_path, yt, clip, instance, tt, ig, variant, monkeypatch)
        keys = {"instagram": env.populate(TOPICS[0]), "tiktok": env.populate(TOPICS[1])}
        platforms = env.platforms()
        spec = json.dumps({"channels": str(env.channels_file), "media": str(tmp_path / "media"),
                           "platforms": {k: getattr(platforms, k) for k in ("root", "tiktok_base_url",
                                         "instagram_graph_url", "instagram_rupload_url", "timeout_s",
                                         "max_attempts", "base_delay_s", "max_delay_s", "poll_interval_s")}})
        child: dict[str, subprocess.Popen] = {}

        def kill(platform: str) -> None:  # the platform has it; the publishing process dies before the answer
            child[platform].send_signal(signal.SIGKILL)
            child[platform].wait(timeout=30)

        ig.on_publish = lambda container: kill("instagram")  # media_publish landed: the worst moment to die
        tt.on_chunk = lambda pub, index: kill("tiktok") if index == pub["count"] - 1 else None  # uploaded, not posted
        for platform, key in keys.items():
            child[platform] = subprocess.Popen([sys.executable, "-c", CHILD, platform, key, spec], cwd=ROOT,
                                               env={**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)},
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert [p.wait(timeout=120) for p in child.values()] == [-signal.SIGKILL, -signal.SIGKILL]
        ig.on_publish = tt.on_chunk = None
        assert PlatformRecords(instance, "instagram").get(keys["instagram"])["status"] == "publishing"
        assert PlatformRecords(instance, "tiktok").get(keys["tiktok"])["status"] == "uploading"
        assert len(ig.media) == 1 and not tt.posts  # Instagram's post exists, its record does not say so yet

        reel = env.run(keys["instagram"], [instagram_reels])
        post = env.run(keys["tiktok"], [tiktok_posts])
        assert reel.success and post.success, (failures(reel), failures(post))
        m_ig, m_tt = meta_of(reel, "instagram_reels"), meta_of(post, "tiktok_posts")
        assert m_ig["status"] == "published" and m_ig["resumed"] == 1 and m_ig["post_id"] == ig.media[0]["id"]
        assert len(ig.media) == 1 and len(ig.seen(f"/v21.0/{ig.user_id}/media_publish")) == 1
        assert m_tt["status"] == "published" and m_tt["resumed"] == 1 and m_tt["post_id"] == tt.posts[0]["post_id"]
        assert len(tt.posts) == 1 and len(tt.seen("/v2/post/publish/video/init/")) == 1


def test_statistics_per_platform_and_one_table_per_channel(env):
    from pipeline_defs.assets.platform_statistics import platform_statistics
    from shortsmith.quota import local_day, utcnow

    key = env.populate(TOPICS[0])
    assert env.run(key).success
    post, reel = env.tt.posts[0], env.ig.media[0]
    env.tt.video_stats[post["post_id"]] = {"view_count": 900, "like_count": 40, "comment_count": 5, "share_count": 7}
    reel["stats"].update(views=300, likes=20, comments=2, shares=1)
    env.ig.fault("500", path=f"/v21.0/{reel['id']}/insights", times=10)  # Instagram down: TikTok still counted
    result = dg.materialize([platform_statistics], instance=env.instance,
                            resources={"channels": ChannelsResource(path=str(env.channels_file)),
                                       "platforms": env.platforms()})
    m = meta_of(result, "platform_statistics")
    assert m["posts"] == 1 and "curious-minds on instagram" in m["notes"]
    day = local_day(utcnow(), env.channel.timezone)
    assert PlatformRecords(env.instance, "tiktok").stats("curious-minds", day)[post["post_id"]]["views"] == 900
    assert "| 1 / 900 / 40 / 5 / 7 |" in m["summary"]
    env.ig.clear_faults()
    m = meta_of(dg.materialize([platform_statistics], instance=env.instance,
                               resources={"channels": ChannelsResource(path=str(env.channels_file)),
                                          "platforms": env.platforms()}), "platform_statistics")
    assert m["posts"] == 2 and "| 1 / 300 / 20 / 2 / 1 | 1200 |" in m["summary"]
    assert env.tt.seen("/v2/video/query/")[-1].query["fields"] == ["id,view_count,like_count,comment_count,share_count"]


def test_the_sensor_resumes_only_posts_no_run_is_carrying(env):
    from shortsmith.instagram import new_state as reel_state
    from shortsmith.tiktok import new_state as post_state

    tiktok, instagram = PlatformRecords(env.instance, "tiktok"), PlatformRecords(env.instance, "instagram")
    busy = {**post_state("curious-minds--busy", "curious-minds", "x", 1), "status": "uploading", "publish_id": "p1"}
    tiktok.save(busy)  # a run is uploading it right now
    dead = {**post_state("curious-minds--dead", "curious-minds", "x", 1), "status": "uploading", "publish_id": "p2"}
    tiktok.save(dead)
    tiktok.kv.update(tiktok.key(dead["partition"]), lambda v: {**v, "updated_at": time.time() - 7200})  # run died
    handed = {**reel_state("curious-minds--reel", "curious-minds", "x", 1), "status": "processing",
              "container_id": "c1", "handed_over": True}
    instagram.save(handed)
    resources = env.resources()
    events, runs = finish_pending(env.instance, resources["channels"], resources["platforms"])
    assert not events
    assert sorted((r.partition_key, r.asset_selection[0].path[-1]) for r in runs) == [
        ("curious-minds--dead", "tiktok_posts"), ("curious-minds--reel", "instagram_reels")]
    assert not env.tt.requests and not env.ig.requests  # deciding needs no API call


def test_a_released_video_starts_one_platform_run_per_partition(env):
    from pipeline_defs.assets import PLATFORM_ASSETS
    from pipeline_defs.jobs import publish_platforms_job
    from pipeline_defs.resources.renderer import RendererSettings
    from pipeline_defs.sensors.platform_posts import platform_posts_sensor

    keys = [env.populate(TOPICS[0]), env.populate(TOPICS[1])]
    held = env.run(keys[1], [published_uploads])  # YouTube published: released to TikTok and Instagram
    assert meta_of(held, "published_uploads")["status"] == "published"
    resources = {**env.resources(), "renderer": RendererSettings()}
    defs = dg.Definitions(assets=[*PLATFORM_ASSETS, published_uploads], jobs=[publish_platforms_job],
                          sensors=[platform_posts_sensor], resources=resources)
    ref = env.instance.get_ref()
    with dg.build_sensor_context(instance=env.instance, instance_ref=ref, resources=resources, definitions=defs) as ctx:
        first = platform_posts_sensor.evaluate_tick(ctx)
    (run,) = first.run_requests
    assert run.partition_key == keys[1] and run.job_name in (None, "publish_platforms")
    assert sorted(k.path[-1] for k in run.asset_selection) == ["instagram_reels", "tiktok_posts", "tiktok_videos"]
    with dg.build_sensor_context(instance=env.instance, instance_ref=ref, resources=resources, cursor=first.cursor,
                                 definitions=defs) as ctx:
        again = platform_posts_sensor.evaluate_tick(ctx)
    assert not again.run_requests  # the cursor moved on: each release starts one run
    assert not env.tt.requests and not env.ig.requests
