"""Retries, Retry-After, circuit breakers, the shared rate limiter and the cost meter (no servers)."""

from __future__ import annotations

import multiprocessing
from email.utils import format_datetime
from datetime import datetime, timezone

import pytest

from shortsmith.resilience import (BreakerPolicy, CircuitBreaker, CostMeter, MemoryKV, ProviderError,
                                   ProviderUnavailable, RetryPolicy, SqliteRateLimiter, call_with_retries,
                                   http_error, retry_after_seconds, run_chain)


def test_retry_after_seconds_and_http_dates():
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"retry-after-ms": "1500"}) == 1.5
    when = datetime(2030, 1, 1, 12, 0, 30, tzinfo=timezone.utc)
    now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp()
    assert retry_after_seconds({"Retry-After": format_datetime(when, usegmt=True)}, now=now) == 30.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_backoff_is_exponential_with_jitter_and_capped():
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    for attempt, cap in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)):
        delays = {policy.delay(attempt, None) for _ in range(50)}
        assert all(cap / 2 <= d <= cap for d in delays) and len(delays) > 1
    assert policy.delay(1, 12.5) == 12.5


def flaky(errors):
    seq = list(errors)

    def fn():
        if seq:
            raise seq.pop(0)
        return "ok"
    return fn


def test_transient_errors_are_retried_and_request_errors_are_not():
    sleeps = []
    err = lambda status, **kw: ProviderError("x", provider="p", status=status, **kw)  # noqa: E731
    fn = flaky([err(429, transient=True, retry_after=2.0), err(503, transient=True)])
    assert call_with_retries(fn, provider="p", classify=lambda e: None, sleep=sleeps.append) == "ok"
    assert sleeps[0] == 2.0 and len(sleeps) == 2
    fn = flaky([err(400)])
    with pytest.raises(ProviderError) as e:
        call_with_retries(fn, provider="p", classify=lambda e: None, sleep=sleeps.append)
    assert e.value.status == 400 and len(sleeps) == 2


def test_attempts_run_out_with_a_clear_error():
    fn = flaky([TimeoutError()] * 10)
    classify = lambda e: ProviderError("timed out", provider="p", transient=True)  # noqa: E731
    with pytest.raises(ProviderError) as e:
        call_with_retries(fn, provider="p", classify=classify, policy=RetryPolicy(max_attempts=3), sleep=lambda s: None)
    assert "gave up after 3 attempts" in str(e.value) and e.value.transient and e.value.fix


def test_a_too_long_retry_after_is_not_waited_for():
    fn = flaky([ProviderError("x", provider="p", status=429, transient=True, retry_after=3600)])
    with pytest.raises(ProviderError) as e:
        call_with_retries(fn, provider="p", classify=lambda e: None, policy=RetryPolicy(max_retry_after_s=60),
                          sleep=lambda s: pytest.fail("must not sleep an hour"))
    assert "asked to wait 3600 s" in str(e.value)


def test_unknown_exceptions_propagate_and_secrets_are_scrubbed():
    with pytest.raises(KeyError):
        call_with_retries(flaky([KeyError("bug")]), provider="p", classify=lambda e: None)
    classify = lambda e: ProviderError(f"bad key sk-SECRET-1234 in {e}", provider="p", status=401)  # noqa: E731
    with pytest.raises(ProviderError) as e:
        call_with_retries(flaky([RuntimeError("x")]), provider="p", classify=classify, secrets=["sk-SECRET-1234"])
    assert "sk-SECRET-1234" not in str(e.value) and "***" in str(e.value)


def test_http_error_mapping():
    assert http_error("p", 429, headers={"Retry-After": "5"}).retry_after == 5.0
    assert http_error("p", 502).transient and http_error("p", None).transient
    assert not http_error("p", 404).transient
    auth = http_error("p", 401, auth_fix="set P_KEY")
    assert not auth.transient and auth.fix == "set P_KEY"


