"""An API caller registers a callback URL and receives a signed video.completed event when a video
is assembled (the video_webhooks sensor's body, on the studio's instance)."""

from __future__ import annotations

import dagster as dg
from starlette.testclient import TestClient

from pipeline_defs.sensors.video_webhooks import emit_materializations
from shortsmith import webhooks
from studio import db
from studio.app import create_app
from tests.core.test_webhooks_out import Receiver, readme_recipe_verify


def test_register_then_receive_video_completed(studio_env, monkeypatch):
    monkeypatch.delenv("SHORTSMITH_ALLOW_PRIVATE_URLS", raising=False)
    _, key = db.create_key("hooks")
    with TestClient(create_app(studio_env, rate_per_minute=1000)) as c, Receiver([500]) as rx:
        assert c.post("/v1/subscriptions", json={"url": rx.url}).status_code == 401  # the API key is required
        r = c.post("/v1/subscriptions", json={"url": rx.url}, headers={"X-API-Key": key})
        assert r.status_code == 422 and r.json()["field"] == "url"  # loopback: refused unless allowed
        r = c.post("/v1/subscriptions", json={"url": "https://example.com/h", "events": ["video.exploded"]},
                   headers={"X-API-Key": key})
        assert r.status_code == 422 and r.json()["field"] == "events"
        monkeypatch.setenv("SHORTSMITH_ALLOW_PRIVATE_URLS", "1")
        r = c.post("/v1/subscriptions", json={"url": rx.url, "events": ["video.completed"]},
                   headers={"X-API-Key": key})
        assert r.status_code == 201, r.text
        sub = r.json()
        instance = studio_env.instance
        cursor, sent = emit_materializations(instance, None)  # first tick: starts from now
        assert sent == 0
        partition = "curious-minds--why-cats-purr"
        instance.report_runless_asset_event(dg.AssetMaterialization(
            "assembled_videos", partition=partition, metadata={"duration_seconds": 41.5}))
        monkeypatch.setattr("shortsmith.webhooks_out.BACKOFF_S", (0.01,) * 4)  # a test need not wait 1 s
        cursor, sent = emit_materializations(instance, cursor)
        assert sent == 1
        assert [q.method for q in rx.requests] == ["POST", "POST"]  # a 500, then delivered
        event = rx.requests[-1].json()
        assert event["type"] == "video.completed" and event["data"]["partition"] == partition
        assert event["data"]["duration_seconds"] == 41.5
        assert readme_recipe_verify(sub["secret"], rx.requests[-1].headers, rx.requests[-1].body)
        assert emit_materializations(instance, cursor)[1] == 0  # nothing new: nothing sent again
        assert len(rx.requests) == 2 and webhooks.ID_HEADER.lower() in rx.requests[-1].headers


def test_a_failed_video_run_sends_video_failed(studio_env, monkeypatch):
    from pipeline_defs.sensors.video_webhooks import video_failed_webhooks
    from pipeline_defs.state import StateStore
    from shortsmith import webhooks_out

    monkeypatch.setenv("SHORTSMITH_ALLOW_PRIVATE_URLS", "1")
    partition = "curious-minds--why-cats-purr"

    @dg.asset(partitions_def=dg.StaticPartitionsDefinition([partition]))
    def video_scripts():
        raise RuntimeError("the writer broke")

    instance = studio_env.instance
    result = dg.materialize([video_scripts], partition_key=partition, instance=instance, raise_on_error=False)
    assert not result.success
    ctx = dg.build_run_status_sensor_context(
        sensor_name="video_failed_webhooks", dagster_event=result.get_run_failure_event(),
        dagster_instance=instance, dagster_run=result.dagster_run).for_run_failure()
    with Receiver() as rx:
        sub = webhooks_out.subscribe(StateStore(instance), rx.url, ["video.failed"])
        video_failed_webhooks(ctx)
        video_failed_webhooks(ctx)  # the same failure seen twice: one event
        assert len(rx.requests) == 1
        event = rx.requests[0].json()
        assert event["type"] == "video.failed" and event["data"]["partition"] == partition
        assert event["data"]["run_id"] == result.dagster_run.run_id and event["data"]["error"]
        assert readme_recipe_verify(sub["secret"], rx.requests[0].headers, rx.requests[0].body)
