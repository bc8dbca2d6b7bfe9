"""Command line: add a video partition for a topic and materialize it, as the UI would.

    shortsmith video --channel curious-minds --topic "Why cats purr"
    shortsmith narrative examples/the-signal.md [--channel paper-trail]
    shortsmith trends
    shortsmith add --channel curious-minds --topic "How bees make honey"   # partition only
    shortsmith backfill --from voiceovers --channel curious-minds          # voiceovers* for a channel
    shortsmith youtube-auth --channel curious-minds    # authorize uploads once (writes the 0600 token file)
    shortsmith tiktok-auth --channel curious-minds     # the same for TikTok (tiktok.credentials, 0600)
    shortsmith transcribe talk.mp4                     # fetch (URL, page, s3://, file) and transcribe
    shortsmith clip https://example.com/talk --channel curious-minds --count 3 --rights owned

Runs are recorded in the Dagster instance at $DAGSTER_HOME (default .shortsmith/dagster_home),
so they show up in `dagster dev` started with the same DAGSTER_HOME.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from shortsmith.errors import ShortsmithError
from shortsmith.languages import check_speakable
from shortsmith.topics import clean_topic

from . import settings


def _instance():
    """The instance, created/migrated under the instance lock; STARTED runs whose process died are ended."""
    from .dagster_storage import DagsterStorage
    from .instance import open_instance

    instance = open_instance()
    for run_id in DagsterStorage(instance).end_dead_runs():
        print(f"note: run {run_id} was left STARTED by a process that is gone; marked failed and its "
              "pool slots freed", file=sys.stderr)
    return instance


def add_video(channel: str, topic: str, *, source: str = "cli", fact_source: str | None = None) -> str:
    """Validate the request, record the topic and add the partition; returns the partition key.

    A manual request is recorded in the channel's daily ledger (so schedules and sensors count
    it against the day's cap) but is not refused at the cap: publishing defers it instead.
    """
    from shortsmith.quota import local_day, utcnow

    from .definitions import defs
    from .ledger import Ledger
    from .partitions import videos_partitions
    from .requests import write_request

    resources = defs.resources
    ch = resources["channels"].get(channel)  # a clear error for an unknown channel
    check_speakable(ch, clean_topic(topic))  # refused before any partition or ledger entry exists
    store = resources["storage"].store()
    if fact_source:  # fail before a partition exists; a relative path is relative to where it was typed
        from shortsmith.sources import is_url, load_source

        fact_source = fact_source if is_url(fact_source) else str(Path(fact_source).expanduser().resolve())
        load_source(fact_source, field="--source")
    key = write_request(store, ch, clean_topic(topic), source, fact_source=fact_source,
                        overwrite=bool(fact_source))
    instance = _instance()
    if not instance.has_dynamic_partition(videos_partitions.name, key):
        Ledger(instance).record_requested(ch.name, local_day(utcnow(), ch.timezone), source, key, topic)
        try:
            instance.add_dynamic_partitions(videos_partitions.name, [key])
        except Exception as exc:  # another command added it at the same moment: a no-op
            if not instance.has_dynamic_partition(videos_partitions.name, key):
                raise
            del exc
    return key


# Progress (INFO) on the console, not Dagster's DEBUG event stream; the UI still has everything.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def step_times(instance, run_id: str) -> list[tuple[str, float]]:
    """Wall time of each step of a run, from the instance's event log, in the order they finished."""
    starts, out = {}, []
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in starts:
            out.append((event.step_key, record.timestamp - starts[event.step_key]))
    return out


