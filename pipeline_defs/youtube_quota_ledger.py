"""YouTube state kept in the Dagster instance: the quota ledger, upload records and statistics.

Like ``ledger.py`` it uses the project's state table in the instance's database (``state.py``):
shared by every run worker, the daemon and the CLI, on SQLite and PostgreSQL, and backed up with
the instance. Keys (values are small JSON objects):

- ``shortsmith/youtube/quota/<project>/<pacific-day>``: ``{"used": {"videos.insert", "units"},
  "calls": {op: n}, "failed": {op: n}, "exhausted": {bucket: reason}}`` for one Google Cloud project
  on one Pacific day (YouTube's quota day);
- ``shortsmith/youtube/upload/<partition>``: one partition's publication state (session URI, byte
  offset, video id, read-back; see ``shortsmith.youtube``);
- ``shortsmith/youtube/videos/<channel>``: ``{partition: video_id}``, every video a channel has on YouTube
  (what ``video_statistics`` refreshes);
- ``shortsmith/youtube/stats/<channel>/<day>``: ``{video_id: {views, likes, comments, at, partition}}``.

Every quota reservation is one locked transaction that checks the limit and counts the call, so
the quota is never exceeded whichever processes spend it (uploads, statistics, trend discovery),
with or without the ``publish`` pool.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

from shortsmith.youtube_quota import QuotaBook, QuotaRules, utcnow

from .state import StateStore

PREFIX = "shortsmith/youtube"


class YouTubeQuotaLedger:
    """``shortsmith.youtube_quota.QuotaStore`` over the instance: one key per project per Pacific day."""

    def __init__(self, instance):
        self.kv = StateStore(instance)

    @staticmethod
    def key(project: str, day: date) -> str:
        return f"{PREFIX}/quota/{project}/{day.isoformat()}"

    def load(self, project: str, day: date) -> dict:
        return self.kv.get(self.key(project, day))

    def update(self, project: str, day: date, fn: Callable[[dict], dict | None]) -> dict:
        return self.kv.update(self.key(project, day), fn)

    def book(self, project: str, rules: QuotaRules, clock=utcnow) -> QuotaBook:
        return QuotaBook(self, project, rules, clock=clock)


class UploadRecords:
    """Per-partition publication state and the per-channel index of videos on YouTube."""

    def __init__(self, instance):
        self.kv = StateStore(instance)

    @staticmethod
    def key(partition: str) -> str:
        return f"{PREFIX}/upload/{partition}"

    @staticmethod
    def index_key(channel: str) -> str:
        return f"{PREFIX}/videos/{channel}"

    @staticmethod
    def stats_key(channel: str, day: date) -> str:
        return f"{PREFIX}/stats/{channel}/{day.isoformat()}"

    def get(self, partition: str) -> dict:
        return self.kv.get(self.key(partition))

    def save(self, state: dict) -> None:
        self.kv.set(self.key(state["partition"]), state)
        if state.get("video_id"):
            vid, partition = state["video_id"], state["partition"]
            index = self.videos(state["channel"])
            if index.get(partition) != vid:
                self.kv.update(self.index_key(state["channel"]), lambda v: {**v, partition: vid})

    def videos(self, channel: str) -> dict[str, str]:
        return self.kv.get(self.index_key(channel))

    def add_videos(self, channel: str, videos: dict[str, str]) -> None:
        self.kv.update(self.index_key(channel), lambda v: {**v, **videos})

    def record_stats(self, channel: str, day: date, stats: dict[str, dict]) -> None:
        self.kv.update(self.stats_key(channel, day), lambda v: {**v, **stats})

    def stats(self, channel: str, day: date) -> dict[str, dict]:
        return self.kv.get(self.stats_key(channel, day))
