"""Procedural scene art, thumbnails and previews (shortsmith.art).

Scenes are rendered small (270x480) to keep the suite fast; the renderer is size-generic.
"""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from shortsmith.art import (
    MOTIFS,
    STYLES,
    VisualStyle,
    contact_sheet,
    fit_title,
    image_to_markdown,
    pick_motif,
    render_scene,
    render_thumbnail,
    renderable,
    save_jpeg,
)
from shortsmith.errors import ConfigError
from shortsmith.model import Beat

SIZE = (270, 480)
PALETTES = {
    "aurora": ("#0b1026", "#3b2f8f", "#7c3aed", "#22d3ee", "#f472b6"),
    "geometric": ("#1e1b4b", "#f97316", "#facc15", "#14b8a6", "#f43f5e"),
    "neon": ("#05010f", "#ff2bd6", "#00e5ff", "#7c3aed"),
    "paper": ("#2b1d3a", "#e76f51", "#f4a261", "#e9c46a", "#2a9d8f"),
    "retro-terminal": ("#020a04", "#0f3d1e", "#33ff66", "#b3ffcc"),
}
HOOK = Beat("hook", "Cats purr twenty times a second.", "bold close-up: cat, purr", ["cat", "purr", "vibration"])
BODY = Beat("body", "Rockets burn fuel to fly.", "illustrative scene: rocket, launch", ["rocket", "launch"])
CTA = Beat("cta", "Follow for more.", "focal emblem: cat", ["cat"])


def style(name: str = "aurora", palette=None) -> VisualStyle:
    return VisualStyle(name=name, palette=tuple(palette or PALETTES[name]))


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.float32)


def mean_diff(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(arr(a) - arr(b)).mean())


