"""Frame formats of a video (issue 13): 9:16 and 1:1 are Shorts, 16:9 is a normal video (an episode).

The format comes from ``Script.format``; the renderer's configured size (1080x1920 by default)
gives the short side, so every format is rendered at the same sharpness. The checks follow the
format: a Short must be vertical or square and at most 180 s (and the channel's own
``max_video_seconds``); a 16:9 episode may run up to 10 minutes and is published as a normal
video (no ``#Shorts``, a watch URL, not a /shorts/ one).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    from .captions import CaptionStyle
    from .render.settings import RenderSettings

FORMATS = {"9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080)}
SHORT_FORMATS = ("9:16", "1:1")  # vertical or square: published as a Short
SHORTS_LIMIT_S = 180.0
EPISODE_LIMIT_S = 600.0  # a 16:9 episode


def check_format(fmt: str, where: str = "script.format") -> str:
    fmt = (fmt or "9:16").strip()
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}", field=where, fix=f"use one of: {', '.join(FORMATS)}")
    return fmt


def format_size(fmt: str, width: int = 1080, height: int = 1920) -> tuple[int, int]:
    """The frame size of ``fmt`` for a renderer configured at ``width x height`` (its short side kept)."""
    fmt = check_format(fmt)
    short, long = min(width, height), max(width, height)
    if fmt == "9:16":
        return short, long
    if fmt == "16:9":
        return long, short
    return short, short


def settings_for_format(settings: RenderSettings, fmt: str) -> RenderSettings:
    """``settings`` with the frame size of ``fmt`` (everything else unchanged)."""
    w, h = format_size(fmt, settings.width, settings.height)
    return settings if (w, h) == (settings.width, settings.height) else replace(settings, width=w, height=h)


def is_short(fmt: str) -> bool:
    """Whether a video of this format is published as a YouTube Short (vertical or square)."""
    return check_format(fmt) in SHORT_FORMATS


def duration_limit(fmt: str, channel_limit: float) -> float:
    """The longest video the checks accept: the channel's Shorts limit, or 10 min for a 16:9 episode."""
    return min(channel_limit, SHORTS_LIMIT_S) if is_short(fmt) else max(channel_limit, EPISODE_LIMIT_S)


def caption_style_for_format(style: CaptionStyle, fmt: str) -> CaptionStyle:
    """The captions' safe area for the format: a Short keeps clear of the Shorts UI (right-hand
    buttons, title area); a square Short's band moves down under the terminal panel; a 16:9
    video has no overlaid UI, so the captions sit in the lower third with even margins."""
    fmt = check_format(fmt)
    if fmt == "9:16":
        return style
    if fmt == "1:1":
        return replace(style, vertical_position=0.70, safe_top=0.55, safe_bottom=0.84)
    return replace(style, font_size=min(style.font_size, 0.065), vertical_position=0.80, safe_top=0.64,
                   safe_bottom=0.92, margin_left=0.12, margin_right=0.12)


_SHORTS_TAG = re.compile(r"\s*#shorts\b", re.I)


def as_normal_video(body: dict) -> dict:
    """A videos.insert body for a video that is not a Short: no #Shorts in the title or
    description and no "shorts" tag (YouTube decides Short-ness by shape and length; the
    hashtag would only mislabel a 16:9 episode)."""
    snippet = body.get("snippet") or {}
    for key in ("title", "description"):
        if isinstance(snippet.get(key), str):
            snippet[key] = _SHORTS_TAG.sub("", snippet[key]).strip()
    if isinstance(snippet.get("tags"), list):
        snippet["tags"] = [t for t in snippet["tags"] if t.strip().lstrip("#").lower() != "shorts"]
    return body
