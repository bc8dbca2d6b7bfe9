"""End to end, one Short (1080x1920, offline defaults), against the encode floor of that very Short.

    .venv/bin/python bench/bench_e2e.py [--channel curious-minds] [--topic "Why cats purr"]

In one process: a cold run from an empty media folder in a temporary SHORTSMITH_HOME (the voice
model is loaded, nothing is reused), a re-run of the same partition (everything reused), and the
encode floor: the frames and audio of the finished MP4 decoded to raw files and encoded again
with the same x264/AAC settings and no filters (what no renderer can beat). Machines here are
noisy, so the figures that count are the ratios printed at the end, all from this one run.

Writes bench/results/e2e.json: short_seconds, wall_seconds, encode_floor_seconds, rerun_seconds,
stage_seconds, orchestration_seconds and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def encode_floor(video: Path, workdir: Path) -> float:
    """Seconds to encode the finished Short's own frames and audio with the render's settings."""
    from bench_render import dump_raw, phase_encode_only, run_phase

    raw, wav = workdir / "floor.yuv", workdir / "floor.wav"
    dump_raw(video, raw, wav)
    try:
        phase = run_phase(phase_encode_only, raw, wav, workdir / "floor.mp4")
    finally:
        raw.unlink(missing_ok=True)
    if phase["error"]:
        raise RuntimeError(f"encode floor failed: {phase['error']}")
    return phase["wall_s"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channel", default="curious-minds")
    parser.add_argument("--topic", default="Why cats purr")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="shortsmith-bench-"))
    os.environ["SHORTSMITH_HOME"] = str(home)  # settings are read at import: one cold run per process
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    import dagster as dg

    from pipeline_defs.assets.stage import VIDEO
    from pipeline_defs.cli import add_video, step_times
    from pipeline_defs.definitions import defs

    t0 = time.perf_counter()
    key = add_video(args.channel, args.topic, source="cli")
    job = defs.resolve_job_def("make_video")
    instance = dg.DagsterInstance.get()
    result = job.execute_in_process(partition_key=key, instance=instance)
    cold = time.perf_counter() - t0
    t1 = time.perf_counter()
    job.execute_in_process(partition_key=key, instance=instance)
    rerun = time.perf_counter() - t1
    video = defs.resources["storage"].store().file(key, VIDEO.folder, VIDEO.main_file)
    short = result.asset_materializations_for_node("assembled_videos")[-1].metadata["duration_seconds"].value
    stages = {step: round(s, 2) for step, s in step_times(instance, result.run_id)}
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    floor = encode_floor(video, home)

    # With steps in sequence the orchestration is the wall time not spent inside a step.
    orchestration = max(0.0, cold - sum(stages.values()))
    report = {
        "short_seconds": short,
        "wall_seconds": round(cold, 2),
        "encode_floor_seconds": round(floor, 2),
        "rerun_seconds": round(rerun, 2),
        "stage_seconds": stages,
        "orchestration_seconds": round(orchestration, 2),
        "ratios": {
            "wall_to_encode_floor": round(cold / floor, 3),
            "render_to_encode_floor": round(stages.get("assembled_videos", 0.0) / floor, 3),
            "rerun_to_cold": round(rerun / cold, 3),
            "orchestration_share": round(orchestration / cold, 3),
        },
        "peak_rss_mb": {"process": round(rss_self), "ffmpeg_children": round(rss_children)},
        "video": str(video),
    }

    print(f"\nEnd to end, one {short:.1f} s Short at 1080x1920 (offline defaults):")
    for step, seconds in stages.items():
        print(f"  {step:<22} {seconds:7.2f} s")
    print(f"  {'TOTAL (cold)':<22} {cold:7.2f} s")
    print(f"  {'encode floor':<22} {floor:7.2f} s   (the same frames and audio, same x264/AAC settings)")
    print(f"  {'re-run (reuses all)':<22} {rerun:7.2f} s")
    r = report["ratios"]
    print(f"\n  end to end / encode floor  {r['wall_to_encode_floor']:.2f}   (target <= 1.2)")
    print(f"  render / encode floor      {r['render_to_encode_floor']:.2f}   (target <= 1.1)")
    print(f"  re-run / cold              {r['rerun_to_cold']:.3f}  (target <= 0.05)")
    print(f"  orchestration / cold       {r['orchestration_share']:.3f}  (target < 0.05)")
    print(f"  peak RSS: this process {rss_self:.0f} MB, ffmpeg children {rss_children:.0f} MB")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "e2e.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
