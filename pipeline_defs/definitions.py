"""The Shortsmith code location."""

import dagster as dg

from . import automation, settings
from .assets import ALL_ASSETS
from .jobs import discover_trends_job, make_video_job
from .resources.channels import ChannelsResource
from .resources.images import ProceduralImageProvider
from .resources.music import SynthMusicProvider
from .resources.publisher import LocalFolderPublisher
from .resources.renderer import RendererSettings
from .resources.script_writer import OfflineScriptWriter
from .resources.storage import MediaStorage
from .resources.trends import OfflineTrendSource
from .resources.voice import PiperVoiceProvider


def offline_resources() -> dict:
    """The offline defaults: no API key, no network."""
    return {
        "channels": ChannelsResource(path=settings.channels_path()),
        "storage": MediaStorage(root=settings.media_root()),
        "trend_source": OfflineTrendSource(),
        "script_writer": OfflineScriptWriter(),
        "voice": PiperVoiceProvider(),
        "images": ProceduralImageProvider(),
        "music_provider": SynthMusicProvider(),
        "renderer": RendererSettings(width=settings.render_size()[0], height=settings.render_size()[1]),
        "publisher": LocalFolderPublisher(root=settings.channel_dir()),
    }


defs = dg.Definitions(
    assets=ALL_ASSETS,
    jobs=[make_video_job, discover_trends_job],
    schedules=automation.schedules,
    sensors=automation.sensors,
    resources=offline_resources(),
)
