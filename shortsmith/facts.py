"""Facts from a source: sentences, ranked by TextRank, compressed to speakable beats.

TextRank (Mihalcea & Tarau, 2004) over the source's sentences: a sentence that shares
content words with many other sentences is central to the document. The rank is biased
towards the topic's words, so a page that wanders off still yields facts about the topic.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

STOPWORDS = frozenset("""a an the and or but if then than so to of in on at by for with from into onto over under
about as is are was were be been being it its this that these those there their they them you your we our us he
she his her i me my not no do does did doing have has had how why what when where which who whom whose will would
can could should may might must just very more most much many some any every each few own same also only too out
up down off again further once here all both other such nor now while because until although though after before
during between through against among per via its one s t
like around works work make makes made""".split())

# A sentence needs at least this many words to carry a fact, and at most this many to be one beat.
MIN_WORDS, MAX_WORDS = 6, 32
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "mt.", "no.",
                  "fig.", "approx.", "ca.", "c.", "jr.", "sr.", "u.s.", "u.k.", "a.m.", "p.m.", "jan.", "feb.",
                  "mar.", "apr.", "aug.", "sept.", "sep.", "oct.", "nov.", "dec.", "inc.", "ltd.", "co.")
_LEADING_LINKERS = re.compile(
    r"^(?:however|moreover|furthermore|in addition|additionally|also|indeed|in fact|notably|importantly|"
    r"interestingly|as a result|therefore|thus|meanwhile|similarly|likewise|finally|overall|in short|"
    r"for example|for instance|of course|basically|essentially|today|still)\s*,\s*", re.I)
# Words that make a listener look twice: extremes, firsts, counts, "only"/"even", denials and reversals.
_SURPRISE_WORDS = frozenset("""only first never largest smallest fastest slowest oldest youngest biggest highest lowest
longest shortest strongest most least record billion billions million millions thousand thousands hundred
hundreds percent twice half even surprisingly actually despite instead without nobody no-one nothing none
strange strangest weird secret secretly accident accidentally mistake ever impossible cannot can't
no not all blind backwards invisible immortal paralysed paralyzed survive survived survives revived frozen
poison poisoned poisonous deadly explode explodes exploded faster hotter colder heavier
older younger bigger smaller""".split())
# Softer signals: the words are there, but the surprise depends on what follows.
_CONTRAST_WORDS = frozenset("but yet although though whereas than still every almost nearly".split())
_NUMBER_WORDS = frozenset("""two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
sixty seventy eighty ninety hundred thousand million billion trillion""".split())
_PRONOUN_START = re.compile(r"^(?:it|this|that|these|those|they|he|she|its|their|his|her|such|which|here|there)\b",
                            re.I)


_BARE_PRONOUNS = {"they", "it", "this", "these", "those", "he", "she", "them", "its", "their"}


@dataclass(frozen=True)
class Fact:
    text: str  # the speakable sentence (compressed)
    original: str  # the sentence as the source wrote it
    position: int  # order in the source
    rank: float  # TextRank score, topic-biased
    surprise: float


def split_sentences(text: str) -> list[str]:
    """Sentences of plain text; paragraph breaks always end a sentence, abbreviations and decimals do not."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        para = re.sub(r"\s+", " ", para).strip()
        if not para:
            continue
        protected = para
        for abbr in _ABBREVIATIONS:
            protected = re.sub(r"(?i)(?<![\w.])" + re.escape(abbr), lambda m: m.group(0).replace(".", "\x00"),
                               protected)
        protected = re.sub(r"(?<=\b[A-Z])\.(?=\s?[A-Z]\.)", "\x00", protected)  # initials: J. R. R.
        protected = re.sub(r"(?<=\d)\.(?=\d)", "\x00", protected)
        for piece in re.split(r"(?<=[.!?])[\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])", protected):
            piece = piece.replace("\x00", ".").strip()
            if piece:
                out.append(piece)
    return out


