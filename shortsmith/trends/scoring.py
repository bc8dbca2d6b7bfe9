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

import functools
import html
import json
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..config import Channel
from ..errors import InputError
from ..resilience import (CircuitBreaker, ProviderError, ProviderUnavailable, RetryPolicy, http_error, scrub,
                         try_provider)
from ..topics import KEY_SEPARATOR, ScoredTopic, clean_topic, score_topics, slugify

SOURCES = ("google_trends", "youtube")
SOURCE_ORDER = {"google_trends": 0, "youtube": 1}
AGREEMENT_BONUS = 10.0
USED_PENALTY = 100.0
KIND_WEIGHT = {"rising": 1.0, "top": 0.8, "search": 1.0, "most_popular": 0.8}
TRENDS_FRESHNESS = {"rising": 20.0, "top": 8.0}
FRESH_DAYS = 7.0
MAX_KEYWORDS = 5  # Google Trends compares at most five terms
MIN_WORDS, MAX_WORDS = 2, 14

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on
once only or other our ours out over own same she should so some such than that the their theirs them
then there these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself ever every really actually here's that's
what's it's don't doesn't didn't can't won't isn't aren't you're we're they're let's vs via
""".split())
# Words that describe the format rather than the subject: never a search keyword, never proof of niche.
FILLER = frozenset("""
explained explain explains simply simple told tell tells short shorts story stories everyday moments
things thing stuff quick daily curiosities curiosity strange weird fun funny amazing interesting cool
video videos new best top today watch viral trending channel episode part
""".split())
HYPE_WORDS = ("you won't believe", "you wont believe", "wait for it", "watch till the end", "watch until the end",
              "watch to the end", "must watch", "gone wrong", "like and subscribe", "subscribe for more",
              "full video", "youtube shorts", "mind-blowing", "mind blowing", "mindblowing", "unbelievable",
              "shocking", "insane", "omg", "wow", "crazy", "epic", "breaking")
SPAM_TAGS = re.compile(r"#(?:shorts?|ytshorts|youtubeshorts|viral|fyp|foryou|foryoupage|trending|explore|"
                       r"subscribe)\b", re.I)
_ALLOWED = set(" -'’,.?!:&()%$/+\"")
# Upper-case words of four letters or more are shouting ("PURR", "SHOCKING") unless they are one of these.
ACRONYMS = frozenset("NASA NOAA CERN ESA JWST NATO FIFA UNESCO UNICEF COVID LEGO IKEA HTML JSON HTTP USSR".split())


# -- words -----------------------------------------------------------------------------------

# Words that end in -s and are not plurals.
INVARIANT = frozenset("""news series species physics mathematics economics politics genetics ethics optics
gas chaos lens bus gps diabetes measles mars venus atlas cosmos""".split())


def stem(word: str) -> str:
    """A light English stem so 'octopuses'/'octopus' and 'curiosities'/'curiosity' agree."""
    w = word.lower().strip("'’")
    for suffix in ("'s", "’s"):
        if w.endswith(suffix):
            w = w[: -len(suffix)]
    if w in INVARIANT:
        return w
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith("es") and w[:-2].endswith(("s", "x", "ch", "sh", "z")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def content_stems(text: str) -> set[str]:
    """The stems of the words that carry meaning (no stop words, no format filler, no numbers)."""
    words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", unicodedata.normalize("NFKC", text).lower())
    return {stem(w) for w in words if w not in STOPWORDS and w not in FILLER and len(w) > 1
            and stem(w) not in FILLER}


def same_topic(a: str, b: str) -> bool:
    """Whether two wordings name the same topic (shared content words)."""
    sa, sb = content_stems(a), content_stems(b)
    if not sa or not sb:
        return False
    shared = len(sa & sb)
    if shared < 2:  # one shared word ('science') is the niche, not the topic
        return sa == sb
    return shared / len(sa | sb) >= 0.5 or shared == min(len(sa), len(sb))


def niche_keywords(channel: Channel, limit: int = MAX_KEYWORDS) -> list[str]:
    """Search terms for a channel: its tags, then the content words of its niche (deduplicated)."""
    out: list[str] = []
    seen: set[str] = set()
    candidates = [t.strip().lower() for t in channel.tags if t.strip()]
    candidates += [w for w in re.findall(r"[a-z][a-z'’-]+", channel.niche.lower())
                   if w not in STOPWORDS and w not in FILLER and len(w) > 3]
    for kw in candidates:
        key = " ".join(sorted(stem(w) for w in kw.split()))
        if key in seen or key in FILLER:
            continue
        seen.add(key)
        out.append(kw)
        if len(out) >= limit:
            break
    return out


def niche_vocabulary(channel: Channel) -> tuple[set[str], set[str]]:
    """(core, extended) stems: core = niche and tags; extended = the topics list's keywords and words."""
    core = content_stems(channel.niche)
    for tag in channel.tags:
        core |= content_stems(tag)
    extended: set[str] = set()
    for seed in channel.topics:
        extended |= content_stems(seed.topic)
        for kw in seed.keywords:
            extended |= content_stems(kw)
    return core, extended - core


