"""Sliding-window rate limits held in shared state (e.g. TikTok: init 6/min, status 30/min per user token).

``RateWindow(kv).acquire(key, limit, window_s)`` reserves one call in a single locked read-modify-write
of ``kv`` (the project's state table in production: one transaction, so any number of processes never
exceed ``limit`` calls in any ``window_s``). It returns 0 when the call may go now, else the seconds
until a slot frees (nothing reserved).
"""

from __future__ import annotations

import time
from typing import Callable

from .resilience import KeyValue


class RateWindow:
    def __init__(self, kv: KeyValue, *, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep):
        self.kv, self.clock, self.sleep = kv, clock, sleep

    def try_acquire(self, key: str, limit: int, window_s: float = 60.0) -> float:
        wait = [0.0]

        def reserve(value: dict) -> dict:
            now = self.clock()
            calls = sorted(float(t) for t in value.get("calls", []) if now - float(t) < window_s)
            if len(calls) >= limit:
                wait[0] = max(0.001, calls[len(calls) - limit] + window_s - now)
            else:
                calls.append(now)
            return {"calls": calls}

        self.kv.update(key, reserve)
        return wait[0]

    def acquire(self, key: str, limit: int, window_s: float = 60.0, max_wait_s: float = 120.0) -> float:
        """Wait (sleeping) until a call may go; returns the seconds waited. TimeoutError past ``max_wait_s``."""
        waited = 0.0
        while True:
            wait = self.try_acquire(key, limit, window_s)
            if wait == 0:
                return waited
            if waited + wait > max_wait_s:
                raise TimeoutError(f"rate limit {limit}/{window_s:.0f}s on {key} would need a wait of "
                                   f"{waited + wait:.0f} s")
            self.sleep(wait)
            waited += wait
