"""Small JSON values in the Dagster instance's key-value table (``run_storage`` cursor values).

Shared by every run worker, the daemon, sensors and the CLI, on SQLite and PostgreSQL alike,
and backed up with the instance. Used by the per-channel ledger (ledger.py), the YouTube quota
ledger (youtube_quota_ledger.py) and the provider circuit breakers (providers.py).
"""

from __future__ import annotations

import json
import threading
from typing import Callable

_LOCK = threading.RLock()


class InstanceKV:
    """JSON dicts by key; ``update`` is a read-modify-write, serialised in-process and read back."""

    def __init__(self, instance):
        self._storage = instance.run_storage

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        if not keys:
            return {}
        out = {}
        for k, v in self._storage.get_cursor_values(set(keys)).items():
            try:
                out[k] = json.loads(v) if v else {}
            except json.JSONDecodeError:
                out[k] = {}
        return out

    def get(self, key: str) -> dict:
        return self.get_many([key]).get(key, {})

    def set(self, key: str, value: dict) -> None:
        self._storage.set_cursor_values({key: json.dumps(value, sort_keys=True, default=str)})

    def update(self, key: str, fn: Callable[[dict], dict | None]) -> dict:
        """Apply ``fn`` to the current value (it may change it in place or return a new one) and store it.

        Another process writing the same key at once could win; the value is read back and the
        update re-applied (up to 3 times). Keys with one writer at a time (a pool, a sensor) are safe.
        """
        with _LOCK:
            value: dict = {}
            for _ in range(3):
                value = self.get(key)
                new = fn(value)
                value = value if new is None else new
                self.set(key, value)
                if self.get(key) == json.loads(json.dumps(value, sort_keys=True, default=str)):
                    return value
            return value