def niche_match(stems: set[str], core: set[str], extended: set[str]) -> float:
    return min(10.0, 5.0 * len(stems & core) + 2.5 * len(stems & extended))


# -- cleaning ----------------------------------------------------------------------------------

def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def clean_candidate(text: str, *, channel_names: Iterable[str] = ()) -> str | None:
    """A raw search query or video title as a topic, or None when nothing usable is left."""
    t = unicodedata.normalize("NFKC", html.unescape(str(text or "")))
    t = re.sub(r"https?://\S+", " ", t)
    t = re.sub(r"(\s*#[^\W_][\w]*)+\s*$", "", t)  # the run of hashtags at the end
    t = SPAM_TAGS.sub(" ", t)
    t = re.sub(r"#([^\W_]\w*)", r"\1", t)  # a hashtag inside the sentence keeps its word
    t = re.sub(r"(?<!\w)@[\w.]+", " ", t)  # @handles
    for name in channel_names:
        name = (name or "").strip()
        if len(name) < 2:
            continue
        n = re.escape(name)
        t = re.sub(rf"\s*(?:[|\-–—:~•·]|\bby)\s*{n}\s*$", "", t, flags=re.I)
        t = re.sub(rf"^\s*{n}\s*(?:[|\-–—:~•·])\s*", "", t, flags=re.I)
    t = re.sub(r"[\(\[\{【][^\)\]\}】]*[\)\]\}】]", " ", t)  # (Official Video), [4K], {shorts}
    t = re.sub(r"\s*[|•·~–—]\s*", " - ", t)
    for phrase in HYPE_WORDS:
        t = re.sub(rf"(?<!\w){re.escape(phrase)}(?!\w)", " ", t, flags=re.I)
    t = re.sub(r"(?<!\w)shorts?(?!\w)(?=\s*(?:-|$))", " ", t, flags=re.I)  # a trailing "shorts" label
    t = t.replace("“", "").replace("”", "").replace("\"", "").replace("…", " ")
    t = "".join(ch if (ch.isalnum() or ch in _ALLOWED) else " " for ch in t)  # emoji and symbols
    t = re.sub(r"\.{2,}", " ", t)
    t = re.sub(r"[!?]*\?[!?]*", "?", t)  # "?!?" -> "?"
    t = t.replace("!", " ")
    t = re.sub(r"\s+", " ", t)
    t = re.sub(r"(\s+-)+\s*$|^\s*(-\s+)+", "", t)
    t = re.sub(r"\s+([,.?:])", r"\1", t)
    t = re.sub(r"(\s-\s)+", " - ", t)
    t = t.strip(" -:,;.&/+")
    words = t.split()
    alpha = [w for w in words if any(c.isalpha() for c in w)]
    shouting = [w for w in alpha if w.isupper() and sum(c.isalpha() for c in w) >= 2]
    if alpha and len(shouting) * 2 > len(alpha):
        t = t.lower()
    else:
        t = " ".join(w.lower() if w in shouting and sum(c.isalpha() for c in w) >= 4
                     and re.sub(r"\W", "", w) not in ACRONYMS else w for w in words)
    t = _sentence_case(t.strip())
    if not MIN_WORDS <= len(t.split()) <= MAX_WORDS:
        return None
    try:
        return clean_topic(t)
    except InputError:
        return None


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