def _failure_text(err) -> str:
    """A step's error in one line: the user-facing message, or the environment problem under it."""
    from shortsmith.enverrors import environment_error

    text = (err.message if err else "").strip()
    if "Failure: " in text:
        return text.split("Failure: ", 1)[-1]
    chain, causes = [], err
    while causes is not None:
        chain.append(f"{causes.cls_name}: {causes.message}")
        causes = causes.cause or getattr(causes, "context", None)
    blob = "\n".join(chain)
    for marker, code in (("No space left on device", 28), ("Read-only file system", 30), ("Permission denied", 13)):
        if marker in blob:
            line = next(ln for ln in blob.splitlines() if marker in ln)
            problem = environment_error(OSError(code, marker, line.split("'")[1] if "'" in line else None))
            if problem is not None:
                return str(problem)
    return chain[-1] if chain else text


def run_video(channel: str, topic: str, fact_source: str | None = None) -> int:
    started = time.perf_counter()
    return run_partition(add_video(channel, topic, fact_source=fact_source), started)


def run_partition(key: str, started: float) -> int:
    """Materialize a video partition end to end (make_video), printing step times and the outcome."""
    from .definitions import defs

    print(f"partition: {key}")
    job = defs.resolve_job_def("make_video")
    instance = _instance()
    from .requests import run_tags
    from .runguard import RunGuard, process_tags

    with RunGuard(instance):
        result = job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False,
                                        run_config=QUIET_CONSOLE, tags={**run_tags(key, "cli"), **process_tags()})
    elapsed = time.perf_counter() - started
    for step, seconds in step_times(instance, result.run_id):
        print(f"  {step:<22} {seconds:6.1f} s")
    failed_checks = [e for e in result.get_asset_check_evaluations() if not e.passed]
    for ev in failed_checks:
        print(f"CHECK FAILED {ev.asset_check_key.name}: {ev.description}", file=sys.stderr)
    if not result.success:
        print(f"run {result.run_id} failed after {elapsed:.1f} s", file=sys.stderr)
        for event in result.all_events:  # last, so the last line is the cause and its fix
            if event.event_type_value == "STEP_FAILURE":
                print(f"FAILED {event.step_key}: {_failure_text(event.event_specific_data.error)}", file=sys.stderr)
        return 1
    from .assets.stage import VIDEO

    store = defs.resources["storage"].store()
    print(f"video:     {store.file(key, VIDEO.folder, VIDEO.main_file)}")
    mats = result.asset_materializations_for_node("published_uploads")
    meta = {k: v.value for k, v in mats[-1].metadata.items()} if mats else {}
    if meta.get("status") == "deferred":
        print(f"publishing deferred until {meta.get('deferred_until')}: {meta.get('reason')}")
    elif meta:
        pub = defs.resources["publisher"].existing(key)
        note = " (already published earlier; not published again)" if meta.get("status") == "already_published" else ""
        print(f"published: {pub.video_path if pub else meta.get('folder')} ({meta.get('video_id')}){note}")
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


BACKFILL_MUTATION = """
mutation Backfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}"""


