"""TikTok's init window and Instagram's 24 h publishing slots hold across processes (the state table's transactions)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from tests.conftest import ROOT
from tests.state import platform_hammer as hammer

WORKERS, CALLS = 3, 5


def test_rate_window_and_daily_slots_are_never_exceeded_by_parallel_processes(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(home)):  # storage created once, up front
        pass
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, str(Path(hammer.__file__)), str(w), str(CALLS)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(WORKERS)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    # 15 attempts of each kind: exactly the limit granted, never one more
    assert sum(r["init"] for r in results) == hammer.INIT_LIMIT
    assert sum(r["reels"] for r in results) == hammer.REELS_TOTAL - 2
    from pipeline_defs.state import StateStore

    with dg.DagsterInstance.from_config(str(home)) as instance:
        kv = StateStore(instance)
        assert len(kv.get("shortsmith/tiktok/rate/hammer/init")["calls"]) == hammer.INIT_LIMIT
        assert len(kv.get("shortsmith/instagram/published/hammer")["posts"]) == hammer.REELS_TOTAL - 2
