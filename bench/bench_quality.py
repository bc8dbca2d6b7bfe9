"""Quality scores of real sample Shorts: every sample topic in channels.yaml made offline at a small
frame size (the score's measures do not depend on it), with the quality and uniqueness checks.

    PYTHONPATH=. python bench/bench_quality.py [--size 360x640] [--limit N] [--only KEY,KEY]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="360x640")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--only", default="", help="comma-separated partition keys (default: every sample topic)")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    import dagster as dg

    from pipeline_defs import settings
    from pipeline_defs.assets import QUALITY_CHECKS, VIDEO_ASSETS
    from pipeline_defs.definitions import provider_resources
    from pipeline_defs.resources.channels import ChannelsResource
    from pipeline_defs.resources.publisher import LocalFolderPublisher
    from pipeline_defs.resources.renderer import RendererSettings
    from pipeline_defs.resources.storage import MediaStorage
    from shortsmith.config import load_channels
    from shortsmith.topics import partition_key

    config = load_channels(ROOT / "channels.yaml")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        res = {
            "channels": ChannelsResource(path=str(ROOT / "channels.yaml")),
            "storage": MediaStorage(root=str(tmp / "media")),
            **provider_resources(settings.load({})),  # the offline providers only
            "renderer": RendererSettings(width=w, height=h),
            "publisher": LocalFolderPublisher(root=str(tmp / "channel")),
        }
        instance = dg.DagsterInstance.ephemeral()
        topics = [(ch, seed) for ch in config.channels for seed in ch.topics
                  if not args.only or partition_key(ch.name, seed.topic) in args.only.split(",")]
        for ch, seed in topics[: args.limit or None]:
            key = partition_key(ch.name, seed.topic)
            instance.add_dynamic_partitions("videos", [key])
            started = time.perf_counter()
            result = dg.materialize([*VIDEO_ASSETS, *QUALITY_CHECKS], partition_key=key, resources=res,
                                    instance=instance, raise_on_error=False)
            evals = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
            q = evals.get("quality")
            meta = {k: v.value for k, v in q.metadata.items()} if q else {}
            rows.append((key, meta.get("score"), {p: meta.get(f"score_{p}") for p in ("script", "audio", "visuals",
                                                                                       "sync")},
                         q.passed if q else None, evals.get("uniqueness").passed if "uniqueness" in evals else None,
                         time.perf_counter() - started, q.description if q and not q.passed else ""))
            r = rows[-1]
            print(f"{key:55s} score {r[1]}  parts {r[2]}  quality {'pass' if r[3] else 'FAIL'}  "
                  f"unique {'pass' if r[4] else 'FAIL'}  {r[5]:.0f} s {r[6]}", flush=True)
    scores = [r[1] for r in rows if r[1] is not None]
    if scores:
        print(f"\n{len(scores)} videos: min {min(scores):.1f}, median {statistics.median(scores):.1f}, "
              f"max {max(scores):.1f}; passed quality {sum(1 for r in rows if r[3])}/{len(rows)}, "
              f"uniqueness {sum(1 for r in rows if r[4])}/{len(rows)}")


if __name__ == "__main__":
    sys.exit(main())
