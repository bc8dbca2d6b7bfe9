"""Calling cloud providers safely: retries, Retry-After, circuit breakers, rate limits (no Dagster).

Every cloud resource wraps its SDK call in ``call_with_retries``. The resource supplies a
``classify`` function that turns the SDK's exception into a :class:`ProviderError` saying
whether the failure is transient (429, 5xx, timeout, cut connection, malformed body) or
caused by the request (other 4xx: a clear error, never retried).

State that must hold across runs and processes is kept behind two small interfaces:

- :class:`KeyValue` (``get``/``set`` of small JSON dicts) for circuit breakers; the Dagster
  side backs it with the instance's key-value store, tests with :class:`MemoryKV`.
- :class:`SqliteRateLimiter` for request rates: a sliding one-minute window in a SQLite file
  under ``SHORTSMITH_HOME``, so parallel runs and processes on one host share one budget.
  (Concurrency across hosts is bounded by Dagster pools; see README "Cloud providers".)
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import random
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable, Mapping, Protocol, TypeVar

from .errors import ShortsmithError

T = TypeVar("T")


class ProviderError(ShortsmithError):
    """A provider call failed. ``transient`` failures may be retried (or fall back)."""

    def __init__(self, message: str, *, provider: str, status: int | None = None, retry_after: float | None = None,
                 transient: bool = False, field: str | None = None, fix: str | None = None):
        self.provider = provider
        self.status = status
        self.retry_after = retry_after
        self.transient = transient
        self.detail = message  # without the "<provider>: " prefix
        super().__init__(f"{provider}: {message}", field=field or f"providers.{provider}", fix=fix)


class ProviderUnavailable(ProviderError):
    """The provider is not configured here (no key) or its circuit is open; try the next one."""

    def __init__(self, message: str, *, provider: str, fix: str | None = None, field: str | None = None, **_: object):
        super().__init__(message, provider=provider, transient=True, fix=fix, field=field)


def retry_after_seconds(headers: Any, now: float | None = None) -> float | None:
    """The wait a ``Retry-After`` (or ``retry-after-ms``) header asks for, in seconds, or None."""
    if not headers:
        return None
    get = headers.get if hasattr(headers, "get") else dict(headers).get
    ms = get("retry-after-ms") or get("Retry-After-Ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = get("retry-after") or get("Retry-After")
    if not value:
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now_dt = datetime.fromtimestamp(now if now is not None else time.time(), timezone.utc)
    return max(0.0, (when - now_dt).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; ``Retry-After`` wins when the server sends it."""

    max_attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    max_retry_after_s: float = 120.0  # a longer Retry-After is not waited for: the call fails (transient)

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        if retry_after is not None:
            return retry_after
        cap = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        return (rng or random).uniform(cap / 2, cap)


def call_with_retries(fn: Callable[[], T], *, provider: str, classify: Callable[[BaseException], ProviderError | None],
                      policy: RetryPolicy = RetryPolicy(), sleep: Callable[[float], None] = time.sleep,
                      log: Callable[[str], None] | None = None, before_attempt: Callable[[], None] | None = None,
                      secrets: Iterable[str] = ()) -> T:
    """Call ``fn`` until it succeeds, a non-transient error occurs, or the attempts run out.

    ``classify`` maps an exception to a ProviderError (or None for an exception that is not the
    provider's, which propagates unchanged). ``before_attempt`` runs before every attempt (the
    rate limiter). Messages are scrubbed of ``secrets`` before they are raised or logged.
    """
    attempt = 0
    while True:
        attempt += 1
        if before_attempt is not None:
            before_attempt()
        try:
            return fn()
        except ProviderError as exc:
            err = exc
        except Exception as exc:
            classified = classify(exc)
            if classified is None:
                raise
            err = classified
        err = scrub_error(err, secrets)
        if not err.transient or isinstance(err, ProviderUnavailable):  # unavailable: skip it, do not retry
            raise err from None
        if err.retry_after is not None and err.retry_after > policy.max_retry_after_s:
            raise ProviderError(f"asked to wait {err.retry_after:.0f} s (limit {policy.max_retry_after_s:.0f} s): "
                                f"{err.detail}", provider=provider, status=err.status, retry_after=err.retry_after,
                                transient=True, field=err.field,
                                fix="try again later, or raise the provider's rate limit") from None
        if attempt >= policy.max_attempts:
            raise ProviderError(f"gave up after {attempt} attempts: {err.detail}", provider=provider,
                                status=err.status, transient=True, field=err.field,
                                fix="the provider keeps failing; check its status page or configure a fallback") from None
        wait = policy.delay(attempt, err.retry_after)
        if log:
            log(f"{provider}: attempt {attempt} failed ({err.detail}); retrying in {wait:.2f} s")
        sleep(wait)


