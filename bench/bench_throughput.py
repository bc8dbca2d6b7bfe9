"""Throughput: many Shorts through Dagster's queue and daemon, against the sum of their encode floors.

    .venv/bin/python bench/bench_throughput.py [--videos 8] [--timeout 2400] [--skip-serial]

In one process, on a fresh temporary SHORTSMITH_HOME/DAGSTER_HOME with the repository's own
dagster.yaml (queued run coordinator, its run and pool limits):

1. ``queued``: N videos over two channels are added and launched together (GraphQL ``launchRun``,
   as the UI does); a real ``dagster-daemon`` dequeues and runs them. Wall time from the first
   launch to the last run finished; CPU utilisation of the machine and peak memory of every
   process started (sampled from /proc) over that time.
2. ``floor``: each finished Short's frames and audio re-encoded with the render's settings
   (bench_e2e.encode_floor), summed: the unavoidable encode work.
3. ``serial``: the same topics made one after another with ``shortsmith video`` on another home.

Ratios, not seconds, are the figures to compare: the machine's speed varies between runs.
Every wait is bounded by --timeout; the daemon runs in its own process group and is stopped.
Writes bench/results/throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } ... on InvalidSubsetError { message }
  ... on RunConfigValidationInvalid { errors { message } } } }"""


def topics(n: int) -> list[tuple[str, str]]:
    config = yaml.safe_load((ROOT / "channels.yaml").read_text())
    per = {c["name"]: [t["topic"] if isinstance(t, dict) else t for t in c.get("topics", [])]
           for c in config["channels"][:2]}
    out: list[tuple[str, str]] = []
    while len(out) < n:
        progressed = False
        for name, ts in per.items():
            i = sum(1 for c, _ in out if c == name)
            if i < len(ts) and len(out) < n:
                out.append((name, ts[i]))
                progressed = True
        if not progressed:
            raise SystemExit(f"channels.yaml lists fewer than {n} topics in its first two channels")
    return out


def home_env(home: Path) -> dict:
    """A fresh home whose channels may publish every video of the bench (the cap is not measured here)."""
    (home / "dagster_home").mkdir(parents=True)
    shutil.copy(ROOT / "dagster.yaml", home / "dagster_home" / "dagster.yaml")
    config = yaml.safe_load((ROOT / "channels.yaml").read_text())
    for c in config["channels"]:
        c["videos_per_day"] = 50
        c["publish_window"] = {"start": "00:00", "end": "23:59"}
        for topic in c.get("topics") or []:  # the copy lives elsewhere: its `source:` files made absolute
            if isinstance(topic, dict) and topic.get("source") and "://" not in topic["source"]:
                topic["source"] = str(ROOT / topic["source"])
    (home / "channels.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return {**os.environ, "SHORTSMITH_HOME": str(home), "DAGSTER_HOME": str(home / "dagster_home"),
            "SHORTSMITH_CHANNELS": str(home / "channels.yaml"), "SHORTSMITH_AUTOMATION": "off",
            "PYTHONPATH": str(ROOT)}


