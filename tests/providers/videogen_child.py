"""The run that gets killed (test_videogen): submits a Short's three Sora jobs, records them in the
instance at $DAGSTER_HOME, then waits for them until it is killed.

    python tests/providers/videogen_child.py STAND_IN_URL WORKDIR
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(url: str, workdir: str) -> None:
    import dagster as dg

    from pipeline_defs.resources.videogen import SoraVideoProvider, clip_into
    from pipeline_defs.state import StateStore
    from shortsmith.resilience import CallContext, CostMeter
    from shortsmith.videogen import DailyBudget
    from tests.providers.test_videogen import BEATS, OPENAI_KEY, PARTITION, STYLE

    instance = dg.DagsterInstance.get()
    store = StateStore(instance)
    provider = SoraVideoProvider(api_key=OPENAI_KEY, base_url=url + "/v1", poll_s=0.05, timeout_s=600)
    batch = provider.batch(BEATS, style=STYLE, partition=PARTITION, seconds=[3.0] * 3,
                           calls=CallContext(meter=CostMeter()), store=store,
                           budget=DailyBudget(store, "curious-minds", "2026-11-30", 10.0), owner="killed-run")
    batch.submit()
    clip_into(batch, 0, Path(workdir) / "scene_00.mp4")  # never finishes: the parent kills this process


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
