"""scene_images: one 9:16 visual per beat: a still image, or a stock video clip."""


import json
import shutil
import tempfile
import time
from pathlib import Path

import dagster as dg
from PIL import Image

from shortsmith.art import contact_sheet, image_to_markdown
from shortsmith.art.layouts import scene_plans_manifest
from shortsmith.formats import format_size
from shortsmith.frames import frame_at
from shortsmith.render import VIDEO_SUFFIXES as CLIP_SUFFIXES
from shortsmith.script import PAUSE_BETWEEN_BEATS_S, spoken_seconds

from ..executors import GPU_OP_TAGS
from ..resources.channels import ChannelsResource
from ..resources.images import VisualProviders
from ..resources.renderer import RendererSettings
from ..resources.storage import MediaStorage
from ..resources.videogen import scene_or_clip, video_batches
from ..state import StateStore
from .clip_stages import clip_of, clip_scenes
from .stage import SCENES, StageStep, stage_asset
from .video_scripts import video_scripts


def scene_name(index: int, suffix: str = ".png") -> str:
    return f"scene_{index:02d}{suffix}"


def scene_files(manifest: dict, beats: int) -> list[str]:
    """The file of each beat's scene (stills: scene_NN.png, clips: scene_NN.mp4), in beat order."""
    return list(manifest.get("scenes") or [scene_name(i) for i in range(beats)])


def scene_seconds(beat, wpm: float) -> float:
    """About how long the beat's scene is on screen (its speech and the pause after it)."""
    return spoken_seconds(beat.narration, wpm) + PAUSE_BETWEEN_BEATS_S


def scene_still(path: Path, *, width: int = 360) -> Image.Image:
    """A still of a scene for previews and thumbnails (a clip's frame at 1 s); stills keep their size."""
    if path.suffix.lower() in CLIP_SUFFIXES:
        return frame_at(path, 1.0, width=width)
    return Image.open(path).convert("RGB")


SMALL_WIDTH = 180  # the scene stills the quality check measures and the preview shows


def small_name(name: str) -> str:
    return f"{Path(name).stem}.small.png"


def small_stills(step: StageStep, manifest: dict, names: list[str]) -> list[Image.Image]:
    """Each scene at SMALL_WIDTH: kept with the scene stage when it was written, so a check or a
    re-run does not decode every full-size scene (or seek into every clip) again."""
    kept = manifest.get("files") or {}
    out = []
    for name in names:
        small = step.file(small_name(name), SCENES) if small_name(name) in kept else None
        if small is not None and small.is_file():
            with Image.open(small) as im:
                out.append(im.convert("RGB"))
        else:
            out.append(_shrink(scene_still(step.file(name, SCENES), width=SMALL_WIDTH)))
    return out


def _shrink(image: Image.Image) -> Image.Image:
    if image.width <= SMALL_WIDTH:
        return image
    return image.resize((SMALL_WIDTH, max(1, round(image.height * SMALL_WIDTH / image.width))),
                        Image.Resampling.BOX)