class Sampler(threading.Thread):
    """Machine CPU utilisation (from /proc/stat) and the peak total RSS of the given process groups."""

    def __init__(self, period: float = 0.5):
        super().__init__(daemon=True)
        self.period, self.stop_flag, self.peak_rss_mb = period, threading.Event(), 0.0
        self.root = os.getpid()

    @staticmethod
    def _cpu() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields) - idle, sum(fields)

    def _tree_rss_mb(self) -> float:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                stat = (d / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                rss[int(d.name)] = int((d / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
        total, stack = 0, [self.root]
        while stack:
            pid = stack.pop()
            total += rss.get(pid, 0)
            stack.extend(children.get(pid, []))
        return total / 2**20

    def run(self) -> None:
        self.busy0, self.total0 = self._cpu()
        while not self.stop_flag.wait(self.period):
            self.peak_rss_mb = max(self.peak_rss_mb, self._tree_rss_mb())

    def finish(self) -> float:
        self.stop_flag.set()
        self.join(5)
        busy, total = self._cpu()
        return (busy - self.busy0) / max(1, total - self.total0)


def graphql(env: dict, query: str, variables: dict) -> dict:
    proc = subprocess.run([str(BIN / "dagster-graphql"), "-w", str(ROOT / "workspace.yaml"), "-t", query,
                           "-v", json.dumps(variables)], capture_output=True, text=True, env=env, cwd=str(ROOT),
                          timeout=300)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"dagster-graphql answered nothing: {proc.stderr[-1500:]}")
    return json.loads(lines[-1])


def queued(items: list[tuple[str, str]], home: Path, deadline: float) -> dict:
    env = home_env(home)
    keys = []
    for channel, topic in items:
        out = subprocess.run([str(BIN / "shortsmith"), "add", "--channel", channel, "--topic", topic],
                             capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300, check=True)
        keys.append(out.stdout.strip().splitlines()[-1])
    daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", str(ROOT / "workspace.yaml")], env=env,
                              cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # its own group: stopped as one below
    sampler = Sampler()
    sampler.start()
    started = time.perf_counter()
    try:
        for key in keys:
            params = {"selector": {"repositoryLocationName": "shortsmith", "repositoryName": "__repository__",
                                   "jobName": "make_video"},
                      "executionMetadata": {"tags": [{"key": "dagster/partition", "value": key}]}}
            answer = graphql(env, LAUNCH, {"p": params})["data"]["launchRun"]
            if answer["__typename"] != "LaunchRunSuccess":
                raise RuntimeError(f"launchRun for {key}: {answer}")
        os.environ.update({k: env[k] for k in ("SHORTSMITH_HOME", "DAGSTER_HOME", "SHORTSMITH_CHANNELS")})
        import dagster as dg

        with dg.DagsterInstance.get() as instance:
            while True:
                runs = instance.get_runs()
                done = [r for r in runs if r.is_finished]
                if len(done) == len(keys):
                    break
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"{len(done)}/{len(keys)} runs finished before --timeout")
                time.sleep(1.0)
            wall = time.perf_counter() - started
            failed = [r.run_id for r in runs if r.status != dg.DagsterRunStatus.SUCCESS]
    finally:
        cpu = sampler.finish()
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
    return {"keys": keys, "wall_seconds": round(wall, 2), "failed_runs": failed,
            "cpu_utilisation": round(cpu, 3), "peak_rss_mb": round(sampler.peak_rss_mb)}


def serial(items: list[tuple[str, str]], home: Path, timeout: float) -> float:
    env = home_env(home)
    started = time.perf_counter()
    for channel, topic in items:
        subprocess.run([str(BIN / "shortsmith"), "video", "--channel", channel, "--topic", topic], env=env,
                       cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       timeout=max(1.0, timeout - (time.perf_counter() - started)))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=2400, help="seconds each phase may take")
    parser.add_argument("--skip-serial", action="store_true")
    args = parser.parse_args()
    from bench_e2e import encode_floor

    items = topics(args.videos)
    work = Path(tempfile.mkdtemp(prefix="shortsmith-throughput-"))
    q = queued(items, work / "queued", time.perf_counter() + args.timeout)
    media = work / "queued" / "media"
    videos = sorted(media.glob("*/*/video/video.mp4"))
    floors = [encode_floor(v, work) for v in videos]
    serial_wall = None if args.skip_serial else serial(items, work / "serial", args.timeout)
    floor_sum = sum(floors)
    report = {
        "videos": len(videos), "wall_seconds": q["wall_seconds"], "encode_floor_seconds_sum": round(floor_sum, 2),
        "shorts_per_hour": round(3600 * len(videos) / q["wall_seconds"], 1),
        "serial_wall_seconds": round(serial_wall, 2) if serial_wall else None,
        "cpu_utilisation": q["cpu_utilisation"], "peak_rss_mb": q["peak_rss_mb"], "failed_runs": q["failed_runs"],
        "ratios": {"wall_to_floor_sum": round(q["wall_seconds"] / floor_sum, 3) if floor_sum else None,
                   "queued_to_serial": round(q["wall_seconds"] / serial_wall, 3) if serial_wall else None},
    }
    print(f"\n{len(videos)} Shorts over two channels through the queue and daemon: {q['wall_seconds']:.1f} s "
          f"({report['shorts_per_hour']} per hour), CPU {100 * q['cpu_utilisation']:.0f}%, peak {q['peak_rss_mb']} MB")
    print(f"  sum of their encode floors {floor_sum:.1f} s -> ratio {report['ratios']['wall_to_floor_sum']} "
          f"(target <= 1.15)")
    if serial_wall:
        print(f"  one after another from the CLI: {serial_wall:.1f} s -> queued / serial "
              f"{report['ratios']['queued_to_serial']}")
    if q["failed_runs"]:
        print(f"  FAILED runs: {q['failed_runs']}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "throughput.json").write_text(json.dumps(report, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if q["failed_runs"] or len(videos) != args.videos else 0


if __name__ == "__main__":
    sys.exit(main())
