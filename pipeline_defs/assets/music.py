"""music: a background bed as long as the video, mixed under the voice at assembly."""

import dagster as dg

from shortsmith.render import video_duration

from ..resources.channels import ChannelsResource
from ..resources.music_provider import MusicProvider
from ..resources.renderer import RendererSettings
from ..resources.storage import MediaStorage
from .stage import MUSIC, StageStep, stage_asset
from .voiceovers import voiceovers


@stage_asset(MUSIC, deps=[voiceovers], kinds={"python"},
             description="A music bed for the whole video (offline: synthesized ambient music in the channel's mood).")
def music(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
          music_provider: MusicProvider, renderer: RendererSettings) -> dg.MaterializeResult:
    step = StageStep(context, channels, storage, MUSIC)
    vo, _ = step.voiceover()
    duration = video_duration(vo, renderer.settings())
    mood = step.channel.music_mood
    if not step.reuse(round(duration, 3), mood, step.partition, type(music_provider).__name__):
        with step.write({"duration_seconds": duration, "mood": mood}) as w:
            music_provider.bed(w.path("music.wav"), duration_s=duration, mood=mood, seed=step.partition)
    return step.result({
        "duration_seconds": round(duration, 2),
        "mood": mood,
        "provider": type(music_provider).__name__,
    })
