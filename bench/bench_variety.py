"""Variety across a channel: near-duplicate scenes inside each video and between a channel's videos.

    PYTHONPATH=. python bench/bench_variety.py [--size 180x320]

Draws every sample topic's offline scenes (channels.yaml, each channel's topics in order, as its
"last videos") and compares every pair of scenes with a 256-bit difference hash (16x16 gradients
of the grey image; the test suite's measure) and SSIM on 90x160 grey thumbnails. A pair is a
near-duplicate when fewer than 15 % of the hash bits differ (the usual 10-of-64 criterion) or
SSIM > 0.8. Prints, per channel, the closest pair inside a video and between two videos, how many
pairs are near-duplicates, and how many layouts each video uses.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shortsmith.art import VisualStyle  # noqa: E402
from shortsmith.art.compose import render_planned  # noqa: E402
from shortsmith.art.layouts import plan_scene  # noqa: E402
from shortsmith.config import load_channels  # noqa: E402
from shortsmith.script import write_offline_script  # noqa: E402


def dhash(img: Image.Image, n: int = 16) -> np.ndarray:
    g = np.asarray(img.convert("L").resize((n + 1, n), Image.BILINEAR), np.int16)
    return (g[:, 1:] > g[:, :-1]).ravel()


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM over 8x8 windows (no weighting), grey 0..255."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    h, w = a.shape[0] // 8 * 8, a.shape[1] // 8 * 8

    def blocks(x):
        return x[:h, :w].reshape(h // 8, 8, w // 8, 8).swapaxes(1, 2).reshape(-1, 64)

    xa, xb = blocks(a), blocks(b)
    ma, mb = xa.mean(1), xb.mean(1)
    va, vb = xa.var(1), xb.var(1)
    cov = ((xa - ma[:, None]) * (xb - mb[:, None])).mean(1)
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2))
    return float(s.mean())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="180x320")
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    config = load_channels(ROOT / "channels.yaml")
    for ch in config.channels:
        style = VisualStyle.from_dict({"name": ch.style.name, "palette": list(ch.style.palette)})
        videos = []
        for seed in ch.topics:
            script = write_offline_script(ch, seed.topic, seed)
            plans, scenes = [], []
            for i, beat in enumerate(script.beats):
                plan = plan_scene(beat, [p.to_dict() for p in plans])
                plans.append(plan)
                im = render_planned(beat, plan, style=style, seed=seed.topic, index=i, total=len(script.beats),
                                    size=size)
                grey = np.asarray(im.convert("L").resize((90, 160), Image.BILINEAR), np.float64)
                scenes.append((dhash(im), grey, plan.layout, f"{beat.kind}:{plan.layout}"))
            videos.append((seed.topic, scenes))
        inside, across = [], []
        for _, scenes in videos:
            for a, b in itertools.combinations(scenes, 2):
                inside.append((int((a[0] != b[0]).sum()), ssim(a[1], b[1])))
        kinds: dict[str, int] = {}
        for (_, sa), (_, sb) in itertools.combinations(videos, 2):
            for a in sa:
                for b in sb:
                    bits, s = int((a[0] != b[0]).sum()), ssim(a[1], b[1])
                    across.append((bits, s))
                    if bits < 0.15 * 256 or s > 0.8:
                        key = " / ".join(sorted((a[3], b[3])))
                        kinds[key] = kinds.get(key, 0) + 1

        def near(pairs):
            return sum(1 for bits, s in pairs if bits < 0.15 * 256 or s > 0.8)

        print(f"{ch.name} ({ch.style.name}, {len(videos)} videos, {sum(len(s) for _, s in videos)} scenes)")
        print(f"  layouts per video: {[len({x[2] for x in s}) for _, s in videos]}")
        print(f"  inside a video: {len(inside)} pairs, closest {min(b for b, _ in inside)}/256 bits, "
              f"highest SSIM {max(s for _, s in inside):.2f}, near-duplicates {near(inside)}")
        if across:
            print(f"  between videos: {len(across)} pairs, closest {min(b for b, _ in across)}/256 bits, "
                  f"highest SSIM {max(s for _, s in across):.2f}, near-duplicates {near(across)}"
                  + (f" ({', '.join(f'{k}: {n}' for k, n in sorted(kinds.items(), key=lambda t: -t[1]))})"
                     if kinds else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
