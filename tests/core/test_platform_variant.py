"""The TikTok variant: the same render with the watermark layer off, verified by comparing frames."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from shortsmith.render import RenderInputs, RenderSettings, render_video
from shortsmith.variants import compare_watermark, watermark_box, without_watermark
from tests.core.test_render import COLOURS, H, W, _synthetic_voice, make_voiceover


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("variant")
    images = []
    for i, col in enumerate(COLOURS[:2]):
        im = Image.new("RGB", (W, H), col)
        ImageDraw.Draw(im).ellipse([60, 150, 210, 330], fill=tuple(min(255, c + 30) for c in col))
        images.append(d / f"s{i}.png")
        im.save(images[-1])
    spans = [(0.1, 0.9), (1.3, 2.0)]
    _synthetic_voice(d / "voice.wav", spans, 2.2)
    vo = make_voiceover(spans, 2.2, str(d / "voice.wav"))
    settings = RenderSettings(width=W, height=H)
    text = "@curious-minds"
    main = RenderInputs(images, d / "voice.wav", vo, None, None, text)
    render_video(main, settings, d / "main.mp4", measure_output=False)
    variant = without_watermark(main)
    assert variant.watermark is None and variant.scene_images == main.scene_images
    render_video(variant, settings, d / "tiktok.mp4", measure_output=False)
    return d / "main.mp4", d / "tiktok.mp4", settings, text


def test_the_tiktok_variant_differs_only_by_the_watermark(pair):
    main, tiktok, settings, text = pair
    result = compare_watermark(main, tiktok, settings, text, [0.5, 1.5])
    assert result["passed"], result
    assert result["outside_mean_diff"] < 3.0 and result["inside_brightness_excess"] > 25
    # the comparison is not blind: the main video against itself shows no watermark difference
    same = compare_watermark(main, main, settings, text, [0.5])
    assert not same["passed"] and same["inside_brightness_excess"] == 0
    x0, y0, x1, y1 = watermark_box(settings, text)
    assert 0 <= x0 < x1 <= W and 0 <= y0 < y1 <= H // 4
