"""Trend candidates: cleaning, niche filtering, scoring per source, merging with the offline topics."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from shortsmith.config import load_channels
from shortsmith.resilience import CircuitBreaker, MemoryKV, ProviderError, ProviderUnavailable
from shortsmith.topics import ScoredTopic, find_seed, score_topics, slugify
from shortsmith.trends import (AGREEMENT_BONUS, Signal, clean_candidate, collect_trends, google_trends_signals,
                               google_trends_topics, keyword_momentum, merge_trends, niche_keywords, same_topic,
                               score_signals, seconds_to_quota_reset, youtube_signals, youtube_topics)

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2025, 3, 14)
NOW = datetime(2025, 3, 14, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def channels():
    return load_channels(ROOT / "channels.yaml")


@pytest.fixture(scope="module")
def curious(channels):
    return channels.get("curious-minds")


# -- cleaning ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, names, expected", [
    ("Why Do Cats PURR?! 🐱 #shorts #cats", (), "Why Do Cats purr?"),
    ("How octopuses change color | Ocean Lab", ("Ocean Lab",), "How octopuses change color"),
    ("Ocean Lab: How octopuses change color", ("Ocean Lab",), "How octopuses change color"),
    ("The science of sleep &amp; dreams (4K) [Official Video] #science", (), "The science of sleep & dreams"),
    ("Why the sky is blue &#39;explained&#39; @physicsgirl", (), "Why the sky is blue 'explained'"),
    ("WHY IS THE SKY BLUE???", (), "Why is the sky blue?"),
    ("SHOCKING!!! You won't believe how bees make honey 🍯🐝", (), "How bees make honey"),
    ("NASA finds water on the Moon... wait for it", (), "NASA finds water on the Moon"),
    ("How #octopus skin changes colour - #Shorts", (), "How octopus skin changes colour"),
    ("why do cats purr", (), "Why do cats purr"),
    ("“Black holes” explained in 60 seconds #viral #fyp", (), "Black holes explained in 60 seconds"),
])
def test_clean_candidate_strips_decoration(raw, names, expected):
    assert clean_candidate(raw, channel_names=names) == expected


@pytest.mark.parametrize("raw", [
    "🐱🐱🐱 #shorts",  # nothing but decoration
    "science",  # a bare keyword is not a topic
    "#science #facts",
    "word " * 30,  # too long
    "猫 ✨",  # one word once the sparkle is gone
    "",
])
def test_clean_candidate_rejects_what_is_not_a_topic(raw):
    assert clean_candidate(raw) is None


def test_cleaned_topics_pass_clean_topic_and_slug():
    topic = clean_candidate("Ｗhy Cats Purr — the science 🔬 | Cat Facts Daily", channel_names=["Cat Facts Daily"])
    assert topic == "Why Cats Purr - the science"
    assert slugify(topic) == "why-cats-purr-the-science"


def test_niche_keywords_are_tags_then_niche_words(channels):
    assert niche_keywords(channels.get("curious-minds")) == ["science", "facts", "nature"]
    assert niche_keywords(channels.get("paper-trail")) == ["history"]  # the rest is format words


def test_same_topic():
    assert same_topic("why cats purr science", "Why cats purr")
    assert same_topic("How octopuses change color", "octopus color change")
    assert not same_topic("science fair projects", "science news")
    assert not same_topic("science olympiad", "science news")  # sharing only the niche word
    assert same_topic("Science news", "science news")
    assert not same_topic("Why the sky is blue", "How bees make honey")


def test_keyword_momentum():
    assert keyword_momentum([10, 10, 10, 10, 10, 10, 10, 10]) == 1.0
    rising = keyword_momentum([5, 5, 5, 5, 5, 5, 40, 60])
    falling = keyword_momentum([60, 40, 5, 5, 5, 5, 5, 5])
    assert rising > 1.0 > falling >= 0.5
    assert keyword_momentum([]) == 1.0 and keyword_momentum([0, 0, 0]) == 1.0


# -- scoring per source ------------------------------------------------------------------------

def test_google_trends_scoring_normalises_per_kind_and_drops_off_niche(curious):
    related = {
        "science": {"rising": [{"query": "why cats purr science", "value": 4450},
                               {"query": "taylor swift tickets", "value": 9000},  # off-niche
                               {"query": "science olympiad", "value": 120}],
                    "top": [{"query": "science fair projects", "value": 100},
                            {"query": "science news", "value": 40}]},
        "nature": {"rising": [], "top": None},
    }
    topics = google_trends_topics(curious, related, day=DAY, now=NOW)
    by_topic = {t.topic: t for t in topics}
    assert "Taylor swift tickets" not in by_topic
    assert all(t.source == "google_trends" and t.channel == "curious-minds" for t in topics)
    # log scale per kind: the strongest rising query is 100 even though an off-niche one was larger
    rising = by_topic["Why cats purr science"]
    assert rising.base == pytest.approx(100 * __import__("math").log1p(4450) / __import__("math").log1p(9000), abs=0.01)
    assert by_topic["Science fair projects"].base == pytest.approx(80.0)  # top kind weight 0.8
    assert rising.freshness == 20.0 and by_topic["Science fair projects"].freshness == 8.0
    assert rising.niche_match == 10.0  # science (niche) + cat and purr (topic keywords)
    assert by_topic["Science news"].niche_match == 5.0
    assert [t.score for t in topics] == sorted((t.score for t in topics), reverse=True)
    assert rising.score == pytest.approx(rising.base * 0.7 + rising.niche_match + rising.freshness, abs=0.02)


def test_google_trends_momentum_weights_keywords(curious):
    related = {"science": {"rising": [{"query": "science of sleep", "value": 500}]},
               "nature": {"rising": [{"query": "nature of sleep cycles", "value": 500}]}}
    interest = {"science": [5, 5, 5, 5, 5, 5, 50, 80], "nature": [80, 50, 5, 5, 5, 5, 5, 5]}
    topics = {t.topic: t for t in google_trends_topics(curious, related, interest, day=DAY, now=NOW)}
    assert topics["Science of sleep"].base > topics["Nature of sleep cycles"].base


def _search_item(vid, title, channel="Some Channel", hours=24):
    published = (NOW - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"kind": "youtube#searchResult", "id": {"kind": "youtube#video", "videoId": vid},
            "snippet": {"publishedAt": published, "title": title, "channelTitle": channel}}


def _video(vid, title, views, channel="Some Channel", hours=24):
    published = (NOW - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"kind": "youtube#video", "id": vid, "snippet": {"publishedAt": published, "title": title,
                                                            "channelTitle": channel},
            "statistics": {"viewCount": str(views), "likeCount": "1"}}


def test_youtube_scoring_uses_views_per_day_and_freshness(curious):
    search = [_search_item("a", "Why cats purr &#39;science&#39;", hours=24),
              _search_item("b", "How bees make honey", hours=6 * 24)]
    videos = [_video("a", "Why cats purr 'science'", 100_000, hours=24),
              _video("b", "How bees make honey", 600_000, hours=6 * 24)]  # same views per day
    popular = [_video("c", "Learn English in 5 minutes", 9_000_000, hours=10),
               _video("d", "The science of sleep #shorts", 50_000, channel="Sleep Lab", hours=48)]
    signals = youtube_signals(search, videos, popular)
    assert signals[0].text == "Why cats purr 'science'"  # videos.list title, not the escaped search one
    assert signals[0].strength == 100_000 and signals[0].channel_name == "Some Channel"
    topics = {t.topic: t for t in youtube_topics(curious, search, videos, popular, day=DAY, now=NOW)}
    assert "Learn English in 5 minutes" not in topics  # off-niche chart entry
    cats, bees = topics["Why cats purr 'science'"], topics["How bees make honey"]
    assert cats.base == pytest.approx(bees.base) == pytest.approx(100.0)
    assert cats.freshness == pytest.approx(20 * (1 - 1 / 7), abs=0.01)
    assert bees.freshness == pytest.approx(20 * (1 - 6 / 7), abs=0.01)
    assert cats.score > bees.score
    assert topics["The science of sleep"].source == "youtube"


def test_search_titles_without_statistics_still_count(curious):
    search = [_search_item("a", "How octopuses change color &amp; shape")]
    topics = youtube_topics(curious, search, [], [], day=DAY, now=NOW)
    assert [t.topic for t in topics] == ["How octopuses change color & shape"]
    assert topics[0].base == 0.0  # no views known


def test_recently_used_topics_sink_even_in_other_words(curious):
    related = {"science": {"rising": [{"query": "why do cats purr", "value": 900},
                                      {"query": "octopus color change", "value": 100}]}}
    topics = {t.topic: t for t in google_trends_topics(curious, related, day=DAY, now=NOW,
                                                       used_slugs={"why-cats-purr"})}
    cats, octopus = topics["Why do cats purr"], topics["Octopus color change"]
    assert cats.recently_used and not octopus.recently_used
    assert cats.score == pytest.approx(cats.base * 0.7 + cats.niche_match + cats.freshness - 100, abs=0.02)
    assert cats.score < octopus.score


def test_one_source_keeps_the_best_wording_of_a_topic(curious):
    signals = [Signal("why cats purr", 900, "rising", "science"), Signal("why do cats purr", 100, "rising", "science")]
    topics = score_signals(curious, signals, source="google_trends", now=NOW)
    assert [t.topic for t in topics] == ["Why cats purr"]


# -- merging -----------------------------------------------------------------------------------

def _cand(channel, topic, score, source, **kw):
    slug = slugify(topic)
    return ScoredTopic(channel=channel.name, topic=topic, slug=slug, partition_key=f"{channel.name}--{slug}",
                       score=score, base=kw.get("base", 50.0), niche_match=kw.get("niche", 5.0),
                       freshness=kw.get("freshness", 10.0), recently_used=kw.get("used", False), source=source)


def test_merge_agreement_between_sources(curious):
    gt = [_cand(curious, "Science of sleep", 60.0, "google_trends", base=70),
          _cand(curious, "Science fair projects", 55.0, "google_trends")]
    yt = [_cand(curious, "The science of sleep", 50.0, "youtube", freshness=18)]
    merged = merge_trends(curious, {"google_trends": gt, "youtube": yt}, day=DAY)
    by_slug = {t.slug: t for t in merged}
    both = by_slug["science-of-sleep"]
    assert both.source == "google_trends+youtube"
    assert both.score == pytest.approx(60.0 + AGREEMENT_BONUS)
    assert both.base == 70 and both.freshness == 18  # the best of each
    assert "the-science-of-sleep" not in by_slug
    assert by_slug["science-fair-projects"].source == "google_trends"
    # every offline topic stays in the list
    offline = score_topics(curious, day=DAY)
    assert {t.slug for t in offline} <= set(by_slug)
    assert [t.score for t in merged] == sorted((t.score for t in merged), reverse=True)


def test_a_cloud_topic_that_is_an_offline_seed_keeps_the_seed(curious):
    offline = {t.slug: t for t in score_topics(curious, day=DAY)}
    gt = [_cand(curious, "Why cats purr science", 95.0, "google_trends")]
    yt = [_cand(curious, "Why Do Cats Purr?", 70.0, "youtube")]
    merged = merge_trends(curious, {"google_trends": gt, "youtube": yt}, day=DAY)
    cats = [t for t in merged if "purr" in t.slug]
    assert len(cats) == 1
    cats = cats[0]
    assert cats.topic == "Why cats purr" and cats.slug == "why-cats-purr"
    assert cats.partition_key == "curious-minds--why-cats-purr"
    assert find_seed(curious, cats.slug).points  # the offline writer has its points
    assert cats.source == "google_trends+youtube"
    assert cats.score == pytest.approx(max(95.0 + AGREEMENT_BONUS, offline["why-cats-purr"].score) + AGREEMENT_BONUS)
    assert merged[0].slug == "why-cats-purr"
    untouched = [t for t in merged if t.slug == "how-bees-make-honey"][0]
    assert untouched.source == "offline" and untouched == offline["how-bees-make-honey"]


def test_a_used_seed_stays_sunk_when_the_cloud_finds_it(curious):
    used = {"why-cats-purr"}
    gt = google_trends_topics(curious, {"science": {"rising": [{"query": "why do cats purr", "value": 900}]}},
                              day=DAY, now=NOW, used_slugs=used)
    merged = merge_trends(curious, {"google_trends": gt}, day=DAY, used_slugs=used)
    cats = [t for t in merged if t.slug == "why-cats-purr"][0]
    assert cats.recently_used and cats.source == "google_trends"
    assert cats.score == pytest.approx(gt[0].score + AGREEMENT_BONUS)  # already sunk by 100 in the source
    assert merged[-1].slug == "why-cats-purr"  # below every topic not made recently


def test_merge_with_no_cloud_results_is_the_offline_list(curious):
    assert merge_trends(curious, {}, day=DAY) == score_topics(curious, day=DAY)


# -- collecting from several sources -------------------------------------------------------------

def _channel_with_chain(curious, chain):
    from dataclasses import replace

    return replace(curious, providers=replace(curious.providers, trends=chain))


def test_collect_skips_failing_sources_and_keeps_the_rest(curious):
    channel = _channel_with_chain(curious, ("google_trends", "youtube", "offline"))
    breaker = CircuitBreaker(MemoryKV())
    logs = []

    def trends_down():
        raise ProviderError("gave up after 3 attempts: HTTP 503", provider="google-trends", transient=True)

    yt = [_cand(channel, "The science of sleep", 88.0, "youtube")]
    outcome = collect_trends(channel, {"google_trends": trends_down, "youtube": lambda: yt}, day=DAY,
                             breaker=breaker, log=logs.append)
    assert outcome.counts == {"youtube": 1, "offline": len(channel.topics)}
    assert outcome.skipped[0][0] == "google_trends" and "503" in outcome.skipped[0][1]
    assert outcome.topics[0].slug == "the-science-of-sleep"
    assert breaker.state("google_trends")["failures"] == 1
    assert any("google_trends failed" in m for m in logs)
    meta = outcome.metadata()
    assert meta["sources_used"] == ["offline", "youtube"] and "google_trends" in meta["skipped"]


def test_collect_notes_unconfigured_and_keyless_sources(curious):
    channel = _channel_with_chain(curious, ("google_trends", "youtube", "offline"))
    breaker = CircuitBreaker(MemoryKV())

    def no_key():
        raise ProviderUnavailable("no API key", provider="youtube", fix="set YOUTUBE_API_KEY")

    outcome = collect_trends(channel, {"google_trends": None, "youtube": no_key}, day=DAY, breaker=breaker,
                             unconfigured_fix={"google_trends": "set SHORTSMITH_GOOGLE_TRENDS=1"})
    assert dict(outcome.skipped) == {"google_trends": "not configured (set SHORTSMITH_GOOGLE_TRENDS=1)",
                                     "youtube": "youtube: no API key"}
    assert breaker.state("youtube")["failures"] == 0  # a missing key is not an outage
    assert outcome.topics == score_topics(channel, day=DAY)


def test_collect_raises_request_errors(curious):
    channel = _channel_with_chain(curious, ("youtube", "offline"))

    def bad_key():
        raise ProviderError("API key not valid", provider="youtube", field="YOUTUBE_API_KEY", fix="set it")

    with pytest.raises(ProviderError, match="YOUTUBE_API_KEY"):
        collect_trends(channel, {"youtube": bad_key}, day=DAY)


def test_collect_skips_a_source_whose_circuit_is_open(curious):
    channel = _channel_with_chain(curious, ("youtube", "offline"))
    breaker = CircuitBreaker(MemoryKV())
    for _ in range(3):
        breaker.record_failure("youtube", "HTTP 500")
    called = []
    outcome = collect_trends(channel, {"youtube": lambda: called.append(1) or []}, day=DAY, breaker=breaker)
    assert not called and outcome.skipped[0][1].startswith("circuit open")


def test_quota_resets_at_pacific_midnight():
    # 2025-03-14 12:00 UTC is 05:00 PDT: 19 hours to midnight Pacific
    assert seconds_to_quota_reset(NOW) == pytest.approx(19 * 3600)


def test_google_trends_signals_skip_empty_rows():
    signals = google_trends_signals({"science": {"rising": [{"query": "", "value": 10},
                                                            {"query": "x y", "value": "n/a"},
                                                            {"query": "science of sleep", "value": 0},
                                                            {"query": "science of dreams", "value": 50}],
                                                 "top": None}})
    assert [s.text for s in signals] == ["science of dreams"]
