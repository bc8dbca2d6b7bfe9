"""assembled_videos: the finished MP4 from one ffmpeg graph, validated before anything is published."""

import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import dagster as dg

from shortsmith.art import contact_sheet, image_to_markdown
from shortsmith.formats import duration_limit, settings_for_format
from shortsmith.frames import frames_at
from shortsmith.render import PreviewFrames, RenderInputs, render_video, video_duration
from shortsmith.validate import VIDEO_CHECKS, check_video, group_outcomes

from ..executors import GPU_OP_TAGS
from ..resources.channels import ChannelsResource
from ..resources.renderer import RendererSettings
from ..resources.storage import MediaStorage
from .captions import captions
from .clip_stages import clip_of, clip_render
from .music import music
from .scene_images import scene_files, scene_images, scene_layers
from .stage import CAPTIONS, MUSIC, SCENES, SCRIPT, VIDEO, VOICE, StageStep, stage_asset, stage_cost


def video_cost_metadata(manifests: dict[str, dict]) -> dict:
    """The whole video's provider cost so far: each stage's cost as recorded when it was made."""
    by_provider: dict[str, float] = {}
    by_stage: dict[str, float] = {}
    providers: dict[str, str] = {}
    for stage in (SCRIPT, VOICE, SCENES, MUSIC):
        manifest = manifests.get(stage.folder) or {}
        cost = stage_cost(manifest)
        by_stage[stage.folder] = cost.get("total_usd", 0.0)
        for provider, usd in cost.get("by_provider", {}).items():
            by_provider[provider] = round(by_provider.get(provider, 0.0) + usd, 6)
        if manifest.get("provider"):
            providers[stage.folder] = manifest["provider"]
    return {
        "video_cost_usd": round(sum(by_stage.values()), 6),
        "video_cost_by_provider": dg.MetadataValue.json(by_provider),
        "video_cost_by_stage": dg.MetadataValue.json(by_stage),
        "providers": dg.MetadataValue.json(providers),
    }


def sheet_times(duration: float) -> list[float]:
    """Where the preview's six frames are: the middle of each sixth of the video."""
    return [s * duration / 6 + duration / 12 for s in range(6)]


def video_sheet(path, duration: float, frames: list | None = None):
    """Six frames across the video, side by side: the asset's preview. ``frames``: those frames
    as the render kept them (else they are decoded from ``path``)."""
    frames = frames if frames is not None else frames_at(path, sheet_times(duration), width=160)
    return contact_sheet(frames, columns=6, thumb_width=120)


