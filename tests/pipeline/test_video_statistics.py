"""video_statistics through Dagster against the loopback YouTube emulator, and its hourly schedule."""

from __future__ import annotations

import dagster as dg
import pytest

from pipeline_defs.assets import ALL_ASSETS
from pipeline_defs.assets.video_statistics import video_statistics
from pipeline_defs.resources.channels import ChannelsResource
from pipeline_defs.resources.storage import MediaStorage
from pipeline_defs.schedules import build_schedules
from pipeline_defs.youtube_quota_ledger import UploadRecords, YouTubeQuotaLedger
from shortsmith.config import load_channels
from shortsmith.quota import local_day, utcnow
from shortsmith.youtube_quota import pacific_day
from tests.pipeline.test_youtube_publishing import TOPICS, Env, clip, meta, yt  # noqa: F401 - fixtures

N = 119  # + the one published through published_uploads = 120 videos: 3 calls of 50, 50, 20


@pytest.fixture
def env(tmp_path, yt, clip):  # noqa: F811
    with dg.instance_for_test() as instance:
        yield Env(tmp_path, yt, clip, instance)


def refresh(env, **publisher):
    return dg.materialize([video_statistics], instance=env.instance, raise_on_error=False,
                          resources={"channels": ChannelsResource(path=str(env.channels_file)),
                                     "storage": MediaStorage(root=str(env.tmp / "media")),
                                     "publisher": env.publisher(**publisher)})


def stats_meta(result) -> dict:
    mats = result.asset_materializations_for_node("video_statistics")
    assert mats, "video_statistics was not materialized"
    return {k: v.value for k, v in mats[-1].metadata.items()}


def seed(env) -> dict[str, str]:
    published = env.publish(env.populate(TOPICS[0]))
    assert published.success
    seeded = {}
    for i in range(N):
        vid = f"seed{i:07d}"
        env.yt.add_video(vid, views=1000 + i, likes=i, comments=i % 7)
        seeded[f"curious-minds--old-topic-{i}"] = vid
    UploadRecords(env.instance).add_videos(env.channel.name, seeded)
    return {**UploadRecords(env.instance).videos(env.channel.name)}


def test_statistics_for_every_published_video_50_ids_per_call_stored_per_day(env):
    videos = seed(env)
    assert len(videos) == 120
    env.yt.videos[meta_id := videos["curious-minds--why-cats-purr"]]["statistics"] = {
        "viewCount": "5000", "likeCount": "40", "commentCount": "3"}
    before = len(env.yt.seen("/youtube/v3/videos"))
    result = refresh(env)
    assert result.success
    calls = env.yt.seen("/youtube/v3/videos")[before:]
    assert [len(r.query["id"][0].split(",")) for r in calls] == [50, 50, 20]
    assert all(r.query["part"] == ["statistics"] for r in calls)
    day = local_day(utcnow(), env.channel.timezone)
    stored = UploadRecords(env.instance).stats(env.channel.name, day)
    assert len(stored) == 120
    assert stored[meta_id]["views"] == 5000 and stored[meta_id]["partition"] == "curious-minds--why-cats-purr"
    assert stored["seed0000003"] == {**stored["seed0000003"], "views": 1003, "likes": 3, "comments": 3}
    m = stats_meta(result)
    assert m["videos"] == 120 and m["api_calls"] == 3 and m["channels"] == 1
    total_views = 5000 + sum(1000 + i for i in range(N))
    summary = m["summary"]
    assert summary.startswith("| channel | day | videos | views | likes | comments |")
    assert f"| curious-minds | {day} | 120 | {total_views} |" in summary
    assert "why-cats-purr" in summary  # the top video
    usage = YouTubeQuotaLedger(env.instance).load("shortsmith-test", pacific_day(utcnow()))
    assert usage["calls"]["videos.list"] == 1 + 3 and usage["used"]["units"] == 101 + 3

    # an hour later: the same day's numbers are replaced, still one entry per video
    env.yt.videos[meta_id]["statistics"]["viewCount"] = "7000"
    assert refresh(env).success
    stored = UploadRecords(env.instance).stats(env.channel.name, day)
    assert len(stored) == 120 and stored[meta_id]["views"] == 7000


def test_not_enough_quota_skips_the_refresh_without_failing_or_calling(env):
    seed(env)
    before = len(env.yt.requests)
    result = refresh(env, units_per_day=103)  # 101 spent by the upload; 3 calls would need 104
    assert result.success
    m = stats_meta(result)
    assert m["videos"] == 0 and "skipped" in m["notes"] and "deferred until" in m["notes"]
    assert not [r for r in env.yt.requests[before:] if r.path == "/youtube/v3/videos"]


def test_no_youtube_videos_means_no_calls(env):
    result = refresh(env)
    assert result.success and stats_meta(result)["summary"] == "no published YouTube videos yet"
    assert not env.yt.requests


def test_hourly_schedule_targets_video_statistics(workdir):
    import os

    from pipeline_defs.definitions import location_resources

    config = load_channels(os.environ["SHORTSMITH_CHANNELS"])
    schedules = {s.name: s for s in build_schedules(config)}
    stats = schedules["refresh_video_statistics"]
    assert stats.cron_schedule == "17 * * * *"
    assert {"discover_trends_curious_minds", "daily_production_curious_minds"} <= set(schedules)
    defs = dg.Definitions(assets=ALL_ASSETS, schedules=list(schedules.values()), resources=location_resources())
    job = defs.resolve_job_def("refresh_video_statistics")
    assert job.asset_layer.executable_asset_keys == {dg.AssetKey("video_statistics"),
                                                     dg.AssetKey("platform_statistics")}  # TikTok, Instagram
    with dg.instance_for_test() as instance:
        with dg.build_schedule_context(instance=instance, resources=defs.resources) as ctx:
            data = stats.evaluate_tick(ctx)
        # nothing was ever published to YouTube: a skip with its reason, no run
        assert not data.run_requests and "no video was ever published to YouTube" in data.skip_message
        from pipeline_defs.youtube_quota_ledger import UploadRecords

        UploadRecords(instance).add_videos("curious-minds", {"curious-minds--why-cats-purr": "vid123"})
        with dg.build_schedule_context(instance=instance, resources=defs.resources) as ctx:
            data = stats.evaluate_tick(ctx)
    assert len(data.run_requests) == 1