# -- Google Trends client (pytrends) -------------------------------------------------------------

GOOGLE_TRENDS_URL = "https://trends.google.com/trends"
TIMEFRAME_RE = re.compile(r"^(now (1|4)-H|now (1|7)-d|today (1|3|12)-m|today 5-y|all|"
                          r"\d{4}-\d{2}-\d{2} \d{4}-\d{2}-\d{2})$")
GEO_RE = re.compile(r"^([A-Z]{2}(-[A-Z0-9]{1,3})?)?$")
HL_RE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")


@dataclass
class GoogleTrendsData:
    keywords: list[str]
    related: dict[str, dict[str, list[dict]]]  # keyword -> {"top"/"rising": [{"query", "value"}]}
    interest: dict[str, list[float]]  # keyword -> interest over time


@functools.lru_cache(maxsize=1)
def _pytrends_class():
    import requests
    from pytrends.request import TrendReq

    class LoopbackableTrendReq(TrendReq):
        """pytrends' client with its URLs under ``base_url`` (pytrends names them as TrendReq.X constants)."""

        def __init__(self, *, base_url: str = GOOGLE_TRENDS_URL, **kwargs):
            self.base_url = base_url.rstrip("/")
            super().__init__(**kwargs)

        def GetGoogleCookie(self):  # noqa: N802 - pytrends' name
            # As pytrends does (GET the explore page, keep NID), without its proxy loop, and a refusal
            # (429 or 5xx) is an error rather than a silent cookie-less session that Google would refuse.
            response = requests.get(f"{self.base_url}/explore/?geo={self.hl[-2:]}", timeout=self.timeout,
                                    **self.requests_args)
            if response.status_code >= 400:
                from pytrends import exceptions

                if response.status_code == 429:
                    raise exceptions.TooManyRequestsError.from_response(response)
                raise exceptions.ResponseError.from_response(response)
            return dict(filter(lambda i: i[0] == "NID", response.cookies.items()))

        def _get_data(self, url, method=TrendReq.GET_METHOD, trim_chars=0, **kwargs):
            if url.startswith(GOOGLE_TRENDS_URL):
                url = self.base_url + url[len(GOOGLE_TRENDS_URL):]
            return super()._get_data(url, method, trim_chars, **kwargs)

    return LoopbackableTrendReq


def _strip_html(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text or "")).split())[:200]


