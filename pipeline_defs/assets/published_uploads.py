"""published_uploads: the finished Short handed to the channel, exactly once per partition.

Offline channels go to the local channel folder; channels with YouTube credentials (and a
``YouTubePublisher`` resource) are uploaded to YouTube with a resumable upload whose session and
byte offset live in the instance, so a crashed or cut upload resumes and a partition with a
video id never uploads again. Quota that cannot take the whole publication today defers it
until the quota resets (midnight Pacific): status "deferred", picked up by the daily schedule.
"""


import dagster as dg

from shortsmith.errors import ValidationFailed
from shortsmith.formats import is_short
from shortsmith.publish import Publication, build_upload_request
from shortsmith.quota import local_day, publish_decision, utcnow
from shortsmith.storage import file_sha256
from shortsmith.youtube import insert_body, new_state, watch_url
from shortsmith.youtube_quota import QuotaDeferred

from ..approval import hold_for_review
from ..ledger import Ledger
from ..resources.channels import ChannelsResource
from ..resources.publisher import Publisher
from ..resources.storage import MediaStorage
from ..youtube_quota_ledger import UploadRecords
from .stage import PUBLISHED, SCENES, THUMBNAIL, VIDEO, StageStep, stage_asset
from .thumbnails import thumbnails


def _require_validated(step: StageStep) -> None:
    video_manifest = step.upstream(VIDEO)
    if not video_manifest.get("checks_passed"):
        failed = [c["message"] for c in video_manifest.get("checks", []) if not c["passed"]]
        raise ValidationFailed("the assembled video did not pass validation: " + "; ".join(failed),
                               field=VIDEO.asset,
                               fix=f"fix the cause and re-materialize {VIDEO.asset} before publishing")
    step.upstream(THUMBNAIL)


def _require_rights(step: StageStep) -> None:
    """A clip cut from a reference is published only when the source is the user's own or its licence
    allows reuse (shortsmith.intake.rights); other videos have no reference and pass."""
    from shortsmith.intake.references import reference_of, refusal_to_publish

    reference = reference_of(step.store, step.partition)
    refusal = refusal_to_publish(step.store, reference) if reference else None
    if refusal is not None:
        raise ValidationFailed(refusal[0], field="rights", fix=refusal[1])


def _already_published(context, publisher, ch, partition: str) -> bool:
    if publisher.uses_youtube(ch):
        return UploadRecords(context.instance).get(partition).get("status") == "done"
    return publisher.existing(partition) is not None


def _deferred(context, ledger: Ledger, channel: str, partition: str, until, reason: str,
              extra: dict | None = None) -> dg.MaterializeResult:
    ledger.record_deferred(channel, partition, until, reason)
    context.log.warning(f"not publishing {partition} now: {reason}")
    return dg.MaterializeResult(metadata={
        "status": "deferred",
        "deferred_until": until.isoformat(),
        "reason": reason,
        "cost_usd": 0.0,
        **(extra or {}),
    })


def _record_used_topic(store, channel: str, partition: str) -> None:
    used = store.read_record("used-topics", channel) or {"slugs": []}
    slug = partition.split("--", 1)[1]
    if slug not in used["slugs"]:
        used["slugs"].append(slug)
        store.write_record("used-topics", channel, used)


def _quota_meta(book) -> dict:
    u = book.usage()
    return {"quota_project": book.project, "quota_day_pacific": u["day"],
            "quota_insert_calls": f"{u['used']['videos.insert']}/{u['limits']['videos.insert']}",
            "quota_units": f"{u['used']['units']}/{u['limits']['units']}"}


def asset_credits(step: StageStep) -> list[str]:
    """The credit lines the video's scene assets require (CC-BY artwork), from the scenes' manifest."""
    manifest = step.store.manifest(step.partition, SCENES.folder) or {}
    return list(manifest.get("asset_credits") or [])


