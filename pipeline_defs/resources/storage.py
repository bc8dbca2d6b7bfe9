from __future__ import annotations

import dagster as dg

from shortsmith.storage import LocalMediaStore


class MediaStorage(dg.ConfigurableResource):
    """Where stage outputs live: one folder per (partition, stage), committed atomically."""

    root: str

    def store(self) -> LocalMediaStore:
        return LocalMediaStore(self.root)
