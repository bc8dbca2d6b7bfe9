"""Topics: checking user input, partition keys, and the offline trend source's scoring."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from .config import Channel, TopicSeed
from .errors import InputError

KEY_SEPARATOR = "--"
MAX_TOPIC_CHARS = 120
MAX_SLUG_CHARS = 60
# Characters a topic may contain: letters (any script the voice may not say is caught
# later by the voice stage), digits, spaces and ordinary punctuation.
_ALLOWED_PUNCT = set(" -'’,.?!:&()%$/+\"")


def clean_topic(topic: str | None, *, field: str = "topic") -> str:
    """Return the topic trimmed and normalised, or raise an InputError saying what is wrong."""
    if topic is None or not str(topic).strip():
        raise InputError("the topic is empty", field=field, fix="give a topic such as 'Why cats purr'")
    text = unicodedata.normalize("NFKC", str(topic)).strip()
    text = re.sub(r"\s+", " ", text)
    bad = sorted({ch for ch in text if not (ch.isalnum() or ch in _ALLOWED_PUNCT)})
    if bad:
        shown = " ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in bad[:5])
        raise InputError(f"the topic contains unsupported characters: {shown}", field=field,
                         fix="remove emoji, symbols and control characters; use letters, digits and punctuation")
    if len(text) > MAX_TOPIC_CHARS:
        raise InputError(f"the topic is {len(text)} characters long", field=field,
                         fix=f"shorten it to at most {MAX_TOPIC_CHARS} characters")
    if not any(ch.isalpha() for ch in text):
        raise InputError(f"the topic {text!r} has no words", field=field, fix="write the topic in words")
    return text


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_SLUG_CHARS:
        slug = slug[:MAX_SLUG_CHARS].rsplit("-", 1)[0]
    if not slug:  # a topic in a script with no ASCII letters still gets a stable key
        slug = "topic-" + hashlib.sha1(text.encode()).hexdigest()[:10]
    return slug


def partition_key(channel: str, topic: str) -> str:
    return f"{channel}{KEY_SEPARATOR}{slugify(topic)}"


def split_partition_key(key: str) -> tuple[str, str]:
    """``'curious-minds--why-cats-purr'`` -> ``('curious-minds', 'why-cats-purr')``."""
    if KEY_SEPARATOR not in key:
        raise InputError(f"partition key {key!r} has no channel part", field="partition_key",
                         fix=f"use '<channel>{KEY_SEPARATOR}<topic-slug>', e.g. 'curious-minds--why-cats-purr'")
    channel, slug = key.split(KEY_SEPARATOR, 1)
    if not channel or not slug:
        raise InputError(f"partition key {key!r} is incomplete", field="partition_key",
                         fix=f"use '<channel>{KEY_SEPARATOR}<topic-slug>'")
    return channel, slug


def topic_from_slug(slug: str) -> str:
    """Best effort for a partition typed by hand in the UI: 'why-cats-purr' -> 'Why cats purr'."""
    words = slug.replace("-", " ").strip()
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class ScoredTopic:
    channel: str
    topic: str
    slug: str
    partition_key: str
    score: float
    base: float
    niche_match: float
    freshness: float
    recently_used: bool
    source: str = "offline"


def _niche_words(niche: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", niche.lower()) if len(w) > 3}


def score_topics(channel: Channel, *, day: date, used_slugs: set[str] | None = None) -> list[ScoredTopic]:
    """Score a channel's offline topics for one day, best first.

    score = base interest (from the topics list) + niche match (shared words with the
    channel's niche) + a daily rotation term (a stable hash of day and topic, so the
    top pick changes from day to day without randomness), and topics used recently
    sink to the bottom so a channel does not repeat itself.
    """
    used_slugs = used_slugs or set()
    niche = _niche_words(channel.niche)
    scored = []
    for seed in channel.topics:
        slug = slugify(seed.topic)
        words = set(re.findall(r"[a-z]+", seed.topic.lower())) | set(seed.keywords)
        niche_match = 10.0 * len(words & niche) / max(1, len(niche)) * 3
        digest = hashlib.sha256(f"{day.isoformat()}|{channel.name}|{slug}".encode()).digest()
        freshness = digest[0] / 255 * 20.0
        used = slug in used_slugs
        score = seed.score * 0.7 + min(niche_match, 10.0) + freshness - (100.0 if used else 0.0)
        scored.append(ScoredTopic(
            channel=channel.name, topic=seed.topic, slug=slug,
            partition_key=f"{channel.name}{KEY_SEPARATOR}{slug}", score=round(score, 2),
            base=seed.score, niche_match=round(min(niche_match, 10.0), 2), freshness=round(freshness, 2),
            recently_used=used,
        ))
    scored.sort(key=lambda s: (-s.score, s.slug))
    return scored


def find_seed(channel: Channel, slug: str) -> TopicSeed | None:
    for seed in channel.topics:
        if slugify(seed.topic) == slug:
            return seed
    return None
