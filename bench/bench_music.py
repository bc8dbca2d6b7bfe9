"""The music step per provider and the loudness of the finished mixes (one video per provider).

    python bench/bench_music.py [--size 360x640] [--providers library,composer,synth]

Materializes script -> voice -> scenes -> captions -> music -> assembled video for one partition per
provider (the channel's providers.music set to that provider alone) on an ephemeral instance and
prints the music step's wall time, its choice and licence, and the final mix's integrated loudness.
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


def main() -> None:
    import dagster as dg

    from pipeline_defs import settings
    from pipeline_defs.assets import VIDEO_ASSETS
    from pipeline_defs.definitions import provider_resources
    from pipeline_defs.resources.channels import ChannelsResource
    from pipeline_defs.resources.renderer import RendererSettings
    from pipeline_defs.resources.storage import MediaStorage
    from tests.conftest import write_channels

    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="360x640")
    ap.add_argument("--providers", default="library,composer,synth")
    ap.add_argument("--topic", default="why-cats-purr")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    selection = [a for a in VIDEO_ASSETS if a.key.path[-1] in
                 ("video_scripts", "voiceovers", "scene_images", "captions", "music", "assembled_videos")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        for provider in args.providers.split(","):
            channels = write_channels(tmp / f"{provider}.yaml", providers={"music": [provider]})
            key = f"curious-minds--{args.topic}"
            instance = dg.DagsterInstance.ephemeral()
            instance.add_dynamic_partitions("videos", [key])
            started = time.perf_counter()
            result = dg.materialize(selection, partition_key=key, instance=instance, resources={
                "channels": ChannelsResource(path=str(channels)), "storage": MediaStorage(root=str(tmp / provider)),
                **provider_resources(settings.load({})), "renderer": RendererSettings(width=w, height=h)})
            total = time.perf_counter() - started
            music = {k: v.value for k, v in result.asset_materializations_for_node("music")[-1].metadata.items()}
            checks = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
            loud = checks.get("loudness")
            lufs = loud.metadata.get("integrated_lufs").value if loud and "integrated_lufs" in loud.metadata else None
            rows.append({"provider": music["provider"], "music_seconds": music.get("music_seconds"),
                         "mood": music["mood"], "choice": music.get("track") or music.get("key") or "",
                         "licence": music.get("licence"), "integrated_lufs": lufs,
                         "loudness_passed": loud.passed if loud else None, "pipeline_seconds": round(total, 1)})
            print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
