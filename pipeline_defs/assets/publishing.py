"""published_uploads: the finished Short handed to the channel, exactly once per partition."""


import dagster as dg

from shortsmith.errors import ValidationFailed
from shortsmith.publish import build_upload_request
from shortsmith.quota import local_day, publish_decision, utcnow

from .errors import user_errors
from ..ledger import Ledger

from ..partitions import videos_partitions
from ..resources.channels import ChannelsResource
from ..resources.publisher import Publisher
from ..resources.storage import MediaStorage
from .common import MEDIA_BACKFILL, GROUP, THUMBNAIL, VIDEO, load_script, resolve_video
from .thumbnails import thumbnails


@dg.asset(
    partitions_def=videos_partitions,
    backfill_policy=MEDIA_BACKFILL,
    deps=[thumbnails],
    group_name=GROUP,
    kinds={"youtube"},
    pool="publish",  # one publish step at a time across all runs: the daily cap check is race-free
    description="Publishes the validated video, thumbnail and metadata (offline: a local channel folder). "
                "A partition is published at most once, and never beyond the channel's videos_per_day "
                "(or outside its publish window): such a video is deferred, not failed.",
)
@user_errors
def published_uploads(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
                      publisher: Publisher) -> dg.MaterializeResult:
    video = resolve_video(context.partition_key, channels, storage)
    store, partition, ch = video.store, video.partition, video.channel
    existing = publisher.existing(partition)
    if existing is None:
        video_manifest = store.require(partition, VIDEO)
        if not video_manifest.get("checks_passed"):
            failed = [c["message"] for c in video_manifest.get("checks", []) if not c["passed"]]
            raise ValidationFailed("the assembled video did not pass validation: " + "; ".join(failed),
                                   field="assembled_videos",
                                   fix="fix the cause and re-materialize assembled_videos before publishing")
        store.require(partition, THUMBNAIL)
        script, _ = load_script(store, partition)
        request = build_upload_request(script, ch)
        # The daily cap holds for every way a video gets here (schedules, sensors, backfills, the UI).
        ledger = Ledger(context.instance)
        now = utcnow()
        day = local_day(now, ch.timezone)
        decision = publish_decision(now, ch, published_today=len(ledger.published(ch.name, day)))
        if not decision.publish:
            ledger.record_deferred(ch.name, partition, decision.until, decision.reason)
            context.log.warning(f"not publishing {partition} now: {decision.reason}")
            return dg.MaterializeResult(metadata={
                "status": "deferred",
                "deferred_until": decision.until.isoformat(),
                "reason": decision.reason,
                "cost_usd": 0.0,
            })
        pub = publisher.publish(partition, video=store.file(partition, VIDEO, "video.mp4"),
                                thumbnail=store.file(partition, THUMBNAIL, "thumbnail.jpg"), request=request)
        ledger.record_published(ch.name, day, partition, pub.video_id)
        context.log.info(f"published {partition} as {pub.video_id} ({decision.reason})")
    else:
        pub = existing
        context.log.info(f"{partition} was already published as {pub.video_id}; not publishing again")
    used = store.read_record("used-topics", ch.name) or {"slugs": []}
    slug = partition.split("--", 1)[1]
    if slug not in used["slugs"]:
        used["slugs"].append(slug)
        store.write_record("used-topics", ch.name, used)
    return dg.MaterializeResult(metadata={
        "status": "already_published" if pub.already_published else "published",
        "video_id": pub.video_id,
        "url": dg.MetadataValue.url(pub.url),
        "folder": dg.MetadataValue.path(pub.folder),
        "privacy": pub.privacy,
        "already_published": pub.already_published,
        "published_at": pub.published_at,
        "cost_usd": 0.0,
    })
