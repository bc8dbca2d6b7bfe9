"""Clips asked for by an inbox URL line: once its reference_intake run succeeds, cut them.

The inbox records ``clips: {channel, count}`` on the reference (pipeline_defs/sensors/inbox_urls.py);
when the reference's media and transcript are made, this sensor chooses the highlights
(``clips_cli.plan_clips``: the same as ``shortsmith clip``), adds a video partition per clip and
requests a make_video run for each. A reference's clips are planned once (``clips.planned``).
"""

from __future__ import annotations

import dagster as dg

from .. import settings
from ..jobs import make_video_job, reference_job
from ..requests import run_tags
from ..resources.channels import ChannelsResource
from ..resources.storage import MediaStorage


@dg.run_status_sensor(
    name="reference_clips_sensor",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[reference_job],
    request_job=make_video_job,
    default_status=dg.DefaultSensorStatus.RUNNING if settings.automation_on() else dg.DefaultSensorStatus.STOPPED,
    description="After a reference from an inbox URL line with a channel is fetched and transcribed, its "
                "highlights become clip partitions and make_video runs.",
)
def reference_clips_sensor(context: dg.RunStatusSensorContext, channels: ChannelsResource, storage: MediaStorage):
    from ..clips_cli import plan_clips

    key = context.dagster_run.tags.get("dagster/partition")
    store = storage.store()
    record = (store.read_record("references", key) or {}) if key else {}
    clips = record.get("clips") or {}
    if not clips.get("channel"):
        return dg.SkipReason(f"{key}: no clips were asked for")
    if clips.get("planned") is not None:
        return dg.SkipReason(f"{key}: its clips were planned already ({len(clips['planned'])})")
    channel = channels.get(clips["channel"])
    keys = plan_clips(store, context.instance, channel, key, int(clips.get("count") or 3), log=context.log.info)
    store.write_record("references", key, {**record, "clips": {**clips, "planned": keys}})
    return [dg.RunRequest(partition_key=k, run_key=f"clip:{k}", tags=run_tags(k, "inbox")) for k in keys]
