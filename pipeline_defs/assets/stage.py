"""The stage contract: what every video asset does, written once.

A ``Stage`` describes one video stage: its asset, its folder in the partition's media, the files it
commits and the version of its fingerprint. ``stage_asset`` declares the asset (partitioned by
video, one partition per backfill run, blocking checks, user-facing errors) and ``StageStep`` runs
the shared part of its body::

    step = StageStep(context, channels, storage, CAPTIONS)      # resolve the partition's video
    vo, voice_manifest = step.voiceover()                        # upstream stages, each read once
    if not step.reuse(voice_manifest["fingerprint"], style):     # fingerprint -> reuse or ...
        with step.write() as w:                                  # ... an atomic stage commit
            w.path("captions.ass").write_text(...)
    return step.result({...})                                    # + reused, cost, file metadata

so an asset body holds only what is particular to its stage.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import dagster as dg
from PIL import Image

from shortsmith.config import Channel, TopicSeed
from shortsmith.errors import MediaError
from shortsmith.model import Script, Voiceover, read_json, script_from_dict, voiceover_from_dict
from shortsmith.storage import MediaStore, StageWriter, fingerprint
from shortsmith.topics import clean_topic, find_seed, split_partition_key, topic_from_slug

from ..partitions import videos_partitions
from ..providers import ProviderRun, cost_metadata, provider_run
from ..resources.channels import ChannelsResource
from ..resources.storage import MediaStorage
from .errors import user_errors

GROUP = "shorts"

# Media is heavy: a backfill runs one partition per run, so each video shows as its own run,
# fails and retries alone, and the dagster/backfill tag limit keeps backfills to one run at a time.
MEDIA_BACKFILL = dg.BackfillPolicy.multi_run(1)
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)


@dataclass(frozen=True)
class Stage:
    """One video stage: the asset that makes it and where its output lives."""

    asset: str  # the asset key, e.g. "scene_images"
    folder: str | None  # its folder in the partition's media; None: the stage stores no files
    version: str = ""  # the fingerprint's version: bump it when the output changes for the same inputs
    files: tuple[str, ...] = ()  # the files it commits (a stage with per-beat files lists none)
    main_file: str | None = None  # the file whose path and size its metadata shows
    calls_providers: bool = False  # its output may have cost money (stage_cost_usd in the metadata)


# The stages of one video, in graph order; their folder names are the media layout.
SCRIPT = Stage("video_scripts", "script", "script-v1", ("script.json", "script.md"), calls_providers=True)
VOICE = Stage("voiceovers", "voice", "voice-v2", ("voice.wav", "voiceover.json"), main_file="voice.wav",
              calls_providers=True)
SCENES = Stage("scene_images", "scenes", "scenes-v3", calls_providers=True)  # v3: depth layers
CAPTIONS = Stage("captions", "captions", "captions-v1", ("captions.ass",), main_file="captions.ass")
MUSIC = Stage("music", "music", "music-v2", ("music.wav",), main_file="music.wav")
VIDEO = Stage("assembled_videos", "video", "video-v1", ("video.mp4",), main_file="video.mp4")
THUMBNAIL = Stage("thumbnails", "thumbnail", "thumb-v2", ("thumbnail.jpg",), main_file="thumbnail.jpg")
PUBLISHED = Stage("published_uploads", None)
STAGES = (SCRIPT, VOICE, SCENES, CAPTIONS, MUSIC, VIDEO, THUMBNAIL, PUBLISHED)


def stage_asset(stage: Stage, *, deps: Sequence[Any], description: str, kinds: set[str],
                checks: dict[str, str] | None = None, **asset_kwargs: Any) -> Callable:
    """``@dg.asset`` for a video stage: one partition per video, ``checks`` (name -> description) as
    blocking checks, and a ShortsmithError shown as the step's failure message."""

    def decorate(fn: Callable) -> dg.AssetsDefinition:
        return dg.asset(
            name=stage.asset, partitions_def=videos_partitions, backfill_policy=MEDIA_BACKFILL, deps=deps,
            group_name=GROUP, kinds=kinds, description=description,
            check_specs=[dg.AssetCheckSpec(name, asset=stage.asset, blocking=True, description=text)
                         for name, text in (checks or {}).items()],
            **asset_kwargs,
        )(user_errors(fn))

    return decorate


@dataclass
class Video:
    """A partition resolved to its channel and topic."""

    partition: str
    channel: Channel
    topic: str
    seed: TopicSeed | None
    source: str  # request | trend | channel-topics | partition-key
    store: MediaStore


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


PREVIEW = "preview.png"  # each stage's contact sheet, kept with the stage (StageStep.preview)


