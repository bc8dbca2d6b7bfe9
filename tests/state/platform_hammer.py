"""One worker of the platform-limits test: takes TikTok init slots and Instagram daily slots from the state table.

    python tests/state/platform_hammer.py WORKER N   ->  prints {"init": granted, "reels": reserved}
"""

from __future__ import annotations

import json
import sys
import time

INIT_LIMIT, WINDOW_S = 6, 600.0  # TikTok's 6 inits per window (a long window: none expires during the test)
REELS_TOTAL = 9  # the account's 24 h publishing limit; Instagram itself reports 2 used


def main(worker: int, n: int) -> dict:
    import dagster as dg

    from pipeline_defs.state import StateStore
    from shortsmith.instagram.reels import reserve_daily_slot
    from shortsmith.ratewindow import RateWindow

    kv = StateStore(dg.DagsterInstance.get())
    limits = RateWindow(kv)
    init = sum(1 for _ in range(n) if limits.try_acquire("shortsmith/tiktok/rate/hammer/init", INIT_LIMIT, WINDOW_S)
               == 0)
    reels = sum(1 for i in range(n) if reserve_daily_slot(kv, "shortsmith/instagram/published/hammer",
                                                          f"p-{worker}-{i}", 2, REELS_TOTAL, time.time(), 0.0))
    return {"init": init, "reels": reels}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
