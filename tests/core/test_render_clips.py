"""Video clips as scenes: covered and cropped, converted to the output fps, looped when short,
trimmed to their scene, no Ken Burns, their own audio ignored; stills unchanged beside them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shortsmith.errors import InputError
from shortsmith.ffmpeg import ffmpeg_path, probe
from shortsmith.render import RenderInputs, RenderSettings, build_command, is_video, render_video, video_duration
from shortsmith.validate import check_video
from tests.core.test_render import _synthetic_voice, make_voiceover

W, H, FPS = 180, 320, 30
GREEN, BLUE, ORANGE, RED = (40, 190, 70), (40, 70, 200), (230, 140, 20), (210, 40, 40)
SPANS = [(0.1, 1.6), (2.0, 4.4), (4.8, 6.2)]


def _hex(c) -> str:
    return "0x%02x%02x%02x" % c


def make_clip(path: Path, *, size: tuple[int, int], fps: int, seconds: float, colours, band: int = 0,
              extra: list[str] = ()) -> Path:
    """A real H.264 clip: equal-length segments of ``colours`` in turn, magenta side bands of
    ``band`` px (the cover crop must remove them) and a loud 1 kHz tone (must not be heard)."""
    w, h = size
    seg = seconds / len(colours)
    parts = [f"color=c={_hex(c)}:s={w}x{h}:r={fps}:d={seg}[c{i}]" for i, c in enumerate(colours)]
    graph = ";".join(parts) + ";" + "".join(f"[c{i}]" for i in range(len(colours))) + \
        f"concat=n={len(colours)}:v=1:a=0"
    if band:
        graph += (f",drawbox=x=0:y=0:w={band}:h={h}:color=magenta:t=fill"
                  f",drawbox=x={w - band}:y=0:w={band}:h={h}:color=magenta:t=fill")
    graph += ",format=yuv420p[v]"
    subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-filter_complex", graph,
                    "-f", "lavfi", "-i", f"sine=frequency=1000:sample_rate=44100:duration={seconds}",
                    "-map", "[v]", "-map", "0:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-af", "volume=0.9", "-shortest", *extra, str(path)],
                   check=True, capture_output=True, timeout=60)
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips with spaces")
    still = d / "scene 0.png"
    Image.new("RGB", (W, H), RED).save(still)
    # 1.0 s at 25 fps, 2:3 (not 9:16), green then blue: shorter than its scene, so it loops. Covering
    # 180x320 scales it to 213x320 and cuts 15.6 source pixels off each side: the 12 px bands go
    short = make_clip(d / "scene 1.mp4", size=(200, 300), fps=25, seconds=1.0, colours=[GREEN, BLUE], band=12)
    # 6 s at 60 fps in a QuickTime container, longer than its scene: trimmed
    long = make_clip(d / "scene 2.MOV", size=(360, 640), fps=60, seconds=6.0, colours=[ORANGE])
    voice = d / "voice.wav"
    _synthetic_voice(voice, SPANS, 6.4)
    vo = make_voiceover(SPANS, 6.4, str(voice))
    return d, [still, short, long], voice, vo


def _frame(video: Path, t: float) -> np.ndarray:
    proc = subprocess.run([ffmpeg_path(), "-v", "error", "-ss", f"{t:.3f}", "-i", str(video), "-frames:v", "1",
                           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True)
    return np.frombuffer(proc.stdout, np.uint8).reshape(H, W, 3).astype(int)


def _pcm(video: Path) -> np.ndarray:
    proc = subprocess.run([ffmpeg_path(), "-v", "error", "-i", str(video), "-map", "0:a", "-f", "s16le",
                           "-ac", "1", "-"], capture_output=True, check=True)
    return np.frombuffer(proc.stdout, "<i2").astype(float)


def test_suffixes_decide_what_is_a_clip():
    assert is_video("a.mp4") and is_video(Path("b.MOV")) and is_video("c.webm")
    assert not is_video("scene_00.png") and not is_video("clip.mp4.json")


def test_clip_scenes_in_the_command_and_stills_unchanged(media):
    d, scenes, voice, vo = media
    settings = RenderSettings(width=W, height=H)
    plan = build_command(RenderInputs(scenes, voice, vo), settings, d / "o.mp4")
    only_stills = build_command(RenderInputs([scenes[0]] * 3, voice, vo), settings, d / "o.mp4")
    cmd = plan.command
    # inputs: the still at 30 fps, each clip looped with its audio blocked
    for clip in scenes[1:]:
        i = cmd.index(str(clip))
        assert cmd[i - 4:i] == ["-stream_loop", "-1", "-an", "-i"]
    assert cmd.count("-framerate") == 1
    chains = plan.filter_graph.split(";\n")
    # the still's chain is exactly what a stills-only render uses
    assert chains[0] == only_stills.filter_graph.split(";\n")[0]
    frames = [m.frames for m in plan.motions]
    assert [m.kind for m in plan.motions] == ["zoom_in", "clip", "clip"]
    assert frames == [m.frames for m in only_stills.motions]
    for i in (1, 2):
        chain = chains[i]
        assert chain.startswith(f"[{i}:v]setpts=PTS-STARTPTS,fps={FPS},")
        assert f"scale={W}:{H}:force_original_aspect_ratio=increase" in chain and f"crop={W}:{H}," in chain
        assert f"trim=end_frame={frames[i]}," in chain and chain.endswith(f"setpts=N[s{i}]")
        assert "eval=frame" not in chain and "loop=" not in chain  # no Ken Burns
    # the clips' audio is never used: only the voice (input 3) feeds the mix
    assert "[1:a]" not in plan.filter_graph and "[2:a]" not in plan.filter_graph and "[3:a]" in plan.filter_graph
    assert plan.filter_graph.count("xfade=") == 2


def test_missing_or_broken_clips_are_named(media, tmp_path):
    d, scenes, voice, vo = media
    settings = RenderSettings(width=W, height=H)
    with pytest.raises(InputError) as err:
        build_command(RenderInputs([scenes[0], tmp_path / "gone.mp4", scenes[2]], voice, vo), settings, d / "o.mp4")
    assert err.value.field == "scene_images" and "does not exist" in err.value.message
    junk = tmp_path / "junk.mp4"
    junk.write_text("<html>not a video</html>")
    with pytest.raises(InputError) as err:
        build_command(RenderInputs([scenes[0], junk, scenes[2]], voice, vo), settings, d / "o.mp4")
    assert err.value.field == "scene_images" and "re-run the scene_images step" in err.value.fix
    audio_only = tmp_path / "tone.mp4"
    subprocess.run([ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", "sine=d=0.5", "-c:a", "aac", str(audio_only)],
                   check=True, capture_output=True, timeout=30)
    with pytest.raises(InputError) as err:
        build_command(RenderInputs([scenes[0], audio_only, scenes[2]], voice, vo), settings, d / "o.mp4")
    assert "no video stream" in err.value.message


@pytest.fixture(scope="module")
def rendered(media):
    d, scenes, voice, vo = media
    settings = RenderSettings(width=W, height=H)
    out = d / "with clips.mp4"
    report = render_video(RenderInputs(scenes, voice, vo, None, None, "@clips"), settings, out, measure_output=False)
    stills = d / "stills only.mp4"
    render_video(RenderInputs([scenes[0]] * 3, voice, vo, None, None, "@clips"), settings, stills,
                 measure_output=False)
    return out, stills, report, vo, settings


def test_render_with_clips_has_the_exact_frames_and_duration(rendered):
    out, _, report, vo, settings = rendered
    info = probe(out)
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    a = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (v["width"], v["height"], v["pix_fmt"], v["avg_frame_rate"]) == (W, H, "yuv420p", "30/1")
    assert int(v["nb_frames"]) == report["frames"] == round(video_duration(vo, settings) * FPS)
    assert float(v["duration"]) == pytest.approx(video_duration(vo, settings), abs=0.04)
    assert abs(float(v["duration"]) - float(a["duration"])) < 0.05
    assert len([s for s in info["streams"] if s["codec_type"] == "audio"]) == 1
    assert report["motions"] == ["zoom_in", "clip", "clip"]
    outcomes = check_video(out, width=W, height=H, max_duration_s=60)
    assert all(o.passed for o in outcomes if o.name != "loudness"), [o.message for o in outcomes if not o.passed]


def test_a_short_clip_loops_covered_and_cropped_within_its_scene(rendered):
    out, _, report, *_ = rendered
    start, end = report["scenes"][1]["start"], report["scenes"][1]["end"]
    assert end - start > 2.0  # the 1 s clip must loop at least once
    checks = [(t, GREEN if (t % 1.0) < 0.5 else BLUE) for t in (0.6, 0.85, 1.1, 1.35, 1.6, 1.85)]
    for local, colour in checks:
        frame = _frame(out, start + local)
        middle = frame[200:300, 20:160].reshape(-1, 3).mean(axis=0)  # clear of the watermark
        assert np.abs(middle - colour).max() < 30, (local, middle, colour)
        # the picture reaches every edge (cover, not letterbox) and the magenta side bands of the 2:3
        # clip were cropped away
        edges = np.concatenate([frame[20:300, :2], frame[20:300, -2:]], axis=1).reshape(-1, 3)
        assert np.abs(edges.mean(axis=0) - colour).max() < 30, (local, edges.mean(axis=0))
        magenta = (edges[:, 0] > 150) & (edges[:, 1] < 120) & (edges[:, 2] > 150)
        assert not magenta.any()
    # the long 60 fps clip shows in its scene; the red still in the first
    assert np.abs(_frame(out, report["scenes"][2]["start"] + 0.8)[200:300, 20:160].reshape(-1, 3).mean(axis=0)
                  - ORANGE).max() < 30
    assert np.abs(_frame(out, 0.5)[200:300, 20:160].reshape(-1, 3).mean(axis=0) - RED).max() < 30


def test_the_clips_own_audio_is_not_heard(rendered):
    out, stills, *_ = rendered
    with_clips, without = _pcm(out), _pcm(stills)
    assert len(with_clips) == len(without)
    # the same voice mix, sample for sample (a 1 kHz tone at -1 dBFS would swamp it)
    assert np.abs(with_clips - without).max() <= 2
