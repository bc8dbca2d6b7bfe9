"""The renderer: timeline, Ken Burns plans, filter graph (unit) and one small real render."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from shortsmith.errors import InputError
from shortsmith.ffmpeg import ffmpeg_path, probe
from shortsmith.model import BeatAudio, Voiceover, WordTiming
from shortsmith.render import (
    PreviewFrames,
    RenderInputs,
    RenderSettings,
    build_command,
    escape_graph,
    escape_option,
    filter_value,
    plan_motion,
    render_video,
    scene_chain,
    scene_timeline,
    video_duration,
)
from shortsmith.validate import check_video, measure_loudness

W, H, FPS = 270, 480, 30


def make_voiceover(spans: list[tuple[float, float]], duration: float, wav: str = "voice.wav") -> Voiceover:
    beats = [BeatAudio(i, s, e, [WordTiming(f"w{i}", s, e)]) for i, (s, e) in enumerate(spans)]
    return Voiceover(wav, 22050, duration, beats, "test", "test")


# ----------------------------------------------------------------------------- timeline


def test_timeline_cuts_sit_in_the_pauses_and_cover_the_video():
    spans = [(0.1, 2.0), (2.6, 5.1), (5.5, 9.0), (9.8, 12.0)]
    vo = make_voiceover(spans, 12.2)
    settings = RenderSettings()
    total = video_duration(vo, settings)
    assert total == pytest.approx(round((12.2 + settings.tail_s) * 30) / 30)
    scenes = scene_timeline(vo, total, 0.5, fps=30)
    assert [s.index for s in scenes] == [0, 1, 2, 3]
    assert scenes[0].start == 0 and scenes[-1].end == pytest.approx(total)
    for prev, nxt, (_, prev_end), (next_start, _) in zip(scenes, scenes[1:], spans, spans[1:]):
        assert prev.end - nxt.start == pytest.approx(0.5)  # one crossfade of overlap
        cut = (prev.end + nxt.start) / 2
        # the picture changes in the pause, within a frame of its middle
        assert prev_end <= cut <= next_start
        assert cut == pytest.approx((prev_end + next_start) / 2, abs=1 / 30 + 1e-9)
    for s in scenes:  # whole frames
        assert s.start * 30 == pytest.approx(round(s.start * 30))
        assert s.end * 30 == pytest.approx(round(s.end * 30))


def test_timeline_refuses_what_cannot_fit():
    vo = make_voiceover([(0.0, 0.1), (0.15, 0.2), (0.25, 0.3)], 0.3)
    with pytest.raises(InputError) as exc:
        scene_timeline(vo, 0.4, 0.5)
    assert exc.value.fix and "fewer beats" in exc.value.fix
    with pytest.raises(InputError):
        scene_timeline(make_voiceover([], 1.0), 1.0, 0.5)


# ----------------------------------------------------------------------------- Ken Burns plans


@pytest.mark.parametrize("size", [(270, 480), (1080, 1920), (1920, 1080), (720, 720)])
@pytest.mark.parametrize("frames", [16, 45, 100, 193, 400])
@pytest.mark.parametrize("index", range(8))
def test_motion_plans_are_integer_linear_and_stay_inside_the_image(size, frames, index):
    w, h = size
    m = plan_motion(index, frames, w, h)
    for n in range(frames):  # every frame, not just the ends
        s, t = m.size(n)
        x, y = m.offset(n)
        assert isinstance(s, int) and isinstance(x, int)
        assert 0 <= x <= s - w and 0 <= y <= t - h
    if m.kind == "pan":
        assert m.a == m.c == 0 and abs(m.b) <= 2 and abs(m.d) <= 2 and (m.b or m.d)
        assert m.x0 % 2 == 0 and m.y0 % 2 == 0  # even offsets: exact 4:2:0 chroma
    else:
        lo, hi = sorted(m.zoom_range(w, h))
        assert 1.0 < lo < hi
        if min(w, h) < 720 or frames > 200:
            return  # motion is whole pixels per frame: small previews / long scenes zoom more
        assert hi <= 1.5
        # aspect drift stays small: x and y scale factors within 2.5 % of each other
        for n in (0, frames // 2, frames - 1):
            s, t = m.size(n)
            assert abs((s / w) / (t / h) - 1) < 0.025


# ----------------------------------------------------------------------------- jitter


def _dot_image(path: Path, points, w=W, h=H) -> Path:
    y, x = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.float32) + [60, 50, 70]
    for px, py in points:
        img += 180 * np.exp(-((x - px) ** 2 + (y - py) ** 2) / (2 * 2.2 ** 2))[..., None]
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path)
    return path


def _gray_frames(image: Path, graph: str, w=W, h=H) -> np.ndarray:
    proc = subprocess.run([ffmpeg_path(), "-v", "error", "-framerate", "30", "-i", str(image),
                           "-filter_complex", graph, "-map", "[o]", "-f", "rawvideo", "-"],
                          capture_output=True, check=True)
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, h, w).astype(np.float64)


def _track(frames: np.ndarray, x0: float, y0: float, r: int = 7) -> np.ndarray:
    """Centroid of the bright dot near the previous position, frame by frame."""
    out, x, y = [], x0, y0
    for f in frames:
        xi, yi = int(round(x)), int(round(y))
        win = f[yi - r:yi + r + 1, xi - r:xi + r + 1].copy()
        gy, gx = np.mgrid[yi - r:yi + r + 1, xi - r:xi + r + 1]
        win -= np.median(win)
        win[win < 0] = 0
        x, y = (win * gx).sum() / win.sum(), (win * gy).sum() / win.sum()
        out.append((x, y))
    return np.array(out)


def jitter_stats(track: np.ndarray) -> dict:
    v = np.diff(track, axis=0)
    direction = np.sign(v.mean(axis=0))
    backward = int((((v * direction) < -0.02) & (direction != 0)).any(axis=1).sum())
    t = np.arange(len(track))
    resid = max(np.abs(track[:, k] - np.polyval(np.polyfit(t, track[:, k], 2), t)).max()
                for k in range(2))
    return {"backward_steps": backward, "velocity_std": float(v.std(axis=0).max()),
            "max_accel": float(np.abs(np.diff(v, axis=0)).max()), "fit_residual": float(resid),
            "speed": float(np.abs(v).mean())}


POINTS = [(W * 0.3, H * 0.3), (W * 0.62, H * 0.55), (W * 0.45, H * 0.72)]


@pytest.fixture(scope="module")
def dot_png(tmp_path_factory) -> Path:
    return _dot_image(tmp_path_factory.mktemp("kb") / "dots.png", POINTS)


@pytest.mark.parametrize("kind,anchor", [("zoom_in", None), ("zoom_out", None), ("pan", (0, -1)),
                                         ("pan", (1, 1)), ("zoom_in", (0.5, 0.5))])
def test_ken_burns_tracked_point_moves_smoothly_and_never_backwards(dot_png, kind, anchor):
    frames = 60
    motion = plan_motion(0, frames, W, H, kind=kind, anchor=anchor)
    graph = scene_chain("[0:v]", motion, W, H, FPS).replace("[s0]", "") + ",format=gray[o]"
    video = _gray_frames(dot_png, graph)
    assert len(video) == frames
    for px, py in POINTS:
        start = motion.position(px, py, 0, W, H)
        path = _track(video, *start)
        stats = jitter_stats(path)
        assert stats["speed"] > 0.1, stats  # it does move
        assert stats["backward_steps"] == 0, stats
        assert stats["velocity_std"] < 0.05, stats
        assert stats["max_accel"] < 0.15, stats
        assert stats["fit_residual"] < 0.15, stats
        ideal = np.array([motion.position(px, py, n, W, H) for n in range(frames)])
        if kind == "pan":  # whole-pixel steps: exactly where the plan says
            assert np.abs(path - ideal).max() < 0.1
        else:  # a constant sub-pixel offset (resampler phase), the same on every frame
            offset = path - ideal
            assert np.abs(offset - offset.mean(axis=0)).max() < 0.15


def test_the_tracker_sees_zoompan_jitter(dot_png):
    """Control: the same measurement flags ffmpeg's zoompan (the reason for our approach)."""
    graph = (f"[0:v]zoompan=z='1+0.003*on':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=60"
             f":s={W}x{H}:fps=30,format=gray[o]")
    video = _gray_frames(dot_png, graph)
    stats = jitter_stats(_track(video, *POINTS[0]))
    assert stats["backward_steps"] >= 10, stats


