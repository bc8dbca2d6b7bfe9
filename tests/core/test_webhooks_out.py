"""Signed webhooks out: retried with backoff on 500s, verifiable with the README's recipe, sent once per
subscriber, and never to a private address unless allowed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from shortsmith import webhooks, webhooks_out
from shortsmith.errors import InputError
from tests.standins.server import Request, StandIn, json_reply


class Receiver(StandIn):
    """An API caller's endpoint: answers its queued statuses, then 200."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        super().__init__()

    def route(self, req: Request):
        return json_reply({"ok": True}, self.statuses.pop(0) if self.statuses else 200)


class MemoryStore:
    """The state table's interface in memory (the real one is tested with concurrent processes)."""

    def __init__(self):
        self.data: dict[str, dict] = {}

    def update_many(self, keys, fn):
        values = {k: json.loads(json.dumps(self.data.get(k, {}))) for k in keys}
        new = fn(values)
        values = values if new is None else {**values, **new}
        self.data.update(values)
        return values

    def get(self, key):
        return self.data.get(key, {})

    def keys(self, prefix):
        return sorted(k for k in self.data if k.startswith(prefix))


def readme_recipe_verify(secret: str, headers: dict, body: bytes) -> bool:
    """The verification recipe from the README, written out independently of shortsmith.webhooks."""
    ts = headers["x-shortsmith-timestamp"]
    expected = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    given = [p.strip()[3:] for p in headers["x-shortsmith-signature"].split(",") if p.strip().startswith("v1=")]
    fresh = abs(time.time() - int(ts)) <= 300
    return fresh and any(hmac.compare_digest(expected, g) for g in given)


@pytest.fixture
def allow_loopback(monkeypatch):
    monkeypatch.setenv("SHORTSMITH_ALLOW_PRIVATE_URLS", "1")


def test_retried_on_500_with_backoff_and_the_signature_verifies(allow_loopback):
    store = MemoryStore()
    with Receiver([500, 503]) as rx:
        sub = webhooks_out.subscribe(store, f"{rx.url}/hooks", ["video.completed"])
        waits: list[float] = []
        results = webhooks_out.emit(store, "video.completed", {"partition": "ch--t"}, event_id="evt_1",
                                    deliver_fn=lambda *a: webhooks_out.deliver(*a, sleep=waits.append))
        assert results[sub["id"]] == [500, 503, 200] and waits == [1.0, 4.0]  # backoff between attempts
        assert len(rx.requests) == 3
        for req in rx.requests:
            assert readme_recipe_verify(sub["secret"], req.headers, req.body)
            assert not readme_recipe_verify(sub["secret"] + "x", req.headers, req.body)
            assert webhooks.verify(req.headers, req.body, sub["secret"]) == "evt_1"
        event = rx.requests[-1].json()
        assert event["type"] == "video.completed" and event["data"] == {"partition": "ch--t"} and event["id"] == "evt_1"
        # the same event again (a sensor tick repeated): not sent twice; another type: not subscribed
        webhooks_out.emit(store, "video.completed", {"partition": "ch--t"}, event_id="evt_1")
        webhooks_out.emit(store, "video.failed", {"partition": "ch--t"}, event_id="evt_2")
        assert len(rx.requests) == 3


def test_a_delivery_that_keeps_failing_is_retried_on_a_later_tick(allow_loopback):
    store = MemoryStore()
    with Receiver([500] * 5) as rx:
        webhooks_out.subscribe(store, rx.url, None)

        def fast(*a):
            return webhooks_out.deliver(*a, sleep=lambda s: None)
        webhooks_out.emit(store, "video.failed", {"partition": "ch--t", "error": "boom"}, event_id="evt_f",
                          deliver_fn=fast)
        assert len(rx.requests) == 5  # all five attempts answered 500
        assert webhooks_out.retry_pending(store, deliver_fn=fast) == 1 and len(rx.requests) == 6
        assert webhooks_out.retry_pending(store, deliver_fn=fast) == 0  # delivered now


def test_callback_urls_are_checked_like_any_outbound_url(monkeypatch):
    monkeypatch.delenv("SHORTSMITH_ALLOW_PRIVATE_URLS", raising=False)
    for url in ("http://127.0.0.1:8080/x", "http://10.1.2.3/x", "http://169.254.169.254/latest", "http://[::1]/x"):
        with pytest.raises(InputError) as e:
            webhooks_out.check_url(url)
        assert e.value.field == "url" and "SHORTSMITH_ALLOW_PRIVATE_URLS" in e.value.fix
    for url in ("ftp://example.com/x", "https://user:pw@example.com/x", "not a url"):
        with pytest.raises(InputError):
            webhooks_out.check_url(url)
    assert webhooks_out.check_url("https://hooks.example.com/x", resolve=lambda h: ["93.184.216.34"])
    with pytest.raises(InputError):  # a public name that resolves to a private address
        webhooks_out.check_url("https://internal.example.com/x", resolve=lambda h: ["192.168.1.5"])
    monkeypatch.setenv("SHORTSMITH_ALLOW_PRIVATE_URLS", "1")
    assert webhooks_out.check_url("http://127.0.0.1:8080/x")
