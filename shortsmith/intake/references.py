"""References in the media store: partition keys, the request record, fetch-or-reuse, and rights at publish.

A reference is one source (URL, s3:// object, local file). Its partition key is
``references--<slug>-<hash>`` (the ``references`` "channel" keeps the store's
``<root>/<channel>/<partition>/<stage>/`` layout), its stage folder ``reference/`` holds
``media.<ext>`` and a manifest whose ``reference`` entry is the :class:`ReferenceMedia`.
What the user asked for (source, declared rights) is the record ``references/<key>``, written
when the partition is added (CLI, inbox, UI) and read by the asset and by the publisher.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from ..errors import InputError
from ..resilience import CircuitBreaker
from ..storage import MediaStore, fingerprint
from ..topics import slugify
from . import ReferenceMedia, fetch_reference
from .download import Limits
from .rights import normalise_rights, publish_refusal
from .urls import parse_source

CHANNEL = "references"
STAGE = "reference"
RECORD = "references"
VERSION = "reference-v1"


def canonical_source(source: str) -> str:
    """A local path made absolute (so the same file has one key wherever the command ran)."""
    src = parse_source(source)
    if src.kind == "file" and src.path is not None:
        return str(src.path.expanduser().resolve())
    return src.raw


def reference_key(source: str) -> str:
    """``references--<readable slug>-<8 hex>``: stable for a source, distinct for different sources."""
    canon = canonical_source(source)
    if "://" in canon:
        parts = urlsplit(canon)
        readable = f"{parts.hostname or parts.netloc} {Path(parts.path).stem} {parts.query}"
    else:
        readable = Path(canon).stem
    slug = slugify(readable)[:48].strip("-") or "source"
    return f"{CHANNEL}--{slug}-{hashlib.sha256(canon.encode()).hexdigest()[:8]}"


def add_reference(store: MediaStore, source: str, rights: str = "") -> str:
    """Record what the user asked for and return the partition key (the caller adds the partition)."""
    rights = normalise_rights(rights)
    key = reference_key(source)
    previous = store.read_record(RECORD, key) or {}
    store.write_record(RECORD, key, {"source": canonical_source(source), "rights": rights or previous.get("rights", "")})
    return key


def requested(store: MediaStore, key: str) -> dict:
    record = store.read_record(RECORD, key)
    if not record or not record.get("source"):
        raise InputError(f"reference partition {key!r} has no source recorded", field="partition_key",
                         fix="add references with `shortsmith transcribe SOURCE`, `shortsmith clip SOURCE` or an inbox "
                             "URL line, not by typing a partition key")
    return record


def _inputs(source: str) -> list[Any]:
    src = parse_source(source)
    if src.kind == "file" and src.path is not None and src.path.is_file():
        st = src.path.stat()
        return [str(src.path.resolve()), st.st_size, st.st_mtime_ns]  # a changed local file is fetched again
    return [source]  # a URL or object is taken as immutable: re-fetch by clearing the partition


def fetch_into_store(store: MediaStore, key: str, *, limits: Limits | None = None,
                     breaker: CircuitBreaker | None = None, log: Callable[[str], None] | None = None
                     ) -> tuple[ReferenceMedia, bool]:
    """The reference's media in the store, fetched now or reused; returns it and whether it was reused."""
    record = requested(store, key)
    source, rights = record["source"], record.get("rights", "")
    fp = fingerprint(VERSION, *_inputs(source))
    manifest = store.reusable(key, STAGE, fp)
    reused = manifest is not None and "reference" in manifest
    if not reused:
        with store.write_stage(key, STAGE, fp) as w:
            ref = fetch_reference(source, w.dir, rights=rights, limits=limits, breaker=breaker, log=log)
            data = ref.as_dict()
            data["path"] = Path(ref.path).name  # relative: the stage may move (swap-in, S3)
            w.data["reference"] = data
        manifest = store.require(key, STAGE)
    return load(store, key, manifest), reused


def load(store: MediaStore, key: str, manifest: dict | None = None) -> ReferenceMedia:
    """The stored reference with ``path`` a local file and ``rights`` as last declared."""
    manifest = manifest or store.require(key, STAGE)
    ref = ReferenceMedia.from_dict(manifest["reference"])
    ref.path = str(store.file(key, STAGE, ref.path))
    record = store.read_record(RECORD, key) or {}
    ref.rights = record.get("rights", ref.rights)
    return ref


def reference_of(store: MediaStore, partition: str) -> str | None:
    """The reference partition a video (a clip) was cut from: its request record's ``reference``."""
    record = store.read_record("requests", partition) or {}
    ref = record.get("reference") if isinstance(record, dict) else None
    return str(ref) if ref else None


def refusal_to_publish(store: MediaStore, key: str) -> tuple[str, str] | None:
    """Why clips of reference ``key`` may not be published, as (message, fix); None: they may. A
    reference that was never fetched shows no licence, so its clips are refused unless declared owned."""
    record = store.read_record(RECORD, key) or {}
    manifest = store.manifest(key, STAGE)
    if manifest is None or "reference" not in manifest:
        if normalise_rights(record.get("rights", "")) == "owned":
            return None
        return (f"clips of reference {key} are not published: its media and licence are not in the store",
                "materialize reference_media for it, or declare it your own with --rights owned")
    ref = load(store, key, manifest)
    return publish_refusal(ref.rights, ref.licence, ref.uploader, ref.source)
