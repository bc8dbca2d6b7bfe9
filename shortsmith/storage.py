"""Media storage for pipeline stages: one folder per (partition, stage), committed atomically.

Layout: ``<root>/<channel>/<partition_key>/<stage>/`` holding the stage's files and a
``manifest.json`` written last. A stage writes into a hidden temporary folder and only a
successful stage swaps it into place, so:

- a crash or a failed retry never leaves a half-written stage that looks complete, and
  never destroys the last complete version;
- a stage whose manifest matches the fingerprint of its inputs is complete and valid and
  is reused instead of recomputed (idempotent re-runs);
- a change of inputs (a new style, a new voice) changes the fingerprint, so the stage is
  rebuilt on the next materialization.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .topics import split_partition_key

STALE_UNKNOWN_S = 6 * 3600  # a temporary name without a pid (older versions): removed once this old


def temp_name(prefix: str) -> str:
    """``<prefix>-<pid>-<random>``: the pid lets a later run tell a dead writer's leftovers from a live one."""
    return f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def sweep_stale(parent: Path, prefix: str) -> list[str]:
    """Remove ``<prefix>-*`` entries in ``parent`` left by writers that died (kill -9, power loss)."""
    import time

    removed: list[str] = []
    try:
        entries = [p for p in parent.iterdir() if p.name.startswith(prefix + "-")]
    except OSError:
        return removed
    for p in entries:
        head = p.name[len(prefix) + 1:].split("-", 1)[0]
        if head.isdigit():
            dead = not _pid_alive(int(head))
        else:
            try:
                dead = time.time() - p.lstat().st_mtime > STALE_UNKNOWN_S
            except OSError:
                continue
        if dead:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p.name)
    return removed


MANIFEST = "manifest.json"


def fingerprint(*parts: Any) -> str:
    """A stable hash of a stage's inputs (JSON-serialisable values)."""
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def temporary_stage_dir(final: Path) -> Path:
    """A new hidden folder beside ``final`` that a stage is written into before it is swapped in."""
    final.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(final.parent, f".{final.name}.tmp")  # a killed earlier run's half-written stage
    sweep_stale(final.parent, f".{final.name}.old")
    tmp = final.parent / temp_name(f".{final.name}.tmp")
    tmp.mkdir()
    return tmp