@stage_asset(
    SCENES,
    deps=[video_scripts],
    kinds={"python", "pillow"},
    pool="gpu",
    op_tags=GPU_OP_TAGS,  # the Celery gpu queue / a GPU pod on Kubernetes
    description="One 9:16 visual per beat from the beat's visual prompt and keywords and the channel's style: "
                "stock clips, generated or procedural stills (providers.visuals, per beat with fallback).",
)
def scene_images(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
                 images: VisualProviders, renderer: RendererSettings) -> dg.MaterializeResult:
    step = StageStep(context, channels, storage, SCENES)
    partition, ch = step.partition, step.channel
    script, _ = step.script()
    size = format_size(script.format, renderer.width, renderer.height)  # the frame of a 9:16, 16:9 or 1:1 video
    style = ch.style
    chain = {name: (images.get(name).describe() if images.get(name) else None) for name in ch.providers.visuals}
    if (clip := clip_of(step)) is not None:  # a clip's picture is the source's, reframed (issue 14)
        clip_scenes(step, clip, size)
    elif not step.reuse([b.__dict__ for b in script.beats], style.__dict__, size, chain,
                      what=f"{len(script.beats)} scenes"):
        run = step.run
        started = time.perf_counter()
        names, made_by, credits, plans = [], [], [], []
        with step.write() as w, tempfile.TemporaryDirectory(prefix="scenes-") as tmp:
            workdir = Path(tmp)  # shared: Pexels reads the credits already there so a Short never repeats a clip
            # generated clips (sora, runway): every scene's job is submitted now and recorded before any wait
            batches = video_batches(ch, images, script.beats, style=style, partition=partition,
                                    seconds=[scene_seconds(b, ch.words_per_minute) for b in script.beats],
                                    calls=run.calls, store=StateStore(context.instance), day=step.local_day(),
                                    owner=context.run.run_id, allow=lambda name: run.breaker.allow(name)[0],
                                    workdir=workdir)
            for i, beat in enumerate(script.beats):
                outcome = run.chain("visuals", ch, images, lambda provider: scene_or_clip(
                    provider, batches, i, workdir, lambda: provider.scene(
                        beat, style=style, seed=partition, index=i, total=len(script.beats), size=size,
                        calls=run.calls, workdir=workdir, seconds=scene_seconds(beat, ch.words_per_minute))))
                if isinstance(outcome.value, Image.Image):
                    name = scene_name(i)
                    outcome.value.save(w.path(name), optimize=False, compress_level=1)
                    plan = workdir / scene_name(i, ".plan.json")  # subjects and layout (procedural)
                    plans.append(json.loads(plan.read_text()) if plan.is_file() else None)
                else:  # a downloaded clip
                    clip = Path(outcome.value)
                    name = scene_name(i, clip.suffix.lower() if clip.suffix.lower() in CLIP_SUFFIXES else ".mp4")
                    shutil.move(str(clip), w.path(name))
                    credit = clip.with_suffix(".credit.json")  # who made the clip (attribution)
                    if credit.is_file():
                        shutil.move(str(credit), w.path(Path(name).with_suffix(".credit.json").name))
                        credits.append(json.loads(w.path(Path(name).with_suffix(".credit.json").name).read_text()))
                    plans.append(None)
                names.append(name)
                made_by.append(outcome.provider)
                context.log.info(f"scene {i + 1}/{len(script.beats)} ({beat.kind}) by {outcome.provider}: {name}")
            smalls = [_shrink(scene_still(w.path(n), width=SMALL_WIDTH)) for n in names]
            for n, small in zip(names, smalls):
                small.save(w.path(small_name(n)), optimize=False, compress_level=3)
            step.preview(lambda: contact_sheet(smalls, columns=min(5, len(smalls))), w)
            w.data.update(scene_plans_manifest(plans))
            w.data.update({"scenes": names, "providers": made_by, "credits": credits,
                           "provider": ",".join(sorted(set(made_by))),
                           "render_seconds": round(time.perf_counter() - started, 2)})
    manifest = step.manifest
    files = scene_files(manifest, len(script.beats))
    paths = [step.file(name) for name in files]
    sheet = step.preview(lambda: contact_sheet(small_stills(step, manifest, files), columns=min(5, len(files))))
    made_by = manifest.get("providers") or ["procedural"] * len(paths)
    return step.result({
        "scenes": len(paths),
        "clips": sum(1 for p in paths if p.suffix.lower() in CLIP_SUFFIXES),
        "size": f"{size[0]}x{size[1]}",
        "provider": manifest.get("provider", "procedural"),
        "providers_per_scene": dg.MetadataValue.json({f: p for f, p in zip(files, made_by)}),
        "preview": dg.MetadataValue.md(image_to_markdown(sheet, max_width=600, alt="scenes")),
        "folder": dg.MetadataValue.path(str(paths[0].parent)),
        "render_seconds": manifest.get("render_seconds"),
        "clip_credits": dg.MetadataValue.json(manifest.get("credits") or []),
        "generated_clips": dg.MetadataValue.json([{k: c.get(k) for k in ("scene", "provider", "job_id", "model",
                                                                          "seconds", "usd")}
                                                  for c in manifest.get("credits") or [] if c.get("job_id")]),
        "subjects": dg.MetadataValue.json(manifest.get("subjects") or []),
        "layouts": ", ".join(manifest.get("layouts") or []),
        "asset_credits": dg.MetadataValue.json(manifest.get("asset_credits") or []),
    })
