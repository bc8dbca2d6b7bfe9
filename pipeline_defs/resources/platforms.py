"""The TikTok and Instagram publishers: one resource, per channel and platform the cloud or the offline folder.

A channel with ``tiktok`` (``instagram``) in its ``platforms:`` and a token configured in its
``tiktok:`` (``instagram:``) block posts there; without a token it gets the offline stand-in: the
video and its request in ``<root>/<platform>/<channel>/<partition>/`` (exactly once, like the YouTube
channel folder). Tokens are read at run time from their 0600 files or environment variables, never
from this resource's config; its endpoints and limits are ``dagster.EnvVar`` when set
(``platform_publisher_from_env``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, ClassVar

import dagster as dg

from shortsmith.config import Channel
from shortsmith.instagram import DEFAULT_GRAPH_URL, DEFAULT_RUPLOAD_URL, InstagramApi, ReelsSession, ReelsSettings
from shortsmith.instagram.api import DEFAULT_REFRESH_URL
from shortsmith.instagram import load_token as load_ig_token
from shortsmith.publish import LocalChannelPublisher, Publication
from shortsmith.ratewindow import RateWindow
from shortsmith.resilience import RetryPolicy
from shortsmith.tiktok import DEFAULT_BASE_URL, TikTokApi, TikTokSession, TikTokSettings, client_credentials, load_token

from ..state import StateStore
from .provider_set import Provider

# environment variable -> (field, kind): read as dagster.EnvVar when set
PLATFORM_PUBLISHER_VARS = {
    "SHORTSMITH_TIKTOK_BASE_URL": ("tiktok_base_url", "str"),  # only to point at an emulator or proxy
    "SHORTSMITH_TIKTOK_CHUNK_BYTES": ("tiktok_chunk_size", "int"),  # 5-64 MiB
    "SHORTSMITH_INSTAGRAM_GRAPH_URL": ("instagram_graph_url", "str"),
    "SHORTSMITH_INSTAGRAM_RUPLOAD_URL": ("instagram_rupload_url", "str"),
    "SHORTSMITH_INSTAGRAM_REFRESH_URL": ("instagram_refresh_url", "str"),
}


class PlatformPublisher(Provider):
    """TikTok (Content Posting API) and Instagram (Graph API Reels) per channel; the offline folder otherwise."""

    provider: ClassVar[str] = "platforms"
    configure_hint: ClassVar[str] = ("add tiktok/instagram to a channel's platforms: and its token block "
                                     "(README 'Publishing to TikTok and Instagram')")

    root: str  # the offline folder: <root>/<platform>/<channel>/<partition>/
    tiktok_base_url: str = DEFAULT_BASE_URL
    tiktok_chunk_size: int = 10 * 1024 * 1024
    instagram_graph_url: str = DEFAULT_GRAPH_URL
    instagram_rupload_url: str = DEFAULT_RUPLOAD_URL
    instagram_refresh_url: str = DEFAULT_REFRESH_URL  # Instagram-Login tokens (token_file with expires_at)
    timeout_s: float = 120.0
    max_attempts: int = 5
    base_delay_s: float = 2.0
    max_delay_s: float = 60.0
    polls_per_run: int = 3  # status checks in a publishing step before it hands over to the sensor
    poll_interval_s: float = 10.0

    def uses_cloud(self, channel: Channel, platform: str) -> bool:
        cfg = channel.platforms
        return cfg.tiktok.configured if platform == "tiktok" else cfg.instagram.configured

    def policy(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=self.max_attempts, base_delay_s=self.base_delay_s, max_delay_s=self.max_delay_s)

    def tiktok(self, channel: Channel, instance, *, log: Callable[[str], None] = lambda m: None,
               sleep: Callable[[float], None] | None = None) -> TikTokSession:
        token, path = load_token(channel)
        key, secret = client_credentials(channel)
        api = TikTokApi(token, channel=channel.name, client_key=key, client_secret=secret,
                        base_url=self.tiktok_base_url, timeout_s=self.timeout_s, token_path=path)
        settings = TikTokSettings(chunk_size=self.tiktok_chunk_size, policy=self.policy(),
                                  polls_per_run=self.polls_per_run, poll_interval_s=self.poll_interval_s)
        return TikTokSession(api, channel, RateWindow(StateStore(instance)), settings=settings, sleep=sleep, log=log)

    def instagram(self, channel: Channel, instance, *, log: Callable[[str], None] = lambda m: None,
                  sleep: Callable[[float], None] | None = None) -> ReelsSession:
        token, path = load_ig_token(channel)
        api = InstagramApi(token, channel=channel.name, user_id=str(channel.platforms.instagram.user_id),
                           graph_url=self.instagram_graph_url, rupload_url=self.instagram_rupload_url,
                           timeout_s=self.timeout_s, token_path=path, refresh_url=self.instagram_refresh_url)
        settings = ReelsSettings(policy=self.policy(), polls_per_run=self.polls_per_run,
                                 poll_interval_s=self.poll_interval_s)
        return ReelsSession(api, channel, StateStore(instance), settings=settings, sleep=sleep, log=log)

    def offline(self, platform: str) -> LocalChannelPublisher:
        return LocalChannelPublisher(Path(self.root) / platform)

    def offline_publish(self, platform: str, partition: str, *, video: Path, thumbnail: Path,
                        request: dict) -> Publication:
        return self.offline(platform).publish(partition, video=video, thumbnail=thumbnail, request=request)


def platform_publisher_from_env(root: str, environ: dict | None = None) -> PlatformPublisher:
    env = os.environ if environ is None else environ
    kwargs: dict = {}
    for name, (field, kind) in PLATFORM_PUBLISHER_VARS.items():
        if env.get(name):
            kwargs[field] = dg.EnvVar.int(name) if kind == "int" else dg.EnvVar(name)
    return PlatformPublisher(root=root, **kwargs)
