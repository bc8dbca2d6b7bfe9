"""Schedules, one pair per channel in channels.yaml (adding a channel adds its schedules):

- ``discover_trends_<channel>``: daily trend discovery for that channel, an hour before its
  production time, in the channel's timezone;
- ``daily_production_<channel>``: at the start of the channel's publish window (its timezone),
  requests the day's videos: deferred videos first, then the best unused topics, never more
  than ``videos_per_day - published today - pending today``.

and one for all channels:

- ``refresh_video_statistics``: hourly, materializes ``video_statistics`` (views, likes and comments
  of every video published to YouTube; channels without YouTube videos cost nothing).
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from shortsmith.config import Channel, ChannelsConfig, load_channels
from shortsmith.quota import utcnow
from shortsmith.storage import MediaStore
from shortsmith.topics import partition_key, score_topics

from . import settings
from .jobs import discover_trends_job, make_video_job
from .partitions import videos_partitions
from .requests import CHANNEL_TAG, Planner, run_request
from .resources.channels import ChannelsResource
from .resources.storage import MediaStorage


def _status() -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if settings.automation_on() else dg.DefaultScheduleStatus.STOPPED


def schedule_suffix(channel: str) -> str:
    return channel.replace("-", "_")


def production_cron(channel: Channel) -> str:
    hh, mm = channel.publish_window[0].split(":")
    return f"{int(mm)} {int(hh)} * * *"


def trends_cron(channel: Channel) -> str:
    hh, mm = channel.publish_window[0].split(":")
    return f"{int(mm)} {(int(hh) - 1) % 24} * * *"


def plan_production(instance: dg.DagsterInstance, store: MediaStore, channel: Channel,
                    now: datetime, log=None) -> list[dg.RunRequest] | dg.SkipReason:
    """The day's run requests for one channel (adds the new partitions itself)."""
    planner = Planner(instance, store, now)
    day = planner.day(channel)
    usage = planner.ledger.usage(channel, planner.now)
    left = usage.remaining
    if left <= 0:
        return dg.SkipReason(f"{usage.describe()}: nothing to request")
    requests: list[dg.RunRequest] = []
    for key in planner.deferred_due(channel):  # deferred videos keep their place in the queue
        if left <= 0:
            break
        topic = (store.read_record("requests", key) or {}).get("topic", key)
        planner.ledger.record_requested(channel.name, day, "schedule", key, topic)
        requests.append(run_request(key, "schedule", run_key=f"deferred:{key}:{day.isoformat()}"))
        left -= 1
    used = planner.ledger.used_topics(channel, day)
    trends = store.read_record("trends", channel.name) or {}
    candidates = [t["topic"] for t in trends.get("topics", [])]
    candidates += [t.topic for t in score_topics(channel, day=day, used_slugs=set(used))]
    new_keys: list[str] = []
    for topic in candidates:
        if left <= 0:
            break
        key = partition_key(channel.name, topic)
        if key in new_keys:
            continue
        reason = planner.why_not(channel, key, used, topic=topic) or planner.ungrounded(channel, topic)
        if reason:
            if log:
                log.debug(f"not requesting {key}: {reason}")
            continue
        key = planner.request(channel, topic, "schedule")
        if key is None:  # another requester took the day's last place meanwhile
            break
        new_keys.append(key)
        requests.append(run_request(key, "schedule", run_key=f"schedule:{key}"))
        left -= 1
    if new_keys:
        instance.add_dynamic_partitions(videos_partitions.name, new_keys)
    if not requests:
        return dg.SkipReason(f"{usage.describe()}, but no unused topic is left "
                             f"(all used within {channel.topic_cooldown_days} days or already made)")
    if log:
        log.info(f"{usage.describe()}: requesting {len(requests)}: {', '.join(r.partition_key for r in requests)}")
    return requests


def production_schedule(channel: Channel) -> dg.ScheduleDefinition:
    name = channel.name

    @dg.schedule(
        name=f"daily_production_{schedule_suffix(name)}",
        cron_schedule=production_cron(channel),
        execution_timezone=channel.timezone,
        job=make_video_job,
        default_status=_status(),
        tags={CHANNEL_TAG: name},
        description=f"{name}'s videos for the day (videos_per_day={channel.videos_per_day}): deferred ones first, "
                    "then the best unused topics, within the daily cap.",
    )
    def _production(context: dg.ScheduleEvaluationContext, channels: ChannelsResource, storage: MediaStorage):
        now = context.scheduled_execution_time or utcnow()
        return plan_production(context.instance, storage.store(), channels.get(name), now, log=context.log)

    return _production


def trends_schedule(channel: Channel) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=f"discover_trends_{schedule_suffix(channel.name)}",
        cron_schedule=trends_cron(channel),
        execution_timezone=channel.timezone,
        job=discover_trends_job,
        run_config={"ops": {"trending_topics": {"config": {"channels": [channel.name]}}}},
        tags={CHANNEL_TAG: channel.name},
        default_status=_status(),
        description=f"Daily trend discovery for {channel.name}, an hour before its production ({channel.timezone}).",
    )


STATISTICS_CRON = "17 * * * *"  # hourly, off the top of the hour

refresh_statistics_job = dg.define_asset_job(
    "refresh_video_statistics", selection=dg.AssetSelection.assets("video_statistics", "platform_statistics"),
    description="Refresh views, likes and comments of every published YouTube video.",
)


def statistics_schedule() -> dg.ScheduleDefinition:
    @dg.schedule(
        name="refresh_video_statistics",
        cron_schedule=STATISTICS_CRON,
        job=refresh_statistics_job,
        default_status=_status(),
        description="Hourly: video_statistics for every video published to YouTube (50 ids per API call); "
                    "skipped without a run while nothing was ever published to YouTube.",
    )
    def _refresh(context: dg.ScheduleEvaluationContext, channels: ChannelsResource):
        from .youtube_quota_ledger import UploadRecords

        from .platform_records import PlatformRecords

        records = UploadRecords(context.instance)
        others = [PlatformRecords(context.instance, p) for p in ("tiktok", "instagram")]
        if not any(records.videos(name) or any(o.posts(name) for o in others) for name in channels.config.names):
            return dg.SkipReason("no video was ever published to YouTube (nor TikTok or Instagram): "
                                 "no statistics to refresh")
        return dg.RunRequest()

    return _refresh


def build_schedules(config: ChannelsConfig | None = None) -> list[dg.ScheduleDefinition]:
    config = config or load_channels(settings.channels_path())
    out = []
    for channel in config.channels:
        out += [trends_schedule(channel), production_schedule(channel)]
    out.append(statistics_schedule())
    return out
