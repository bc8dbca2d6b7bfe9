"""A failed run raises an alert naming the channel, the partition, the failed step and the error.

The alert goes to the webhook in $SHORTSMITH_ALERT_WEBHOOK (a JSON POST; the URL is never
logged) or, by default, to the local alerts log $SHORTSMITH_ALERTS_LOG
($SHORTSMITH_HOME/alerts.log), one JSON object per line.
"""

from __future__ import annotations

import os

import dagster as dg

from shortsmith.alerts import send_alert
from shortsmith.topics import split_partition_key

from .. import settings
from ..requests import CHANNEL_TAG, SOURCE_TAG

MAX_ERROR_CHARS = 2000


def failure_alert(run: dg.DagsterRun, step_failures, failure_message: str | None) -> dict:
    """The alert body for a failed run (pure; tested directly)."""
    tags = run.tags or {}
    partition = tags.get("dagster/partition")
    channel = tags.get(CHANNEL_TAG)
    if channel is None and partition and "--" in partition:
        channel = split_partition_key(partition)[0]
    steps = []
    for event in step_failures:
        err = getattr(event.event_specific_data, "error", None)
        while err is not None and getattr(err, "cause", None) is not None:
            err = err.cause  # the user's error, not Dagster's "error occurred while executing" wrapper
        message = (err.message if err else event.message or "").strip()
        steps.append({"step": event.step_key, "error": message[:MAX_ERROR_CHARS]})
    first = steps[0] if steps else {"step": None, "error": (failure_message or "the run failed").strip()}
    return {
        "event": "run_failed",
        "channel": channel,
        "partition": partition,
        "step": first["step"],
        "error": first["error"][:MAX_ERROR_CHARS],
        "failed_steps": steps,
        "job": run.job_name,
        "run_id": run.run_id,
        "source": tags.get(SOURCE_TAG) or ("backfill" if tags.get("dagster/backfill") else None),
        "backfill": tags.get("dagster/backfill"),
    }


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING if settings.automation_on() else dg.DefaultSensorStatus.STOPPED,
    description="Sends an alert for every failed run (channel, partition, step, error) to "
                "$SHORTSMITH_ALERT_WEBHOOK, or to the local alerts log by default.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    alert = failure_alert(context.dagster_run, context.get_step_failure_events(), context.failure_event.message)
    where = send_alert(alert, webhook_url=os.environ.get(settings.ALERT_WEBHOOK_ENV) or None,
                       log_path=settings.alerts_log())
    context.log.info(f"alert for run {alert['run_id']} ({alert['channel']}, {alert['partition']}, "
                     f"step {alert['step']}) sent to {where}")
