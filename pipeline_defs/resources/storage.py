"""Media storage resources: the local filesystem (default) or S3/MinIO, chosen by configuration.

Both give assets the same store interface (``file``, ``manifest``, ``reusable``, ``require``,
``write_stage``, ``read_record``, ``write_record``), so every asset runs unchanged on either.

Environment (read by ``pipeline_defs.settings``):

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

import dagster as dg
from dagster_aws.s3 import S3Resource

from shortsmith.errors import ConfigError
from shortsmith.storage import LocalMediaStore, MediaStore

from .. import settings


class MediaStorage(dg.ConfigurableResource):
    """Where stage outputs live: one folder per (partition, stage), committed atomically."""

    root: str

    def store(self) -> MediaStore:
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

    def store(self) -> MediaStore:
        from shortsmith.s3store import MB, S3MediaStore

        return S3MediaStore(self.s3.get_client(), self.bucket, prefix=self.prefix, cache_dir=self.root,
                            multipart_threshold=self.multipart_threshold_mb * MB,
                            multipart_chunksize=self.multipart_chunksize_mb * MB,
                            max_concurrency=self.max_concurrency)


def s3_resource_from_env(s: settings.StorageSettings | None = None) -> S3Resource:
    """dagster-aws's S3Resource with every setting and secret taken from env vars (as dg.EnvVar)."""
    s = s or settings.load().storage
    kwargs: dict = {field: dg.EnvVar(var) for field, var in s.aws_vars}
    if s.endpoint_set:
        kwargs["endpoint_url"] = dg.EnvVar("SHORTSMITH_S3_ENDPOINT_URL")
    return S3Resource(**kwargs)


def storage_from_env(media_root: str, s: settings.StorageSettings | None = None) -> MediaStorage:
    """The storage resource SHORTSMITH_STORAGE selects (``local`` or ``s3``); see the module docstring."""
    s = s or settings.load().storage
    if s.kind == "local":
        return MediaStorage(root=media_root)
    if s.kind == "s3":
        if not s.bucket_set:
            raise ConfigError("SHORTSMITH_STORAGE=s3 but SHORTSMITH_S3_BUCKET is not set",
                              field="SHORTSMITH_S3_BUCKET", fix="set the bucket name (e.g. shortsmith-media)")
        return S3MediaStorage(root=media_root, s3=s3_resource_from_env(s), bucket=dg.EnvVar("SHORTSMITH_S3_BUCKET"),
                              prefix=s.prefix)
    raise ConfigError(f"SHORTSMITH_STORAGE={s.kind!r} is not a storage kind", field="SHORTSMITH_STORAGE",
                      fix="use 'local' (default) or 's3'")
