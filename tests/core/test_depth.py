"""Depth in motion: a layered scene's subject and foreground move at other speeds than its
background (shortsmith.render.depth), measured on the frames of a real render; and the scene art
splits into those layers so that stacking them gives the flat still (shortsmith.art.compose)."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shortsmith.art import VisualStyle
from shortsmith.art.compose import render_layered
from shortsmith.art.layouts import plan_scene
from shortsmith.errors import InputError
from shortsmith.ffmpeg import ffmpeg_path
from shortsmith.model import Beat, BeatAudio, Voiceover, WordTiming
from shortsmith.render import RenderInputs, RenderSettings, build_command, plan_motion, render_video
from shortsmith.render.depth import DEPTHS, DEPTHS_Y, LEADS, SceneLayers, depth_path, layer_box

W, H, FPS = 270, 480, 30
SUBJECT_BOX = (80, 120, 100, 100)  # x, y, w, h of the subject's pixels
FORE_BOX = (120, 330, 60, 60)


def _noise(h: int, w: int, seed: int, blur: int = 3) -> np.ndarray:
    """Smooth random texture (template matching locks onto it unambiguously)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (h // blur + 1, w // blur + 1, 3)).astype(np.uint8)
    return np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC))[:h, :w]


def _layer(box, seed: int) -> Image.Image:
    x, y, w, h = box
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[y:y + h, x:x + w, :3] = _noise(h, w, seed)
    rgba[y:y + h, x:x + w, 3] = 255
    return Image.fromarray(rgba, "RGBA")


def _voice(path: Path, seconds: float) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        t = np.arange(int(seconds * 22050)) / 22050
        w.writeframes((0.2 * np.sin(2 * np.pi * 180 * t) * 32767).astype("<i2").tobytes())


@pytest.fixture(scope="module")
def layered_render(tmp_path_factory):
    d = tmp_path_factory.mktemp("depth")
    bg = d / "bg.png"
    Image.fromarray(_noise(H, W, 1)).save(bg)
    sub, fore = d / "subject.png", d / "fg.png"
    _layer(SUBJECT_BOX, 2).save(sub)
    _layer(FORE_BOX, 3).save(fore)
    flat = Image.open(bg).convert("RGBA")
    flat.alpha_composite(Image.open(sub))
    flat.alpha_composite(Image.open(fore))
    flat_path = d / "flat.png"
    flat.convert("RGB").save(flat_path)
    _voice(d / "voice.wav", 7.6)
    spans = [(0.1, 1.6), (2.1, 3.9), (4.3, 5.2), (5.6, 7.5)]
    beats = [BeatAudio(i, s, e, [WordTiming(f"w{i}", s, e)]) for i, (s, e) in enumerate(spans)]
    vo = Voiceover(str(d / "voice.wav"), 22050, 7.6, beats, "test", "test")
    layers = SceneLayers(bg, sub, fore)
    # the choreography's first moves: 0 zooms in, 1 pans up, 2 zooms out, 3 pans left
    inputs = RenderInputs([flat_path] * 4, d / "voice.wav", vo, scene_layers=[layers] * 4)
    settings = RenderSettings(width=W, height=H, fps=FPS)
    report = render_video(inputs, settings, d / "out.mp4", measure_output=False)
    plan = build_command(inputs, settings, d / "again.mp4")
    proc = subprocess.run([ffmpeg_path(), "-v", "error", "-i", str(d / "out.mp4"), "-f", "rawvideo",
                           "-pix_fmt", "gray", "-"], capture_output=True, check=True)
    frames = np.frombuffer(proc.stdout, np.uint8).reshape(-1, H, W).astype(np.float64)
    return report, plan, frames


