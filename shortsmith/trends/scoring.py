"""Trending topics from the cloud: Google Trends and YouTube signals, scored per channel niche (no Dagster).

Two sources turn raw signals into topic candidates for one channel:

- **Google Trends** (``pytrends``): for the channel's niche keywords (tags first, then the niche's
  content words, at most five: one comparison), the related queries (rising and top) of each
  keyword, weighted by the keyword's momentum in its interest over time.
- **YouTube Data API v3** (``google-api-python-client``): ``search.list`` (type=video,
  order=viewCount, videoDuration=short, publishedAfter = 7 days back, q = the keywords OR-ed),
  ``videos.list`` (the statistics of those results), and ``videos.list chart=mostPopular`` for the
  channel's category and region.

A candidate is cleaned (HTML entities, hashtags, ``#shorts``, @handles, the uploader's name,
bracketed noise, emoji, hype words, clickbait punctuation, shouting) and must pass
:func:`shortsmith.topics.clean_topic` and share at least one word with the channel's niche
vocabulary (niche, tags, topic keywords); anything else is dropped. Each kept candidate gets::

    score = base * 0.7 + niche_match + freshness - (100 if recently used)

- ``base`` (0-100): the signal's strength normalised per source and kind on a log scale
  (rising queries: the percentage rise; top queries: Google's 0-100 value; YouTube: views per day
  since upload), times a kind weight (rising/search 1.0, top/mostPopular 0.8) and, for Google
  Trends, the keyword's momentum (0.5-1.25);
- ``niche_match`` (0-10): 5 per word shared with the niche and tags, 2.5 per other topic keyword;
- ``freshness`` (0-20): YouTube uploads lose it linearly over 7 days; a rising query is 20, a top
  query 8;
- topics already made (``used_slugs``, or the same words as a used slug) sink by 100.

This keeps cloud scores on the same scale as :func:`shortsmith.topics.score_topics` (the offline
topics list), so :func:`merge_trends` can rank them together: a topic both sources found gets
+10 and the source ``"google_trends+youtube"``; a cloud topic that matches an offline seed becomes
that seed (its topic text and slug, so the offline writer has its points) with the best of both
scores +10; offline topics nobody found stay in the list as ``"offline"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..config import Channel
from ..resilience import CircuitBreaker, try_provider
from ..topics import KEY_SEPARATOR, ScoredTopic, score_topics, slugify
from .text import clean_candidate, content_stems, niche_match, niche_vocabulary, same_topic

SOURCES = ("google_trends", "youtube")
SOURCE_ORDER = {"google_trends": 0, "youtube": 1}
AGREEMENT_BONUS = 10.0
USED_PENALTY = 100.0
KIND_WEIGHT = {"rising": 1.0, "top": 0.8, "search": 1.0, "most_popular": 0.8}
TRENDS_FRESHNESS = {"rising": 20.0, "top": 8.0}
FRESH_DAYS = 7.0


# -- signals -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Signal:
    """One raw piece of evidence: a search query or a video title, and how strong it is."""

    text: str
    strength: float  # rising: % rise; top: Google's 0-100; YouTube: views
    kind: str  # "rising" | "top" | "search" | "most_popular"
    keyword: str = ""
    weight: float = 1.0  # the keyword's momentum (Google Trends)
    published_at: datetime | None = None  # YouTube
    channel_name: str = ""  # YouTube: the uploader, removed from the title


def keyword_momentum(series: Sequence[float]) -> float:
    """Interest in the last quarter of the timeframe over the whole, as a weight in 0.5-1.25."""
    values = [float(v) for v in series if v is not None]
    if len(values) < 2 or sum(values) <= 0:
        return 1.0
    recent = values[-max(1, len(values) // 4):]
    ratio = (sum(recent) / len(recent)) / (sum(values) / len(values))
    return round(max(0.5, min(1.25, 0.75 + 0.25 * ratio)), 3)


def google_trends_signals(related: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]] | None]],
                          interest: Mapping[str, Sequence[float]] | None = None) -> list[Signal]:
    """``related``: keyword -> {"rising"/"top": [{"query", "value"}]} (pytrends' related_queries as records)."""
    interest = interest or {}
    out = []
    for kw, kinds in related.items():
        weight = keyword_momentum(interest.get(kw, ()))
        for kind in ("rising", "top"):
            for row in (kinds or {}).get(kind) or []:
                query = str(row.get("query") or "").strip()
                try:
                    value = float(row.get("value") or 0)
                except (TypeError, ValueError):
                    continue
                if query and value > 0:
                    out.append(Signal(query, value, kind, keyword=kw, weight=weight))
    return out


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _views(item: Mapping[str, Any]) -> float:
    try:
        return float((item.get("statistics") or {}).get("viewCount") or 0)
    except (TypeError, ValueError):
        return 0.0


def youtube_signals(search_items: Sequence[Mapping[str, Any]], videos: Sequence[Mapping[str, Any]] = (),
                    popular: Sequence[Mapping[str, Any]] = ()) -> list[Signal]:
    """``search_items``: search.list items; ``videos``: videos.list items for them (statistics);
    ``popular``: videos.list chart=mostPopular items."""
    by_id = {v.get("id"): v for v in videos if isinstance(v, Mapping)}
    out = []
    for item in search_items:
        vid = (item.get("id") or {}).get("videoId") if isinstance(item.get("id"), Mapping) else None
        video = by_id.get(vid) or {}
        snippet = video.get("snippet") or item.get("snippet") or {}  # videos.list titles are not HTML-escaped
        out.append(Signal(str(snippet.get("title") or ""), _views(video), "search",
                          published_at=_parse_time(snippet.get("publishedAt")),
                          channel_name=str(snippet.get("channelTitle") or "")))
    for video in popular:
        snippet = video.get("snippet") or {}
        out.append(Signal(str(snippet.get("title") or ""), _views(video), "most_popular",
                          published_at=_parse_time(snippet.get("publishedAt")),
                          channel_name=str(snippet.get("channelTitle") or "")))
    return [s for s in out if s.text]


def reference_time(day: date, now: datetime | None = None) -> datetime:
    """The end of ``day`` (UTC), or now if that is earlier: what "the last 7 days" counts back from."""
    end = datetime.combine(day + timedelta(days=1), time(0), timezone.utc)
    now = now or datetime.now(timezone.utc)
    return min(now, end)


def is_used(topic: str, slug: str, used_slugs: set[str]) -> bool:
    """Made recently: the same slug, or the same words as a used slug ('why-cats-purr' ~ 'Why do cats purr')."""
    if slug in used_slugs:
        return True
    return any(same_topic(topic, used.replace("-", " ")) for used in used_slugs)


def score_signals(channel: Channel, signals: Sequence[Signal], *, source: str, now: datetime,
                  used_slugs: set[str] | None = None) -> list[ScoredTopic]:
    """Candidates from one source's signals, cleaned, kept only when on-niche, scored, best first."""
    used_slugs = used_slugs or set()
    core, extended = niche_vocabulary(channel)
    peak: dict[str, float] = {}
    for s in signals:
        value = s.strength
        if s.kind in ("search", "most_popular"):
            value = _per_day(s, now)
        peak[s.kind] = max(peak.get(s.kind, 0.0), value)
    best: dict[str, ScoredTopic] = {}
    for s in signals:
        topic = clean_candidate(s.text, channel_names=[s.channel_name] if s.channel_name else ())
        if topic is None:
            continue
        stems = content_stems(topic)
        match = niche_match(stems, core, extended)
        if match <= 0:
            continue  # off-niche
        strength = _per_day(s, now) if s.kind in ("search", "most_popular") else s.strength
        top = peak.get(s.kind, 0.0)
        norm = 100.0 * math.log1p(max(0.0, strength)) / math.log1p(top) if top > 0 else 0.0
        base = min(100.0, norm * KIND_WEIGHT.get(s.kind, 1.0) * s.weight)
        if s.kind in TRENDS_FRESHNESS:
            freshness = TRENDS_FRESHNESS[s.kind]
        elif s.published_at is not None:
            age_days = max(0.0, (now - s.published_at).total_seconds() / 86400)
            freshness = 20.0 * max(0.0, 1.0 - age_days / FRESH_DAYS)
        else:
            freshness = 5.0
        slug = slugify(topic)
        used = is_used(topic, slug, used_slugs)
        score = base * 0.7 + match + freshness - (USED_PENALTY if used else 0.0)
        cand = ScoredTopic(channel=channel.name, topic=topic, slug=slug,
                           partition_key=f"{channel.name}{KEY_SEPARATOR}{slug}", score=round(score, 2),
                           base=round(base, 2), niche_match=round(match, 2), freshness=round(freshness, 2),
                           recently_used=used, source=source)
        if slug not in best or cand.score > best[slug].score:
            best[slug] = cand
    return _dedupe_similar(sorted(best.values(), key=lambda t: (-t.score, t.slug)))


def _per_day(s: Signal, now: datetime) -> float:
    if s.published_at is None:
        return s.strength / FRESH_DAYS
    age_days = max(1.0 / 24, (now - s.published_at).total_seconds() / 86400)
    return s.strength / age_days


def _dedupe_similar(topics: list[ScoredTopic]) -> list[ScoredTopic]:
    """Keep the best-scored wording of each topic (input sorted best first)."""
    kept: list[ScoredTopic] = []
    for t in topics:
        if not any(same_topic(t.topic, k.topic) for k in kept):
            kept.append(t)
    return kept


def google_trends_topics(channel: Channel, related: Mapping, interest: Mapping | None = None, *, day: date,
                         used_slugs: set[str] | None = None, now: datetime | None = None) -> list[ScoredTopic]:
    return score_signals(channel, google_trends_signals(related, interest), source="google_trends",
                         now=reference_time(day, now), used_slugs=used_slugs)


def youtube_topics(channel: Channel, search_items: Sequence, videos: Sequence = (), popular: Sequence = (), *,
                   day: date, used_slugs: set[str] | None = None, now: datetime | None = None) -> list[ScoredTopic]:
    return score_signals(channel, youtube_signals(search_items, videos, popular), source="youtube",
                         now=reference_time(day, now), used_slugs=used_slugs)


# -- merging -----------------------------------------------------------------------------------

def _source_name(sources: Iterable[str]) -> str:
    names = sorted({p for s in sources for p in s.split("+") if p != "offline"}, key=lambda n: SOURCE_ORDER.get(n, 9))
    return "+".join(names) or "offline"


def _unsunk(t: ScoredTopic) -> float:
    return t.score + (USED_PENALTY if t.recently_used else 0.0)


def merge_trends(channel: Channel, by_source: Mapping[str, Sequence[ScoredTopic]], *, day: date,
                 used_slugs: set[str] | None = None) -> list[ScoredTopic]:
    """All sources' candidates and the channel's offline topics as one ranked list (best first).

    ``by_source``: {"google_trends": [...], "youtube": [...]} as the sources returned them
    (an "offline" entry is used as given; otherwise the offline topics are scored here).
    """
    used_slugs = used_slugs or set()
    offline = list(by_source.get("offline") or score_topics(channel, day=day, used_slugs=used_slugs))
    cloud = sorted((t for name, ts in by_source.items() if name != "offline" for t in ts),
                   key=lambda t: (-_unsunk(t), t.slug))
    # 1. the same topic from several sources becomes one entry
    clusters: list[list[ScoredTopic]] = []
    for t in cloud:
        for cluster in clusters:
            if cluster[0].slug == t.slug or same_topic(cluster[0].topic, t.topic):
                cluster.append(t)
                break
        else:
            clusters.append([t])
    merged: list[ScoredTopic] = []
    for cluster in clusters:
        best = cluster[0]
        sources = {t.source for t in cluster}
        bonus = AGREEMENT_BONUS if len(_source_name(sources).split("+")) > 1 else 0.0
        merged.append(replace(best, source=_source_name(sources), base=max(t.base for t in cluster),
                              niche_match=max(t.niche_match for t in cluster),
                              freshness=max(t.freshness for t in cluster),
                              score=round(_unsunk(best) + bonus - (USED_PENALTY if best.recently_used else 0), 2)))
    # 2. a cloud topic that is one of the channel's offline topics takes the seed's wording and slug
    final: dict[str, ScoredTopic] = {t.slug: t for t in offline}
    for m in merged:
        seed = next((o for o in offline if o.slug == m.slug or same_topic(o.topic, m.topic)), None)
        if seed is None:
            if m.slug in final:  # two clusters can share a slug only via different wordings; keep the best
                if m.score <= final[m.slug].score:
                    continue
            final[m.slug] = m
            continue
        current = final[seed.slug]
        raw = max(_unsunk(current), _unsunk(m)) + (AGREEMENT_BONUS if current.source == "offline" else 0.0)
        final[seed.slug] = replace(
            current, source=_source_name([current.source, m.source]), base=max(current.base, m.base),
            niche_match=max(current.niche_match, m.niche_match), freshness=max(current.freshness, m.freshness),
            score=round(raw - (USED_PENALTY if seed.recently_used else 0.0), 2), recently_used=seed.recently_used)
    return sorted(final.values(), key=lambda t: (-t.score, t.slug))


@dataclass
class TrendsOutcome:
    topics: list[ScoredTopic]
    counts: dict[str, int]  # source -> candidates it returned
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, why)

    def metadata(self) -> dict:
        by_source: dict[str, int] = {}
        for t in self.topics:
            by_source[t.source] = by_source.get(t.source, 0) + 1
        return {"sources_used": sorted(self.counts), "candidates": self.counts, "topics_by_source": by_source,
                "skipped": {n: why for n, why in self.skipped}}


