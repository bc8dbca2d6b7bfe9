"""Signed webhooks out: an API caller's callback URL gets video.completed / video.failed /
video.published events, signed like the callbacks we receive (``shortsmith.webhooks``), retried
with backoff.

Subscriptions live in the state table (``webhook/subscription/<id>``: url, events, secret); each
delivery is recorded under ``webhook/delivery/<subscription>/<event id>`` so an event is delivered
to a subscriber once even when the emitting sensor runs again.

A callback URL is checked like any outbound URL (:func:`check_url`): http(s) only, and a host that
resolves to a private, loopback, link-local or reserved address is refused unless
``SHORTSMITH_ALLOW_PRIVATE_URLS=1``. (A small check of our own; the lead may merge it with
``shortsmith/intake/urls.py``.)
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import socket
import time
import uuid
from typing import Any, Callable
from urllib.parse import urlsplit

import httpx

from .errors import InputError
from .webhooks import Store, signed_headers

EVENTS = ("video.completed", "video.failed", "video.published")
SUB_PREFIX = "webhook/subscription/"
DELIVERY_PREFIX = "webhook/delivery/"
BACKOFF_S = (1.0, 4.0, 15.0, 60.0)  # waits between the 5 attempts of one delivery


def private_allowed() -> bool:
    return os.environ.get("SHORTSMITH_ALLOW_PRIVATE_URLS", "") == "1"


def check_url(url: str, *, field: str = "url", resolve: Callable[[str], list[str]] | None = None) -> str:
    """``url`` if it is a usable outbound http(s) URL to a public host, else an InputError naming the fix."""
    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url!r} is not an http(s) URL", field=field, fix="use a URL like https://example.com/hooks")
    if parts.username or parts.password:
        raise InputError("the URL carries a user name or password", field=field,
                         fix="put credentials in your endpoint's own checks, not in the URL")
    if private_allowed():
        return url.strip()
    host = parts.hostname
    try:
        addresses = (resolve or _resolve)(host)
    except OSError:
        raise InputError(f"the host {host!r} does not resolve", field=field, fix="use a host name that resolves") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise InputError(f"the host {host!r} resolves to the non-public address {ip}", field=field,
                             fix="use a public URL, or set SHORTSMITH_ALLOW_PRIVATE_URLS=1 on a trusted network")
    return url.strip()


def _resolve(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


def subscribe(store: Store, url: str, events: list[str] | None, *, owner: str = "") -> dict:
    """Register a callback URL; returns the subscription with its signing secret (shown once)."""
    events = list(events or EVENTS)
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InputError(f"unknown event(s) {', '.join(unknown)}", field="events", fix=f"use any of {', '.join(EVENTS)}")
    url = check_url(url)
    sub_id = "sub_" + uuid.uuid4().hex[:16]
    sub: dict = {"id": sub_id, "url": url, "events": events, "owner": owner,
                 "secret": "whsec_" + secrets.token_urlsafe(32), "created_at": time.time()}
    store.update_many([SUB_PREFIX + sub_id], lambda values: {SUB_PREFIX + sub_id: sub})
    return sub


def subscriptions(store: Store) -> list[dict]:
    return [v for v in (store.get(k) for k in store.keys(SUB_PREFIX)) if v.get("url")]


def deliver(url: str, secret: str, event: dict, *, client: httpx.Client | None = None,
            backoff: tuple[float, ...] | None = None, sleep: Callable[[float], None] = time.sleep,
            timeout_s: float = 10.0) -> list[int | str]:
    """POST ``event`` (signed) to ``url``, retrying 5xx, 429, timeouts and cut connections with backoff;
    each attempt is signed afresh (its own timestamp). Returns each attempt's status (or error name);
    the last is 2xx when delivered."""
    backoff = BACKOFF_S if backoff is None else backoff
    body = json.dumps(event, sort_keys=True).encode()
    attempts: list[int | str] = []
    own = client is None
    http = client or httpx.Client(timeout=timeout_s, follow_redirects=False)
    try:
        for i in range(len(backoff) + 1):
            try:
                r = http.post(url, content=body, headers=signed_headers(secret, event["id"], body))
                attempts.append(r.status_code)
                if r.status_code < 300 or (400 <= r.status_code < 500 and r.status_code not in (408, 429)):
                    return attempts  # delivered, or refused for good (a 4xx other than 408/429)
                wait = backoff[i] if i < len(backoff) else 0.0
                retry_after = r.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    wait = max(wait, min(float(retry_after), 300.0))
            except httpx.TransportError as exc:
                attempts.append(type(exc).__name__)
                wait = backoff[i] if i < len(backoff) else 0.0
            if i < len(backoff):
                sleep(wait)
        return attempts
    finally:
        if own:
            http.close()


def emit(store: Store, event_type: str, data: dict[str, Any], *, event_id: str | None = None,
         deliver_fn: Callable[..., list[int | str]] = deliver) -> dict[str, list[int | str]]:
    """Send one event to every subscriber of its type, once per subscriber and event id."""
    if event_type not in EVENTS:
        raise ValueError(f"unknown event type {event_type}")
    event = {"id": event_id or "evt_" + uuid.uuid4().hex, "type": event_type, "created": int(time.time()),
             "data": data}
    results: dict[str, list[int | str]] = {}
    for sub in subscriptions(store):
        if event_type not in sub.get("events", EVENTS):
            continue
        key = f"{DELIVERY_PREFIX}{sub['id']}/{event['id']}"
        if store.get(key).get("delivered"):
            continue
        try:
            check_url(sub["url"])
        except InputError as exc:  # the host now resolves somewhere private: never send there
            results[sub["id"]] = [f"refused: {exc.message}"]
            continue
        results[sub["id"]] = _send(store, key, sub, event, [], deliver_fn)
    return results


def _send(store: Store, key: str, sub: dict, event: dict, earlier: list, deliver_fn: Callable[..., list[int | str]]
          ) -> list[int | str]:
    attempts = deliver_fn(sub["url"], sub["secret"], event)
    ok = bool(attempts) and isinstance(attempts[-1], int) and attempts[-1] < 300
    refused = bool(attempts) and isinstance(attempts[-1], int) and 400 <= attempts[-1] < 500 \
        and attempts[-1] not in (408, 429)
    record: dict = {"delivered": ok, "given_up": refused, "attempts": earlier + attempts, "at": time.time(),
                    "subscription": sub["id"], "event": event}
    store.update_many([key], lambda values: {key: record})
    return attempts


def retry_pending(store: Store, *, max_attempts: int = 25, deliver_fn: Callable[..., list[int | str]] = deliver
                  ) -> int:
    """Deliver again every event whose delivery failed (server errors, timeouts) on an earlier tick,
    until ``max_attempts`` attempts in all; returns how many were retried."""
    subs = {s["id"]: s for s in subscriptions(store)}
    retried = 0
    for key in store.keys(DELIVERY_PREFIX):
        record = store.get(key)
        sub = subs.get(record.get("subscription", ""))
        if record.get("delivered") or record.get("given_up") or sub is None or not record.get("event"):
            continue
        if len(record.get("attempts", [])) >= max_attempts:
            continue
        _send(store, key, sub, record["event"], list(record.get("attempts", [])), deliver_fn)
        retried += 1
    return retried
