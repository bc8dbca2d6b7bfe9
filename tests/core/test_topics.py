from datetime import date

import pytest

from shortsmith.config import parse_channels
from shortsmith.errors import InputError
from shortsmith.topics import clean_topic, partition_key, score_topics, slugify, split_partition_key


def test_partition_keys_round_trip():
    key = partition_key("curious-minds", "Why do cats purr?")
    assert key == "curious-minds--why-do-cats-purr"
    assert split_partition_key(key) == ("curious-minds", "why-do-cats-purr")
    assert slugify("Café crème: 5 facts!") == "cafe-creme-5-facts"
    assert len(slugify("word " * 40)) <= 60


@pytest.mark.parametrize("topic, message", [
    ("", "empty"), ("   ", "empty"), (None, "empty"),
    ("Cats 🐱 purr", "unsupported characters"), ("bell\x07", "unsupported characters"),
    ("x" * 200, "characters long"), ("12345", "no words"),
])
def test_bad_topics_are_rejected_clearly(topic, message):
    with pytest.raises(InputError) as e:
        clean_topic(topic)
    assert message in str(e.value) and e.value.field == "topic" and e.value.fix


def test_topic_is_normalised():
    assert clean_topic("  Why   cats\tpurr ") == "Why cats purr"


def test_scoring_is_deterministic_and_demotes_used_topics():
    cfg = parse_channels({"channels": [{"name": "c", "niche": "cats and their habits",
                                        "topics": [{"topic": "Why cats purr", "score": 80},
                                                   {"topic": "How tides work", "score": 80},
                                                   {"topic": "Cats and boxes", "score": 10}]}]})
    ch = cfg.get("c")
    day = date(2026, 11, 24)
    a = score_topics(ch, day=day)
    assert a == score_topics(ch, day=day)
    assert [t.score for t in a] == sorted((t.score for t in a), reverse=True)
    cats = next(t for t in a if t.slug == "why-cats-purr")
    tides = next(t for t in a if t.slug == "how-tides-work")
    assert cats.niche_match > tides.niche_match  # shares words with the niche
    used = score_topics(ch, day=day, used_slugs={a[0].slug})
    assert used[-1].slug == a[0].slug and used[-1].recently_used