def tokens(text: str) -> list[str]:
    """Content words, lowercased and crudely stemmed (plural and -ed/-ing endings), for overlap measures."""
    out = []
    for w in re.findall(r"[^\W_]+(?:['\u2019][^\W_]+)?", text.lower()):
        w = w.replace("\u2019", "'")
        if w in STOPWORDS or len(w) < 3 and not w.isdigit():
            continue
        out.append(stem(w))
    return out


def stem(w: str) -> str:
    for suffix, keep in (("'s", 0), ("ies", 1), ("ing", 0), ("ed", 0), ("es", 0), ("s", 0)):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            if suffix == "s" and w.endswith(("ss", "us", "is")):
                return w
            return w[: len(w) - len(suffix)] + ("y" if keep else "")
    return w


def is_fact_sentence(s: str) -> bool:
    n = len(s.split())
    if not MIN_WORDS <= n <= MAX_WORDS * 2:
        return False
    if s[-1:] not in ".!" or s.endswith("?") or "http" in s or "@" in s or "|" in s:
        return False
    letters = [c for c in s if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) > 0.5 * len(letters):
        return False  # a shouted heading or an acronym list
    return bool(re.match(r"^[\"'\u201c(]?[A-Z0-9]", s))


def compress(sentence: str) -> str:
    """The sentence as one speakable beat: no citations, asides, or leading linkers; long ones cut at a clause."""
    s = re.sub(r"\[[^\]]{0,12}\]", "", sentence)  # [1], [citation needed]
    s = re.sub(r"\s*\([^()]{0,80}\)", "", s)  # asides in parentheses
    s = re.sub(r"\s+([,.;:!])", r"\1", s)
    s = _LEADING_LINKERS.sub("", s.strip())
    s = s.replace(" \u2014 ", ", ").replace(" -- ", ", ").replace("\u2014", ", ")
    if len(s.split()) > MAX_WORDS:
        for sep in ("; ", ": ", ", which ", ", while ", ", although ", ", but "):
            head = s.split(sep, 1)[0]
            if MIN_WORDS <= len(head.split()) <= MAX_WORDS:
                s = head.rstrip(",;:") + "."
                break
    s = re.sub(r"\s+", " ", s).strip()
    if s and s[-1] not in ".!?":
        s += "."
    return s[:1].upper() + s[1:]


def surprise(sentence: str) -> float:
    """How surprising a fact sounds: numbers, superlatives, firsts, "only"/"even", denials and contrasts."""
    words = re.findall(r"[a-z0-9'-]+", sentence.lower())
    score = sum(1.0 for w in words if w in _SURPRISE_WORDS)
    score += sum(0.5 for w in words if w in _CONTRAST_WORDS)
    # a count or a date is concrete, but a long run of them ("twenty five to one hundred fifty") is one number
    numbers = sum(1 for w in words if any(ch.isdigit() for ch in w) or w in _NUMBER_WORDS)
    score += 1.5 * min(numbers, 2)
    score += sum(0.5 for w in words if w.endswith("est") and len(w) > 5 and w not in _SURPRISE_WORDS)
    return score / (1.0 + 0.05 * len(words))


def textrank(sentences: list[list[str]], *, bias: list[float] | None = None, damping: float = 0.85,
             iterations: int = 40) -> list[float]:
    """PageRank over the sentence graph; edges weighted by shared words / (log|a| + log|b|)."""
    n = len(sentences)
    if n == 0:
        return []
    sets = [set(s) for s in sentences]
    weights = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            shared = len(sets[i] & sets[j])
            if shared and len(sets[i]) > 1 and len(sets[j]) > 1:
                w = shared / (math.log(len(sets[i])) + math.log(len(sets[j])))
                weights[i][j] = weights[j][i] = w
    out_sum = [sum(row) or 1.0 for row in weights]
    prior = bias or [1.0] * n
    total = sum(prior) or 1.0
    prior = [p / total for p in prior]
    scores = [1.0 / n] * n
    for _ in range(iterations):
        scores = [(1 - damping) * prior[i] + damping * sum(weights[j][i] / out_sum[j] * scores[j] for j in range(n))
                  for i in range(n)]
    return scores


