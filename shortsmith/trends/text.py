"""The words of a trend: light stems, the channel's niche vocabulary, and cleaning a candidate title."""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Iterable

from ..config import Channel
from ..errors import InputError
from ..topics import clean_topic

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
