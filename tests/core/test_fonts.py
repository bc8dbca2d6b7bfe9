"""Text in the scripts a channel may declare (CJK, Arabic, Hebrew, Devanagari) is drawn with a
font that has it: thumbnails keep their title, the watermark is never tofu, a missing font is a
clear error naming the package (shortsmith.fonts)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from shortsmith import fonts
from shortsmith.art import VisualStyle, render_thumbnail, renderable
from shortsmith.errors import ToolMissingError
from shortsmith.ffmpeg import ffmpeg_path
from shortsmith.render import RenderSettings
from shortsmith.render.graph import _watermark_filter

TITLES = {"cjk": "为什么猫会发出呼噜声", "arabic": "لماذا تخرخر القطط", "hebrew": "למה חתולים מגרגרים",
          "devanagari": "बिल्लियाँ क्यों गुर्राती हैं"}


@pytest.mark.parametrize("script", sorted(TITLES))
def test_each_script_gets_a_font_that_draws_every_character(script):
    title = TITLES[script]
    assert fonts.scripts_in(title) == [script]
    path = fonts.font_for(title)
    assert path.is_file() and "Noto" in path.name
    assert renderable(title, path) == title  # nothing dropped
    if script in ("cjk", "devanagari"):
        assert renderable(title) != title  # the bundled DejaVu has none of these


@pytest.mark.parametrize("script", sorted(TITLES))
def test_a_thumbnail_keeps_a_title_in_any_declared_script(script):
    style = VisualStyle.from_dict({"name": "geometric"})
    img = render_thumbnail(TITLES[script], scene=None, style=style, size=(640, 360))
    stock = render_thumbnail("WATCH THIS", scene=None, style=style, size=(640, 360))
    left = (20, 40, 380, 320)
    a = np.asarray(img.crop(left).convert("L"), np.int16)
    b = np.asarray(stock.crop(left).convert("L"), np.int16)
    assert (a > 200).mean() > 0.03  # big bright letters are there
    assert np.abs(a - b).mean() > 8  # and they are not the stock phrase


def test_latin_stays_on_the_bundled_font():
    assert fonts.font_for("Why cats purr — déjà vu, Ελλάδα, Москва") == fonts.FONT_BOLD
    assert fonts.check_language_fonts("en") is None


def test_a_missing_font_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "SYSTEM_FONT_DIRS", (str(tmp_path),))
    monkeypatch.setenv("SHORTSMITH_FONT_DIRS", str(tmp_path / "none"))
    with pytest.raises(ToolMissingError, match="apt-get install fonts-noto-cjk"):
        fonts.font_for(TITLES["cjk"])
    with pytest.raises(ToolMissingError) as err:
        fonts.check_language_fonts("he", field="channels (x).language")
    assert err.value.field == "channels (x).language" and "fonts-noto-core" in str(err.value)


def _watermark(text: str, font=None) -> np.ndarray:
    settings = RenderSettings(width=1080, height=1920)
    vf = _watermark_filter(text, settings)
    if font is not None:  # the same filter with another font file
        vf = vf.replace(vf.split(":text=")[0], f"drawtext=fontfile={font}")
    out = subprocess.run([ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=1080x1920:d=0.1",
                          "-vf", vf, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                         capture_output=True, timeout=60, check=True).stdout
    return np.frombuffer(out, np.uint8).reshape(1920, 1080)[170:250, :]


def test_a_cjk_watermark_is_drawn_with_real_glyphs_not_boxes():
    text = "好奇心频道猫"
    drawn = _watermark(text)
    tofu = _watermark(text, font=fonts.FONT_BOLD)  # what the Latin font draws: six hollow boxes
    assert np.abs(drawn.astype(int) - tofu.astype(int)).mean() > 3
    # strokes of real characters carry far more ink than the outlines of .notdef boxes
    assert (drawn > 60).sum() > 1.5 * (tofu > 60).sum() > 0
