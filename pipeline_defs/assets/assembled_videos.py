"""assembled_videos: the finished MP4 from one ffmpeg graph, validated before anything is published."""


import time
from dataclasses import asdict

import dagster as dg

from shortsmith.art import contact_sheet, image_to_markdown
from shortsmith.frames import frames_at
from shortsmith.render import RenderInputs, render_video
from shortsmith.storage import fingerprint
from shortsmith.validate import check_video

from .errors import user_errors
from ..executors import GPU_OP_TAGS
from ..partitions import videos_partitions
from ..resources.channels import ChannelsResource
from ..resources.renderer import RendererSettings
from ..resources.storage import MediaStorage
from .captions import captions
from .stage import (MEDIA_BACKFILL, CAPTIONS, GROUP, MUSIC, SCENES, SCRIPT, VIDEO, VOICE, check_results, file_meta,
                     load_script, load_voiceover, resolve_video, stage_cost)
from .music import music
from .scene_images import scene_files, scene_images

# Blocking checks: a failure stops thumbnails and publishing in the same run.
VIDEO_CHECKS = {
    "resolution": "The video is exactly the configured 9:16 size (1080x1920 by default).",
    "duration": "The video is no longer than the channel's max_video_seconds.",
    "codecs": "H.264 (High, yuv420p) video and AAC audio.",
    "audio_sync": "Audio is present and its duration matches the video's within 100 ms.",
    "loudness": "Integrated loudness within +-1 LU of -14 LUFS, true peak <= -1 dBTP.",
}


def _group_outcomes(outcomes) -> dict[str, tuple[bool, str, dict]]:
    """Fold the validator's outcomes into the declared checks (all must pass for a check to pass)."""
    grouped: dict[str, list] = {name: [] for name in VIDEO_CHECKS}
    for o in outcomes:
        name = o["name"] if isinstance(o, dict) else o.name
        target = next((k for k in VIDEO_CHECKS if name == k or name.startswith(k)), None)
        if target is None:
            target = {"audio_present": "audio_sync", "true_peak": "loudness", "video_codec": "codecs",
                      "audio_codec": "codecs"}.get(name, "codecs")
        grouped[target].append(o if isinstance(o, dict) else asdict(o))
    result = {}
    for name, items in grouped.items():
        if not items:
            result[name] = (False, f"the validator reported nothing for '{name}'", {})
            continue
        passed = all(i["passed"] for i in items)
        failing = [i["message"] for i in items if not i["passed"]]
        message = "; ".join(failing) if failing else "; ".join(i["message"] for i in items)
        meta = {}
        for i in items:
            meta.update({k: v for k, v in (i.get("metadata") or {}).items() if isinstance(v, (int, float, str, bool))})
        result[name] = (passed, message, meta)
    return result


def video_cost_metadata(manifests: dict[str, dict]) -> dict:
    """The whole video's provider cost so far: each stage's cost as recorded when it was made."""
    by_provider: dict[str, float] = {}
    by_stage: dict[str, float] = {}
    providers: dict[str, str] = {}
    for stage in (SCRIPT, VOICE, SCENES, MUSIC):
        manifest = manifests.get(stage) or {}
        cost = stage_cost(manifest)
        by_stage[stage] = cost.get("total_usd", 0.0)
        for provider, usd in cost.get("by_provider", {}).items():
            by_provider[provider] = round(by_provider.get(provider, 0.0) + usd, 6)
        if manifest.get("provider"):
            providers[stage] = manifest["provider"]
    return {
        "video_cost_usd": round(sum(by_stage.values()), 6),
        "video_cost_by_provider": dg.MetadataValue.json(by_provider),
        "video_cost_by_stage": dg.MetadataValue.json(by_stage),
        "providers": dg.MetadataValue.json(providers),
    }


