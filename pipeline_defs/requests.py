"""Turning a topic (or a narrative) into a video request: one code path for the CLI, schedules and sensors.

A request is, in order: the request record in the media store (``requests/<partition>``, read
by every stage through ``resolve_video``), an entry in the channel's daily ledger, and the
dynamic partition itself. Schedules and the CLI add the partition directly; sensors return
it as an ``AddDynamicPartitionsRequest`` so the daemon adds it just before launching the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import dagster as dg

from shortsmith.config import Channel
from shortsmith.languages import unsayable
from shortsmith.quota import local_day, utcnow
from shortsmith.storage import MediaStore
from shortsmith.topics import clean_topic, partition_key, split_partition_key

from .ledger import Ledger
from .partitions import videos_partitions

CHANNEL_TAG = "shortsmith/channel"
SOURCE_TAG = "shortsmith/source"


def write_request(store: MediaStore, channel: Channel, topic: str, source: str, *,
                  narrative: dict | None = None, now: datetime | None = None, overwrite: bool = False,
                  fact_source: str | None = None) -> str:
    """Write the request record (if the partition has none yet, or ``overwrite``) and return the key."""
    topic = clean_topic(topic)
    key = partition_key(channel.name, topic)
    if overwrite or store.read_record("requests", key) is None:
        record = {"channel": channel.name, "topic": topic, "source": source,
                  "requested_at": (now or utcnow()).isoformat()}
        if narrative is not None:
            record["narrative"] = narrative
        if fact_source:
            record["fact_source"] = fact_source  # a file or URL the script takes its facts from
        store.write_record("requests", key, record)
    return key


def run_tags(key: str, source: str) -> dict[str, str]:
    """The tags every run of a video carries, whoever starts it (sensor, schedule, CLI, studio)."""
    return {CHANNEL_TAG: split_partition_key(key)[0], SOURCE_TAG: source}


def run_request(key: str, source: str, run_key: str) -> dg.RunRequest:
    return dg.RunRequest(partition_key=key, run_key=run_key, tags=run_tags(key, source))


@dataclass
class Planner:
    """Chooses what a channel may still request today: quota, cooldown and never-twice."""

    instance: dg.DagsterInstance
    store: MediaStore
    now: datetime

    def __post_init__(self):
        if self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=timezone.utc)
        self.ledger = Ledger(self.instance)
        self._existing = set(self.instance.get_dynamic_partitions(videos_partitions.name))

    def day(self, channel: Channel) -> date:
        return local_day(self.now, channel.timezone)

    def exists(self, key: str) -> bool:
        return key in self._existing

    def why_not(self, channel: Channel, key: str, used: dict[str, str], topic: str | None = None) -> str | None:
        """Why this partition must not be requested, or None if it may."""
        bad = unsayable(channel, topic) if topic else []
        if bad:  # the voice could not say it: never a partition or a ledger entry
            return f"{channel.name}'s {channel.language!r} voice cannot say {''.join(bad[:5])!r} in {topic!r}"
        slug = split_partition_key(key)[1]
        last = used.get(slug)
        if last is not None and channel.topic_cooldown_days > 0:
            return (f"topic '{slug}' (partition {key}) was used by {channel.name} on {last}, within its "
                    f"{channel.topic_cooldown_days}-day cooldown")
        if self.exists(key):
            return f"partition {key} already exists (a topic is never produced twice)"
        return None

    def ungrounded(self, channel: Channel, topic: str) -> str | None:
        """Why a listed or trending topic would have no facts to tell (no points, source or model), or None."""
        from shortsmith.topics import find_seed, slugify

        from .resources.script_writer import ungrounded_reason

        return ungrounded_reason(channel, topic, find_seed(channel, slugify(topic)))

    def request(self, channel: Channel, topic: str, source: str, *, narrative: dict | None = None) -> str | None:
        """Record a request that has passed the checks; the caller adds the partition and the run.

        The daily cap is checked again in the ledger's transaction (another sensor, schedule or
        process may have taken the last place since ``room_for_new``): None when the day is full."""
        key = partition_key(channel.name, clean_topic(topic))
        if not self.ledger.record_requested(channel.name, self.day(channel), source, key, topic,
                                            cap=channel.videos_per_day):
            return None
        write_request(self.store, channel, topic, source, narrative=narrative, now=self.now, overwrite=True)
        self._existing.add(key)
        return key

    # -- quota ---------------------------------------------------------------------
    def deferred_due(self, channel: Channel) -> list[str]:
        """Deferred partitions that may go out now and are not requested again today yet."""
        requested = self.ledger.requested(channel.name, self.day(channel))
        due = []
        for key, info in sorted(self.ledger.deferred(channel.name).items(), key=lambda kv: kv[1].get("at", "")):
            if key in requested:
                continue
            until = info.get("until")
            if until and datetime.fromisoformat(until) > self.now:
                continue
            due.append(key)
        return due

    def room_for_new(self, channel: Channel) -> tuple[int, str]:
        """How many NEW topics may be requested now (deferred videos keep their places first)."""
        usage = self.ledger.usage(channel, self.now)
        reserved = len(self.deferred_due(channel))
        room = max(0, usage.remaining - reserved)
        note = usage.describe() + (f", {reserved} kept for deferred videos" if reserved else "")
        return room, note
