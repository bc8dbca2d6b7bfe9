"""The per-channel daily ledger: what was requested, published and deferred, day by day.

It lives in the Dagster instance's key-value table (``run_storage.get_cursor_values`` /
``set_cursor_values``), so it is shared by the daemon's sensors and schedules, every run
worker and the CLI, on SQLite and on PostgreSQL alike, and it is backed up with the instance.

Keys (values are small JSON objects):

- ``shortsmith/ledger/requested/<channel>/<day>/<source>``: ``{partition: {slug, topic, at}}``;
  one key per requesting source (trend, inbox, schedule, cli), so each key has one writer
  (a sensor's or schedule's ticks never overlap with themselves);
- ``shortsmith/ledger/published/<channel>/<day>``: ``{partition: {video_id, at}}``, written only
  by ``published_uploads``, which runs in the ``publish`` concurrency pool (limit 1);
- ``shortsmith/ledger/deferred/<channel>``: ``{partition: {until, reason, at}}``, also written
  only by ``published_uploads``.
- ``shortsmith/ledger/cost/<channel>/<day>/<asset>``: ``{partition: {usd, by_provider, at}}``: what
  the provider calls of each materialization cost (one key per asset, so each key has one writer
  per partition); ``Ledger.costs`` sums a channel's day.

``<day>`` is the channel's local calendar day (its ``timezone``). Every write is one locked
transaction of the project's state table (``state.py``), so concurrent writers in any number of
processes never lose an entry, and a request checked against the daily cap (``cap=``) is
counted in the same transaction that checked it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from shortsmith.config import Channel
from shortsmith.quota import local_day, recent_days, remaining, utcnow
from shortsmith.topics import split_partition_key

from .state import StateStore

PREFIX = "shortsmith/ledger"
SOURCES = ("trend", "inbox", "schedule", "cli", "studio")
COST_ASSETS = ("trending_topics", "video_scripts", "voiceovers", "scene_images", "music", "published_uploads")


@dataclass(frozen=True)
class Usage:
    channel: str
    day: date
    cap: int
    published: int
    pending: int

    @property
    def remaining(self) -> int:
        return remaining(self.cap, self.published, self.pending)

    def describe(self) -> str:
        return (f"{self.channel} on {self.day}: {self.published} published + {self.pending} pending "
                f"of {self.cap}; {self.remaining} left")


class Ledger:
    def __init__(self, instance):
        self._kv = StateStore(instance)

    # -- raw key-value access ------------------------------------------------------
    def _get_many(self, keys: list[str]) -> dict[str, dict]:
        return self._kv.get_many(keys)

    def _get(self, key: str) -> dict:
        return self._kv.get(key)

    def _merge(self, key: str, add: dict | None = None, remove: tuple[str, ...] = ()) -> None:
        def change(value: dict) -> None:
            value.update(add or {})
            for r in remove:
                value.pop(r, None)
        self._kv.update(key, change)

    # -- keys ----------------------------------------------------------------------
    @staticmethod
    def requested_key(channel: str, day: date, source: str) -> str:
        return f"{PREFIX}/requested/{channel}/{day.isoformat()}/{source}"

    @staticmethod
    def published_key(channel: str, day: date) -> str:
        return f"{PREFIX}/published/{channel}/{day.isoformat()}"

    @staticmethod
    def deferred_key(channel: str) -> str:
        return f"{PREFIX}/deferred/{channel}"

    # -- reading -------------------------------------------------------------------
    def requested(self, channel: str, day: date) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for value in self._get_many([self.requested_key(channel, day, s) for s in SOURCES]).values():
            out.update(value)
        return out

    def published(self, channel: str, day: date) -> dict[str, dict]:
        return self._get(self.published_key(channel, day))

    def deferred(self, channel: str) -> dict[str, dict]:
        return self._get(self.deferred_key(channel))

    def usage(self, channel: Channel, now: datetime | None = None) -> Usage:
        day = local_day(now or utcnow(), channel.timezone)
        published = self.published(channel.name, day)
        pending = [k for k in self.requested(channel.name, day) if k not in published]
        return Usage(channel=channel.name, day=day, cap=channel.videos_per_day, published=len(published),
                     pending=len(pending))

    def used_topics(self, channel: Channel, today: date) -> dict[str, str]:
        """Topic slugs requested or published within the channel's cooldown, with the last day used."""
        days = recent_days(today, channel.topic_cooldown_days)
        keys = [self.requested_key(channel.name, d, s) for d in days for s in SOURCES]
        keys += [self.published_key(channel.name, d) for d in days]
        used: dict[str, str] = {}
        for key, value in self._get_many(keys).items():
            day = key.split("/")[4]
            for partition, info in value.items():
                slug = info.get("slug") or split_partition_key(partition)[1]
                if day > used.get(slug, ""):
                    used[slug] = day
        return used

    # -- writing -------------------------------------------------------------------
    def record_requested(self, channel: str, day: date, source: str, partition: str, topic: str,
                         cap: int | None = None) -> bool:
        """Count a request for the channel's day. With ``cap``, only if published + pending stay within
        it (checked and written in one transaction); returns False (nothing written) when full."""
        if source not in SOURCES:
            raise ValueError(f"unknown request source {source!r}; use one of {SOURCES}")
        slug = split_partition_key(partition)[1]
        key = self.requested_key(channel, day, source)
        entry = {"slug": slug, "topic": topic, "at": utcnow().isoformat()}
        if cap is None:
            self._merge(key, {partition: entry})
            return True
        keys = [self.requested_key(channel, day, s) for s in SOURCES] + [self.published_key(channel, day)]
        added = [False]

        def claim(values: dict[str, dict]) -> None:
            published = values[self.published_key(channel, day)]
            requested = {p for s in SOURCES for p in values[self.requested_key(channel, day, s)]}
            if partition in requested:
                added[0] = True  # already counted: asking twice is not a second video
                return
            pending = len(requested - set(published))
            if remaining(cap, len(published), pending) > 0:
                values[key][partition] = entry
                added[0] = True
        self._kv.update_many(keys, claim)
        return added[0]

    def record_published(self, channel: str, day: date, partition: str, video_id: str) -> None:
        self._merge(self.published_key(channel, day), {partition: {"video_id": video_id, "at": utcnow().isoformat()}})
        if partition in self.deferred(channel):
            self._merge(self.deferred_key(channel), remove=(partition,))

    def record_deferred(self, channel: str, partition: str, until: datetime, reason: str) -> None:
        self._merge(self.deferred_key(channel),
                    {partition: {"until": until.isoformat(), "reason": reason, "at": utcnow().isoformat()}})

    @staticmethod
    def cost_key(channel: str, day: date, asset: str) -> str:
        return f"{PREFIX}/cost/{channel}/{day.isoformat()}/{asset}"

    def record_cost(self, channel: str, day: date, asset: str, partition: str, usd: float,
                    by_provider: dict[str, float]) -> None:
        """Add one materialization's provider cost (a re-materialization adds again: it was paid again)."""
        def add(value: dict) -> None:
            entry = value.get(partition) or {"usd": 0.0, "by_provider": {}, "calls": 0}
            entry["usd"] = round(entry["usd"] + usd, 6)
            for provider, amount in by_provider.items():
                entry["by_provider"][provider] = round(entry["by_provider"].get(provider, 0.0) + amount, 6)
            entry["calls"] = entry.get("calls", 0) + 1
            entry["at"] = utcnow().isoformat()
            value[partition] = entry
        self._kv.update(self.cost_key(channel, day, asset), add)

    def costs(self, channel: str, day: date, assets: tuple[str, ...] = COST_ASSETS) -> dict:
        """A channel's provider cost on one of its days: total, per provider, per partition."""
        total, by_provider, by_partition = 0.0, {}, {}
        for value in self._get_many([self.cost_key(channel, day, a) for a in assets]).values():
            for partition, entry in value.items():
                total += entry.get("usd", 0.0)
                by_partition[partition] = round(by_partition.get(partition, 0.0) + entry.get("usd", 0.0), 6)
                for provider, usd in entry.get("by_provider", {}).items():
                    by_provider[provider] = round(by_provider.get(provider, 0.0) + usd, 6)
        return {"channel": channel, "day": day.isoformat(), "total_usd": round(total, 6),
                "by_provider": by_provider, "by_partition": by_partition}
