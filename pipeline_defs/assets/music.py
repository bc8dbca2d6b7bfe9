"""music: a background bed as long as the video, mixed under the voice at assembly."""


import dagster as dg

from shortsmith.render import video_duration
from shortsmith.storage import fingerprint

from .errors import user_errors
from ..partitions import videos_partitions
from ..resources.channels import ChannelsResource
from ..resources.music_provider import MusicProvider
from ..resources.renderer import RendererSettings
from ..resources.storage import MediaStorage
from .stage import MEDIA_BACKFILL, GROUP, MUSIC, file_meta, load_voiceover, resolve_video
from .voiceovers import voiceovers


@dg.asset(
    partitions_def=videos_partitions,
    backfill_policy=MEDIA_BACKFILL,
    deps=[voiceovers],
    group_name=GROUP,
    kinds={"python"},
    description="A music bed for the whole video (offline: synthesized ambient music in the channel's mood).",
)
@user_errors
def music(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
          music_provider: MusicProvider, renderer: RendererSettings) -> dg.MaterializeResult:
    video = resolve_video(context.partition_key, channels, storage)
    store, partition = video.store, video.partition
    vo, voice_manifest = load_voiceover(store, partition)
    duration = video_duration(vo, renderer.settings())
    mood = video.channel.music_mood
    fp = fingerprint("music-v1", round(duration, 3), mood, partition, type(music_provider).__name__)
    reused = store.reusable(partition, MUSIC, fp) is not None
    if not reused:
        with store.write_stage(partition, MUSIC, fp, {"duration_seconds": duration, "mood": mood}) as w:
            music_provider.bed(w.path("music.wav"), duration_s=duration, mood=mood, seed=partition)
    path = store.file(partition, MUSIC, "music.wav")
    return dg.MaterializeResult(metadata={
        "duration_seconds": round(duration, 2),
        "mood": mood,
        "provider": type(music_provider).__name__,
        "reused": reused,
        "cost_usd": 0.0,
        **file_meta(path),
    })
