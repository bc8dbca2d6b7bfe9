"""YouTube Data API quota: buckets, costs, Pacific days, and a book that never overspends (no Dagster).

The numbers (YouTube Data API "Quota costs" page and revision history, 2026): a project gets
separate daily buckets, all reset at midnight Pacific Time:

- ``videos.insert``: its own bucket, 100 calls a day, 1 per call;
- ``units``: 10,000 units a day for every other method (``thumbnails.set`` 50,
  ``playlistItems.insert`` 50, ``playlistItems.list`` 1, ``videos.list`` 1).

Every call counts, including invalid and failed ones, so a call is *reserved* before it is
made (the reservation fails when the bucket would go over its limit: nothing is sent) and its
outcome is *recorded* after. All numbers are configuration (:class:`QuotaRules`); where the
counts live is behind :class:`QuotaStore` (the Dagster instance in production, memory in tests).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable, Iterator, Protocol

from .errors import ShortsmithError
from .quota import local_day, next_local_midnight, utcnow

PACIFIC_TZ = "America/Los_Angeles"  # YouTube's quota day
INSERT_BUCKET = "videos.insert"
UNITS_BUCKET = "units"

DEFAULT_COSTS: dict[str, int] = {
    "videos.insert": 1,  # charged to its own bucket
    "thumbnails.set": 50,
    "playlistItems.insert": 50,
    "playlistItems.list": 1,
    "videos.list": 1,
    "search.list": 100,  # trend discovery (YouTubeTrendSource)
}
# Methods with a bucket of their own (everything else spends units).
OWN_BUCKETS = {"videos.insert": INSERT_BUCKET}


def pacific_day(now: datetime) -> date:
    """The quota day (Pacific Time) at ``now``; a naive ``now`` is taken to be UTC."""
    return local_day(now, PACIFIC_TZ)


def next_pacific_midnight(now: datetime) -> datetime:
    """When the quota resets next: the next midnight in America/Los_Angeles (DST-aware)."""
    return next_local_midnight(now, PACIFIC_TZ)


def seconds_to_quota_reset(now: datetime | None = None) -> float:
    """Seconds until :func:`next_pacific_midnight` (at least a minute); a naive ``now`` is UTC."""
    now = now or utcnow()
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    return max(60.0, (next_pacific_midnight(now) - now).total_seconds())


@dataclass(frozen=True)
class QuotaRules:
    insert_calls_per_day: int = 100
    units_per_day: int = 10_000
    costs: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_COSTS))

    def bucket(self, op: str) -> str:
        return OWN_BUCKETS.get(op, UNITS_BUCKET)

    def cost(self, op: str) -> int:
        if op not in self.costs:
            raise KeyError(f"no quota cost configured for {op!r}")
        return int(self.costs[op])

    def limit(self, bucket: str) -> int:
        return self.insert_calls_per_day if bucket == INSERT_BUCKET else self.units_per_day

    def needs(self, ops: dict[str, int]) -> dict[str, int]:
        """What a sequence of calls (op -> count) takes from each bucket."""
        out: dict[str, int] = {}
        for op, n in ops.items():
            b = self.bucket(op)
            out[b] = out.get(b, 0) + self.cost(op) * int(n)
        return out


class QuotaDeferred(ShortsmithError):
    """Not enough quota left today: try again at ``until`` (not a failure)."""

    def __init__(self, message: str, *, until: datetime, bucket: str, fix: str | None = None):
        self.until = until
        self.bucket = bucket
        super().__init__(f"{message}; deferred until {until.isoformat()}", field=f"youtube.quota.{bucket}",
                         fix=fix or "nothing to do: it is picked up again after the quota resets "
                                    "(or raise the project's quota in Google Cloud and the resource's limits)")


class QuotaStore(Protocol):
    """Atomic read-modify-write of one project's usage on one Pacific day."""

    def update(self, project: str, day: date, fn: Callable[[dict], dict | None]) -> dict: ...
    def load(self, project: str, day: date) -> dict: ...


