"""TikTok and Instagram publication state in the project's state table (``state.py``), like the YouTube one.

Keys (small JSON values; every write one transaction):

- ``shortsmith/<platform>/post/<partition>``: one partition's post on the platform (see
  ``shortsmith.tiktok.post`` / ``shortsmith.instagram.reels`` for the fields): THE record of whether it
  was posted, so a re-run, a sensor or a second worker never posts it again;
- ``shortsmith/<platform>/posts/<channel>``: ``{partition: post id}`` of everything posted (statistics);
- ``shortsmith/<platform>/stats/<channel>/<day>``: ``{post id: {views, likes, comments, shares, at}}``;
- ``shortsmith/tiktok/rate/<open_id>/<init|status>`` and ``shortsmith/instagram/published/<user id>``:
  the shared rate windows and 24-hour publishing reservations (``shortsmith.ratewindow``, ``.instagram``).
"""

from __future__ import annotations

import time
from datetime import date

from .state import StateStore

PLATFORMS = ("tiktok", "instagram")
PENDING = ("uploading", "processing", "ready", "publishing")


def post_id(state: dict) -> str | None:
    if state.get("platform") == "tiktok":
        ids = state.get("post_ids") or []
        return str(ids[0]) if ids else (state.get("publish_id") if state.get("status") == "done" else None)
    return state.get("media_id")


class PlatformRecords:
    def __init__(self, instance, platform: str):
        if platform not in PLATFORMS:
            raise ValueError(platform)
        self.kv = StateStore(instance)
        self.platform = platform

    def key(self, partition: str) -> str:
        return f"shortsmith/{self.platform}/post/{partition}"

    def index_key(self, channel: str) -> str:
        return f"shortsmith/{self.platform}/posts/{channel}"

    def stats_key(self, channel: str, day: date) -> str:
        return f"shortsmith/{self.platform}/stats/{channel}/{day.isoformat()}"

    def get(self, partition: str) -> dict:
        return self.kv.get(self.key(partition))

    def save(self, state: dict) -> None:
        state["updated_at"] = time.time()
        self.kv.set(self.key(state["partition"]), state)
        pid = post_id(state) if state.get("status") == "done" else None
        if pid:
            partition = state["partition"]
            self.kv.update(self.index_key(state["channel"]), lambda v: {**v, partition: pid})

    def posts(self, channel: str) -> dict[str, str]:
        return self.kv.get(self.index_key(channel))

    def pending(self) -> list[dict]:
        """Every record still on its way (uploaded, waiting for moderation/processing, or mid-publish)."""
        keys = self.kv.keys(f"shortsmith/{self.platform}/post/")
        values = self.kv.get_many(keys)
        return [v for v in values.values() if v.get("status") in PENDING]

    def record_stats(self, channel: str, day: date, stats: dict[str, dict]) -> None:
        self.kv.update(self.stats_key(channel, day), lambda v: {**v, **stats})

    def stats(self, channel: str, day: date) -> dict[str, dict]:
        return self.kv.get(self.stats_key(channel, day))
