"""Google Trends (pytrends' TrendReq) and YouTube (googleapiclient) trend sources against loopback stand-ins.

What is sent (paths, parameters, the NID cookie, the API key, quota units), what comes back
(cleaned, on-niche, scored candidates) and every fault: 429 with Retry-After, 500, a hung
response, a cut connection, a malformed body, request errors (no retry, a clear error naming the
field and the fix), quota exhaustion (fallback to the other sources), and the key never in an
error or a log line.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline_defs.resources.trend_source import GoogleTrendsSource, OfflineTrendSource, YouTubeTrendSource
from shortsmith.config import load_channels
from shortsmith.resilience import CallContext, CircuitBreaker, CostMeter, MemoryKV, ProviderError, ProviderUnavailable
from shortsmith.topics import find_seed, score_topics
from shortsmith.trends import collect_trends
from tests.standins.google_trends import GoogleTrendsStandIn
from tests.standins.youtube_search import Video, YouTubeStandIn, youtube_error

ROOT = Path(__file__).resolve().parents[2]
KEY = "AIzaSy-test-key-3f9a1c77d2"

RELATED = {
    "science": {"top": [("science fair projects", 100), ("science news", 55)],
                "rising": [("why do cats purr science", 4450), ("science of sleep", 900),
                           ("taylor swift eras tour", 9999)]},
    "facts": {"top": [("fun facts about octopus color", 100)], "rising": []},
    "nature": {"top": [], "rising": [("nature documentary black holes", 300)]},
}
INTEREST = {"science": [20, 20, 25, 30, 40, 60, 80, 90], "facts": [40] * 8, "nature": [70, 60, 50, 40, 30, 20, 10, 5]}

VIDEOS = [
    Video("vid-cats", "Why Do Cats PURR?! 🐱 The science #shorts #cats", "Cat Facts Daily", views=2_400_000,
          age_hours=30, tags=["cats", "science"]),
    Video("vid-sleep", "The science of sleep & dreams (4K) | Sleep Lab", "Sleep Lab", views=300_000, age_hours=60,
          tags=["science"]),
    Video("vid-bees", "How bees make honey 🍯 #nature", "Bee Buzz", views=90_000, age_hours=20),
    # not within the week / not a Short (and in another category's chart)
    Video("vid-old", "Old science video", views=9_000_000, age_hours=24 * 30, category_id="24"),
    Video("vid-long", "A long nature documentary", views=500_000, age_hours=24, duration_s=1800, category_id="24"),
    Video("vid-english", "Learn English in 5 minutes", "ESL Now", views=5_000_000, age_hours=10),  # off-niche
]


@pytest.fixture(scope="module")
def channel():
    return load_channels(ROOT / "channels.yaml").get("curious-minds")


@pytest.fixture
def calls():
    waits: list[float] = []
    logs: list[str] = []
    ctx = CallContext(meter=CostMeter(), log=logs.append, sleep=waits.append)
    ctx.waits, ctx.logs = waits, logs  # type: ignore[attr-defined]
    return ctx


@pytest.fixture
def trends_api():
    with GoogleTrendsStandIn(RELATED, INTEREST) as api:
        yield api


@pytest.fixture
def youtube_api():
    with YouTubeStandIn(VIDEOS, api_key=KEY) as api:
        yield api


def today():
    return datetime.now(timezone.utc).date()


def gt_source(api, **kw) -> GoogleTrendsSource:
    return GoogleTrendsSource(base_url=api.url + "/trends", geo="US", timeout_s=kw.pop("timeout_s", 2.0), **kw)


def yt_source(api, **kw) -> YouTubeTrendSource:
    return YouTubeTrendSource(api_key=kw.pop("api_key", KEY), root_url=api.url, timeout_s=kw.pop("timeout_s", 2.0),
                              **kw)


# -- Google Trends ----------------------------------------------------------------------------

def test_google_trends_requests_and_candidates(channel, trends_api, calls):
    topics = gt_source(trends_api).discover(channel, day=today(), used_slugs=set(), calls=calls)

    paths = [(r.method, r.path) for r in trends_api.requests]
    assert paths == [("GET", "/trends/explore/"), ("POST", "/trends/api/explore"),
                     ("GET", "/trends/api/widgetdata/multiline")] + [
                        ("GET", "/trends/api/widgetdata/relatedsearches")] * 3
    assert trends_api.requests[0].query == {"geo": ["US"]}
    for r in trends_api.requests[1:]:
        assert f"NID={trends_api.nid}" in r.headers["cookie"]
        assert r.headers["accept-language"] == "en-US"
    explore = trends_api.requests[1]
    assert explore.query["hl"] == ["en-US"] and explore.query["tz"] == ["0"]
    req = json.loads(explore.query["req"][0])
    assert [c["keyword"] for c in req["comparisonItem"]] == ["science", "facts", "nature"]
    assert {c["time"] for c in req["comparisonItem"]} == {"now 7-d"} and {c["geo"] for c in req["comparisonItem"]} == {"US"}
    asked = {json.loads(r.query["req"][0])["restriction"]["complexKeywordsRestriction"]["keyword"][0]["value"]
             for r in trends_api.seen("/trends/api/widgetdata/relatedsearches")}
    assert asked == {"science", "facts", "nature"}

    by_topic = {t.topic: t for t in topics}
    assert "Taylor swift eras tour" not in by_topic  # off-niche
    assert {"Why do cats purr science", "Science of sleep", "Science fair projects",
            "Fun facts about octopus color", "Nature documentary black holes"} <= set(by_topic)
    assert all(t.source == "google_trends" and t.partition_key == f"curious-minds--{t.slug}" for t in topics)
    assert topics[0].topic == "Why do cats purr science"
    # science is rising this week, nature falling: the same-sized rise counts more under science
    assert by_topic["Science of sleep"].base > by_topic["Nature documentary black holes"].base
    ops = [(c.provider, c.operation) for c in calls.meter.items]
    assert ops == [("google-trends", "cookie"), ("google-trends", "explore"), ("google-trends", "interest_over_time")] \
        + [("google-trends", "related_queries")] * 3
    assert calls.meter.total == 0.0


def test_google_trends_honours_retry_after_on_429(channel, trends_api, calls):
    trends_api.fault("429", path="/trends/api/explore", retry_after=1)
    topics = gt_source(trends_api).discover(channel, day=today(), used_slugs=set(), calls=calls)
    assert topics and len(trends_api.seen("/trends/api/explore")) == 2
    assert calls.waits == [1.0]
    assert any("HTTP 429" in m for m in calls.logs)


def test_google_trends_retries_500_cut_and_malformed(channel, trends_api, calls):
    trends_api.fault("500", path="/trends/api/widgetdata/relatedsearches")
    trends_api.fault("cut", path="/trends/explore/")
    trends_api.fault("malformed", path="/trends/api/widgetdata/multiline")
    topics = gt_source(trends_api).discover(channel, day=today(), used_slugs=set(), calls=calls)
    assert topics
    assert len(trends_api.seen("/trends/explore/")) == 2
    assert len(trends_api.seen("/trends/api/widgetdata/multiline")) == 2
    assert len(trends_api.seen("/trends/api/widgetdata/relatedsearches")) == 4  # one retried
    assert len(calls.waits) == 3
    text = " ".join(calls.logs)
    assert "HTTP 500" in text and "connection failed" in text and "not the JSON" in text


def test_google_trends_hung_response_times_out_and_retries(channel, trends_api, calls):
    trends_api.fault("hang", path="/trends/api/explore", seconds=10)
    started = time.monotonic()
    topics = gt_source(trends_api, timeout_s=0.5).discover(channel, day=today(), used_slugs=set(), calls=calls)
    assert topics and time.monotonic() - started < 5
    assert len(trends_api.seen("/trends/api/explore")) == 2
    assert any("no answer within 0.5 s" in m for m in calls.logs)


def test_google_trends_gives_up_after_max_attempts(channel, trends_api, calls):
    trends_api.fault("503", path="/trends/api/explore", times=5)
    with pytest.raises(ProviderError) as err:
        gt_source(trends_api, max_attempts=3).discover(channel, day=today(), used_slugs=set(), calls=calls)
    assert err.value.transient and "gave up after 3 attempts" in str(err.value)
    assert len(trends_api.seen("/trends/api/explore")) == 3


def test_google_trends_request_error_is_not_retried(channel, trends_api, calls):
    trends_api.fault("400", path="/trends/api/explore")
    with pytest.raises(ProviderError) as err:
        gt_source(trends_api).discover(channel, day=today(), used_slugs=set(), calls=calls)
    e = err.value
    assert not e.transient and e.status == 400
    assert e.field == "GoogleTrendsSource.geo/timeframe/hl" and "timeframe" in e.fix
    assert "['science', 'facts', 'nature']" in e.message and "geo='US'" in e.message
    assert len(trends_api.seen("/trends/api/explore")) == 1 and calls.waits == []


def test_google_trends_settings_are_checked_before_any_request(channel, trends_api, calls):
    with pytest.raises(ProviderError) as err:
        gt_source(trends_api, timeframe="last week").discover(channel, day=today(), used_slugs=set(), calls=calls)
    assert err.value.field == "GoogleTrendsSource.timeframe" and "now 7-d" in err.value.fix
    with pytest.raises(ProviderError) as err:
        GoogleTrendsSource(base_url=trends_api.url + "/trends", geo="usa").discover(
            channel, day=today(), used_slugs=set(), calls=calls)
    assert err.value.field == "GoogleTrendsSource.geo"
    assert trends_api.requests == []


def test_google_trends_home_page_refusal_is_retried_then_fails(channel, calls):
    import requests

    with GoogleTrendsStandIn(RELATED, INTEREST) as api:
        # the stand-in refuses cookie-less API calls as Google does (so the happy path proves the cookie is sent)
        assert requests.post(api.url + "/trends/api/explore", timeout=2).status_code == 429
        api.requests.clear()
        api.fault("429", path="/trends/explore/", retry_after=2, times=3)
        with pytest.raises(ProviderError) as err:
            gt_source(api, max_attempts=2).discover(channel, day=today(), used_slugs=set(), calls=calls)
        assert err.value.transient and "429" in str(err.value)
        assert calls.waits == [2.0] and len(api.requests) == 2


# -- YouTube ----------------------------------------------------------------------------------

def test_youtube_requests_and_candidates(channel, youtube_api, calls):
    day = today()
    topics = yt_source(youtube_api).discover(channel, day=day, used_slugs=set(), calls=calls)

    search, by_id, popular = youtube_api.requests
    assert search.path == "/youtube/v3/search"
    q = {k: v[0] for k, v in search.query.items()}
    assert q["key"] == KEY and q["alt"] == "json"
    assert {k: q[k] for k in ("part", "type", "order", "q", "videoDuration", "regionCode", "relevanceLanguage",
                              "maxResults")} == {
        "part": "snippet", "type": "video", "order": "viewCount", "q": "science|facts|nature",
        "videoDuration": "short", "regionCode": "US", "relevanceLanguage": "en", "maxResults": "25"}
    after = datetime.fromisoformat(q["publishedAfter"].replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - timedelta(days=7) - after).total_seconds()) < 120
    assert by_id.path == "/youtube/v3/videos" and by_id.query["part"] == ["snippet,statistics"]
    assert set(by_id.query["id"][0].split(",")) == {"vid-cats", "vid-sleep", "vid-bees"}
    assert "maxResults" not in by_id.query
    assert popular.query["chart"] == ["mostPopular"] and popular.query["videoCategoryId"] == ["27"]
    assert popular.query["regionCode"] == ["US"]

    by_topic = {t.topic: t for t in topics}
    assert set(by_topic) == {"Why Do Cats purr? The science", "The science of sleep & dreams",
                             "How bees make honey"}
    assert all(t.source == "youtube" for t in topics)
    assert topics[0].topic == "Why Do Cats purr? The science"  # most views per day
    assert [(c.operation, c.units) for c in calls.meter.items] == [
        ("search.list", {"unit": 100.0}), ("videos.list", {"unit": 1.0}), ("videos.list", {"unit": 1.0})]
    assert youtube_api.quota_used == 102


def test_youtube_honours_retry_after_and_retries_500(channel, youtube_api, calls):
    youtube_api.fault("429", path="/youtube/v3/search", retry_after=1)
    youtube_api.fault("500", path="/youtube/v3/videos")
    topics = yt_source(youtube_api).discover(channel, day=today(), used_slugs=set(), calls=calls)
    assert topics
    assert len(youtube_api.seen("/youtube/v3/search")) == 2 and len(youtube_api.seen("/youtube/v3/videos")) == 3
    assert calls.waits[0] == 1.0 and len(calls.waits) == 2


def test_youtube_cut_connection_is_retried_once_by_us_only(channel, youtube_api, calls):
    youtube_api.fault("cut", path="/youtube/v3/search")
    topics = yt_source(youtube_api).discover(channel, day=today(), used_slugs=set(), calls=calls)
    assert topics
    # exactly one request per attempt: no hidden client retry spending another 100 units
    assert len(youtube_api.seen("/youtube/v3/search")) == 2 and len(calls.waits) == 1
    assert any("connection failed" in m for m in calls.logs)


def test_youtube_hung_response_and_malformed_body(channel, youtube_api, calls):
    youtube_api.fault("hang", path="/youtube/v3/search", seconds=10)
    youtube_api.fault("malformed", path="/youtube/v3/videos")
    started = time.monotonic()
    topics = yt_source(youtube_api, timeout_s=0.5).discover(channel, day=today(), used_slugs=set(), calls=calls)
    assert topics and time.monotonic() - started < 5
    text = " ".join(calls.logs)
    assert "no answer within 0.5 s" in text and "not JSON" in text


def test_youtube_invalid_key_is_a_clear_error_without_the_key(channel, youtube_api, calls):
    with pytest.raises(ProviderError) as err:
        yt_source(youtube_api, api_key="AIzaSy-wrong-key-0000000").discover(channel, day=today(), used_slugs=set(),
                                                                            calls=calls)
    e = err.value
    assert not e.transient and e.status == 400 and e.field == "YOUTUBE_API_KEY"
    assert "keyInvalid" in e.message and "YOUTUBE_API_KEY" in e.fix
    assert "AIzaSy-wrong-key-0000000" not in str(e) and "AIzaSy-wrong-key-0000000" not in repr(e.args)
    assert len(youtube_api.requests) == 1 and calls.waits == []


def test_youtube_api_not_enabled_names_the_key_and_the_fix(channel, youtube_api, calls):
    youtube_api.fault("403", path="/youtube/v3/search", body=youtube_error(
        403, "accessNotConfigured", "YouTube Data API v3 has not been used in project 1234 before or it is disabled.",
        domain="usageLimits"))
    with pytest.raises(ProviderError) as err:
        yt_source(youtube_api).discover(channel, day=today(), used_slugs=set(), calls=calls)
    e = err.value
    assert not e.transient and e.status == 403 and e.field == "YOUTUBE_API_KEY"
    assert "accessNotConfigured" in e.message and "enable the YouTube Data API v3" in e.fix
    assert len(youtube_api.requests) == 1


def test_youtube_key_is_scrubbed_from_errors_and_logs(channel, youtube_api, calls, caplog):
    caplog.set_level(logging.DEBUG)
    body = youtube_error(500, "backendError", f"backend failed for http://x/search?key={KEY}", domain="global")
    youtube_api.fault("500", path="/youtube/v3/search", body=body)
    body400 = youtube_error(400, "invalidValue", f"Invalid value for videoCategoryId (request key={KEY})",
                            location="videoCategoryId")
    youtube_api.fault("400", path="/youtube/v3/videos", body=body400)
    with pytest.raises(ProviderError) as err:
        yt_source(youtube_api).discover(channel, day=today(), used_slugs=set(), calls=calls)
    e = err.value
    assert KEY not in str(e) and KEY not in " ".join(calls.logs)
    assert "search?" in caplog.text and KEY not in caplog.text  # googleapiclient/urllib3 debug lines, redacted
    assert "***" in " ".join(calls.logs)  # the retried 500 was logged, scrubbed
    assert not e.transient and e.field == "channels[curious-minds].category_id"
    assert "videoCategoryId" in e.fix
    assert "AIzaSy" not in repr(yt_source(youtube_api))


def test_youtube_quota_exhausted_falls_back_without_retrying(channel, calls):
    from dataclasses import replace

    channel = replace(channel, providers=replace(channel.providers, trends=("youtube", "offline")))
    with YouTubeStandIn(VIDEOS, api_key=KEY, daily_quota=150) as api:
        source = yt_source(api)
        assert source.discover(channel, day=today(), used_slugs=set(), calls=calls)
        with pytest.raises(ProviderError) as err:
            source.discover(channel, day=today(), used_slugs=set(), calls=calls)
        e = err.value
        assert e.transient and e.status == 403 and "quotaExceeded" in e.message and "midnight Pacific" in e.message
        assert len(api.seen("/youtube/v3/search")) == 2  # not retried: the quota is gone for the day
        assert KEY not in str(e)
        # in the merge the other sources and the offline topics carry on
        breaker = CircuitBreaker(MemoryKV())
        outcome = collect_trends(channel, {"youtube": lambda: source.discover(channel, day=today(), used_slugs=set(),
                                                                              calls=calls)},
                                 day=today(), breaker=breaker)
        assert outcome.skipped and outcome.skipped[0][0] == "youtube" and "quota" in outcome.skipped[0][1]
        assert outcome.topics == score_topics(channel, day=today())


def test_youtube_category_without_a_chart_uses_search_only(channel, calls):
    with YouTubeStandIn(VIDEOS, api_key=KEY, charts={"10": {"US"}}) as api:
        topics = yt_source(api).discover(channel, day=today(), used_slugs=set(), calls=calls)
        assert api.seen("/youtube/v3/videos")[-1].query["chart"] == ["mostPopular"]
    assert {t.topic for t in topics} == {"Why Do Cats purr? The science", "The science of sleep & dreams",
                                         "How bees make honey"}
    assert any("no mostPopular chart for category 27" in m for m in calls.logs)


def test_youtube_without_a_key_is_unavailable(channel, youtube_api, calls):
    with pytest.raises(ProviderUnavailable):
        YouTubeTrendSource(root_url=youtube_api.url).discover(channel, day=today(), used_slugs=set(), calls=calls)
    with pytest.raises(ProviderError) as err:
        yt_source(youtube_api, region_code="USA").discover(channel, day=today(), used_slugs=set(), calls=calls)
    assert err.value.field == "YouTubeTrendSource.region_code"
    assert youtube_api.requests == []


# -- together ---------------------------------------------------------------------------------

def test_both_sources_merged_with_the_offline_topics(channel, trends_api, youtube_api, calls):
    from dataclasses import replace

    channel = replace(channel, providers=replace(channel.providers, trends=("google_trends", "youtube", "offline")))
    day = today()
    used = {"how-bees-make-honey"}
    sources = {"google_trends": gt_source(trends_api), "youtube": yt_source(youtube_api)}
    assert {n: s.provider for n, s in sources.items()} == {"google_trends": "google_trends", "youtube": "youtube"}
    assert OfflineTrendSource().provider == "offline"
    outcome = collect_trends(channel, {n: (lambda s=s: s.discover(channel, day=day, used_slugs=used, calls=calls))
                                       for n, s in sources.items()}, day=day, used_slugs=used)
    assert outcome.skipped == []
    by_slug = {t.slug: t for t in outcome.topics}
    cats = by_slug["why-cats-purr"]  # both sources found it, and it is an offline seed
    assert cats.source == "google_trends+youtube" and cats.topic == "Why cats purr"
    assert find_seed(channel, cats.slug) is not None
    assert by_slug["science-of-sleep"].source == "google_trends+youtube"  # "The science of sleep & dreams"
    assert by_slug["how-octopuses-change-color"].source == "google_trends"  # "fun facts about octopus color"
    bees = by_slug["how-bees-make-honey"]
    assert bees.source == "youtube" and bees.recently_used and outcome.topics[-1] is bees
    assert {t.slug for t in score_topics(channel, day=day)} <= set(by_slug)
    assert outcome.topics[0].slug == "why-cats-purr"
    assert outcome.metadata()["candidates"]["offline"] == len(channel.topics)
    assert calls.meter.by_provider() == {"google-trends": 0.0, "youtube": 0.0}


def test_offline_source_keeps_the_old_interface(channel):
    assert OfflineTrendSource().discover(channel, day=today(), used_slugs=set()) == score_topics(channel, day=today())
