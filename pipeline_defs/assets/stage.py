"""What every video stage needs: which channel and topic a partition is, and metadata helpers."""


import warnings
from dataclasses import dataclass

import dagster as dg

from shortsmith.config import Channel, TopicSeed
from shortsmith.model import Script, Voiceover, read_json, script_from_dict, voiceover_from_dict
from shortsmith.storage import LocalMediaStore
from shortsmith.topics import clean_topic, find_seed, split_partition_key, topic_from_slug

from ..resources.channels import ChannelsResource
from ..resources.storage import MediaStorage

GROUP = "shorts"

# Media is heavy: a backfill runs one partition per run, so each video shows as its own run,
# fails and retries alone, and the dagster/backfill tag limit keeps backfills to one run at a time.
MEDIA_BACKFILL = dg.BackfillPolicy.multi_run(1)
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)

# Stage folder names inside a partition's media folder.
SCRIPT, VOICE, SCENES, CAPTIONS, MUSIC, VIDEO, THUMBNAIL = (
    "script", "voice", "scenes", "captions", "music", "video", "thumbnail")


@dataclass
class Video:
    """A partition resolved to its channel and topic."""

    partition: str
    channel: Channel
    topic: str
    seed: TopicSeed | None
    source: str  # request | trend | channel-topics | partition-key
    store: LocalMediaStore


def resolve_video(partition: str, channels: ChannelsResource, storage: MediaStorage) -> Video:
    """Find the topic behind a partition key.

    In order: the request record written when the partition was added (CLI, sensors),
    the channel's latest trends, the channel's topics list, and finally the slug itself
    (for a partition typed by hand in the UI).
    """
    store = storage.store()
    channel_name, slug = split_partition_key(partition)
    channel = channels.get(channel_name)
    topic, source = None, "partition-key"
    request = store.read_record("requests", partition)
    if request and request.get("topic"):
        topic, source = request["topic"], "request"
    if topic is None:
        trends = store.read_record("trends", channel.name) or {}
        for t in trends.get("topics", []):
            if t.get("slug") == slug:
                topic, source = t["topic"], "trend"
                break
    seed = find_seed(channel, slug)
    if topic is None and seed is not None:
        topic, source = seed.topic, "channel-topics"
    if topic is None:
        topic = topic_from_slug(slug)
    topic = clean_topic(topic, field=f"topic of partition {partition}")
    return Video(partition=partition, channel=channel, topic=topic, seed=seed, source=source, store=store)


def load_script(store: LocalMediaStore, partition: str) -> tuple[Script, dict]:
    manifest = store.require(partition, SCRIPT)
    return script_from_dict(read_json(store.file(partition, SCRIPT, "script.json"))), manifest


def load_voiceover(store: LocalMediaStore, partition: str) -> tuple[Voiceover, dict]:
    manifest = store.require(partition, VOICE)
    vo = voiceover_from_dict(read_json(store.file(partition, VOICE, "voiceover.json")))
    vo.wav_path = str(store.file(partition, VOICE, "voice.wav"))  # the committed location
    return vo, manifest


def md_table(headers: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def check_results(specs_passed: dict[str, tuple[bool, str, dict]], asset: str) -> list[dg.AssetCheckResult]:
    return [
        dg.AssetCheckResult(asset_key=asset, check_name=name, passed=bool(passed), description=message,
                            metadata={k: v for k, v in (meta or {}).items()},
                            severity=dg.AssetCheckSeverity.ERROR)
        for name, (passed, message, meta) in specs_passed.items()
    ]


def file_meta(path) -> dict:
    from pathlib import Path

    p = Path(path)
    return {"path": dg.MetadataValue.path(str(p)), "size_bytes": p.stat().st_size}


def record_cost(context: dg.AssetExecutionContext, channels: ChannelsResource, channel: Channel, asset: str,
                partition: str, meter) -> dict:
    """Put this materialization's provider cost into the channel's daily cost ledger; return its metadata."""
    from shortsmith.quota import local_day, utcnow

    from ..ledger import Ledger
    from ..providers import cost_metadata

    if meter.items:
        Ledger(context.instance).record_cost(channel.name, local_day(utcnow(), channel.timezone), asset, partition,
                                             meter.total, meter.by_provider())
    return cost_metadata(meter)


def stage_cost(manifest: dict | None) -> dict:
    """The cost a stage's provider calls had when its output was made (kept in the stage manifest)."""
    return (manifest or {}).get("cost") or {"total_usd": 0.0, "by_provider": {}}