def run_backfill(start: str, partitions: list[str], channel: str | None, remote: str | None) -> int:
    """Launch an asset backfill of ``start`` and everything downstream of it over the given partitions.

    It is the UI's "Materialize selected" over partitions, sent as the GraphQL mutation
    launchPartitionBackfill through the ``dagster-graphql`` CLI (to the local instance, or to a
    webserver with --remote). The daemon runs it one partition per run (BackfillPolicy) and at
    most one backfill run at a time (the dagster/backfill tag limit), so it never starves the
    daily production; already published videos are not uploaded again.
    """
    import json
    import subprocess

    import dagster as dg

    from .definitions import defs
    from .partitions import videos_partitions

    graph = defs.resolve_asset_graph()
    try:
        keys = dg.AssetSelection.assets(start).downstream().resolve(graph)
    except Exception:  # an unknown asset key
        known = ", ".join(sorted(k.to_user_string() for k in graph.get_all_asset_keys()))
        print(f"error: [--from] no asset named {start!r}; use one of: {known}", file=sys.stderr)
        return 2
    instance = _instance()
    existing = instance.get_dynamic_partitions(videos_partitions.name)
    if not partitions:
        if not channel:
            print("error: [--partitions] give partition keys, or --channel for all of a channel's videos",
                  file=sys.stderr)
            return 2
        partitions = [p for p in existing if p.startswith(f"{channel}--")]
    missing = [p for p in partitions if p not in existing]
    if missing or not partitions:
        print(f"error: [--partitions] not video partitions in this instance: {', '.join(missing) or '(none given)'}",
              file=sys.stderr)
        return 2
    params = {"partitionNames": partitions, "assetSelection": [{"path": k.path} for k in sorted(keys)]}
    channels_in = sorted({p.split("--", 1)[0] for p in partitions})
    if len(channels_in) == 1:  # the same tags as sensor runs, so runs filter by channel in the UI
        from .requests import run_tags

        params["tags"] = [{"key": k, "value": v} for k, v in run_tags(partitions[0], "backfill").items()]
    target = ["-r", remote] if remote else ["-w", str(settings.PROJECT_ROOT / "workspace.yaml")]
    exe = Path(sys.executable).parent / "dagster-graphql"
    proc = subprocess.run([str(exe), *target, "-t", BACKFILL_MUTATION, "-v", json.dumps({"params": params})],
                          capture_output=True, text=True, cwd=str(settings.PROJECT_ROOT))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    result = json.loads(lines[-1])["data"]["launchPartitionBackfill"] if lines else {}
    if result.get("__typename") != "LaunchBackfillSuccess":
        print(f"error: backfill not launched: {result.get('message') or proc.stderr[-2000:]}", file=sys.stderr)
        return 1
    print(f"backfill {result['backfillId']}: {', '.join(k.to_user_string() for k in sorted(keys))} "
          f"over {len(partitions)} partition(s); the daemon runs it one partition per run")
    return 0


def run_costs(channel: str | None, day: str | None, as_json: bool) -> int:
    """Print each channel's provider cost for one of its days (default: its today)."""
    import json
    from datetime import date

    from shortsmith.config import load_channels
    from shortsmith.errors import InputError
    from shortsmith.quota import local_day, utcnow

    from .ledger import Ledger

    config = load_channels(settings.channels_path())
    names = [channel] if channel else config.names
    try:
        wanted = date.fromisoformat(day) if day else None
    except ValueError:
        raise InputError(f"--day {day!r} is not a date", field="--day", fix="use YYYY-MM-DD") from None
    with _instance() as instance:
        ledger = Ledger(instance)
        reports = [ledger.costs(name, wanted or local_day(utcnow(), config.get(name).timezone)) for name in names]
    if as_json:
        print(json.dumps(reports, indent=2))
        return 0
    for r in reports:
        providers = ", ".join(f"{p} ${usd:.4f}" for p, usd in sorted(r["by_provider"].items())) or "no provider calls"
        print(f"{r['channel']} on {r['day']}: ${r['total_usd']:.4f} ({providers}); {len(r['by_partition'])} video(s)")
        for partition, usd in sorted(r["by_partition"].items()):
            print(f"  {partition}: ${usd:.4f}")
    return 0


