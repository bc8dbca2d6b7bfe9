"""captions: word-by-word highlighted subtitles (ASS), inside the Shorts safe area."""


import dagster as dg

from shortsmith.captions import CaptionStyle, build_ass
from shortsmith.storage import fingerprint

from .errors import user_errors
from ..partitions import videos_partitions
from ..resources.channels import ChannelsResource
from ..resources.renderer import RendererSettings
from ..resources.storage import MediaStorage
from .stage import MEDIA_BACKFILL, CAPTIONS, GROUP, file_meta, load_voiceover, resolve_video
from .voiceovers import voiceovers


def caption_style(channel) -> CaptionStyle:
    highlight = channel.style.caption_highlight or channel.style.palette[-1]
    return CaptionStyle(highlight_colour=highlight)


@dg.asset(
    partitions_def=videos_partitions,
    backfill_policy=MEDIA_BACKFILL,
    deps=[voiceovers],
    group_name=GROUP,
    kinds={"python"},
    description="ASS subtitles: at most 3 words on screen, the spoken word highlighted, clear of the Shorts UI.",
)
@user_errors
def captions(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
             renderer: RendererSettings) -> dg.MaterializeResult:
    video = resolve_video(context.partition_key, channels, storage)
    store, partition = video.store, video.partition
    vo, voice_manifest = load_voiceover(store, partition)
    style = caption_style(video.channel)
    fp = fingerprint("captions-v1", voice_manifest["fingerprint"], style.__dict__, renderer.width, renderer.height)
    reused = store.reusable(partition, CAPTIONS, fp) is not None
    if not reused:
        text = build_ass(vo, width=renderer.width, height=renderer.height, style=style)
        with store.write_stage(partition, CAPTIONS, fp) as w:
            w.path("captions.ass").write_text(text, encoding="utf-8")
    path = store.file(partition, CAPTIONS, "captions.ass")
    events = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("Dialogue:")]
    sample = "\n".join(events[:6])
    return dg.MaterializeResult(metadata={
        "events": len(events),
        "words": sum(len(b.words) for b in vo.beats),
        "sample": dg.MetadataValue.md(f"```\n{sample}\n```"),
        "reused": reused,
        "cost_usd": 0.0,
        **file_meta(path),
    })
