"""Command line: add a video partition for a topic and materialize it, as the UI would.

    shortsmith video --channel curious-minds --topic "Why cats purr"
    shortsmith trends
    shortsmith add --channel curious-minds --topic "How bees make honey"   # partition only

Runs are recorded in the Dagster instance at $DAGSTER_HOME (default .shortsmith/dagster_home),
so they show up in `dagster dev` started with the same DAGSTER_HOME.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from shortsmith.errors import ShortsmithError
from shortsmith.topics import clean_topic, partition_key

from . import settings


def ensure_dagster_home() -> Path:
    """Use $DAGSTER_HOME, or a project-local one that uses the project's dagster.yaml."""
    if os.environ.get("DAGSTER_HOME"):
        home = Path(os.environ["DAGSTER_HOME"])
    else:
        home = settings.home() / "dagster_home"
        os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    link = home / "dagster.yaml"
    source = settings.PROJECT_ROOT / "dagster.yaml"
    if not link.exists() and source.is_file():
        link.symlink_to(source)
    return home


def _instance():
    ensure_dagster_home()
    import dagster as dg

    return dg.DagsterInstance.get()


def add_video(channel: str, topic: str, *, source: str = "cli") -> str:
    """Validate the request, record the topic and add the partition; returns the partition key."""
    from .definitions import defs
    from .partitions import videos_partitions

    resources = defs.resources
    channels = resources["channels"]
    ch = channels.get(channel)  # a clear error for an unknown channel
    topic = clean_topic(topic)
    key = partition_key(ch.name, topic)
    store = resources["storage"].store()
    if store.read_record("requests", key) is None:
        store.write_record("requests", key, {"channel": ch.name, "topic": topic, "source": source,
                                             "requested_at": datetime.now(timezone.utc).isoformat()})
    instance = _instance()
    if not instance.has_dynamic_partition(videos_partitions.name, key):
        instance.add_dynamic_partitions(videos_partitions.name, [key])
    return key


def _step_times(result) -> list[tuple[str, float]]:
    starts, out = {}, []
    for event in result.all_events:
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = event.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in starts:
            out.append((event.step_key, event.timestamp - starts[event.step_key]))
    return out


def run_video(channel: str, topic: str) -> int:
    started = time.perf_counter()
    key = add_video(channel, topic)
    from .definitions import defs

    print(f"partition: {key}")
    job = defs.resolve_job_def("make_video")
    result = job.execute_in_process(partition_key=key, instance=_instance(), raise_on_error=False)
    elapsed = time.perf_counter() - started
    for step, seconds in _step_times(result):
        print(f"  {step:<22} {seconds:6.1f} s")
    failed_checks = [
        e.event_specific_data.asset_check_evaluation
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.event_specific_data.asset_check_evaluation.passed
    ]
    for ev in failed_checks:
        print(f"CHECK FAILED {ev.asset_check_key.name}: {ev.description}", file=sys.stderr)
    if not result.success:
        for event in result.all_events:
            if event.event_type_value == "STEP_FAILURE":
                err = event.event_specific_data.error
                print(f"FAILED {event.step_key}: {err.message.strip() if err else ''}", file=sys.stderr)
        print(f"run {result.run_id} failed after {elapsed:.1f} s", file=sys.stderr)
        return 1
    store = defs.resources["storage"].store()
    publisher = defs.resources["publisher"]
    pub = publisher.existing(key)
    print(f"video:     {store.file(key, 'video', 'video.mp4')}")
    if pub:
        print(f"published: {pub.video_path} ({pub.video_id}{', already published' if pub.already_published else ''})")
    print(f"run {result.run_id} succeeded in {elapsed:.1f} s")
    return 0


def run_trends() -> int:
    from .definitions import defs

    result = defs.resolve_job_def("discover_trends").execute_in_process(instance=_instance(), raise_on_error=False)
    store = defs.resources["storage"].store()
    for name in defs.resources["channels"].config.names:
        record = store.read_record("trends", name) or {}
        print(f"{name}:")
        for t in record.get("topics", [])[:10]:
            print(f"  {t['score']:6.1f}  {t['topic']}  ({t['partition_key']})")
    return 0 if result.success else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shortsmith", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("video", "add a video for a topic and make it end to end"),
                            ("add", "add a video partition for a topic (materialize it from the UI)")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--channel", required=True, help="channel name from channels.yaml")
        p.add_argument("--topic", required=True, help="what the video is about, e.g. 'Why cats purr'")
    sub.add_parser("trends", help="score topic candidates for every channel")
    args = parser.parse_args(argv)
    try:
        if args.command == "video":
            return run_video(args.channel, args.topic)
        if args.command == "add":
            print(add_video(args.channel, args.topic))
            return 0
        return run_trends()
    except ShortsmithError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
