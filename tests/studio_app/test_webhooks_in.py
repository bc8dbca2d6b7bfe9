"""Signed callbacks into the studio: every refusal answers its status and stores nothing; a valid one
is stored once, under its job, even before the job is known; replays are refused across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline_defs.state import StateStore
from shortsmith import webhooks
from studio.app import create_app

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_test_0123456789"


@pytest.fixture
def client(studio_env, monkeypatch):
    monkeypatch.setenv("SHORTSMITH_WEBHOOK_SECRET_MUSICAPI", SECRET)
    with TestClient(create_app(studio_env, rate_per_minute=1000)) as c:
        c.store = StateStore(studio_env.instance)
        yield c


def callback(task_id: str = "task-1") -> bytes:
    return json.dumps({"code": 200, "msg": "All generated successfully.",
                       "data": {"callbackType": "complete", "task_id": task_id,
                                "data": [{"id": "a1", "audio_url": "http://127.0.0.1:9/a.mp3", "duration": 30.0}]}}
                      ).encode()


def stored(store) -> list[str]:
    return store.keys(webhooks.SEEN_PREFIX) + store.keys(webhooks.EVENT_PREFIX)


def test_valid_callback_is_stored_under_its_job_before_the_job_is_known(client):
    body = callback("unknown-yet")
    r = client.post("/v1/webhooks/musicapi", content=body, headers=webhooks.signed_headers(SECRET, "evt-1", body))
    assert r.status_code == 202, r.text
    events = webhooks.events_for(client.store, "musicapi", "unknown-yet")
    assert [e["event_id"] for e in events] == ["evt-1"] and events[0]["verified"] is True
    assert events[0]["payload"]["data"]["data"][0]["duration"] == 30.0


CASES = [("wrong_secret", 401), ("body_changed", 401), ("stale", 401), ("future", 401), ("no_signature", 400),
         ("no_timestamp", 400), ("no_event_id", 400), ("oversized", 413), ("unconfigured_provider", 404)]


def test_refused_callbacks_answer_their_status_and_store_nothing(client):
    for case, status in CASES:
        body = callback()
        now = time.time()
        headers = webhooks.signed_headers(SECRET, f"evt-{case}", body, now=now)
        url = "/v1/webhooks/musicapi"
        if case == "wrong_secret":
            headers = webhooks.signed_headers(SECRET + "x", f"evt-{case}", body, now=now)
        elif case == "body_changed":
            body = body.replace(b"task-1", b"task-2")  # one byte
        elif case == "stale":
            headers = webhooks.signed_headers(SECRET, f"evt-{case}", body, now=now - 301)
        elif case == "future":
            headers = webhooks.signed_headers(SECRET, f"evt-{case}", body, now=now + 400)
        elif case == "no_signature":
            del headers[webhooks.SIGNATURE_HEADER]
        elif case == "no_timestamp":
            del headers[webhooks.TIMESTAMP_HEADER]
        elif case == "no_event_id":
            del headers[webhooks.ID_HEADER]
        elif case == "oversized":
            body = json.dumps({"task_id": "t", "pad": "x" * (webhooks.MAX_BODY + 10)}).encode()
            headers = webhooks.signed_headers(SECRET, f"evt-{case}", body, now=now)
        elif case == "unconfigured_provider":
            url = "/v1/webhooks/othermusic"
        r = client.post(url, content=body, headers=headers)
        assert r.status_code == status, (case, r.text)
        assert r.json()["field"] and r.json()["fix"], case
        assert stored(client.store) == [], case
    # the control: the same request, correctly signed, is stored
    body = callback()
    assert client.post("/v1/webhooks/musicapi", content=body,
                       headers=webhooks.signed_headers(SECRET, "evt-ok", body)).status_code == 202
    assert len(stored(client.store)) == 2


def test_replayed_event_id_is_refused_and_stored_once(client):
    body = callback()
    headers = webhooks.signed_headers(SECRET, "evt-r", body)
    assert client.post("/v1/webhooks/musicapi", content=body, headers=headers).status_code == 202
    again = client.post("/v1/webhooks/musicapi", content=body, headers=headers)
    assert again.status_code == 409 and again.json()["field"] == webhooks.ID_HEADER
    assert len(webhooks.events_for(client.store, "musicapi", "task-1")) == 1


def test_validation_off_only_by_the_explicit_switch(client, monkeypatch):
    body = callback("t-unsigned")
    r = client.post("/v1/webhooks/plainmusic", content=body, headers={webhooks.ID_HEADER: "u1"})
    assert r.status_code == 404  # neither a secret nor the switch: refused
    monkeypatch.setenv("SHORTSMITH_WEBHOOK_VALIDATE_PLAINMUSIC", "0")
    r = client.post("/v1/webhooks/plainmusic", content=body, headers={webhooks.ID_HEADER: "u1"})
    assert r.status_code == 202
    assert webhooks.events_for(client.store, "plainmusic", "t-unsigned")[0]["verified"] is False


WORKER = """
import json, sys
from types import SimpleNamespace
from pipeline_defs.state import StateStore
from shortsmith import webhooks
# the instance's database by URL (as the studio and the run workers reach it), without importing Dagster
store = StateStore(SimpleNamespace(run_storage=SimpleNamespace(_conn_string=sys.argv[2])))
worker = int(sys.argv[1])
ok = dup = 0
print("ready", flush=True)
sys.stdin.readline()  # every worker starts writing at the same moment
for i in range(10):
    for event_id, job in (("shared-%d" % i, "job-shared"), ("own-%d-%d" % (worker, i), "job-%d" % worker)):
        try:
            webhooks.accept(store, "musicapi", event_id, job, {"i": i})
            ok += 1
        except webhooks.WebhookRejected:
            dup += 1
print(json.dumps({"ok": ok, "dup": dup}))
"""


def test_replay_store_holds_under_concurrent_processes(tmp_path):
    import dagster as dg

    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    from pipeline_defs.state import database_url

    with dg.DagsterInstance.from_config(str(home)) as instance:
        StateStore(instance)  # table created once up front
        url = database_url(instance)
    assert url and url.startswith("sqlite")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(w), url], env=env, cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for w in range(3)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()[-2000:]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["ok"] for r in results) == 10 + 3 * 10  # each shared id once, every own id once
    assert sum(r["dup"] for r in results) == 2 * 10
    with dg.DagsterInstance.from_config(str(home)) as instance:
        store = StateStore(instance)
        shared = webhooks.events_for(store, "musicapi", "job-shared")
        assert sorted(e["event_id"] for e in shared) == sorted(f"shared-{i}" for i in range(10))
        for w in range(3):
            assert len(webhooks.events_for(store, "musicapi", f"job-{w}")) == 10