def detail(img: Image.Image, y0: float, y1: float) -> float:
    """Mean absolute gradient of a 4x box-downsampled grey image between two heights
    (the downsampling averages film grain away, so this measures drawn detail)."""
    g = np.asarray(img.convert("L").resize((img.width // 4, img.height // 4), Image.BOX), np.float32)
    band = g[int(y0 * g.shape[0]):int(y1 * g.shape[0])]
    return float(np.abs(np.diff(band, axis=0)).mean() + np.abs(np.diff(band, axis=1)).mean())


@pytest.fixture(scope="module")
def scenes():
    """One hook, body and cta scene per style (rendered once for the module)."""
    out = {}
    for name in STYLES:
        for beat in (HOOK, BODY, CTA):
            out[name, beat.kind] = render_scene(beat, style=style(name), seed="curious-minds/why-cats-purr",
                                                index=0 if beat.kind == "hook" else 3, total=9, size=SIZE)
    return out


# --- scenes -------------------------------------------------------------------------


def test_every_style_renders_an_rgb_image_of_the_requested_size(scenes):
    for (name, kind), img in scenes.items():
        assert img.size == SIZE, (name, kind)
        assert img.mode == "RGB", (name, kind)
        assert arr(img).std() > 10, f"{name}/{kind} is nearly flat"


def test_odd_sizes_and_the_default_size_work():
    img = render_scene(BODY, style=style("paper"), seed="s", index=1, total=3, size=(181, 322))
    assert img.size == (181, 322)
    full = render_scene(HOOK, style=style("neon"), seed="s", index=0, total=3)
    assert full.size == (1080, 1920) and full.mode == "RGB"


def test_same_inputs_give_identical_pixels():
    for name in STYLES:
        a = render_scene(BODY, style=style(name), seed="topic-a", index=2, total=5, size=SIZE)
        b = render_scene(BODY, style=style(name), seed="topic-a", index=2, total=5, size=SIZE)
        assert a.tobytes() == b.tobytes(), name


def test_different_beats_topics_and_styles_give_clearly_different_images(scenes):
    s = style("aurora")
    base = render_scene(BODY, style=s, seed="topic-a", index=2, total=5, size=SIZE)
    other_topic = render_scene(BODY, style=s, seed="topic-b", index=2, total=5, size=SIZE)
    other_beat = render_scene(HOOK, style=s, seed="topic-a", index=2, total=5, size=SIZE)
    other_index = render_scene(BODY, style=s, seed="topic-a", index=3, total=5, size=SIZE)
    assert mean_diff(base, other_topic) > 8
    assert mean_diff(base, other_beat) > 8
    assert mean_diff(base, other_index) > 8
    names = list(STYLES)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert mean_diff(scenes[a, "body"], scenes[b, "body"]) > 15, (a, b)


def test_the_motif_follows_the_keywords():
    assert pick_motif(["rocket", "launch"], "s") == "rocket"
    assert pick_motif(["honey", "bees"], "s") == "hexagon"
    assert pick_motif(["octopuses"], "s") == "fish"
    assert pick_motif(["whatever", "planets"], "s") == "planet"  # plural forms match
    # an unknown word: a hash of the seed picks one, deterministically and not always the same
    picks = {pick_motif(["zzqx"], f"seed-{i}") for i in range(40)}
    assert picks <= set(MOTIFS) and len(picks) > 5
    assert pick_motif(["zzqx"], "seed-1") == pick_motif(["zzqx"], "seed-1")
    # different keywords draw a different picture
    rocket = render_scene(Beat("body", "x", "y", ["rocket"]), style=style(), seed="s", index=2, total=5, size=SIZE)
    clock = render_scene(Beat("body", "x", "y", ["clock"]), style=style(), seed="s", index=2, total=5, size=SIZE)
    assert mean_diff(rocket, clock) > 3


def _nearest_palette_distance(img: Image.Image, palette) -> float:
    px = arr(img.resize((54, 96), Image.BOX)).reshape(-1, 3)
    cols = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in palette], np.float32)
    d = np.sqrt(((px[:, None, :] - cols[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    return float(np.median(d))


def test_the_palette_is_actually_used():
    warm = ("#2b1005", "#ff7a1a", "#ffd23f", "#e4572e")
    cool = ("#021b2b", "#1fb6ff", "#13ce66", "#7e5bef")
    for name in STYLES:
        w = render_scene(BODY, style=style(name, warm), seed="s", index=1, total=4, size=SIZE)
        c = render_scene(BODY, style=style(name, cool), seed="s", index=1, total=4, size=SIZE)
        # each image is closer to its own palette than to the other one
        assert _nearest_palette_distance(w, warm) < _nearest_palette_distance(w, cool), name
        assert _nearest_palette_distance(c, cool) < _nearest_palette_distance(c, warm), name
        # and the accents appear: some pixels lie close to an accent colour
        px = arr(w).reshape(-1, 3)
        accents = np.array([[int(h[i:i + 2], 16) for i in (1, 3, 5)] for h in warm[1:]], np.float32)
        near = (np.sqrt(((px[:, None, :] - accents[None]) ** 2).sum(axis=2)).min(axis=1) < 60).mean()
        assert near > 0.01, f"{name}: only {near:.1%} of pixels near an accent"


def test_the_bottom_ui_band_and_caption_band_are_calmer_than_the_top(scenes):
    for (name, kind), img in scenes.items():
        top = detail(img, 0.05, 0.4)
        assert detail(img, 0.8, 1.0) < 0.8 * top, (name, kind)
        assert detail(img, 0.4, 0.7) < 1.15 * top, (name, kind)
        # and the bottom is darker than the top third on average (it fades under the player UI)
        grey = np.asarray(img.convert("L"), np.float32)
        h = grey.shape[0]
        assert grey[int(0.85 * h):].mean() < grey[:int(0.4 * h)].mean(), (name, kind)


def test_the_right_ui_column_holds_less_detail_than_the_centre(scenes):
    for (name, kind), img in scenes.items():
        g = np.asarray(img.convert("L").resize((img.width // 4, img.height // 4), Image.BOX), np.float32)
        g = g[int(0.08 * g.shape[0]):int(0.4 * g.shape[0])]
        right = g[:, int(0.88 * g.shape[1]):]
        centre = g[:, int(0.3 * g.shape[1]):int(0.6 * g.shape[1])]
        assert np.abs(np.diff(right, axis=0)).mean() < np.abs(np.diff(centre, axis=0)).mean(), (name, kind)


# --- style configuration -----------------------------------------------------------


def test_a_bad_palette_colour_raises_a_config_error_naming_the_field():
    with pytest.raises(ConfigError) as err:
        VisualStyle.from_dict({"name": "aurora", "palette": ["#0b1026", "purple", "#22d3ee"]})
    assert err.value.field == "style.palette[1]"
    assert "#rrggbb" in err.value.fix
    assert "purple" in str(err.value)
    with pytest.raises(ConfigError) as err:
        VisualStyle.from_dict({"palette": ["#0b1026"]})
    assert err.value.field == "style.palette"
    with pytest.raises(ConfigError) as err:
        VisualStyle.from_dict({"palette": "#0b1026"})
    assert err.value.field == "style.palette"
    with pytest.raises(ConfigError) as err:
        VisualStyle.from_dict({"name": "watercolour"})
    assert err.value.field == "style.name" and "aurora" in err.value.fix
    with pytest.raises(ConfigError) as err:
        VisualStyle.from_dict({"grain": 3})
    assert err.value.field == "style.grain"


def test_from_dict_accepts_channel_config():
    s = VisualStyle.from_dict({"name": "Terminal", "palette": ["#000", "#33FF66", "#b3ffcc"],
                               "caption_highlight": "#facc15"})
    assert s.name == "retro-terminal"
    assert s.palette == ("#000000", "#33ff66", "#b3ffcc")
    assert VisualStyle.from_dict({}).name == "aurora"
    two = VisualStyle.from_dict({"name": "geometric", "palette": ["#101010", "#ff3366"]})
    assert render_scene(HOOK, style=two, seed="s", index=0, total=1, size=(90, 160)).size == (90, 160)


# --- thumbnails ------------------------------------------------------------------------


def _edge_density(img: Image.Image, box) -> float:
    g = np.asarray(img.convert("L").crop(box), np.float32)
    return float(((np.abs(np.diff(g, axis=1)) > 60).mean() + (np.abs(np.diff(g, axis=0)) > 60).mean()) / 2)


def test_the_thumbnail_is_1280x720_with_big_readable_text(scenes, tmp_path):
    scene = scenes["aurora", "hook"]
    thumb = render_thumbnail("Why cats purr", scene=scene, style=style(), size=(1280, 720))
    assert thumb.size == (1280, 720) and thumb.mode == "RGB"
    text_box = (60, 100, 800, 620)
    blank = render_thumbnail("", scene=scene, style=style(), size=(1280, 720))  # fallback text, shorter
    # text outlines are sharp, high-contrast edges; the blurred background has almost none
    assert _edge_density(thumb, text_box) > 0.005
    assert _edge_density(thumb, text_box) > 20 * _edge_density(scene.resize((1280, 720)), text_box)
    # near-white text pixels fill a good part of the text area
    px = arr(thumb.crop(text_box))
    white = (px.min(axis=2) > 225).mean()
    assert white > 0.08, f"only {white:.1%} white text pixels"
    # the right side (the scene's motif) has no text
    right = arr(thumb.crop((900, 100, 1280, 620)))
    assert (right.min(axis=2) > 235).mean() < 0.02
    assert blank.size == (1280, 720)
    path = save_jpeg(thumb, tmp_path / "thumb.jpg")
    assert Image.open(path).size == (1280, 720)


def test_the_thumbnail_survives_emoji_and_long_titles_and_no_scene():
    s = style("neon")
    for title in ("Why cats purr \U0001f408\u200d\u2b1b\U0001f525\ufe0f!", "\U0001f680\U0001f680", "x" * 90,
                  "The astonishing and completely true story of the man who sold the Eiffel Tower twice "
                  "to scrap metal dealers in nineteen twenty five"):
        img = render_thumbnail(title, scene=None, style=s, size=(640, 360))
        assert img.size == (640, 360)


def test_titles_wrap_to_at_most_three_lines_inside_the_box():
    long = "THE ASTONISHING AND COMPLETELY TRUE STORY OF THE MAN WHO SOLD THE EIFFEL TOWER TWICE TO DEALERS"
    font, lines = fit_title(long, 700, 500, max_lines=3)
    assert 1 <= len(lines) <= 3
    assert all(font.getlength(line) <= 700 for line in lines)
    font_short, short_lines = fit_title("WHY CATS PURR", 700, 500)
    assert font_short.size > font.size  # a short title gets a bigger font
    assert " ".join(short_lines) == "WHY CATS PURR"
    _, unbroken = fit_title("A" * 80, 300, 300)
    assert len(unbroken) <= 3


def test_unrenderable_characters_are_removed():
    assert renderable("Hello \U0001f9ea\u200d world\ufe0f") == "Hello world"
    assert renderable("Caf\u00e9 \u2014 na\u00efve") == "Caf\u00e9 \u2014 na\u00efve"
    assert renderable("\U0001fae0") == ""


# --- previews ---------------------------------------------------------------------------


def test_contact_sheet_size():
    imgs = [Image.new("RGB", (90, 160), (i * 20, 0, 0)) for i in range(9)]
    sheet = contact_sheet(imgs, columns=4, thumb_width=100)
    th = round(100 * 160 / 90)
    assert sheet.size == (4 * 100 + 5 * 4, 3 * th + 4 * 4)
    assert contact_sheet(imgs[:2], columns=5, thumb_width=50).size == (2 * 50 + 3 * 4, round(50 * 160 / 90) + 8)
    with pytest.raises(ValueError):
        contact_sheet([])


def test_markdown_preview_is_a_small_inline_jpeg():
    noisy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (1600, 1200, 3), dtype=np.uint8), "RGB")
    md = image_to_markdown(noisy, max_width=600, alt="scenes [1]")
    assert len(md) < 60_000
    m = re.fullmatch(r"!\[([^\]]*)\]\(data:image/jpeg;base64,([A-Za-z0-9+/=]+)\)", md)
    assert m, md[:80]
    img = Image.open(io.BytesIO(base64.b64decode(m.group(2))))
    assert img.format == "JPEG" and img.width <= 600
    small = image_to_markdown(Image.new("RGB", (2000, 1000), (10, 20, 30)), max_width=320)
    assert Image.open(io.BytesIO(base64.b64decode(small.split(",", 1)[1][:-1]))).size == (320, 160)
