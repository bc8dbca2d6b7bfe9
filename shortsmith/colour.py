"""Hex colours as channels.yaml writes them: ``#rrggbb``, or its CSS short form ``#rgb``."""

from __future__ import annotations

import re

HEX_RE = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


def expand_hex(value: object) -> str | None:
    """``#rrggbb`` for a ``#rrggbb`` or ``#rgb`` colour (spaces around it ignored, case kept); None otherwise.

    Every stage downstream (ASS captions, scene art, colour names) then reads one spelling.
    """
    if not isinstance(value, str):
        return None
    v = value.strip()
    if not HEX_RE.fullmatch(v):
        return None
    return v if len(v) == 7 else "#" + "".join(ch * 2 for ch in v[1:])
