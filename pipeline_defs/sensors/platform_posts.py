"""Finishes TikTok and Instagram posts that were handed over while the platform moderated or processed them.

Every tick looks at the pending post records (``platform_records``): a TikTok post in moderation gets
one ``status/fetch`` (within the shared 30/min window) and, once TikTok decides, its
``tiktok_posts`` materialization is reported from here, without a run or a worker held for hours. An
upload cut by a crash, an Instagram container still processing or a Reel deferred by the 24-hour
limit whose time has come gets a run of its asset for that partition (which resumes, never re-posts).
"""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg

from shortsmith.errors import ShortsmithError

from .. import settings
from ..assets.platform_posts import INSTAGRAM_REELS, TIKTOK_POSTS, post_meta
from ..jobs import make_video_job
from ..platform_records import PlatformRecords
from ..resources.channels import ChannelsResource
from ..resources.platforms import PlatformPublisher

MAX_POLLS_PER_TICK = 25  # within TikTok's 30 status/fetch per minute per token
STALE_S = 1800  # a record a step still carries but has not touched for this long: its run died


def _due(state: dict, now: datetime) -> bool:
    """Handed over by its step (or left by a dead run), and not deferred to later."""
    if not state.get("handed_over") and now.timestamp() - float(state.get("updated_at") or 0) < STALE_S:
        return False  # a run is working on it right now
    until = state.get("deferred_until")
    return not until or datetime.fromisoformat(until) <= now


def finish_pending(instance, channels: ChannelsResource, platforms: PlatformPublisher,
                   log=lambda m: None) -> tuple[list[dg.AssetMaterialization], list[dg.RunRequest]]:
    """One pass over the pending records: (materializations of finished TikTok posts, runs to request)."""
    events: list[dg.AssetMaterialization] = []
    runs: list[dg.RunRequest] = []
    now = datetime.now(timezone.utc)
    polls = 0
    for platform, stage in (("tiktok", TIKTOK_POSTS), ("instagram", INSTAGRAM_REELS)):
        records = PlatformRecords(instance, platform)
        for state in records.pending():
            partition = state["partition"]
            if not _due(state, now):
                continue
            if platform == "tiktok" and state["status"] == "processing" and polls < MAX_POLLS_PER_TICK:
                try:
                    ch = channels.config.get(state["channel"])
                    session = platforms.tiktok(ch, instance, log=log)
                    try:
                        state = session.poll(state, records.save, polls=1)
                    finally:
                        session.api.close()
                except ShortsmithError as exc:  # rejected, refused token, ...: recorded, shown in the log
                    log(f"{platform} post of {partition}: {exc}")
                    continue
                polls += 1
                if state["status"] == "done":
                    events.append(dg.AssetMaterialization(asset_key=stage.asset, partition=partition,
                                                          metadata=post_meta(state, already=False)))
                continue
            if platform == "tiktok" and state["status"] == "processing":
                continue  # over this tick's poll budget: next tick
            marker = f"{state.get('publish_id') or state.get('container_id')}:{state.get('polls', 0)}:" \
                     f"{state.get('deferred_until', '')}"
            runs.append(dg.RunRequest(run_key=f"{platform}:{partition}:{marker}", partition_key=partition,
                                      asset_selection=[dg.AssetKey(stage.asset)],
                                      tags={"shortsmith/resume": platform}))
    return events, runs


@dg.sensor(
    name="platform_posts_sensor",
    job=make_video_job,
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.RUNNING if settings.automation_on() else dg.DefaultSensorStatus.STOPPED,
    description="Finishes TikTok posts in moderation (status/fetch, within the shared rate limit) and resumes "
                "TikTok uploads and Instagram Reels that a crash, processing or the 24-hour limit left pending.",
)
def platform_posts_sensor(context: dg.SensorEvaluationContext, channels: ChannelsResource,
                          platforms: PlatformPublisher):
    events, runs = finish_pending(context.instance, channels, platforms, log=context.log.info)
    if not events and not runs:
        return dg.SkipReason("no TikTok or Instagram post is pending")
    return dg.SensorResult(run_requests=runs, asset_events=events)
