"""Time per scene: planned scenes (subjects + layouts) vs the procedural-motif baseline, same process.

    PYTHONPATH=. python bench/bench_scenes.py [--size 1080x1920] [--topics 2] [--workers 2]

Prints seconds per scene for each and the ratio planned / motif (compare ratios across machines,
not seconds), the one-time costs (model load, library vectors from cache), the matching time
per beat, and the wall time per scene when a video's planned scenes are drawn by ``--workers``
threads (plans are made in order first: each depends on the one before).
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shortsmith import embed
from shortsmith.art import VisualStyle, render_scene
from shortsmith.art import subjects as lib
from shortsmith.art.compose import render_planned
from shortsmith.art.layouts import plan_scene
from shortsmith.config import load_channels
from shortsmith.script import write_offline_script

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1080x1920")
    ap.add_argument("--topics", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    t = time.perf_counter()
    embed.require_encoder()
    load = time.perf_counter() - t
    t = time.perf_counter()
    lib.library_vectors()
    vectors = time.perf_counter() - t
    config = load_channels(ROOT / "channels.yaml")
    videos = []
    for channel in config.channels:
        for seed in channel.topics[: args.topics]:
            style = VisualStyle.from_dict({"name": channel.style.name, "palette": list(channel.style.palette)})
            videos.append((seed, style, write_offline_script(channel, seed.topic, seed)))
    n = sum(len(s.beats) for _, _, s in videos)
    t = time.perf_counter()
    for seed, style, script in videos:
        for i, beat in enumerate(script.beats):
            render_scene(beat, style=style, seed=seed.topic, index=i, total=len(script.beats), size=size)
    motif = (time.perf_counter() - t) / n
    plan_t = render_t = 0.0
    for seed, style, script in videos:
        plans = []
        for i, beat in enumerate(script.beats):
            t = time.perf_counter()
            plan = plan_scene(beat, [p.to_dict() for p in plans])
            plan_t += time.perf_counter() - t
            plans.append(plan)
            t = time.perf_counter()
            render_planned(beat, plan, style=style, seed=seed.topic, index=i, total=len(script.beats), size=size)
            render_t += time.perf_counter() - t
    planned = (plan_t + render_t) / n
    t = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        for seed, style, script in videos:
            plans = []
            for beat in script.beats:
                plans.append(plan_scene(beat, [p.to_dict() for p in plans]))
            list(pool.map(lambda a: render_planned(a[1], a[2], style=style, seed=seed.topic, index=a[0],
                                                   total=len(script.beats), size=size),
                          [(i, b, p) for i, (b, p) in enumerate(zip(script.beats, plans))]))
    parallel = (time.perf_counter() - t) / n
    print(f"{n} scenes at {size[0]}x{size[1]} from {len(videos)} videos")
    print(f"one-time: model load {load:.2f} s, library vectors {vectors:.2f} s (cached after the first run)")
    print(f"motif baseline   {motif:.3f} s/scene")
    print(f"planned scenes   {planned:.3f} s/scene (matching {plan_t / n:.3f} + drawing {render_t / n:.3f})")
    print(f"ratio planned/motif {planned / motif:.2f}")
    print(f"planned, {args.workers} threads {parallel:.3f} s/scene wall ({planned / parallel:.2f}x)")


if __name__ == "__main__":
    main()
