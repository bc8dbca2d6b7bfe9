"""Depth benchmark: what parallax costs the render, against the flat path and the encode-only floor.

    PYTHONPATH=. python bench/bench_depth.py [--topic "Why cats purr"] [--seconds 30] [--repeat 2]

Draws the topic's offline scenes at 1080x1920 with their depth layers (``render_layered``), builds
a voice-like track with one beat per scene, the music bed and captions (as bench_render.py does),
and renders the same Short twice per round in this one process, alternating: ``flat`` (each
scene's flat still, as before depth) and ``depth`` (background + subject + foreground layers in
parallax); then ``encode_only``: the depth render's own frames read back raw and encoded with the
same settings, no filters (the floor). Best of ``--repeat`` rounds each. Prints the ratios
depth/flat and depth/floor and writes bench/results/depth-<time>.json. Compare ratios, not
seconds: on a shared machine every phase is slowed alike; the CPU seconds of each phase's ffmpeg
(user + system) are steadier than wall time there.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_render import dump_raw, make_ass, make_voice, phase_encode_only, run_phase  # noqa: E402

from shortsmith.art import VisualStyle  # noqa: E402
from shortsmith.art.compose import render_layered  # noqa: E402
from shortsmith.art.layouts import plan_scene  # noqa: E402
from shortsmith.config import load_channels  # noqa: E402
from shortsmith.music import synthesize_bed  # noqa: E402
from shortsmith.render import RenderInputs, RenderSettings, render_video  # noqa: E402
from shortsmith.render.depth import SceneLayers  # noqa: E402
from shortsmith.script import write_offline_script  # noqa: E402


def scenes(topic: str, work: Path) -> tuple[list[Path], list[SceneLayers], list[str]]:
    config = load_channels(ROOT / "channels.yaml")
    for ch in config.channels:
        for seed in ch.topics:
            if seed.topic.lower() == topic.lower():
                style = VisualStyle.from_dict({"name": ch.style.name, "palette": list(ch.style.palette)})
                script = write_offline_script(ch, seed.topic, seed)
                plans, flats, layers = [], [], []
                for i, beat in enumerate(script.beats):
                    plan = plan_scene(beat, [p.to_dict() for p in plans])
                    plans.append(plan)
                    scene = render_layered(beat, plan, style=style, seed=seed.topic, index=i,
                                           total=len(script.beats))
                    stem = f"scene_{i:02d}"
                    flat = work / f"{stem}.png"
                    scene.flat.save(flat, compress_level=1)
                    names = scene.save(work, stem)
                    flats.append(flat)
                    layers.append(SceneLayers(work / names["background"], work / names["subject"],
                                              work / names["foreground"]))
                return flats, layers, [p.layout for p in plans]
    raise SystemExit(f"no sample topic {topic!r} in channels.yaml")


def _cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def phase(inputs: RenderInputs, out: Path) -> dict:
    """One render; its ffmpeg's CPU seconds too (steadier than wall time on a shared machine)."""
    report = render_video(inputs, RenderSettings(), out, measure_output=False)
    return {"timings_s": report["timings_s"], "motions": report["motions"], "cpu_s": _cpu()}


def phase_floor(raw: Path, wav: Path, out: Path) -> dict:
    phase_encode_only(raw, wav, out)
    return {"cpu_s": _cpu()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--topic", default="Why cats purr")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-depth-"))
    t0 = time.perf_counter()
    flats, layers, layouts = scenes(args.topic, work)
    scene_s = time.perf_counter() - t0
    vo = make_voice(work / "voice.wav", args.seconds - 0.8, len(flats))
    from shortsmith.render import video_duration

    duration = video_duration(vo, RenderSettings())
    music = synthesize_bed(work / "music.wav", duration, seed="bench", mood="calm")
    make_ass(work / "captions.ass", vo)
    base = dict(voice_wav=work / "voice.wav", voiceover=vo, music_wav=music, ass_path=work / "captions.ass",
                watermark="@shortsmith")
    flat_in = RenderInputs(flats, **base)
    depth_in = RenderInputs(flats, scene_layers=layers, **base)
    print(f"{len(flats)} layered scenes ({', '.join(layouts)}) in {scene_s:.1f} s; {duration:.1f} s video",
          flush=True)
    runs: dict[str, list[float]] = {"flat": [], "depth": [], "encode_only": []}
    cpu: dict[str, list[float]] = {"flat": [], "depth": [], "encode_only": []}
    raw, wav = work / "frames.yuv", work / "audio.wav"
    for r in range(args.repeat):
        for name, inputs in (("flat", flat_in), ("depth", depth_in)):
            res = run_phase(phase, inputs, work / f"{name}.mp4")
            if res["error"]:
                raise SystemExit(f"{name} failed: {res['error']}")
            runs[name].append(res["wall_s"])
            cpu[name].append(res["result"]["cpu_s"])
            print(f"{name} #{r + 1}: {res['wall_s']:.1f} s wall, {res['result']['cpu_s']:.1f} s CPU", flush=True)
        if r == 0:
            dump_raw(work / "depth.mp4", raw, wav)
        res = run_phase(phase_floor, raw, wav, work / "encode_only.mp4")
        runs["encode_only"].append(res["wall_s"])
        cpu["encode_only"].append(res["result"]["cpu_s"])
        print(f"encode-only #{r + 1}: {res['wall_s']:.1f} s wall, {res['result']['cpu_s']:.1f} s CPU", flush=True)
    raw.unlink(missing_ok=True)
    best = {k: min(v) for k, v in runs.items()}
    best_cpu = {k: min(v) for k, v in cpu.items()}
    summary = {"duration_s": duration, "scenes": len(flats), "layouts": layouts,
               "scene_art_s_per_scene": round(scene_s / len(flats), 3), "runs_s": runs,
               "depth_over_flat": round(best["depth"] / best["flat"], 3),
               "depth_over_encode_only": round(best["depth"] / best["encode_only"], 3),
               "flat_over_encode_only": round(best["flat"] / best["encode_only"], 3),
               "cpu_s": cpu, "cpu_depth_over_flat": round(best_cpu["depth"] / best_cpu["flat"], 3),
               "cpu_depth_over_encode_only": round(best_cpu["depth"] / best_cpu["encode_only"], 3),
               "cpu_flat_over_encode_only": round(best_cpu["flat"] / best_cpu["encode_only"], 3)}
    print(json.dumps({k: v for k, v in summary.items() if "over" in k}))
    out = ROOT / "bench" / "results" / f"depth-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