def _shift(a: np.ndarray, b: np.ndarray, box, search: int = 40) -> tuple[int, int]:
    """Where the patch ``box`` of frame ``a`` is found in frame ``b`` (exhaustive SSD search)."""
    x, y, w, h = box
    patch = a[y:y + h, x:x + w]
    best, where = None, (0, 0)
    for dy in range(-search, search + 1):
        for dx in range(-search, search + 1):
            if y + dy < 0 or x + dx < 0 or y + dy + h > b.shape[0] or x + dx + w > b.shape[1]:
                continue
            err = float(((b[y + dy:y + dy + h, x + dx:x + dx + w] - patch) ** 2).mean())
            if best is None or err < best:
                best, where = err, (dx, dy)
    assert best is not None and best < 60, best  # the patch was really found
    return where


def _measure(plan, frames, scene: int):
    """Displacements of a background patch, the subject and the foreground between two frames 24
    apart inside ``scene`` (clear of its crossfades), found by template matching on the frames."""
    pan = plan.motions[scene]
    start = round(plan.scenes[scene].start * FPS)
    k1 = 16  # the scene's own frame number
    a, b = frames[start + k1], frames[start + k1 + 24]
    sx, sy, _, _ = depth_path(pan, "subject", SUBJECT_BOX, W, H).at(k1)
    fx, fy, _, _ = depth_path(pan, "foreground", FORE_BOX, W, H).at(k1)
    # patches well inside each layer, and a background patch clear of both at both times
    return (pan, _shift(a, b, (190, 30, 50, 50)), _shift(a, b, (sx + 20, sy + 20, 40, 40)),
            _shift(a, b, (fx + 12, fy + 12, 30, 30), search=70))


def test_the_subject_and_foreground_move_faster_than_the_background(layered_render):
    """A horizontal pan: the background moves 1 px a frame exactly; the subject 1.5x, the motes 2.4x."""
    report, plan, frames = layered_render
    pan, bg_d, sub_d, fore_d = _measure(plan, frames, 3)
    assert pan.kind == "pan" and pan.b != 0 and pan.d == 0
    assert bg_d == (-pan.b * 24, 0)  # the crop window moves by b: the picture by -b
    assert np.sign(sub_d[0]) == np.sign(bg_d[0]) == np.sign(fore_d[0])
    assert abs(sub_d[0] - bg_d[0]) >= 10  # displaced relative to the background: parallax
    # the planned rates (DEPTHS, held to LEADS in long scenes), as measured on the frames
    rate = {name: abs(depth_path(pan, name, SUBJECT_BOX, W, H).x1) / abs(pan.b) for name in DEPTHS}
    assert 1.4 <= rate["subject"] <= DEPTHS["subject"] and rate["foreground"] > 2.0
    assert abs(sub_d[0]) / abs(bg_d[0]) == pytest.approx(rate["subject"], abs=0.1)
    assert abs(fore_d[0]) / abs(bg_d[0]) == pytest.approx(rate["foreground"], abs=0.1)
    assert sub_d[1] == bg_d[1] == fore_d[1] == 0


def test_in_a_vertical_pan_subjects_stay_near_their_shelf_while_the_motes_pass(layered_render):
    report, plan, frames = layered_render
    pan, bg_d, sub_d, fore_d = _measure(plan, frames, 1)
    assert pan.kind == "pan" and pan.d != 0 and pan.b == 0
    assert bg_d == (0, -pan.d * 24)
    rate = {name: abs(depth_path(pan, name, SUBJECT_BOX, W, H).y1) / abs(pan.d) for name in DEPTHS}
    assert 1.1 <= rate["subject"] <= DEPTHS_Y["subject"] and rate["foreground"] > 2.0
    assert abs(sub_d[1]) / abs(bg_d[1]) == pytest.approx(rate["subject"], abs=0.1)
    assert abs(sub_d[1] - bg_d[1]) <= 6  # a prop does not sink into its shelf
    assert abs(fore_d[1]) / abs(bg_d[1]) == pytest.approx(rate["foreground"], abs=0.1)
    assert sub_d[0] == bg_d[0] == fore_d[0] == 0


