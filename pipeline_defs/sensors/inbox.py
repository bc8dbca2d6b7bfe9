"""Markdown narratives dropped into the inbox (a folder or an S3 prefix) become videos.

Each file is read once and then moved: to ``processed/`` once its partition is requested, to
``rejected/`` with a ``.error.txt`` report when it cannot be used (or cannot be handled at all:
each file is handled on its own and a failure quarantines only that file) (not markdown, not UTF-8, no
title, too few paragraphs, unknown channel, too long or too short for the channel's budget, or a
duplicate of a topic already made or used within the cooldown). A good file that finds its
channel's cap for today already reached stays in the inbox and is picked up on a later day.
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from shortsmith.errors import ShortsmithError
from shortsmith.inbox import MARKDOWN_SUFFIXES, open_inbox
from shortsmith.languages import check_speakable
from shortsmith.narrative import (
    MAX_BYTES,
    narrative_script,
    narrative_to_dict,
    parse_narrative,
)
from shortsmith.quota import utcnow
from shortsmith.topics import partition_key

from .. import settings
from ..jobs import make_video_job, reference_job
from ..partitions import references_partitions, videos_partitions
from ..requests import Planner, run_request
from .inbox_urls import URL_SUFFIXES, handle_url_file, reference_run_request
from ..resources.channels import ChannelsResource
from ..resources.storage import MediaStorage

FILES_PER_TICK = 20


class Rejected(Exception):
    def __init__(self, reason: str, fix: str):
        super().__init__(reason)
        self.reason, self.fix = reason, fix


def _report(name: str, where: str, reason: str, fix: str) -> str:
    return (f"Rejected narrative: {name}\nInbox: {where}\nWhen: {utcnow().isoformat()}\n\n"
            f"Problem: {reason}\nFix: {fix}\n\n"
            "Correct the file and drop it into the inbox again (the rejected copy is not retried).\n")


@dg.sensor(
    name="narrative_inbox_sensor",
    jobs=[make_video_job, reference_job],
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING if settings.automation_on() else dg.DefaultSensorStatus.STOPPED,
    description="Markdown narratives dropped into $SHORTSMITH_INBOX (a folder or s3://bucket/prefix) become "
                "video partitions and runs; bad files are moved to rejected/ with a report. A .url/.txt file with a "
                "URL line becomes a reference to transcribe or cut clips from (shortsmith.intake.inbox_lines).",
)
def narrative_inbox_sensor(context: dg.SensorEvaluationContext, channels: ChannelsResource,
                           storage: MediaStorage) -> dg.SensorResult | dg.SkipReason:
    cursor = json.loads(context.cursor) if context.cursor else {}
    stuck: dict[str, float] = dict(cursor.get("stuck", {}))  # files that could not even be moved aside
    inbox = open_inbox(settings.inbox())
    files = [f for f in inbox.list(limit=FILES_PER_TICK + len(stuck)) if _stuck_id(f) not in stuck][:FILES_PER_TICK]
    if not files:
        return dg.SkipReason(f"the inbox {inbox.describe()} is empty")
    default_channel = settings.inbox_channel() or channels.config.names[0]
    planner = Planner(context.instance, storage.store(), utcnow())
    room: dict[str, int] = {}
    run_requests, keys, accepted, rejected, waiting, ref_keys = [], [], [], [], [], []
    for f in files:  # each file on its own: one that fails never blocks or loses the others
        try:
            if f.name.lower().endswith(URL_SUFFIXES):
                outcome = handle_url_file(f, inbox, channels, planner.store, Rejected)
            else:
                outcome = _handle(f, inbox, channels, default_channel, planner, room, keys, context.log)
        except Rejected as exc:
            rejected.append(f"{f.name[:80]}: {exc.reason}")
            try:
                moved = inbox.reject(f, _report(f.name, inbox.describe(), exc.reason, exc.fix))
                context.log.warning(f"rejected {f.name[:80]}: {exc.reason} (moved to {moved}, report beside it)")
            except Exception as move_exc:  # quarantined in place, reported
                _quarantine(f, inbox, stuck, exc.reason, move_exc, context.log)
            continue
        except Exception as exc:  # any other failure quarantines this file only
            reason = f"it could not be handled ({type(exc).__name__}: {str(exc)[:200]})"
            rejected.append(f"{f.name[:80]}: {reason}")
            try:
                moved = inbox.reject(f, _report(f.name, inbox.describe(), reason,
                                                "rename it to a shorter plain name and drop it in again"))
                context.log.warning(f"quarantined {f.name[:80]}: {reason} (moved to {moved})")
            except Exception as move_exc:
                _quarantine(f, inbox, stuck, reason, move_exc, context.log)
            continue
        if outcome is None:
            continue
        if isinstance(outcome, str):
            waiting.append(outcome)
            continue
        if len(outcome) == 3:  # a URL line: a reference partition and its intake run
            _, ref_key, moved = outcome
            ref_keys.append(ref_key)
            run_requests.append(reference_run_request(ref_key, moved, reference_job.name))
            accepted.append(f"{f.name[:80]} -> {ref_key}")
            context.log.info(f"accepted {f.name[:80]} as reference {ref_key} (moved to {moved})")
            continue
        key, moved = outcome
        keys.append(key)
        req = run_request(key, "inbox", run_key=f"inbox:{key}")
        run_requests.append(dg.RunRequest(partition_key=key, run_key=req.run_key, tags=req.tags,
                                          job_name=make_video_job.name))
        accepted.append(f"{f.name[:80]} -> {key}")
        context.log.info(f"accepted {f.name[:80]} as {key} (moved to {moved})")
    new_cursor = json.dumps({"accepted": int(cursor.get("accepted", 0)) + len(accepted),
                             "rejected": int(cursor.get("rejected", 0)) + len(rejected),
                             **({"stuck": stuck} if stuck else {})})
    summary = "; ".join(
        part for part in (
            f"accepted {', '.join(accepted)}" if accepted else "",
            f"rejected {'; '.join(rejected)}" if rejected else "",
            f"waiting {', '.join(waiting)}" if waiting else "",
        ) if part)
    if not run_requests:
        return dg.SensorResult(skip_reason=summary or "nothing to do", cursor=new_cursor)
    partition_requests = [videos_partitions.build_add_request(keys)] if keys else []
    if ref_keys:
        partition_requests.append(references_partitions.build_add_request(ref_keys))
    return dg.SensorResult(run_requests=run_requests, dynamic_partitions_requests=partition_requests,
                           cursor=new_cursor)


def _stuck_id(f) -> str:
    return hashlib.sha256(f"{f.ref}\0{f.size}".encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _quarantine(f, inbox, stuck: dict, reason: str, move_exc: Exception, log) -> None:
    """A file that cannot even be moved aside: a report in rejected/, and skipped until it changes."""
    stuck[_stuck_id(f)] = utcnow().timestamp()
    fix = (f"move or rename it by hand ({type(move_exc).__name__}: {str(move_exc)[:160]}); "
           "a renamed or changed file is looked at again")
    try:
        where = inbox.report_only(f, _report(f.name, inbox.describe(), reason, fix))
    except Exception as exc:  # even the report failed: the log is all that is left
        where = f"no report written ({exc})"
    log.error(f"could not move {f.name[:80]} ({move_exc}); left in place and skipped: {where}")


def _handle(f, inbox, channels, default_channel, planner, room, keys, log):
    """Check one file; on success move it and commit its request together. Returns (key, moved),
    a "waiting" note, or raises Rejected."""
    if not f.name.lower().endswith(MARKDOWN_SUFFIXES):
        raise Rejected("it is not a markdown file", "save the narrative as a .md file (or a video's URL in a .url "
                                                    "or .txt file)")
    raw = inbox.read(f, MAX_BYTES)
    if len(raw) > MAX_BYTES:
        raise Rejected(f"it is larger than {MAX_BYTES // 1000} kB", "split it into several narratives")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Rejected(f"it is not UTF-8 text (byte {exc.start})", "save the file as UTF-8") from None
    try:
        narrative = parse_narrative(text, name=f.name)
        channel = channels.get(narrative.channel or default_channel)
        narrative_script(channel, narrative, name=f.name)  # the budget check, before any work
        check_speakable(channel, " ".join([narrative.title, *narrative.paragraphs]), field="narrative")
    except ShortsmithError as exc:
        raise Rejected(exc.message if exc.field is None else f"[{exc.field}] {exc.message}",
                       exc.fix or "correct the file") from None
    key = partition_key(channel.name, narrative.title)
    if key in keys:
        raise Rejected(f"another file in this batch has the same title ({key})", "give it a different title")
    reason = planner.why_not(channel, key, planner.ledger.used_topics(channel, planner.day(channel)))
    if reason:
        raise Rejected(f"duplicate: {reason}", "choose a different title, or re-run the existing partition "
                                               "from the UI if you meant to remake it")
    if channel.name not in room:
        room[channel.name], note = planner.room_for_new(channel)
        log.info(note)
    if room[channel.name] <= 0:
        return f"{f.name[:80]} ({channel.name} is at its cap for today)"
    moved = inbox.accept(f)  # first the move: a file that cannot be moved never gets a request
    try:
        committed = planner.request(channel, narrative.title, "inbox", narrative=narrative_to_dict(narrative))
    except BaseException:
        inbox.restore(f, moved)  # no request without its move: the file goes back for the next tick
        raise
    if committed is None:
        inbox.restore(f, moved)
        room[channel.name] = 0
        return f"{f.name[:80]} ({channel.name} reached its cap for today meanwhile)"
    room[channel.name] -= 1
    return committed, moved
