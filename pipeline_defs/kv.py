"""Small JSON values shared by every process of an instance (see ``state.py`` for the storage).

Used by the per-channel ledger (ledger.py), the YouTube quota ledger (youtube_quota_ledger.py)
and the provider circuit breakers (providers.py). ``update`` is atomic across processes.
"""

from __future__ import annotations

from typing import Callable

from .state import StateStore


class InstanceKV:
    """JSON dicts by key; ``update``/``update_many`` run in one locked database transaction."""

    def __init__(self, instance):
        self._store = StateStore(instance)

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        return self._store.get_many(keys)

    def get(self, key: str) -> dict:
        return self._store.get(key)

    def set(self, key: str, value: dict) -> None:
        self._store.set(key, value)

    def update(self, key: str, fn: Callable[[dict], dict | None]) -> dict:
        return self._store.update(key, fn)

    def update_many(self, keys: list[str], fn: Callable[[dict[str, dict]], dict[str, dict] | None]) -> dict[str, dict]:
        return self._store.update_many(keys, fn)

    def add_within(self, key: str, field: str, amount: float, limit: float | None = None) -> float | None:
        return self._store.add_within(key, field, amount, limit)
