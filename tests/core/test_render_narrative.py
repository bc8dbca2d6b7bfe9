"""Narrative renders (issue 13): a transition per cut, terminal overlays typed with the speech, formats.

Small real renders (270x480 and its 16:9 / 1:1 siblings, ~8 s) read back with ffprobe and
as frames: what a viewer would see.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from shortsmith.errors import InputError
from shortsmith.ffmpeg import ffmpeg_path, probe
from shortsmith.model import Beat, BeatAudio, Script, Voiceover, WordTiming
from shortsmith.render import RenderSettings, build_command, render_video
from shortsmith.render.terminal import TerminalOverlay, panel_layout
from shortsmith.formats import (duration_limit, format_size, is_short,
                                settings_for_format)
from shortsmith.render.tracks import narrative_inputs, plan_timeline
from shortsmith.render.transitions import check_transitions, join_scenes
from shortsmith.validate import check_video

from .test_render import _synthetic_voice

W, H, FPS = 270, 480, 30
SPEAKERS = ["NARRATOR", "OPERATOR", "ENGINEER", "NARRATOR"]
LINES = [
    "The message arrived at three in the morning.",
    "It is not from any station we know.",
    "Run it through the decoder again now.",
    "Nobody in the room said a word.",
]
SPANS = [(0.1, 1.9), (2.4, 4.1), (4.6, 6.3), (6.8, 8.2)]
TERMINALS = {1: "INCOMING TRANSMISSION ... DECODING", 2: "SIGNAL LOCK 99.7% > SOURCE UNKNOWN"}
# distinct scene pictures: a colour field and a shape per scene, so a cut is visible
COLOURS = [(200, 60, 50), (130, 50, 160), (50, 80, 210), (190, 120, 40)]


def _script(transition_into_2: str = "glitch", fmt: str = "9:16") -> Script:
    beats = []
    for i, (who, line) in enumerate(zip(SPEAKERS, LINES)):
        beats.append(Beat("body", line, f"scene {i}", speaker=who, terminal=TERMINALS.get(i, ""),
                          transition={2: transition_into_2, 3: "slide"}.get(i, "")))
    return Script("paper-trail", "the signal", "The Signal, part 1", "", [], beats, 160.0, 5.0, 60.0, 8.0,
                  source="narrative", format=fmt, series="the-signal")


def _voiceover(wav: Path) -> Voiceover:
    beats = []
    for i, ((s, e), line, who) in enumerate(zip(SPANS, LINES, SPEAKERS)):
        words = line.split()
        step = (e - s) / len(words)
        timings = [WordTiming(w, s + k * step, s + (k + 1) * step - 0.02) for k, w in enumerate(words)]
        beats.append(BeatAudio(i, s, e, timings, speaker=who, provider="piper"))
    return Voiceover(str(wav), 22050, 8.4, beats, "test", "alignment")


def _scenes(folder: Path, w: int, h: int) -> list[Path]:
    paths = []
    for i, col in enumerate(COLOURS):
        im = Image.new("RGB", (w, h), col)
        d = ImageDraw.Draw(im)
        d.rectangle([w // 5, h // 2, w * 4 // 5, h * 4 // 5], fill=tuple(255 - c for c in col))
        for k in range(0, h, max(8, h // 24)):  # some horizontal detail for the tears to show
            d.line([(0, k), (w, k)], fill=tuple(min(255, c + 40) for c in col), width=2)
        p = folder / f"scene {i}.png"
        im.save(p)
        paths.append(p)
    return paths


def _render(folder: Path, transition: str, fmt: str = "9:16", *, terminals: bool = True) -> tuple[Path, dict]:
    folder.mkdir(parents=True, exist_ok=True)
    settings = settings_for_format(RenderSettings(width=W, height=H), fmt)
    wav = folder / "voice.wav"
    if not wav.exists():
        _synthetic_voice(wav, SPANS, 8.4)
    script = _script(transition, fmt)
    if not terminals:
        for b in script.beats:
            b.terminal = ""
    inputs = narrative_inputs(script, scene_images=_scenes(folder, settings.width, settings.height),
                              voice_wav=wav, voiceover=_voiceover(wav))
    out = folder / f"{transition}-{fmt.replace(':', 'x')}.mp4"
    report = render_video(inputs, settings, out, measure_output=False)
    return out, report


def _frames(video: Path, w: int, h: int) -> np.ndarray:
    proc = subprocess.run([ffmpeg_path(), "-v", "error", "-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                          capture_output=True, check=True)
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, h, w, 3).astype(np.int16)


@pytest.fixture(scope="module")
def narrative(tmp_path_factory):
    folder = tmp_path_factory.mktemp("narrative render")
    glitch, report = _render(folder / "g", "glitch")
    fade, fade_report = _render(folder / "c", "crossfade", terminals=False)
    return glitch, report, _frames(glitch, W, H), fade, _frames(fade, W, H)


# ----------------------------------------------------------------------------- units


def test_transitions_are_checked_and_a_crossfade_only_script_keeps_the_shorts_graph():
    assert check_transitions(["", "CUT", "glitch", "slide", "crossfade"]) == [
        "crossfade", "cut", "glitch", "slide", "crossfade"]
    with pytest.raises(InputError) as exc:
        check_transitions(["", "wipe"])
    assert exc.value.field == "script.beats[1].transition" and "glitch" in exc.value.fix
    plain = join_scenes([60, 60, 60], 15, ["", "", "crossfade"], FPS, W, H)
    assert sum("xfade=transition=fade" in c for c in plain) == 2
    mixed = "\n".join(join_scenes([60, 60, 60, 60], 15, ["", "cut", "glitch", "slide"], FPS, W, H))
    assert mixed.count("xfade=") == 1 and "slideleft" in mixed
    assert "rgbashift" in mixed and "noise=" in mixed and mixed.count("overlay=") == 2


def test_typing_follows_the_words_and_the_cursor_blinks_after():
    words = [WordTiming("INCOMING", 1.0, 1.5), WordTiming("NOW", 2.0, 2.5)]
    ov = TerminalOverlay(0, "ABCDEFGHIJ", 0.5, 4.0, words)
    assert ov.chars_at(0.9) == 0 and ov.chars_at(1.5) == 7  # 8 of 11 letters said -> 7 of 10 chars
    assert ov.chars_at(1.8) == ov.chars_at(1.5)  # a pause in the speech pauses the typing
    assert ov.chars_at(2.5) == 10 and ov.chars_at(3.9) == 10
    counts = [ov.chars_at(1.0 + k / 30) for k in range(60)]
    assert counts == sorted(counts)
    assert ov.cursor_on(1.2)  # solid while typing
    after = [ov.cursor_on(2.6 + k / 30) for k in range(30)]
    assert any(after) and not all(after)  # blinking


@pytest.mark.parametrize("fmt,size", [("9:16", (1080, 1920)), ("16:9", (1920, 1080)), ("1:1", (1080, 1080))])
def test_formats_set_the_frame_and_the_shorts_rules(fmt, size):
    assert format_size(fmt) == size
    assert is_short(fmt) == (fmt != "16:9")
    assert duration_limit(fmt, 60.0) == (60.0 if fmt != "16:9" else 600.0)
    with pytest.raises(InputError) as exc:
        format_size("4:3")
    assert exc.value.field == "script.format"


def test_the_timeline_has_every_track(tmp_path):
    wav = tmp_path / "v.wav"
    _synthetic_voice(wav, SPANS, 8.4)
    inputs = narrative_inputs(_script(), scene_images=_scenes(tmp_path, W, H), voice_wav=wav,
                              voiceover=_voiceover(wav))
    tl = plan_timeline(inputs, RenderSettings(width=W, height=H))
    assert [c.transition for c in tl.scenes] == ["", "crossfade", "glitch", "slide"]
    assert [(o.beat, o.text) for o in tl.overlays] == sorted(TERMINALS.items())
    # an overlay is on screen from the cut into its scene to the cut out of it
    ov = tl.overlays[0]
    assert ov.start == pytest.approx(tl.scenes[1].start + 0.25) and ov.end == pytest.approx(tl.scenes[1].end - 0.25)
    assert [v.speaker for v in tl.voices] == SPEAKERS
    plan = build_command(inputs, RenderSettings(width=W, height=H), tmp_path / "o.mp4")
    assert plan.command.count("-filter_complex") == 1
    # two overlays, each one image2 input of RGBA frames and one overlay, in the same graph
    assert sum(a.endswith("_%05d.tga") for a in plan.command) == 2
    assert plan.filter_graph.count("eof_action=pass") == 2
    assert plan.terminal and plan.terminal["overlays"] == 2


# ----------------------------------------------------------------------------- real renders


def test_a_three_speaker_narrative_with_terminals_and_a_glitch_renders(narrative):
    video, report, frames, _, _ = narrative
    info = probe(video)
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (v["width"], v["height"], v["codec_name"], v["pix_fmt"]) == (W, H, "h264", "yuv420p")
    assert any(s["codec_type"] == "audio" for s in info["streams"])
    assert abs(float(info["format"]["duration"]) - report["duration_s"]) < 0.1
    assert len(frames) == report["frames"]
    assert report["terminal"]["overlays"] == 2
    assert not any(p.name.endswith(".overlays") for p in video.parent.iterdir())  # frames cleaned up
    outcomes = {o.name: o for o in check_video(video, width=W, height=H, max_duration_s=60)}
    assert outcomes["resolution"].passed and outcomes["video_codec"].passed and outcomes["audio_sync"].passed


def _ink(frame: np.ndarray, box: tuple[int, int, int, int]) -> int:
    """Pixels in the panel that are bright terminal green (typed text or cursor)."""
    x, y, w, h = box
    region = frame[y:y + h, x:x + w]
    return int(((region[..., 1] > 170) & (region[..., 0] < 150) & (region[..., 2] < 180)).sum())


def test_terminal_text_is_typed_in_step_with_the_speech(narrative):
    _, report, frames, _, fade_frames = narrative
    layout = panel_layout(W, H)
    box = (layout.x + 3, layout.y + 3, layout.width - 6, layout.height - 6)
    s, e = SPANS[1]
    times = [s + (e - s) * f for f in (0.1, 0.35, 0.6, 0.95)] + [e + 0.2]
    inks = [_ink(frames[round(t * FPS)], box) for t in times]
    assert inks[0] < inks[1] < inks[2] < inks[3], inks  # more characters as the line is spoken
    assert inks[3] > 4 * max(1, inks[0])
    # without the overlay the same region has no terminal green at all
    assert _ink(fade_frames[round(times[3] * FPS)], box) < 0.1 * inks[3]
    # beat 0 has no overlay
    assert _ink(frames[round(1.0 * FPS)], box) < 0.1 * inks[3]


def _grain(frame: np.ndarray) -> float:
    """Pixel-to-pixel roughness below the overlay panel (static and channel split raise it)."""
    return float(np.abs(np.diff(frame[H // 4:, :, 1], axis=1)).mean())


def test_the_glitch_frames_differ_from_a_crossfades(narrative):
    _, report, frames, _, fade_frames = narrative
    start = round(report["scenes"][2]["start"] * FPS)  # the 15-frame overlap into scene 2
    pair = range(start, start + 15)
    diffs = [float(np.abs(frames[k] - fade_frames[k]).mean()) for k in pair]
    assert max(diffs) > 25, diffs  # tears, static and the hard cut vs a soft blend
    glitch = [_grain(frames[k]) for k in pair]
    fade = [_grain(fade_frames[k]) for k in pair]
    # a few frames around the cut (7) are torn up: much rougher than the crossfade's frames ...
    assert min(glitch[4:10]) > 2 * max(fade), (glitch, fade)
    # ... and than the glitch's own first and last frames (plain scenes either side of the cut)
    assert min(glitch[4:10]) > 2 * max(glitch[0], glitch[1], glitch[13], glitch[14]), glitch


@pytest.mark.parametrize("fmt", ["16:9", "1:1"])
def test_other_formats_render_at_their_size(tmp_path, fmt):
    video, report = _render(tmp_path, "cut", fmt)
    w, h = format_size(fmt, W, H)
    v = next(s for s in probe(video)["streams"] if s["codec_type"] == "video")
    assert (v["width"], v["height"]) == (w, h) == (report["width"], report["height"])
    frame = _frames(video, w, h)[round(3.0 * FPS)]
    layout = panel_layout(w, h)
    assert _ink(frame, (layout.x, layout.y, layout.width, layout.height)) > 20  # the overlay is there
