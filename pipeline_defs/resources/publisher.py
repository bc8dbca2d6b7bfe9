"""Publisher resources: the offline channel folder (default) and YouTube per channel.

``YouTubePublisher`` chooses per channel: a channel whose ``youtube:`` block names credentials
(``credentials`` file or ``credentials_env``) is published to YouTube; every other channel goes to
the offline folder at ``root`` exactly as ``LocalFolderPublisher`` does. The channel's tokens are
read at run time from its file or environment variable (never from resource config, so they are
never shown in the UI, logged or stored in run config).
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Callable

import dagster as dg

from shortsmith.config import Channel
from shortsmith.publish import LocalChannelPublisher, Publication
from shortsmith.resilience import RetryPolicy
from shortsmith.youtube import (DEFAULT_ROOT_URL, YouTubeApi, YouTubeSession, YouTubeSettings, load_authorized_user,
                                publication_from_state)
from shortsmith.youtube_quota import DEFAULT_COSTS, QuotaBook, QuotaRules

from .. import settings
from .provider_set import Provider


class Publisher(Provider):
    """Publishes a finished Short exactly once per partition."""

    @abstractmethod
    def existing(self, partition: str) -> Publication | None:
        """The partition's publication if it was published already."""

    @abstractmethod
    def publish(self, partition: str, *, video: Path, thumbnail: Path, request: dict) -> Publication:
        """Publish the video once; ``request`` is the upload's metadata (title, description, status)."""

    def uses_youtube(self, channel: Channel) -> bool:
        """Whether this channel's videos go to YouTube (else: ``publish`` above)."""
        return False


class LocalFolderPublisher(Publisher):
    """The offline default: a local folder per channel with the video, thumbnail and metadata JSON."""

    root: str

    def _impl(self) -> LocalChannelPublisher:
        return LocalChannelPublisher(self.root)

    def existing(self, partition: str) -> Publication | None:
        return self._impl().existing(partition)

    def publish(self, partition: str, *, video: Path, thumbnail: Path, request: dict) -> Publication:
        return self._impl().publish(partition, video=video, thumbnail=thumbnail, request=request)


class YouTubePublisher(LocalFolderPublisher):
    """YouTube for channels with credentials, the offline folder at ``root`` for the others.

    Quota numbers default to YouTube's published defaults (100 ``videos.insert`` calls and 10,000
    units a day per Google Cloud project, reset at midnight Pacific); set them to the project's
    real quota. ``root_url``/``token_uri`` point at the API and token endpoint (a loopback
    emulator in tests; leave the defaults in production).
    """

    root_url: str = DEFAULT_ROOT_URL
    token_uri: str | None = None  # None: Google's token endpoint
    chunk_size: int = 8 * 1024 * 1024  # bytes per resumable chunk, a multiple of 256 KiB
    timeout_s: float = 120.0  # per HTTP request
    max_attempts: int = 5  # per call (and per chunk without progress)
    base_delay_s: float = 2.0
    max_delay_s: float = 60.0
    insert_calls_per_day: int = 100  # the videos.insert bucket, per project
    units_per_day: int = 10_000  # the units bucket (every other method), per project
    unit_costs: dict[str, int] = {}  # overrides of shortsmith.youtube_quota.DEFAULT_COSTS

    def uses_youtube(self, channel: Channel) -> bool:
        return channel.youtube.configured and channel.platforms.uses("youtube")

    def rules(self) -> QuotaRules:
        return QuotaRules(insert_calls_per_day=self.insert_calls_per_day, units_per_day=self.units_per_day,
                          costs={**DEFAULT_COSTS, **(self.unit_costs or {})})

    def quota(self, instance, channel: Channel) -> QuotaBook:
        from ..youtube_quota_ledger import YouTubeQuotaLedger

        return YouTubeQuotaLedger(instance).book(channel.youtube.project, self.rules())

    def session(self, channel: Channel, instance, *, log: Callable[[str], None] = lambda m: None,
                sleep: Callable[[float], None] | None = None) -> YouTubeSession:
        """A YouTube session for this channel (its credentials, its project's quota ledger)."""
        info = load_authorized_user(channel)
        api = YouTubeApi(info, channel=channel.name, root_url=self.root_url, token_uri=self.token_uri,
                         timeout_s=self.timeout_s)
        settings = YouTubeSettings(chunk_size=self.chunk_size,
                                   policy=RetryPolicy(max_attempts=self.max_attempts, base_delay_s=self.base_delay_s,
                                                      max_delay_s=self.max_delay_s))
        return YouTubeSession(api, self.quota(instance, channel), channel, settings=settings, sleep=sleep, log=log)

    def existing(self, partition: str, instance=None) -> Publication | None:
        """The offline publication, or the finished YouTube publication recorded in the instance."""
        found = super().existing(partition)
        if found is not None:
            return found
        if instance is None:
            try:
                instance = dg.DagsterInstance.get()
            except Exception:  # no DAGSTER_HOME: nothing recorded to look at
                return None
        from ..youtube_quota_ledger import UploadRecords

        state = UploadRecords(instance).get(partition)
        if state.get("video_id") and state.get("status") == "done":
            return publication_from_state(state, already=True)
        return None


def quota_rules_from_env() -> QuotaRules:
    """The quota numbers SHORTSMITH_YOUTUBE_INSERTS_PER_DAY / _UNITS_PER_DAY set (YouTube's defaults otherwise),
    for code that spends the quota outside the publisher (trend discovery)."""
    s = settings.load()
    return QuotaRules(insert_calls_per_day=s.youtube_inserts_per_day, units_per_day=s.youtube_units_per_day)


def publisher_from_env(root: str, s: settings.Settings | None = None) -> YouTubePublisher:
    """The code location's publisher: YouTube for channels with credentials, ``root`` for the rest.

    Its quota and endpoint settings are dagster.EnvVar (read when a run publishes). Channel tokens
    are never resource config: each channel's ``youtube.credentials`` file (0600) or the environment
    variable named by its ``youtube.credentials_env`` is read when a run publishes.
    """
    s = s or settings.load()
    kwargs: dict = {}
    for name in s.youtube_publisher_vars:
        field, kind = settings.YOUTUBE_PUBLISHER_VARS[name]
        kwargs[field] = dg.EnvVar.int(name) if kind == "int" else dg.EnvVar(name)
    return YouTubePublisher(root=root, **kwargs)
