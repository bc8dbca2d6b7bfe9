"""kill -9 of `shortsmith video` during the voice, the encode and the publishing, all on one instance;
each re-run of the same command finishes in bounded time, publishes exactly once, leaves no temporary
files and no run STARTED. Before: the dead run kept the only `gpu` slot and every re-run waited for ever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import ROOT, write_channels
from pipeline_defs.instance import instance_lock
from shortsmith.topics import partition_key

RERUN_BOUND_S = 420
POINTS = [("voiceovers", False), ("assembled_videos", True), ("published_uploads", False)]


def _children(pid: int) -> list[tuple[int, str]]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
                fields = stat.rsplit(")", 1)[1].split()
                comm = stat.split("(", 1)[1].rsplit(")", 1)[0]
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append((int(d.name), comm))
    return out


class Watcher:
    """Polls the instance for a step's start; opened once, after the CLI has created the instance."""

    def __init__(self, home: Path):
        self.home, self.instance = home, None

    def step_started(self, step: str) -> bool:
        if self.instance is None:
            if not (self.home / ".instance.lock").exists():
                return False
            with instance_lock(self.home):  # never open a fresh instance while the CLI is creating it
                self.instance = dg.DagsterInstance.from_config(str(self.home))
        for run in self.instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
            for rec in self.instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_START).records:
                if rec.event_log_entry.step_key == step:
                    return True
        return False

    def close(self):
        if self.instance is not None:
            self.instance.dispose()


def _started_runs(home: Path) -> int:
    with instance_lock(home):
        instance = dg.DagsterInstance.from_config(str(home))
    with instance:
        return len(instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])))


def _cli(env: dict, topic: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline_defs.cli", "video", "--channel", "curious-minds",
                             "--topic", topic], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def _temp_leftovers(root: Path) -> list[str]:
    return [str(p) for p in root.rglob("*") if ".tmp-" in p.name or ".partial" in p.name or ".old-" in p.name]


@pytest.mark.slow
def test_kill_9_at_voice_encode_and_publish_then_rerun(tmp_path):
    home = tmp_path / "dagster_home"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DAGSTER_HOME": str(home), "SHORTSMITH_HOME": str(tmp_path / "sh"),
           "SHORTSMITH_CHANNELS": str(write_channels(tmp_path / "channels.yaml", videos_per_day=10)),
           "SHORTSMITH_RENDER_SIZE": "360x640"}
    for name in ("SHORTSMITH_MEDIA", "SHORTSMITH_CHANNEL_DIR", "SHORTSMITH_STORAGE"):
        env.pop(name, None)
    figures, killed_started = [], 0
    for i, (step, needs_ffmpeg) in enumerate(POINTS):
        topic = ["Why cats purr", "How bees make honey", "Why the sky is blue"][i]
        proc = _cli(env, topic)
        try:
            deadline = time.monotonic() + 300
            watcher = Watcher(home)
            try:
                while time.monotonic() < deadline and proc.poll() is None:
                    if watcher.step_started(step):
                        if not needs_ffmpeg or any(c.startswith("ffmpeg") for _, c in _children(proc.pid)):
                            break
                    time.sleep(0.02)
            finally:
                watcher.close()
            # publishing takes well under a second: the run may end before the kill lands
            assert proc.poll() is None or step == "published_uploads", \
                f"the run ended before {step}:\n{proc.stdout.read()[-3000:]}"
            kids = [pid for pid, comm in _children(proc.pid) if comm.startswith("ffmpeg")]
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            time.sleep(1.0)
            assert not [k for k in kids if Path(f"/proc/{k}").exists() and
                        Path(f"/proc/{k}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"], \
                f"ffmpeg {kids} outlived the killed CLI"
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        left_started = _started_runs(home)  # 0 when the kill landed just after the run ended
        started = time.monotonic()
        rerun = _cli(env, topic)
        try:
            out, _ = rerun.communicate(timeout=RERUN_BOUND_S)
        finally:
            if rerun.poll() is None:
                os.killpg(rerun.pid, signal.SIGKILL)
        took = time.monotonic() - started
        assert rerun.returncode == 0, out[-4000:]
        if left_started:
            assert "marked failed" in out  # the dead run was ended before waiting
            killed_started += 1
        key = partition_key("curious-minds", topic)
        folder = tmp_path / "sh" / "channel" / "curious-minds"
        assert [p.name for p in folder.iterdir() if p.name.startswith(key)] == [key], out[-3000:]  # published once
        assert (folder / key / "publication.json").is_file()
        figures.append(f"{step}: re-run {took:.1f} s" + ("" if left_started else " (killed after its run ended)"))
    assert not _temp_leftovers(tmp_path / "sh")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert not instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert len(instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))) == killed_started
        assert killed_started >= 2  # the voice and the encode are long enough to be killed mid-run
        assert not instance.event_log_storage.get_concurrency_info("gpu").claimed_slots
    print("chaos: " + "; ".join(figures))