def run_videojobs(partition: str) -> int:
    import json

    from shortsmith.config import load_channels
    from shortsmith.quota import local_day, utcnow
    from shortsmith.topics import split_partition_key

    from .resources.videogen import jobs_report
    from .state import StateStore

    channel = load_channels(settings.channels_path()).get(split_partition_key(partition)[0])
    with _instance() as instance:
        report = jobs_report(StateStore(instance), partition, channel, local_day(utcnow(), channel.timezone).isoformat())
    print(json.dumps(report, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shortsmith", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("video", "add a video for a topic and make it end to end"),
                            ("add", "add a video partition for a topic (materialize it from the UI)")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--channel", required=True, help="channel name from channels.yaml")
        p.add_argument("--topic", required=True, help="what the video is about, e.g. 'Why cats purr'")
        p.add_argument("--source", help="a file (text, Markdown, HTML, PDF) or http(s) URL the script takes its facts from")
    n = sub.add_parser("narrative", help="make a video from a narrative file (speakers, scenes, overlays) end to end")
    n.add_argument("file", help="the narrative .md (README 'Narrative productions')")
    n.add_argument("--channel", help="channel name (default: the file's 'channel:' line)")
    sub.add_parser("trends", help="score topic candidates for every channel")
    b = sub.add_parser("backfill", help="re-make a step and everything after it for some videos (a Dagster backfill)")
    b.add_argument("--from", dest="start", default="scene_images",
                   help="the first asset to redo: voiceovers (new voice), scene_images (new style), ...")
    b.add_argument("--partitions", default="", help="comma-separated partition keys")
    b.add_argument("--channel", help="all of this channel's videos (when --partitions is not given)")
    b.add_argument("--remote", help="a dagster-webserver URL, e.g. http://localhost:3000 (default: the local instance)")
    c = sub.add_parser("costs", help="provider costs of a channel's day (from the Dagster instance)")
    c.add_argument("--channel", help="one channel (default: every channel)")
    c.add_argument("--day", help="the channel-local day, YYYY-MM-DD (default: today)")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    v = sub.add_parser("videojobs", help="generated clip jobs (sora, runway) recorded for a video, and its channel's "
                                         "visuals budget today (JSON)")
    v.add_argument("--partition", required=True, help="the video's partition key, e.g. curious-minds--why-cats-purr")
    y = sub.add_parser("youtube-auth", help="authorize a channel's YouTube uploads once (OAuth in the browser); "
                                            "writes its credentials file (0600) and prints only the path")
    y.add_argument("--channel", required=True, help="channel name from channels.yaml")
    y.add_argument("--output", help="write the token JSON here instead of the channel's youtube.credentials "
                                    "(for credentials_env: copy it into the variable, then delete the file)")
    y.add_argument("--port", type=int, default=0, help="port of the local redirect server (default: any free)")
    y.add_argument("--no-browser", action="store_true", help="print the consent URL instead of opening a browser")
    t = sub.add_parser("tiktok-auth", help="authorize a channel's TikTok account once (Login Kit in the browser); "
                                           "writes its token file (0600) and prints only the path")
    t.add_argument("--channel", required=True, help="channel name from channels.yaml")
    t.add_argument("--output", help="write the token JSON here instead of the channel's tiktok.credentials")
    t.add_argument("--port", type=int, default=0, help="port of the local redirect server (default: any free)")
    from studio.cli import add_parsers as studio_parsers

    from .references_cli import add_parsers as reference_parsers

    studio_parsers(sub)
    reference_parsers(sub)  # transcribe, clip
    args = parser.parse_args(argv)
    try:
        if args.command in ("studio", "studio-key"):
            from studio.cli import run as studio_run

            return studio_run(args)
        if args.command in ("transcribe", "clip"):
            from .references_cli import run as references_run

            return references_run(args)
        if args.command == "costs":
            return run_costs(args.channel, args.day, args.json)
        if args.command == "videojobs":
            return run_videojobs(args.partition)
        if args.command == "video":
            return run_video(args.channel, args.topic, args.source)
        if args.command == "narrative":
            from .narrative_cli import add_narrative

            return run_partition(add_narrative(args.file, args.channel), time.perf_counter())
        if args.command == "add":
            print(add_video(args.channel, args.topic, fact_source=args.source))
            return 0
        if args.command == "youtube-auth":
            from .youtube_auth import main as youtube_auth

            return youtube_auth(args.channel, output=args.output, port=args.port, no_browser=args.no_browser)
        if args.command == "tiktok-auth":
            from .tiktok_auth import main as tiktok_auth

            return tiktok_auth(args.channel, output=args.output, port=args.port)
        if args.command == "backfill":
            return run_backfill(args.start, [p for p in args.partitions.split(",") if p.strip()], args.channel,
                                args.remote)
        return run_trends()
    except ShortsmithError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the disk, a folder or the instance's database: cause and fix on the last line
        from shortsmith.enverrors import environment_error

        problem = environment_error(exc)
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