# ----------------------------------------------------------------------------- graph (unit)


def test_escaping_survives_spaces_colons_quotes_and_brackets():
    nasty = "/tmp/my dir/it's: [a],b;c\\d.ass"
    assert escape_option("a:b") == "'a:b'"
    assert escape_option("it's") == "'it'\\''s'"
    assert escape_graph("a'b[c],d;e") == "a\\'b\\[c\\]\\,d\\;e"
    value = filter_value(nasty)
    for ch in "[],;":
        assert f"\\{ch}" in value
    # ffmpeg itself parses it back to the same file name (drawtext shows the text verbatim)
    proc = subprocess.run(
        [ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", "color=black:s=64x64:d=0.04",
         "-vf", f"drawtext=text={filter_value(nasty)}:expansion=none:fontsize=4",
         "-f", "null", "-"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _inputs(tmp_path: Path, n: int = 3, *, music=True, ass=True) -> RenderInputs:
    images = []
    for i in range(n):
        p = tmp_path / f"scene {i}.png"
        Image.new("RGB", (W, H), (40 * i, 90, 160)).save(p)
        images.append(p)
    voice = tmp_path / "voice.wav"
    with wave.open(str(voice), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(b"\0\0" * 22050)
    spans = [(0.1 + 2 * i, 1.7 + 2 * i) for i in range(n)]
    music_wav = tmp_path / "music.wav" if music else None
    if music_wav:
        music_wav.write_bytes(voice.read_bytes())
    ass_path = tmp_path / "caps.ass" if ass else None
    if ass_path:
        ass_path.write_text("[Script Info]\n")
    return RenderInputs(images, voice, make_voiceover(spans, 2.0 * n), music_wav, ass_path, "@chan")


def test_build_command_is_one_graph_with_every_requirement(tmp_path):
    inputs = _inputs(tmp_path, 4)
    settings = RenderSettings(width=W, height=H)
    plan = build_command(inputs, settings, tmp_path / "out.mp4")
    cmd = plan.command
    assert cmd.count("-filter_complex") == 1
    graph = plan.filter_graph
    assert "zoompan" not in graph and "perspective" not in graph
    assert graph.count("xfade=") == 3  # one per cut
    assert "ass=filename=" in graph and "fontsdir=" in graph
    assert "drawtext=fontfile=" in graph and "DejaVuSans-Bold.ttf" in graph
    assert "sidechaincompress" in graph and "alimiter" in graph
    assert "loop=" in graph and "-loop" not in cmd  # each still decoded once
    # every still is read at 30 fps (a looped image defaults to 25 and drops frames)
    assert cmd.count("-framerate") == 4 and all(cmd[i + 1] == "30" for i, a in enumerate(cmd)
                                                  if a == "-framerate")
    joined = " ".join(cmd)
    for needle in ("-c:v libx264", "-profile:v high", "-pix_fmt yuv420p", "-color_primaries bt709",
                   "-color_trc bt709", "-colorspace bt709", "-color_range tv", "-c:a aac",
                   "-ar 48000", "-ac 2", "-movflags +faststart", "-r 30"):
        assert needle in joined
    assert plan.frames == round(plan.duration * 30)
    # scene lengths minus the crossfade overlaps add up to the video
    lengths = [m.frames for m in plan.motions]
    assert sum(lengths) - 3 * 15 == plan.frames


def test_build_command_without_music_or_captions(tmp_path):
    inputs = _inputs(tmp_path, 2, music=False, ass=False)
    inputs.watermark = None
    plan = build_command(inputs, RenderSettings(width=W, height=H), tmp_path / "o.mp4")
    assert "sidechaincompress" not in plan.filter_graph
    assert "ass=" not in plan.filter_graph and "drawtext" not in plan.filter_graph


def test_build_command_names_what_is_missing(tmp_path):
    inputs = _inputs(tmp_path, 3)
    inputs.scene_images = inputs.scene_images[:2]
    with pytest.raises(InputError) as exc:
        build_command(inputs, RenderSettings(width=W, height=H), tmp_path / "o.mp4")
    assert exc.value.field == "scene_images" and "one image per beat" in exc.value.fix


# ----------------------------------------------------------------------------- real render


COLOURS = [(220, 60, 50), (40, 180, 70), (50, 80, 220)]


def _synthetic_voice(path: Path, spans, duration: float, rate: int = 22050) -> None:
    t = np.arange(int(duration * rate)) / rate
    f0 = 120 + 20 * np.sin(2 * np.pi * 3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    buzz = sum(np.sin(k * phase) / k for k in range(1, 9))
    syll = 0.4 + 0.6 * np.sin(2 * np.pi * 4 * t) ** 2
    sig = np.zeros_like(t)
    for s, e in spans:
        m = (t >= s) & (t < e)
        sig[m] = 0.3 * buzz[m] * syll[m]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(sig, -1, 1) * 32767).astype("<i2").tobytes())


@pytest.fixture(scope="module")
def small_render(tmp_path_factory):
    from shortsmith.music import synthesize_bed

    d = tmp_path_factory.mktemp("render with spaces")
    images = []
    for i, col in enumerate(COLOURS):
        im = Image.new("RGB", (W, H), col)
        ImageDraw.Draw(im).ellipse([60, 150, 210, 330], fill=tuple(min(255, c + 30) for c in col))
        p = d / f"scene {i}: it's.png"
        im.save(p)
        images.append(p)
    spans = [(0.1, 1.8), (2.3, 3.9), (4.4, 5.9)]
    duration = 6.0
    _synthetic_voice(d / "voice.wav", spans, duration)
    vo = make_voiceover(spans, duration, str(d / "voice.wav"))
    settings = RenderSettings(width=W, height=H)
    music = synthesize_bed(d / "music.wav", video_duration(vo, settings), seed="t")
    ass = d / "caps: it's [1].ass"
    ass.write_text(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: 270\nPlayResY: 480\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        "Style: Cap,DejaVu Sans,40,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,-1,0,0,0,100,100,"
        "0,0,1,2,0,5,10,10,0,1\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:01.00,0:00:01.80,Cap,,0,0,0,,{\\pos(135,300)}WWWW\n",
        encoding="utf-8",
    )
    inputs = RenderInputs(images, d / "voice.wav", vo, music, ass, "@it's: [chan]")
    fractions: list[float] = []
    total = video_duration(vo, settings)
    preview = PreviewFrames(tuple(total * (k + 0.5) / 6 for k in range(6)), d / "kept frames")
    report = render_video(inputs, settings, d / "out file.mp4", progress=fractions.append, preview=preview)
    report["_preview"] = preview
    return d / "out file.mp4", report, vo, settings, fractions


def _frame_at(video: Path, t: float) -> np.ndarray:
    proc = subprocess.run([ffmpeg_path(), "-v", "error", "-ss", f"{t:.3f}", "-i", str(video),
                           "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                          capture_output=True, check=True)
    return np.frombuffer(proc.stdout, np.uint8).reshape(H, W, 3).astype(int)


def test_small_render_meets_the_delivery_spec(small_render):
    out, report, vo, settings, fractions = small_render
    info = probe(out)
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    a = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (v["codec_name"], v["profile"], v["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (v["width"], v["height"]) == (W, H)
    assert (v["color_primaries"], v["color_transfer"], v["color_space"], v["color_range"]) == (
        "bt709", "bt709", "bt709", "tv")
    assert v["avg_frame_rate"] == "30/1" and v["r_frame_rate"] == "30/1"
    assert int(v["nb_frames"]) == report["frames"] == round(report["duration_s"] * 30)
    assert (a["codec_name"], int(a["sample_rate"]), a["channels"]) == ("aac", 48000, 2)
    assert abs(float(v["duration"]) - float(a["duration"])) < 0.05
    assert float(v["duration"]) == pytest.approx(video_duration(vo, settings), abs=0.04)
    # +faststart: the moov atom comes before the media data
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))
    # loudness hit the target; the report measured the output
    assert report["loudness"]["integrated_lufs"] == pytest.approx(-14.0, abs=1.0)
    assert report["loudness"]["true_peak_dbtp"] <= -1.0 + 0.2
    outcomes = check_video(out, width=W, height=H, max_duration_s=60)
    assert all(o.passed for o in outcomes), [o.message for o in outcomes if not o.passed]
    # the report's loudness is this very file's (the guard measured it; the checks reuse it, no new decode)
    assert (report["loudness"]["integrated_lufs"], report["loudness"]["true_peak_dbtp"]) == measure_loudness(out)
    # progress went forward to 100 %
    assert fractions and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert report["command"][0] == "ffmpeg" and "-filter_complex" in report["command"]


def test_the_render_keeps_preview_frames_equal_to_the_finished_video(small_render):
    """The preview frames are split off the render's own picture: each is the frame the MP4 shows at
    its time (within the encoder's loss), so nothing decodes the file again for the UI."""
    out, report, _, _, _ = small_render
    preview: PreviewFrames = report["_preview"]
    kept = preview.images()
    assert len(kept) == 6 and all(im.size == (160, 284) for im in kept)
    numbers = preview.frame_numbers(30, report["frames"])
    assert numbers == [int(t * 30) for t in preview.times]  # the frame on screen at each time
    for t, n, im in zip(preview.times, numbers, kept):
        # -ss seeks to the first frame at or after its time: a quarter frame before frame n is frame n
        decoded = Image.fromarray(_frame_at(out, (n - 0.25) / 30).astype(np.uint8)).resize(
            im.size, Image.Resampling.BICUBIC)
        diff = np.abs(np.asarray(im, int) - np.asarray(decoded, int)).mean()
        assert diff < 4, f"preview frame at {t:.2f} s differs from the video by {diff:.1f} levels"
    # the first and the last frame are of different scenes (different colours)
    assert np.abs(np.asarray(kept[0], int) - np.asarray(kept[-1], int)).mean() > 20
    # the command wrote them as a second output of the same ffmpeg run
    assert report["command"].count("-filter_complex") == 1 and "[pv]" in report["command"]


def test_small_render_shows_each_scene_during_its_beat_with_captions(small_render):
    out, report, vo, *_ = small_render
    for beat, colour in zip(vo.beats, COLOURS):
        mid = (beat.start + beat.end) / 2
        frame = _frame_at(out, mid)
        corner = frame[400:470, 200:260].reshape(-1, 3).mean(axis=0)  # clear of text and dot
        assert np.abs(corner - colour).max() < 30, (beat.index, corner, colour)
    # the caption (white text, 1.0-1.8 s) is burned in; not there before it starts
    with_cap = _frame_at(out, 1.4)[280:320, 40:230]
    without = _frame_at(out, 0.5)[280:320, 40:230]
    white = lambda f: int(((f > 235).all(axis=2)).sum())  # noqa: E731
    assert white(with_cap) > 300 and white(without) < 20
    # the watermark sits in the top-left corner (semi-transparent white text)
    top_left = _frame_at(out, 3.0)[40:62, 10:140].astype(float)
    plain = _frame_at(out, 3.0)[40:62, 150:260].astype(float)
    assert top_left.max(axis=2).max() > plain.max(axis=2).max() + 40


def test_encoder_choice_falls_back_to_libx264_without_a_gpu_and_says_why():
    from shortsmith.render.encoders import choose_encoder, nvenc_status, video_codec_args
    from shortsmith.errors import ConfigError, ToolMissingError
    from shortsmith.ffmpeg import ffmpeg_path

    ok, why = nvenc_status(ffmpeg_path())
    name, note = choose_encoder("auto")
    if ok:  # a machine with an NVIDIA driver (the GPU runner)
        assert name == "h264_nvenc"
    else:  # CI and laptops: the fallback is logged with its reason
        assert name == "libx264" and "falling back" in note and why in note
        with pytest.raises(ToolMissingError) as e:
            choose_encoder("h264_nvenc")
        assert e.value.field == "renderer.encoder"
    assert choose_encoder("libx264")[0] == "libx264"
    with pytest.raises(ConfigError):
        choose_encoder("x265")
    nv = video_codec_args("h264_nvenc", preset="veryfast", crf=20)
    assert nv[:2] == ["-c:v", "h264_nvenc"] and "-cq" in nv and ["-profile:v", "high"] == nv[nv.index("-profile:v"):][:2]
    x = video_codec_args("libx264", preset="veryfast", crf=20)
    assert x == ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-profile:v", "high"]


def _stream_md5(path: Path, stream: str) -> str:
    from shortsmith.ffmpeg import ffmpeg_path

    out = subprocess.run([ffmpeg_path(), "-v", "error", "-i", str(path), "-map", stream, "-c", "copy", "-f", "md5", "-"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return out.strip()


def test_an_encoder_overshoot_is_fixed_by_redoing_only_the_audio(small_render, tmp_path):
    """The AAC encoder can push the true peak past the ceiling the limited mix kept (seen: +1.7 dB
    on a Piper voice). The guard measures the encoded file and, only then, redoes the audio from
    its sources under a lower limiter ceiling; the video packets stay the same and the loudness
    target still holds."""
    from shortsmith.ffmpeg import ffmpeg_path
    from shortsmith.render import AudioPlan, guard_true_peak
    from shortsmith.validate import measure_loudness

    out, report, vo, settings, _ = small_render
    assert report["audio_corrections"] == []  # a normal render needs none
    # the same file with its audio peaking at +0.5 dBTP: what an overshooting encoder hands back
    _, peak0 = measure_loudness(out)
    video = tmp_path / "video.mp4"
    subprocess.run([ffmpeg_path(), "-v", "error", "-i", str(out), "-map", "0:v", "-map", "0:a", "-c:v", "copy",
                    "-af", f"volume={0.5 - peak0:.2f}dB", "-c:a", "aac", "-b:a", "160k", str(video)],
                   check=True, timeout=60)
    _, hot = measure_loudness(video)
    assert hot > settings.true_peak_db
    d = out.parent
    inputs = RenderInputs([], d / "voice.wav", vo, d / "music.wav", None)
    plan = AudioPlan(**report["audio_plan"])
    fixes = guard_true_peak(inputs, settings, video, plan, report["duration"])
    assert fixes and fixes[0]["true_peak_dbtp"] == hot and fixes[0]["limit_db"] < report["audio_plan"]["limit_db"]
    lufs, peak = measure_loudness(video)
    assert peak <= settings.true_peak_db and abs(lufs - settings.target_lufs) <= 1.0
    assert _stream_md5(video, "0:v") == _stream_md5(out, "0:v")  # the picture was not re-encoded
    assert guard_true_peak(inputs, settings, video, plan, report["duration"]) == []  # nothing left to fix


def test_a_peaky_voice_drives_the_limiter_so_the_loudness_target_is_still_met(tmp_path):
    """Speech with sharp peaks: a trim alone would stop at the true-peak ceiling short of -14 LUFS.
    The analysis drives the limiter harder until the target is reachable under the ceiling."""
    from shortsmith.render import analyse_audio

    rate, duration = 22050, 8.0
    spans = [(0.2, 3.8), (4.3, 7.8)]
    _synthetic_voice(tmp_path / "v.wav", spans, duration, rate)
    with wave.open(str(tmp_path / "v.wav")) as w:
        sig = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32767
    sig = sig * 0.35
    sig[::rate // 3] = 0.98  # a sharp click three times a second: peaks far above the speech
    with wave.open(str(tmp_path / "peaky.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((sig * 32767).astype("<i2").tobytes())
    vo = make_voiceover(spans, duration, str(tmp_path / "peaky.wav"))
    settings = RenderSettings(width=W, height=H)
    plan = analyse_audio(RenderInputs([], tmp_path / "peaky.wav", vo, None, None), settings, duration)
    assert plan.master_gain_db > 0  # the limiter was driven
    final = plan.measured["mix_lufs_before_trim"] + plan.trim_gain_db
    assert abs(final - settings.target_lufs) <= 0.5
    assert plan.measured["mix_true_peak_before_trim"] + plan.trim_gain_db <= settings.true_peak_db - 0.29
