"""Media storage resources: the local filesystem (default) or S3/MinIO, chosen by configuration.

Both give assets the same store interface (``file``, ``manifest``, ``reusable``, ``require``,
``write_stage``, ``read_record``, ``write_record``), so every asset runs unchanged on either.

Environment (read by ``storage_from_env``):

- SHORTSMITH_STORAGE          ``local`` (default) or ``s3``
- SHORTSMITH_S3_BUCKET        the bucket (required for s3)
- SHORTSMITH_S3_PREFIX        a key prefix inside the bucket (default ``shortsmith``)
- SHORTSMITH_S3_ENDPOINT_URL  e.g. ``http://minio:9000`` for MinIO (unset for AWS)
- AWS_REGION / AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN:
  passed to dagster-aws's S3Resource as ``dg.EnvVar`` (never literal values); when unset,
  boto3's default credential chain (instance profile, IRSA, ~/.aws) applies.
- SHORTSMITH_MEDIA            the local folder (local storage) or download cache (s3)
"""

from __future__ import annotations

import os

import dagster as dg
from dagster_aws.s3 import S3Resource

from shortsmith.storage import LocalMediaStore


class MediaStorage(dg.ConfigurableResource):
    """Where stage outputs live: one folder per (partition, stage), committed atomically."""

    root: str

    def store(self) -> LocalMediaStore:
        return LocalMediaStore(self.root)


class S3MediaStorage(MediaStorage):
    """Stage outputs in S3 or MinIO through dagster-aws's S3Resource; ``root`` is the local download cache.

    A subclass of MediaStorage so that assets annotated ``storage: MediaStorage`` accept it unchanged.
    """

    s3: S3Resource
    bucket: str
    prefix: str = "shortsmith"
    multipart_threshold_mb: int = 8
    multipart_chunksize_mb: int = 8
    max_concurrency: int = 4

    def store(self):  # -> shortsmith.s3store.S3MediaStore
        from shortsmith.s3store import MB, S3MediaStore

        return S3MediaStore(self.s3.get_client(), self.bucket, prefix=self.prefix, cache_dir=self.root,
                            multipart_threshold=self.multipart_threshold_mb * MB,
                            multipart_chunksize=self.multipart_chunksize_mb * MB,
                            max_concurrency=self.max_concurrency)


def s3_resource_from_env() -> S3Resource:
    """dagster-aws's S3Resource with every setting and secret taken from env vars (as dg.EnvVar)."""
    kwargs: dict = {}
    if os.environ.get("SHORTSMITH_S3_ENDPOINT_URL"):
        kwargs["endpoint_url"] = dg.EnvVar("SHORTSMITH_S3_ENDPOINT_URL")
    for field, names in (("region_name", ("AWS_REGION", "AWS_DEFAULT_REGION")),
                         ("aws_access_key_id", ("AWS_ACCESS_KEY_ID",)),
                         ("aws_secret_access_key", ("AWS_SECRET_ACCESS_KEY",)),
                         ("aws_session_token", ("AWS_SESSION_TOKEN",))):
        name = next((n for n in names if os.environ.get(n)), None)
        if name:
            kwargs[field] = dg.EnvVar(name)
    return S3Resource(**kwargs)


def storage_from_env(media_root: str) -> MediaStorage:
    """The storage resource SHORTSMITH_STORAGE selects (``local`` or ``s3``); see the module docstring."""
    kind = (os.environ.get("SHORTSMITH_STORAGE") or "local").strip().lower()
    if kind == "local":
        return MediaStorage(root=media_root)
    if kind == "s3":
        if not os.environ.get("SHORTSMITH_S3_BUCKET"):
            from shortsmith.errors import ConfigError

            raise ConfigError("SHORTSMITH_STORAGE=s3 but SHORTSMITH_S3_BUCKET is not set",
                              field="SHORTSMITH_S3_BUCKET", fix="set the bucket name (e.g. shortsmith-media)")
        return S3MediaStorage(root=media_root, s3=s3_resource_from_env(), bucket=dg.EnvVar("SHORTSMITH_S3_BUCKET"),
                              prefix=os.environ.get("SHORTSMITH_S3_PREFIX", "shortsmith"))
    from shortsmith.errors import ConfigError

    raise ConfigError(f"SHORTSMITH_STORAGE={kind!r} is not a storage kind", field="SHORTSMITH_STORAGE",
                      fix="use 'local' (default) or 's3'")