def scrub(text: str, secrets: Iterable[str]) -> str:
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return text


def scrub_error(err: ProviderError, secrets: Iterable[str]) -> ProviderError:
    secrets = [s for s in secrets if s]
    if not secrets or not any(s in str(err) for s in secrets):
        return err
    cls = ProviderUnavailable if isinstance(err, ProviderUnavailable) else ProviderError
    return cls(scrub(err.detail, secrets), provider=err.provider, status=err.status, retry_after=err.retry_after,
               transient=err.transient, field=err.field, fix=scrub(err.fix or "", secrets) or None)


def http_error(provider: str, status: int | None, body: str = "", headers: Any = None, *,
               fix_4xx: str | None = None, auth_fix: str | None = None) -> ProviderError:
    """The usual mapping of an HTTP status to a ProviderError (429/5xx transient, other 4xx not)."""
    snippet = " ".join(str(body).split())[:300]
    if status is None:
        return ProviderError(f"connection failed: {snippet}", provider=provider, transient=True)
    if status == 429 or status >= 500 or status == 408:
        return ProviderError(f"HTTP {status}: {snippet}", provider=provider, status=status,
                             retry_after=retry_after_seconds(headers), transient=True)
    if status in (401, 403):
        return ProviderError(f"HTTP {status} (the key was refused): {snippet}", provider=provider, status=status,
                             fix=auth_fix or "check the API key in the environment variable the README names")
    return ProviderError(f"HTTP {status}: {snippet}", provider=provider, status=status,
                         fix=fix_4xx or "the request was rejected; correct the input named in the message")


# -- shared state ------------------------------------------------------------------------

class KeyValue(Protocol):
    def get(self, key: str) -> dict: ...
    def set(self, key: str, value: dict) -> None: ...
    def update(self, key: str, fn: Callable[[dict], dict | None]) -> dict: ...


class MemoryKV:
    def __init__(self):
        self.data: dict[str, dict] = {}

    def get(self, key: str) -> dict:
        return json.loads(json.dumps(self.data.get(key, {})))

    def set(self, key: str, value: dict) -> None:
        self.data[key] = json.loads(json.dumps(value))

    def update(self, key: str, fn: Callable[[dict], dict | None]) -> dict:
        value = self.get(key)
        new = fn(value)
        self.set(key, value if new is None else new)
        return self.get(key)


@dataclass(frozen=True)
class BreakerPolicy:
    failures_to_open: int = 3  # consecutive failed calls (after their retries) that open the circuit
    cooldown_s: float = 300.0  # how long an open circuit skips the provider


class CircuitBreaker:
    """Skips a provider that keeps failing for a cool-down; one trial call after it (half-open)."""

    PREFIX = "shortsmith/breaker/"

    def __init__(self, kv: KeyValue, policy: BreakerPolicy = BreakerPolicy(), clock: Callable[[], float] = time.time):
        self.kv, self.policy, self.clock = kv, policy, clock

    def state(self, provider: str) -> dict:
        return self.kv.get(self.PREFIX + provider) or {"failures": 0, "open_until": 0.0}

    def allow(self, provider: str) -> tuple[bool, str]:
        st = self.state(provider)
        until = float(st.get("open_until") or 0)
        if until > self.clock():
            when = datetime.fromtimestamp(until, timezone.utc).isoformat(timespec="seconds")
            return False, (f"{provider} failed {st.get('failures', 0)} times in a row "
                           f"({st.get('last_error', '')}); skipped until {when}")
        return True, "closed" if not until else "half-open"

    def record_success(self, provider: str) -> None:
        if self.state(provider).get("failures"):
            self.kv.update(self.PREFIX + provider, lambda st: {"failures": 0, "open_until": 0.0})

    def record_failure(self, provider: str, error: str) -> None:
        """Count one failure; read and written in one transaction, so concurrent failures all count."""
        def fail(st: dict) -> dict:
            failures = int(st.get("failures", 0)) + 1
            open_until = float(st.get("open_until") or 0)
            if failures >= self.policy.failures_to_open:
                open_until = self.clock() + self.policy.cooldown_s
            return {"failures": failures, "open_until": open_until, "last_error": error[:200]}
        self.kv.update(self.PREFIX + provider, fail)


