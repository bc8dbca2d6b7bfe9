"""An inbox URL line with a channel: after its reference_intake run succeeds, the clips sensor cuts the
clips (one video partition each, naming the reference for the rights check) exactly once (issue 14)."""

from __future__ import annotations

import dagster as dg

from pipeline_defs.sensors.reference_clips import reference_clips_sensor
from shortsmith.intake.references import add_reference, reference_of
from tests.pipeline.test_automation import env, setup  # noqa: F401 - env is a fixture


def test_clips_asked_for_in_the_inbox_are_planned_once_after_intake(env, talk):  # noqa: F811
    with dg.instance_for_test() as instance:
        a = setup(env, instance)
        key = add_reference(a.store, str(talk["mp4"]))
        a.store.write_record("references", key, {**a.store.read_record("references", key),
                                                 "clips": {"channel": "curious-minds", "count": 2}})
        instance.add_dynamic_partitions("references", [key])
        job = a.defs.resolve_job_def("reference_intake")
        result = job.execute_in_process(partition_key=key, instance=instance, resources=a.res)
        assert result.success
        success = next(r.dagster_event for r in instance.all_logs(result.run_id)
                       if r.dagster_event and r.dagster_event.event_type_value == "PIPELINE_SUCCESS")

        def evaluate():
            with dg.build_run_status_sensor_context(sensor_name="reference_clips_sensor", dagster_event=success,
                                                    dagster_instance=instance, resources=a.res,
                                                    dagster_run=instance.get_run_by_id(result.run_id)) as ctx:
                return reference_clips_sensor(ctx)

        requests = evaluate()
        keys = [r.partition_key for r in requests]
        assert 1 <= len(keys) <= 2 and all(k.startswith("curious-minds--") for k in keys)
        assert all(instance.has_dynamic_partition("videos", k) for k in keys)
        assert all(reference_of(a.store, k) == key for k in keys)  # the publisher finds the rights
        assert a.store.read_record("references", key)["clips"]["planned"] == keys
        again = evaluate()
        assert isinstance(again, dg.SkipReason) and "planned already" in again.skip_message
