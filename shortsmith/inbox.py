"""The narrative inbox: a local folder or an S3 prefix that markdown narratives are dropped into.

Every file is handled exactly once: an accepted file moves to ``processed/``, a rejected one to
``rejected/`` next to a ``<name>.error.txt`` report saying what is wrong and how to fix it. Moved
names are ``<stamp>-<name>``, cut (with a hash of the whole name) to stay under NAME_MAX. A
file still being written (modified in the last second, or named like a temporary file) is left
for the next look.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

MARKDOWN_SUFFIXES = (".md", ".markdown")
PROCESSED, REJECTED = "processed", "rejected"
_TEMP_MARKERS = (".tmp", ".part", ".swp", "~", ".crdownload")


@dataclass(frozen=True)
class InboxFile:
    name: str  # the file name, without folders
    ref: str  # a path or an S3 key
    size: int


NAME_MAX = 255  # bytes in one file name on Linux/macOS file systems (and a safe S3 key segment)
REPORT_SUFFIX = ".error.txt"


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def bounded_name(name: str, room: int = NAME_MAX - len(REPORT_SUFFIX)) -> str:
    """``<stamp>-<name>`` within ``room`` bytes: a long name is cut and keeps a hash of the whole."""
    stamped = f"{_stamp()}-{name}"
    if len(stamped.encode()) <= room:
        return stamped
    suffix = next((s for s in (".md", ".markdown") if name.lower().endswith(s)), "")
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    tail = f"~{digest}{suffix}"
    head = f"{_stamp()}-".encode()
    budget = room - len(head) - len(tail.encode())
    cut = name.encode("utf-8", "surrogateescape")[:budget].decode("utf-8", "ignore")
    return f"{head.decode()}{cut}{tail}"


def _is_temp(name: str) -> bool:
    return name.startswith((".", "~")) or name.endswith(_TEMP_MARKERS)


class LocalInbox:
    def __init__(self, root: str | Path, *, min_age_s: float = 1.0):
        self.root = Path(root).expanduser()
        self.min_age_s = min_age_s

    def describe(self) -> str:
        return str(self.root)

    def list(self, limit: int = 50) -> list[InboxFile]:
        if not self.root.is_dir():
            self.root.mkdir(parents=True, exist_ok=True)
            return []
        now = time.time()
        out = []
        for p in sorted(self.root.iterdir()):
            if not p.is_file() or _is_temp(p.name):
                continue
            st = p.stat()
            if now - st.st_mtime < self.min_age_s:
                continue  # still being written
            out.append(InboxFile(name=p.name, ref=str(p), size=st.st_size))
            if len(out) >= limit:
                break
        return out

    def read(self, f: InboxFile, max_bytes: int) -> bytes:
        with open(f.ref, "rb") as fh:
            return fh.read(max_bytes + 1)

    def _move(self, f: InboxFile, folder: str) -> str:
        dest_dir = self.root / folder
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / bounded_name(f.name)
        Path(f.ref).replace(dest)
        return str(dest)

    def accept(self, f: InboxFile) -> str:
        return self._move(f, PROCESSED)

    def restore(self, f: InboxFile, moved: str) -> None:
        """Put an accepted file back where it was (its request could not be committed)."""
        Path(moved).replace(f.ref)

    def reject(self, f: InboxFile, report: str) -> str:
        dest = self._move(f, REJECTED)
        Path(dest + REPORT_SUFFIX).write_text(report.rstrip() + "\n", encoding="utf-8")
        return dest

    def report_only(self, f: InboxFile, report: str) -> str:
        """A report for a file that cannot be moved at all (it stays where it is, skipped from now on)."""
        dest_dir = self.root / REJECTED
        dest_dir.mkdir(parents=True, exist_ok=True)
        path = dest_dir / (bounded_name(f.name) + REPORT_SUFFIX)
        path.write_text(report.rstrip() + "\n", encoding="utf-8")
        return str(path)


class S3Inbox:
    """``s3://bucket/prefix``: objects directly under the prefix; processed/ and rejected/ below it."""

    def __init__(self, url: str, *, client=None):
        rest = url[len("s3://"):]
        self.bucket, _, prefix = rest.partition("/")
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        if not self.bucket:
            from .errors import ConfigError

            raise ConfigError(f"{url!r} names no bucket", field="SHORTSMITH_INBOX",
                              fix="use s3://bucket/prefix, or a local folder")
        if client is None:
            import boto3  # dagster-aws brings boto3; credentials come from the usual AWS env vars

            client = boto3.client("s3")
        self.client = client

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def list(self, limit: int = 50) -> list[InboxFile]:
        resp = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, Delimiter="/",
                                           MaxKeys=max(1, limit))
        out = []
        for obj in resp.get("Contents", []):
            name = obj["Key"][len(self.prefix):]
            if not name or "/" in name or _is_temp(name):
                continue
            out.append(InboxFile(name=name, ref=obj["Key"], size=int(obj.get("Size", 0))))
        return out[:limit]

    def read(self, f: InboxFile, max_bytes: int) -> bytes:
        body = self.client.get_object(Bucket=self.bucket, Key=f.ref, Range=f"bytes=0-{max_bytes}")["Body"]
        return body.read()

    def _move(self, f: InboxFile, folder: str) -> str:
        dest = f"{self.prefix}{folder}/{bounded_name(f.name)}"
        self.client.copy_object(Bucket=self.bucket, Key=dest, CopySource={"Bucket": self.bucket, "Key": f.ref})
        self.client.delete_object(Bucket=self.bucket, Key=f.ref)
        return f"s3://{self.bucket}/{dest}"

    def accept(self, f: InboxFile) -> str:
        return self._move(f, PROCESSED)

    def restore(self, f: InboxFile, moved: str) -> None:
        key = moved[len(f"s3://{self.bucket}/"):]
        self.client.copy_object(Bucket=self.bucket, Key=f.ref, CopySource={"Bucket": self.bucket, "Key": key})
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def _put_report(self, key: str, report: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=(report.rstrip() + "\n").encode(),
                               ContentType="text/plain; charset=utf-8")

    def reject(self, f: InboxFile, report: str) -> str:
        dest = self._move(f, REJECTED)
        self._put_report(dest[len(f"s3://{self.bucket}/"):] + REPORT_SUFFIX, report)
        return dest

    def report_only(self, f: InboxFile, report: str) -> str:
        key = f"{self.prefix}{REJECTED}/{bounded_name(f.name)}{REPORT_SUFFIX}"
        self._put_report(key, report)
        return f"s3://{self.bucket}/{key}"


def open_inbox(location: str):
    if location.startswith("s3://"):
        return S3Inbox(location)
    return LocalInbox(location)