def _publish_youtube(context, publisher, step: StageStep) -> dg.MaterializeResult:
    store, partition, ch = step.store, step.partition, step.channel
    instance = context.instance
    records = UploadRecords(instance)
    ledger = Ledger(instance)
    state = records.get(partition)
    if state.get("status") == "done" and state.get("video_id"):
        context.log.info(f"{partition} was already published as {state['video_id']}; not publishing again")
        _record_used_topic(store, ch.name, partition)
        return dg.MaterializeResult(metadata=_youtube_meta(state, already=True))
    _require_validated(step)
    video_file = step.file("video.mp4", VIDEO)
    thumb_file = step.file("thumbnail.jpg", THUMBNAIL)
    now = utcnow()
    day = local_day(now, ch.timezone)
    in_flight = bool(state.get("video_id") or state.get("session_uri"))
    if not in_flight:
        # a NEW upload: the channel's daily cap and window hold for every way a video gets here
        decision = publish_decision(now, ch, published_today=len(ledger.published(ch.name, day)))
        if not decision.publish:
            return _deferred(context, ledger, ch.name, partition, decision.until, decision.reason)
        script, _ = step.script()
        body = insert_body(script, ch, now, asset_credits(step))
        state = new_state(partition, ch.name, ch.youtube.project, file_sha256(video_file), video_file.stat().st_size)
        state["request"] = body
        state["short"] = is_short(script.format)  # a 16:9 episode is a normal video (watch URL, no #Shorts)
    else:
        body = state.get("request") or insert_body(step.script()[0], ch, now, asset_credits(step))
        context.log.info(f"continuing the publication of {partition} "
                         f"({'video ' + state['video_id'] if state.get('video_id') else 'upload in progress'})")
    session = publisher.session(ch, instance, log=context.log.info)
    try:
        state = session.publish(state, video=video_file, thumbnail=thumb_file, body=body, save=records.save)
    except QuotaDeferred as exc:
        return _deferred(context, ledger, ch.name, partition, exc.until, exc.message,
                         {"quota_bucket": exc.bucket, **_quota_meta(session.quota)})
    finally:
        if state.get("video_id") and partition not in ledger.published(ch.name, day):
            ledger.record_published(ch.name, day, partition, state["video_id"])
    context.log.info(f"published {partition} to YouTube as {state['video_id']}")
    _record_used_topic(store, ch.name, partition)
    return dg.MaterializeResult(metadata={**_youtube_meta(state, already=False), **_quota_meta(session.quota)})


def _youtube_meta(state: dict, *, already: bool) -> dict:
    rb = state.get("readback") or {}
    req = (state.get("request") or {}).get("status") or {}
    return {
        "status": "already_published" if already else "published",
        "destination": "youtube",
        "video_id": state["video_id"],
        "url": dg.MetadataValue.url(rb.get("url") or watch_url(state["video_id"], short=state.get("short", True))),
        "privacy": rb.get("privacy") or state.get("privacy") or "",
        "upload_status": rb.get("upload_status") or "",
        "processing_status": rb.get("processing_status") or "",
        "synthetic_media": bool(rb.get("synthetic_media")) if rb.get("synthetic_media") is not None
        else bool(req.get("containsSyntheticMedia")),
        "publish_at": rb.get("publish_at") or req.get("publishAt") or "",
        "playlist_item_id": state.get("playlist_item_id") or "",
        "already_published": already,
        "published_at": state.get("uploaded_at", ""),
        "video_sha256": state.get("sha256", ""),
        "resumed": int(state.get("resumes", 0)),
        "cost_usd": 0.0,
    }


@stage_asset(
    PUBLISHED,
    deps=[thumbnails],
    kinds={"youtube"},
    pool="publish",  # one publish step at a time across all runs: the daily cap check is race-free
    description="Publishes the validated video, thumbnail and metadata: to YouTube for channels with "
                "credentials (resumable, exactly once, within the project's quota), otherwise to a local "
                "channel folder. A partition is published at most once, and never beyond the channel's "
                "videos_per_day, its publish window or the day's quota: such a video is deferred, not failed.",
)
def published_uploads(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
                      publisher: Publisher) -> dg.MaterializeResult:
    step = StageStep(context, channels, storage, PUBLISHED)
    store, partition, ch = step.store, step.partition, step.channel
    already = _already_published(context, publisher, ch, partition)
    if not already:
        _require_rights(step)  # before review: a clip without reuse rights is never offered for approval
    held = hold_for_review(context, ch, partition, already_published=already)
    if held is not None:
        return held
    if publisher.uses_youtube(ch):
        return _publish_youtube(context, publisher, step)
    existing = publisher.existing(partition)
    if existing is None:
        _require_validated(step)
        script, _ = step.script()
        request = build_upload_request(script, ch, asset_credits(step))
        # The daily cap holds for every way a video gets here (schedules, sensors, backfills, the UI).
        ledger = Ledger(context.instance)
        now = utcnow()
        day = local_day(now, ch.timezone)
        decision = publish_decision(now, ch, published_today=len(ledger.published(ch.name, day)))
        if not decision.publish:
            return _deferred(context, ledger, ch.name, partition, decision.until, decision.reason)
        pub: Publication = publisher.publish(partition, video=step.file("video.mp4", VIDEO),
                                             thumbnail=step.file("thumbnail.jpg", THUMBNAIL), request=request)
        ledger.record_published(ch.name, day, partition, pub.video_id)
        context.log.info(f"published {partition} as {pub.video_id} ({decision.reason})")
    else:
        pub = existing
        context.log.info(f"{partition} was already published as {pub.video_id}; not publishing again")
    _record_used_topic(store, ch.name, partition)
    return step.result({
        "status": "already_published" if pub.already_published else "published",
        "video_id": pub.video_id,
        "url": dg.MetadataValue.url(pub.url),
        "folder": dg.MetadataValue.path(pub.folder),
        "privacy": pub.privacy,
        "already_published": pub.already_published,
        "published_at": pub.published_at,
    })
