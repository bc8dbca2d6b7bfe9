"""thumbnails: a 1280x720 JPEG with the title, for the upload."""


import dagster as dg
from PIL import Image

from shortsmith.art import image_to_markdown, render_thumbnail, save_jpeg
from shortsmith.art.layouts import strongest_subject
from shortsmith.storage import fingerprint

from .errors import user_errors
from ..partitions import videos_partitions
from ..resources.channels import ChannelsResource
from ..resources.images import visual_style
from ..resources.storage import MediaStorage
from .common import MEDIA_BACKFILL, GROUP, SCENES, THUMBNAIL, VIDEO, file_meta, load_script, resolve_video
from .scenes import scene_files, scene_still
from .videos import assembled_videos


@dg.asset(
    partitions_def=videos_partitions,
    backfill_policy=MEDIA_BACKFILL,
    deps=[assembled_videos],
    group_name=GROUP,
    kinds={"pillow"},
    description="A 1280x720 JPEG thumbnail with the title over the hook's scene.",
)
@user_errors
def thumbnails(context: dg.AssetExecutionContext, channels: ChannelsResource,
               storage: MediaStorage) -> dg.MaterializeResult:
    video = resolve_video(context.partition_key, channels, storage)
    store, partition = video.store, video.partition
    script, script_manifest = load_script(store, partition)
    store.require(partition, VIDEO)
    scenes_manifest = store.require(partition, SCENES)
    scenes_fp = scenes_manifest["fingerprint"]
    style = video.channel.style
    fp = fingerprint("thumb-v2", script.title, scenes_fp, style.__dict__)
    reused = store.reusable(partition, THUMBNAIL, fp) is not None
    if not reused:
        first = store.file(partition, SCENES, scene_files(scenes_manifest, len(script.beats))[0])
        scene = scene_still(first, width=1080)
        img = render_thumbnail(script.title, scene=scene, style=visual_style(style), size=(1280, 720),
                               subject=strongest_subject(scenes_manifest))
        with store.write_stage(partition, THUMBNAIL, fp) as w:
            save_jpeg(img, w.path("thumbnail.jpg"), quality=90)
    path = store.file(partition, THUMBNAIL, "thumbnail.jpg")
    img = Image.open(path)
    return dg.MaterializeResult(metadata={
        "preview": dg.MetadataValue.md(image_to_markdown(img, max_width=480, alt=script.title)),
        "size": f"{img.width}x{img.height}",
        "title": script.title,
        "reused": reused,
        "cost_usd": 0.0,
        **file_meta(path),
    })
