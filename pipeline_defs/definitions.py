"""The Shortsmith code location."""

import dagster as dg

from . import automation, settings
from .assets import ALL_ASSETS, QUALITY_CHECKS
from .jobs import discover_trends_job, make_video_job
from .resources.channels import ChannelsResource
from .resources.music import SynthMusicProvider
from .resources.publisher import publisher_from_env
from .resources.renderer import RendererSettings
from .resources.chains import (script_writers_from_env, trend_sources_from_env, visual_providers_from_env,
                               voice_providers_from_env)
from .executors import executor_from_env
from .resources.storage import storage_from_env


def offline_resources() -> dict:
    """The resources: the offline defaults (no key, no network), plus each cloud provider whose key or
    switch is set in the environment (README "Cloud providers"); storage follows the environment too."""
    return {
        "channels": ChannelsResource(path=settings.channels_path()),
        "storage": storage_from_env(settings.media_root()),  # local folders, or S3 with SHORTSMITH_STORAGE=s3
        "trend_source": trend_sources_from_env(),  # offline; + google_trends, youtube (see README)
        "script_writer": script_writers_from_env(),  # offline; + openai with OPENAI_API_KEY / OPENAI_BASE_URL
        "voice": voice_providers_from_env(),  # piper; + elevenlabs with ELEVENLABS_API_KEY
        "images": visual_providers_from_env(),  # procedural; + pexels, openai, diffusers (see README)
        "music_provider": SynthMusicProvider(),
        "renderer": RendererSettings(width=settings.render_size()[0], height=settings.render_size()[1]),
        # the offline channel folder; YouTube for channels with a youtube: block (README "Publishing to YouTube")
        "publisher": publisher_from_env(settings.channel_dir()),
    }


defs = dg.Definitions(
    assets=ALL_ASSETS,
    asset_checks=QUALITY_CHECKS,  # the quality gate and uniqueness, before publishing
    jobs=[make_video_job, discover_trends_job],
    schedules=automation.schedules,
    sensors=automation.sensors,
    resources=offline_resources(),
    executor=executor_from_env(),  # multiprocess (default), in_process, celery or k8s
)