class SqliteRateLimiter:
    """At most ``per_minute`` calls in any 60 s window, shared by every process using ``path``."""

    _local = threading.Lock()

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep, max_wait_s: float = 300.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock, self.sleep, self.max_wait_s = clock, sleep, max_wait_s
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS calls (provider TEXT NOT NULL, at REAL NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS calls_provider_at ON calls (provider, at)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def try_acquire(self, provider: str, per_minute: int) -> float:
        """Take a slot now (returns 0.0) or return how many seconds until one frees up."""
        with self._local, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                now = self.clock()
                db.execute("DELETE FROM calls WHERE provider = ? AND at <= ?", (provider, now - 60.0))
                rows = db.execute("SELECT at FROM calls WHERE provider = ? ORDER BY at", (provider,)).fetchall()
                if len(rows) < per_minute:
                    db.execute("INSERT INTO calls (provider, at) VALUES (?, ?)", (provider, now))
                    db.execute("COMMIT")
                    return 0.0
                db.execute("COMMIT")
                return max(0.01, rows[len(rows) - per_minute][0] + 60.0 - now)
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def acquire(self, provider: str, per_minute: int) -> float:
        """Block until a slot is free; returns the seconds waited. Fails (transient) past ``max_wait_s``."""
        if per_minute <= 0:
            return 0.0
        waited = 0.0
        while True:
            wait = self.try_acquire(provider, per_minute)
            if wait == 0.0:
                return waited
            if waited + wait > self.max_wait_s:
                raise ProviderError(f"rate limit of {per_minute}/min would need a wait over {self.max_wait_s:.0f} s",
                                    provider=provider, transient=True,
                                    fix="lower the number of parallel runs or raise the provider's rate limit")
            self.sleep(wait)
            waited += wait


# -- costs -------------------------------------------------------------------------------

# USD per unit; override any entry with a top-level ``pricing:`` block in channels.yaml.
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "openai-chat": {"input_token": 0.15 / 1e6, "output_token": 0.60 / 1e6},  # gpt-4o-mini
    "openai-images": {"image": 0.042},  # gpt-image-1 / dall-e-3 portrait, standard quality
    "openai-transcribe": {"minute": 0.006},  # whisper-1, per minute of audio
    "elevenlabs": {"character": 0.00018},  # Creator plan overage, per character
    "pexels": {"request": 0.0},  # free API
    "google-trends": {"request": 0.0},
    "youtube": {"unit": 0.0},  # quota units: free within the daily quota
    # generated video: USD per second of clip, by model (shortsmith/videogen/jobs.py VIDEO_PRICES)
    "sora": {"sora-2": 0.10, "sora-2-pro": 0.30},
    "runway": {"gen4_turbo": 0.05, "gen4.5": 0.12, "veo3.1_fast": 0.15, "veo3.1": 0.40},
}


@dataclass
class CostItem:
    provider: str
    operation: str
    units: dict[str, float]
    usd: float


