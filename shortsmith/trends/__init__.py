"""Trending topics from Google Trends and YouTube, scored per channel niche (no Dagster).

:mod:`.text` (stems, niche vocabulary, cleaning a candidate), :mod:`.scoring` (signals, scores,
merging with the offline topics; the scoring rules are described there), :mod:`.google_trends`
(the pytrends client) and :mod:`.youtube_search` (the YouTube Data API client).
"""

from ..youtube_quota import seconds_to_quota_reset
from .google_trends import GEO_RE, GOOGLE_TRENDS_URL, HL_RE, TIMEFRAME_RE, GoogleTrendsClient, GoogleTrendsData
from .scoring import (AGREEMENT_BONUS, FRESH_DAYS, KIND_WEIGHT, SOURCE_ORDER, SOURCES, TRENDS_FRESHNESS, USED_PENALTY,
                      Signal, TrendsOutcome, collect_trends, google_trends_signals, google_trends_topics, is_used,
                      keyword_momentum, merge_trends, reference_time, score_signals, youtube_signals, youtube_topics)
from .text import (MAX_KEYWORDS, clean_candidate, content_stems, niche_keywords, niche_match, niche_vocabulary,
                   same_topic, stem)
from .youtube_search import (QUOTA_UNITS, YOUTUBE_ROOT_URL, RequestsHttp, YouTubeClient, YouTubeData,
                             redact_key_in_library_logs)

__all__ = [
    "AGREEMENT_BONUS", "FRESH_DAYS", "GEO_RE", "GOOGLE_TRENDS_URL", "HL_RE", "KIND_WEIGHT", "MAX_KEYWORDS",
    "QUOTA_UNITS", "SOURCES", "SOURCE_ORDER", "TIMEFRAME_RE", "TRENDS_FRESHNESS", "USED_PENALTY", "YOUTUBE_ROOT_URL",
    "GoogleTrendsClient", "GoogleTrendsData", "RequestsHttp", "Signal", "TrendsOutcome", "YouTubeClient",
    "YouTubeData", "clean_candidate", "collect_trends", "content_stems", "google_trends_signals",
    "google_trends_topics", "is_used", "keyword_momentum", "merge_trends", "niche_keywords", "niche_match",
    "niche_vocabulary", "redact_key_in_library_logs", "reference_time", "same_topic", "score_signals",
    "seconds_to_quota_reset", "stem", "youtube_signals", "youtube_topics",
]
