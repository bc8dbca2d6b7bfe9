"""``shortsmith transcribe SOURCE`` and ``shortsmith clip SOURCE --channel NAME``: references from the command line.

Both record the source (and the declared rights) and add its reference partition, as the inbox and
the UI do, then materialize the reference job (``reference_media``, then the transcript) in this
process, recorded in the instance like any run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def add_parsers(sub) -> None:
    t = sub.add_parser("transcribe", help="fetch a video or audio (URL, page, s3://, file) and transcribe it; "
                                          "prints the words with start/end seconds as JSON and writes them")
    t.add_argument("source", help="an http(s) URL (a media file or a page yt-dlp reads), s3://bucket/key or a file")
    t.add_argument("--output", help="write the transcript JSON here (default: <reference key>.transcript.json)")
    t.add_argument("--rights", default="", choices=["", "owned"], help="'owned': the source is your own media")
    c = sub.add_parser("clip", help="cut Shorts from a long video: highlights, 9:16, burned captions")
    c.add_argument("source", help="an http(s) URL, a page, s3://bucket/key or a file")
    c.add_argument("--channel", required=True, help="channel name from channels.yaml")
    c.add_argument("--count", type=int, default=3, help="how many clips (default 3)")
    c.add_argument("--rights", default="", choices=["", "owned"],
                   help="'owned': the source is yours (otherwise only reuse licences such as CC BY are published)")


def add_reference(source: str, rights: str = "", extra: dict | None = None) -> str:
    """Record the source and add its partition (idempotent); returns the reference partition key."""
    from shortsmith.intake.references import add_reference as record
    from shortsmith.intake.urls import parse_source

    from .cli import _instance
    from .definitions import defs
    from .partitions import references_partitions

    parse_source(source)  # a refused scheme or credentials: an error before anything is recorded
    store = defs.resources["storage"].store()
    key = record(store, source, rights)
    if extra:
        data = store.read_record("references", key) or {}
        store.write_record("references", key, {**data, **extra})
    instance = _instance()
    if not instance.has_dynamic_partition(references_partitions.name, key):
        instance.add_dynamic_partitions(references_partitions.name, [key])
    return key


def materialize_reference(key: str) -> bool:
    from .cli import QUIET_CONSOLE, _failure_text, _instance, step_times
    from .definitions import defs
    from .runguard import RunGuard, process_tags

    instance = _instance()
    job = defs.resolve_job_def("reference_intake")
    started = time.perf_counter()
    with RunGuard(instance):
        result = job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False,
                                        run_config=QUIET_CONSOLE, tags={"shortsmith/reference": key,
                                                                        "shortsmith/source": "cli", **process_tags()})
    for step, seconds in step_times(instance, result.run_id):
        print(f"  {step:<22} {seconds:6.1f} s", file=sys.stderr)
    for ev in result.get_asset_check_evaluations():
        if not ev.passed:
            print(f"CHECK FAILED {ev.asset_check_key.name}: {ev.description}", file=sys.stderr)
    if not result.success:
        print(f"run {result.run_id} failed after {time.perf_counter() - started:.1f} s", file=sys.stderr)
        for event in result.all_events:
            if event.event_type_value == "STEP_FAILURE":
                print(f"FAILED {event.step_key}: {_failure_text(event.event_specific_data.error)}", file=sys.stderr)
    return result.success


def run_transcribe(args: argparse.Namespace) -> int:
    from shortsmith.intake.references import load

    from .definitions import defs

    key = add_reference(args.source, args.rights)
    print(f"reference: {key}", file=sys.stderr)
    if not materialize_reference(key):
        return 1
    store = defs.resources["storage"].store()
    ref = load(store, key)
    print(f"media:     {ref.path} ({ref.content_type}, {ref.duration:.1f} s, {ref.title!r})", file=sys.stderr)
    transcript = _transcript_json(store, key)
    if transcript is None:
        print("error: no transcript was made for this reference", file=sys.stderr)
        return 1
    out = Path(args.output or f"{key}.transcript.json")
    out.write_text(json.dumps(transcript, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(transcript, ensure_ascii=False))
    print(f"transcript: {out}", file=sys.stderr)
    return 0


def _transcript_json(store, key: str) -> dict | None:
    """The transcript as ``{"source", "language", "duration", "words": [{"word", "start", "end"}]}``."""
    from shortsmith.transcribe.store import transcript_json

    return transcript_json(store, key)


def run_clip(args: argparse.Namespace) -> int:
    from .clips_cli import run_clip as make_clips  # highlights -> one video partition per clip (part B)

    return make_clips(args)


def run(args: argparse.Namespace) -> int:
    if args.command == "transcribe":
        return run_transcribe(args)
    return run_clip(args)
