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

from shortsmith.errors import ConfigError
from shortsmith.storage import LocalMediaStore, MediaStore

from .. import settings


class MediaStorage(dg.ConfigurableResource):
    """Where stage outputs live: one folder per (partition, stage), committed atomically."""

    root: str

    def store(self) -> MediaStore:
        return LocalMediaStore(self.root)


def storage_from_env(media_root: str, s: settings.StorageSettings | None = None) -> MediaStorage:
    """The storage resource SHORTSMITH_STORAGE selects (``local`` or ``s3``); see the module docstring."""
    s = s or settings.load().storage
    if s.kind == "local":
        return MediaStorage(root=media_root)
    if s.kind == "s3":
        if not s.bucket_set:
            raise ConfigError("SHORTSMITH_STORAGE=s3 but SHORTSMITH_S3_BUCKET is not set",
                              field="SHORTSMITH_S3_BUCKET", fix="set the bucket name (e.g. shortsmith-media)")
        from .s3_storage import S3MediaStorage, s3_resource_from_env  # dagster-aws loads only when used

        return S3MediaStorage(root=media_root, s3=s3_resource_from_env(s), bucket=dg.EnvVar("SHORTSMITH_S3_BUCKET"),
                              prefix=s.prefix)
    raise ConfigError(f"SHORTSMITH_STORAGE={s.kind!r} is not a storage kind", field="SHORTSMITH_STORAGE",
                      fix="use 'local' (default) or 's3'")


def __getattr__(name: str):
    # S3MediaStorage lives in .s3_storage so that importing the code location does not import
    # dagster-aws (about a third of the import time) when the media are stored locally
    if name in ("S3MediaStorage", "s3_resource_from_env"):
        from . import s3_storage

        return getattr(s3_storage, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
