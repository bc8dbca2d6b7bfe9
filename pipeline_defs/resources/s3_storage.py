"""Stage outputs in S3 or MinIO (SHORTSMITH_STORAGE=s3): the storage resource on dagster-aws's S3Resource.

Imported only when S3 storage is configured (``storage.storage_from_env``), so a local setup never
pays for importing dagster-aws and boto3.
"""

from __future__ import annotations

import dagster as dg
from dagster_aws.s3 import S3Resource

from .. import settings
from .storage import MediaStorage
from shortsmith.storage import MediaStore


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
