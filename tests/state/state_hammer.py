"""One worker process of the shared-state test: hammers one ledger of the instance at $DAGSTER_HOME.

    python tests/state/state_hammer.py KIND WORKER N   ->  prints a JSON line {"ok": successes, "refused": n}
"""

from __future__ import annotations

import json
import sys
from datetime import date

PROJECT, CHANNEL, DAY = "hammer", "curious-minds", date(2026, 1, 1)
QUOTA_UNITS = 5_000  # 8 x 10 search.list calls of 100 units would need 8,000: must stop at 50 calls
DAILY_CAP = 7


def main(kind: str, worker: int, n: int) -> dict:
    import dagster as dg

    from pipeline_defs.state import StateStore
    from pipeline_defs.ledger import Ledger
    from pipeline_defs.youtube_quota_ledger import YouTubeQuotaLedger
    from shortsmith.resilience import BreakerPolicy, CircuitBreaker
    from shortsmith.youtube_quota import QuotaDeferred, QuotaRules

    instance = dg.DagsterInstance.get()
    ok = refused = 0
    if kind == "quota":
        book = YouTubeQuotaLedger(instance).book(PROJECT, QuotaRules(units_per_day=QUOTA_UNITS))
        for _ in range(n):
            try:
                book.reserve("search.list")
                ok += 1
            except QuotaDeferred:
                refused += 1
    elif kind == "cap":
        ledger = Ledger(instance)
        for i in range(n):
            if ledger.record_requested(CHANNEL, DAY, "trend" if i % 2 else "inbox",
                                       f"{CHANNEL}--topic-{worker}-{i}", "t", cap=DAILY_CAP):
                ok += 1
            else:
                refused += 1
    elif kind == "breaker":
        breaker = CircuitBreaker(StateStore(instance), BreakerPolicy(failures_to_open=10**9))
        for _ in range(n):
            breaker.record_failure("hammer", "boom")
            ok += 1
    elif kind == "cost":
        ledger = Ledger(instance)
        for i in range(n):
            ledger.record_cost(CHANNEL, DAY, "music", f"{CHANNEL}--p{i % 3}", 0.01, {"p": 0.01})
            ok += 1
    else:
        raise SystemExit(f"unknown kind {kind}")
    return {"ok": ok, "refused": refused}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
