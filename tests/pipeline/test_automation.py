"""Schedules, sensors, daily caps and alerts, evaluated against real Dagster instances.

Sensor and schedule ticks are evaluated with ``build_sensor_context``/``build_schedule_context``
against ``instance_for_test`` (SQLite; one test on PostgreSQL), applying each tick's dynamic
partition requests as the daemon would. The last test runs the real ``dagster-daemon``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
import yaml

from tests.conftest import ROOT, sample_channels
from pipeline_defs import automation
from pipeline_defs.assets import ALL_ASSETS
from pipeline_defs.assets.published_uploads import published_uploads
from pipeline_defs.assets.trending_topics import trending_topics
from pipeline_defs.jobs import discover_trends_job, make_video_job
from pipeline_defs.ledger import Ledger
from pipeline_defs.schedules import build_schedules
from pipeline_defs.sensors import ALL_SENSORS
from pipeline_defs.sensors.alerts import alert_on_run_failure
from pipeline_defs.sensors.inbox import narrative_inbox_sensor
from pipeline_defs.sensors.trending_topics import trending_topics_sensor
from shortsmith.config import load_channels
from shortsmith.model import write_json
from shortsmith.script import write_offline_script
from shortsmith.topics import partition_key

NARRATIVE = """# The lighthouse keeper's cat
channel: curious-minds

A cat once saved a lighthouse. The keeper on a tiny island off Maine had fallen ill, and nobody on shore knew.

For three nights the lamp stayed dark, and ships slowed to a crawl in the thick autumn fog.

His cat, a grey tom called Admiral, slipped out through a broken window and walked the frozen causeway at low tide.

At the harbour, fishermen recognised the cat and followed it back across the ice to the tower.

They found the keeper weak but alive, and they lit the great lamp again that same evening.

