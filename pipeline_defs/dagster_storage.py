"""The Dagster storage internals the project relies on, behind one adapter with its own contract test.

Pools (concurrency slots), cursor values and run status are instance-storage APIs whose shapes
change between Dagster releases; everything in the project goes through ``DagsterStorage`` so an
upgrade is checked in one place (tests/state/test_dagster_storage.py).
"""

from __future__ import annotations

import os
import re
import socket
import time
from dataclasses import dataclass
from typing import Callable

HOST_TAG = "shortsmith/host"
_PID_IN_MESSAGE = re.compile(r"\(pid: (\d+)\)")


@dataclass(frozen=True)
class PoolInfo:
    pool: str
    limit: int | None  # None: no limit configured (the pool does not limit anything)
    slots: int
    claimed: int
    pending: int


class DagsterStorage:
    def __init__(self, instance):
        self.instance = instance
        self._events = instance.event_log_storage

    # -- pools -----------------------------------------------------------------------
    @property
    def supports_pools(self) -> bool:
        return bool(self._events.supports_global_concurrency_limits)

    def pool_info(self, pool: str) -> PoolInfo:
        info = self._events.get_concurrency_info(pool)
        limit = info.limit if info.limit is not None else (info.slot_count or None)
        if pool not in self.pool_limits() and not info.slot_count:
            limit = None  # Dagster reports the default here, but no slot exists to claim until initialised
        return PoolInfo(pool=pool, limit=limit, slots=info.slot_count, claimed=len(info.claimed_slots),
                        pending=len(info.pending_steps))

    def ensure_pool(self, pool: str) -> PoolInfo:
        """Give a pool the instance's ``pools: default_limit`` when it has no limit yet, so code that
        claims slots directly gets the same limit as Dagster's op-level pools."""
        info = self.pool_info(pool)
        if info.slots == 0 and pool not in self.pool_limits():  # never set: reported limit is only the default
            self._events.initialize_concurrency_limit_to_default(pool)
            info = self.pool_info(pool)
        return info

    def pool_limits(self) -> dict[str, int]:
        """Pools with a limit stored in the instance (set explicitly or initialised to the default)."""
        return {p.name: p.limit for p in self._events.get_pool_limits()}

    def set_pool_limit(self, pool: str, limit: int) -> None:
        self._events.set_concurrency_slots(pool, limit)

    def claim_slot(self, pool: str, run_id: str, claim_key: str) -> bool:
        return bool(self._events.claim_concurrency_slot(pool, run_id, claim_key).is_claimed)

    def free_slot(self, run_id: str, claim_key: str) -> None:
        self._events.free_concurrency_slot_for_step(run_id, claim_key)

    def free_run_slots(self, run_id: str) -> None:
        self._events.free_concurrency_slots_for_run(run_id)

    def runs_holding_slots(self) -> set[str]:
        return set(self._events.get_concurrency_run_ids())

    # -- cursor values ---------------------------------------------------------------
    def get_cursors(self, keys: set[str]) -> dict[str, str]:
        return dict(self.instance.run_storage.get_cursor_values(set(keys)))

    def set_cursors(self, values: dict[str, str]) -> None:
        self.instance.run_storage.set_cursor_values(dict(values))

    # -- runs ------------------------------------------------------------------------
    def run_status(self, run_id: str) -> str | None:
        run = self.instance.get_run_by_id(run_id)
        return run.status.value if run else None

    def started_runs(self) -> list:
        import dagster as dg

        return list(self.instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])))

    def worker_pid(self, run_id: str) -> int | None:
        """The pid of the process executing the run's steps, from its first engine event."""
        import dagster as dg

        records = self.instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=20).records
        for record in records:
            match = _PID_IN_MESSAGE.search(record.event_log_entry.user_message or "")
            if match:
                return int(match.group(1))
        return None

    def worker_alive(self, run) -> bool | None:
        """Whether the run's worker process still runs; None when it cannot be told from here
        (another host, or no pid recorded yet)."""
        host = run.tags.get(HOST_TAG)
        if host is not None and host != socket.gethostname():
            return None
        if host is None and type(self.instance.run_storage).__name__ != "SqliteRunStorage":
            return None  # a shared database: the worker may be on another machine
        pid = self.worker_pid(run.run_id)
        if pid is None:
            return None
        started = _process_start_time(pid)
        if started is None:
            return False
        record = self.instance.get_run_record_by_id(run.run_id)
        run_start = record.start_time if record and record.start_time else None
        # a pid reused by a process started after the run began is not the run's worker
        return not (run_start is not None and started > run_start + 2.0)

    def end_dead_runs(self, log: Callable[[str], None] = lambda m: None) -> list[str]:
        """Mark STARTED runs whose worker process is gone as failed and free their pool slots."""
        ended = []
        for run in self.started_runs():
            if self.worker_alive(run) is False:
                pid = self.worker_pid(run.run_id)
                self.instance.report_run_failed(
                    run, message=f"the run's process (pid {pid}) is gone (killed or crashed); marked failed "
                                 "so its pool slots are freed and the partition can be run again")
                self.free_run_slots(run.run_id)
                ended.append(run.run_id)
                log(f"run {run.run_id} was STARTED but its process {pid} is gone: marked failed, slots freed")
        for run_id in self.runs_holding_slots():  # slots of runs that ended without freeing them
            status = self.run_status(run_id)
            if status in ("FAILURE", "SUCCESS", "CANCELED"):  # unknown ids may be claims being set up
                self.free_run_slots(run_id)
        return ended


def _process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), or None if there is no such live process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # exists, owned by someone else
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            return None  # a zombie: dead, not yet reaped
        ticks = int(fields[19])
        boot = next(float(line.split()[1]) for line in open("/proc/stat") if line.startswith("btime"))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, StopIteration):
        return time.time() - 10**9  # alive, start unknown: treat as older than any run


def interrupt_pending() -> bool:
    """Whether SIGINT/SIGTERM arrived while Dagster holds them back (it does during an in-process run)."""
    from dagster._utils.interrupts import check_captured_interrupt

    return bool(check_captured_interrupt())
