"""What a fetched file is: its type sniffed from the bytes, its streams and duration from ffprobe."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import InputError, MediaError
from ..ffmpeg import probe

_HEAD = 64


def sniff_bytes(head: bytes) -> str:
    """A MIME type from a file's first bytes, or "" when it is not a media type we know.

    HTML comes back as ``text/html`` (a page, for yt-dlp, not media)."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"qt  ",):
            return "video/quicktime"
        if brand.startswith(b"M4A") or brand.startswith(b"M4B"):
            return "audio/mp4"
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:_HEAD] else "video/x-matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"FLV"):
        return "video/x-flv"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "video/mp2t"
    text = head.lstrip()[:15].lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--")):
        return "text/html"
    return ""


def sniff(path: Path) -> str:
    with open(path, "rb") as f:
        return sniff_bytes(f.read(512))


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def inspect(path: Path, *, max_duration_s: float, name: str = "") -> dict:
    """Content type, duration, size and picture of a media file; raises a clear error when it is
    not media we can use (HTML, a corrupt or truncated file, no audio, over the duration cap)."""
    name = name or path.name
    ctype = sniff(path)
    if ctype == "text/html":
        raise InputError(f"{name} is a web page, not a media file", field="source",
                         fix="give the page's URL (yt-dlp reads the video from it) or the media file itself")
    if not ctype:
        raise MediaError(f"{name} is not a media file this program reads (unknown bytes at its start)",
                         field="source", fix="give an MP4, MOV, WebM/MKV, MP3, M4A, WAV, OGG or FLAC file")
    try:
        info = probe(path)
    except MediaError as exc:
        raise MediaError(f"{name} looks like {ctype} but cannot be read: {exc.message}", field="source",
                         fix="the file is corrupt or truncated; download it again or give another copy") from None
    streams = info.get("streams") or []
    if not streams:
        raise MediaError(f"{name} looks like {ctype} but cannot be read: ffprobe finds no streams in it",
                         field="source", fix="the file is corrupt or truncated; download it again or give "
                         "another copy")
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if audio is None:
        raise MediaError(f"{name} has no audio stream, so there is nothing to transcribe", field="source",
                         fix="give a video or audio file with sound")
    try:
        duration = float(info["format"].get("duration") or audio.get("duration") or 0)
    except (TypeError, ValueError):
        duration = 0.0
    if duration <= 0:
        raise MediaError(f"{name} has no readable duration", field="source",
                         fix="the file is probably truncated; download it again")
    if duration > max_duration_s:
        raise InputError(f"the media is {duration / 60:.1f} min long, over the cap of {max_duration_s / 60:.0f} min",
                         field="source", fix="use a shorter source or raise SHORTSMITH_INTAKE_MAX_MINUTES")
    tags = {k.lower(): v for k, v in (info["format"].get("tags") or {}).items()}
    return {
        "content_type": ctype if video is not None or not ctype.startswith("video/") else
        ctype.replace("video/", "audio/") if ctype == "video/mp4" else ctype,
        "duration": round(duration, 3),
        "has_video": video is not None,
        "width": int(video.get("width") or 0) if video else 0,
        "height": int(video.get("height") or 0) if video else 0,
        "size_bytes": path.stat().st_size,
        "title": str(tags.get("title") or ""),
        "uploader": str(tags.get("artist") or tags.get("author") or ""),
        "licence": str(tags.get("license") or tags.get("copyright") or ""),
    }
