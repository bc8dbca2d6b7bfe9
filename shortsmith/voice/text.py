"""What the voice reads: typography and symbols normalised, caption words, sentences, word weights.

Caption words are the script's words as written (after :func:`normalise_text`), so the
captions show exactly what the script says while the timings follow what was spoken.
"""

from __future__ import annotations

import re
import unicodedata


from ..errors import InputError


# Typography to what the voice reads, keeping the words the same.
_TYPOGRAPHY = {
    "\u2019": "'", "\u2018": "'", "\u201a": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2033": '"', "\u00ab": '"', "\u00bb": '"', "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "\u2212": "-", "\u2010": "-", "\u2011": "-",
}
# Decorations that are not spoken: removed (espeak would read an emoji's name, e.g. 🚀 -> "rocket").
_SILENT_SYMBOLS = set("\u2122\u00ae\u00a9\u2022\u00b7\u2605\u2606\u2713\u2714\u2716\u2717")
# Symbols the voice reads as words and that may stay in a caption.
SPOKEN_SYMBOLS = set("$%&+=@#/*<>°€£¥")
# Scripts each espeak language can read; languages not listed accept every script.
_SCRIPTS = {
    "ru": {"CYRILLIC"}, "uk": {"CYRILLIC"}, "bg": {"CYRILLIC"}, "sr": {"CYRILLIC"}, "kk": {"CYRILLIC"},
    "mk": {"CYRILLIC"}, "el": {"GREEK"}, "ar": {"ARABIC"}, "fa": {"ARABIC"}, "ur": {"ARABIC"},
    "he": {"HEBREW"}, "hi": {"DEVANAGARI"}, "ne": {"DEVANAGARI"}, "ka": {"GEORGIAN"}, "ko": {"HANGUL"},
    "th": {"THAI"}, "zh": {"CJK"}, "cmn": {"CJK"}, "ja": {"CJK", "HIRAGANA", "KATAKANA"},
}
_LATIN_LANGS = {"en", "de", "fr", "es", "it", "pt", "nl", "pl", "cs", "sk", "sl", "hr", "ro", "hu", "fi", "sv",
                "no", "nb", "da", "is", "tr", "vi", "ca", "eu", "cy", "lv", "lt", "et", "sw", "id", "ms", "lb",
                "ga", "mt", "sq", "af", "eo", "la"}
# Abbreviations espeak would treat as a sentence end ("Dr. Smith" -> "Doctor." + "Smith.").
_SPOKEN_ABBREVIATIONS = {"dr.": "doctor", "mr.": "mister", "mrs.": "missus", "ms.": "miz", "st.": "saint",
                         "vs.": "versus", "etc.": "etcetera", "e.g.": "for example", "i.e.": "that is",
                         "approx.": "approximately", "no.": "number"}


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return (0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF
            or 0xFE00 <= cp <= 0xFE0F or 0xE0020 <= cp <= 0xE007F or cp in (0x200D, 0x20E3))


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ")[0] if name else ""


def allowed_scripts(language: str) -> set[str] | None:
    """Letter scripts a voice of this espeak language can read (None: any)."""
    lang = language.lower().split("-")[0]
    if lang in _LATIN_LANGS:
        return {"LATIN"}
    if lang in _SCRIPTS:
        return _SCRIPTS[lang] | {"LATIN"}
    return None


def normalise_text(text: str, *, beat: int | None = None, language: str = "en-us") -> str:
    """The narration as it will be spoken and captioned.

    Typography becomes plain punctuation (curly quotes, ellipsis, dashes), emoji and other
    silent decorations are removed, control and zero-width characters become spaces; a
    character the voice cannot say (a letter of another script, a math symbol, a private-use
    character) raises `InputError` naming the beat and the character.
    """
    text = "".join(" " if ch in "\t\r\n" else ch for ch in text)
    text = "".join(ch for ch in text if not _is_emoji(ch) and ch not in _SILENT_SYMBOLS)
    text = unicodedata.normalize("NFKC", text)
    for a, b in _TYPOGRAPHY.items():
        text = text.replace(a, b)
    text = re.sub(r"(?<=\d)\s*[\u2013\u2014]\s*(?=\d)", " to ", text)  # 1990–2000
    text = re.sub(r"\s*[\u2013\u2014]+\s*|\s+-+\s+", ", ", text)  # a dash is a pause
    scripts = allowed_scripts(language)
    bad: list[str] = []
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Zl", "Zp", "Zs"):
            out.append(" ")
            continue
        if cat == "So" or cat == "Sk":
            continue  # decorative (dingbats, modifier symbols): not spoken
        if cat[0] == "L":
            if scripts is not None and _script(ch) not in scripts:
                bad.append(ch)
        elif cat[0] in "NP" or cat in ("Mn", "Mc") or ch in SPOKEN_SYMBOLS or cat == "Sc":
            pass
        else:  # math symbols, private use, unassigned, surrogates
            bad.append(ch)
        out.append(ch)
    if bad:
        where = f"beat {beat + 1}" if beat is not None else "the text"
        shown = ", ".join(f"{ch!r} (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')})"
                          for ch in dict.fromkeys(bad).keys())
        raise InputError(
            f"{where} contains characters the {language} voice cannot say: {shown}",
            field=f"beats[{beat}].narration" if beat is not None else "narration",
            fix="spell them out in words (or transliterate them), or use a voice for that language")
    text = re.sub(r"\s+", " ", "".join(out)).strip()
    # Punctuation standing alone joins the word before it, so every caption word is spoken.
    text = re.sub(r"(?<=\w) (?=[,.;:!?)\]]+(\s|$))", "", text)
    return text


def caption_words(text: str) -> list[str]:
    """The written words of normalised text; tokens without a letter or digit join a neighbour."""
    words: list[str] = []
    pending = ""
    for token in text.split():
        if not any(ch.isalnum() for ch in token) and token not in SPOKEN_SYMBOLS:
            if words:
                words[-1] += token
            else:
                pending += token
            continue
        words.append(pending + token)
        pending = ""
    if pending and words:
        words[-1] += pending
    return words


def spoken_form(word: str) -> str:
    """What the voice is given for one written word (the caption keeps the written word)."""
    m = re.match(r"^\W*", word)
    lead = m.group(0) if m else ""  # \W* always matches, possibly empty
    core = word[len(lead):]
    key = core.lower().rstrip(",;:!?)\"'")
    if key in _SPOKEN_ABBREVIATIONS:
        return lead + _SPOKEN_ABBREVIATIONS[key] + core[len(key):]
    return word


def split_sentences(words: list[str]) -> list[list[int]]:
    """Indices of the words of each sentence (a sentence ends at . ! ? after a word)."""
    sentences: list[list[int]] = [[]]
    for i, w in enumerate(words):
        sentences[-1].append(i)
        core = w.rstrip("\"')]")
        if core.endswith(("!", "?")) or (core.endswith(".") and core.lower() not in _SPOKEN_ABBREVIATIONS
                                          and not re.fullmatch(r"(\w\.)+", core)):
            sentences.append([])
    return [s for s in sentences if s]


def word_weight(word: str) -> float:
    """Relative speaking time of a written word, from its letters (numbers say several words)."""
    core = re.sub(r"[^\w$%&+=@#]", "", word)
    if not core:
        return 0.5
    digits = sum(ch.isdigit() for ch in core)
    return float(len(core) - digits) + 2.5 * digits + 1.0  # +1: every word has an onset
