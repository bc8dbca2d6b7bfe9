"""A URL line in the inbox: a small ``.url`` / ``.txt`` file naming a reference to transcribe or cut clips from.

Forms accepted (the first is what a browser writes when a link is dragged into a folder)::

    [InternetShortcut]
    URL=https://example.com/talk.mp4

    https://example.com/watch?v=abc rights=owned channel=curious-minds count=3

    https://example.com/talk.html
    channel: curious-minds
    count: 2
    rights: owned

With a ``channel`` the reference is cut into ``count`` clips for that channel (``mode: clip``);
without one it is transcribed (``mode: transcribe``). Lines starting with ``#`` are comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InputError
from .rights import normalise_rights
from .urls import parse_source

URL_SUFFIXES = (".url", ".txt")
MAX_BYTES = 4000
MAX_COUNT = 10
_KEYS = ("channel", "count", "rights", "mode")


@dataclass(frozen=True)
class UrlRequest:
    source: str
    mode: str  # "transcribe" or "clip"
    channel: str = ""
    count: int = 3
    rights: str = ""


def parse_url_file(text: str, *, name: str = "") -> UrlRequest:
    source = ""
    fields: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        m = re.match(r"(?i)^url\s*=\s*(\S+)\s*$", line)
        if m and not source:
            source = m.group(1)
            continue
        m = re.match(r"^([A-Za-z]+)\s*[:=]\s*(.+)$", line)
        if m and m.group(1).lower() in _KEYS:
            fields[m.group(1).lower()] = m.group(2).strip()
            continue
        if m and "://" not in line:
            continue  # other InternetShortcut keys (IconIndex=, ...)
        if source:
            raise InputError(f"{name or 'the file'} names more than one source ({line[:80]!r})", field="inbox",
                             fix="put one URL per file")
        first, *rest = line.split()
        source = first
        for token in rest:
            key, sep, value = token.partition("=")
            if not sep or key.lower() not in _KEYS:
                raise InputError(f"{token!r} after the URL is not one of {', '.join(k + '=' for k in _KEYS)}",
                                 field="inbox", fix="write e.g. 'https://... channel=NAME count=3 rights=owned'")
            fields[key.lower()] = value
    if not source:
        raise InputError(f"{name or 'the file'} has no URL line", field="inbox",
                         fix="write the video's URL (or s3://bucket/key) on the first line")
    src = parse_source(source)
    if src.kind == "file":
        raise InputError(f"{source[:80]!r} is a local path; the inbox takes URLs and s3:// objects", field="inbox",
                         fix="drop the media file itself somewhere the pipeline can reach and give its URL, or run "
                             "`shortsmith transcribe PATH`")
    rights = normalise_rights(fields.get("rights", ""))
    channel = fields.get("channel", "")
    mode = (fields.get("mode") or ("clip" if channel else "transcribe")).lower()
    if mode not in ("clip", "transcribe"):
        raise InputError(f"mode {mode!r} is not known", field="inbox.mode", fix="use 'clip' or 'transcribe'")
    if mode == "clip" and not channel:
        raise InputError("mode clip needs a channel", field="inbox.channel", fix="add 'channel: NAME'")
    try:
        count = int(fields.get("count", "3"))
    except ValueError:
        raise InputError(f"count {fields['count']!r} is not a number", field="inbox.count", fix="e.g. count: 3") from None
    if not 1 <= count <= MAX_COUNT:
        raise InputError(f"count {count} is outside 1..{MAX_COUNT}", field="inbox.count",
                         fix=f"ask for 1 to {MAX_COUNT} clips")
    return UrlRequest(source=src.raw, mode=mode, channel=channel, count=count, rights=rights)