def test_zoom_grows_the_subject_faster_than_the_background(layered_render):
    report, plan, frames = layered_render
    zoom = plan.motions[0]
    assert zoom.kind == "zoom_in"
    # the subject is the only thing in its box at mid-scene: the flat still's box, where the layers meet
    mid = (zoom.frames - 1) // 2
    sub = depth_path(zoom, "subject", SUBJECT_BOX, W, H)
    w_first, w_last = sub.at(0)[2], sub.at(zoom.frames - 1)[2]
    bg_first, bg_last = zoom.size(0)[0], zoom.size(zoom.frames - 1)[0]
    grow_sub = w_last / w_first - 1
    grow_bg = bg_last / bg_first - 1
    assert grow_sub == pytest.approx(DEPTHS["subject"] * grow_bg, rel=0.15)
    # and on the frames: the subject at mid-scene sits where the flat still's motion puts it
    x, y, w, h = sub.at(mid)
    ideal = zoom.position(SUBJECT_BOX[0] + 50, SUBJECT_BOX[1] + 50, mid, W, H)
    assert abs(x + w / 2 - 0.5 - ideal[0]) < 1.5 and abs(y + h / 2 - 0.5 - ideal[1]) < 1.5
    assert report["motions"] == ["zoom_in", "pan", "zoom_out", "pan"]


def test_the_render_reads_each_layer_once_after_the_audio(layered_render, tmp_path):
    _, plan, _ = layered_render
    cmd = plan.command
    inputs = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-i"]
    assert [Path(p).name for p in inputs] == ["bg.png"] * 4 + ["voice.wav"] + ["subject.png", "fg.png"] * 4
    assert plan.filter_graph.count("overlay=") == 8
    assert "zoompan" not in plan.filter_graph
    # pans only move their layers: no per-frame scaling of a layer in the pan's chains
    pan_chains = [c for c in plan.filter_graph.split(";\n") if "[l1s]" in c or "[l1f]" in c]
    assert pan_chains and not any("eval=frame:flags" in c for c in pan_chains)


def test_layer_lists_must_match_the_scenes(layered_render, tmp_path):
    _, plan, _ = layered_render
    img = tmp_path / "s.png"
    Image.new("RGB", (W, H)).save(img)
    _voice(tmp_path / "v.wav", 2.0)
    vo = Voiceover(str(tmp_path / "v.wav"), 22050, 2.0, [BeatAudio(0, 0.1, 1.8, [WordTiming("w", 0.1, 1.8)])],
                   "t", "t")
    with pytest.raises(InputError) as exc:
        build_command(RenderInputs([img], tmp_path / "v.wav", vo, scene_layers=[None, None]),
                      RenderSettings(width=W, height=H), tmp_path / "o.mp4")
    assert exc.value.field == "scene_layers"


def test_layer_box_is_the_visible_pixels_on_even_coordinates(tmp_path):
    p = tmp_path / "l.png"
    _layer((33, 41, 20, 11), 5).save(p)
    assert layer_box(p, W, H) == (32, 40, 22, 12)
    empty = tmp_path / "e.png"
    Image.new("RGBA", (W, H), (0, 0, 0, 0)).save(empty)
    assert layer_box(empty, W, H) is None


