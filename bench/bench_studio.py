"""Studio API latency under a bounded loopback load: p50/p95 of create (POST /v1/videos) and status
(GET /v1/videos/{partition}), with N client threads against the studio on a loopback uvicorn.

    python bench/bench_studio.py [--creates 40] [--status 200] [--concurrency 4]

Uses a throwaway SHORTSMITH_HOME/DAGSTER_HOME (or --home, e.g. a copy of one where `make demo` ran, for
the status of a finished video). No daemon runs: created runs stay queued, so the figure is the studio's
own work (request record, ledger, partition, the launchRun GraphQL mutation), not the render.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--creates", type=int, default=40)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--home", help="an existing SHORTSMITH_HOME (with dagster_home/) to read videos from")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-studio-"))
    home = work / "home"
    if args.home:
        shutil.copytree(args.home, home, symlinks=True)
    os.environ["SHORTSMITH_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    os.environ.pop("SHORTSMITH_DAGSTER_URL", None)
    import httpx
    import uvicorn

    from studio import db
    from studio.app import build_studio, create_app

    studio = build_studio()
    studio.launcher._workspace_context()  # the code server starts before the timed calls
    port = 18000 + os.getpid() % 1000
    srv = uvicorn.Server(uvicorn.Config(create_app(studio, rate_per_minute=10**6), host="127.0.0.1", port=port,
                                        log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    key = db.create_key("bench")[1]
    base = f"http://127.0.0.1:{port}"
    channel = studio.channels.names[0]

    def timed(fn):
        t = time.perf_counter()
        r = fn()
        assert r.status_code < 300, r.text
        return time.perf_counter() - t, r

    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=120) as c, \
            ThreadPoolExecutor(args.concurrency) as pool:
        created = list(pool.map(lambda i: timed(lambda: c.post("/v1/videos", json={
            "channel": channel, "topic": f"Bench topic number {i} {os.getpid()}"})), range(args.creates)))
        existing = [p for p in studio.instance.get_dynamic_partitions("videos") if "bench-topic" not in p]
        target = existing[0] if existing else created[0][1].json()["partition"]
        status = list(pool.map(lambda i: timed(lambda: c.get(f"/v1/videos/{target}")), range(args.status)))
    srv.should_exit = True
    studio.launcher.close()
    for name, rows in (("create", created), ("status", status)):
        s = [t * 1000 for t, _ in rows]
        print(f"{name:7} n={len(s):4} concurrency={args.concurrency}  p50 {statistics.median(s):7.1f} ms  "
              f"p95 {pct(s, 0.95):7.1f} ms  max {max(s):7.1f} ms")
    print(f"status of {target}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
