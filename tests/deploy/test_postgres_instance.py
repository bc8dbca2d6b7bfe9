"""deploy/dagster.yaml loaded into a real DagsterInstance on PostgreSQL, media and compute logs on S3.

A full video partition is materialized (360x640), then runs, materializations and asset check
results are read back, both through a fresh instance and straight from the database tables.
"""

import json
import shutil
import time
from pathlib import Path

import boto3
import dagster as dg
import psycopg2
import pytest

from tests.conftest import TEST_SIZE, write_channels
from pipeline_defs.assets import VIDEO_ASSETS
from pipeline_defs import settings
from pipeline_defs.definitions import provider_resources
from pipeline_defs.resources.channels import ChannelsResource
from pipeline_defs.resources.publisher import LocalFolderPublisher
from pipeline_defs.resources.renderer import RendererSettings
from pipeline_defs.resources.storage import storage_from_env

from .conftest import deploy_instance_env

ROOT = Path(__file__).resolve().parents[2]
KEY = "curious-minds--why-cats-purr"


@pytest.fixture
def deploy_home(tmp_path, monkeypatch, pg_database, s3_env, bucket):
    """DAGSTER_HOME holding deploy/dagster.yaml, its env pointing at the test servers."""
    for k, v in deploy_instance_env(pg_database, s3_env["SHORTSMITH_S3_ENDPOINT_URL"], bucket).items():
        monkeypatch.setenv(k, v)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def test_deploy_instance_config_is_postgres_queued_and_s3(deploy_home, pg_database):
    from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    with dg.DagsterInstance.from_config(str(deploy_home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.compute_log_manager, S3ComputeLogManager)
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 2
        assert {"key": "dagster/backfill", "limit": 2} in queue.tag_concurrency_limits
        assert instance.run_monitoring_enabled and instance.run_retries_enabled
        assert instance.run_retries_max_retries == 2
        # pools: the gpu pool gets one slot per GPU (set explicitly by deploy/init-instance.sh)
        instance.event_log_storage.set_concurrency_slots("gpu", 1)
        assert instance.event_log_storage.get_concurrency_info("gpu").slot_count == 1
        assert queue.should_block_op_concurrency_limited_runs and queue.op_concurrency_slot_buffer == 1
    # the tables are in the temporary database
    with psycopg2.connect(host=pg_database["host"], port=pg_database["port"], user=pg_database["user"],
                          dbname=pg_database["db"]) as conn, conn.cursor() as cur:
        cur.execute("select table_name from information_schema.tables where table_schema = 'public'")
        tables = {r[0] for r in cur.fetchall()}
    assert {"runs", "event_logs", "asset_keys", "asset_check_executions", "jobs", "concurrency_limits"} <= tables


def test_full_partition_on_postgres_with_s3_media(deploy_home, pg_database, s3_env, bucket, tmp_path, monkeypatch):
    monkeypatch.setenv("SHORTSMITH_STORAGE", "s3")
    monkeypatch.setenv("SHORTSMITH_S3_BUCKET", bucket)
    monkeypatch.setenv("SHORTSMITH_S3_PREFIX", "media")
    resources = {
        "channels": ChannelsResource(path=str(write_channels(tmp_path / "channels.yaml"))),
        "storage": storage_from_env(str(tmp_path / "cache")),
        **provider_resources(settings.load({})),  # the offline providers only
        "renderer": RendererSettings(width=TEST_SIZE[0], height=TEST_SIZE[1]),
        "publisher": LocalFolderPublisher(root=str(tmp_path / "channel")),
    }
    started = time.monotonic()
    with dg.DagsterInstance.from_config(str(deploy_home)) as instance:
        instance.add_dynamic_partitions("videos", [KEY])
        result = dg.materialize(VIDEO_ASSETS, partition_key=KEY, resources=resources, instance=instance,
                                tags={"shortsmith/channel": "curious-minds"})
        assert result.success
        run_id = result.run_id
    elapsed = time.monotonic() - started

    # read back through a fresh instance (another process would see the same)
    with dg.DagsterInstance.from_config(str(deploy_home)) as instance:
        run = instance.get_run_by_id(run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS and run.tags["shortsmith/channel"] == "curious-minds"
        for asset in ("video_scripts", "voiceovers", "assembled_videos", "thumbnails", "published_uploads"):
            event = instance.get_latest_materialization_event(dg.AssetKey(asset))
            assert event is not None and event.run_id == run_id, asset
            assert event.asset_materialization.partition == KEY
        thumb = instance.get_latest_materialization_event(dg.AssetKey("thumbnails")).asset_materialization
        assert "data:image/" in thumb.metadata["preview"].value
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("assembled_videos"), "resolution")])
        latest = check[dg.AssetCheckKey(dg.AssetKey("assembled_videos"), "resolution")]
        assert latest.run_id == run_id and latest.status.value == "SUCCEEDED"

    # ... and straight from the tables
    with psycopg2.connect(host=pg_database["host"], port=pg_database["port"], user=pg_database["user"],
                          dbname=pg_database["db"]) as conn, conn.cursor() as cur:
        cur.execute("select status from runs where run_id = %s", (run_id,))
        assert cur.fetchone() == ("SUCCESS",)
        cur.execute("select asset_key, partition from event_logs where run_id = %s and "
                    "dagster_event_type = 'ASSET_MATERIALIZATION'", (run_id,))
        mats = {(json.loads(k)[0], p) for k, p in cur.fetchall()}
        assert {(a, KEY) for a in ("video_scripts", "voiceovers", "scene_images", "captions", "music",
                                   "assembled_videos", "thumbnails", "published_uploads")} <= mats
        cur.execute("select check_name, execution_status from asset_check_executions where run_id = %s", (run_id,))
        checks = dict(cur.fetchall())
        assert {"resolution", "duration", "codecs", "audio_sync", "loudness", "hook_spoken_within_3s"} <= set(checks)
        assert set(checks.values()) == {"SUCCEEDED"}, checks

    # media objects in S3, keyed by channel/partition/stage, each stage with its manifest
    s3 = boto3.client("s3", endpoint_url=s3_env["SHORTSMITH_S3_ENDPOINT_URL"], region_name="us-east-1")
    keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="media/")
            for o in p.get("Contents", [])]
    for stage, name in (("video", "video.mp4"), ("thumbnail", "thumbnail.jpg"), ("voice", "voice.wav")):
        assert f"media/curious-minds/{KEY}/{stage}/{name}" in keys
        assert f"media/curious-minds/{KEY}/{stage}/manifest.json" in keys
    assert not [k for k in keys if k.startswith("media/_uploads/")]
    # the run's stdout/stderr went to S3 through the S3ComputeLogManager
    logs = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="compute-logs/")
            for o in p.get("Contents", [])]
    assert any(run_id in k for k in logs), logs[:10]
    print(f"full partition on postgres + S3 in {elapsed:.1f} s")
