"""Fonts shipped with the package (DejaVu, see assets/fonts/DEJAVU-LICENSE.txt).

Shipping them means captions and thumbnails look the same on every machine,
including one with no system fonts at all.
"""

from pathlib import Path

FONTS_DIR = Path(__file__).parent / "assets" / "fonts"
FONT_BOLD = FONTS_DIR / "DejaVuSans-Bold.ttf"
FONT_REGULAR = FONTS_DIR / "DejaVuSans.ttf"
# The family name libass resolves from FONTS_DIR (pass fontsdir=FONTS_DIR to the ass filter).
ASS_FONT_NAME = "DejaVu Sans"
