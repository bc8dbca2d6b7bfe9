"""Starts TikTok and Instagram posts once a video is released, and finishes those handed over while pending.

A video is released when ``published_uploads`` materializes it as published (validated, approved when
the channel needs review, within its daily cap and publish window): for a channel that lists
``tiktok``/``instagram`` in ``platforms:``, a ``publish_platforms`` run posts it there (a cursor over
those materializations; each partition once). Every tick also looks at the pending post records (``platform_records``): a TikTok post in moderation gets
one ``status/fetch`` (within the shared 30/min window) and, once TikTok decides, its
``tiktok_posts`` materialization is reported from here, without a run or a worker held for hours. An
upload cut by a crash, an Instagram container still processing or a Reel deferred by the 24-hour
limit whose time has come gets a run of its asset for that partition (which resumes, never re-posts).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import dagster as dg

from shortsmith.errors import ShortsmithError

from .. import settings
from ..assets.platform_posts import INSTAGRAM_REELS, TIKTOK_POSTS, post_meta
from ..assets.stage import PUBLISHED
from ..jobs import publish_platforms_job
from ..platform_records import PlatformRecords
from ..resources.channels import ChannelsResource
from ..resources.platforms import PlatformPublisher

MAX_POLLS_PER_TICK = 25  # within TikTok's 30 status/fetch per minute per token
MAX_RELEASES_PER_TICK = 100
RELEASED = ("published", "already_published")
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


def released(instance, channels: ChannelsResource, after: int) -> tuple[list[dg.RunRequest], int]:
    """Runs for the videos published_uploads released after event ``after``: (requests, the new cursor)."""
    found = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=dg.AssetKey(PUBLISHED.asset),
                                                                  after_storage_id=after or None),
                                            limit=MAX_RELEASES_PER_TICK, ascending=True).records
    runs: list[dg.RunRequest] = []
    for record in found:
        mat = record.asset_materialization
        status = mat.metadata.get("status") if mat is not None else None
        partition = record.partition_key
        if partition is None or getattr(status, "value", None) not in RELEASED:
            continue
        try:
            ch = channels.config.get(partition.split("--", 1)[0])
        except ShortsmithError:  # a channel removed from the config since
            continue
        selection = []
        if ch.platforms.uses("tiktok") and PlatformRecords(instance, "tiktok").get(partition).get("status") != "done":
            selection += [dg.AssetKey(TIKTOK_POSTS.asset)] + ([dg.AssetKey("tiktok_videos")] if ch.watermark else [])
        if ch.platforms.uses("instagram") and \
                PlatformRecords(instance, "instagram").get(partition).get("status") != "done":
            selection.append(dg.AssetKey(INSTAGRAM_REELS.asset))
        if selection:
            runs.append(dg.RunRequest(run_key=f"release:{partition}", partition_key=partition,
                                      asset_selection=selection, tags={"shortsmith/release": "platforms"}))
    return runs, (found[-1].storage_id if found else after)


@dg.sensor(
    name="platform_posts_sensor",
    job=publish_platforms_job,
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.RUNNING if settings.automation_on() else dg.DefaultSensorStatus.STOPPED,
    description="Posts each video published_uploads released to TikTok/Instagram (channels listing them), "
                "finishes TikTok posts in moderation (status/fetch, within the shared rate limit) and resumes "
                "TikTok uploads and Instagram Reels that a crash, processing or the 24-hour limit left pending.",
)
def platform_posts_sensor(context: dg.SensorEvaluationContext, channels: ChannelsResource,
                          platforms: PlatformPublisher):
    after = int(json.loads(context.cursor).get("event_id", 0)) if context.cursor else 0
    new, cursor = released(context.instance, channels, after)
    events, runs = finish_pending(context.instance, channels, platforms, log=context.log.info)
    if not events and not runs and not new:
        return dg.SensorResult(skip_reason="no video released and no TikTok or Instagram post pending",
                               cursor=json.dumps({"event_id": cursor}))
    return dg.SensorResult(run_requests=new + runs, asset_events=events, cursor=json.dumps({"event_id": cursor}))