Today the island has a small bronze statue of Admiral, facing the sea he kept safe.
"""
NARRATIVE_KEY = "curious-minds--the-lighthouse-keeper-s-cat"


def write_config(path: Path, *, cm_per_day: int = 2, pt_per_day: int = 1, cm_tz: str = "UTC",
                 only_first: bool = False) -> Path:
    sample = sample_channels()
    cm = {**sample["channels"][0], "videos_per_day": cm_per_day, "timezone": cm_tz}
    pt = {**sample["channels"][1], "videos_per_day": pt_per_day}
    channels = [cm] if only_first else [cm, pt]
    path.write_text(yaml.safe_dump({"defaults": sample.get("defaults", {}), "channels": channels}))
    return path


def make_defs(channels_file: Path):
    from pipeline_defs.definitions import location_resources

    resources = location_resources()
    defs = dg.Definitions(assets=ALL_ASSETS, jobs=[make_video_job, discover_trends_job, *automation.jobs],
                          schedules=build_schedules(load_channels(channels_file)), sensors=ALL_SENSORS,
                          resources=resources)
    return defs, resources


@pytest.fixture
def env(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("SHORTSMITH_HOME", str(home))
    monkeypatch.setenv("SHORTSMITH_CHANNELS", str(write_config(tmp_path / "channels.yaml")))
    monkeypatch.setenv("SHORTSMITH_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("SHORTSMITH_RENDER_SIZE", "360x640")
    for name in ("SHORTSMITH_MEDIA", "SHORTSMITH_CHANNEL_DIR", "SHORTSMITH_ALERT_WEBHOOK", "SHORTSMITH_ALERTS_LOG",
                 "SHORTSMITH_INBOX_CHANNEL", "SHORTSMITH_STORAGE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def setup(tmp_path: Path, instance) -> SimpleNamespace:
    channels_file = Path(os.environ["SHORTSMITH_CHANNELS"])
    defs, resources = make_defs(channels_file)
    return SimpleNamespace(instance=instance, defs=defs, res=resources, store=resources["storage"].store(),
                           config=load_channels(channels_file), tmp=tmp_path, inbox=tmp_path / "inbox")


@pytest.fixture
def auto(env):
    with dg.instance_for_test() as instance:
        yield setup(env, instance)


def tick(sensor, a, cursor=None):
    """One sensor evaluation; its partition requests are applied as the daemon would."""
    with dg.build_sensor_context(instance=a.instance, instance_ref=a.instance.get_ref(), cursor=cursor,
                                 definitions=a.defs, resources=a.res) as ctx:
        data = sensor.evaluate_tick(ctx)
    for req in data.dynamic_partitions_requests or []:
        a.instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
    return data


def schedule_tick(a, name: str, when: datetime):
    schedule = a.defs.get_repository_def().get_schedule_def(name)
    with dg.build_schedule_context(instance=a.instance, scheduled_execution_time=when, resources=a.res,
                                   repository_def=a.defs.get_repository_def()) as ctx:  # closes its instance
        return schedule.evaluate_tick(ctx)


def discover_trends(a):
    assert dg.materialize([trending_topics], instance=a.instance, resources=a.res).success


def drop(a, name: str, text: str | bytes) -> Path:
    a.inbox.mkdir(parents=True, exist_ok=True)
    p = a.inbox / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    old = time.time() - 10
    os.utime(p, (old, old))  # not "still being written"
    return p


def inbox_files(a) -> list[str]:
    return sorted(p.name for p in a.inbox.iterdir() if p.is_file()) if a.inbox.exists() else []


# ---------------------------------------------------------------------------------------------
# trends sensor


def run_trends_flow(a):
    discover_trends(a)
    first = tick(trending_topics_sensor, a)
    keys = sorted(r.partition_key for r in first.run_requests)
    by_channel = {}
    for k in keys:
        by_channel.setdefault(k.split("--")[0], []).append(k)
    assert {c: len(v) for c, v in by_channel.items()} == {"curious-minds": 2, "paper-trail": 1}  # the caps
    assert all(r.run_key == r.partition_key for r in first.run_requests)
    assert all(r.tags["shortsmith/source"] == "trend" for r in first.run_requests)
    assert set(a.instance.get_dynamic_partitions("videos")) == set(keys)
    for k in keys:
        assert a.store.read_record("requests", k)["source"] == "trend"
    cursor = json.loads(first.cursor)
    assert list(cursor) == ["event_id"] and cursor["event_id"] > 0

    # no new materialization: nothing requested, cursor kept
    again = tick(trending_topics_sensor, a, first.cursor)
    assert not again.run_requests and "no new trending_topics" in again.skip_message

    # new trends the same day: the caps are already taken by pending videos
    discover_trends(a)
    full = tick(trending_topics_sensor, a, first.cursor)
    assert not full.run_requests
    assert "2 pending of 2" in full.skip_message and "1 pending of 1" in full.skip_message
    assert json.loads(full.cursor)["event_id"] > cursor["event_id"]  # the cursor advances
    assert len(full.cursor) < 40  # and stays small
    return keys, full.cursor


def test_trends_sensor_fills_caps_dedups_across_ticks_and_keeps_a_small_cursor(auto, tmp_path, monkeypatch):
    keys, cursor = run_trends_flow(auto)
    used = Ledger(auto.instance).used_topics(auto.config.get("curious-minds"), datetime.now(timezone.utc).date())
    assert {k.split("--", 1)[1] for k in keys if k.startswith("curious-minds")} <= set(used)

    # a bigger cap (a config change only): new trends bring new topics, never the same ones again
    monkeypatch.setenv("SHORTSMITH_CHANNELS", str(write_config(tmp_path / "channels.yaml", cm_per_day=4, pt_per_day=2)))
    a = setup(tmp_path, auto.instance)
    discover_trends(a)
    more = tick(trending_topics_sensor, a, cursor)
    new_keys = [r.partition_key for r in more.run_requests]
    assert len([k for k in new_keys if k.startswith("curious-minds")]) == 2
    assert len([k for k in new_keys if k.startswith("paper-trail")]) == 1
    assert not set(new_keys) & set(keys)
    assert not {r.run_key for r in more.run_requests} & set(keys)


def test_trends_sensor_skips_trending_topics_without_facts_and_says_why(auto, capfd):
    a = auto
    discover_trends(a)
    for name in ("curious-minds", "paper-trail"):
        record = a.store.read_record("trends", name)
        # a cloud trend the channel has no points or source for, ranked first
        record["topics"].insert(0, {**record["topics"][0], "topic": "Quantum computing", "slug": "quantum-computing",
                                    "partition_key": f"{name}--quantum-computing", "score": 999.0})
        a.store.write_record("trends", name, record)
    data = tick(trending_topics_sensor, a)
    keys = [r.partition_key for r in data.run_requests]
    assert keys and not [k for k in keys if k.endswith("--quantum-computing")]
    assert not [k for k in a.instance.get_dynamic_partitions("videos") if k.endswith("--quantum-computing")]
    assert a.store.read_record("requests", "curious-minds--quantum-computing") is None
    logged = capfd.readouterr().err  # the sensor's log (Dagster's console handler)
    assert "skipping curious-minds--quantum-computing: " in logged and "no facts to write a script" in logged
    assert "skipped 1 topic(s) with no facts and no script model" in logged


def test_trends_sensor_and_ledger_on_postgresql(env):
    psycopg2 = pytest.importorskip("psycopg2")
    dsn = os.environ.get("SHORTSMITH_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    try:
        admin = psycopg2.connect(dsn, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {dsn}: {exc}")
    admin.autocommit = True
    name = f"shortsmith_auto_{os.urandom(4).hex()}"
    params = dict(p.split("=", 1) for p in dsn.split())
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        pg = {"username": params.get("user", "postgres"), "password": params.get("password", ""),
              "hostname": params.get("host", "127.0.0.1"), "port": int(params.get("port", 5432)),
              "db_name": name, "scheme": "postgresql+psycopg2"}
        with dg.instance_for_test(overrides={"storage": {"postgres": {"postgres_db": pg}}}) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            a = setup(env, instance)
            keys, _ = run_trends_flow(a)
            ledger = Ledger(instance)
            ch = a.config.get("curious-minds")
            today = datetime.now(timezone.utc).date()
            assert set(ledger.requested(ch.name, today)) == {k for k in keys if k.startswith("curious-minds")}
            ledger.record_published(ch.name, today, keys[0], "vid-1")  # the upsert path on PostgreSQL
            ledger.record_published(ch.name, today, keys[1], "vid-2")
            assert set(ledger.published(ch.name, today)) == set(keys[:2])
            assert ledger.usage(ch).remaining == 0
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# ---------------------------------------------------------------------------------------------
# inbox sensor


def test_inbox_accepts_good_rejects_malformed_and_duplicate_files_without_looping(auto):
    a = auto
    drop(a, "good.md", NARRATIVE)
    drop(a, "untitled.md", "no title line\n\nOne paragraph.\n\nAnother.")
    drop(a, "long.md", "# Far too long\n\nIt starts here.\n\n" + "\n\n".join(
        "This paragraph keeps going with many more words than a short video could ever hold in time."
        for _ in range(12)))
    drop(a, "notes.txt", "just notes")
    drop(a, "latin1.md", "# Caf\xe9 story\n\nA.\n\nB.".encode("latin-1"))
    drop(a, ".partial.md.tmp", "being written")

    first = tick(narrative_inbox_sensor, a)
    assert [r.partition_key for r in first.run_requests] == [NARRATIVE_KEY]
    assert first.run_requests[0].run_key == f"inbox:{NARRATIVE_KEY}"
    assert a.instance.has_dynamic_partition("videos", NARRATIVE_KEY)
    record = a.store.read_record("requests", NARRATIVE_KEY)
    assert record["source"] == "inbox" and record["narrative"]["title"] == "The lighthouse keeper's cat"
    assert len(record["narrative"]["paragraphs"]) == 6
    assert inbox_files(a) == [".partial.md.tmp"]  # everything else was handled once
    processed = list((a.inbox / "processed").iterdir())
    assert len(processed) == 1 and processed[0].name.endswith("-good.md")
    reports = {p.name.split("-", 1)[1]: p.read_text() for p in (a.inbox / "rejected").glob("*.error.txt")}
    assert set(reports) == {"untitled.md.error.txt", "long.md.error.txt", "notes.txt.error.txt",
                            "latin1.md.error.txt"}
    assert "no title" in reports["untitled.md.error.txt"] and "'# Title'" in reports["untitled.md.error.txt"]
    assert "budget" in reports["long.md.error.txt"] and "cut about" in reports["long.md.error.txt"]
    assert "not a markdown file" in reports["notes.txt.error.txt"]
    assert "UTF-8" in reports["latin1.md.error.txt"]
    assert json.loads(first.cursor) == {"accepted": 1, "rejected": 4}

    # the same story again (another file name, edited body): a duplicate, rejected with a report
    drop(a, "again.md", NARRATIVE.replace("thick autumn fog", "fog"))
    dup = tick(narrative_inbox_sensor, a, first.cursor)
    assert not dup.run_requests and "duplicate" in dup.skip_message
    report = next((a.inbox / "rejected").glob("*-again.md.error.txt")).read_text()
    assert "duplicate" in report and NARRATIVE_KEY in report
    assert json.loads(dup.cursor) == {"accepted": 1, "rejected": 5}

    # nothing left: the next tick skips instead of re-reading handled files
    idle = tick(narrative_inbox_sensor, a, dup.cursor)
    assert not idle.run_requests and "empty" in idle.skip_message


def test_inbox_on_s3_moves_objects_and_writes_reports(auto, monkeypatch):
    moto = pytest.importorskip("moto")
    import boto3

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("SHORTSMITH_INBOX", "s3://narratives/inbox")
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="narratives")
        s3.put_object(Bucket="narratives", Key="inbox/good.md", Body=NARRATIVE.encode())
        s3.put_object(Bucket="narratives", Key="inbox/bad.md", Body=b"no title\n\nA.\n\nB.")
        result = tick(narrative_inbox_sensor, auto)
        assert [r.partition_key for r in result.run_requests] == [NARRATIVE_KEY]
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="narratives")["Contents"])
        assert not [k for k in keys if k in ("inbox/good.md", "inbox/bad.md")]
        assert any(k.startswith("inbox/processed/") and k.endswith("-good.md") for k in keys)
        report_key = next(k for k in keys if k.endswith("-bad.md.error.txt"))
        assert "no title" in s3.get_object(Bucket="narratives", Key=report_key)["Body"].read().decode()


# ---------------------------------------------------------------------------------------------
# caps: trends, inbox, schedules and backfills together


def ready_to_publish(a, key: str) -> None:
    """The stages published_uploads reads, made directly (the render is tested elsewhere)."""
    ch = a.config.get(key.split("--")[0])
    seed = next(t for t in ch.topics if partition_key(ch.name, t.topic) == key)
    with a.store.write_stage(key, "script", "fp") as w:
        write_json(w.path("script.json"), write_offline_script(ch, seed.topic, seed))
    with a.store.write_stage(key, "video", "fp", {"checks_passed": True, "checks": []}) as w:
        w.path("video.mp4").write_bytes(os.urandom(256))
    with a.store.write_stage(key, "thumbnail", "fp") as w:
        w.path("thumbnail.jpg").write_bytes(b"\xff\xd8 thumbnail")
    a.instance.add_dynamic_partitions("videos", [key])


def publish(a, key: str, backfill: str = "bf-1") -> dict:
    result = dg.materialize([published_uploads], partition_key=key, instance=a.instance, resources=a.res,
                            tags={"dagster/backfill": backfill})
    assert result.success
    return {k: v.value for k, v in result.asset_materializations_for_node("published_uploads")[-1].metadata.items()}


def test_caps_hold_when_backfill_trends_inbox_and_schedule_all_want_more(auto, monkeypatch):
    a = auto
    ch = a.config.get("curious-minds")  # videos_per_day 2, UTC
    keys = [partition_key(ch.name, t.topic) for t in ch.topics[:3]]
    for k in keys:
        ready_to_publish(a, k)

    # a backfill publishes three new videos: the third is deferred, not failed
    outcomes = [publish(a, k) for k in keys]
    assert [o["status"] for o in outcomes] == ["published", "published", "deferred"]
    tomorrow = datetime.now(timezone.utc).date() + timedelta(days=1)
    assert outcomes[2]["deferred_until"] == f"{tomorrow.isoformat()}T00:00:00+00:00"
    assert "2 of 2" in outcomes[2]["reason"]
    channel_dir = Path(a.res["publisher"].root) / ch.name
    assert sorted(p.name for p in channel_dir.iterdir()) == sorted(keys[:2])
    ledger = Ledger(a.instance)
    assert set(ledger.deferred(ch.name)) == {keys[2]}
    assert ledger.usage(ch).published == 2 and ledger.usage(ch).remaining == 0
    # re-running a published partition (a style backfill) is not a new video and is not capped
    assert publish(a, keys[0], backfill="bf-2")["status"] == "already_published"

    # trends: nothing more for curious-minds today; paper-trail still gets its one
    discover_trends(a)
    trends = tick(trending_topics_sensor, a)
    assert [r.partition_key.split("--")[0] for r in trends.run_requests] == ["paper-trail"]

    # inbox: a good narrative waits in the inbox for a day with room (not rejected, not looping)
    drop(a, "good.md", NARRATIVE)
    waiting = tick(narrative_inbox_sensor, a)
    assert not waiting.run_requests and "cap" in waiting.skip_message
    assert inbox_files(a) == ["good.md"]

    # the production schedule today: nothing
    now = datetime.now(timezone.utc)
    today_tick = schedule_tick(a, "daily_production_curious_minds", now)
    assert not today_tick.run_requests and "0 left" in today_tick.skip_message

    # tomorrow's production: the deferred video first, then one new topic, and no more
    midnight = datetime.combine(tomorrow, datetime.min.time(), tzinfo=timezone.utc)
    nxt = schedule_tick(a, "daily_production_curious_minds", midnight)
    requested = [r.partition_key for r in nxt.run_requests]
    assert requested[0] == keys[2] and nxt.run_requests[0].run_key == f"deferred:{keys[2]}:{tomorrow.isoformat()}"
    assert len(requested) == 2 and requested[1] not in keys
    assert a.instance.has_dynamic_partition("videos", requested[1])
    # ... and sensors evaluated tomorrow find the day full too
    monkeypatch.setattr("pipeline_defs.sensors.inbox.utcnow", lambda: midnight + timedelta(hours=1))
    assert not tick(narrative_inbox_sensor, a).run_requests and inbox_files(a) == ["good.md"]
    again = schedule_tick(a, "daily_production_curious_minds", midnight + timedelta(minutes=5))
    assert not again.run_requests


def test_production_schedule_uses_the_channel_timezone(auto):
    a = auto
    schedule = a.defs.get_repository_def().get_schedule_def("daily_production_paper_trail")
    assert schedule.execution_timezone == "America/New_York" and schedule.cron_schedule == "0 9 * * *"
    trends = a.defs.get_repository_def().get_schedule_def("discover_trends_paper_trail")
    assert trends.cron_schedule == "0 8 * * *" and trends.execution_timezone == "America/New_York"
    # 01:30 UTC on the 11th is still the 10th in New York
    when = datetime(2025, 3, 11, 1, 30, tzinfo=timezone.utc)
    result = schedule_tick(a, "daily_production_paper_trail", when)
    assert len(result.run_requests) == 1  # videos_per_day: 1
    key = result.run_requests[0].partition_key
    assert key.startswith("paper-trail--") and a.instance.has_dynamic_partition("videos", key)
    ledger = Ledger(a.instance)
    assert set(ledger.requested("paper-trail", date(2025, 3, 10))) == {key}
    assert ledger.requested("paper-trail", date(2025, 3, 11)) == {}
    # the same local day again: the cap holds; the next local day: a different topic
    assert not schedule_tick(a, "daily_production_paper_trail", when + timedelta(hours=2)).run_requests
    nxt = schedule_tick(a, "daily_production_paper_trail", when + timedelta(days=1))
    assert len(nxt.run_requests) == 1 and nxt.run_requests[0].partition_key != key


# ---------------------------------------------------------------------------------------------
# backfills


def test_backfill_cli_launches_voiceovers_downstream_one_partition_per_run(auto, capsys):
    from pipeline_defs.cli import run_backfill

    a = auto
    for name in ("voiceovers", "scene_images", "assembled_videos", "published_uploads"):
        assert a.defs.resolve_assets_def(name).backfill_policy == dg.BackfillPolicy.multi_run(1)
    keys = ["curious-minds--why-cats-purr", "paper-trail--the-great-emu-war"]
    a.instance.add_dynamic_partitions("videos", keys)
    assert run_backfill("voiceovers", keys, None, None) == 0, capsys.readouterr().err
    (backfill,) = a.instance.get_backfills()
    assert {k.to_user_string() for k in backfill.asset_selection} == {
        "voiceovers", "captions", "music", "assembled_videos", "thumbnails", "published_uploads",
        "tiktok_videos", "tiktok_posts", "instagram_reels"}  # downstream too (skipped for channels without them)
    assert sorted(backfill.asset_backfill_data.target_subset.get_partitions_subset(
        dg.AssetKey("voiceovers")).get_partition_keys()) == keys
    assert run_backfill("voiceovers", ["curious-minds--not-made"], None, None) == 2
    assert "not video partitions" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# alerts


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def failed_run(a):
    key = "no-such-channel--why-cats-purr"
    a.instance.add_dynamic_partitions("videos", [key])
    scripts = next(x for x in ALL_ASSETS if x.key.path == ["video_scripts"])
    result = dg.materialize([scripts], partition_key=key, instance=a.instance, resources=a.res,
                            raise_on_error=False)
    assert not result.success
    ctx = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure", dagster_event=result.get_run_failure_event(),
        dagster_instance=a.instance, dagster_run=result.dagster_run).for_run_failure()
    return key, ctx


def test_failed_run_alert_posts_json_to_the_webhook(auto, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received = []
    try:
        monkeypatch.setenv("SHORTSMITH_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hooks/T0K3N")
        key, ctx = failed_run(auto)
        alert_on_run_failure(ctx)
    finally:
        server.shutdown()
    assert len(_Hook.received) == 1
    path, content_type, alert = _Hook.received[0]
    assert path == "/hooks/T0K3N" and content_type == "application/json"
    assert alert["channel"] == "no-such-channel" and alert["partition"] == key
    assert alert["step"] == "video_scripts" and "not in" in alert["error"] and "curious-minds" in alert["error"]
    assert alert["run_id"] == ctx.dagster_run.run_id and alert["event"] == "run_failed"
    assert not Path(os.environ["SHORTSMITH_HOME"], "alerts.log").exists()


def test_failed_run_alert_defaults_to_the_log_and_never_logs_the_webhook_secret(auto, monkeypatch):
    key, ctx = failed_run(auto)
    alert_on_run_failure(ctx)
    log = Path(os.environ["SHORTSMITH_HOME"]) / "alerts.log"
    first = json.loads(log.read_text().splitlines()[0])
    assert (first["channel"], first["partition"], first["step"]) == ("no-such-channel", key, "video_scripts")
    # an unreachable webhook: the alert still lands in the log, without the URL's secret
    with HTTPServer(("127.0.0.1", 0), _Hook) as closed:
        port = closed.server_port
    monkeypatch.setenv("SHORTSMITH_ALERT_WEBHOOK", f"http://127.0.0.1:{port}/hooks/S3CRET")
    alert_on_run_failure(ctx)
    lines = log.read_text().splitlines()
    assert len(lines) == 2 and "S3CRET" not in log.read_text()
    assert "webhook at 127.0.0.1 failed" in json.loads(lines[1])["delivery_error"]


# ---------------------------------------------------------------------------------------------
# the real daemon


@pytest.mark.slow  # a whole video through every stage, or a real daemon: `make test` only
def test_daemon_turns_a_dropped_narrative_into_a_published_video(tmp_path):
    """dagster-daemon with the project's code location: drop a file, get a published Short."""
    home = tmp_path / "home"
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir(parents=True)
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump({
        "telemetry": {"enabled": False},
        "concurrency": {"runs": {"max_concurrent_runs": 1}, "pools": {"default_limit": 1}},
        "sensors": {"use_threads": False},
    }))
    (tmp_path / "workspace.yaml").write_text(yaml.safe_dump({"load_from": [{"python_module": {
        "module_name": "pipeline_defs.definitions", "location_name": "shortsmith",
        "working_directory": str(ROOT)}}]}))
    # one channel whose local time is about noon now: its schedules (00:00 and 23:00 local) are
    # hours away, so only the inbox is at work during the test
    offset = (12 - datetime.now(timezone.utc).hour + 11) % 24 - 11  # -11..12 hours from UTC
    tz = "Etc/GMT" + (f"{-offset:+d}" if offset else "")  # POSIX sign: Etc/GMT-3 is UTC+3
    channels = write_config(tmp_path / "channels.yaml", cm_per_day=1, cm_tz=tz, only_first=True)
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "SHORTSMITH_HOME": str(home),
           "SHORTSMITH_CHANNELS": str(channels), "SHORTSMITH_INBOX": str(tmp_path / "inbox"),
           "SHORTSMITH_RENDER_SIZE": "360x640", "SHORTSMITH_AUTOMATION": "on"}
    for name in ("SHORTSMITH_MEDIA", "SHORTSMITH_CHANNEL_DIR", "SHORTSMITH_ALERT_WEBHOOK", "SHORTSMITH_STORAGE"):
        env.pop(name, None)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    log = (tmp_path / "daemon.log").open("w")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w",
                             str(tmp_path / "workspace.yaml")], cwd=str(ROOT), env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    published = home / "channel" / "curious-minds" / NARRATIVE_KEY / "publication.json"
    try:
        (inbox / "lighthouse.md").write_text(NARRATIVE, encoding="utf-8")
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not published.exists():
            assert proc.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
            time.sleep(2)
        assert published.exists(), "no published video within 4 minutes:\n" + (tmp_path / "daemon.log").read_text()[-4000:]
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
    pub = json.loads(published.read_text())
    assert pub["partition"] == NARRATIVE_KEY and Path(pub["video_path"]).stat().st_size > 10_000
    metadata = json.loads(Path(pub["metadata_path"]).read_text())
    assert metadata["snippet"]["title"] == "The lighthouse keeper's cat"
    assert list((inbox / "processed").iterdir()) and not list(inbox.glob("*.md"))
    script = json.loads((home / "media" / "curious-minds" / NARRATIVE_KEY / "script" / "script.json").read_text())
    assert script["writer"] == "narrative" and script["beats"][0]["narration"] == "A cat once saved a lighthouse."