@dataclass
class GoogleTrendsClient:
    hl: str = "en-US"
    tz: int = 0
    geo: str = ""
    timeframe: str = "now 7-d"
    timeout_s: float = 15.0
    max_attempts: int = 3
    requests_per_minute: int = 10
    base_url: str = GOOGLE_TRENDS_URL
    field_prefix: str = "google_trends"  # how errors name this client's settings

    PROVIDER = "google-trends"

    def validate(self) -> None:
        p = self.field_prefix
        if not HL_RE.match(self.hl):
            raise ProviderError(f"hl {self.hl!r} is not a language code", provider=self.PROVIDER, field=f"{p}.hl",
                                fix="use a language like 'en-US' or 'de-DE'")
        if not GEO_RE.match(self.geo):
            raise ProviderError(f"geo {self.geo!r} is not a region code", provider=self.PROVIDER, field=f"{p}.geo",
                                fix="use an ISO country code like 'US' or 'GB' (or 'US-CA'), or '' for worldwide")
        if not TIMEFRAME_RE.match(self.timeframe):
            raise ProviderError(f"timeframe {self.timeframe!r} is not one Google Trends accepts",
                                provider=self.PROVIDER, field=f"{p}.timeframe",
                                fix="use 'now 1-d', 'now 7-d', 'today 1-m', 'today 3-m', 'today 12-m' or "
                                    "'YYYY-MM-DD YYYY-MM-DD'")
        if self.timeout_s <= 0 or self.max_attempts < 1:
            raise ProviderError("timeout_s must be > 0 and max_attempts >= 1", provider=self.PROVIDER,
                                field=f"{p}.timeout_s", fix="e.g. timeout_s=15, max_attempts=3")

    def classify(self, exc: BaseException, keywords: Sequence[str] = ()) -> ProviderError | None:
        import requests
        from pytrends import exceptions

        p = self.PROVIDER
        if isinstance(exc, exceptions.ResponseError):
            resp = exc.response
            status = getattr(resp, "status_code", None)
            body = _strip_html(getattr(resp, "text", ""))
            headers = getattr(resp, "headers", None)
            if status is not None and (status in (408, 429) or status >= 500):
                return http_error(p, status, body, headers)
            if status is not None and status < 300:  # e.g. a consent or error page instead of JSON
                return ProviderError(f"the answer was not JSON (HTTP {status}, {body[:80]!r})", provider=p,
                                     status=status, transient=True)
            return ProviderError(
                f"Google Trends refused the request (HTTP {status}: {body}) for keywords {list(keywords)} with "
                f"hl={self.hl!r} geo={self.geo!r} timeframe={self.timeframe!r}", provider=p, status=status,
                field=f"{self.field_prefix}.geo/timeframe/hl",
                fix="correct geo (an ISO country code or '' for worldwide), timeframe (e.g. 'now 7-d') or hl "
                    "(e.g. 'en-US'), or the channel's tags/niche if a keyword is the problem")
        if isinstance(exc, requests.exceptions.Timeout):
            return ProviderError(f"no answer within {self.timeout_s:g} s ({type(exc).__name__})", provider=p,
                                 transient=True)
        if isinstance(exc, requests.exceptions.ConnectionError):
            return ProviderError(f"the connection failed ({type(exc).__name__})", provider=p, transient=True)
        if isinstance(exc, (json.JSONDecodeError, requests.exceptions.JSONDecodeError)):
            return ProviderError(f"the response was not the JSON Google Trends sends ({exc.msg})", provider=p,
                                 transient=True)
        return None

    def _guarded(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        def run():
            try:
                return fn()
            except (KeyError, IndexError, TypeError) as exc:  # pytrends reading an answer of the wrong shape
                raise ProviderError(f"the response was malformed (missing {exc!s:.80})", provider=self.PROVIDER,
                                    transient=True) from None
        return run

    def fetch(self, keywords: Sequence[str], *, calls) -> GoogleTrendsData:
        """Related queries (top and rising) and interest over time for up to five keywords."""
        self.validate()
        keywords = [k for k in keywords if k][:MAX_KEYWORDS]
        if not keywords:
            raise ProviderError("no keywords to look up", provider=self.PROVIDER, field="channel.tags",
                                fix="give the channel tags or a niche with content words")
        policy = RetryPolicy(max_attempts=self.max_attempts)
        cls = _pytrends_class()

        def call(fn: Callable[[], Any], operation: str):
            out = calls.call(self._guarded(fn), provider=self.PROVIDER,
                             classify=lambda e: self.classify(e, keywords), policy=policy,
                             per_minute=self.requests_per_minute)
            calls.meter.add(self.PROVIDER, operation, request=1)
            return out

        timeout = (min(5.0, self.timeout_s), self.timeout_s)
        client = call(lambda: cls(base_url=self.base_url, hl=self.hl, tz=self.tz, geo=self.geo, timeout=timeout,
                                  retries=0, backoff_factor=0), "cookie")
        call(lambda: client.build_payload(list(keywords), cat=0, timeframe=self.timeframe, geo=self.geo), "explore")
        interest: dict[str, list[float]] = {}
        try:
            frame = call(client.interest_over_time, "interest_over_time")
            if frame is not None and not frame.empty:
                interest = {k: [float(v) for v in frame[k].tolist()] for k in keywords if k in frame.columns}
        except ProviderError as exc:
            if not exc.transient:
                raise
            calls.log(f"google-trends: interest over time unavailable, related queries unweighted: {exc.message}")
        related: dict[str, dict[str, list[dict]]] = {}
        for widget in list(client.related_queries_widget_list):
            def one(w=widget):
                client.related_queries_widget_list = [w]
                return client.related_queries()
            for kw, kinds in call(one, "related_queries").items():
                related[kw] = {kind: ([] if df is None else df[["query", "value"]].to_dict("records"))
                               for kind, df in kinds.items()}
        return GoogleTrendsData(keywords=list(keywords), related=related, interest=interest)


# -- YouTube Data API client (google-api-python-client) ------------------------------------------

YOUTUBE_ROOT_URL = "https://youtube.googleapis.com/"
QUOTA_UNITS = {"search.list": 100, "videos.list": 1}
QUOTA_RESET_MARGIN_S = 300.0  # the reset is not to the second
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "dailyLimitExceededUnreg"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
KEY_REASONS = {"keyInvalid", "API_KEY_INVALID", "keyExpired", "API_KEY_EXPIRED"}
ACCESS_REASONS = {"accessNotConfigured", "SERVICE_DISABLED", "ipRefererBlocked", "API_KEY_SERVICE_BLOCKED",
                  "API_KEY_IP_ADDRESS_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED", "forbidden", "PERMISSION_DENIED"}


class RequestsHttp:
    """The ``httplib2.Http`` interface googleapiclient calls, over ``requests``: exactly one attempt.

    httplib2 silently sends a request again after a dropped connection; for search.list that is
    another 100 quota units the cost meter never sees. Here the only retry loop is the caller's.
    """

    def __init__(self, timeout_s: float):
        import requests

        self.session = requests.Session()
        self.timeout = (min(5.0, timeout_s), timeout_s)

    def request(self, uri, method="GET", body=None, headers=None, redirections=5, connection_type=None):
        import httplib2

        r = self.session.request(method, uri, data=body, headers=headers, timeout=self.timeout,
                                 allow_redirects=redirections > 0)
        info = {k.lower(): v for k, v in r.headers.items()}
        info["status"] = str(r.status_code)
        resp = httplib2.Response(info)
        resp.reason = r.reason or ""
        return resp, r.content

    def close(self) -> None:
        self.session.close()


class _RedactKey(logging.Filter):
    """googleapiclient and urllib3 log request URLs at DEBUG level, and the API key is a URL parameter."""

    PATTERN = re.compile(r"([?&](?:key|access_token)=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is left as it is
            return True
        if "key=" in text or "access_token=" in text:
            record.msg, record.args = self.PATTERN.sub(r"\1***", text), ()
        return True


_REDACT = _RedactKey()
LIBRARY_LOGGERS = ("googleapiclient.discovery", "googleapiclient.http", "googleapiclient.model",
                   "urllib3.connectionpool")


def redact_key_in_library_logs() -> None:
    for name in LIBRARY_LOGGERS:
        lg = logging.getLogger(name)
        if _REDACT not in lg.filters:
            lg.addFilter(_REDACT)


def seconds_to_quota_reset(now: datetime | None = None) -> float:
    """YouTube's daily quota resets at midnight Pacific time."""
    from zoneinfo import ZoneInfo

    pt = ZoneInfo("America/Los_Angeles")
    now_pt = (now or datetime.now(timezone.utc)).astimezone(pt)
    midnight = datetime.combine(now_pt.date() + timedelta(days=1), time(0), pt)
    return max(60.0, (midnight - now_pt).total_seconds())


def _youtube_error(content: Any) -> tuple[str, str, str]:
    """(reason, message, location) from a YouTube error body."""
    try:
        err = json.loads(content.decode("utf-8", "replace") if isinstance(content, bytes) else content)["error"]
    except (ValueError, TypeError, KeyError, AttributeError):
        return "", _strip_html(content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)), ""
    if not isinstance(err, dict):
        return "", str(err)[:200], ""
    first = (err.get("errors") or [{}])[0] or {}
    reason = str(first.get("reason") or "")
    for detail in err.get("details") or []:
        if isinstance(detail, dict) and detail.get("reason") and (not reason or reason in ("badRequest", "forbidden")):
            reason = str(detail["reason"])
    return reason, " ".join(str(err.get("message") or first.get("message") or "").split())[:300], \
        str(first.get("location") or "")


@dataclass
class YouTubeData:
    search: list[dict]
    videos: list[dict]
    popular: list[dict]
    units: int


@dataclass
class YouTubeClient:
    api_key: str
    region_code: str = "US"
    root_url: str | None = None
    timeout_s: float = 15.0
    max_attempts: int = 3
    requests_per_minute: int = 30
    max_results: int = 25
    key_env: str = "YOUTUBE_API_KEY"
    field_prefix: str = "youtube_trends"

    PROVIDER = "youtube"

    def service(self):
        from importlib import resources

        redact_key_in_library_logs()

        from googleapiclient.discovery import build_from_document

        doc = json.loads(resources.files("googleapiclient.discovery_cache")
                         .joinpath("documents/youtube.v3.json").read_text(encoding="utf-8"))
        if self.root_url:
            root = self.root_url.rstrip("/") + "/"
            doc["rootUrl"] = root
            doc["baseUrl"] = root + doc.get("servicePath", "")
        return build_from_document(doc, developerKey=self.api_key, http=RequestsHttp(self.timeout_s))

    def _fields(self, channel: Channel) -> dict[str, str]:
        where = f"channels[{channel.name}]"
        return {"regionCode": f"{self.field_prefix}.region_code", "videoCategoryId": f"{where}.category_id",
                "q": f"{where}.tags", "relevanceLanguage": f"{where}.language",
                "maxResults": f"{self.field_prefix}.max_results", "key": self.key_env}

    def classify(self, exc: BaseException, channel: Channel, operation: str) -> ProviderError | None:
        import requests
        from googleapiclient.errors import HttpError

        p = self.PROVIDER
        if isinstance(exc, HttpError):
            status = int(exc.resp.status)
            reason, message, location = _youtube_error(exc.content)
            message = scrub(message, [self.api_key])  # an echoed key never reaches a message
            what = f"{operation} HTTP {status}" + (f" {reason}" if reason else "") + f": {message}"
            if reason in QUOTA_REASONS:
                # Not worth retrying within this call (Retry-After is far past the policy's limit), but
                # transient: the merge carries on with the other sources and the offline topics.
                wait = seconds_to_quota_reset()
                return ProviderError(f"{what} (the daily quota resets at midnight Pacific time, in {wait / 3600:.1f} h)",
                                     provider=p, status=status, retry_after=wait + QUOTA_RESET_MARGIN_S,
                                     transient=True,
                                     fix="wait for the reset, spend fewer units (search.list costs 100) or ask "
                                         "Google for more quota")
            if reason in RATE_REASONS or status == 429 or status >= 500 or status == 408:
                err = http_error(p, status, message, exc.resp)
                return ProviderError(what, provider=p, status=status, retry_after=err.retry_after, transient=True)
            if reason in KEY_REASONS or "api key not valid" in message.lower():
                return ProviderError(f"{what} (the API key was refused)", provider=p, status=status,
                                     field=self.key_env,
                                     fix=f"set {self.key_env} to a valid API key (Google Cloud console > APIs & "
                                         "Services > Credentials) from a project with the YouTube Data API v3 enabled")
            if reason in ACCESS_REASONS or status in (401, 403):
                return ProviderError(f"{what} (the key may not use this API)", provider=p, status=status,
                                     field=self.key_env,
                                     fix="enable the YouTube Data API v3 in the key's Google Cloud project and allow "
                                         "it in the key's API restrictions (and IP/referrer restrictions)")
            fields = self._fields(channel)
            field_name = fields.get(location)
            if field_name is None and reason in ("videoChartNotFound", "invalidCategoryId"):
                field_name = fields["videoCategoryId"]
            if field_name is None and "region" in reason.lower():
                field_name = fields["regionCode"]
            return ProviderError(f"YouTube rejected {what}", provider=p, status=status,
                                 field=field_name or f"{self.field_prefix}",
                                 fix=f"correct {field_name or 'the request settings'}"
                                     + (f" (the API named parameter '{location}')" if location else ""))
        if isinstance(exc, (requests.exceptions.Timeout, TimeoutError)):
            return ProviderError(f"{operation}: no answer within {self.timeout_s:g} s", provider=p, transient=True)
        if isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError)):
            return ProviderError(f"{operation}: the connection failed ({type(exc).__name__})", provider=p,
                                 transient=True)
        if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
            return ProviderError(f"{operation}: the response was not JSON", provider=p, transient=True)
        return None

    def fetch(self, channel: Channel, keywords: Sequence[str], *, published_after: datetime, calls) -> YouTubeData:
        if not self.api_key:
            raise ProviderUnavailable("no API key", provider=self.PROVIDER, fix=f"set {self.key_env}")
        if self.region_code and not re.match(r"^[A-Z]{2}$", self.region_code):
            raise ProviderError(f"region_code {self.region_code!r} is not an ISO 3166-1 alpha-2 code",
                                provider=self.PROVIDER, field=f"{self.field_prefix}.region_code",
                                fix="use a country code like 'US', 'GB' or 'DE'")
        if not keywords:
            raise ProviderError("no keywords to search for", provider=self.PROVIDER, field=f"channels[{channel.name}].tags",
                                fix="give the channel tags or a niche with content words")
        yt = self.service()
        policy = RetryPolicy(max_attempts=self.max_attempts)
        units = 0

        def call(request_fn: Callable[[], Any], operation: str, *, allow: Callable[[Any], Any] | None = None):
            nonlocal units

            def attempt():
                try:
                    with calls.spend(self.PROVIDER, operation):  # the project's quota ledger, when there is one
                        answer = request_fn().execute(num_retries=0)
                except Exception as exc:  # noqa: BLE001 - a known "no data" answer, else classified
                    if allow is not None:
                        fallback = allow(exc)
                        if fallback is not None:
                            return fallback
                    raise
                if not isinstance(answer, dict) or not isinstance(answer.get("items", []), list):
                    # googleapiclient hands back the raw text when a 2xx body is not JSON
                    raise ProviderError(f"{operation}: the response was not JSON", provider=self.PROVIDER,
                                        transient=True)
                return answer

            out = calls.call(attempt, provider=self.PROVIDER, classify=lambda e: self.classify(e, channel, operation),
                             policy=policy, per_minute=self.requests_per_minute, secrets=[self.api_key])
            calls.meter.add(self.PROVIDER, operation, unit=QUOTA_UNITS[operation])
            units += QUOTA_UNITS[operation]
            return out

        after = published_after.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        search_args = dict(part="snippet", type="video", order="viewCount", q="|".join(keywords),
                           publishedAfter=after, maxResults=self.max_results, videoDuration="short",
                           relevanceLanguage=channel.language, safeSearch="moderate")
        if self.region_code:
            search_args["regionCode"] = self.region_code
        search = call(lambda: yt.search().list(**search_args), "search.list")
        items = [i for i in (search or {}).get("items") or [] if isinstance(i, dict)]
        ids = [i["id"]["videoId"] for i in items if isinstance(i.get("id"), dict) and i["id"].get("videoId")]
        videos: list[dict] = []
        if ids:
            answer = call(lambda: yt.videos().list(part="snippet,statistics", id=",".join(ids[:50])), "videos.list")
            videos = [v for v in (answer or {}).get("items") or [] if isinstance(v, dict)]

        def no_chart(exc: BaseException):
            from googleapiclient.errors import HttpError

            if isinstance(exc, HttpError) and _youtube_error(exc.content)[0] == "videoChartNotFound":
                calls.log(f"youtube: no mostPopular chart for category {channel.category_id} in "
                          f"{self.region_code or 'the default region'}; using search results only")
                return {"items": []}
            return None

        popular_args = dict(part="snippet,statistics", chart="mostPopular", videoCategoryId=channel.category_id,
                            maxResults=self.max_results)
        if self.region_code:
            popular_args["regionCode"] = self.region_code
        popular = call(lambda: yt.videos().list(**popular_args), "videos.list", allow=no_chart)
        return YouTubeData(search=items, videos=videos,
                           popular=[v for v in (popular or {}).get("items") or [] if isinstance(v, dict)], units=units)
