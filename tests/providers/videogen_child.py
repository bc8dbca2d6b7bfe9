"""Worker processes of test_videogen, on the instance at $DAGSTER_HOME:

    python tests/providers/videogen_child.py wait STAND_IN_URL WORKDIR
        submits a Short's three Sora jobs, then waits for them until the test kills it;
    python tests/providers/videogen_child.py race STAND_IN_URL FOLDER
        writes FOLDER/ready-<pid>, waits for FOLDER/go, then submits the same Short's jobs as the other
        workers and reserves $0.80 ten times in a $10 daily budget; prints {"created", "resumed",
        "reserved"} as JSON.

It imports only what a run needs (the test module imports its constants from here).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from shortsmith.config import StyleConfig
from shortsmith.model import Beat

OPENAI_KEY = "sk-test-VIDEOS-abcdef123456"
STYLE = StyleConfig(name="paper")
PARTITION = "curious-minds--why-cats-purr"


def beat(prompt: str, words: int = 10) -> Beat:
    return Beat("body", " ".join(["word"] * words), prompt, ["cat"])


BEATS = [beat("a cat purring on a windowsill"), beat("a kitten asleep in the sun"), beat("a lion yawning at dusk")]


def batch(url: str, store, budget, owner: str, poll_s: float = 0.05):
    from pipeline_defs.resources.videogen import SoraVideoProvider
    from shortsmith.resilience import CallContext, CostMeter

    provider = SoraVideoProvider(api_key=OPENAI_KEY, base_url=url + "/v1", poll_s=poll_s, timeout_s=600)
    return provider.batch(BEATS, style=STYLE, partition=PARTITION, seconds=[3.0] * 3,
                          calls=CallContext(meter=CostMeter(), sleep=time.sleep), store=store, budget=budget,
                          owner=owner)


def main(mode: str, url: str, arg: str) -> None:
    import os

    import dagster as dg

    from pipeline_defs.resources.videogen import clip_into
    from pipeline_defs.state import StateStore
    from shortsmith.videogen import DailyBudget

    instance = dg.DagsterInstance.get()
    store = StateStore(instance)
    if mode == "wait":
        b = batch(url, store, DailyBudget(store, "curious-minds", "2026-11-30", 10.0), "killed-run")
        b.submit()
        clip_into(b, 0, Path(arg) / "scene_00.mp4")  # never finishes: the test kills this process
        return
    budget = DailyBudget(store, "race", "2026-11-30", 10.0)
    b = batch(url, store, None, f"racer-{os.getpid()}")
    folder = Path(arg)
    (folder / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 120
    while not (folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    b.submit()
    reserved = sum(budget.reserve(0.8) for _ in range(10))
    print(json.dumps({"created": b.created, "resumed": b.resumed, "reserved": reserved}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
