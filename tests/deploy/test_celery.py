"""Celery for real: RabbitMQ on 127.0.0.1:5672, two dagster-celery workers (a `gpu` queue and the
default queue), a run on PostgreSQL whose GPU-tagged step runs on the GPU worker."""

import contextlib
import fcntl
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from .conftest import VENV_BIN, server

HERE = Path(__file__).resolve().parent
RUN_TIMEOUT = 120
BROKER = os.environ.get("SHORTSMITH_TEST_AMQP", "pyamqp://guest:guest@127.0.0.1:5672//")
# the workers of every test here listen on the same broker's `gpu` and `dagster` queues: a test holds
# this lock while its workers run, so that under pytest-xdist (`make test`) two tests never share them
# (xdist's own `xdist_group` does nothing with pytest 9.2: it renames node ids, which are now read-only)
BROKER_LOCK = Path(tempfile.gettempdir()) / "shortsmith-test-rabbitmq.lock"


@contextlib.contextmanager
def broker_to_ourselves(timeout: float = 900):
    with open(BROKER_LOCK, "a") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                assert time.monotonic() < deadline, f"another test held {BROKER_LOCK} for {timeout} s"
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def broker_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
        return True
    except OSError:
        return False


def test_executor_from_env_choices(monkeypatch):
    from pipeline_defs.executors import executor_from_env
    from shortsmith.errors import ConfigError

    monkeypatch.delenv("SHORTSMITH_EXECUTOR", raising=False)
    assert executor_from_env().name == "in_process"
    monkeypatch.setenv("SHORTSMITH_EXECUTOR", "celery")
    monkeypatch.delenv("SHORTSMITH_CELERY_BROKER", raising=False)
    with pytest.raises(ConfigError, match="SHORTSMITH_CELERY_BROKER"):
        executor_from_env()
    monkeypatch.setenv("SHORTSMITH_CELERY_BROKER", BROKER)
    assert executor_from_env().name == "celery"
    monkeypatch.setenv("SHORTSMITH_EXECUTOR", "gpu-magic")
    with pytest.raises(ConfigError, match="multiprocess"):
        executor_from_env()


def purge_queues(*names: str) -> None:
    """Empty the broker's queues before a test starts its workers: a test that failed or timed out
    with steps still queued (the executor acks late) would otherwise hand them to the next test's
    workers. (Under xdist, the one failure seen came from two tests sharing the queues at the same
    time, which ``broker_to_ourselves`` prevents; this guards the sequential case.)"""
    from kombu import Connection

    with Connection(BROKER, connect_timeout=5) as conn:
        for name in names:
            channel = conn.channel()
            try:
                channel.queue_purge(name)
            except Exception:  # the queue was never declared: nothing to purge
                pass
            finally:
                with contextlib.suppress(Exception):
                    channel.close()


