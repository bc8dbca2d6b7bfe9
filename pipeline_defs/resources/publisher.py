from __future__ import annotations

from pathlib import Path

import dagster as dg

from shortsmith.publish import LocalChannelPublisher, Publication


class Publisher(dg.ConfigurableResource):
    """Publishes a finished Short exactly once per partition."""

    def existing(self, partition: str) -> Publication | None:
        raise NotImplementedError

    def publish(self, partition: str, *, video: Path, thumbnail: Path, request: dict) -> Publication:
        raise NotImplementedError


class LocalFolderPublisher(Publisher):
    """The offline default: a local folder per channel with the video, thumbnail and metadata JSON."""

    root: str

    def _impl(self) -> LocalChannelPublisher:
        return LocalChannelPublisher(self.root)

    def existing(self, partition: str) -> Publication | None:
        return self._impl().existing(partition)

    def publish(self, partition: str, *, video: Path, thumbnail: Path, request: dict) -> Publication:
        return self._impl().publish(partition, video=video, thumbnail=thumbnail, request=request)
