"""Media storage on S3 (AWS, MinIO, any S3 API): a ``shortsmith.storage.MediaStore`` like ``LocalMediaStore``.

Layout: ``s3://<bucket>/<prefix>/<channel>/<partition_key>/<stage>/<file>`` plus
``.../<stage>/manifest.json``, written last. Small records (requests, trends) are JSON
objects under ``<prefix>/_records/<kind>/<name>.json``.

How a stage is committed (``write_stage``):

1. the stage's body writes its files into a local temporary folder;
2. each file is uploaded, streamed from disk, to a temporary key under
   ``<prefix>/_uploads/<id>/`` (boto3 managed transfer: multipart above
   ``multipart_threshold``; an upload that fails is aborted, and an upload cut short by a
   crash is an incomplete multipart upload, which S3 never lists as an object);
3. the stage's old manifest is deleted, so from here until step 5 the stage is not complete;
4. each temporary object is copied server-side to its final key (multipart copy for large
   objects) and its ETag recorded;
5. ``manifest.json`` (files, sizes, SHA-256, ETags, the input fingerprint and the stage's
   data) is written with one PUT, which S3 makes visible atomically;
6. the temporary keys are deleted and the local files become the local cache.

A stage is complete only if its manifest exists and every listed object has the recorded
size and ETag: a crash at any point leaves either the previous complete stage (before 3) or
an incomplete one (after 3) that is rebuilt on the next run, never a half object that
looks complete. A stage whose complete manifest has the same input fingerprint is reused
(idempotent re-runs), exactly as with the local store.

``file()`` returns a local path (tools like ffmpeg need one): the object is downloaded on
demand, streamed in chunks into ``cache_dir``, and re-downloaded only when its ETag
changed (a conditional GET with If-None-Match). Nothing reads a whole file into memory.

Debris from crashes (``_uploads/`` objects, incomplete multipart uploads) is invisible to
readers; ``cleanup_stale_uploads()`` removes it, as would a bucket lifecycle rule.

This module depends on boto3 only (no Dagster); the Dagster resource that builds the client
from dagster-aws's ``S3Resource`` is ``pipeline_defs.resources.s3_storage.S3MediaStorage``.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import shutil
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

from .storage import MANIFEST, MediaStore, StageWriter, file_sha256, swap_in, temporary_stage_dir
from .topics import split_partition_key

log = logging.getLogger(__name__)

MB = 1024 * 1024
UPLOADS = "_uploads"
RECORDS = "_records"


def _transfer_config(multipart_threshold: int, multipart_chunksize: int, max_concurrency: int):
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=multipart_threshold, multipart_chunksize=multipart_chunksize,
                          max_concurrency=max_concurrency, use_threads=max_concurrency > 1)


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _is_missing(exc: Exception) -> bool:
    return _error_code(exc) in ("404", "NoSuchKey", "NotFound")


class S3MediaStore(MediaStore):
    """Stage outputs in an S3 bucket, with a local download cache; see the module docstring."""

    def __init__(self, client: Any, bucket: str, *, prefix: str = "", cache_dir: str | Path,
                 multipart_threshold: int = 8 * MB, multipart_chunksize: int = 8 * MB,
                 max_concurrency: int = 4, download_chunk: int = 1 * MB):
        if not bucket:
            from .errors import ConfigError

            raise ConfigError("no S3 bucket is configured", field="bucket",
                              fix="set SHORTSMITH_S3_BUCKET (or the resource's bucket)")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.root = Path(cache_dir).expanduser().resolve()  # the local cache (LocalMediaStore.root's role)
        self.transfer = _transfer_config(multipart_threshold, multipart_chunksize, max_concurrency)
        self.download_chunk = download_chunk

    def __repr__(self) -> str:
        return f"S3MediaStore({self.uri()!r}, cache={str(self.root)!r})"

    # -- layout ----------------------------------------------------------------
    def _key(self, *parts: str) -> str:
        return "/".join(p.strip("/") for p in (self.prefix, *parts) if p)

    def stage_key(self, partition: str, stage: str) -> str:
        channel, _ = split_partition_key(partition)
        return self._key(channel, partition, stage)

    def object_key(self, partition: str, stage: str, name: str) -> str:
        return f"{self.stage_key(partition, stage)}/{name}"

    def uri(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{key or self.prefix}"

    # -- reading ---------------------------------------------------------------
    def file(self, partition: str, stage: str, name: str) -> Path:
        """A local copy of the stage's file, downloaded (streamed) only if the cache is stale.

        Returns the cache path even when the object does not exist (like LocalMediaStore,
        which returns a path that may not exist); a stale cached copy is then removed.
        """
        local = self.stage_dir(partition, stage) / name
        tag_file = local.with_name(f".{name}.etag")
        key = self.object_key(partition, stage, name)
        cached = tag_file.read_text().strip() if tag_file.is_file() and local.is_file() else None
        args = {"Bucket": self.bucket, "Key": key}
        if cached:
            args["IfNoneMatch"] = cached
        try:
            obj = self.client.get_object(**args)
        except Exception as exc:  # botocore.exceptions.ClientError
            code = _error_code(exc)
            if code in ("304", "NotModified"):
                return local
            if _is_missing(exc):
                local.unlink(missing_ok=True)
                tag_file.unlink(missing_ok=True)
                return local
            raise
        local.parent.mkdir(parents=True, exist_ok=True)
        part = local.with_name(f".{name}.part-{uuid.uuid4().hex[:8]}")
        try:
            written = 0
            with open(part, "wb") as fh:
                for chunk in obj["Body"].iter_chunks(self.download_chunk):
                    fh.write(chunk)
                    written += len(chunk)
            if written != obj["ContentLength"]:
                raise OSError(f"downloaded {written} of {obj['ContentLength']} bytes of {self.uri(key)}")
            part.replace(local)
            tag_file.write_text(obj["ETag"])
        finally:
            part.unlink(missing_ok=True)
        return local

    def _get_json(self, key: str) -> Any | None:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _is_missing(exc):
                return None
            raise
        with obj["Body"] as body:
            return json.loads(body.read().decode("utf-8"))

    def _put_json(self, key: str, data: Any) -> None:
        blob = json.dumps(data, indent=2, default=str, ensure_ascii=False).encode("utf-8")
        self.client.put_object(Bucket=self.bucket, Key=key, Body=blob, ContentType="application/json")

    def _head(self, key: str) -> dict | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _is_missing(exc):
                return None
            raise

    def manifest(self, partition: str, stage: str) -> dict | None:
        """The stage's manifest if the stage is complete (every object present with its recorded size and ETag)."""
        try:
            manifest = self._get_json(self.object_key(partition, stage, MANIFEST))
        except json.JSONDecodeError:
            return None
        if not isinstance(manifest, dict):
            return None
        for name, info in manifest.get("files", {}).items():
            head = self._head(self.object_key(partition, stage, name))
            if head is None or head["ContentLength"] != info.get("size"):
                return None
            if info.get("etag") and head["ETag"] != info["etag"]:
                return None
        return manifest

    def location(self, partition: str, stage: str) -> str:
        return self.uri(self.stage_key(partition, stage))

    # -- writing ---------------------------------------------------------------
    @contextmanager
    def write_stage(self, partition: str, stage: str, fp: str, data: dict | None = None) -> Iterator[StageWriter]:
        """Write a stage's files locally, then upload and commit them (see the module docstring)."""
        cache = self.stage_dir(partition, stage)
        tmp = temporary_stage_dir(cache)
        writer = StageWriter(dir=tmp, data=dict(data or {}))
        upload_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"
        tmp_keys: list[str] = []
        channel, _ = split_partition_key(partition)
        try:
            yield writer
            names = sorted(f.name for f in tmp.iterdir() if f.is_file() and not f.name.startswith("."))
            files: dict[str, dict] = {}
            for name in names:  # 2. stream each file to a temporary key
                path = tmp / name
                size = path.stat().st_size
                sha = file_sha256(path)
                tmp_key = self._key(UPLOADS, upload_id, channel, partition, stage, name)
                extra: dict[str, Any] = {"Metadata": {"sha256": sha}}
                ctype = mimetypes.guess_type(name)[0]
                if ctype:
                    extra["ContentType"] = ctype
                tmp_keys.append(tmp_key)
                started = time.perf_counter()
                self.client.upload_file(str(path), self.bucket, tmp_key, ExtraArgs=extra, Config=self.transfer)
                log.debug("uploaded %s (%d bytes) in %.2f s", tmp_key, size, time.perf_counter() - started)
                files[name] = {"size": size, "sha256": sha}
            manifest_key = self.object_key(partition, stage, MANIFEST)
            # 3. from here on the stage is not complete until the new manifest exists
            self.client.delete_object(Bucket=self.bucket, Key=manifest_key)
            for name, tmp_key in zip(names, tmp_keys):  # 4. server-side copy to the final keys
                final_key = self.object_key(partition, stage, name)
                self.client.copy({"Bucket": self.bucket, "Key": tmp_key}, self.bucket, final_key, Config=self.transfer)
                head = self.client.head_object(Bucket=self.bucket, Key=final_key)
                if head["ContentLength"] != files[name]["size"]:
                    raise OSError(f"{self.uri(final_key)} has {head['ContentLength']} bytes, "
                                  f"expected {files[name]['size']}")
                files[name]["etag"] = head["ETag"]
            self._delete_stale(partition, stage, keep=set(names) | {MANIFEST})
            manifest = {"stage": stage, "partition": partition, "fingerprint": fp, "files": files,
                        "uri": self.uri(self.stage_key(partition, stage)), **writer.data}
            self._put_json(manifest_key, manifest)  # 5. the commit point
            writer.files = files
            # 6. the written files become the cache of the committed objects
            for name in names:
                (tmp / f".{name}.etag").write_text(files[name]["etag"])
            swap_in(tmp, cache)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            self._delete_keys(tmp_keys)

    def _delete_keys(self, keys: list[str]) -> None:
        for i in range(0, len(keys), 1000):
            batch = keys[i:i + 1000]
            if not batch:
                continue
            try:
                self.client.delete_objects(Bucket=self.bucket,
                                           Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
            except Exception as exc:  # debris only: cleanup_stale_uploads() or a lifecycle rule removes it
                log.warning("could not delete temporary objects %s: %s", batch[:3], exc)

    def _delete_stale(self, partition: str, stage: str, keep: set[str]) -> None:
        """Remove objects of an older version of the stage that the new version no longer has."""
        prefix = self.stage_key(partition, stage) + "/"
        stale = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                rest = obj["Key"][len(prefix):]
                if "/" not in rest and rest not in keep:
                    stale.append(obj["Key"])
        self._delete_keys(stale)

    # -- small records outside stages (requests, trends) -------------------------
    def record_key(self, kind: str, name: str) -> str:
        return self._key(RECORDS, kind, f"{name}.json")

    def record_path(self, kind: str, name: str) -> str:
        return self.uri(self.record_key(kind, name))

    def write_record(self, kind: str, name: str, data: Any) -> str:
        """One PUT: S3 makes the whole new object visible at once."""
        self._put_json(self.record_key(kind, name), data)
        return self.record_path(kind, name)

    def read_record(self, kind: str, name: str) -> Any | None:
        return self._get_json(self.record_key(kind, name))

    # -- maintenance ---------------------------------------------------------------
    def cleanup_stale_uploads(self, older_than: timedelta = timedelta(hours=6)) -> dict:
        """Abort incomplete multipart uploads and delete temporary objects older than ``older_than``."""
        cutoff = datetime.now(timezone.utc) - older_than
        aborted, deleted = 0, []
        uploads_prefix = self._key(UPLOADS) + "/"
        for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket,
                                                                                  Prefix=uploads_prefix):
            for up in page.get("Uploads", []):
                if up["Initiated"] < cutoff:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=up["Key"], UploadId=up["UploadId"])
                    aborted += 1
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=uploads_prefix):
            deleted += [o["Key"] for o in page.get("Contents", []) if o["LastModified"] < cutoff]
        self._delete_keys(deleted)
        return {"aborted_multipart_uploads": aborted, "deleted_temporary_objects": len(deleted)}
