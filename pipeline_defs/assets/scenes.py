"""scene_images: one 9:16 image per beat."""


import time

import dagster as dg
from PIL import Image

from shortsmith.art import contact_sheet, image_to_markdown
from shortsmith.storage import fingerprint

from .errors import user_errors
from ..executors import GPU_OP_TAGS
from ..partitions import videos_partitions
from ..resources.channels import ChannelsResource
from ..resources.images import ImageProvider
from ..resources.renderer import RendererSettings
from ..resources.storage import MediaStorage
from .common import MEDIA_BACKFILL, GROUP, SCENES, load_script, resolve_video
from .scripts import video_scripts


def scene_name(index: int) -> str:
    return f"scene_{index:02d}.png"


@dg.asset(
    partitions_def=videos_partitions,
    backfill_policy=MEDIA_BACKFILL,
    deps=[video_scripts],
    group_name=GROUP,
    kinds={"python", "pillow"},
    pool="gpu",
    op_tags=GPU_OP_TAGS,  # the Celery gpu queue / a GPU pod on Kubernetes
    description="One 1080x1920 scene image per beat from the beat's visual prompt and the channel's style.",
)
@user_errors
def scene_images(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
                 images: ImageProvider, renderer: RendererSettings) -> dg.MaterializeResult:
    video = resolve_video(context.partition_key, channels, storage)
    store, partition = video.store, video.partition
    script, script_manifest = load_script(store, partition)
    size = (renderer.width, renderer.height)
    style = video.channel.style
    fp = fingerprint("scenes-v1", [b.__dict__ for b in script.beats], style.__dict__, size, images.provider)
    reused = store.reusable(partition, SCENES, fp) is not None
    if reused:
        context.log.info(f"reusing the {len(script.beats)} scene images already made for {partition}")
    else:
        started = time.perf_counter()
        with store.write_stage(partition, SCENES, fp, {"provider": images.provider}) as w:
            for i, beat in enumerate(script.beats):
                img = images.scene(beat, style=style, seed=partition, index=i, total=len(script.beats), size=size)
                img.save(w.path(scene_name(i)), optimize=False, compress_level=1)
                context.log.info(f"scene {i + 1}/{len(script.beats)} ({beat.kind}) drawn")
            w.data["render_seconds"] = round(time.perf_counter() - started, 2)
    manifest = store.require(partition, SCENES)
    paths = [store.file(partition, SCENES, scene_name(i)) for i in range(len(script.beats))]
    sheet = contact_sheet([Image.open(p) for p in paths], columns=min(5, len(paths)))
    return dg.MaterializeResult(metadata={
        "scenes": len(paths),
        "size": f"{size[0]}x{size[1]}",
        "provider": manifest.get("provider", images.provider),
        "preview": dg.MetadataValue.md(image_to_markdown(sheet, max_width=600, alt="scenes")),
        "folder": dg.MetadataValue.path(str(paths[0].parent)),
        "render_seconds": manifest.get("render_seconds"),
        "reused": reused,
        "cost_usd": 0.0,
    })