@stage_asset(
    VIDEO,
    deps=[scene_images, captions, music],
    kinds={"ffmpeg"},
    pool="gpu",
    op_tags=GPU_OP_TAGS,  # the Celery gpu queue / a GPU pod on Kubernetes
    description="One ffmpeg graph: Ken Burns scenes (layered scenes in parallax), crossfades on the voice's beats, burned captions, "
                "watermark, ducked music, -14 LUFS; H.264 High + AAC, +faststart.",
    # blocking: a failure stops thumbnails and publishing in the same run
    checks={group.name: group.description for group in VIDEO_CHECKS},
)
def assembled_videos(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
                     renderer: RendererSettings):
    step = StageStep(context, channels, storage, VIDEO)
    partition, ch = step.partition, step.channel
    script, _ = step.script()
    vo, voice_manifest = step.voiceover()
    manifests = {stage.folder: step.upstream(stage) for stage in (SCRIPT, VOICE, SCENES, CAPTIONS, MUSIC)}
    upstream = {stage.folder: manifests[stage.folder]["fingerprint"] for stage in (SCENES, CAPTIONS, MUSIC)}
    settings = settings_for_format(renderer.settings(), script.format)  # 9:16, 16:9 or 1:1 (issue 13)
    max_seconds = duration_limit(script.format, ch.max_video_seconds)
    effects = [(b.transition, b.terminal) for b in script.beats]  # a narrative's transitions and overlays
    if not step.reuse(voice_manifest["fingerprint"], upstream, asdict(settings), ch.watermark, ch.max_video_seconds,
                      *([effects] if any(t or m for t, m in effects) else []),
                      *([] if renderer.depth else ["flat"]),  # SHORTSMITH_RENDER_DEPTH=off
                      complete=lambda manifest: manifest.get("checks_passed", False), what="validated video"):
        files = scene_files(manifests[SCENES.folder], len(script.beats))
        inputs = RenderInputs(
            scene_images=[step.file(name, SCENES) for name in files],  # stills and clips
            scene_layers=(scene_layers(manifests[SCENES.folder], files, lambda name: step.file(name, SCENES))
                          if renderer.depth else None),
            voice_wav=step.file("voice.wav", VOICE),
            voiceover=vo,
            music_wav=step.file("music.wav", MUSIC),
            ass_path=step.file("captions.ass", CAPTIONS),
            watermark=ch.watermark or None,
            transitions=[b.transition for b in script.beats],
            terminals=[b.terminal for b in script.beats],
        )
        last = [-1]

        def progress(fraction: float) -> None:
            tenth = int(fraction * 10)
            if tenth > last[0]:
                last[0] = tenth
                context.log.info(f"encoding {partition}: {min(100, tenth * 10)}%")

        started = time.perf_counter()
        with step.write() as w, tempfile.TemporaryDirectory(prefix="shortsmith-preview-") as kept:
            # loudness is measured once, by the render's true-peak guard; check_video reuses it
            frames = None
            if (clip := clip_of(step)) is not None:  # one graph: cut, follow the subject, caption (issue 14)
                report = clip_render(step, clip, w.path("video.mp4"), inputs.ass_path, settings)
            else:  # the preview's frames come out of the render itself
                preview = PreviewFrames(tuple(sheet_times(video_duration(vo, settings))), Path(kept))
                report = render_video(inputs, settings, w.path("video.mp4"), progress=progress,
                                      measure_output=False, preview=preview)
                frames = preview.images()
            render_s = time.perf_counter() - started
            loud = report.get("loudness")  # measured by the render's true-peak guard on this very file
            outcomes = check_video(w.path("video.mp4"), width=settings.width, height=settings.height,
                                   max_duration_s=max_seconds,
                                   loudness=(loud["integrated_lufs"], loud["true_peak_dbtp"]) if loud else None)
            step.preview(lambda: video_sheet(w.path("video.mp4"), report.get("duration") or vo.duration, frames), w)
            w.data.update({
                "render_seconds": round(render_s, 2),
                "report": report,
                "checks": [asdict(o) for o in outcomes],
                "checks_passed": all(o.passed for o in outcomes),
            })
        context.log.info(f"rendered {partition} in {render_s:.1f} s with {report.get('encoder_note') or report.get('encoder')}")
    manifest = step.manifest
    path = step.file("video.mp4")
    grouped = group_outcomes(manifest["checks"])
    report = manifest.get("report") or {}
    duration = report.get("duration") or vo.duration
    sheet = step.preview(lambda: video_sheet(path, duration))
    metadata = {
        "preview": dg.MetadataValue.md(image_to_markdown(sheet, max_width=720, alt="frames")),
        "duration_seconds": round(float(duration), 2),
        "resolution": f"{settings.width}x{settings.height}",
        "render_seconds": manifest.get("render_seconds"),
        "realtime_factor": round(float(duration) / manifest["render_seconds"], 2) if manifest.get("render_seconds") else None,
        "validation_passed": manifest.get("checks_passed", False),
        **video_cost_metadata(manifests),
    }
    loud = grouped["loudness"][2]
    for key in ("integrated_lufs", "true_peak_db"):
        if key in loud:
            metadata[key] = loud[key]
    if "encoder" in report:
        metadata["encoder"] = report.get("encoder_note") or report["encoder"]
    return step.result(metadata, grouped)  # cost_usd 0.0: rendering calls no provider
