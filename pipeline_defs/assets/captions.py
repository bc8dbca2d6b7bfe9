"""captions: word-by-word highlighted subtitles (ASS), inside the Shorts safe area."""

import dagster as dg

from shortsmith.captions import CaptionStyle, build_ass
from shortsmith.formats import caption_style_for_format, format_size

from ..resources.channels import ChannelsResource
from ..resources.renderer import RendererSettings
from ..resources.storage import MediaStorage
from .stage import CAPTIONS, StageStep, stage_asset
from .voiceovers import voiceovers


def caption_style(channel) -> CaptionStyle:
    highlight = channel.style.caption_highlight or channel.style.palette[-1]
    members = [m for m in channel.productions.cast] + [m for s in channel.productions.series for m in s.cast]
    speakers = tuple(sorted({m.name: m.colour for m in members if m.colour}.items()))  # a narrative's speakers
    return CaptionStyle(highlight_colour=highlight, speaker_colours=speakers)


@stage_asset(CAPTIONS, deps=[voiceovers], kinds={"python"},
             description="ASS subtitles: at most 3 words on screen, the spoken word highlighted, clear of the "
                         "Shorts UI.")
def captions(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
             renderer: RendererSettings) -> dg.MaterializeResult:
    step = StageStep(context, channels, storage, CAPTIONS)
    vo, voice_manifest = step.voiceover()
    fmt = step.script()[0].format  # the safe area and frame follow the video's format (issue 13)
    style = caption_style_for_format(caption_style(step.channel), fmt)
    width, height = format_size(fmt, renderer.width, renderer.height)
    if not step.reuse(voice_manifest["fingerprint"], style.__dict__, width, height):
        text = build_ass(vo, width=width, height=height, style=style)
        with step.write() as w:
            w.path("captions.ass").write_text(text, encoding="utf-8")
    events = [line for line in step.file("captions.ass").read_text(encoding="utf-8").splitlines()
              if line.startswith("Dialogue:")]
    sample = "\n".join(events[:6])
    return step.result({
        "events": len(events),
        "words": sum(len(b.words) for b in vo.beats),
        "sample": dg.MetadataValue.md(f"```\n{sample}\n```"),
    })
