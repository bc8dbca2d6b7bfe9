"""The Shortsmith code location."""

import dagster as dg

from . import automation, settings
from .assets import ALL_ASSETS, QUALITY_CHECKS
from .executors import executor_from_env
from .jobs import discover_trends_job, make_video_job, publish_platforms_job, reference_job
from .resources.channels import ChannelsResource
from .resources.images import VisualProviders
from .resources.music_provider import MusicProviders
from .resources.platforms import platform_publisher_from_env
from .resources.publisher import publisher_from_env
from .resources.renderer import RendererSettings
from .resources.script_writer import ScriptWriters
from .resources.transcriber import Transcribers
from .resources.storage import storage_from_env
from .resources.trend_source import TrendSources
from .resources.voice import VoiceProviders


def provider_resources(s: settings.Settings) -> dict:
    """Every provider of every capability, always declared: the offline default is always configured,
    a cloud provider is configured when its key or switch is set (README "Cloud providers")."""
    return {
        "trend_source": TrendSources.from_settings(s.providers),  # offline; google_trends, youtube
        "script_writer": ScriptWriters.from_settings(s.providers),  # offline; openai, local
        "transcriber": Transcribers.from_settings(s.providers),  # local (bundled whisper); openai
        "voice": VoiceProviders.from_settings(s.providers.elevenlabs),  # piper; elevenlabs
        "images": VisualProviders.from_settings(s.providers),  # procedural; pexels, openai, diffusers
        "music_provider": MusicProviders.from_settings(s.providers),  # library, composer, synth; musicapi
    }


def location_resources(s: settings.Settings | None = None) -> dict:
    """The code location's resources for ``s`` (default: the environment's settings). The set is the
    same in every environment; only storage follows SHORTSMITH_STORAGE (local folders or S3)."""
    s = s or settings.load()
    return {
        "channels": ChannelsResource(path=s.channels),
        "storage": storage_from_env(s.media, s.storage),
        **provider_resources(s),
        "renderer": RendererSettings(width=s.render_size[0], height=s.render_size[1], depth=s.render_depth),
        # the offline channel folder; YouTube for channels with a youtube: block (README "Publishing to YouTube")
        "publisher": publisher_from_env(s.channel_dir, s),
        # TikTok / Instagram per channel's platforms: (README "Publishing to TikTok and Instagram")
        "platforms": platform_publisher_from_env(s.channel_dir),
    }


_settings = settings.load()
defs = dg.Definitions(
    assets=ALL_ASSETS,
    asset_checks=QUALITY_CHECKS,  # the quality gate and uniqueness, before publishing
    jobs=[make_video_job, discover_trends_job, reference_job, publish_platforms_job, *automation.jobs],
    schedules=automation.schedules,
    sensors=automation.sensors,
    resources=location_resources(_settings),
    executor=executor_from_env(_settings.executor),  # in_process (default), multiprocess, celery or k8s
)
