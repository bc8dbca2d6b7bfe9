"""``shortsmith clip SOURCE --channel NAME [--count N]``: a long video cut into Shorts, one video partition each.

The reference is fetched and transcribed (the reference_intake job), the highlights are chosen
(``shortsmith.clips.highlights``), each gets a video partition ``<channel>--<source-slug>-clip-N``
whose request record holds the reference and the segment, and the make_video job runs for each:
the same stages, checks, thumbnail and publishing as any Short (see ``assets/clip_stages.py``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def model_picker(channel, log=print):
    """A highlight picker using the channel's chat model when OpenAI (or a compatible server) is configured."""
    from shortsmith.clips.llm_pick import pick_with_model

    from .definitions import defs
    from .resources.script_writer import classify_openai, model_configured

    if model_configured(channel) != "openai":
        return None
    writer = defs.resources["script_writer"].openai
    return lambda transcript, count: pick_with_model(writer._client(), writer.model, transcript, count,
                                                     classify=lambda e: classify_openai(e, "openai-chat"), log=log)


def plan_clips(store, instance, channel, reference: str, count: int, *, log=print, picker=None) -> list[str]:
    """Choose ``count`` highlights of ``reference`` and add a video partition for each (idempotent).

    ``picker(transcript, count)`` (a configured model) chooses first; None or an unusable answer falls
    back to the transcript score."""
    from shortsmith.clips.highlights import choose
    from shortsmith.clips.partition import clip_key, clip_record, clip_title
    from shortsmith.errors import InputError
    from shortsmith.intake.references import load as load_reference
    from shortsmith.quota import local_day, utcnow
    from shortsmith.transcribe import load_audio
    from shortsmith.transcribe.store import load_transcript

    from .ledger import Ledger
    from .partitions import videos_partitions

    transcript = load_transcript(store, reference)
    if transcript is None:
        raise InputError(f"{reference} has no transcript yet", field="transcripts",
                         fix="materialize reference_intake for it first (shortsmith clip does this)")
    ref = load_reference(store, reference)
    if not ref.has_video:
        raise InputError(f"{ref.source} has no picture to cut Shorts from", field="source",
                         fix="use a video source; an audio-only source can be transcribed only")
    picked = picker(transcript, count) if picker is not None else None
    titles = {h.start: t for h, t in picked} if picked else {}
    highlights = [h for h, _ in picked] if picked else choose(transcript, count, audio=load_audio(Path(ref.path)))
    log(f"highlights chosen by {'the model' if picked else 'the transcript score'}")
    if len(highlights) < count:
        log(f"note: {len(highlights)} clip(s) of 20-60 s fit in {transcript.duration:.0f} s of speech "
            f"(asked for {count})")
    keys = []
    for i, h in enumerate(highlights, 1):
        key = clip_key(channel.name, reference, i)
        title = titles.get(h.start) or clip_title(h, ref.title, i)
        store.write_record("requests", key, {**clip_record(channel.name, reference, i, h, title),
                                             "requested_at": utcnow().isoformat()})
        if not instance.has_dynamic_partition(videos_partitions.name, key):
            Ledger(instance).record_requested(channel.name, local_day(utcnow(), channel.timezone), "cli", key, title)
            instance.add_dynamic_partitions(videos_partitions.name, [key])
        log(f"clip {i}: {h.start:.1f}-{h.end:.1f} s (score {h.score:.2f}) -> {key}: {title!r}")
        keys.append(key)
    return keys


def run_clip(args: argparse.Namespace) -> int:
    from .assets.stage import VIDEO
    from .cli import QUIET_CONSOLE, _failure_text, _instance
    from .definitions import defs
    from .references_cli import add_reference, materialize_reference
    from .requests import run_tags
    from .runguard import RunGuard, process_tags

    started = time.perf_counter()
    channel = defs.resources["channels"].get(args.channel)  # a clear error for an unknown channel
    if args.count < 1:
        print("error: --count must be 1 or more", file=sys.stderr)
        return 2
    key = add_reference(args.source, args.rights)
    print(f"reference: {key}", file=sys.stderr)
    if not materialize_reference(key):
        return 1
    store = defs.resources["storage"].store()
    instance = _instance()
    def log(message: str) -> None:
        print(message, file=sys.stderr)

    keys = plan_clips(store, instance, channel, key, args.count, log=log, picker=model_picker(channel, log))
    job = defs.resolve_job_def("make_video")
    failed = 0
    for clip in keys:
        with RunGuard(instance):
            result = job.execute_in_process(partition_key=clip, instance=instance, raise_on_error=False,
                                            run_config=QUIET_CONSOLE, tags={**run_tags(clip, "cli"), **process_tags()})
        for ev in result.get_asset_check_evaluations():
            if not ev.passed:
                print(f"CHECK FAILED {clip} {ev.asset_check_key.name}: {ev.description}", file=sys.stderr)
        if not result.success:
            failed += 1
            for event in result.all_events:
                if event.event_type_value == "STEP_FAILURE":
                    print(f"FAILED {clip} {event.step_key}: {_failure_text(event.event_specific_data.error)}",
                          file=sys.stderr)
            continue
        print(f"video:     {store.file(clip, VIDEO.folder, VIDEO.main_file)}")
    print(f"{len(keys) - failed} of {len(keys)} clip(s) made in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 1 if failed else 0