class MemoryQuotaStore:
    def __init__(self):
        self.data: dict[tuple[str, str], dict] = {}
        self._lock = threading.Lock()

    def load(self, project: str, day: date) -> dict:
        import copy

        return copy.deepcopy(self.data.get((project, day.isoformat()), {}))

    def update(self, project: str, day: date, fn: Callable[[dict], dict | None]) -> dict:
        with self._lock:
            value = self.load(project, day)
            new = fn(value)
            value = value if new is None else new
            self.data[(project, day.isoformat())] = value
            return value


def empty_usage() -> dict:
    return {"used": {INSERT_BUCKET: 0, UNITS_BUCKET: 0}, "calls": {}, "failed": {}, "exhausted": {}}


def _norm(value: dict) -> dict:
    base = empty_usage()
    for k in base:
        base[k].update(value.get(k) or {})
    return base


class QuotaBook:
    """One Google Cloud project's quota, reserved before every call and never exceeded."""

    def __init__(self, store: QuotaStore, project: str, rules: QuotaRules = QuotaRules(),
                 clock: Callable[[], datetime] = utcnow):
        self.store, self.project, self.rules, self.clock = store, project, rules, clock

    def usage(self) -> dict:
        now = self.clock()
        value = _norm(self.store.load(self.project, pacific_day(now)))
        value["day"] = pacific_day(now).isoformat()
        value["limits"] = {INSERT_BUCKET: self.rules.insert_calls_per_day, UNITS_BUCKET: self.rules.units_per_day}
        value["resets_at"] = next_pacific_midnight(now).isoformat()
        return value

    def _short(self, usage: dict, needs: dict[str, int]) -> tuple[str, str] | None:
        for bucket, amount in needs.items():
            if bucket in usage["exhausted"]:
                return bucket, f"YouTube reported the {bucket} quota of project {self.project!r} exhausted today " \
                               f"({usage['exhausted'][bucket]})"
            used, limit = usage["used"].get(bucket, 0), self.rules.limit(bucket)
            if used + amount > limit:
                return bucket, (f"project {self.project!r} has used {used} of {limit} {bucket} today "
                                f"(Pacific day {pacific_day(self.clock())}); {amount} more needed")
        return None

    def check(self, ops: dict[str, int]) -> None:
        """Raise QuotaDeferred unless all these calls fit in what is left today (reserves nothing)."""
        now = self.clock()
        short = self._short(_norm(self.store.load(self.project, pacific_day(now))), self.rules.needs(ops))
        if short:
            raise QuotaDeferred(short[1], until=next_pacific_midnight(now), bucket=short[0])

    def reserve(self, op: str) -> None:
        """Count one call of ``op`` now, before it is made; QuotaDeferred (nothing counted) if it would not fit."""
        now = self.clock()
        day = pacific_day(now)
        needs = self.rules.needs({op: 1})
        refused: list[tuple[str, str]] = []

        def apply(value: dict) -> dict:
            value = _norm(value)
            short = self._short(value, needs)
            if short:
                refused.append(short)
                return value
            for bucket, amount in needs.items():
                value["used"][bucket] = value["used"].get(bucket, 0) + amount
            value["calls"][op] = value["calls"].get(op, 0) + 1
            return value

        self.store.update(self.project, day, apply)
        if refused:
            raise QuotaDeferred(refused[0][1], until=next_pacific_midnight(now), bucket=refused[0][0])

    def record_failure(self, op: str) -> None:
        """The reserved call failed (it still counted)."""
        def apply(value: dict) -> dict:
            value = _norm(value)
            value["failed"][op] = value["failed"].get(op, 0) + 1
            return value

        self.store.update(self.project, pacific_day(self.clock()), apply)

    def mark_exhausted(self, bucket: str, reason: str) -> datetime:
        """YouTube says the bucket is empty (quotaExceeded): nothing more is tried until it resets."""
        now = self.clock()

        def apply(value: dict) -> dict:
            value = _norm(value)
            value["exhausted"][bucket] = reason[:200]
            return value

        self.store.update(self.project, pacific_day(now), apply)
        return next_pacific_midnight(now)

    @contextmanager
    def spend(self, op: str) -> Iterator[None]:
        """``with book.spend("thumbnails.set"): call()`` - reserved before, failure recorded after."""
        self.reserve(op)
        try:
            yield
        except BaseException:
            self.record_failure(op)
            raise