@dg.asset(
    partitions_def=videos_partitions,
    backfill_policy=MEDIA_BACKFILL,
    deps=[scene_images, captions, music],
    group_name=GROUP,
    kinds={"ffmpeg"},
    pool="gpu",
    op_tags=GPU_OP_TAGS,  # the Celery gpu queue / a GPU pod on Kubernetes
    description="One ffmpeg graph: Ken Burns scenes, crossfades on the voice's beats, burned captions, "
                "watermark, ducked music, -14 LUFS; H.264 High + AAC, +faststart.",
    check_specs=[dg.AssetCheckSpec(name, asset="assembled_videos", blocking=True, description=desc)
                 for name, desc in VIDEO_CHECKS.items()],
)
@user_errors
def assembled_videos(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
                     renderer: RendererSettings):
    video = resolve_video(context.partition_key, channels, storage)
    store, partition, ch = video.store, video.partition, video.channel
    script, script_manifest = load_script(store, partition)
    vo, voice_manifest = load_voiceover(store, partition)
    # each upstream manifest is read once (on S3 a read checks every object of the stage)
    manifests = {stage: store.require(partition, stage) for stage in (SCENES, CAPTIONS, MUSIC)}
    manifests.update({SCRIPT: script_manifest, VOICE: voice_manifest})
    upstream = {stage: manifests[stage]["fingerprint"] for stage in (SCENES, CAPTIONS, MUSIC)}
    settings = renderer.settings()
    fp = fingerprint("video-v1", voice_manifest["fingerprint"], upstream, asdict(settings), ch.watermark,
                     ch.max_video_seconds)
    manifest = store.reusable(partition, VIDEO, fp)
    reused = manifest is not None and manifest.get("checks_passed", False)
    if reused:
        context.log.info(f"reusing the validated video already assembled for {partition}")
    else:
        inputs = RenderInputs(
            scene_images=[store.file(partition, SCENES, name)  # stills and clips
                          for name in scene_files(manifests[SCENES], len(script.beats))],
            voice_wav=store.file(partition, "voice", "voice.wav"),
            voiceover=vo,
            music_wav=store.file(partition, MUSIC, "music.wav"),
            ass_path=store.file(partition, CAPTIONS, "captions.ass"),
            watermark=ch.watermark or None,
        )
        last = [-1]

        def progress(fraction: float) -> None:
            step = int(fraction * 10)
            if step > last[0]:
                last[0] = step
                context.log.info(f"encoding {partition}: {min(100, step * 10)}%")

        started = time.perf_counter()
        with store.write_stage(partition, VIDEO, fp) as w:
            # loudness is measured once, by check_video below
            report = render_video(inputs, settings, w.path("video.mp4"), progress=progress, measure_output=False)
            render_s = time.perf_counter() - started
            outcomes = check_video(w.path("video.mp4"), width=settings.width, height=settings.height,
                                   max_duration_s=ch.max_video_seconds)
            w.data.update({
                "render_seconds": round(render_s, 2),
                "report": report,
                "checks": [asdict(o) for o in outcomes],
                "checks_passed": all(o.passed for o in outcomes),
            })
        context.log.info(f"rendered {partition} in {render_s:.1f} s with {report.get('encoder_note') or report.get('encoder')}")
        manifest = store.require(partition, VIDEO)
    path = store.file(partition, VIDEO, "video.mp4")
    grouped = _group_outcomes(manifest["checks"])
    report = manifest.get("report") or {}
    duration = report.get("duration") or vo.duration
    times = [s * duration / 6 + duration / 12 for s in range(6)]
    sheet = contact_sheet(frames_at(path, times, width=160), columns=6, thumb_width=120)
    metadata = {
        "preview": dg.MetadataValue.md(image_to_markdown(sheet, max_width=720, alt="frames")),
        "duration_seconds": round(float(duration), 2),
        "resolution": f"{settings.width}x{settings.height}",
        "render_seconds": manifest.get("render_seconds"),
        "realtime_factor": round(float(duration) / manifest["render_seconds"], 2) if manifest.get("render_seconds") else None,
        "validation_passed": manifest.get("checks_passed", False),
        "reused": reused,
        "cost_usd": 0.0,  # rendering calls no provider
        **video_cost_metadata(manifests),
        **file_meta(path),
    }
    loud = grouped.get("loudness", (None, None, {}))[2]
    for key in ("integrated_lufs", "true_peak_db"):
        if key in loud:
            metadata[key] = loud[key]
    if "encoder" in report:
        metadata["encoder"] = report.get("encoder_note") or report["encoder"]
    return dg.MaterializeResult(metadata=metadata, check_results=check_results(grouped, "assembled_videos"))