class StageStep:
    """One materialization of a stage: resolve -> upstream -> fingerprint -> reuse or write -> result."""

    def __init__(self, context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
                 channels: ChannelsResource, storage: MediaStorage, stage: Stage):
        self.context, self.channels, self.stage = context, channels, stage
        self.video = resolve_video(context.partition_key, channels, storage)
        self.store: MediaStore = self.video.store
        self.partition = self.video.partition
        self.channel = self.video.channel
        self.fp: str | None = None
        self.manifest: dict | None = None  # this stage's manifest, once reused or written
        self.reused = False
        self._upstream: dict[Stage, dict] = {}

    # -- upstream stages -------------------------------------------------------------
    def upstream(self, stage: Stage) -> dict:
        """An upstream stage's manifest (read once: on S3 a read checks every object of the stage)."""
        if stage not in self._upstream:
            self._upstream[stage] = self.store.require(self.partition, stage.folder)
        return self._upstream[stage]

    def file(self, name: str, stage: Stage | None = None) -> Path:
        """A file of this stage (or of ``stage``) as a local path."""
        return self.store.file(self.partition, (stage or self.stage).folder, name)

    def script(self) -> tuple[Script, dict]:
        manifest = self.upstream(SCRIPT)
        return script_from_dict(read_json(self.file("script.json", SCRIPT))), manifest

    def voiceover(self) -> tuple[Voiceover, dict]:
        manifest = self.upstream(VOICE)
        vo = voiceover_from_dict(read_json(self.file("voiceover.json", VOICE)))
        vo.wav_path = str(self.file("voice.wav", VOICE))  # the committed location
        return vo, manifest

    def local_day(self) -> str:
        """Today in the channel's timezone (daily caps and budgets follow it)."""
        from shortsmith.quota import local_day, utcnow

        return local_day(utcnow(), self.channel.timezone).isoformat()

    # -- providers -------------------------------------------------------------------
    @cached_property
    def run(self) -> ProviderRun:
        """The channel's provider chains for this step (breakers, pools, rate limits, cost meter)."""
        return provider_run(self.context, self.channels.config.pricing)

    # -- fingerprint, reuse or write -------------------------------------------------------
    def reuse(self, *inputs: Any, complete: Callable[[dict], bool] = lambda manifest: True,
              what: str | None = None) -> bool:
        """Fingerprint the stage's inputs; True when a complete output made from the same inputs exists
        (and ``complete(manifest)`` holds): the stage is then reused instead of rebuilt."""
        self.fp = fingerprint(self.stage.version, *inputs)
        manifest = self.store.reusable(self.partition, self.stage.folder, self.fp)
        self.reused = manifest is not None and complete(manifest)
        if self.reused:
            self.manifest = manifest
            self.context.log.info(f"reusing the {what or self.stage.folder} already made for {self.partition}")
        return self.reused

    @contextmanager
    def write(self, data: dict | None = None) -> Iterator[StageWriter]:
        """Commit the stage's files atomically (temporary folder, swapped in when complete, manifest last);
        a stage that calls providers stores what its calls cost in the manifest."""
        if self.fp is None:
            raise RuntimeError(f"{self.stage.asset}: call reuse(...) with the stage's inputs before write()")
        with self.store.write_stage(self.partition, self.stage.folder, self.fp, data) as writer:
            yield writer
            missing = [name for name in self.stage.files if not writer.path(name).is_file()]
            if missing:  # never commit a stage that lacks a file its readers expect
                raise MediaError(f"{self.stage.asset} did not write {', '.join(missing)} for {self.partition}",
                                 field=self.stage.asset, fix=f"re-materialize {self.stage.asset}; if it fails again, "
                                                             "the provider's log above says why")
            if self.stage.calls_providers and "cost" not in writer.data:
                writer.data["cost"] = self.run.meter.as_dict()
        self.manifest = self.store.require(self.partition, self.stage.folder)

    # -- the preview --------------------------------------------------------------------
    def preview(self, make: Callable[[], Image.Image], writer: StageWriter | None = None) -> Image.Image:
        """The stage's preview picture (a contact sheet of its frames or scenes) for the UI.

        Made once, while the stage is written (pass ``writer``), and committed with it as
        ``preview.png``; a reused stage reads that file back instead of decoding its media again
        (on a re-run this was most of the work left). A stage written before previews were kept
        makes it again."""
        if writer is not None:
            image = make()
            image.save(writer.path(PREVIEW), optimize=False, compress_level=3)
            return image
        if self.manifest and PREVIEW in (self.manifest.get("files") or {}):
            path = self.file(PREVIEW)
            if path.is_file():
                with Image.open(path) as kept:
                    return kept.convert("RGB")
        return make()

    # -- the result ------------------------------------------------------------------
    def cost(self) -> dict:
        """This materialization's provider cost (into the channel's daily ledger) as metadata."""
        if not self.stage.calls_providers and "run" not in self.__dict__:  # no provider was called
            return {"cost_usd": 0.0}
        return record_cost(self.context, self.channel, self.stage.asset, self.partition, self.run.meter)

    def result(self, metadata: dict, checks: dict[str, tuple[bool, str, dict]] | None = None) -> dg.MaterializeResult:
        """The materialization: the stage's own metadata plus ``reused``, the cost and the main file."""
        standard: dict = {"reused": self.reused} if self.stage.folder else {}
        standard.update(self.cost())
        if self.stage.calls_providers:
            standard["stage_cost_usd"] = stage_cost(self.manifest)["total_usd"]
        if self.stage.main_file:
            standard.update(file_meta(self.file(self.stage.main_file)))
        return dg.MaterializeResult(metadata={**metadata, **standard},
                                    check_results=check_results(checks, self.stage.asset) if checks else None)


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


def file_meta(path: str | Path) -> dict:
    p = Path(path)
    return {"path": dg.MetadataValue.path(str(p)), "size_bytes": p.stat().st_size}


def record_cost(context: dg.AssetExecutionContext, channel: Channel, asset: str, partition: str, meter) -> dict:
    """Put this materialization's provider cost into the channel's daily cost ledger; return its metadata."""
    from shortsmith.quota import local_day, utcnow

    from ..ledger import Ledger

    if meter.items:
        Ledger(context.instance).record_cost(channel.name, local_day(utcnow(), channel.timezone), asset, partition,
                                             meter.total, meter.by_provider())
    return cost_metadata(meter)


def stage_cost(manifest: dict | None) -> dict:
    """The cost a stage's provider calls had when its output was made (kept in the stage manifest)."""
    return (manifest or {}).get("cost") or {"total_usd": 0.0, "by_provider": {}}