def rank_facts(text: str, topic: str, *, limit: int = 60) -> list[Fact]:
    """The source's candidate facts, best first (at most ``limit`` sentences considered, in source order)."""
    sentences = [s for s in split_sentences(text) if is_fact_sentence(s)]
    seen: set[str] = set()
    unique = []
    for s in sentences:
        key = " ".join(tokens(s))
        if key and key not in seen:
            seen.add(key)
            unique.append(s)
    # long documents: the first sentences that mention the topic, then the rest, capped for the O(n^2) graph
    topic_words = set(tokens(topic))
    if len(unique) > limit:
        on_topic = [s for s in unique if topic_words & set(tokens(s))]
        keep = set((on_topic + unique)[:limit])
        unique = [s for s in unique if s in keep]
    toks = [tokens(s) for s in unique]
    # topic words, and a mild lead bias: sources tend to state the basics before the details
    bias = [(1.0 + 2.0 * len(topic_words & set(t))) * (1.0 + 1.0 / (1.0 + i / 3.0)) for i, t in enumerate(toks)]
    ranks = textrank(toks, bias=bias)
    facts = []
    for i, (s, r) in enumerate(zip(unique, ranks)):
        text_c = compress(s)
        if not MIN_WORDS <= len(text_c.split()) <= MAX_WORDS:
            continue
        early = {w.lower().strip(",") for w in text_c.split()[:4]}
        # a sentence that leans on the one before it ("They", "This") is weaker alone
        penalty = 0.6 if _PRONOUN_START.match(text_c) else 0.8 if early & _BARE_PRONOUNS else 1.0
        facts.append(Fact(text=text_c, original=s, position=i, rank=r * penalty, surprise=surprise(text_c)))
    facts.sort(key=lambda f: (-f.rank, f.position))
    return facts


def points_as_facts(points: list[str]) -> list[Fact]:
    """The user's own points: all of them, in their order (they are the user's choice, not ranked)."""
    out = []
    for i, p in enumerate(points):
        text = re.sub(r"\s+", " ", p.strip())
        if not text:
            continue
        if text[-1] not in ".!?":
            text += "."
        text = text[:1].upper() + text[1:]
        out.append(Fact(text=text, original=p, position=i, rank=1.0 - i * 1e-3, surprise=surprise(text)))
    return out


def keyphrases(texts: list[str], limit: int = 8, *, exclude: set[str] | None = None) -> list[str]:
    """The most frequent content words of ``texts`` (as written, lowercased), for tags and visuals."""
    exclude = exclude or set()
    counts: dict[str, int] = {}
    first: dict[str, str] = {}
    for text in texts:
        for w in re.findall(r"[A-Za-z][A-Za-z'-]{3,}", text):
            lw = w.lower().strip("'-")
            if lw in STOPWORDS or lw in exclude:
                continue
            key = stem(lw)
            counts[key] = counts.get(key, 0) + 1
            first.setdefault(key, lw)
    ranked = sorted(counts, key=lambda k: (-counts[k], -len(first[k]), first[k]))
    return [first[k] for k in ranked[:limit]]


def syllables(word: str) -> int:
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 0
    groups = re.findall(r"[aeiouy]+", w)
    n = len(groups)
    if w.endswith("e") and not w.endswith(("le", "ee")) and n > 1:
        n -= 1
    return max(1, n)


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade level of ``text`` (about the school year that reads it easily)."""
    sentences = max(1, len(split_sentences(text)))
    words = re.findall(r"[A-Za-z']+", text)
    if not words:
        return 0.0
    syl = sum(syllables(w) for w in words)
    return round(0.39 * len(words) / sentences + 11.8 * syl / len(words) - 15.59, 1)
