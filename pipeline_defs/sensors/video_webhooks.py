"""Signed webhooks out: video.completed (a video was assembled), video.published (it was published)
and video.failed (its run failed) go to every callback URL registered through the studio's
``POST /v1/subscriptions`` (see ``shortsmith.webhooks_out``).

Each event's id is derived from what caused it (the materialization's storage id, the failed run's id),
and deliveries are recorded per subscriber in the state table, so a sensor tick that runs again never
sends an event twice; a delivery that still fails after its retries is tried again on later ticks.
"""

from __future__ import annotations

import json

import dagster as dg

from shortsmith import webhooks_out
from shortsmith.topics import split_partition_key

from .. import settings
from ..state import StateStore

ASSET_EVENTS = {"assembled_videos": "video.completed", "published_uploads": "video.published"}


def _channel(partition: str | None) -> str | None:
    return split_partition_key(partition)[0] if partition and "--" in partition else None


def _has_subscribers(store: StateStore) -> bool:
    return bool(store.keys(webhooks_out.SUB_PREFIX))


def emit_materializations(instance: dg.DagsterInstance, cursor: str | None, limit: int = 50) -> tuple[str, int]:
    """Send an event for each new materialization of the assets in ASSET_EVENTS; returns the new cursor."""
    store = StateStore(instance)
    state = json.loads(cursor) if cursor else {}
    sent = 0
    for asset, event_type in ASSET_EVENTS.items():
        after = state.get(asset)
        if after is None:  # first tick: start from now, never replay the history
            latest = instance.fetch_materializations(dg.AssetKey(asset), limit=1)
            state[asset] = latest.records[0].storage_id if latest.records else 0
            continue
        result = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset),
                                                                       after_storage_id=after), limit=limit,
                                                 ascending=True)
        for record in result.records:
            state[asset] = max(state[asset], record.storage_id)
            if not _has_subscribers(store):
                continue
            mat = record.asset_materialization
            partition = mat.partition if mat else None
            meta = {k: v.value for k, v in (mat.metadata or {}).items()} if mat else {}
            data = {"partition": partition, "channel": _channel(partition), "run_id": record.run_id}
            for key in ("duration_seconds", "video_id", "url", "title"):
                if isinstance(meta.get(key), (str, int, float)):
                    data[key] = meta[key]
            webhooks_out.emit(store, event_type, data, event_id=f"evt_{asset}_{record.storage_id}")
            sent += 1
    return json.dumps(state, sort_keys=True), sent


@dg.sensor(
    name="video_webhooks",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING if settings.automation_on() else dg.DefaultSensorStatus.STOPPED,
    description="Sends signed video.completed / video.published events to the callback URLs registered "
                "with POST /v1/subscriptions (retried with backoff).",
)
def video_webhooks_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    cursor, sent = emit_materializations(context.instance, context.cursor)
    context.update_cursor(cursor)
    retried = webhooks_out.retry_pending(StateStore(context.instance))
    return dg.SkipReason(f"sent {sent} event(s), retried {retried}" if sent or retried else "no new videos")


@dg.run_failure_sensor(
    name="video_failed_webhooks",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING if settings.automation_on() else dg.DefaultSensorStatus.STOPPED,
    description="Sends a signed video.failed event for every failed video run to the registered callback URLs.",
)
def video_failed_webhooks(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    partition = (run.tags or {}).get("dagster/partition")
    store = StateStore(context.instance)
    if not partition or not _has_subscribers(store):
        return
    message = (context.failure_event.message or "the run failed").strip()[:500]
    webhooks_out.emit(store, "video.failed", {"partition": partition, "channel": _channel(partition),
                                               "run_id": run.run_id, "error": message},
                      event_id=f"evt_failed_{run.run_id}")
