"""The music step per provider and the loudness of the finished mixes (one video per provider).

    python bench/bench_music.py [--size 360x640] [--providers library,composer,synth,musicapi,elevenlabs]

Materializes script -> voice -> scenes -> captions -> music -> assembled video for one partition per
provider (the channel's providers.music set to that provider alone) on an ephemeral instance and
prints the music step's wall time, its choice and licence, and the final mix's integrated loudness.
``musicapi`` and ``elevenlabs`` run against the tests' loopback stand-ins (musicapi is polled every
second, no studio needed, so its step time includes up to a second of polling).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STAGES = ("video_scripts", "voiceovers", "scene_images", "captions", "music", "assembled_videos")


def stand_in_for(provider: str):
    """The loopback stand-in a cloud provider talks to here, with its environment set."""
    if provider == "musicapi":
        from tests.standins.music_api import MusicApiStandIn
        api = MusicApiStandIn(callbacks="never")
        os.environ.update(MUSIC_API_BASE_URL=api.url, MUSIC_API_KEY=api.api_key, MUSIC_API_POLL_S="1",
                          SHORTSMITH_ALLOW_PRIVATE_URLS="1")
        return api
    if provider == "elevenlabs":
        from tests.standins.music_api import ElevenLabsMusicStandIn
        api = ElevenLabsMusicStandIn()
        os.environ.update(ELEVENLABS_API_KEY=api.api_key, ELEVENLABS_BASE_URL=api.url)
        return api
    return contextlib.nullcontext()


def run_one(provider: str, tmp: Path, size: tuple[int, int], topic: str) -> dict:
    import dagster as dg

    from pipeline_defs import settings
    from pipeline_defs.assets import VIDEO_ASSETS
    from pipeline_defs.definitions import provider_resources
    from pipeline_defs.resources.channels import ChannelsResource
    from pipeline_defs.resources.renderer import RendererSettings
    from pipeline_defs.resources.storage import MediaStorage
    from tests.conftest import write_channels

    selection = [a for a in VIDEO_ASSETS if a.key.path[-1] in STAGES]
    channels = write_channels(tmp / f"{provider}.yaml", providers={"music": [provider]})
    key = f"curious-minds--{topic}"
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", [key])
    started = time.perf_counter()
    result = dg.materialize(selection, partition_key=key, instance=instance, resources={
        "channels": ChannelsResource(path=str(channels)), "storage": MediaStorage(root=str(tmp / provider)),
        **provider_resources(settings.load()), "renderer": RendererSettings(width=size[0], height=size[1])})
    total = time.perf_counter() - started
    music = {k: v.value for k, v in result.asset_materializations_for_node("music")[-1].metadata.items()}
    loud = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}.get("loudness")
    lufs = loud.metadata["integrated_lufs"].value if loud and "integrated_lufs" in loud.metadata else None
    return {"provider": music["provider"], "music_seconds": music.get("music_seconds"), "mood": music["mood"],
            "choice": music.get("track") or music.get("key") or "", "licence": music.get("licence"),
            "integrated_lufs": lufs, "loudness_passed": loud.passed if loud else None,
            "pipeline_seconds": round(total, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="360x640")
    ap.add_argument("--providers", default="library,composer,synth")
    ap.add_argument("--topic", default="why-cats-purr")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp_s:
        for provider in args.providers.split(","):
            with stand_in_for(provider):
                print(json.dumps(run_one(provider, Path(tmp_s), (w, h), args.topic)), flush=True)


if __name__ == "__main__":
    main()
