"""The studio's /v1 API in-process: keys, rate and size limits, errors naming the field, CSRF on forms,
and schemathesis against the app's own OpenAPI document."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from starlette.testclient import TestClient

from studio import db
from studio.app import create_app

CHANNEL = "curious-minds"


@pytest.fixture
def client(studio_env):
    with TestClient(create_app(studio_env, rate_per_minute=1000)) as c:
        yield c


def test_keys_none_wrong_revoked_and_only_the_hash_is_stored(client, workdir):
    assert client.get("/v1/videos").json() == {"error": "no API key", "field": "X-API-Key",
                                                "fix": "send the header X-API-Key: <key>"}
    key_id, key = db.create_key("tests")
    wrong = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    r = client.get("/v1/videos", headers={"X-API-Key": wrong})
    assert r.status_code == 401 and r.json()["error"] == "the X-API-Key is not valid"
    assert client.get("/v1/videos", headers={"X-API-Key": "nonsense"}).status_code == 401
    ok = client.get("/v1/videos", headers={"X-API-Key": key})
    assert ok.status_code == 200 and ok.json() == {"items": [], "total": 0}
    assert db.revoke_key(key_id)
    r = client.get("/v1/videos", headers={"X-API-Key": key})
    assert r.status_code == 401 and f"{key_id} was revoked" in r.json()["error"]
    secret = key.split("_", 2)[2]
    stored = (workdir / "home" / "studio.sqlite").read_bytes()
    assert secret.encode() not in stored and key_id.encode() in stored


def test_rate_limit_per_key_answers_429_with_retry_after(studio_env):
    _, a = db.create_key("a")
    _, b = db.create_key("b")
    with TestClient(create_app(studio_env, rate_per_minute=3)) as c:
        codes = [c.get("/v1/channels", headers={"X-API-Key": a}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = c.get("/v1/channels", headers={"X-API-Key": a})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1 and r.json()["field"] == "X-API-Key"
        assert c.get("/v1/channels", headers={"X-API-Key": b}).status_code == 200  # per key, not global


def test_oversized_bodies_are_refused_declared_or_streamed(studio_env):
    _, key = db.create_key("big")
    with TestClient(create_app(studio_env, max_body=10_000)) as c:
        big = {"channel": CHANNEL, "narrative": "# T\n\n" + "word " * 5000}
        r = c.post("/v1/videos", json=big, headers={"X-API-Key": key})
        assert r.status_code == 413 and r.json()["field"] == "body"

        def chunks():  # no Content-Length: counted as it streams
            for _ in range(30):
                yield b"x" * 1000

        r = c.post("/v1/videos", content=chunks(), headers={"X-API-Key": key, "Content-Type": "application/json"})
        assert r.status_code == 413


def test_errors_name_the_field(client):
    _, key = db.create_key("errors")
    h = {"X-API-Key": key}
    r = client.post("/v1/videos", json={"topic": "Why cats purr"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "channel"
    r = client.post("/v1/videos", json={"channel": "nope", "topic": "Why cats purr"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "channel" and CHANNEL in r.json()["fix"]
    r = client.post("/v1/videos", json={"channel": CHANNEL}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "topic"
    r = client.post("/v1/videos", json={"channel": CHANNEL, "narrative": "no title here"}, headers=h)
    assert r.status_code == 422 and "title" in r.json()["field"]
    r = client.get("/v1/videos/curious-minds--nothing", headers=h)
    assert r.status_code == 404 and r.json()["field"] == "partition"
    r = client.post("/v1/videos/curious-minds--nothing/reject", json={"rerender": ["paint"]}, headers=h)
    assert r.status_code == 422 and r.json()["field"].startswith("rerender")


def test_forms_need_the_csrf_token_and_create_a_queued_run(client, studio_env):
    r = client.post("/new", data={"channel": CHANNEL, "topic": "How bees make honey", "csrf": "forged"})
    assert r.status_code == 403 and r.json()["field"] == "csrf"
    page = client.get("/new")
    assert 'name="channel"' in page.text and "curious-minds" in page.text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    narrative = ("# The lighthouse keeper's cat\n\nA cat once saved a lighthouse. The keeper had fallen ill.\n\n"
                 "For three nights the lamp stayed dark and ships were in danger.\n\n"
                 "The cat kept the keeper warm and woke him at dusk.\n\n"
                 "He climbed the stairs and lit the lamp once more.\n\nThe ships passed safely by the rocks.\n")
    r = client.post("/new", data={"channel": CHANNEL, "csrf": token},
                    files={"narrative": ("cat.md", narrative.encode(), "text/markdown")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    key = r.headers["location"].rsplit("/", 1)[-1]
    assert key == "curious-minds--the-lighthouse-keeper-s-cat"
    runs = studio_env.instance.get_runs()
    assert len(runs) == 1 and runs[0].tags["dagster/partition"] == key
    assert runs[0].tags["shortsmith/channel"] == CHANNEL and runs[0].status.value == "QUEUED"  # the daemon runs it
    request = studio_env.store.read_record("requests", key)
    assert request["narrative"]["title"] == "The lighthouse keeper's cat"
    page = client.get(f"/videos/{key}")
    assert page.status_code == 200 and "making" in page.text
    assert client.get("/").text.count('class="card"') == 1


def test_schemathesis_against_the_apps_own_openapi(studio_env):
    """Generated inputs (up to 20 per operation) for every operation: no 5xx, answers match the documented schema."""
    from hypothesis import given
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    key = db.create_key("schemathesis")[1]
    studio_env.launcher._workspace_context()  # the code server starts once, before the timed calls
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(studio_env, rate_per_minute=1_000_000))
    operations, cases, by_status, failures = [], 0, {}, []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            nonlocal cases
            # a narrative's rules (a title, 2+ paragraphs, the channel's length) are beyond JSON Schema
            # ... and so is whether a callback URL resolves to a public address
            excluded = [positive_data_acceptance] if isinstance(case.body, dict) and (
                "narrative" in case.body or "url" in case.body) else []
            response = case.call_and_validate(headers={"X-API-Key": key}, excluded_checks=excluded, timeout=60)
            cases += 1
            by_status[response.status_code] = by_status.get(response.status_code, 0) + 1

        try:
            run()
        except Exception as exc:
            import traceback

            failures.append(f"{operations[-1]}: " + "".join(traceback.format_exception(exc))[-5000:])
    print(f"\nschemathesis: {len(operations)} operations, {cases} cases, status codes {dict(sorted(by_status.items()))}")
    assert not failures, "\n\n".join(failures)
    assert len(operations) >= 8 and cases >= 100


def test_the_form_takes_a_fact_source_url(client, studio_env):
    """A topic with a source: the page is read (over loopback) before the partition exists; a bad one is named."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    article = ("<html><head><title>Bees</title></head><body><article><h1>How bees make honey</h1>"
               + "".join(f"<p>Worker bees carry nectar home and pass it mouth to mouth, fact number {i}, "
                         "while fanning their wings to dry it into honey inside wax cells.</p>" for i in range(8))
               + "</article></body></html>").encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/bees" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(article if self.path == "/bees" else b"")

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        page = client.get("/new")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        url = f"http://127.0.0.1:{httpd.server_port}"
        bad = client.post("/new", data={"channel": CHANNEL, "topic": "How bees make honey", "csrf": token,
                                        "source": url + "/missing"})
        assert bad.status_code == 200 and "source" in bad.text and 'class="err"' in bad.text
        assert not studio_env.instance.get_dynamic_partitions("videos")
        r = client.post("/new", data={"channel": CHANNEL, "topic": "How bees make honey", "csrf": token,
                                      "source": url + "/bees"}, follow_redirects=False)
        assert r.status_code == 303, r.text
        request = studio_env.store.read_record("requests", "curious-minds--how-bees-make-honey")
        assert request["fact_source"] == url + "/bees"
    finally:
        httpd.shutdown()