@contextlib.contextmanager
def celery_cluster(tmp_path, pg_database, monkeypatch, extra_env: dict | None = None):
    """A PostgreSQL-backed instance and two dagster-celery workers (queues `gpu` and `dagster`)
    on the local RabbitMQ; yields (instance, logs) where logs() returns both workers' logs."""
    pytest.importorskip("dagster_celery")
    if not broker_up():
        pytest.skip("no RabbitMQ on 127.0.0.1:5672")
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry: {enabled: false}\n"
        "storage:\n  postgres:\n    postgres_db:\n"
        f"      hostname: {pg_database['host']}\n      port: {pg_database['port']}\n"
        f"      username: {pg_database['user']}\n      password: ''\n      db_name: {pg_database['db']}\n"
        "      scheme: postgresql+psycopg2\n")
    (tmp_path / "celery.yaml").write_text(f"execution:\n  config:\n    broker: '{BROKER}'\n    backend: 'rpc://'\n")
    env = {"DAGSTER_HOME": str(home), "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "SHORTSMITH_EXECUTOR": "celery", "SHORTSMITH_CELERY_BROKER": BROKER,
           # the repository root: job code pointers are tests.deploy.celery_defs (tests is a package)
           "PYTHONPATH": os.pathsep.join([str(HERE.parent.parent), os.environ.get("PYTHONPATH", "")]),
           **(extra_env or {})}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    tag = os.urandom(3).hex()

    def worker(role: str, queue: str):
        cmd = [str(VENV_BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
               "-y", str(tmp_path / "celery.yaml"), "-q", queue, "-n", f"{role}-{tag}@%h",
               "--", "--concurrency=1", "--pool=solo", "--without-gossip", "--without-mingle"]
        return server(cmd, tmp_path / f"{role}.log", env={**env, "SHORTSMITH_WORKER_ROLE": role})

    def logs() -> str:
        return "\n".join((tmp_path / f"{r}.log").read_text()[-3000:] for r in ("gpu", "cpu"))

    with broker_to_ourselves(), contextlib.ExitStack() as stack:
        purge_queues("gpu", "dagster")
        gpu, cpu = stack.enter_context(worker("gpu", "gpu")), stack.enter_context(worker("cpu", "dagster"))
        instance = stack.enter_context(dg.DagsterInstance.from_config(str(home)))
        deadline = time.monotonic() + 90
        while not all("ready." in (tmp_path / f"{r}.log").read_text() for r in ("gpu", "cpu")):
            assert gpu.poll() is None and cpu.poll() is None, logs()
            assert time.monotonic() < deadline, f"the workers did not come up:\n{logs()}"
            time.sleep(0.5)
        yield instance, logs


def run_job(job, instance, logs, timeout: float, **kwargs):
    box = {}
    runner = threading.Thread(target=lambda: box.update(
        result=dg.execute_job(job, instance=instance, raise_on_error=False, **kwargs)), daemon=True)
    runner.start()
    runner.join(timeout)
    assert "result" in box, f"the run did not finish in {timeout} s:\n{logs()}"
    return box["result"]


def test_gpu_step_runs_on_the_gpu_queue_worker(tmp_path, pg_database, monkeypatch):
    from . import celery_defs

    job = dg.reconstructable(celery_defs.probe_job)
    with celery_cluster(tmp_path, pg_database, monkeypatch) as (instance, logs):
        started = time.monotonic()
        result = run_job(job, instance, logs, RUN_TIMEOUT)
        elapsed = time.monotonic() - started
        failures = [e.event_specific_data.error.message for e in result.all_events
                    if e.event_type_value in ("STEP_FAILURE", "RUN_FAILURE", "ENGINE_EVENT")
                    and getattr(e.event_specific_data, "error", None)]
        assert result.success, (failures, logs())
        where = {}
        for event in result.all_events:
            if event.event_type_value == "ASSET_MATERIALIZATION":
                mat = event.event_specific_data.materialization
                where[mat.asset_key.path[-1]] = {k: v.value for k, v in mat.metadata.items()}
        assert where["heavy_step"]["role"] == "gpu", (where, logs())
        assert where["light_step"]["role"] == "cpu", (where, logs())
        run = instance.get_run_by_id(result.run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        print(f"celery run in {elapsed:.1f} s: {where}")


def test_a_video_partition_runs_through_celery_with_postgres_and_s3(tmp_path, pg_database, bucket, s3_env,
                                                                     monkeypatch):
    """The real make_video job for one partition: steps as Celery tasks (GPU steps on the gpu
    queue's worker), run storage in PostgreSQL, media in S3 (moto), the MP4 published."""
    root = HERE.parent.parent
    extra = {**s3_env, "SHORTSMITH_STORAGE": "s3", "SHORTSMITH_S3_BUCKET": bucket, "SHORTSMITH_S3_PREFIX": "shorts",
             "SHORTSMITH_HOME": str(tmp_path / "home"), "SHORTSMITH_MEDIA": str(tmp_path / "cache"),
             "SHORTSMITH_RENDER_SIZE": "360x640", "SHORTSMITH_AUTOMATION": "off",
             "SHORTSMITH_CHANNELS": str(root / "channels.yaml")}
    key = "curious-minds--why-cats-purr"
    from . import celery_defs

    job = dg.reconstructable(celery_defs.make_video_job)
    with celery_cluster(tmp_path, pg_database, monkeypatch, extra) as (instance, logs):
        instance.add_dynamic_partitions("videos", [key])
        result = run_job(job, instance, logs, 300, tags={"dagster/partition": key})
        assert result.success, logs()
        run = instance.get_run_by_id(result.run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        gpu_log, cpu_log = ((tmp_path / f"{r}.log").read_text() for r in ("gpu", "cpu"))
        # the GPU-tagged steps ran on the gpu queue's worker, the others on the default queue's
        for step in ("voiceovers", "scene_images", "assembled_videos"):
            said = f"Executing steps {step} in celery worker"
            assert said in gpu_log and said not in cpu_log, (step, logs())
        for step in ("video_scripts", "captions", "music", "thumbnails", "published_uploads"):
            said = f"Executing steps {step} in celery worker"
            assert said in cpu_log and said not in gpu_log, (step, logs())
        checks = {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}
        assert checks and all(checks.values()), checks

    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_env["SHORTSMITH_S3_ENDPOINT_URL"], region_name="us-east-1")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="shorts/")["Contents"]}
    video_key = f"shorts/curious-minds/{key}/video/video.mp4"
    assert video_key in keys and f"shorts/curious-minds/{key}/video/manifest.json" in keys
    assert s3.head_object(Bucket=bucket, Key=video_key)["ContentLength"] > 100_000
    assert not any("/_uploads/" in k for k in keys)  # no temporary objects left behind
    published = tmp_path / "home" / "channel" / "curious-minds" / key / "video.mp4"
    assert published.is_file()
