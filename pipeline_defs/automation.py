"""Everything that makes the channels run themselves: schedules, sensors and backfill jobs
(all registered in ``definitions.defs``).

Backfills (one partition per run, see ``assets.stage.MEDIA_BACKFILL``; at most one backfill run at a time,
see dagster.yaml's ``dagster/backfill`` tag limit) use these jobs or any asset selection:

- ``rerender_videos``: ``scene_images*`` and ``captions*``, e.g. after a style change;
- ``regenerate_voiceovers``: ``voiceovers*``, e.g. after a voice change.

Already published partitions are never uploaded twice; a NEW upload beyond a channel's daily
cap is deferred by ``published_uploads``, so backfills cannot break the quota either.
"""

from __future__ import annotations

import dagster as dg

from .assets.stage import CAPTIONS, SCENES, VOICE
from .schedules import build_schedules
from .sensors import ALL_SENSORS

rerender_videos_job = dg.define_asset_job(
    "rerender_videos",
    selection=dg.AssetSelection.assets(SCENES.asset, CAPTIONS.asset).downstream(),
    description="Re-render scenes, captions and everything after them (e.g. after a style change). "
                "Backfill it over the partitions to redo.",
)

regenerate_voiceovers_job = dg.define_asset_job(
    "regenerate_voiceovers",
    selection=dg.AssetSelection.assets(VOICE.asset).downstream(),
    description="Regenerate the voiceovers and everything downstream (voiceovers*), e.g. after a voice change.",
)

schedules = build_schedules()
sensors = list(ALL_SENSORS)
jobs = [rerender_videos_job, regenerate_voiceovers_job]
