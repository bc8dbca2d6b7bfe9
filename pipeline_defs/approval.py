"""The review gate of published_uploads: a channel with ``review: required`` publishes only approved videos.

A finished video of such a channel ends its run with ``status: awaiting_approval`` and nothing
uploaded; the studio (page or API) records the approval and launches ``published_uploads`` for the
partition again, which then publishes it (exactly once: the publisher never uploads a partition twice).
"""

from __future__ import annotations

import dagster as dg

from shortsmith.config import Channel

AWAITING = "awaiting_approval"


def hold_for_review(context: dg.AssetExecutionContext, channel: Channel, partition: str,
                    already_published: bool) -> dg.MaterializeResult | None:
    """The result that holds the video for review, or None when it may be published now."""
    if channel.review != "required" or already_published:
        return None
    from studio import db

    state = db.mark_awaiting(partition, channel.name)
    if state == "approved":
        context.log.info(f"{partition} was approved in the studio: publishing")
        return None
    context.log.info(f"{partition} waits for approval ({channel.name} has review: required); nothing published")
    return dg.MaterializeResult(metadata={
        "status": AWAITING,
        "reason": f"{channel.name} has review: required; approve it in the studio (shortsmith studio) or the API",
        "cost_usd": 0.0,
    })
