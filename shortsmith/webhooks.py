"""Signed webhooks: one signature scheme for callbacks we receive and events we send.

A webhook carries three headers:

* ``X-Shortsmith-Event-Id``: the event's unique id (each id is accepted once);
* ``X-Shortsmith-Timestamp``: seconds since the epoch when it was signed;
* ``X-Shortsmith-Signature``: ``v1=<hex>``, HMAC-SHA256 with the shared secret over
  ``<timestamp>.<raw body>`` (several ``v1=`` values separated by commas while a secret rotates).

To verify (the README's recipe): take the raw body bytes as received, compute
``hmac_sha256(secret, f"{timestamp}.".encode() + body)``, compare its hex digest in constant time
with each ``v1=`` value, refuse a timestamp more than 5 minutes from now, and remember the event id
so the same event is never processed twice.

The inbox (:func:`accept`) keeps verified events durably in the project's state table (any object
with ``update_many``/``get``/``keys``, e.g. ``pipeline_defs.state.StateStore``): the replay mark and
the event are written in one transaction, so under any number of concurrent receivers an event id
is stored once. Events are kept by the job they answer, whether or not that job is known yet.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol

ID_HEADER = "X-Shortsmith-Event-Id"
TIMESTAMP_HEADER = "X-Shortsmith-Timestamp"
SIGNATURE_HEADER = "X-Shortsmith-Signature"
TOLERANCE_S = 300  # a signature older (or newer) than 5 minutes is refused
MAX_BODY = 64 * 1024  # bytes: a callback is a small JSON document
SEEN_PREFIX = "webhook/seen/"
EVENT_PREFIX = "webhook/event/"


class Store(Protocol):
    def update_many(self, keys: list[str], fn: Callable[[dict[str, dict]], dict[str, dict] | None]) -> dict[str, dict]:
        ...

    def get(self, key: str) -> dict:
        ...

    def keys(self, prefix: str) -> list[str]:
        ...


class WebhookRejected(Exception):
    """A webhook that is not accepted: ``status`` is the HTTP answer, nothing was stored."""

    def __init__(self, status: int, error: str, field: str, fix: str):
        super().__init__(error)
        self.status, self.error, self.field, self.fix = status, error, field, fix


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Shortsmith-Signature`` value for ``body`` signed at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signed_headers(secret: str, event_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """Every header of a signed webhook carrying ``body``."""
    ts = int(time.time() if now is None else now)
    return {ID_HEADER: event_id, TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: sign(secret, ts, body),
            "Content-Type": "application/json"}


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return value


def verify(headers: Any, body: bytes, secret: str | None, *, now: float | None = None,
           tolerance_s: int = TOLERANCE_S, validate: bool = True, max_body: int = MAX_BODY) -> str:
    """Check a received webhook; return its event id or raise :class:`WebhookRejected`.

    ``validate=False`` (an explicit per-provider switch) skips the signature and timestamp checks
    but still needs an event id (replays stay refused)."""
    if len(body) > max_body:
        raise WebhookRejected(413, f"the body is over {max_body} bytes", "body", "send a smaller callback")
    event_id = (_header(headers, ID_HEADER) or "").strip()
    if not event_id or len(event_id) > 200:
        raise WebhookRejected(400, f"the {ID_HEADER} header is missing or too long", ID_HEADER,
                              "send each event with its unique id (at most 200 characters)")
    if not validate:
        return event_id
    if not secret:
        raise WebhookRejected(503, "no signing secret is configured for this provider", "secret",
                              "set the provider's webhook secret, or switch its validation off explicitly")
    ts_text, sig_text = _header(headers, TIMESTAMP_HEADER), _header(headers, SIGNATURE_HEADER)
    if not ts_text or not sig_text:
        missing = TIMESTAMP_HEADER if not ts_text else SIGNATURE_HEADER
        raise WebhookRejected(400, f"the {missing} header is missing", missing,
                              "sign every webhook (see the README's verification recipe)")
    try:
        ts = int(ts_text.strip())
    except ValueError:
        raise WebhookRejected(400, f"{TIMESTAMP_HEADER} is not a whole number of seconds", TIMESTAMP_HEADER,
                              "send the signing time as Unix seconds") from None
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        raise WebhookRejected(401, f"the timestamp is {abs(current - ts):.0f} s from now (limit {tolerance_s} s)",
                              TIMESTAMP_HEADER, "sign each delivery when it is sent; check the sender's clock")
    expected = sign(secret, ts, body)
    given = [part.strip() for part in sig_text.split(",") if part.strip().startswith("v1=")]
    # compare every candidate (no early exit on the first match): constant time per candidate
    ok = False
    for candidate in given:
        ok |= hmac.compare_digest(candidate.encode(), expected.encode())
    if not ok:
        raise WebhookRejected(401, "the signature does not match the body", SIGNATURE_HEADER,
                              "sign <timestamp>.<raw body> with HMAC-SHA256 and the shared secret")
    return event_id


@dataclass
class Accepted:
    provider: str
    event_id: str
    job_id: str


def _key_part(text: str) -> str:
    """A key segment: readable when the text is plain, else its hash (two different ids never share a key)."""
    if text and len(text) <= 120 and all(c.isalnum() or c in "-_.:" for c in text):
        return text
    return "h_" + hashlib.sha256(text.encode()).hexdigest()[:40]


def event_key(provider: str, job_id: str) -> str:
    return f"{EVENT_PREFIX}{_key_part(provider)}/{_key_part(job_id)}"


def accept(store: Store, provider: str, event_id: str, job_id: str, payload: Any, *,
           verified: bool = True, now: float | None = None) -> Accepted:
    """Store a verified event under its job, once per event id (one transaction); a second delivery
    of the same id raises :class:`WebhookRejected` (409) and stores nothing."""
    seen = f"{SEEN_PREFIX}{_key_part(provider)}/{_key_part(event_id)}"
    key = event_key(provider, job_id)
    at = time.time() if now is None else now
    duplicate = [False]

    def put(values: dict[str, dict]) -> dict[str, dict] | None:
        if values[seen]:
            duplicate[0] = True
            return None
        events = list(values[key].get("events", []))
        events.append({"event_id": event_id, "received_at": at, "verified": verified, "payload": payload})
        return {seen: {"at": at, "job_id": job_id}, key: {"provider": provider, "job_id": job_id, "events": events}}

    store.update_many([seen, key], put)
    if duplicate[0]:
        raise WebhookRejected(409, f"event {event_id} was already received", ID_HEADER,
                              "nothing to do: each event is processed once")
    return Accepted(provider=provider, event_id=event_id, job_id=job_id)


def events_for(store: Store, provider: str, job_id: str) -> list[dict]:
    """The stored events of one job, oldest first (kept even if they came before the job was known)."""
    return list(store.get(event_key(provider, job_id)).get("events", []))


def job_id_of(payload: Any) -> str | None:
    """The job a callback answers: ``data.task_id`` (Suno-style), ``task_id``, ``job_id`` or ``id``."""
    if not isinstance(payload, dict):
        return None
    data = payload.get("data")
    for source in (data if isinstance(data, dict) else {}, payload):
        for name in ("task_id", "taskId", "job_id", "jobId"):
            value = source.get(name)
            if isinstance(value, (str, int)) and str(value):
                return str(value)
    return None


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise WebhookRejected(400, "the body is not JSON", "body", "send the callback as a JSON document") from None
