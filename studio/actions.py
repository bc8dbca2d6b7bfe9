"""What the studio's page and API do: add a video, approve, reject (with a re-render), cancel.

Every run is launched through Dagster's GraphQL (``studio.launcher``); this module only records the
request (the same request record, ledger entry and dynamic partition as the CLI and the sensors)
and the review decision.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import dagster as dg

from shortsmith.config import ChannelsConfig
from shortsmith.errors import InputError
from shortsmith.narrative import narrative_to_dict, parse_narrative
from shortsmith.quota import local_day, utcnow
from shortsmith.topics import clean_topic

from . import db
from .launcher import Launcher
from .state import ACTIVE, PARTITIONS, STAGE_NAMES, STAGES


class Conflict(Exception):
    def __init__(self, message: str, field: str | None = None, fix: str | None = None):
        super().__init__(message)
        self.message, self.field, self.fix = message, field, fix


class NotFound(Conflict):
    pass


@dataclass
class Studio:
    instance: dg.DagsterInstance
    store: object
    channels: ChannelsConfig
    launcher: Launcher

    def channel(self, name: str):
        try:
            return self.channels.get(name)
        except Exception:
            raise InputError(f"channel {name!r} is not in channels.yaml", field="channel",
                             fix=f"use one of: {', '.join(self.channels.names)}") from None

    def create(self, channel: str, *, topic: str | None = None, narrative: str | None = None,
               source: str = "studio", fact_source: str | None = None) -> tuple[str, str]:
        """Add the partition and launch its run; returns (partition, run id)."""
        from pipeline_defs.ledger import Ledger
        from pipeline_defs.requests import run_tags, write_request

        ch = self.channel(channel)
        narrative_dict = None
        if narrative:
            parsed = parse_narrative(narrative, name="narrative")
            if parsed.channel and parsed.channel != ch.name:
                raise InputError(f"the narrative says channel: {parsed.channel}, the request {ch.name}",
                                 field="narrative", fix="remove the channel: line or make them agree")
            topic, narrative_dict = parsed.title, narrative_to_dict(parsed)
        topic = clean_topic(topic or "", field="topic")
        from shortsmith.topics import partition_key

        key = partition_key(ch.name, topic)
        if self.instance.has_dynamic_partition(PARTITIONS, key):
            raise Conflict(f"a video for this topic already exists: {key}", field="topic",
                           fix=f"open /v1/videos/{key}, or choose another topic")
        if fact_source:  # a web page or PDF whose text gives the facts: refused before a partition exists
            from shortsmith.sources import is_url, load_source

            if not is_url(fact_source):
                raise InputError("the source must be an http(s) URL", field="source",
                                 fix="give the address of a web page or a PDF")
            load_source(fact_source, field="source")
        write_request(self.store, ch, topic, "studio", narrative=narrative_dict, overwrite=True,
                      fact_source=fact_source or None)
        Ledger(self.instance).record_requested(ch.name, local_day(utcnow(), ch.timezone), "studio", key, topic)
        self.instance.add_dynamic_partitions(PARTITIONS, [key])
        run_id = self.launcher.launch(key, STAGE_NAMES, {**run_tags(key, "studio"), "shortsmith/via": source})
        return key, run_id

    def _require(self, partition: str) -> None:
        if not self.instance.has_dynamic_partition(PARTITIONS, partition):
            raise NotFound(f"no video {partition!r}", field="partition", fix="list videos with GET /v1/videos")

    def approve(self, partition: str, by: str) -> str:
        """awaiting -> approved (once), then launch published_uploads for the partition; returns the run id."""
        from pipeline_defs.requests import run_tags

        self._require(partition)
        if not db.decide(partition, "approved", by=by):
            current = (db.approval(partition) or {}).get("state", "not waiting for review")
            raise Conflict(f"{partition} is {current}, not awaiting approval", field="partition",
                           fix="only a video whose state is awaiting_approval can be approved")
        run_id = self.launcher.launch(partition, ["published_uploads"], {**run_tags(partition, "studio"),
                                                                         "shortsmith/review": "approved"})
        db.set_run(partition, run_id)
        return run_id

    def reject(self, partition: str, by: str, note: str, rerender: list[str]) -> str | None:
        """awaiting -> rejected with a note; with stages to re-render, redo them and what follows them."""
        from pipeline_defs.requests import run_tags

        self._require(partition)
        unknown = [s for s in rerender if s not in STAGE_NAMES or s == "published_uploads"]
        if unknown:
            raise InputError(f"unknown stage(s) {', '.join(unknown)}", field="rerender",
                             fix=f"choose from: {', '.join(STAGE_NAMES[:-1])}")
        if not db.decide(partition, "rejected", by=by, note=note, stages=rerender):
            current = (db.approval(partition) or {}).get("state", "not waiting for review")
            raise Conflict(f"{partition} is {current}, not awaiting approval", field="partition",
                           fix="only a video whose state is awaiting_approval can be rejected")
        if not rerender:
            return None
        for stage in rerender:
            self._invalidate(partition, dict(STAGES)[stage])
        run_id = self.launcher.launch(partition, self.downstream(rerender),
                                      {**run_tags(partition, "studio"), "shortsmith/review": "rejected",
                                       "shortsmith/rerender": ",".join(rerender)})
        db.set_run(partition, run_id)
        return run_id

    @staticmethod
    def downstream(stages: list[str]) -> list[str]:
        """The chosen stages and everything after them in the asset graph (Dagster's own lineage)."""
        from pipeline_defs.definitions import defs

        keys = dg.AssetSelection.assets(*stages).downstream().resolve(defs.resolve_asset_graph())
        return [s for s in STAGE_NAMES if dg.AssetKey(s) in keys]

    def _invalidate(self, partition: str, folder: str) -> None:
        """Set the stage's stored output aside so its next materialization makes it anew (not reused)."""
        client = getattr(self.store, "client", None)
        if client is not None:  # S3: the manifest is what makes a stage reusable
            client.delete_object(Bucket=self.store.bucket, Key=f"{self.store.stage_key(partition, folder)}/manifest.json")
            return
        manifest = self.store.stage_dir(partition, folder) / "manifest.json"
        if manifest.is_file():
            manifest.replace(manifest.with_name("manifest.rejected.json"))

    def cancel(self, partition: str) -> list[str]:
        self._require(partition)
        runs = self.instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": partition}), limit=10)
        active = [r for r in runs if r.status in ACTIVE]
        if not active:
            raise Conflict(f"{partition} has no queued or running run", field="partition",
                           fix="nothing to cancel")
        return [f"{r.run_id}:{self.launcher.terminate(r.run_id)}" for r in active]


def channel_summaries(channels: ChannelsConfig) -> list[dict]:
    return [{"name": c.name, "title": c.title, "review": c.review, "niche": c.niche} for c in channels.channels]


def dumps(value) -> str:
    return json.dumps(value, default=str)