def swap_in(tmp: Path, final: Path) -> None:
    """Replace ``final`` with the complete folder ``tmp`` (two renames; the old version is removed after)."""
    old = None
    if final.exists():
        old = final.parent / temp_name(f".{final.name}.old")
        final.replace(old)
    tmp.replace(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@dataclass
class StageWriter:
    """Where a stage writes its files before they are committed."""

    dir: Path
    data: dict = field(default_factory=dict)  # stored in the manifest
    files: dict[str, dict] = field(default_factory=dict)  # filled on commit

    def path(self, name: str) -> Path:
        return self.dir / name


class MediaStore(ABC):
    """Where stage outputs live: one folder per (partition, stage), committed atomically, plus small
    JSON records. ``LocalMediaStore`` (a folder) and ``shortsmith.s3store.S3MediaStore`` (a bucket
    with a local cache) implement it; code that only stores and reads stages is typed against it."""

    root: Path  # local files: the stages themselves, or the download cache of a remote store

    def partition_dir(self, partition: str) -> Path:
        """The partition's local folder: ``<root>/<channel>/<partition_key>``."""
        channel, _ = split_partition_key(partition)
        return self.root / channel / partition

    def stage_dir(self, partition: str, stage: str) -> Path:
        """The stage's local folder (the stage itself, or its cached copy)."""
        return self.partition_dir(partition) / stage

    @abstractmethod
    def manifest(self, partition: str, stage: str) -> dict | None:
        """The stage's manifest if the stage is complete (every file present as recorded), else None."""

    @abstractmethod
    def location(self, partition: str, stage: str) -> str:
        """Where the stage's output lives, for messages."""

    @abstractmethod
    def file(self, partition: str, stage: str, name: str) -> Path:
        """A local path of the stage's file (it may not exist when the stage is incomplete)."""

    @abstractmethod
    def write_stage(self, partition: str, stage: str, fp: str,
                    data: dict | None = None) -> AbstractContextManager[StageWriter]:
        """Write a stage's files into a temporary folder and commit them atomically on success, the
        manifest (fingerprint ``fp``, ``data`` and what the body adds to ``writer.data``) last."""

    @abstractmethod
    def read_record(self, kind: str, name: str) -> Any | None:
        """A small JSON record outside stages (requests, trends), or None."""

    @abstractmethod
    def write_record(self, kind: str, name: str, data: Any) -> Path | str:
        """Replace a small JSON record at once; returns where it is."""

    def reusable(self, partition: str, stage: str, fp: str) -> dict | None:
        """The manifest of a complete stage built from the same inputs, else None."""
        manifest = self.manifest(partition, stage)
        if manifest and manifest.get("fingerprint") == fp:
            return manifest
        return None

    def require(self, partition: str, stage: str) -> dict:
        from .errors import InputError

        manifest = self.manifest(partition, stage)
        if manifest is None:
            raise InputError(
                f"stage '{stage}' of partition '{partition}' has no complete output in "
                f"{self.location(partition, stage)}",
                field=stage,
                fix=f"materialize '{stage}' for this partition first (or the whole graph)",
            )
        return manifest


class LocalMediaStore(MediaStore):
    """Stages in a local folder: ``<root>/<channel>/<partition_key>/<stage>/``."""

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().resolve()

    def file(self, partition: str, stage: str, name: str) -> Path:
        return self.stage_dir(partition, stage) / name

    # -- reading ---------------------------------------------------------------
    def manifest(self, partition: str, stage: str) -> dict | None:
        """The stage's manifest if the stage is complete (all its files present, sizes as recorded)."""
        d = self.stage_dir(partition, stage)
        mpath = d / MANIFEST
        if not mpath.is_file():
            return None
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        for name, info in manifest.get("files", {}).items():
            f = d / name
            if not f.is_file() or f.stat().st_size != info.get("size"):
                return None
        return manifest

    def location(self, partition: str, stage: str) -> str:
        return str(self.root)

    # -- writing ---------------------------------------------------------------
    @contextmanager
    def write_stage(self, partition: str, stage: str, fp: str, data: dict | None = None) -> Iterator[StageWriter]:
        """Write a stage's files into a temporary folder; commit them atomically on success.

        ``data`` (and anything the body adds to ``writer.data``) is stored in the manifest.
        """
        final = self.stage_dir(partition, stage)
        tmp = temporary_stage_dir(final)
        writer = StageWriter(dir=tmp, data=dict(data or {}))
        try:
            yield writer
            files = {}
            for f in sorted(tmp.iterdir()):
                if f.is_file():
                    files[f.name] = {"size": f.stat().st_size}
            manifest = {"stage": stage, "partition": partition, "fingerprint": fp, "files": files, **writer.data}
            mtmp = tmp / f".{MANIFEST}.tmp"
            mtmp.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
            with open(mtmp, "rb") as fh:
                os.fsync(fh.fileno())
            mtmp.replace(tmp / MANIFEST)
            writer.files = files
            swap_in(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    # -- small records outside stages (requests, trends) -------------------------
    def record_path(self, kind: str, name: str) -> Path:
        return self.root / "_records" / kind / f"{name}.json"

    def write_record(self, kind: str, name: str, data: Any) -> Path:
        path = self.record_path(kind, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}.tmp")
        tmp.write_text(json.dumps(data, indent=2, default=str, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        return path

    def read_record(self, kind: str, name: str) -> Any | None:
        path = self.record_path(kind, name)
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))
