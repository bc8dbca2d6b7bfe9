"""Encoder settings on the project's own frames: speed, size and quality (VMAF, SSIM) per setting.

    .venv/bin/python bench/bench_gop.py [VIDEO.mp4] [--vmaf-every 5]

VIDEO is a finished Short (default: the `make demo` video under .shortsmith/). Its frames are
decoded once to raw YUV (the source every setting encodes), then each setting encodes them video
only, one after another in this process, and is scored against that source with ffmpeg's libvmaf
(model vmaf_v0.6.1, every Nth frame) and ssim filters. The render's setting (x264 `veryfast`,
CRF 20, x264's default 250-frame open GOP) is the baseline: every figure is also printed as a ratio
to it, from this one run (the machine's speed varies between runs).

YouTube's upload recommendations ask for a closed GOP of half the frame rate; the `closed GOP 15`
rows measure what that costs here. Writes bench/results/gop.json.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shortsmith.ffmpeg import ffmpeg_path, probe  # noqa: E402
from shortsmith.render.settings import RenderSettings  # noqa: E402

DEMO = ROOT / ".shortsmith" / "media" / "curious-minds" / "curious-minds--why-cats-purr" / "video" / "video.mp4"


def settings_to_try(base: RenderSettings, fps: int) -> dict[str, list[str]]:
    x264 = ["-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p"]
    half = str(max(1, fps // 2))
    closed = ["-g", half, "-keyint_min", half, "-flags", "+cgop"]
    return {
        "render default (veryfast, CRF 20, GOP 250)": x264 + ["-preset", base.preset, "-crf", str(base.crf)],
        "closed GOP 15, CRF 20": x264 + ["-preset", base.preset, "-crf", str(base.crf)] + closed,
        "closed GOP 15, CRF 18": x264 + ["-preset", base.preset, "-crf", str(base.crf - 2)] + closed,
        "closed GOP 60, CRF 20": x264 + ["-preset", base.preset, "-crf", str(base.crf),
                                         "-g", str(2 * fps), "-keyint_min", str(fps), "-flags", "+cgop"],
        "faster preset, CRF 20": x264 + ["-preset", "faster", "-crf", str(base.crf)],
        "ultrafast preset, CRF 20": x264 + ["-preset", "ultrafast", "-crf", str(base.crf)],
    }


def score(ff: str, encoded: Path, raw: Path, size: str, fps: int, every: int) -> dict:
    """VMAF (every ``every``-th frame) and SSIM of ``encoded`` against the raw source."""
    graph = (f"[0:v]setpts=PTS-STARTPTS[d];[1:v]setpts=PTS-STARTPTS[r];[d]split[d1][d2];[r]split[r1][r2];"
             f"[d1][r1]libvmaf=model=version=vmaf_v0.6.1:n_subsample={every}:n_threads=2;[d2][r2]ssim")
    proc = subprocess.run([ff, "-hide_banner", "-nostats", "-i", str(encoded),
                           "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", size, "-framerate", str(fps), "-i", str(raw),
                           "-filter_complex", graph, "-f", "null", "-"], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-1500:])
    vmaf = re.search(r"VMAF score: ([\d.]+)", proc.stderr)
    ssim = re.search(r"SSIM .*All:([\d.]+)", proc.stderr)
    return {"vmaf": float(vmaf.group(1)) if vmaf else None, "ssim": float(ssim.group(1)) if ssim else None}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("video", nargs="?", default=str(DEMO))
    parser.add_argument("--vmaf-every", type=int, default=5, help="score every Nth frame with VMAF")
    args = parser.parse_args()
    video = Path(args.video)
    if not video.is_file():
        raise SystemExit(f"{video} does not exist: run `make demo` first, or name a finished Short")
    ff = ffmpeg_path()
    stream = next(s for s in probe(video)["streams"] if s["codec_type"] == "video")
    w, h = int(stream["width"]), int(stream["height"])
    num, den = (int(x) for x in stream["avg_frame_rate"].split("/"))
    fps = round(num / den)
    base = RenderSettings()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-gop-") as tmp:
        raw = Path(tmp) / "source.yuv"
        subprocess.run([ff, "-v", "error", "-y", "-i", str(video), "-map", "0:v", "-f", "rawvideo",
                        "-pix_fmt", "yuv420p", str(raw)], check=True, timeout=600)
        frames = raw.stat().st_size // (w * h * 3 // 2)
        for name, codec in settings_to_try(base, fps).items():
            out = Path(tmp) / "encoded.mp4"
            t0 = time.perf_counter()
            subprocess.run([ff, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{w}x{h}",
                            "-framerate", str(fps), "-i", str(raw), *codec, "-an", str(out)], check=True, timeout=1800)
            wall = time.perf_counter() - t0
            rows.append({"setting": name, "encode_seconds": round(wall, 2), "bytes": out.stat().st_size,
                         **score(ff, out, raw, f"{w}x{h}", fps, args.vmaf_every), "args": codec})
            print(f"  {name:<44} {wall:6.2f} s  {out.stat().st_size / 1e6:6.2f} MB  "
                  f"VMAF {rows[-1]['vmaf']}  SSIM {rows[-1]['ssim']}", flush=True)
    ref = rows[0]
    for r in rows:
        r["ratios"] = {"encode_time": round(r["encode_seconds"] / ref["encode_seconds"], 3),
                       "size": round(r["bytes"] / ref["bytes"], 3)}
    print(f"\n{frames} frames of {video.name} ({w}x{h}, {fps} fps), against the render's own setting:")
    print(f"  {'setting':<44} {'time':>6} {'size':>6} {'VMAF':>6} {'SSIM':>7}")
    for r in rows:
        print(f"  {r['setting']:<44} {r['ratios']['encode_time']:6.2f} {r['ratios']['size']:6.2f} "
              f"{r['vmaf'] or 0:6.2f} {r['ssim'] or 0:7.4f}")
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "gop.json").write_text(json.dumps({"video": str(video), "frames": frames, "size": f"{w}x{h}",
                                                  "fps": fps, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
