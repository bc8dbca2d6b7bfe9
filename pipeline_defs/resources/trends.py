from __future__ import annotations

from datetime import date

import dagster as dg

from shortsmith.config import Channel
from shortsmith.topics import ScoredTopic, score_topics


class TrendSource(dg.ConfigurableResource):
    """Finds and scores topics for a channel."""

    def discover(self, channel: Channel, *, day: date, used_slugs: set[str]) -> list[ScoredTopic]:
        raise NotImplementedError


class OfflineTrendSource(TrendSource):
    """The channel's topics list from channels.yaml, scored per day (no network)."""

    def discover(self, channel: Channel, *, day: date, used_slugs: set[str]) -> list[ScoredTopic]:
        return score_topics(channel, day=day, used_slugs=used_slugs)