def collect_trends(channel: Channel, fetchers: Mapping[str, Callable[[], list[ScoredTopic]] | None], *, day: date,
                   used_slugs: set[str] | None = None, breaker: CircuitBreaker | None = None,
                   log: Callable[[str], None] = lambda m: None,
                   unconfigured_fix: Mapping[str, str] | None = None) -> TrendsOutcome:
    """Ask every cloud source in the channel's ``providers.trends`` and merge what came back.

    A source that is not configured (None), whose circuit is open, or that fails transiently
    (after its own retries) is skipped and noted; the others and the offline topics still count.
    A request or configuration error (a bad key, an invalid region) is raised, never hidden.
    """
    used_slugs = used_slugs or set()
    by_source: dict[str, list[ScoredTopic]] = {}
    counts: dict[str, int] = {}
    skipped: list[tuple[str, str]] = []
    for name in channel.providers.trends:
        if name == "offline":
            continue
        ok, found = try_provider(f"trends for {channel.name}", name, fetchers.get(name), skipped, breaker=breaker,
                                 log=log, unconfigured_fix=unconfigured_fix)
        if not ok:
            continue
        by_source[name] = list(found)
        counts[name] = len(found)
    offline = score_topics(channel, day=day, used_slugs=used_slugs)
    counts["offline"] = len(offline)
    topics = merge_trends(channel, {**by_source, "offline": offline}, day=day, used_slugs=used_slugs)
    return TrendsOutcome(topics=topics, counts=counts, skipped=skipped)
