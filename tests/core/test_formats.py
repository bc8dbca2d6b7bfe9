"""Formats (issue 13): the frame, the captions' safe area, the checks' limit and how it is published."""

from __future__ import annotations

import pytest

from shortsmith.captions import CaptionStyle, build_ass
from shortsmith.config import parse_channels
from shortsmith.formats import (as_normal_video, caption_style_for_format, duration_limit, format_size, is_short,
                                settings_for_format)
from shortsmith.model import Beat, BeatAudio, Script, Voiceover, WordTiming
from shortsmith.publish import build_upload_request
from shortsmith.render import RenderSettings
from shortsmith.youtube import watch_url

CHANNEL = parse_channels({"channels": [{"name": "c", "niche": "cats", "topics": ["Why cats purr"],
                                        "synthetic_media": True}]}).get("c")


def test_settings_keep_the_short_side_for_every_format():
    base = RenderSettings()
    assert (settings_for_format(base, "9:16").width, settings_for_format(base, "9:16").height) == (1080, 1920)
    wide = settings_for_format(base, "16:9")
    assert (wide.width, wide.height, wide.fps, wide.crf) == (1920, 1080, base.fps, base.crf)
    assert format_size("1:1", 270, 480) == (270, 270)
    assert settings_for_format(base, "9:16") is base


def _caption_positions(style: CaptionStyle, w: int, h: int) -> list[tuple[int, int]]:
    words = [WordTiming(f"word{i}", 0.3 * i, 0.3 * i + 0.25) for i in range(9)]
    vo = Voiceover("v.wav", 22050, 3.0, [BeatAudio(0, 0.0, 2.7, words)], "t", "t")
    out = []
    for line in build_ass(vo, width=w, height=h, style=style).splitlines():
        if line.startswith("Dialogue:") and "\\pos(" in line:
            x, y = line.split("\\pos(", 1)[1].split(")", 1)[0].split(",")
            out.append((int(float(x)), int(float(y))))
    return out


@pytest.mark.parametrize("fmt", ["9:16", "16:9", "1:1"])
def test_captions_sit_in_the_formats_safe_area(fmt):
    w, h = format_size(fmt)
    style = caption_style_for_format(CaptionStyle(), fmt)
    pos = _caption_positions(style, w, h)
    assert pos
    for _x, y in pos:
        assert style.safe_top * h <= y <= style.safe_bottom * h
    if fmt == "16:9":  # no Shorts buttons on the right: centred, in the lower third
        assert all(abs(x - w / 2) < 2 for x, _ in pos) and all(y > 0.6 * h for _, y in pos)
    if fmt == "9:16":  # unchanged for a Short
        assert style == CaptionStyle()


def test_a_16x9_episode_is_a_normal_video_and_a_short_stays_a_short():
    ch = CHANNEL
    script = Script("c", "the signal", "The Signal, part 1", "A story told in three voices.", ["mystery"],
                    [Beat("body", "The message arrived at three.", "a control room")], 160.0, 1.0, 60.0, 2.0)
    script.title += " #Shorts"
    script.tags = list(script.tags) + ["shorts", "#Shorts"]
    short = build_upload_request(script, ch)
    assert "#Shorts" in short["snippet"]["title"] and "shorts" in short["snippet"]["tags"]
    script.format = "16:9"
    episode = build_upload_request(script, ch)
    assert "#shorts" not in episode["snippet"]["title"].lower()
    assert not [t for t in episode["snippet"]["tags"] if t.lstrip("#").lower() == "shorts"]
    assert episode["snippet"]["title"] == script.title.replace(" #Shorts", "")
    assert watch_url("abc") == "https://www.youtube.com/shorts/abc"
    assert watch_url("abc", short=False) == "https://www.youtube.com/watch?v=abc"
    assert is_short("1:1") and not is_short("16:9")
    assert duration_limit("9:16", 240) == 180 and duration_limit("16:9", 60) == 600
    assert as_normal_video({"snippet": {"description": "a story #shorts"}})["snippet"]["description"] == "a story"


def test_stock_clips_follow_the_outputs_shape():
    from shortsmith.visuals import PexelsFile, PexelsVideo, choose_clips, orientation

    portrait = PexelsFile(1, "https://x/p.mp4", 1080, 1920, "video/mp4", "hd", 30.0)
    landscape = PexelsFile(2, "https://x/l.mp4", 1920, 1080, "video/mp4", "hd", 30.0)
    videos = [PexelsVideo(10, "u", 8.0, 1080, 1920, "a", "b", (portrait,)),
              PexelsVideo(11, "u", 8.0, 1920, 1080, "a", "b", (landscape,))]
    assert [c.video.id for c in choose_clips(videos, size=(1080, 1920), scene_seconds=5)] == [10]
    assert [c.video.id for c in choose_clips(videos, size=(1920, 1080), scene_seconds=5)] == [11]
    assert len(choose_clips(videos, size=(1080, 1080), scene_seconds=5)) == 2
    assert [orientation(*format_size(f)) for f in ("9:16", "16:9", "1:1")] == ["portrait", "landscape", "square"]


@pytest.mark.parametrize("fmt", ["9:16", "16:9", "1:1"])
def test_the_terminal_panel_stays_clear_of_the_captions_and_the_watermark(fmt):
    from shortsmith.render.terminal import panel_layout

    w, h = format_size(fmt)
    panel = panel_layout(w, h)
    style = caption_style_for_format(CaptionStyle(), fmt)
    assert panel.y + panel.height < style.safe_top * h  # above the captions' band
    assert panel.y > round(h * 0.095) + round(h * 0.022)  # below the watermark line (graph._watermark_filter)
    assert 0 <= panel.x and panel.x + panel.width <= w and panel.columns >= 20
