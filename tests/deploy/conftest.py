"""Real servers for the deployment tests, each started on a free loopback port and stopped after.

Servers run in their own session (process group) and the whole group is killed in teardown:
some (``dagster dev``, the webserver) ignore SIGTERM when started from a non-interactive shell.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent
ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_group(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # children may outlive the leader
    except ProcessLookupError:
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"server exited with {proc.returncode} before {url} answered:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500:
                    return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.3)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s ({last}):\n{tail}")


@contextmanager
def server(cmd: list[str], log: Path, *, env: dict | None = None, cwd: str | Path | None = None):
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, **(env or {})}, cwd=cwd)
    try:
        yield proc
    finally:
        stop_group(proc)


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    """A real S3 API server (moto_server) on loopback; yields its endpoint URL."""
    exe = VENV_BIN / "moto_server"
    if not exe.exists():
        pytest.skip("moto[server] is not installed (pip install -e '.[dev]')")
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with server([str(exe), "-H", "127.0.0.1", "-p", str(port)], log) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/moto-api/", 30, proc, log)
        yield url


@pytest.fixture
def s3_env(moto_endpoint, monkeypatch):
    """AWS settings pointing boto3 at moto (fake credentials; moto accepts any)."""
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
           "SHORTSMITH_S3_ENDPOINT_URL": moto_endpoint}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    return env


@pytest.fixture
def bucket(s3_env, request):
    """A fresh bucket per test."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_env["SHORTSMITH_S3_ENDPOINT_URL"], region_name="us-east-1")
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40].strip("-")
    name = f"shortsmith-{slug}-{os.urandom(3).hex()}"
    client.create_bucket(Bucket=name)
    return name


PG_DSN = os.environ.get("SHORTSMITH_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")


@pytest.fixture
def pg_database():
    """A temporary PostgreSQL database on the local server (trust auth); dropped after the test."""
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(PG_DSN, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {PG_DSN}: {exc}")
    admin.autocommit = True
    name = f"shortsmith_test_{os.urandom(4).hex()}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    params = dict(p.split("=", 1) for p in PG_DSN.split())
    try:
        yield {"host": params.get("host", "127.0.0.1"), "port": params.get("port", "5432"),
               "user": params.get("user", "postgres"), "password": params.get("password", ""), "db": name}
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def deploy_instance_env(pg: dict, s3_endpoint: str, logs_bucket: str) -> dict:
    """The environment deploy/dagster.yaml reads, pointing at the test's PostgreSQL and S3 servers."""
    return {
        "DAGSTER_PG_HOST": pg["host"], "DAGSTER_PG_PORT": str(pg["port"]), "DAGSTER_PG_DB": pg["db"],
        "DAGSTER_PG_USER": pg["user"], "DAGSTER_PG_PASSWORD": pg["password"],
        "DAGSTER_MAX_CONCURRENT_RUNS": "2",
        "DAGSTER_COMPUTE_LOGS_BUCKET": logs_bucket, "DAGSTER_COMPUTE_LOGS_PREFIX": "compute-logs",
        "DAGSTER_S3_ENDPOINT_URL": s3_endpoint, "AWS_REGION": "us-east-1",
    }
