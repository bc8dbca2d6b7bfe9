"""tiktok_videos: the watermark-free variant TikTok's guidelines ask for, from the same single ffmpeg graph.

For a channel with ``tiktok`` in its platforms and a ``watermark``, the assembled video's own inputs
(scenes, voice, captions, music, render settings) are rendered again with the watermark layer off;
every other stage is reused. The blocking check ``watermark_removed`` compares frames of the two
videos: identical outside the watermark's box, no watermark inside it. Without a watermark the
assembled video itself is TikTok's (nothing is rendered); without TikTok nothing happens.
"""

import time
from dataclasses import asdict

import dagster as dg

from shortsmith.render import RenderInputs, render_video
from shortsmith.validate import check_video
from shortsmith.variants import compare_watermark, without_watermark

from ..executors import GPU_OP_TAGS
from ..resources.channels import ChannelsResource
from ..resources.renderer import RendererSettings
from ..resources.storage import MediaStorage
from .assembled_videos import assembled_videos
from .scene_images import scene_files
from .stage import CAPTIONS, MUSIC, SCENES, VIDEO, VOICE, Stage, StageStep, stage_asset

TIKTOK_VIDEO = Stage("tiktok_videos", "video-tiktok", "video-tiktok-v1", ("video.mp4",), main_file="video.mp4")
CHECK = "watermark_removed"


def _check(passed: bool, message: str, meta: dict | None = None) -> dict:
    return {CHECK: (passed, message, meta or {})}


@stage_asset(
    TIKTOK_VIDEO,
    deps=[assembled_videos],
    kinds={"ffmpeg", "tiktok"},
    pool="gpu",
    op_tags=GPU_OP_TAGS,
    description="TikTok's variant of the video: the same graph and inputs with the watermark layer off "
                "(TikTok forbids watermarks), verified by comparing frames with the assembled video.",
    checks={CHECK: "Frames match the assembled video outside the watermark's box and show no watermark inside it."},
)
def tiktok_videos(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
                  renderer: RendererSettings):
    step = StageStep(context, channels, storage, TIKTOK_VIDEO)
    partition, ch = step.partition, step.channel
    if not ch.platforms.uses("tiktok") or not ch.watermark:
        status = "not_published_to_tiktok" if not ch.platforms.uses("tiktok") else "same_as_assembled_video"
        why = (f"{ch.name} does not publish to TikTok" if status == "not_published_to_tiktok"
               else f"{ch.name} has no watermark: the assembled video is posted as it is")
        context.log.info(why)
        from .stage import check_results

        return dg.MaterializeResult(metadata={"status": status, "reason": why, "cost_usd": 0.0},
                                    check_results=check_results(_check(True, why), TIKTOK_VIDEO.asset))
    script, _ = step.script()
    vo, voice_manifest = step.voiceover()
    video_manifest = step.upstream(VIDEO)
    manifests = {stage.folder: step.upstream(stage) for stage in (SCENES, CAPTIONS, MUSIC)}
    settings = renderer.settings()
    if not step.reuse(video_manifest["fingerprint"], voice_manifest["fingerprint"], asdict(settings),
                      ch.max_video_seconds, complete=lambda m: "comparison" in m, what="TikTok variant"):
        inputs = RenderInputs(
            scene_images=[step.file(name, SCENES) for name in scene_files(manifests[SCENES.folder], len(script.beats))],
            voice_wav=step.file("voice.wav", VOICE), voiceover=vo, music_wav=step.file("music.wav", MUSIC),
            ass_path=step.file("captions.ass", CAPTIONS), watermark=ch.watermark)
        started = time.perf_counter()
        with step.write() as w:
            report = render_video(without_watermark(inputs), settings, w.path("video.mp4"), measure_output=False)
            outcomes = check_video(w.path("video.mp4"), width=settings.width, height=settings.height,
                                   max_duration_s=ch.max_video_seconds)
            duration = float(report.get("duration_s") or vo.duration)
            comparison = compare_watermark(step.file("video.mp4", VIDEO), w.path("video.mp4"), settings, ch.watermark,
                                           [duration * f for f in (0.2, 0.5, 0.8)])
            w.data.update({"render_seconds": round(time.perf_counter() - started, 2), "comparison": comparison,
                           "checks": [asdict(o) for o in outcomes],
                           "checks_passed": all(o.passed for o in outcomes) and comparison["passed"]})
        context.log.info(f"rendered the TikTok variant of {partition} without the watermark")
    manifest = step.manifest
    cmp = manifest["comparison"]
    failed = [c["message"] for c in manifest.get("checks", []) if not c["passed"]]
    message = (f"outside the watermark box the frames differ by {cmp['outside_mean_diff']} on average; inside it "
               f"the assembled video is brighter by {cmp['inside_brightness_excess']} (its watermark), over "
               f"{cmp['frames']} frames") + (f"; delivery checks failed: {'; '.join(failed)}" if failed else "")
    return step.result({"status": "rendered", "render_seconds": manifest.get("render_seconds"),
                        "outside_mean_diff": cmp["outside_mean_diff"],
                        "inside_brightness_excess": cmp["inside_brightness_excess"]},
                       _check(bool(manifest.get("checks_passed")), message, {"box": dg.MetadataValue.json(cmp["box"])}))
