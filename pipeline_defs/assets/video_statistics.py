"""video_statistics: views, likes and comments of every published YouTube video, per video per day.

For each channel published to YouTube, ``videos.list(part=statistics)`` is called with at most 50
ids per call (1 quota unit each, counted in the project's quota ledger). The numbers are stored in
the instance per channel per channel-local day (``shortsmith/youtube/stats/<channel>/<day>``: the
latest refresh of the day wins), and the run's metadata carries a per-channel summary table.
Refreshed hourly by the ``refresh_video_statistics`` schedule.
"""


import dagster as dg

from shortsmith.quota import local_day, utcnow
from shortsmith.resilience import ProviderError
from shortsmith.youtube import STATS_BATCH, watch_url
from shortsmith.youtube_quota import QuotaDeferred

from .stage import md_table
from .errors import user_errors
from ..resources.channels import ChannelsResource
from ..resources.publisher import Publisher
from ..youtube_quota_ledger import UploadRecords

STATS_GROUP = "analytics"


@dg.asset(
    group_name=STATS_GROUP,
    kinds={"youtube"},
    pool="publish",  # shares the quota ledger with published_uploads: one writer at a time
    description="Views, likes and comments of every video published to YouTube, stored per video per day "
                "(videos.list part=statistics, 50 ids per call, within the project's quota).",
)
@user_errors
def video_statistics(context: dg.AssetExecutionContext, channels: ChannelsResource,
                     publisher: Publisher) -> dg.MaterializeResult:
    records = UploadRecords(context.instance)
    now = utcnow()
    rows, notes, errors = [], [], []
    total_videos = calls = 0
    for ch in channels.config.channels:
        videos = records.videos(ch.name)  # partition -> video id
        if not videos:
            continue
        if not publisher.uses_youtube(ch):
            notes.append(f"{ch.name}: {len(videos)} video(s) on YouTube but no credentials configured now")
            continue
        day = local_day(now, ch.timezone)
        ids = list(dict.fromkeys(videos.values()))
        by_id = {vid: p for p, vid in videos.items()}
        try:
            session = publisher.session(ch, context.instance, log=context.log.info)
            session.quota.check({"videos.list": -(-len(ids) // STATS_BATCH)})  # all batches fit, or none is made
            stats = session.statistics(ids)
        except QuotaDeferred as exc:
            notes.append(f"{ch.name}: skipped, {exc.message}")
            context.log.warning(f"statistics for {ch.name} skipped: {exc.message}")
            continue
        except ProviderError as exc:
            errors.append(f"{ch.name}: {exc.message}" + (f" (fix: {exc.fix})" if exc.fix else ""))
            continue
        calls += -(-len(ids) // STATS_BATCH)
        at = now.isoformat(timespec="seconds")
        records.record_stats(ch.name, day, {vid: {**s, "partition": by_id.get(vid, ""), "at": at}
                                            for vid, s in stats.items()})
        missing = [v for v in ids if v not in stats]
        if missing:
            notes.append(f"{ch.name}: {len(missing)} video(s) not returned by YouTube (deleted or private to "
                         f"another account): {', '.join(missing[:5])}")
        total_videos += len(stats)
        views = sum(s.get("views") or 0 for s in stats.values())
        likes = sum(s.get("likes") or 0 for s in stats.values())
        comments = sum(s.get("comments") or 0 for s in stats.values())
        top = max(stats.items(), key=lambda kv: kv[1].get("views") or 0, default=None)
        rows.append([ch.name, day.isoformat(), len(stats), views, likes, comments,
                     f"[{by_id.get(top[0], top[0])}]({watch_url(top[0])}) ({top[1].get('views') or 0})" if top else ""])
        context.log.info(f"{ch.name}: statistics of {len(stats)} video(s) stored for {day}")
    if errors and not rows:
        raise ProviderError("could not refresh statistics: " + "; ".join(errors), provider="youtube",
                            field="video_statistics", fix="see the channel's error above")
    for e in errors:
        context.log.error(f"statistics not refreshed for {e}")
    summary = md_table(["channel", "day", "videos", "views", "likes", "comments", "top video (views)"], rows) \
        if rows else "no published YouTube videos yet"
    return dg.MaterializeResult(metadata={
        "summary": dg.MetadataValue.md(summary),
        "videos": total_videos,
        "channels": len(rows),
        "api_calls": calls,
        "notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in notes + errors)) if notes or errors else "",
        "refreshed_at": now.isoformat(timespec="seconds"),
        "cost_usd": 0.0,
    })