class CostMeter:
    """Collects the estimated cost of every provider call made for one asset."""

    def __init__(self, prices: dict[str, dict[str, float]] | None = None):
        self.prices = {**DEFAULT_PRICES, **(prices or {})}
        self.items: list[CostItem] = []

    def add(self, provider: str, operation: str, **units: float) -> CostItem:
        table = self.prices.get(provider, {})
        usd = sum(float(q) * float(table.get(unit, 0.0)) for unit, q in units.items())
        item = CostItem(provider, operation, {k: float(v) for k, v in units.items()}, round(usd, 6))
        self.items.append(item)
        return item

    @property
    def total(self) -> float:
        return round(sum(i.usd for i in self.items), 6)

    def by_provider(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for i in self.items:
            out[i.provider] = round(out.get(i.provider, 0.0) + i.usd, 6)
        return out

    def as_dict(self) -> dict:
        return {"total_usd": self.total, "by_provider": self.by_provider(),
                "calls": [{"provider": i.provider, "operation": i.operation, "units": i.units, "usd": i.usd}
                          for i in self.items]}


# -- what a provider call gets from the asset ------------------------------------------------

@dataclass
class CallContext:
    """Handed to every provider method: where to log, count costs, and wait for rate limits.

    ``call`` is the one way a cloud resource calls its SDK: rate limit (shared across
    processes), retries with backoff and Retry-After, secret scrubbing.
    """

    meter: CostMeter
    log: Callable[[str], None] = lambda message: None
    limiter: SqliteRateLimiter | None = None
    sleep: Callable[[float], None] = time.sleep
    # Holds a concurrency slot for the provider around each attempt (Dagster pools on the lead's side).
    hold: Callable[[str], ContextManager[Any]] | None = None
    # Counts one call of (provider, operation) against a quota before it is made, failed ones included;
    # raises ProviderUnavailable when the quota cannot take it (the YouTube quota ledger).
    quota: Callable[[str, str], ContextManager[Any]] | None = None

    def spend(self, provider: str, operation: str) -> ContextManager[Any]:
        """``with calls.spend("youtube", "search.list"): request.execute()`` (a no-op without a quota)."""
        return self.quota(provider, operation) if self.quota is not None else contextlib.nullcontext()

    def call(self, fn: Callable[[], T], *, provider: str, classify: Callable[[BaseException], ProviderError | None],
             policy: RetryPolicy = RetryPolicy(), per_minute: int = 0, secrets: Iterable[str] = ()) -> T:
        limiter, hold = self.limiter, self.hold

        def wait_for_rate() -> None:
            assert limiter is not None  # only called when there is one
            waited = limiter.acquire(provider, per_minute)
            if waited:
                self.log(f"{provider}: waited {waited:.1f} s for the {per_minute}/min rate limit")

        def attempt_in_slot() -> T:
            assert hold is not None  # only called when there is one
            with hold(provider):
                return fn()

        before = wait_for_rate if limiter is not None and per_minute > 0 else None
        attempt_fn = attempt_in_slot if hold is not None else fn
        return call_with_retries(attempt_fn, provider=provider, classify=classify, policy=policy, sleep=self.sleep,
                                 log=self.log, before_attempt=before, secrets=secrets)


def offline_calls() -> CallContext:
    """A CallContext for code paths with no provider calls (tests, the offline defaults)."""
    return CallContext(meter=CostMeter())


@dataclass
class ChainOutcome:
    value: Any
    provider: str
    skipped: list[tuple[str, str]]  # (provider, why) for every provider tried or skipped before


def try_provider(capability: str, name: str, fn: Callable[[], Any] | None, skipped: list[tuple[str, str]], *,
                 breaker: CircuitBreaker | None = None, log: Callable[[str], None] = lambda m: None,
                 unconfigured_fix: Mapping[str, str] | None = None) -> tuple[bool, Any]:
    """One provider of a chain: ``(True, value)``, or ``(False, None)`` with the reason added to ``skipped``.

    ``fn`` None means the provider is not configured here. Transient failures (after that
    provider's own retries) count toward its circuit breaker; an error caused by the request or
    the configuration (bad key, invalid input) is raised at once, so a mistake is never hidden
    behind a fallback. ``ProviderUnavailable`` (nothing suitable, no GPU) is not a failure.
    """
    if fn is None:
        fix = (unconfigured_fix or {}).get(name)
        skipped.append((name, "not configured" + (f" ({fix})" if fix else "")))
        log(f"{capability}: skipping {name}: {skipped[-1][1]}")
        return False, None
    if breaker is not None:
        ok, why = breaker.allow(name)
        if not ok:
            skipped.append((name, f"circuit open: {why}"))
            log(f"{capability}: skipping {name}: {why}")
            return False, None
    try:
        value = fn()
    except ProviderUnavailable as exc:
        skipped.append((name, exc.message))
        log(f"{capability}: {name} unavailable: {exc.message}")
        return False, None
    except ProviderError as exc:
        if not exc.transient:
            raise
        if breaker is not None:
            breaker.record_failure(name, exc.message)
        skipped.append((name, exc.message))
        log(f"{capability}: {name} failed, trying the next provider: {exc.message}")
        return False, None
    if breaker is not None:
        breaker.record_success(name)
    return True, value


def run_chain(capability: str, candidates: list[tuple[str, Callable[[], Any] | None]], *,
              breaker: CircuitBreaker | None = None, log: Callable[[str], None] = lambda m: None,
              unconfigured_fix: Mapping[str, str] | None = None) -> ChainOutcome:
    """Try providers in order until one produces the output (see :func:`try_provider`)."""
    skipped: list[tuple[str, str]] = []
    for name, fn in candidates:
        ok, value = try_provider(capability, name, fn, skipped, breaker=breaker, log=log,
                                 unconfigured_fix=unconfigured_fix)
        if ok:
            return ChainOutcome(value, name, skipped)
    detail = "; ".join(f"{n}: {w}" for n, w in skipped)
    raise ProviderError(f"no {capability} provider could produce the output ({detail})", provider=capability,
                        field=f"providers.{capability}",
                        fix=f"configure a working provider or add an offline one to the channel's providers.{capability}")
