"""thumbnails: a 1280x720 JPEG with the title, for the upload."""

import dagster as dg
from PIL import Image

from shortsmith.art import image_to_markdown, render_thumbnail, save_jpeg
from shortsmith.art.layouts import strongest_subject

from ..resources.channels import ChannelsResource
from ..resources.images import visual_style
from ..resources.storage import MediaStorage
from .assembled_videos import assembled_videos
from .scene_images import scene_files, scene_still
from .stage import SCENES, THUMBNAIL, VIDEO, StageStep, stage_asset


@stage_asset(THUMBNAIL, deps=[assembled_videos], kinds={"pillow"},
             description="A 1280x720 JPEG thumbnail with the title over the hook's scene.")
def thumbnails(context: dg.AssetExecutionContext, channels: ChannelsResource,
               storage: MediaStorage) -> dg.MaterializeResult:
    step = StageStep(context, channels, storage, THUMBNAIL)
    script, _ = step.script()
    step.upstream(VIDEO)
    scenes_manifest = step.upstream(SCENES)
    style = step.channel.style
    if not step.reuse(script.title, scenes_manifest["fingerprint"], style.__dict__):
        first = step.file(scene_files(scenes_manifest, len(script.beats))[0], SCENES)
        img = render_thumbnail(script.title, scene=scene_still(first, width=1080), style=visual_style(style),
                               size=(1280, 720), subject=strongest_subject(scenes_manifest))
        with step.write() as w:
            save_jpeg(img, w.path("thumbnail.jpg"), quality=90)
    img = Image.open(step.file("thumbnail.jpg"))
    return step.result({
        "preview": dg.MetadataValue.md(image_to_markdown(img, max_width=480, alt=script.title)),
        "size": f"{img.width}x{img.height}",
        "title": script.title,
    })
