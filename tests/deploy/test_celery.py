"""Celery for real: RabbitMQ on 127.0.0.1:5672, two dagster-celery workers (a `gpu` queue and the
default queue), a run on PostgreSQL whose GPU-tagged step runs on the GPU worker."""

import os
import socket
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from .conftest import VENV_BIN, server

HERE = Path(__file__).resolve().parent
RUN_TIMEOUT = 120
BROKER = os.environ.get("SHORTSMITH_TEST_AMQP", "pyamqp://guest:guest@127.0.0.1:5672//")


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
    assert executor_from_env().name == "multiprocess"
    monkeypatch.setenv("SHORTSMITH_EXECUTOR", "celery")
    monkeypatch.delenv("SHORTSMITH_CELERY_BROKER", raising=False)
    with pytest.raises(ConfigError, match="SHORTSMITH_CELERY_BROKER"):
        executor_from_env()
    monkeypatch.setenv("SHORTSMITH_CELERY_BROKER", BROKER)
    assert executor_from_env().name == "celery"
    monkeypatch.setenv("SHORTSMITH_EXECUTOR", "gpu-magic")
    with pytest.raises(ConfigError, match="multiprocess"):
        executor_from_env()


def test_gpu_step_runs_on_the_gpu_queue_worker(tmp_path, pg_database, monkeypatch):
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
    env = {"DAGSTER_HOME": str(home), "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", "SHORTSMITH_EXECUTOR": "celery", "SHORTSMITH_CELERY_BROKER": BROKER,
           "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    for k, v in env.items():
        monkeypatch.setenv(k, v)

    def worker(role: str, queue: str):
        cmd = [str(VENV_BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
               "-y", str(tmp_path / "celery.yaml"), "-q", queue, "-n", f"{role}-{os.getpid()}@%h",
               "--", "--concurrency=1", "--pool=solo", "--without-gossip", "--without-mingle"]
        return server(cmd, tmp_path / f"{role}.log", env={**env, "SHORTSMITH_WORKER_ROLE": role})

    from . import celery_defs

    job = dg.reconstructable(_celery_probe_job)
    with worker("gpu", "gpu") as gpu, worker("cpu", "dagster") as cpu, \
            dg.DagsterInstance.from_config(str(home)) as instance:
        def logs() -> str:
            return "\n".join((tmp_path / f"{r}.log").read_text()[-2000:] for r in ("gpu", "cpu"))

        deadline = time.monotonic() + 90
        while not all("ready." in (tmp_path / f"{r}.log").read_text() for r in ("gpu", "cpu")):
            assert gpu.poll() is None and cpu.poll() is None, logs()
            assert time.monotonic() < deadline, f"the workers did not come up:\n{logs()}"
            time.sleep(0.5)
        started = time.monotonic()
        box = {}
        runner = threading.Thread(target=lambda: box.update(
            result=dg.execute_job(job, instance=instance, raise_on_error=False)), daemon=True)
        runner.start()
        runner.join(RUN_TIMEOUT)
        assert "result" in box, f"the run did not finish in {RUN_TIMEOUT} s:\n{logs()}"
        result = box["result"]
        elapsed = time.monotonic() - started
        logs = logs()
        assert result.success, logs
        where = {}
        for event in result.all_events:
            if event.event_type_value == "ASSET_MATERIALIZATION":
                mat = event.event_specific_data.materialization
                where[mat.asset_key.path[-1]] = {k: v.value for k, v in mat.metadata.items()}
        assert where["heavy_step"]["role"] == "gpu", (where, logs)
        assert where["light_step"]["role"] == "cpu", (where, logs)
        run = instance.get_run_by_id(result.run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        print(f"celery run in {elapsed:.1f} s: {where}")
    assert celery_defs  # imported so the module is importable by the workers too


def _celery_probe_job():
    from deploy.celery_defs import defs

    return defs.resolve_job_def("celery_probe")
