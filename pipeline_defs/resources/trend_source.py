"""Trend sources: the offline topics list, Google Trends and YouTube, behind one interface.

Each source returns only its own candidates, scored for the channel; the asset merges them with
the offline topics (``shortsmith.trends.collect_trends`` / ``merge_trends``). Cloud calls go
through the asset's ``CallContext`` (rate limit, retries with Retry-After, cost meter); the
clients' own retries are off.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import date, timedelta
from typing import ClassVar, Optional

import dagster as dg
from pydantic import Field

from shortsmith.config import Channel
from shortsmith.resilience import CallContext, offline_calls
from shortsmith.topics import ScoredTopic, score_topics
from shortsmith.trends import (GOOGLE_TRENDS_URL, GoogleTrendsClient, YouTubeClient, google_trends_topics,
                               niche_keywords, reference_time, youtube_topics)

from ..settings import ProviderSettings
from .provider_set import Provider, ProviderSet


class TrendSource(Provider):
    """Finds and scores topics for a channel."""

    @abstractmethod
    def discover(self, channel: Channel, *, day: date, used_slugs: set[str],
                 calls: CallContext | None = None) -> list[ScoredTopic]:
        """This source's candidates for the channel, scored (``used_slugs``: topics already published)."""


class OfflineTrendSource(TrendSource):
    """The channel's topics list from channels.yaml, scored per day (no network)."""

    provider: ClassVar[str] = "offline"

    def discover(self, channel: Channel, *, day: date, used_slugs: set[str],
                 calls: CallContext | None = None) -> list[ScoredTopic]:
        return score_topics(channel, day=day, used_slugs=used_slugs)


class GoogleTrendsSource(TrendSource):
    """Google Trends via pytrends: rising and top related queries of the channel's niche keywords.

    Google Trends has no key and no official API; it answers a burst of requests with 429, so keep
    ``requests_per_minute`` low (a 429's Retry-After is honoured).
    """

    provider: ClassVar[str] = "google_trends"
    configure_hint: ClassVar[str] = "set SHORTSMITH_GOOGLE_TRENDS=1"

    enabled: bool = Field(default=False, description="SHORTSMITH_GOOGLE_TRENDS=1 (an unofficial API: opt in)")
    hl: str = Field(default="en-US", description="interface language, e.g. en-US")
    tz: int = Field(default=0, description="timezone offset in minutes (pytrends' tz)")
    geo: str = Field(default="", description="ISO country code ('US', 'GB', 'US-CA'); '' for worldwide")
    timeframe: str = Field(default="now 7-d", description="e.g. 'now 7-d', 'today 1-m'")
    timeout_s: float = 15.0
    max_attempts: int = 3
    requests_per_minute: int = 10
    base_url: str = Field(default=GOOGLE_TRENDS_URL, description="only tests change this")

    def is_configured(self) -> bool:
        return self.enabled

    def client(self) -> GoogleTrendsClient:
        return GoogleTrendsClient(hl=self.hl, tz=self.tz, geo=self.geo, timeframe=self.timeframe,
                                  timeout_s=self.timeout_s, max_attempts=self.max_attempts,
                                  requests_per_minute=self.requests_per_minute, base_url=self.base_url,
                                  field_prefix="GoogleTrendsSource")

    def discover(self, channel: Channel, *, day: date, used_slugs: set[str],
                 calls: CallContext | None = None) -> list[ScoredTopic]:
        calls = calls or offline_calls()
        data = self.client().fetch(niche_keywords(channel), calls=calls)
        return google_trends_topics(channel, data.related, data.interest, day=day, used_slugs=used_slugs)


class YouTubeTrendSource(TrendSource):
    """YouTube Data API v3 (API key): the week's most viewed Shorts for the niche and the category chart.

    One discovery costs 102 quota units (search.list 100, two videos.list 1 each) of the
    10,000 a project gets per day.
    """

    provider: ClassVar[str] = "youtube"
    configure_hint: ClassVar[str] = "set YOUTUBE_API_KEY"

    api_key: str = Field(default="", repr=False, description="YOUTUBE_API_KEY (set it with dagster.EnvVar)")
    region_code: str = Field(default="US", description="ISO 3166-1 alpha-2; '' for no region")
    root_url: Optional[str] = Field(default=None, description="only tests change this")
    timeout_s: float = 15.0
    max_attempts: int = 3
    requests_per_minute: int = 30
    max_results: int = 25

    def is_configured(self) -> bool:
        return bool(self.api_key)

    def client(self) -> YouTubeClient:
        return YouTubeClient(api_key=self.api_key, region_code=self.region_code, root_url=self.root_url,
                             timeout_s=self.timeout_s, max_attempts=self.max_attempts,
                             requests_per_minute=self.requests_per_minute, max_results=self.max_results,
                             field_prefix="YouTubeTrendSource")

    def discover(self, channel: Channel, *, day: date, used_slugs: set[str],
                 calls: CallContext | None = None) -> list[ScoredTopic]:
        calls = calls or offline_calls()
        after = reference_time(day) - timedelta(days=7)
        data = self.client().fetch(channel, niche_keywords(channel), published_after=after, calls=calls)
        return youtube_topics(channel, data.search, data.videos, data.popular, day=day, used_slugs=used_slugs)


class TrendSources(ProviderSet):
    """Trend sources, merged (not a fallback chain): ``offline`` (always configured), ``google_trends``
    (SHORTSMITH_GOOGLE_TRENDS=1) and ``youtube`` (YOUTUBE_API_KEY)."""

    offline: OfflineTrendSource
    google_trends: GoogleTrendsSource
    youtube: YouTubeTrendSource

    @classmethod
    def from_settings(cls, s: ProviderSettings) -> "TrendSources":
        g, y = s.google_trends, s.youtube
        return cls(
            offline=OfflineTrendSource(),
            google_trends=GoogleTrendsSource(enabled=g.enabled, geo=g.geo, hl=g.hl,
                                             **({"base_url": g.base_url} if g.base_url else {}),
                                             requests_per_minute=g.requests_per_minute),
            youtube=YouTubeTrendSource(api_key=dg.EnvVar("YOUTUBE_API_KEY") if y.key_set else "",
                                       region_code=y.region, root_url=y.root_url),
        )
