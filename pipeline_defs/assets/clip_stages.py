"""The video stages of a clip partition (``<channel>--<source-slug>-clip-N``, issue 14).

A clip's request record holds its reference and segment (``shortsmith.clips.partition``); the
stages below replace writing, speaking, illustrating and composing with the source's own words,
sound and picture. Each asset calls in here with two lines when ``clip_of(step)`` finds a clip; the
checks keep their names with the clip's own measures (the hook is the words of the first 3 s, the
length is the cut's). Captions, thumbnails, the quality gate and publishing (with the reference's
rights rule) run unchanged.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import dagster as dg

from shortsmith.clips.partition import ClipRequest, clip_script, clip_voiceover, cut_audio, still_at
from shortsmith.clips.reframe import crop_path, detect_faces
from shortsmith.errors import InputError
from shortsmith.intake.references import load as load_reference
from shortsmith.model import write_json
from shortsmith.script import script_markdown
from shortsmith.transcribe.store import STAGE as TRANSCRIPT_STAGE
from shortsmith.transcribe.store import load_transcript

from .stage import SCENES, VOICE, StageStep

CLIP_MIN_S, CLIP_MAX_S = 15.0, 61.0


# Quality measures that judge what a generator made, not what a clip cuts: a clip's words are the source's
# (its sentences are not "facts per beat"), and its scenes are frames of one continuous shot (alike by
# nature). The rest (script length and hook, audio, caption contrast and coverage, sync) still gate it.
CLIP_EXEMPT_MEASURES = {("script", "facts_per_beat"), ("visuals", "scene_variety"),
                        ("visuals", "near_duplicate_scenes")}


def for_clip(step: StageStep, measures: list) -> list:
    """The quality measures that apply to this partition (all of them unless it is a clip)."""
    if clip_of(step) is None:
        return measures
    return [m for m in measures if (m.part, m.name) not in CLIP_EXEMPT_MEASURES]


def clip_of(step: StageStep) -> ClipRequest | None:
    return ClipRequest.from_record(step.store.read_record("requests", step.partition))


def _transcript(step: StageStep, clip: ClipRequest):
    transcript = load_transcript(step.store, clip.reference)
    if transcript is None:
        raise InputError(f"clip {step.partition} needs the transcript of {clip.reference}", field="transcripts",
                         fix=f"materialize reference_intake for {clip.reference} (shortsmith clip does)")
    manifest = step.store.require(clip.reference, TRANSCRIPT_STAGE)
    return transcript, manifest["fingerprint"]


def clip_script_result(step: StageStep, clip: ClipRequest) -> dg.MaterializeResult:
    transcript, transcript_fp = _transcript(step, clip)
    ref = load_reference(step.store, clip.reference)
    ch = step.channel
    if not step.reuse("clip", transcript_fp, asdict(clip), ch.tags, ch.words_per_minute, what="clip script"):
        script = clip_script(ch, transcript, clip, source_title=ref.title, uploader=ref.uploader, source=ref.source)
        with step.write({"topic": clip.title, "checks_passed": True, "provider": "transcript"}) as w:
            write_json(w.path("script.json"), script)
            w.path("script.md").write_text(script_markdown(script), encoding="utf-8")
    script, _ = step.script()
    duration = clip.end - clip.start
    hook_words = [w for w in transcript.words if clip.start <= w.start < clip.end][: len(script.hook.narration.split())]
    hook_s = hook_words[-1].end - hook_words[0].start if hook_words else 0.0
    checks = {
        "script_fits_budget": (CLIP_MIN_S <= duration <= min(CLIP_MAX_S, ch.max_video_seconds),
                               f"the cut is {duration:.1f} s of whole sentences", {"estimated_seconds": duration}),
        "hook_within_3s": (hook_s <= 3.0 + 1e-6, f"the hook's words are spoken in {hook_s:.1f} s",
                           {"hook_seconds": round(hook_s, 2)}),
    }
    return step.result({"title": script.title, "topic": clip.title, "topic_source": "clip",
                        "script": dg.MetadataValue.md(script_markdown(script)), "beats": len(script.beats),
                        "words": script.word_count, "estimated_seconds": round(duration, 2), "writer": script.writer,
                        "facts_source": ref.source, "provider": "transcript",
                        "clip_segment": f"{clip.start:.2f}-{clip.end:.2f} s of {clip.reference}"}, checks)


def clip_voice(step: StageStep, clip: ClipRequest, script_fp: str) -> None:
    """Write the voice stage of a clip (the source's sound of the segment, transcript word times) unless reusable."""
    if step.reuse("clip", script_fp, asdict(clip), what="clip sound"):
        return
    transcript, _ = _transcript(step, clip)
    ref = load_reference(step.store, clip.reference)
    started = time.perf_counter()
    with step.write({"provider": "source"}) as w:
        cut_audio(Path(ref.path), clip.start, clip.end, w.path("voice.wav"))
        write_json(w.path("voiceover.json"), clip_voiceover(transcript, clip, "voice.wav", 48000))
        w.data["synthesis_seconds"] = round(time.perf_counter() - started, 2)


def clip_scenes(step: StageStep, clip: ClipRequest, size: tuple[int, int]) -> None:
    """Write the scenes stage of a clip: the crop path (crop.json) and a reframed still per beat."""
    script, script_manifest = step.script()
    if step.reuse("clip", script_manifest["fingerprint"], size, what="clip crop path"):
        return
    ref = load_reference(step.store, clip.reference)
    if not ref.has_video or not ref.width:
        raise InputError(f"{clip.reference} has no picture to cut a Short from", field="source",
                         fix="use a video source (an audio-only source can only be transcribed)")
    transcript, _ = _transcript(step, clip)
    vo = clip_voiceover(transcript, clip, "", 48000)  # the beats' times (the voice stage runs beside this one)
    started = time.perf_counter()
    duration = clip.end - clip.start
    path = crop_path(detect_faces(Path(ref.path), clip.start, duration, ref.width, ref.height),
                     src_w=ref.width, src_h=ref.height, duration=duration)
    names = []
    with step.write() as w:
        for i, beat in enumerate(vo.beats):
            t = (beat.start + beat.end) / 2
            name = f"scene_{i:02d}.png"
            still_at(Path(ref.path), clip.start + t, path.xs[min(len(path.xs) - 1, int(t * path.fps))], path.crop_w,
                     path.crop_h, ref.height, w.path(name), size)
            names.append(name)
        w.path("crop.json").write_text(json.dumps(asdict(path)), encoding="utf-8")
        w.data.update({"scenes": names, "providers": ["source"] * len(names), "provider": "source",
                       "credits": [{"source": ref.source, "uploader": ref.uploader, "licence": ref.licence}],
                       "crop_found": path.found, "render_seconds": round(time.perf_counter() - started, 2)})


def clip_render(step: StageStep, clip: ClipRequest, out: Path, ass_path: Path, settings) -> dict:
    """The clip's video: one ffmpeg graph (cut, crop along the path, scale, captions, loudness)."""
    from shortsmith.clips.reframe import CropPath
    from shortsmith.clips.render import render_clip

    ref = load_reference(step.store, clip.reference)
    path = CropPath(**json.loads(step.file("crop.json", SCENES).read_text()))
    vo, _ = step.voiceover()
    info = render_clip(Path(ref.path), vo, clip.start, clip.end, path, out, settings=settings, ass_path=ass_path,
                       voice_wav=step.file("voice.wav", VOICE))
    return {"duration": info["duration"], "encoder": "libx264", "encoder_note": "libx264 (clip: one graph)",
            "crop_found": path.found, "audio_plan": info["audio_plan"],
            "true_peak_corrections": info["true_peak_corrections"], "loudness": info["loudness"]}
