"""platform_statistics: TikTok and Instagram numbers per post per day, and one table per channel across platforms.

TikTok: ``/v2/video/query/`` (views, likes, comments, shares; scope ``video.list``, 20 ids per call).
Instagram: ``/{media-id}/insights?metric=views,likes,comments,shares``. Stored like YouTube's
(``shortsmith/<platform>/stats/<channel>/<day>``, the day's latest refresh wins); the summary adds
the YouTube numbers ``video_statistics`` stored for the same day, so one row per channel shows every
platform. A platform that fails is a note for that channel and platform only. Refreshed hourly with
``video_statistics`` (the ``refresh_video_statistics`` job).
"""

import dagster as dg

from shortsmith.errors import ShortsmithError
from shortsmith.quota import local_day, utcnow

from ..platform_records import PlatformRecords
from ..resources.channels import ChannelsResource
from ..resources.platforms import PlatformPublisher
from ..youtube_quota_ledger import UploadRecords
from .errors import user_errors
from .stage import md_table
from .video_statistics import STATS_GROUP

METRICS = ("views", "likes", "comments", "shares")


def _sum(stats: dict[str, dict], metric: str) -> int:
    return sum(int(s.get(metric) or 0) for s in stats.values())


@dg.asset(
    group_name=STATS_GROUP,
    kinds={"tiktok", "instagram"},
    description="Views, likes, comments and shares of every TikTok post and Instagram Reel, stored per post per "
                "day, and a per-channel table across YouTube, TikTok and Instagram.",
)
@user_errors
def platform_statistics(context: dg.AssetExecutionContext, channels: ChannelsResource,
                        platforms: PlatformPublisher) -> dg.MaterializeResult:
    now = utcnow()
    at = now.isoformat(timespec="seconds")
    rows, notes = [], []
    stored = 0
    for ch in channels.config.channels:
        day = local_day(now, ch.timezone)
        per_platform: dict[str, dict[str, dict]] = {"youtube": UploadRecords(context.instance).stats(ch.name, day)}
        for platform in ("tiktok", "instagram"):
            records = PlatformRecords(context.instance, platform)
            posts = records.posts(ch.name)  # partition -> post id
            if not posts:
                continue
            if not platforms.uses_cloud(ch, platform):
                notes.append(f"{ch.name}: {len(posts)} {platform} post(s) but no token configured now")
                continue
            by_id = {pid: p for p, pid in posts.items()}
            try:
                session = platforms.tiktok(ch, context.instance, log=context.log.info) if platform == "tiktok" \
                    else platforms.instagram(ch, context.instance, log=context.log.info)
                try:
                    stats = session.statistics(list(by_id))
                finally:
                    session.api.close()
            except ShortsmithError as exc:
                notes.append(f"{ch.name} on {platform}: {exc.message}" + (f" (fix: {exc.fix})" if exc.fix else ""))
                context.log.error(f"{platform} statistics for {ch.name} not refreshed: {exc.message}")
                continue
            records.record_stats(ch.name, day, {pid: {**s, "partition": by_id.get(pid, ""), "at": at}
                                                for pid, s in stats.items()})
            per_platform[platform] = records.stats(ch.name, day)
            stored += len(stats)
        if not any(per_platform.values()):
            continue
        row: list = [ch.name, day.isoformat()]
        for platform in ("youtube", "tiktok", "instagram"):
            stats = per_platform.get(platform) or {}
            row.append(f"{len(stats)} / {_sum(stats, 'views')} / {_sum(stats, 'likes')} / {_sum(stats, 'comments')}"
                       + (f" / {_sum(stats, 'shares')}" if platform != "youtube" else "") if stats else "-")
        row.append(sum(_sum(per_platform.get(p) or {}, "views") for p in ("youtube", "tiktok", "instagram")))
        rows.append(row)
    summary = md_table(["channel", "day", "YouTube (videos / views / likes / comments)",
                        "TikTok (posts / views / likes / comments / shares)",
                        "Instagram (reels / views / likes / comments / shares)", "views, all platforms"], rows) \
        if rows else "no statistics yet on any platform"
    return dg.MaterializeResult(metadata={
        "summary": dg.MetadataValue.md(summary),
        "posts": stored,
        "channels": len(rows),
        "notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in notes)) if notes else "",
        "refreshed_at": at,
        "cost_usd": 0.0,
    })
