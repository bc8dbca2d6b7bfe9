"""tiktok_posts and instagram_reels: the finished Short on TikTok and Instagram, exactly once per partition.

One asset per platform (not one multi-output step): each platform fails, retries, defers and shows
its history on its own, so a TikTok failure never blocks YouTube (``published_uploads``) or
Instagram, and each waits only for what it needs (TikTok: the watermark-free ``tiktok_videos``).

Each post's state lives in the instance (``platform_records``) and is saved after every step, so
a crash anywhere resumes without a second post: TikTok's publish id before the first byte,
Instagram's container id before the upload and ``publishing`` before ``media_publish``. A post that
the platform is still moderating or processing ends the step as ``pending`` (the worker is freed);
the ``platform_posts_sensor`` finishes it. Channels without a token for a platform publish to the
offline folder ``<root>/<platform>/<channel>/<partition>/`` instead.
"""


import dagster as dg

from shortsmith.errors import ConfigError, ValidationFailed
from shortsmith.instagram import PublishLimitDeferred, build_caption
from shortsmith.instagram import new_state as new_reel_state
from shortsmith.publish import with_credits
from shortsmith.storage import file_sha256
from shortsmith.tiktok import caption as tiktok_caption
from shortsmith.tiktok import new_state as new_tiktok_state

from ..approval import hold_for_review
from ..platform_records import PlatformRecords, post_id
from ..resources.channels import ChannelsResource
from ..resources.platforms import PlatformPublisher
from ..resources.storage import MediaStorage
from .published_uploads import asset_credits
from .stage import THUMBNAIL, VIDEO, Stage, StageStep, stage_asset
from .thumbnails import thumbnails
from .tiktok_videos import TIKTOK_VIDEO, tiktok_videos

TIKTOK_POSTS = Stage("tiktok_posts", None)
INSTAGRAM_REELS = Stage("instagram_reels", None)


def _validated(step: StageStep, *stages: Stage) -> None:
    for stage in stages:
        manifest = step.upstream(stage)
        if not manifest.get("checks_passed"):
            failed = [c["message"] for c in manifest.get("checks", []) if not c["passed"]]
            raise ValidationFailed(f"{stage.asset} did not pass validation: " + "; ".join(failed), field=stage.asset,
                                   fix=f"fix the cause and re-materialize {stage.asset} before publishing")


def _skip(platform: str, ch) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"status": "not_configured", "destination": platform, "cost_usd": 0.0,
                                          "reason": f"{ch.name} does not list {platform} in platforms:"})


def post_url(state: dict, channel_username: str | None = None) -> str:
    pid = post_id(state)
    if state.get("platform") == "tiktok":
        user = channel_username or (state.get("creator") or {}).get("creator_username") or ""
        return f"https://www.tiktok.com/@{user}/video/{pid}" if pid and user else ""
    return state.get("permalink") or ""


def post_meta(state: dict, *, already: bool) -> dict:
    status = state.get("status")
    out = {
        "status": "already_published" if already else {"done": "published"}.get(status, "pending"),
        "destination": state.get("platform", ""),
        "post_id": post_id(state) or "",
        "platform_status": state.get("tiktok_status") or state.get("status_code") or status or "",
        "already_published": already,
        "resumed": int(state.get("resumes", 0)),
        "cost_usd": 0.0,
    }
    url = post_url(state)
    if url:
        out["url"] = dg.MetadataValue.url(url)
    if state.get("platform") == "tiktok":
        out.update(publish_id=state.get("publish_id") or "", privacy=state.get("privacy") or "",
                   ai_generated=bool(state.get("ai_generated")), chunks=int(state.get("chunk_count") or 0))
    else:
        out.update(container_id=state.get("container_id") or "", source=state.get("source") or "")
    return out


def _offline(context, platforms: PlatformPublisher, platform: str, step: StageStep, video, request: dict):
    pub = platforms.offline(platform).existing(step.partition)
    if pub is None:
        pub = platforms.offline_publish(platform, step.partition, video=video,
                                        thumbnail=step.file("thumbnail.jpg", THUMBNAIL), request=request)
        context.log.info(f"published {step.partition} to the offline {platform} folder as {pub.video_id}")
    return dg.MaterializeResult(metadata={
        "status": "already_published" if pub.already_published else "published", "destination": f"{platform}-offline",
        "post_id": pub.video_id, "folder": dg.MetadataValue.path(pub.folder), "already_published": pub.already_published,
        "cost_usd": 0.0})


def _hand_over(state: dict, records: PlatformRecords) -> None:
    """The step ends with the post still on its way: from now on the sensor (or a later run) carries it."""
    if state.get("status") not in ("done", "rejected", "new"):
        state["handed_over"] = True
        records.save(state)


def _deferred(context, state: dict, records: PlatformRecords, until, reason: str) -> dg.MaterializeResult:
    state["deferred_until"] = until.isoformat()
    state["handed_over"] = True
    records.save(state)
    context.log.warning(f"not publishing {state['partition']} to {records.platform} now: {reason}")
    return dg.MaterializeResult(metadata={"status": "deferred", "destination": records.platform,
                                          "deferred_until": until.isoformat(), "reason": reason, "cost_usd": 0.0})


def _already_or_held(context, step: StageStep, platform: str, where: str, not_again: str):
    """The preamble both platforms share: (records, state, result) where result ends the step early: the
    channel does not use the platform, the video waits for review, or it is already posted."""
    partition, ch = step.partition, step.channel
    if not ch.platforms.uses(platform):
        return None, {}, _skip(platform, ch)
    records = PlatformRecords(context.instance, platform)
    state = records.get(partition)
    held = hold_for_review(context, ch, partition, already_published=state.get("status") == "done")
    if held is not None:
        return records, state, held
    if state.get("status") == "done":
        context.log.info(f"{partition} is already {where} ({post_id(state)}); {not_again}")
        return records, state, dg.MaterializeResult(metadata=post_meta(state, already=True))
    return records, state, None


