"""URL lines in the inbox (``.url`` / ``.txt``): a reference partition and a reference_intake run each.

The narrative inbox sensor hands such files here; the file format is
``shortsmith.intake.inbox_lines``. An accepted file moves to ``processed/``; a bad one is rejected
by the sensor with the same report as a bad narrative (the problem and its fix).
"""

from __future__ import annotations

import dagster as dg

from shortsmith.errors import ShortsmithError
from shortsmith.intake.inbox_lines import MAX_BYTES, URL_SUFFIXES, parse_url_file
from shortsmith.intake.references import add_reference

from ..requests import run_tags

__all__ = ["URL_SUFFIXES", "handle_url_file", "reference_run_request"]


def handle_url_file(f, inbox, channels, store, rejected_cls) -> tuple[str, str, str]:
    """Check one URL file, record its reference and move it; returns ("reference", key, moved)."""
    raw = inbox.read(f, MAX_BYTES)
    if len(raw) > MAX_BYTES:
        raise rejected_cls(f"it is larger than {MAX_BYTES} bytes for a URL line", "put one URL per file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise rejected_cls(f"it is not UTF-8 text (byte {exc.start})", "save the file as UTF-8") from None
    if "://" not in text:  # a text file that names no URL: neither a narrative nor a URL line
        raise rejected_cls("it is not a markdown file, and it has no URL line",
                           "save a narrative as a .md file, or put a video's URL on the first line of a .url/.txt file")
    try:
        req = parse_url_file(text, name=f.name)
        if req.channel:
            channels.get(req.channel)  # an unknown channel: rejected now, not after the download
    except ShortsmithError as exc:
        raise rejected_cls(exc.message if exc.field is None else f"[{exc.field}] {exc.message}",
                           exc.fix or "correct the file") from None
    moved = inbox.accept(f)
    try:
        key = add_reference(store, req.source, req.rights)
        record = store.read_record("references", key) or {}
        if req.mode == "clip":
            record["clips"] = {"channel": req.channel, "count": req.count, "requested_by": "inbox"}
        store.write_record("references", key, record)
    except BaseException:
        inbox.restore(f, moved)
        raise
    return "reference", key, moved


def reference_run_request(key: str, moved: str, job_name: str) -> dg.RunRequest:
    return dg.RunRequest(partition_key=key, run_key=f"inbox:{key}:{moved}", job_name=job_name,
                         tags={**run_tags(key, "inbox"), "shortsmith/reference": key})
