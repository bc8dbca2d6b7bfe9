"""Fonts: DejaVu shipped with the package, and Noto fonts for the scripts DejaVu lacks.

Shipping DejaVu (see assets/fonts/DEJAVU-LICENSE.txt) means captions and thumbnails look the
same on every machine, including one with no system fonts at all. DejaVu has no CJK, and its
Arabic/Hebrew/Devanagari are partial or missing, so text in those scripts is drawn with Noto
(OFL) from Debian's ``fonts-noto-cjk`` and ``fonts-noto-core``; ``SHORTSMITH_FONT_DIRS``
(os.pathsep-separated) adds folders to look in. A script with no font installed is a clear
ToolMissingError naming the package, never tofu boxes or silently dropped text.
"""

from __future__ import annotations

import os
import unicodedata
from functools import lru_cache
from pathlib import Path

from .errors import ToolMissingError

FONTS_DIR = Path(__file__).parent / "assets" / "fonts"
FONT_BOLD = FONTS_DIR / "DejaVuSans-Bold.ttf"
FONT_REGULAR = FONTS_DIR / "DejaVuSans.ttf"
# The family name libass resolves from FONTS_DIR (pass fontsdir=FONTS_DIR to the ass filter).
ASS_FONT_NAME = "DejaVu Sans"

SYSTEM_FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts")
# script -> (bold file names, regular file names, the Debian package that ships them)
SCRIPT_FONTS = {
    "cjk": (("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf", "NotoSansCJKjp-Bold.otf"),
            ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansCJKjp-Regular.otf"), "fonts-noto-cjk"),
    "arabic": (("NotoSansArabic-Bold.ttf", "NotoNaskhArabic-Bold.ttf", "NotoKufiArabic-Bold.ttf"),
               ("NotoSansArabic-Regular.ttf", "NotoNaskhArabic-Regular.ttf"), "fonts-noto-core"),
    "hebrew": (("NotoSansHebrew-Bold.ttf",), ("NotoSansHebrew-Regular.ttf",), "fonts-noto-core"),
    "devanagari": (("NotoSansDevanagari-Bold.ttf",), ("NotoSansDevanagari-Regular.ttf",), "fonts-noto-core"),
}
# A channel's language (ISO 639-1) -> the script its text is written in.
LANGUAGE_SCRIPTS = {"zh": "cjk", "ja": "cjk", "ko": "cjk", "ar": "arabic", "fa": "arabic", "ur": "arabic",
                    "he": "hebrew", "yi": "hebrew", "hi": "devanagari", "mr": "devanagari", "ne": "devanagari"}
_RANGES = (
    ("cjk", ((0x2E80, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF),
             (0x20000, 0x3FFFF))),
    ("arabic", ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
    ("hebrew", ((0x0590, 0x05FF), (0xFB1D, 0xFB4F))),
    ("devanagari", ((0x0900, 0x097F), (0xA8E0, 0xA8FF))),
)


def script_of(ch: str) -> str | None:
    """The script among SCRIPT_FONTS a character belongs to, or None (DejaVu draws it)."""
    cp = ord(ch)
    for script, ranges in _RANGES:
        if any(lo <= cp <= hi for lo, hi in ranges):
            return script
    return None


def scripts_in(text: str) -> list[str]:
    """The non-DejaVu scripts in ``text``, most frequent first."""
    counts: dict[str, int] = {}
    for ch in unicodedata.normalize("NFC", str(text)):
        s = script_of(ch)
        if s:
            counts[s] = counts.get(s, 0) + 1
    return sorted(counts, key=lambda s: -counts[s])


def _dirs() -> list[Path]:
    extra = [d for d in os.environ.get("SHORTSMITH_FONT_DIRS", "").split(os.pathsep) if d]
    return [Path(d) for d in (*extra, *SYSTEM_FONT_DIRS)]


@lru_cache(maxsize=32)
def _find(names: tuple[str, ...], dirs: tuple[Path, ...]) -> Path | None:
    for d in dirs:
        for name in names:
            if (d / name).is_file():
                return d / name
        if d.is_dir() and str(d) == "/usr/share/fonts":  # anywhere below, as a last resort
            for name in names:
                hit = next(iter(d.rglob(name)), None)
                if hit:
                    return hit
    return None


def script_font(script: str, *, bold: bool = True, required: bool = True) -> Path | None:
    """The font file for ``script`` ("cjk", "arabic", "hebrew", "devanagari")."""
    bold_names, regular_names, package = SCRIPT_FONTS[script]
    names = bold_names + regular_names if bold else regular_names + bold_names
    path = _find(names, tuple(_dirs()))
    if path is None and required:
        raise ToolMissingError(f"no font for {script} text is installed", field="fonts",
                               fix=f"apt-get install {package} (or put a Noto {script} font in a folder "
                                   f"named by SHORTSMITH_FONT_DIRS)")
    return path


def font_for(text: str, *, bold: bool = True) -> Path:
    """The font that draws ``text``: DejaVu for Latin, Greek and Cyrillic; Noto for the script
    most of the rest is written in (a ToolMissingError when that font is not installed)."""
    scripts = scripts_in(text)
    if not scripts:
        return FONT_BOLD if bold else FONT_REGULAR
    path = script_font(scripts[0], bold=bold)
    assert path is not None  # required=True raised otherwise
    return path


def check_language_fonts(language: str, *, field: str = "language") -> Path | None:
    """For a channel's language, the font its titles and watermark need, or a ToolMissingError
    (raised when the channel is set up, not when a thumbnail silently loses its title)."""
    script = LANGUAGE_SCRIPTS.get(str(language).split("-")[0].lower())
    if script is None:
        return None
    try:
        return script_font(script)
    except ToolMissingError as exc:
        raise ToolMissingError(exc.message, field=field, fix=exc.fix) from None
