"""S3MediaStore against a real S3 API server (moto_server on loopback): the same contract as the local store.

Objects are written (multipart for large files), read back through the local cache, resumed,
skipped when valid, and a crash at any point of an upload leaves no complete-looking stage.
"""

import json
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import boto3
import dagster as dg
import pytest

from pipeline_defs.resources.storage import MediaStorage
from shortsmith.s3store import MB, S3MediaStore
from shortsmith.storage import fingerprint

KEY = "c--why-cats-purr"
BIG = 12 * MB  # over the 5 MiB multipart threshold used here: 3 parts


def client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def make_store(endpoint, bucket, cache, **kw) -> S3MediaStore:
    kw.setdefault("multipart_threshold", 5 * MB)
    kw.setdefault("multipart_chunksize", 5 * MB)
    return S3MediaStore(client(endpoint), bucket, prefix="media", cache_dir=cache, **kw)


def write_big(path: Path, size: int = BIG, seed: int = 1) -> None:
    block = (bytes(range(256)) * 4096)[: MB]  # 1 MiB pattern, written in chunks (never the whole file at once)
    with open(path, "wb") as fh:
        for _ in range(size // MB):
            fh.write(bytes([seed]) + block[1:])


def keys(c, bucket, prefix=""):
    out = []
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return sorted(out)


def test_stage_roundtrip_multipart_cache_and_skip(s3_env, bucket, tmp_path):
    endpoint = s3_env["SHORTSMITH_S3_ENDPOINT_URL"]
    store = make_store(endpoint, bucket, tmp_path / "cache-a")
    fp = fingerprint("video", 1)
    assert store.manifest(KEY, "video") is None and store.reusable(KEY, "video", fp) is None
    with store.write_stage(KEY, "video", fp, {"render_seconds": 1.5}) as w:
        write_big(w.path("video.mp4"))
        w.path("report.json").write_text('{"ok": true}')

    c = client(endpoint)
    # objects keyed by channel/partition/stage; manifest last; no temporary keys or uploads left behind
    assert keys(c, bucket) == [f"media/c/{KEY}/video/{n}" for n in ("manifest.json", "report.json", "video.mp4")]
    assert c.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    manifest = store.reusable(KEY, "video", fp)
    assert manifest["render_seconds"] == 1.5 and manifest["files"]["video.mp4"]["size"] == BIG
    assert manifest["files"]["video.mp4"]["etag"].strip('"').endswith("-3")  # a 3-part multipart object
    assert store.reusable(KEY, "video", fingerprint("video", 2)) is None  # other inputs: rebuild

    # the writer's cache serves reads without a download
    local = store.file(KEY, "video", "video.mp4")
    assert local.is_file() and local.stat().st_size == BIG and local.is_relative_to(tmp_path / "cache-a")

    # another machine (empty cache) downloads on demand, streamed, and then reuses its copy
    other = make_store(endpoint, bucket, tmp_path / "cache-b", download_chunk=256 * 1024)
    got = other.file(KEY, "video", "video.mp4")
    assert got.read_bytes() == local.read_bytes()
    mtime = got.stat().st_mtime_ns
    calls = []
    other.client.meta.events.register("after-call.s3.GetObject", lambda **kw: calls.append(kw["http_response"].status_code))
    assert other.file(KEY, "video", "video.mp4") == got and got.stat().st_mtime_ns == mtime
    assert calls == [304]  # a conditional GET: not modified, nothing transferred

    # a new version written elsewhere replaces the cached copy on the next read
    with store.write_stage(KEY, "video", fingerprint("video", 2)) as w:
        w.path("video.mp4").write_bytes(b"short new version")
    assert other.file(KEY, "video", "video.mp4").read_bytes() == b"short new version"
    assert keys(c, bucket) == [f"media/c/{KEY}/video/{n}" for n in ("manifest.json", "video.mp4")]  # report.json gone
    assert not other.file(KEY, "video", "report.json").exists()
    assert other.manifest(KEY, "video")["fingerprint"] == fingerprint("video", 2)


def test_failed_stage_keeps_the_last_good_version(s3_env, bucket, tmp_path):
    store = make_store(s3_env["SHORTSMITH_S3_ENDPOINT_URL"], bucket, tmp_path / "cache")
    fp = fingerprint("a", 1)
    with store.write_stage(KEY, "script", fp, {"n": 1}) as w:
        w.path("script.json").write_text('{"v": 1}')
    with pytest.raises(RuntimeError):
        with store.write_stage(KEY, "script", fingerprint("b")) as w:
            w.path("script.json").write_text('{"v": 2, "half": ')
            raise RuntimeError("crash mid-stage")
    assert store.reusable(KEY, "script", fp)["n"] == 1
    assert json.loads(store.file(KEY, "script", "script.json").read_text()) == {"v": 1}
    assert [p.name for p in store.partition_dir(KEY).iterdir()] == ["script"]  # no local debris
    assert keys(client(s3_env["SHORTSMITH_S3_ENDPOINT_URL"]), bucket, "media/_uploads") == []


def test_tampered_or_truncated_object_is_not_complete(s3_env, bucket, tmp_path):
    endpoint = s3_env["SHORTSMITH_S3_ENDPOINT_URL"]
    store = make_store(endpoint, bucket, tmp_path / "cache")
    with store.write_stage(KEY, "video", "fp") as w:
        w.path("video.mp4").write_bytes(b"x" * 1000)
    key = f"media/c/{KEY}/video/video.mp4"
    c = client(endpoint)
    c.put_object(Bucket=bucket, Key=key, Body=b"y" * 1000)  # same size, other content
    assert store.manifest(KEY, "video") is None
    c.put_object(Bucket=bucket, Key=key, Body=b"x" * 10)
    assert store.manifest(KEY, "video") is None
    c.delete_object(Bucket=bucket, Key=key)
    assert store.manifest(KEY, "video") is None


def test_records_are_small_json_objects(s3_env, bucket, tmp_path):
    endpoint = s3_env["SHORTSMITH_S3_ENDPOINT_URL"]
    store = make_store(endpoint, bucket, tmp_path / "cache")
    assert store.read_record("requests", KEY) is None
    uri = store.write_record("requests", KEY, {"topic": "Why cats purr", "n": 1})
    assert uri == f"s3://{bucket}/media/_records/requests/{KEY}.json"
    assert store.read_record("requests", KEY) == {"topic": "Why cats purr", "n": 1}
    obj = client(endpoint).get_object(Bucket=bucket, Key=f"media/_records/requests/{KEY}.json")
    assert obj["ContentType"] == "application/json"


CRASHER = textwrap.dedent("""
    import os, signal, sys, boto3
    from shortsmith.s3store import MB, S3MediaStore
    endpoint, bucket, cache, crash_on, after = sys.argv[1:6]
    c = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    seen = [0]
    def crash(**kw):
        seen[0] += 1
        if seen[0] >= int(after):
            os.kill(os.getpid(), signal.SIGKILL)   # a worker killed mid-transfer: no cleanup runs
    c.meta.events.register("after-call.s3." + crash_on, crash)
    store = S3MediaStore(c, bucket, prefix="media", cache_dir=cache, multipart_threshold=5 * MB,
                         multipart_chunksize=5 * MB, max_concurrency=1)
    with store.write_stage("c--why-cats-purr", "video", "fp-new") as w:
        with open(w.path("video.mp4"), "wb") as fh:
            for i in range(12):
                fh.write(bytes([7]) * MB)
    print("not crashed")
""")


def crash_writer(endpoint, bucket, cache, crash_on, after):
    return subprocess.run([sys.executable, "-c", CRASHER, endpoint, bucket, str(cache), crash_on, str(after)],
                          capture_output=True, text=True, timeout=120)


def test_crash_mid_multipart_upload_leaves_no_complete_object_and_a_retry_commits(s3_env, bucket, tmp_path):
    endpoint = s3_env["SHORTSMITH_S3_ENDPOINT_URL"]
    c = client(endpoint)
    proc = crash_writer(endpoint, bucket, tmp_path / "cache", "UploadPart", 1)
    assert proc.returncode == -9, proc.stdout + proc.stderr

    store = make_store(endpoint, bucket, tmp_path / "cache2")
    assert keys(c, bucket, f"media/c/{KEY}/") == []  # no final object, no manifest
    assert store.manifest(KEY, "video") is None
    assert not store.file(KEY, "video", "video.mp4").exists()
    # the interrupted transfer is an incomplete multipart upload (invisible as an object) under _uploads/
    uploads = c.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert len(uploads) == 1 and uploads[0]["Key"].startswith("media/_uploads/")
    assert keys(c, bucket) == []

    # the retry (resume) commits the stage; stale debris is cleaned up
    with store.write_stage(KEY, "video", "fp-new") as w:
        w.path("video.mp4").write_bytes(b"v" * 100)
    assert store.reusable(KEY, "video", "fp-new")
    assert store.cleanup_stale_uploads(older_than=timedelta(0)) == {"aborted_multipart_uploads": 1,
                                                                   "deleted_temporary_objects": 0}
    assert c.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_crash_during_commit_never_pairs_an_old_manifest_with_new_objects(s3_env, bucket, tmp_path):
    """Killed after the first server-side copy: the old version's manifest is gone, so the stage is rebuilt."""
    endpoint = s3_env["SHORTSMITH_S3_ENDPOINT_URL"]
    store = make_store(endpoint, bucket, tmp_path / "cache")
    with store.write_stage(KEY, "video", "fp-old") as w:
        w.path("video.mp4").write_bytes(b"old" * 100)
    assert store.reusable(KEY, "video", "fp-old")
    proc = crash_writer(endpoint, bucket, tmp_path / "cache-crash", "UploadPartCopy", 1)
    assert proc.returncode == -9, proc.stdout + proc.stderr
    c = client(endpoint)
    assert f"media/c/{KEY}/video/manifest.json" not in keys(c, bucket)
    assert store.manifest(KEY, "video") is None and store.reusable(KEY, "video", "fp-old") is None
    # what remains is recognisably temporary: the complete upload under _uploads/ (deleted by cleanup)
    assert all(k.startswith("media/_uploads/") for k in keys(c, bucket) if not k.startswith(f"media/c/{KEY}/video/video.mp4"))
    assert store.cleanup_stale_uploads(older_than=timedelta(0))["deleted_temporary_objects"] == 1


@dg.asset
def stored_thing(context: dg.AssetExecutionContext, storage: MediaStorage) -> dg.MaterializeResult:
    """A stage written through whatever storage resource is bound (the assets' pattern)."""
    store = storage.store()
    fp = fingerprint("thing", 1)
    reused = store.reusable(KEY, "thing", fp) is not None
    if not reused:
        with store.write_stage(KEY, "thing", fp) as w:
            write_big(w.path("big.bin"), 6 * MB)
    path = store.file(KEY, "thing", "big.bin")
    return dg.MaterializeResult(metadata={"reused": reused, "size": path.stat().st_size})


def test_dagster_resource_uses_s3resource_with_env_credentials(s3_env, bucket, tmp_path, monkeypatch):
    from pipeline_defs.resources.storage import MediaStorage, S3MediaStorage, storage_from_env

    monkeypatch.setenv("SHORTSMITH_STORAGE", "s3")
    monkeypatch.setenv("SHORTSMITH_S3_BUCKET", bucket)
    monkeypatch.setenv("SHORTSMITH_S3_PREFIX", "team")
    resource = storage_from_env(str(tmp_path / "cache"))
    assert isinstance(resource, S3MediaStorage) and isinstance(resource, MediaStorage)
    # secrets are EnvVar references, not values baked into the definitions
    assert isinstance(resource.s3.aws_secret_access_key, dg.EnvVar)

    def go():
        res = dg.materialize([stored_thing], resources={"storage": resource})
        assert res.success
        return {k: v.value for k, v in res.asset_materializations_for_node("stored_thing")[0].metadata.items()}

    assert go() == {"reused": False, "size": 6 * MB}
    assert go() == {"reused": True, "size": 6 * MB}  # a valid stage is skipped
    assert f"team/c/{KEY}/thing/big.bin" in keys(client(s3_env["SHORTSMITH_S3_ENDPOINT_URL"]), bucket)


def test_storage_from_env_defaults_to_local_and_rejects_bad_kinds(tmp_path, monkeypatch):
    from pipeline_defs.resources.storage import MediaStorage, S3MediaStorage, storage_from_env
    from shortsmith.errors import ConfigError

    monkeypatch.delenv("SHORTSMITH_STORAGE", raising=False)
    r = storage_from_env(str(tmp_path))
    assert type(r) is MediaStorage and not isinstance(r, S3MediaStorage)
    monkeypatch.setenv("SHORTSMITH_STORAGE", "s3")
    monkeypatch.delenv("SHORTSMITH_S3_BUCKET", raising=False)
    with pytest.raises(ConfigError, match="SHORTSMITH_S3_BUCKET"):
        storage_from_env(str(tmp_path))
    monkeypatch.setenv("SHORTSMITH_STORAGE", "ftp")
    with pytest.raises(ConfigError, match="SHORTSMITH_STORAGE"):
        storage_from_env(str(tmp_path))
