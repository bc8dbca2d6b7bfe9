"""Narrative render benchmark: transitions per cut + terminal overlays vs the encode-only floor.

    .venv/bin/python bench/bench_narrative.py [--seconds 45] [--scenes 7] [--format 9:16]
                                              [--repeat 1] [--skip-overlay-compare]

Builds a narrative of ``--scenes`` beats (procedural scenes, a voice-like track with word
timings, music, captions, watermark as in bench_render.py), with the transitions cycling
glitch, slide, cut, crossfade and a terminal overlay typed over every other beat, and
measures in this one invocation:

* ``render``: ``shortsmith.render.render_video`` (audio analysis + the single ffmpeg graph,
  including drawing the overlay states);
* ``encode_only``: the floor: the very frames the render produced, read back from a raw
  yuv420p file, encoded with the same x264/AAC settings and no filters.

Target: render <= 1.3x encode-only (as for Shorts). ``--skip-overlay-compare`` skips the
side measurement of the two ways to draw a typed overlay (RLE TGA states through one
``overlay`` vs one ``drawtext`` per typed state with ``enable``), each over the same
background with no encode (``-f null``). Writes bench/results/narrative-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_render import make_ass, make_scene, make_voice, run_phase  # noqa: E402

from shortsmith.ffmpeg import ffmpeg_path, ffmpeg_version  # noqa: E402
from shortsmith.music import synthesize_bed  # noqa: E402
from shortsmith.render import RenderInputs, RenderSettings, render_video, video_duration  # noqa: E402
from shortsmith.render.graph import filter_value  # noqa: E402
from shortsmith.render.terminal import MONO_FONT, TerminalOverlay, panel_layout, terminal_track, wrap  # noqa: E402
from shortsmith.formats import settings_for_format  # noqa: E402

CYCLE = ["glitch", "slide", "cut", "crossfade"]
TEXTS = ["INCOMING TRANSMISSION ... DECODING", "SIGNAL LOCK 99.7% > SOURCE UNKNOWN",
         "> TRACE ROUTE: 14 HOPS, LAST HOP DARK", "CARRIER LOST ... RETRYING"]


def phase_render(inputs: RenderInputs, settings: RenderSettings, out: Path) -> dict:
    report = render_video(inputs, settings, out)
    return {"timings_s": report["timings_s"], "terminal": report.get("terminal"),
            "loudness": report.get("loudness"), "command_line": report["command_line"]}


def dump_raw(video: Path, raw: Path, wav: Path) -> None:
    subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-i", str(video), "-map", "0:v", "-f", "rawvideo",
                    "-pix_fmt", "yuv420p", str(raw), "-map", "0:a", "-c:a", "pcm_s16le", str(wav)], check=True)


def phase_encode_only(raw: Path, wav: Path, settings: RenderSettings, out: Path) -> dict:
    s = settings
    cmd = [ffmpeg_path(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{s.width}x{s.height}",
           "-framerate", str(s.fps), "-i", str(raw), "-i", str(wav),
           "-c:v", "libx264", "-preset", s.preset, "-crf", str(s.crf), "-profile:v", "high",
           "-pix_fmt", "yuv420p", "-color_primaries", "bt709", "-color_trc", "bt709",
           "-colorspace", "bt709", "-color_range", "tv",
           "-c:a", "aac", "-b:a", s.audio_bitrate, "-ar", "48000", "-ac", "2",
           "-movflags", "+faststart", str(out)]
    subprocess.run(cmd, check=True)
    return {"command_line": " ".join(cmd)}


def phase_overlay_images(overlays: list[TerminalOverlay], settings: RenderSettings, seconds: float, work: Path) -> dict:
    s = settings
    args, chains, last, stats = terminal_track(overlays, s.width, s.height, s.fps, 1, work / "ov", "[0:v]")
    cmd = [ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", background(s, seconds),
           *args, "-filter_complex", ";".join(chains) + f";{last}null[v]", "-map", "[v]", "-f", "null", "-"]
    subprocess.run(cmd, check=True)
    return stats


def background(s: RenderSettings, seconds: float) -> str:
    """A lavfi source that makes a fresh frame every time (a constant colour would hand out one
    shared frame, and every overlay would pay for copying it)."""
    return f"testsrc2=s={s.width}x{s.height}:r={s.fps}:d={seconds}"


def phase_overlay_none(settings: RenderSettings, seconds: float) -> dict:
    """The baseline of the overlay comparison: the same background, no overlay."""
    s = settings
    cmd = [ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", background(s, seconds),
           "-vf", "null", "-f", "null", "-"]
    subprocess.run(cmd, check=True)
    return {}


def phase_overlay_drawtext(overlays: list[TerminalOverlay], settings: RenderSettings, seconds: float,
                           work: Path) -> dict:
    """The alternative: one drawtext per typed state (enable on its frames), a cursor box, noise."""
    s = settings
    layout = panel_layout(s.width, s.height)
    pad = round(layout.font_px * 0.8)
    filters = []
    n = 0
    for ov in overlays:
        lines = wrap(ov.text, layout.columns, layout.rows)
        first, last = round(ov.start * s.fps), round(ov.end * s.fps)
        filters.append(f"drawbox=x={layout.x}:y={layout.y}:w={layout.width}:h={layout.height}:color=0x041008@0.75:t=fill"
                       f":enable='between(n,{first},{last - 1})'")
        runs: list[tuple[int, int, int]] = []  # (chars, first frame, last frame)
        for f in range(first, last):
            c = ov.chars_at(f / s.fps)
            if runs and runs[-1][0] == c:
                runs[-1] = (c, runs[-1][1], f)
            else:
                runs.append((c, f, f))
        for c, a, b in runs:
            left, shown = c, []
            for line in lines:
                shown.append(line[:max(0, left)])
                left -= len(line)
            path = work / f"state{n}.txt"
            path.write_text("\n".join(shown).rstrip() or " ", encoding="utf-8")
            n += 1
            filters.append(f"drawtext=fontfile={filter_value(MONO_FONT)}:textfile={filter_value(path)}:expansion=none"
                           f":fontsize={layout.font_px}:fontcolor=0x40FF78:line_spacing={round(layout.font_px * 0.3)}"
                           f":x={layout.x + pad}:y={layout.y + pad}:enable='between(n,{a},{b})'")
    filters.append("noise=c0s=18:c0f=t+u")
    cmd = [ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", background(s, seconds),
           "-vf", ",".join(filters), "-f", "null", "-"]
    subprocess.run(cmd, check=True)
    return {"drawtext_filters": n}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=45.0)
    ap.add_argument("--scenes", type=int, default=7)
    ap.add_argument("--format", default="9:16")
    ap.add_argument("--repeat", type=int, default=1, help="runs of render and encode-only (best kept)")
    ap.add_argument("--skip-overlay-compare", action="store_true")
    ap.add_argument("--keep", type=Path, default=None, help="copy the rendered video here")
    ap.add_argument("--overlay-only", action="store_true", help="only the overlay comparison (no render)")
    args = ap.parse_args()

    settings = settings_for_format(RenderSettings(), args.format)
    work = Path(tempfile.mkdtemp(prefix="bench-narrative-"))
    results: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                 "ffmpeg": ".".join(map(str, ffmpeg_version() or ())) or ffmpeg_path(),
                                 "loadavg": os.getloadavg()},
                     "config": vars(args) | {"keep": str(args.keep) if args.keep else None}}
    try:
        t0 = time.perf_counter()
        images = [make_scene(work / f"scene_{i:02d}.png", i, settings.width, settings.height) for i in range(args.scenes)]
        vo = make_voice(work / "voice.wav", args.seconds - 0.8, args.scenes)
        duration = video_duration(vo, settings)
        music = synthesize_bed(work / "music.wav", duration, seed="bench", mood="calm")
        make_ass(work / "captions.ass", vo)
        transitions = [""] + [CYCLE[i % len(CYCLE)] for i in range(args.scenes - 1)]
        terminals = [TEXTS[(i // 2) % len(TEXTS)] if i % 2 else "" for i in range(args.scenes)]
        inputs = RenderInputs(images, work / "voice.wav", vo, music, work / "captions.ass", "@shortsmith",
                              transitions=transitions, terminals=terminals)
        results["inputs"] = {"duration_s": duration, "size": f"{settings.width}x{settings.height}",
                             "transitions": transitions, "terminals": terminals}
        print(f"inputs ready in {time.perf_counter() - t0:.1f} s: {duration:.2f} s at "
              f"{settings.width}x{settings.height}, transitions {transitions[1:]}", flush=True)

        runs: dict[str, list[dict]] = {"render": [], "encode_only": []}
        out, raw, wav = work / "render.mp4", work / "frames.yuv", work / "audio.wav"
        for r in range(0 if args.overlay_only else args.repeat):
            res = run_phase(phase_render, inputs, settings, out)
            if res["error"]:
                raise SystemExit(f"render failed: {res['error']}")
            runs["render"].append(res)
            print(f"render #{r + 1}: {res['wall_s']:.1f} s ({res['result']['timings_s']}, "
                  f"{res['result']['terminal']})", flush=True)
            if r == 0:
                dump_raw(out, raw, wav)
                if args.keep:
                    shutil.copy(out, args.keep)
            res = run_phase(phase_encode_only, raw, wav, settings, work / "encode_only.mp4")
            if res["error"]:
                raise SystemExit(f"encode-only failed: {res['error']}")
            runs["encode_only"].append(res)
            print(f"encode-only #{r + 1}: {res['wall_s']:.1f} s", flush=True)
        raw.unlink(missing_ok=True)
        summary: dict = {}
        ratio = 0.0
        if not args.overlay_only:
            best = {k: min(v, key=lambda x: x["wall_s"]) for k, v in runs.items()}
            ratio = best["render"]["wall_s"] / best["encode_only"]["wall_s"]
            summary = {"render_s": round(best["render"]["wall_s"], 2),
                       "encode_only_s": round(best["encode_only"]["wall_s"], 2),
                       "render_over_encode_only": round(ratio, 3),
                       "all_render_s": [round(x["wall_s"], 2) for x in runs["render"]],
                       "all_encode_only_s": [round(x["wall_s"], 2) for x in runs["encode_only"]],
                       "loudness": best["render"]["result"]["loudness"]}
            results["render_command"] = best["render"]["result"]["command_line"]
        if not args.skip_overlay_compare:
            from shortsmith.render.tracks import plan_overlays
            from shortsmith.render.timeline import scene_timeline

            scenes = scene_timeline(vo, duration, settings.crossfade_s, fps=settings.fps)
            overlays = plan_overlays(terminals, scenes, vo, settings.crossfade_s)
            times: dict[str, list[float]] = {"none": [], "images": [], "drawtext": []}
            detail: dict = {}
            for _ in range(max(1, args.repeat)):  # interleaved, best of each kept
                for name, fn, extra in (("none", phase_overlay_none, ()),
                                        ("images", phase_overlay_images, (overlays,)),
                                        ("drawtext", phase_overlay_drawtext, (overlays,))):
                    res = run_phase(fn, *extra, settings, duration, *((work,) if extra else ()))
                    if res["error"]:
                        raise SystemExit(f"overlay {name} failed: {res['error'][:300]}")
                    times[name].append(round(res["wall_s"], 2))
                    detail[name] = res["result"]
            base = min(times["none"])
            summary["overlay_compare_s"] = times
            summary["overlay_image_states_over_background_s"] = round(min(times["images"]) - base, 2)
            summary["overlay_drawtext_per_state_over_background_s"] = round(min(times["drawtext"]) - base, 2)
            summary["overlay_detail"] = detail
            print(f"overlays over {duration:.1f} s of background (no encode; background alone {base:.1f} s): "
                  f"image states +{min(times['images']) - base:.1f} s, drawtext per state "
                  f"+{min(times['drawtext']) - base:.1f} s ({detail['drawtext']['drawtext_filters']} filters; "
                  "its static covers the whole frame, it has no scanlines or cursor)", flush=True)
        results["summary"] = summary
        if not args.overlay_only:
            print(f"\nrender {summary['render_s']:.1f} s, encode-only floor {summary['encode_only_s']:.1f} s: "
                  f"{ratio:.2f}x (target <= 1.30: {'met' if ratio <= 1.3 else 'NOT met'}); "
                  f"load average at start {results['machine']['loadavg'][0]:.1f}")
        res_dir = ROOT / "bench" / "results"
        res_dir.mkdir(parents=True, exist_ok=True)
        path = res_dir / f"narrative-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(results, indent=2, default=str))
        print(f"results: {path}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
