"""Running a channel's provider chain inside an asset: shared breaker state, pools, rate limits, costs.

- Circuit breakers live in the project's state table in the instance's database (``state.py``),
  so every run and process (and the daemon) sees that a provider is being skipped.
- Concurrency per provider uses Dagster's concurrency pools: each provider call holds a slot of
  the pool named in ``PROVIDER_POOLS`` (``dagster instance concurrency set openai 2``); a pool
  without a limit takes the instance's ``pools: default_limit`` on first use (none: not limited).
  This holds across every run on the instance.
- Request rates use a sliding-window limiter in ``$SHORTSMITH_HOME/provider-rates.sqlite``,
  shared by all processes on the host (``SHORTSMITH_RATE_LIMIT_DB`` moves it).
- Costs: every call adds to the asset's CostMeter; the asset stores the total in its stage
  manifest and in the per-channel, per-day cost ledger (``Ledger.record_cost``).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import dagster as dg

from shortsmith.config import Channel
from shortsmith.resilience import (BreakerPolicy, CallContext, ChainOutcome, CircuitBreaker, CostMeter, ProviderError,
                                   ProviderUnavailable, SqliteRateLimiter, run_chain)

from . import settings
from .dagster_storage import DagsterStorage
from .state import StateStore
from .resources.provider_set import ProviderSet

# provider (price-table name) -> Dagster concurrency pool
PROVIDER_POOLS = {
    "openai-chat": "openai",
    "openai-images": "openai",
    "sora": "openai",
    "runway": "runway",
    "elevenlabs": "elevenlabs",
    "pexels": "pexels",
    "google-trends": "google-trends",
    "youtube": "youtube",
}


def rate_limit_db() -> str:
    return os.environ.get("SHORTSMITH_RATE_LIMIT_DB") or str(settings.home() / "provider-rates.sqlite")


@contextlib.contextmanager
def pool_slot(instance: dg.DagsterInstance, run_id: str, step_key: str, pool: str, *,
              log: Callable[[str], None] = lambda m: None, poll_s: float = 0.2, timeout_s: float = 900.0) -> Iterator[None]:
    """Hold one slot of Dagster concurrency pool ``pool`` (no-op when the pool has no limit).

    A pool without a limit yet gets the instance's ``pools: default_limit`` first (as Dagster's
    op-level pools do); a pool limited to 0 slots is an error with its fix, not a wait."""
    storage = DagsterStorage(instance)
    if not storage.supports_pools:
        yield
        return
    info = storage.ensure_pool(pool)
    if info.limit is None and not info.slots:
        yield  # no limit configured for this pool
        return
    if not info.slots:
        raise ProviderError(f"pool '{pool}' has 0 slots, so no {pool} call can ever run", provider=pool,
                            transient=False, fix=f"give it slots: dagster instance concurrency set {pool} 2")
    claim_key = f"{step_key}[{pool}:{uuid.uuid4().hex[:8]}]"
    started = time.monotonic()
    waited_logged = False
    try:
        while not storage.claim_slot(pool, run_id, claim_key):
            if time.monotonic() - started > timeout_s:
                raise ProviderError(f"no free slot in pool '{pool}' after {timeout_s:.0f} s", provider=pool,
                                    transient=True, fix=f"raise the limit: dagster instance concurrency set {pool} N")
            if not waited_logged:
                storage.end_dead_runs(log)  # a killed run may still hold the slot
                log(f"waiting for a free slot in pool '{pool}' ({info.slots} slot(s), {info.claimed} in use; "
                    f"gives up after {timeout_s:.0f} s)")
                waited_logged = True
            time.sleep(poll_s)
        yield
    finally:
        storage.free_slot(run_id, claim_key)


@dataclass
class ProviderRun:
    """Everything an asset needs to call a channel's providers."""

    calls: CallContext
    breaker: CircuitBreaker
    log: Callable[[str], None]

    @property
    def meter(self) -> CostMeter:
        return self.calls.meter

    def chain(self, capability: str, channel: Channel, router: ProviderSet, fn: Callable[[Any], Any]) -> ChainOutcome:
        """Run ``fn(provider)`` for the first provider of the channel's chain that works; one not
        configured here is skipped with a log line saying what to set."""
        candidates = []
        for name in channel.providers.chain(capability):
            impl = router.get(name)
            candidates.append((name, (lambda p=impl: fn(p)) if impl is not None else None))
        outcome = run_chain(capability, candidates, breaker=self.breaker, log=self.log,
                            unconfigured_fix=router.unconfigured_hints())
        if outcome.skipped:
            self.log(f"{capability} for {channel.name} made by {outcome.provider} after skipping: "
                     + "; ".join(f"{n} ({w})" for n, w in outcome.skipped))
        return outcome


def provider_run(context: dg.AssetExecutionContext, prices: dict | None = None) -> ProviderRun:
    instance = context.instance
    run_id = context.run.run_id
    step_key = context.get_step_execution_context().step.key
    log = context.log.info

    def hold(provider: str):
        pool = PROVIDER_POOLS.get(provider)
        if pool is None:
            return contextlib.nullcontext()
        return pool_slot(instance, run_id, step_key, pool, log=log)

    calls = CallContext(meter=CostMeter(prices), log=log, limiter=SqliteRateLimiter(rate_limit_db()), hold=hold,
                        quota=lambda provider, op: youtube_quota_spend(instance, provider, op))
    breaker = CircuitBreaker(StateStore(instance), BreakerPolicy(
        failures_to_open=int(os.environ.get("SHORTSMITH_BREAKER_FAILURES", "3")),
        cooldown_s=float(os.environ.get("SHORTSMITH_BREAKER_COOLDOWN_S", "300"))))
    return ProviderRun(calls=calls, breaker=breaker, log=context.log.warning)


@contextlib.contextmanager
def youtube_quota_spend(instance: dg.DagsterInstance, provider: str, operation: str) -> Iterator[None]:
    """YouTube Data API calls made with YOUTUBE_API_KEY (trend discovery) spend the quota of the key's
    Google Cloud project (YOUTUBE_API_PROJECT, default ``default``: the same ledger as uploads to a
    channel whose youtube.project is unset). Counted before the call, failed calls included; a call
    that would not fit makes the source unavailable until the quota resets."""
    if provider != "youtube":
        yield
        return
    from shortsmith.youtube_quota import QuotaDeferred

    from .resources.publisher import quota_rules_from_env
    from .youtube_quota_ledger import YouTubeQuotaLedger

    book = YouTubeQuotaLedger(instance).book(os.environ.get("YOUTUBE_API_PROJECT") or "default",
                                             quota_rules_from_env())
    try:
        book.reserve(operation)
    except QuotaDeferred as exc:
        raise ProviderUnavailable(exc.message, provider="youtube", fix=exc.fix) from None
    try:
        yield
    except BaseException:
        book.record_failure(operation)
        raise


def cost_metadata(meter: CostMeter) -> dict:
    """Asset metadata for the calls of this materialization."""
    meta: dict = {"cost_usd": meter.total}
    if meter.items:
        meta["cost_by_provider"] = dg.MetadataValue.json(meter.by_provider())
        meta["provider_calls"] = len(meter.items)
    return meta
