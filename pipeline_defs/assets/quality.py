"""Quality gate and uniqueness: two blocking checks on assembled_videos, before anything is published."""

from datetime import datetime, timezone

import dagster as dg

from shortsmith.captions import caption_cues
from shortsmith.formats import caption_style_for_format, format_size
from shortsmith.quality import (SIMILARITY_LIMIT, audio_measures, history_table, most_similar, score, script_measures,
                                script_text, sync_measures, visual_measures)

from ..resources.channels import ChannelsResource
from ..resources.renderer import RendererSettings
from ..resources.storage import MediaStorage
from .captions import caption_style
from .assembled_videos import assembled_videos
from .clip_stages import for_clip
from .scene_images import scene_files, small_stills
from .stage import SCENES, VIDEO, VOICE, StageStep

HISTORY_KEEP = 200


def _previous(store, channel, partition: str) -> list[tuple[str, str]]:
    index = store.read_record("script-index", channel.name) or []
    earlier = [(e["partition"], e["text"]) for e in index if e["partition"] != partition]
    return earlier[-channel.uniqueness_window:] if channel.uniqueness_window > 0 else []


def _remember(store, kind: str, channel: str, entry: dict, partition: str) -> list[dict]:
    rows = [r for r in (store.read_record(kind, channel) or []) if r.get("partition") != partition]
    rows = (rows + [entry])[-HISTORY_KEEP:]
    store.write_record(kind, channel, rows)
    return rows


@dg.asset_check(asset=assembled_videos, blocking=True, name="uniqueness",
                description="The script does not repeat any of the channel's last N scripts (word 4-gram "
                            f"containment <= {SIMILARITY_LIMIT:.0%}).")
def uniqueness(context: dg.AssetCheckExecutionContext, channels: ChannelsResource,
               storage: MediaStorage) -> dg.AssetCheckResult:
    step = StageStep(context, channels, storage, VIDEO)
    video = step.video
    script, _ = step.script()
    previous = _previous(video.store, video.channel, video.partition)
    sim, which = most_similar(script, previous)
    passed = sim <= SIMILARITY_LIMIT
    if passed:  # only a script that passes joins the index the next ones are compared with
        _remember(video.store, "script-index", video.channel.name,
                  {"partition": video.partition, "text": script_text(script)}, video.partition)
    if not previous:
        message = "the channel's first script: no earlier script to compare with"
    else:
        message = (f"at most {sim:.0%} of its 4-word phrases occur in one earlier script"
                   f"{f' ({which})' if which and sim > 0 else ''} (limit {SIMILARITY_LIMIT:.0%}; "
                   f"compared with the channel's last {len(previous)})")
    if not passed:
        message += ("; this video repeats an earlier one: write it from different facts or a different source, "
                    "or drop the topic")
    return dg.AssetCheckResult(passed=passed, description=message,
                               metadata={"max_similarity": round(sim, 3), "most_similar": which or "",
                                         "compared_with": len(previous)})


@dg.asset_check(asset=assembled_videos, blocking=True, name="quality",
                description="Quality score 0-100 (script, audio, visuals, sync) is at least the channel's "
                            "min_quality and no measure fails.")
def quality(context: dg.AssetCheckExecutionContext, channels: ChannelsResource, storage: MediaStorage,
            renderer: RendererSettings) -> dg.AssetCheckResult:
    step = StageStep(context, channels, storage, VIDEO)
    video = step.video
    store, partition, ch = step.store, step.partition, step.channel
    script, _ = step.script()
    vo, _ = step.voiceover()
    manifest = step.upstream(VIDEO)
    checks = {c["name"]: c for c in manifest.get("checks", [])}
    loud = {}
    for c in checks.values():
        loud.update({k: v for k, v in (c.get("metadata") or {}).items() if k in ("integrated_lufs", "true_peak_db")})
    drift_ms = (checks.get("audio_sync", {}).get("metadata") or {}).get("drift_ms")
    av = abs(float(drift_ms)) / 1000 if drift_ms is not None else None
    style = caption_style_for_format(caption_style(ch), script.format)
    width, height = format_size(script.format, renderer.width, renderer.height)
    cues = caption_cues(vo, style=style, width=width, height=height)
    scene_manifest = step.upstream(SCENES)
    scenes = small_stills(step, scene_manifest, scene_files(scene_manifest, len(script.beats)))
    first_cues = [c.start for c in cues if c.active == 0]
    captioned = sum(len(c.words) for c in cues if c.active == 0)
    measures = (script_measures(script, _previous(store, ch, partition))
                + audio_measures(step.file("voice.wav", VOICE), vo, loud)
                + visual_measures(scenes, caption_colours=[style.base_colour, style.highlight_colour],
                                  outline_colour=style.outline_colour, outline_px=style.outline * height,
                                  band=(style.safe_top, style.safe_bottom),
                                  spoken_words=sum(len(b.words) for b in vo.beats), caption_words=captioned)
                + sync_measures(av_difference_s=av, voiceover=vo, cue_starts=first_cues))
    report = score(for_clip(step, measures))  # a clip is not judged on what only a generator makes
    passed = report.passes(ch.min_quality)
    weakest = min(report.parts, key=report.parts.get) if report.parts else ""
    history = _remember(store, "quality", ch.name, {
        "partition": partition, "topic": video.topic, "score": report.score, "parts": report.parts,
        "weakest": weakest, "writer": script.writer, "style": ch.style.name,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}, partition)
    scores = [h["score"] for h in history]
    return dg.AssetCheckResult(
        passed=passed, description=report.summary(ch.min_quality),
        metadata={
            "score": report.score,
            **{f"score_{part}": value for part, value in report.parts.items()},
            "min_quality": ch.min_quality,
            "measures": dg.MetadataValue.md("\n".join(
                f"- {'ok' if m.passed else 'FAIL'} {m.part}.{m.name} = {m.value} ({m.score:.0f}): {m.message}"
                for m in report.measures)),
            "channel_scores": dg.MetadataValue.md(history_table(history)),
            "channel_mean_score": round(sum(scores) / len(scores), 1),
            "channel_videos_scored": len(scores),
        })


QUALITY_CHECKS = [quality, uniqueness]
