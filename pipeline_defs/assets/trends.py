"""trending_topics: scored topic candidates for every channel."""


from datetime import datetime, timezone

import dagster as dg

from .errors import user_errors
from ..resources.channels import ChannelsResource
from ..resources.storage import MediaStorage
from ..resources.trends import TrendSource
from .common import GROUP, md_table


class TrendsConfig(dg.Config):
    channels: list[str] = []  # empty: every channel
    top_n: int = 10


@dg.asset(group_name=GROUP, kinds={"python"}, description="Scored topic candidates per channel (offline: the channel's topics list).")
@user_errors
def trending_topics(context: dg.AssetExecutionContext, config: TrendsConfig, channels: ChannelsResource,
                    storage: MediaStorage, trend_source: TrendSource) -> dg.MaterializeResult:
    store = storage.store()
    day = datetime.now(timezone.utc).date()
    names = config.channels or channels.config.names
    rows, summary = [], {}
    for name in names:
        channel = channels.get(name)
        published = store.read_record("used-topics", channel.name) or {}
        scored = trend_source.discover(channel, day=day, used_slugs=set(published.get("slugs", [])))[: config.top_n]
        store.write_record("trends", channel.name, {
            "channel": channel.name, "day": day.isoformat(), "source": type(trend_source).__name__,
            "topics": [t.__dict__ for t in scored],
        })
        summary[channel.name] = len(scored)
        rows += [[channel.name, t.topic, f"{t.score:.1f}", t.partition_key] for t in scored]
        context.log.info(f"{channel.name}: {len(scored)} topics, top: {scored[0].topic if scored else '-'}")
    return dg.MaterializeResult(metadata={
        "day": day.isoformat(),
        "topics_per_channel": summary,
        "topics": dg.MetadataValue.md(md_table(["channel", "topic", "score", "partition"], rows)),
        "cost_usd": 0.0,
    })