@stage_asset(
    TIKTOK_POSTS,
    deps=[tiktok_videos, thumbnails],
    kinds={"tiktok"},
    pool="publish_tiktok",
    description="Posts the watermark-free video to TikTok (Content Posting API, FILE_UPLOAD in chunks, "
                "creator_info honoured, AI-generated label) exactly once; moderation is finished by "
                "platform_posts_sensor. Offline folder for channels without a TikTok token.",
)
def tiktok_posts(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
                 platforms: PlatformPublisher) -> dg.MaterializeResult:
    step = StageStep(context, channels, storage, TIKTOK_POSTS)
    partition, ch = step.partition, step.channel
    records, state, done = _already_or_held(context, step, "tiktok", "on TikTok", "not posting again")
    if done is not None:
        return done
    _validated(step, VIDEO)
    variant = step.store.manifest(partition, TIKTOK_VIDEO.folder) if ch.watermark else None
    if ch.watermark:
        _validated(step, TIKTOK_VIDEO)
    video = step.file("video.mp4", TIKTOK_VIDEO if variant is not None else VIDEO)
    script, _ = step.script()
    title = tiktok_caption(script.title, list(script.tags) or list(ch.tags))
    if not platforms.uses_cloud(ch, "tiktok"):
        return _offline(context, platforms, "tiktok", step, video,
                        {"status": {"privacyStatus": ch.platforms.tiktok.privacy_level}, "title": title,
                         "is_aigc": ch.platforms.tiktok.ai_generated})
    if not state or state.get("status") == "new":
        state = new_tiktok_state(partition, ch.name, file_sha256(video), video.stat().st_size)
    duration = float((step.upstream(VIDEO).get("report") or {}).get("duration_s") or ch.max_video_seconds)
    state["handed_over"] = False  # this step carries it now
    session = platforms.tiktok(ch, context.instance, log=context.log.info)
    try:
        state = session.publish(state, video=video, title=title, duration_s=duration, save=records.save)
    except TimeoutError as exc:  # the shared init/status window is full for longer than a step should wait
        from datetime import datetime, timedelta, timezone

        return _deferred(context, state, records, datetime.now(timezone.utc) + timedelta(minutes=2), str(exc))
    finally:
        session.api.close()
    if state["status"] == "processing":
        context.log.info(f"TikTok is still processing publish {state['publish_id']}; platform_posts_sensor "
                         f"finishes it")
    _hand_over(state, records)
    return dg.MaterializeResult(metadata=post_meta(state, already=False))


def _video_url(step: StageStep, ch) -> str | None:
    if ch.platforms.instagram.upload != "video_url":
        return None
    return presigned_video_url(step.store, step.partition, ch)


def presigned_video_url(store, partition: str, ch, expires_s: int = 6 * 3600) -> str:
    """A presigned GET of the partition's video in the S3 media store (what Instagram fetches)."""
    client = getattr(store, "client", None)
    if client is None or not hasattr(store, "object_key"):
        raise ConfigError("instagram.upload: video_url needs the S3 media store (a presigned URL Instagram can fetch)",
                          field=f"channels ({ch.name}).instagram.upload",
                          fix="set SHORTSMITH_STORAGE=s3, or use upload: resumable")
    return client.generate_presigned_url("get_object", ExpiresIn=expires_s, Params={
        "Bucket": store.bucket, "Key": store.object_key(partition, VIDEO.folder, "video.mp4")})


@stage_asset(
    INSTAGRAM_REELS,
    deps=[thumbnails],
    kinds={"instagram"},
    pool="publish_instagram",
    description="Publishes the video as an Instagram Reel (Graph API: REELS container by resumable upload or "
                "a presigned S3 video_url, status polling, media_publish) exactly once, within the account's "
                "24-hour publishing limit (deferred beyond it). Offline folder for channels without a token.",
)
def instagram_reels(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
                    platforms: PlatformPublisher) -> dg.MaterializeResult:
    step = StageStep(context, channels, storage, INSTAGRAM_REELS)
    partition, ch = step.partition, step.channel
    records, state, done = _already_or_held(context, step, "instagram", "on Instagram", "not publishing again")
    if done is not None:
        return done
    _validated(step, VIDEO)
    video = step.file("video.mp4", VIDEO)
    script, _ = step.script()
    caption = build_caption(script.title, with_credits(script.description, asset_credits(step)),
                            list(script.tags) or list(ch.tags))
    if not platforms.uses_cloud(ch, "instagram"):
        return _offline(context, platforms, "instagram", step, video,
                        {"status": {"privacyStatus": "public"}, "caption": caption, "media_type": "REELS"})
    if not state or state.get("status") == "new":
        state = new_reel_state(partition, ch.name, file_sha256(video), video.stat().st_size)
    state["handed_over"] = False  # this step carries it now
    session = platforms.instagram(ch, context.instance, log=context.log.info)
    try:
        state = session.publish(state, video=video, video_url=_video_url(step, ch), caption=caption,
                                save=records.save)
    except PublishLimitDeferred as exc:
        return _deferred(context, state, records, exc.until, exc.message)
    finally:
        session.api.close()
    _hand_over(state, records)
    return dg.MaterializeResult(metadata=post_meta(state, already=False))
