"""Watching an in-process run from the CLI: Ctrl-C/SIGTERM always end it, dead runs never block it.

Dagster holds SIGINT/SIGTERM back during ``execute_in_process`` and acts on them between steps;
a run waiting for a pool slot never reaches that point. The guard gives Dagster ``grace_s`` to
stop, then marks the run canceled, frees its slots and exits (children die with the process).
While the run waits, runs whose process died are ended every ``reap_every_s`` so their slots free.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time

from .dagster_storage import HOST_TAG, DagsterStorage, interrupt_pending

PID_TAG = "shortsmith/pid"


def process_tags() -> dict[str, str]:
    """Tags that let any later command tell whether this run's process is still alive."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


class RunGuard:
    def __init__(self, instance, *, grace_s: float = 10.0, reap_every_s: float = 15.0, poll_s: float = 0.5):
        self.storage = DagsterStorage(instance)
        self.grace_s, self.reap_every_s, self.poll_s = grace_s, reap_every_s, poll_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="shortsmith-run-guard", daemon=True)

    def __enter__(self) -> "RunGuard":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join(5)

    def _my_runs(self) -> list:
        return [r for r in self.storage.started_runs() if r.tags.get(PID_TAG) == str(os.getpid())
                and r.tags.get(HOST_TAG) == socket.gethostname()]

    def _watch(self) -> None:
        interrupted_at = None
        next_reap = time.monotonic() + self.reap_every_s
        while not self._done.wait(self.poll_s):
            try:
                if interrupt_pending() and interrupted_at is None:
                    interrupted_at = time.monotonic()
                    print(f"stopping: the run ends after its current step (at most {self.grace_s:.0f} s)",
                          file=sys.stderr, flush=True)
                if interrupted_at is not None and time.monotonic() - interrupted_at > self.grace_s:
                    self._abandon()
                if time.monotonic() >= next_reap:
                    next_reap = time.monotonic() + self.reap_every_s
                    self.storage.end_dead_runs(lambda m: print(f"note: {m}", file=sys.stderr, flush=True))
            except Exception as exc:  # the guard must never take the run down itself
                print(f"note: run guard: {exc}", file=sys.stderr, flush=True)

    def _abandon(self) -> None:
        for run in self._my_runs():
            self.storage.instance.report_run_failed(run, message="stopped by SIGTERM/Ctrl-C while waiting")
            self.storage.free_run_slots(run.run_id)
            print(f"stopped: run {run.run_id} marked failed and its pool slots freed; run the same command "
                  "again to continue (finished steps are reused)", file=sys.stderr, flush=True)
        os._exit(130)
