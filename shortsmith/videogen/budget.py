"""A channel's daily spending limits (channels.yaml ``budgets:``) and the transactional daily budget.

``budgets: {visuals_usd_per_day: 5.0}`` caps what generated visuals (video clips) may cost a
channel per channel-local day. Every job reserves its estimated cost before it is submitted,
in one transaction of the shared state table, so any number of runs and processes together
never pass the limit; a job the budget cannot take is not submitted and the scene falls back
to the next visual provider.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from ..errors import ConfigError

BUDGET_KEYS = {"visuals_usd_per_day"}


@dataclass(frozen=True)
class Budgets:
    visuals_usd_per_day: float | None = None  # None: no limit of our own


def parse_budgets(raw: Any, where: str) -> Budgets:
    """The ``budgets:`` block of a channel; every key checked, errors name the field."""
    if raw is None:
        return Budgets()
    if not isinstance(raw, dict):
        raise ConfigError("must be a mapping", field=f"{where}.budgets",
                          fix="e.g. budgets: {visuals_usd_per_day: 5.0}")
    unknown = sorted(set(raw) - BUDGET_KEYS)
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(unknown)}", field=f"{where}.budgets.{unknown[0]}",
                          fix=f"allowed keys are: {', '.join(sorted(BUDGET_KEYS))}")
    value = raw.get("visuals_usd_per_day")
    if value is None:
        return Budgets()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"visuals_usd_per_day must be a number of US dollars >= 0, got {value!r}",
                          field=f"{where}.budgets.visuals_usd_per_day",
                          fix="e.g. visuals_usd_per_day: 5.0 (0 turns paid generated visuals off)")
    return Budgets(visuals_usd_per_day=float(value))


class Store(Protocol):
    def get(self, key: str) -> dict: ...
    def update(self, key: str, fn: Callable[[dict], dict | None]) -> dict: ...


class DailyBudget:
    """What one channel's generated visuals spent on one day, held in the shared state table."""

    PREFIX = "shortsmith/budget/visuals/"

    def __init__(self, store: Store, channel: str, day: str, limit_usd: float | None):
        self.store, self.channel, self.day, self.limit = store, channel, day, limit_usd
        self.key = f"{self.PREFIX}{channel}/{day}"

    def spent(self) -> float:
        return float(self.store.get(self.key).get("usd", 0.0))

    def reserve(self, usd: float, what: str = "") -> bool:
        """Add ``usd`` if the day's total stays within the limit (one transaction); False: nothing added."""
        taken = [False]

        def add(value: dict) -> dict:
            total = float(value.get("usd", 0.0)) + usd
            if self.limit is not None and total > self.limit + 1e-9:
                return value
            value["usd"] = round(total, 6)
            value["jobs"] = int(value.get("jobs", 0)) + 1
            taken[0] = True
            return value

        self.store.update(self.key, add)
        return taken[0]

    def release(self, usd: float) -> None:
        """Give back a reservation whose job made nothing (failed, refused)."""
        def sub(value: dict) -> dict:
            value["usd"] = round(max(0.0, float(value.get("usd", 0.0)) - usd), 6)
            return value
        self.store.update(self.key, sub)


__all__ = ["BUDGET_KEYS", "Budgets", "DailyBudget", "parse_budgets"]
