"""trending_topics: scored topic candidates for every channel, from its trend sources merged."""


from datetime import datetime, timezone

import dagster as dg

from shortsmith.storage import fingerprint
from shortsmith.trends import collect_trends

from .errors import user_errors
from ..providers import provider_run
from ..resources.channels import ChannelsResource
from ..resources.trend_source import TrendSources
from ..resources.storage import MediaStorage
from .stage import GROUP, md_table, record_cost


class TrendsConfig(dg.Config):
    channels: list[str] = []  # empty: every channel
    top_n: int = 10


@dg.asset(group_name=GROUP, kinds={"python", "youtube"},
          description="Scored topic candidates per channel: its providers.trends (Google Trends, YouTube search "
                      "and mostPopular) merged and scored per niche, with the channel's topics list as the fallback.")
@user_errors
def trending_topics(context: dg.AssetExecutionContext, config: TrendsConfig, channels: ChannelsResource,
                    storage: MediaStorage, trend_source: TrendSources) -> dg.MaterializeResult:
    store = storage.store()
    day = datetime.now(timezone.utc).date()
    names = config.channels or channels.config.names
    rows, summary, sources, total_cost, quota_units = [], {}, {}, 0.0, 0.0
    hints = trend_source.unconfigured_hints()
    for name in names:
        channel = channels.get(name)
        run = provider_run(context, channels.config.pricing)
        published = store.read_record("used-topics", channel.name) or {}
        used = set(published.get("slugs", []))
        fetchers = {}
        for source in channel.providers.trends:
            impl = trend_source.get(source) if source != "offline" else None
            fetchers[source] = ((lambda s=impl: s.discover(channel, day=day, used_slugs=used, calls=run.calls))
                                if impl is not None else None)
        outcome = collect_trends(channel, fetchers, day=day, used_slugs=used, breaker=run.breaker, log=run.log,
                                 unconfigured_fix=hints)
        scored = outcome.topics[: config.top_n]
        info = outcome.metadata()
        store.write_record("trends", channel.name, {
            "channel": channel.name, "day": day.isoformat(), "source": info.get("sources_used"),
            "topics": [t.__dict__ for t in scored],
        })
        summary[channel.name] = len(scored)
        sources[channel.name] = info
        rows += [[channel.name, t.topic, f"{t.score:.1f}", t.source, t.partition_key] for t in scored]
        context.log.info(f"{channel.name}: {len(scored)} topics, top: {scored[0].topic if scored else '-'}")
        cost = record_cost(context, channel, "trending_topics", f"trends-{day.isoformat()}", run.meter)
        total_cost += cost["cost_usd"]
        quota_units += sum(i.units.get("unit", 0.0) for i in run.meter.items if i.provider == "youtube")
    # A script takes its topic from the request written when its partition was added, so a new day's
    # scores change no existing video: the version scripts depend on is the set of channels scored.
    return dg.MaterializeResult(data_version=dg.DataVersion(fingerprint("trends-v1", sorted(names))), metadata={
        "day": day.isoformat(),
        "topics_per_channel": summary,
        "sources": dg.MetadataValue.json(sources),
        "topics": dg.MetadataValue.md(md_table(["channel", "topic", "score", "source", "partition"], rows)),
        "youtube_quota_units": quota_units,
        "cost_usd": round(total_cost, 6),
    })