def test_breaker_opens_after_consecutive_failures_and_half_opens_after_cooldown():
    now = [1000.0]
    breaker = CircuitBreaker(MemoryKV(), BreakerPolicy(failures_to_open=2, cooldown_s=60), clock=lambda: now[0])
    assert breaker.allow("x")[0]
    breaker.record_failure("x", "boom")
    assert breaker.allow("x")[0]
    breaker.record_failure("x", "boom")
    ok, why = breaker.allow("x")
    assert not ok and "boom" in why and "skipped until" in why
    now[0] += 61
    assert breaker.allow("x") == (True, "half-open")
    breaker.record_success("x")
    assert breaker.state("x")["failures"] == 0


def test_chain_falls_back_on_transient_errors_but_raises_request_errors():
    def fail(transient):
        def fn():
            raise ProviderError("nope", provider="a", transient=transient)
        return fn
    out = run_chain("voice", [("a", fail(True)), ("b", None), ("c", lambda: 42)])
    assert out.value == 42 and out.provider == "c" and [n for n, _ in out.skipped] == ["a", "b"]
    with pytest.raises(ProviderError):
        run_chain("voice", [("a", fail(False)), ("c", lambda: 42)])

    def unavailable():
        raise ProviderUnavailable("no portrait clip", provider="a")
    kv = MemoryKV()
    out = run_chain("visuals", [("a", unavailable), ("c", lambda: 1)], breaker=CircuitBreaker(kv))
    assert out.provider == "c" and CircuitBreaker(kv).state("a")["failures"] == 0  # not a failure
    with pytest.raises(ProviderError) as e:
        run_chain("voice", [("a", fail(True))])
    assert "no voice provider could produce" in str(e.value) and e.value.field == "providers.voice"


def test_rate_limiter_sliding_window(tmp_path):
    now = [0.0]
    limiter = SqliteRateLimiter(tmp_path / "r.sqlite", clock=lambda: now[0])
    assert [limiter.try_acquire("p", 3) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.try_acquire("p", 3)
    assert 59.9 < wait <= 60.0
    assert limiter.try_acquire("other", 3) == 0.0  # per provider
    now[0] = 60.5
    assert limiter.try_acquire("p", 3) == 0.0


def _take(path, n, out):
    limiter = SqliteRateLimiter(path, max_wait_s=0.0)
    got = 0
    for _ in range(n):
        if limiter.try_acquire("shared", 10) == 0.0:
            got += 1
    out.put(got)


def test_rate_limit_holds_across_processes(tmp_path):
    path = tmp_path / "r.sqlite"
    SqliteRateLimiter(path)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_take, args=(str(path), 8, out)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert sum(out.get(timeout=5) for _ in procs) == 10  # 24 tries, exactly 10 slots in the minute


def test_blocking_acquire_waits_then_gives_up(tmp_path):
    now = [0.0]
    waits = []

    def sleep(s):
        waits.append(s)
        now[0] += s
    limiter = SqliteRateLimiter(tmp_path / "r.sqlite", clock=lambda: now[0], sleep=sleep, max_wait_s=90)
    limiter.acquire("p", 1)
    assert limiter.acquire("p", 1) == pytest.approx(60.0, abs=0.1) and len(waits) == 1
    strict = SqliteRateLimiter(tmp_path / "r.sqlite", clock=lambda: now[0], sleep=sleep, max_wait_s=10)
    with pytest.raises(ProviderError) as e:
        strict.acquire("p", 1)
    assert e.value.transient and "rate limit" in str(e.value)


def test_cost_meter_uses_the_price_table_and_overrides():
    meter = CostMeter({"elevenlabs": {"character": 0.0003}})
    meter.add("openai-chat", "script", input_token=1_000_000, output_token=1_000_000)
    meter.add("elevenlabs", "tts", character=1000)
    meter.add("unknown", "x", request=5)
    assert meter.by_provider() == {"openai-chat": 0.75, "elevenlabs": 0.3, "unknown": 0.0}
    assert meter.total == 1.05 and len(meter.as_dict()["calls"]) == 3
