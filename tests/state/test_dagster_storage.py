"""Contract of the adapter over Dagster's storage internals (pools, cursor values, run status), on a
real local instance; and what it is for: a killed run's slot is freed, a pool is never a silent wait."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from pipeline_defs.dagster_storage import DagsterStorage
from pipeline_defs.providers import pool_slot
from shortsmith.resilience import ProviderError

ROOT = Path(__file__).resolve().parents[2]
LOCAL = {"concurrency": {"pools": {"default_limit": 1}}}  # what the project's dagster.yaml sets


def test_pools_claim_free_and_default_limit():
    with dg.instance_for_test(overrides=LOCAL) as instance:
        st = DagsterStorage(instance)
        assert st.supports_pools
        assert (st.pool_info("openai").limit, st.pool_info("openai").slots) == (None, 0)
        info = st.ensure_pool("openai")
        assert (info.limit, info.slots) == (1, 1)
        assert st.claim_slot("openai", "run-a", "step-1")
        assert not st.claim_slot("openai", "run-b", "step-1")
        assert st.pool_info("openai").claimed == 1 and "run-a" in st.runs_holding_slots()
        st.free_slot("run-a", "step-1")
        assert st.claim_slot("openai", "run-b", "step-1")
        st.free_run_slots("run-b")
        assert st.pool_info("openai").claimed == 0
        st.set_pool_limit("openai", 3)
        assert st.ensure_pool("openai").slots == 3  # an explicit limit is kept


def test_cursor_values_round_trip():
    with dg.instance_for_test() as instance:
        st = DagsterStorage(instance)
        st.set_cursors({"a": "1", "b": '{"x": 2}'})
        assert st.get_cursors({"a", "b", "missing"}) == {"a": "1", "b": '{"x": 2}'}


def test_run_status_and_worker_pid_of_a_finished_run():
    @dg.asset
    def one():
        return 1

    with dg.instance_for_test() as instance:
        result = dg.materialize([one], instance=instance)
        st = DagsterStorage(instance)
        assert st.run_status(result.run_id) == "SUCCESS"
        assert st.worker_pid(result.run_id) == os.getpid()
        assert st.run_status("no-such-run") is None


def test_provider_pool_on_the_default_local_instance_needs_no_pool_command():
    """With ``pools: default_limit: 1`` and no ``dagster instance concurrency set``, a provider call
    gets its slot at once (it used to wait for a slot that did not exist)."""
    with dg.instance_for_test(overrides=LOCAL) as instance:
        started = time.monotonic()
        with pool_slot(instance, "run-1", "video_scripts", "openai", timeout_s=5):
            pass
        assert time.monotonic() - started < 2
        assert DagsterStorage(instance).pool_info("openai").slots == 1


def test_a_pool_with_no_slots_is_an_error_with_its_fix():
    with dg.instance_for_test(overrides=LOCAL) as instance:
        DagsterStorage(instance).set_pool_limit("openai", 0)
        started = time.monotonic()
        with pytest.raises(ProviderError) as err:
            with pool_slot(instance, "run-1", "video_scripts", "openai", timeout_s=60):
                pass
        assert time.monotonic() - started < 2
        assert "0 slots" in str(err.value) and "dagster instance concurrency set openai" in err.value.fix


def test_a_killed_run_is_marked_failed_and_its_slot_freed(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("slow_run.py")), "120"], env=env,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and "started" not in (proc.stdout.readline() or "started"):
            pass
        assert proc.poll() is None, "the slow run ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        st = DagsterStorage(instance)
        [run] = st.started_runs()
        assert st.pool_info("gpu").claimed == 1  # the dead run still holds the only gpu slot
        assert st.worker_alive(run) is False
        assert st.end_dead_runs() == [run.run_id]
        assert st.run_status(run.run_id) == "FAILURE"
        assert st.pool_info("gpu").claimed == 0 and not st.started_runs()
