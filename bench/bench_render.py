"""Render benchmark: the one-graph renderer vs the encode-only floor vs moviepy.

    .venv/bin/python bench/bench_render.py [--seconds 45] [--scenes 7] [--repeat 2]
                                           [--skip-moviepy] [--moviepy-seconds 8]

Builds a 45 s 1080x1920 30 fps Short from procedural inputs (7 scene images made with
numpy/Pillow, a voice-like synthetic track with pauses between beats, the synthesized
music bed, an ASS file with ~100 caption events and a watermark) and measures, in this
one invocation:

* ``render``: ``shortsmith.render.render_video`` (audio analysis + the single ffmpeg graph);
* ``encode_only``: the floor: the very frames the render produced, read back from a raw
  yuv420p file, encoded with the same x264/AAC settings and no filters;
* ``moviepy``: a moviepy 2.2.1 composition of the same scenes (zoom, crossfades, voice +
  music), on the first ``--moviepy-seconds`` seconds and scaled linearly to full length
  (moviepy runs at ~0.13x real time here; pass ``--moviepy-seconds 45`` for a full run).

Each phase runs in a fresh child process (fork) so its peak RSS (the process or its
ffmpeg children) is its own. Prints a table; writes bench/results/render-<time>.json.
Targets: render <= 1.3x encode-only; moviepy / render >= 10x.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shortsmith.ffmpeg import ffmpeg_path, ffmpeg_version, probe  # noqa: E402
from shortsmith.model import BeatAudio, Voiceover, WordTiming  # noqa: E402
from shortsmith.music import synthesize_bed  # noqa: E402
from shortsmith.render import RenderInputs, RenderSettings, render_video  # noqa: E402

W, H, FPS = 1080, 1920, 30


# ----------------------------------------------------------------------------- inputs


def make_scene(path: Path, index: int, width: int = W, height: int = H) -> Path:
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(index)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    c1, c2 = rng.integers(20, 235, 3), rng.integers(20, 235, 3)
    ang = rng.uniform(0, math.pi)
    g = ((x * math.cos(ang) + y * math.sin(ang)) / (width + height) + 0.5).clip(0, 1)[..., None]
    img = (c1 * (1 - g) + c2 * g).astype(np.uint8)
    im = Image.fromarray(img)
    d = ImageDraw.Draw(im, "RGBA")
    for _ in range(14):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(40, 320)
        col = tuple(int(v) for v in rng.integers(0, 255, 3)) + (int(rng.integers(60, 200)),)
        if rng.random() < 0.5:
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=col)
        else:
            d.rectangle([cx - r, cy - r * 0.6, cx + r, cy + r * 0.6], fill=col)
    for k in range(0, width, 90):  # fine detail that shows any resampling wobble
        d.line([(k, 0), (k + height * 0.3, height)], fill=(255, 255, 255, 40), width=2)
    im = im.filter(ImageFilter.GaussianBlur(0.6))
    im.save(path, compress_level=1)
    return path


def make_voice(path: Path, seconds: float, beats: int, sample_rate: int = 22050) -> Voiceover:
    """A voice-like signal: a gliding harmonic buzz shaped into ~3.3 syllables/s,
    with 0.45 s pauses between beats. Word timings are the syllable groups."""
    rng = np.random.default_rng(7)
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    sig = np.zeros(n)
    gap = 0.45
    per = (seconds - 0.6 - gap * (beats - 1)) / beats
    out_beats = []
    f0 = 110 + 25 * np.sin(2 * np.pi * 0.7 * t) + 10 * np.sin(2 * np.pi * 2.3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    buzz = sum(np.sin(k * phase) * (0.9 ** k) for k in range(1, 14))
    for b in range(beats):
        start = 0.1 + b * (per + gap)
        end = start + per
        words, tt = [], start
        while tt < end - 0.2:
            wl = rng.uniform(0.18, 0.45)
            we = min(end, tt + wl)
            m = (t >= tt) & (t < we)
            env = np.sin(np.pi * (t[m] - tt) / (we - tt)) ** 0.7
            sig[m] += buzz[m] * env * rng.uniform(0.5, 1.0)
            words.append(WordTiming(f"word{len(words)}", round(tt, 3), round(we, 3)))
            tt = we + rng.uniform(0.03, 0.12)
        out_beats.append(BeatAudio(b, round(start, 3), round(words[-1].end, 3), words))
    sig = sig / np.max(np.abs(sig)) * 0.6
    pcm = (sig * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return Voiceover(wav_path=str(path), sample_rate=sample_rate, duration=n / sample_rate,
                     beats=out_beats, engine="synthetic", timing_source="synthetic")


def _ass_time(s: float) -> str:
    cs = int(round(s * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def make_ass(path: Path, vo: Voiceover, target_events: int = 100) -> int:
    """Word-highlight captions in the style the pipeline uses (3-word groups, the spoken
    word in yellow and 112 % size)."""
    words = [w for b in vo.beats for w in b.words]
    step = max(1, len(words) // target_events)
    events = []
    for g in range(0, len(words), 3):
        group = words[g:g + 3]
        for k, w in enumerate(group):
            if (g + k) % step:
                continue
            parts = []
            for j, ww in enumerate(group):
                label = ww.word.upper()
                parts.append("{\\c&H15CCFA&\\fscx112\\fscy112}" + label + "{\\r}" if j == k else label)
            end = group[k + 1].start if k + 1 < len(group) else w.end
            events.append(f"Dialogue: 0,{_ass_time(w.start)},{_ass_time(end)},Cap,,0,0,0,,"
                          + " ".join(parts))
    path.write_text(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: 1080\nPlayResY: 1920\nWrapStyle: 0\n"
        "ScaledBorderAndShadow: yes\nYCbCr Matrix: TV.709\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        "Style: Cap,DejaVu Sans,100,&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,-1,0,0,0,100,100,"
        "0,0,1,8,3,5,86,172,0,1\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        + "\n".join(events) + "\n",
        encoding="utf-8",
    )
    return len(events)


# ----------------------------------------------------------------------------- phases


def _child(fn, args, queue):
    t0 = time.perf_counter()
    try:
        result = fn(*args)
        err = None
    except Exception as exc:
        result, err = None, f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - t0
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    queue.put({"wall_s": wall, "peak_rss_mb": round(max(rss_self, rss_children), 1),
               "result": result, "error": err})


def run_phase(fn, *args) -> dict:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(fn, args, q))
    p.start()
    out = q.get()
    p.join()
    return out


def phase_render(inputs: RenderInputs, out: Path) -> dict:
    report = render_video(inputs, RenderSettings(), out)
    return {"timings_s": report["timings_s"], "loudness": report.get("loudness"),
            "command_line": report["command_line"]}


def dump_raw(video: Path, raw: Path, wav: Path) -> None:
    ff = ffmpeg_path()
    subprocess.run([ff, "-v", "error", "-y", "-i", str(video), "-map", "0:v", "-f", "rawvideo",
                    "-pix_fmt", "yuv420p", str(raw), "-map", "0:a", "-c:a", "pcm_s16le", str(wav)],
                   check=True)


def phase_encode_only(raw: Path, wav: Path, out: Path) -> dict:
    s = RenderSettings()
    ff = ffmpeg_path()
    cmd = [ff, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{W}x{H}",
           "-framerate", str(FPS), "-i", str(raw), "-i", str(wav),
           "-c:v", "libx264", "-preset", s.preset, "-crf", str(s.crf), "-profile:v", "high",
           "-pix_fmt", "yuv420p", "-color_primaries", "bt709", "-color_trc", "bt709",
           "-colorspace", "bt709", "-color_range", "tv",
           "-c:a", "aac", "-b:a", s.audio_bitrate, "-ar", "48000", "-ac", "2",
           "-movflags", "+faststart", str(out)]
    subprocess.run(cmd, check=True)
    return {"command_line": " ".join(cmd)}


def phase_moviepy(images: list[Path], voice: Path, music: Path, scene_times: list[tuple[float, float]],
                  seconds: float, out: Path) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    from moviepy import AudioFileClip, CompositeAudioClip, CompositeVideoClip, ImageClip, vfx, afx

    xf = 0.5
    clips = []
    for img, (start, end) in zip(images, scene_times):
        if start >= seconds:
            break
        dur = min(end, seconds) - start
        clip = (ImageClip(str(img)).with_duration(dur)
                .with_effects([vfx.Resize(lambda t: 1 + 0.03 * t)])
                .with_position("center").with_start(start))
        if start > 0:
            clip = clip.with_effects([vfx.CrossFadeIn(xf)])
        clips.append(clip)
    video = CompositeVideoClip(clips, size=(W, H)).with_duration(seconds)
    voice_clip = AudioFileClip(str(voice)).subclipped(0, min(seconds, AudioFileClip(str(voice)).duration))
    music_clip = AudioFileClip(str(music)).subclipped(0, seconds).with_effects([afx.MultiplyVolume(0.15)])
    video = video.with_audio(CompositeAudioClip([voice_clip, music_clip]))
    video.write_videofile(str(out), fps=FPS, codec="libx264", preset="veryfast",
                          ffmpeg_params=["-crf", "20", "-pix_fmt", "yuv420p"], audio_codec="aac",
                          audio_bitrate="160k", threads=os.cpu_count(), logger=None)
    return {"seconds": seconds}


# ----------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=45.0)
    ap.add_argument("--scenes", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=2, help="runs of render and encode-only (best kept)")
    ap.add_argument("--skip-moviepy", action="store_true")
    ap.add_argument("--moviepy-seconds", type=float, default=8.0,
                    help="moviepy renders this many seconds; its time is scaled to --seconds")
    ap.add_argument("--keep", type=Path, default=None, help="copy the rendered Short here")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "ffmpeg": ".".join(map(str, ffmpeg_version() or ())) or ffmpeg_path()},
        "config": vars(args) | {"keep": str(args.keep) if args.keep else None},
    }
    try:
        t0 = time.perf_counter()
        images = [make_scene(work / f"scene_{i:02d}.png", i) for i in range(args.scenes)]
        vo = make_voice(work / "voice.wav", args.seconds - 0.8, args.scenes)
        settings = RenderSettings()
        from shortsmith.render import scene_timeline, video_duration

        duration = video_duration(vo, settings)
        music = synthesize_bed(work / "music.wav", duration, seed="bench", mood="calm")
        n_events = make_ass(work / "captions.ass", vo)
        inputs = RenderInputs(images, work / "voice.wav", vo, music, work / "captions.ass",
                              "@shortsmith")
        results["inputs"] = {"duration_s": duration, "scenes": args.scenes, "caption_events": n_events,
                             "prepare_s": round(time.perf_counter() - t0, 2)}
        print(f"inputs ready in {time.perf_counter() - t0:.1f} s: {duration:.2f} s, "
              f"{args.scenes} scenes, {n_events} caption events", flush=True)

        runs: dict[str, list[dict]] = {"render": [], "encode_only": []}
        out = work / "render.mp4"
        raw, wav = work / "frames.yuv", work / "audio.wav"
        for r in range(args.repeat):
            res = run_phase(phase_render, inputs, out)
            if res["error"]:
                raise SystemExit(f"render failed: {res['error']}")
            runs["render"].append(res)
            print(f"render #{r + 1}: {res['wall_s']:.1f} s, peak RSS {res['peak_rss_mb']:.0f} MB "
                  f"({res['result']['timings_s']})", flush=True)
            if r == 0:
                dump_raw(out, raw, wav)
                info = probe(out)
                results["output"] = {
                    "streams": [{k: s.get(k) for k in ("codec_name", "profile", "pix_fmt", "width",
                                                       "height", "avg_frame_rate", "color_primaries",
                                                       "color_transfer", "color_space", "sample_rate",
                                                       "channels", "duration")}
                                for s in info["streams"]],
                    "loudness": res["result"]["loudness"],
                    "size_mb": round(out.stat().st_size / 1e6, 2),
                }
                if args.keep:
                    shutil.copy(out, args.keep)
            res = run_phase(phase_encode_only, raw, wav, work / "encode_only.mp4")
            if res["error"]:
                raise SystemExit(f"encode-only failed: {res['error']}")
            runs["encode_only"].append(res)
            print(f"encode-only #{r + 1}: {res['wall_s']:.1f} s, peak RSS {res['peak_rss_mb']:.0f} MB",
                  flush=True)
        raw.unlink(missing_ok=True)

        if not args.skip_moviepy:
            secs = min(args.moviepy_seconds, duration)
            scenes = scene_timeline(vo, duration, settings.crossfade_s, fps=FPS)
            res = run_phase(phase_moviepy, images, work / "voice.wav", music,
                            [(s.start, s.end) for s in scenes], secs, work / "moviepy.mp4")
            if res["error"]:
                print(f"moviepy failed: {res['error']}", flush=True)
            res["scaled_wall_s"] = res["wall_s"] * duration / secs
            runs["moviepy"] = [res]
            print(f"moviepy ({secs:g} s clip): {res['wall_s']:.1f} s -> {res['scaled_wall_s']:.1f} s "
                  f"for {duration:.1f} s, peak RSS {res['peak_rss_mb']:.0f} MB", flush=True)

        best = {k: min(v, key=lambda r: r["wall_s"]) for k, v in runs.items() if k != "moviepy"}
        summary = {
            "render_s": round(best["render"]["wall_s"], 2),
            "encode_only_s": round(best["encode_only"]["wall_s"], 2),
            "render_over_encode_only": round(best["render"]["wall_s"] / best["encode_only"]["wall_s"], 3),
            "render_x_realtime": round(duration / best["render"]["wall_s"], 2),
            "render_peak_rss_mb": best["render"]["peak_rss_mb"],
            "encode_only_peak_rss_mb": best["encode_only"]["peak_rss_mb"],
            "all_render_s": [round(r["wall_s"], 2) for r in runs["render"]],
            "all_encode_only_s": [round(r["wall_s"], 2) for r in runs["encode_only"]],
        }
        if "moviepy" in runs:
            m = runs["moviepy"][0]
            summary.update({
                "moviepy_s_scaled": round(m["scaled_wall_s"], 1),
                "moviepy_measured_s": round(m["wall_s"], 2),
                "moviepy_clip_s": min(args.moviepy_seconds, duration),
                "moviepy_over_render": round(m["scaled_wall_s"] / best["render"]["wall_s"], 2),
                "moviepy_peak_rss_mb": m["peak_rss_mb"],
            })
        results["summary"] = summary
        results["runs"] = {k: [{kk: vv for kk, vv in r.items() if kk != "result"} | (
            {"detail": {kk: vv for kk, vv in (r.get("result") or {}).items() if kk != "command_line"}})
            for r in v] for k, v in runs.items()}
        results["render_command"] = best["render"]["result"]["command_line"]

        rows = [("pipeline", "wall s", "x real time", "peak RSS MB")]
        rows.append(("render (one graph, incl. audio analysis)", f"{summary['render_s']:.1f}",
                     f"{summary['render_x_realtime']:.2f}", f"{summary['render_peak_rss_mb']:.0f}"))
        rows.append(("encode only (same frames from raw)", f"{summary['encode_only_s']:.1f}",
                     f"{duration / summary['encode_only_s']:.2f}",
                     f"{summary['encode_only_peak_rss_mb']:.0f}"))
        if "moviepy" in runs:
            rows.append((f"moviepy 2.2.1 (scaled from {summary['moviepy_clip_s']:g} s)",
                         f"{summary['moviepy_s_scaled']:.1f}",
                         f"{duration / summary['moviepy_s_scaled']:.2f}",
                         f"{summary['moviepy_peak_rss_mb']:.0f}"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        print()
        for r in rows:
            print("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)))
        print()
        ok1 = summary["render_over_encode_only"] <= 1.3
        print(f"render / encode-only = {summary['render_over_encode_only']:.2f} "
              f"(target <= 1.30: {'met' if ok1 else 'NOT met'})")
        if "moviepy" in runs:
            ok2 = summary["moviepy_over_render"] >= 10
            print(f"moviepy / render     = {summary['moviepy_over_render']:.1f} "
                  f"(target >= 10: {'met' if ok2 else 'NOT met'})")
        print(f"output loudness: {results['output']['loudness']}")
        res_dir = ROOT / "bench" / "results"
        res_dir.mkdir(parents=True, exist_ok=True)
        path = res_dir / f"render-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(results, indent=2, default=str))
        print(f"results: {path}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
