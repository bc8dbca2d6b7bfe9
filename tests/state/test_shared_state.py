"""Eight processes at once on each ledger, with no Dagster pool limits: nothing lost, no limit passed.

Runs on SQLite (the local instance) and on PostgreSQL (a throwaway database on 127.0.0.1:5432).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from tests.state import state_hammer as hammer

ROOT = Path(__file__).resolve().parents[2]
WORKERS, CALLS = 8, 25


def _home(tmp_path: Path, pg: dict | None) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    config = "telemetry:\n  enabled: false\n"
    if pg:
        config += ("storage:\n  postgres:\n    postgres_db:\n"
                   f"      hostname: {pg['host']}\n      port: {pg['port']}\n      username: {pg['user']}\n"
                   f"      password: '{pg['password']}'\n      db_name: {pg['db']}\n      scheme: postgresql+psycopg2\n")
    (home / "dagster.yaml").write_text(config)
    return home


def _hammer(home: Path, kind: str) -> tuple[list[dict], float]:
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    with dg.DagsterInstance.from_config(str(home)):  # storage created (and migrated) once, up front
        pass
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, str(Path(hammer.__file__)), kind, str(w), str(CALLS)], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(WORKERS)]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=240)
        assert p.returncode == 0, stderr[-3000:]
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out, time.monotonic() - started


def _check_all(home: Path, label: str) -> None:
    from pipeline_defs.state import StateStore
    from pipeline_defs.ledger import Ledger
    from pipeline_defs.youtube_quota_ledger import YouTubeQuotaLedger
    from shortsmith.youtube_quota import pacific_day, utcnow

    times = {}
    results = {}
    for kind in ("quota", "cap", "breaker", "cost"):
        results[kind], times[kind] = _hammer(home, kind)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        quota = YouTubeQuotaLedger(instance).load(hammer.PROJECT, pacific_day(utcnow()))
        reserved = sum(r["ok"] for r in results["quota"])
        assert quota["used"]["units"] == reserved * 100 == hammer.QUOTA_UNITS  # exactly full, never over
        assert quota["calls"]["search.list"] == reserved
        assert sum(r["refused"] for r in results["quota"]) == WORKERS * CALLS - reserved

        ledger = Ledger(instance)
        requested = ledger.requested(hammer.CHANNEL, hammer.DAY)
        assert len(requested) == hammer.DAILY_CAP == sum(r["ok"] for r in results["cap"])

        breaker = StateStore(instance).get("shortsmith/breaker/hammer")
        assert breaker["failures"] == WORKERS * CALLS

        costs = ledger.costs(hammer.CHANNEL, hammer.DAY, assets=("music",))
        assert costs["total_usd"] == pytest.approx(WORKERS * CALLS * 0.01)
        entries = StateStore(instance).get(ledger.cost_key(hammer.CHANNEL, hammer.DAY, "music"))
        assert sum(e["calls"] for e in entries.values()) == WORKERS * CALLS
        assert not instance.event_log_storage.get_concurrency_keys()  # no pool limited any of it
    print(f"{label}: {WORKERS} processes x {CALLS} calls; " +
          ", ".join(f"{k} {t:.1f} s" for k, t in times.items()) +
          f"; quota {reserved} reserved of {WORKERS * CALLS}, cap {len(requested)}, "
          f"breaker {breaker['failures']}, cost {costs['total_usd']}")


@pytest.mark.slow
def test_ledgers_hold_under_eight_processes_on_sqlite(tmp_path):
    _check_all(_home(tmp_path, None), "sqlite")


@pytest.mark.slow
def test_ledgers_hold_under_eight_processes_on_postgres(tmp_path, pg_database):
    _check_all(_home(tmp_path, pg_database), "postgres")


def test_values_kept_as_cursor_values_move_into_the_table(tmp_path):
    """An instance whose ledgers were cursor values keeps them: copied into the table on first use."""
    import pipeline_defs.state as state
    from pipeline_defs.state import StateStore

    home = _home(tmp_path, None)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.run_storage.set_cursor_values({"shortsmith/breaker/openai": json.dumps({"failures": 2}),
                                                "other/key": json.dumps({"x": 1})})
        state._READY.clear()
        kv = StateStore(instance)
        assert kv.get("shortsmith/breaker/openai") == {"failures": 2}
        assert kv.get("other/key") == {}
        kv.update("shortsmith/breaker/openai", lambda v: {**v, "failures": v["failures"] + 1})
        assert StateStore(instance).get("shortsmith/breaker/openai") == {"failures": 3}