@pytest.mark.parametrize("look,lighting", [("aurora", ""), ("retro-terminal", ""), ("paper", "lighting: low key")])
def test_scene_art_splits_into_layers_that_stack_to_the_flat_still(look, lighting):
    style = VisualStyle.from_dict({"name": look})
    beat = Beat("body", "A purr starts in the voice box, where tiny muscles twitch twenty to thirty times every "
                "second.", "a cat's throat, vibration", ["cat", "purr", "vibration"])
    beat.scene = lighting  # a narrative's scene direction grades every layer alike
    plan = plan_scene(beat, [])
    scene = render_layered(beat, plan, style=style, seed="t", index=2, total=5, size=(180, 320))
    assert scene.background.mode == "RGB" and scene.subject.mode == scene.foreground.mode == "RGBA"
    stacked = scene.background.convert("RGBA")
    stacked.alpha_composite(scene.subject)
    stacked.alpha_composite(scene.foreground)
    diff = np.abs(np.asarray(stacked.convert("RGB"), int) - np.asarray(scene.flat, int))
    assert diff.mean() < 1.0 and np.percentile(diff, 99.9) <= 6
    sub_a = np.asarray(scene.subject.getchannel("A"))
    fore_a = np.asarray(scene.foreground.getchannel("A"))
    assert (sub_a > 200).mean() > 0.03  # the subject is on its own layer, in the upper stage
    ys = np.nonzero(sub_a > 200)[0]
    assert ys.mean() < 320 * 0.45
    assert 0 < (fore_a > 20).mean() < 0.15  # a few motes, not a veil
    # the subject is not in the background: where it stands the background differs from the flat
    covered = sub_a > 250
    bgd = np.abs(np.asarray(scene.background, int) - np.asarray(scene.flat, int)).sum(axis=2)
    assert bgd[covered].mean() > 20


@pytest.mark.parametrize("index", range(4))
def test_a_long_scene_keeps_its_layers_in_the_frame_and_never_shrinks_them_away(index):
    """A 40 s scene (a long outro): the layers stay within their lead of the background and keep a size."""
    motion = plan_motion(index, 1200, W, H)
    for name in ("subject", "foreground"):
        path = depth_path(motion, name, SUBJECT_BOX, W, H)
        for n in (0, 599, 1199):
            x, y, w, h = path.at(n)
            # where the background has the box's top-left corner (the edge, not the pixel centre)
            bg_x, bg_y = (v + 0.5 for v in motion.position(SUBJECT_BOX[0] - 0.5, SUBJECT_BOX[1] - 0.5, n, W, H))
            assert w > SUBJECT_BOX[2] * 0.8 and h > SUBJECT_BOX[3] * 0.8
            assert abs(x - bg_x) <= LEADS[name] * W + 1 and abs(y - bg_y) <= LEADS[name] * W + 1


def test_motion_plans_used_here_are_the_renderers():
    # the fixture's choreography: scene 0 zooms in, scene 1 pans (see shortsmith.render.motion)
    assert plan_motion(0, 40, W, H).kind == "zoom_in" and plan_motion(1, 40, W, H).kind == "pan"


def test_layers_and_terminal_overlays_take_their_own_inputs(tmp_path):
    """A layered scene and a narrative's terminal overlay in one render: each input is read once, in
    order (scenes, voice, layers, overlays), and the graph runs."""
    d = tmp_path
    bg = d / "bg.png"
    Image.fromarray(_noise(H, W, 1)).save(bg)
    sub = d / "subject.png"
    _layer(SUBJECT_BOX, 2).save(sub)
    flat = d / "flat.png"
    Image.open(bg).save(flat)
    _voice(d / "voice.wav", 3.6)
    spans = [(0.1, 1.5), (2.0, 3.4)]
    beats = [BeatAudio(i, s, e, [WordTiming(f"w{i}", s, e)]) for i, (s, e) in enumerate(spans)]
    vo = Voiceover(str(d / "voice.wav"), 22050, 3.6, beats, "test", "test")
    inputs = RenderInputs([flat, flat], d / "voice.wav", vo, scene_layers=[SceneLayers(bg, sub), None],
                          terminals=["", "$ purr --hz 25"])
    settings = RenderSettings(width=W, height=H, fps=FPS)
    report = render_video(inputs, settings, d / "out.mp4", measure_output=False)
    cmd = report["command"]
    names = [Path(cmd[i + 1]).name for i, a in enumerate(cmd) if a == "-i"]
    assert names[:4] == ["bg.png", "flat.png", "voice.wav", "subject.png"] and len(names) == 5
    graph = cmd[cmd.index("-filter_complex") + 1]
    assert "[3:v]crop=" in graph and "[4:v]" in graph  # the layer is input 3, the overlay input 4
    assert (d / "out.mp4").stat().st_size > 0
