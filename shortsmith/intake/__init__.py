"""Intake of reference media: a URL (yt-dlp or direct HTTP(S)), an ``s3://`` object or a local file.

``fetch_reference(source, dest_dir)`` writes the media into ``dest_dir`` and returns a
:class:`ReferenceMedia` describing it. This is the contract with the transcription and
clipping code (part B of issue 14), which only reads ``ReferenceMedia.path``.

Nothing here imports Dagster; the ``reference_media`` asset wraps this module.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class ReferenceMedia:
    """A fetched reference: where it came from, where it is now, and what it is."""

    source: str  # what the user gave (URL, s3://..., local path)
    path: str  # the local file under dest_dir
    title: str
    duration: float  # seconds
    uploader: str
    licence: str  # as the source states it ("" when unknown)
    rights: str  # what the user declared ("owned" or ""), see shortsmith.intake.rights
    width: int  # 0 when there is no video
    height: int
    has_video: bool
    size_bytes: int
    sha256: str
    content_type: str  # sniffed from the bytes, e.g. "video/mp4"

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ReferenceMedia":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def fetch_reference(source: str, dest_dir: Path, *, rights: str = "", **options: Any) -> ReferenceMedia:
    """Fetch ``source`` into ``dest_dir`` (streamed, size/duration capped, committed only when
    complete) and describe it. ``options``: ``limits`` (download.Limits), ``breaker`` (a per-host
    resilience.CircuitBreaker), ``s3_client``, ``log``. Raises ``InputError`` naming the problem for unsafe or unusable
    sources, ``MediaError`` for a file that is not readable media."""
    from .fetch import fetch_reference as _fetch

    return _fetch(source, Path(dest_dir), rights=rights, **options)


__all__ = ["ReferenceMedia", "fetch_reference"]
