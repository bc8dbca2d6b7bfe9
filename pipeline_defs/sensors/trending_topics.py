"""New ``trending_topics`` materializations -> new video partitions and runs, within each channel's cap.

The cursor is ``{"event_id": <storage id of the last materialization handled>}``: one number,
however long the sensor runs. Every run request has ``run_key = <partition key>``, so the daemon
never launches the same video twice for this sensor, and the ledger and the partition list stop
another sensor or schedule from requesting it again.
"""

from __future__ import annotations

import json

import dagster as dg

from shortsmith.quota import utcnow
from shortsmith.topics import partition_key

from ..jobs import make_video_job
from ..partitions import videos_partitions
from ..requests import Planner, run_request
from ..resources.channels import ChannelsResource
from ..resources.storage import MediaStorage
from .. import settings

TRENDS_ASSET = dg.AssetKey("trending_topics")
MAX_EVENTS_PER_TICK = 25


def _channels_in(record) -> list[str] | None:
    meta = record.asset_materialization.metadata if record.asset_materialization else {}
    value = meta.get("topics_per_channel")
    value = getattr(value, "value", value)
    return list(value) if isinstance(value, dict) else None


@dg.sensor(
    name="trending_topics_sensor",
    job=make_video_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING if settings.automation_on() else dg.DefaultSensorStatus.STOPPED,
    description="New trending_topics materializations become video partitions and runs: the best topics not "
                "used within the channel's cooldown, up to its videos_per_day cap.",
)
def trending_topics_sensor(context: dg.SensorEvaluationContext, channels: ChannelsResource,
                           storage: MediaStorage) -> dg.SensorResult | dg.SkipReason:
    cursor = json.loads(context.cursor) if context.cursor else {}
    last_id = int(cursor.get("event_id", 0))
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=TRENDS_ASSET, after_storage_id=last_id or None),
        limit=MAX_EVENTS_PER_TICK, ascending=True).records
    if not records:
        return dg.SkipReason(f"no new trending_topics materialization after event {last_id}")
    names: list[str] = []
    for record in records:
        for name in _channels_in(record) or channels.config.names:
            if name not in names:
                names.append(name)
    new_cursor = json.dumps({"event_id": records[-1].storage_id})

    store = storage.store()
    planner = Planner(context.instance, store, utcnow())
    run_requests, keys, notes = [], [], []
    for name in names:
        try:
            channel = channels.get(name)
        except Exception as exc:  # a channel removed from the config since the trends ran
            notes.append(f"{name}: skipped ({exc})")
            continue
        room, usage_note = planner.room_for_new(channel)
        if room == 0:
            notes.append(f"{usage_note}: nothing requested")
            continue
        trends = store.read_record("trends", channel.name) or {}
        used = planner.ledger.used_topics(channel, planner.day(channel))
        picked, ungrounded = 0, []
        for t in trends.get("topics", []):
            if picked >= room:
                break
            key = partition_key(channel.name, t["topic"])
            reason = planner.why_not(channel, key, used, topic=t["topic"])
            if reason:
                context.log.debug(f"not requesting {key}: {reason}")
                continue
            reason = planner.ungrounded(channel, t["topic"])
            if reason:  # never a filler video: a topic needs facts (points, a source) or a model
                context.log.info(f"skipping {key}: {reason}")
                ungrounded.append(key)
                continue
            key = planner.request(channel, t["topic"], "trend")
            if key is None:  # another requester took the day's last place meanwhile
                break
            keys.append(key)
            run_requests.append(run_request(key, "trend", run_key=key))
            picked += 1
        notes.append(f"{usage_note}: requested {picked}"
                     + (f"; skipped {len(ungrounded)} topic(s) with no facts and no script model" if ungrounded else ""))
    for note in notes:
        context.log.info(note)
    if not run_requests:
        return dg.SensorResult(skip_reason="; ".join(notes) or "nothing to request", cursor=new_cursor)
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[videos_partitions.build_add_request(keys)],
        cursor=new_cursor,
    )
