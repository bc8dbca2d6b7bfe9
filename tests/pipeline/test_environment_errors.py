"""A full disk, a read-only home, a topic the voice cannot say and a NaN in the config: each ends with
a last line that names the cause and the fix, nothing half-published, earlier videos intact."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from tests.conftest import ROOT, write_channels
from shortsmith.config import load_channels
from shortsmith.errors import ConfigError


def _env(tmp: Path, home: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DAGSTER_HOME": str(tmp / "dagster_home"),
           "SHORTSMITH_HOME": str(home), "SHORTSMITH_CHANNELS": str(write_channels(tmp / "channels.yaml")),
           "SHORTSMITH_RENDER_SIZE": "360x640"}
    for name in ("SHORTSMITH_MEDIA", "SHORTSMITH_CHANNEL_DIR", "SHORTSMITH_STORAGE"):
        env.pop(name, None)
    return env


def _cli(env: dict, *args: str, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline_defs.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _last_line(proc: subprocess.CompletedProcess) -> str:
    return [ln for ln in proc.stderr.splitlines() if ln.strip()][-1]


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("topic", ["لماذا تخرخر القطط", "למה חתולים מגרגרים", "猫为什么会发出呼噜声"])
def test_a_topic_the_voice_cannot_say_is_refused_at_add(tmp_path, topic):
    env = _env(tmp_path, tmp_path / "home")
    proc = _cli(env, "add", "--channel", "curious-minds", "--topic", topic, timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = _last_line(proc)
    assert "voice speaks 'en'" in last and "cannot say" in last and "Fix:" in last
    assert len(proc.stderr.splitlines()) <= 2  # no traceback
    home = tmp_path / "dagster_home"
    if (home / "history" / "runs.db").exists():
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert instance.get_dynamic_partitions("videos") == []
    assert not (tmp_path / "home" / "media" / "_records").exists()  # no request record either


def test_nan_max_video_seconds_is_refused_by_the_config(tmp_path):
    path = write_channels(tmp_path / "channels.yaml")
    data = yaml.safe_load(path.read_text())
    data["channels"][0]["max_video_seconds"] = float("nan")
    path.write_text(yaml.safe_dump(data))
    assert ".nan" in path.read_text()
    with pytest.raises(ConfigError) as err:
        load_channels(path)
    assert "max_video_seconds" in str(err.value) and "finite" in str(err.value)


@pytest.mark.slow
def test_full_disk_and_read_only_home_end_with_cause_and_fix(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=48m", "tmpfs", str(home)):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        env = _env(tmp_path, home)
        first = _cli(env, "video", "--channel", "curious-minds", "--topic", "Why cats purr")
        assert first.returncode == 0, first.stderr[-3000:]
        published = home / "channel" / "curious-minds" / "curious-minds--why-cats-purr" / "video.mp4"
        before = _sha(published)

        # fill the disk, leaving a little room: the next video fails part way
        stat = os.statvfs(home)
        filler = home / "filler.bin"
        with open(filler, "wb") as fh:
            fh.truncate(0)
            free = stat.f_bavail * stat.f_frsize - 256 * 1024
            fh.write(b"\0" * max(0, free))
        full = _cli(env, "video", "--channel", "curious-minds", "--topic", "How bees make honey")
        assert full.returncode != 0
        last = _last_line(full)
        assert "disk is full" in last and "Fix: free disk space" in last, full.stderr[-3000:]
        assert not (home / "channel" / "curious-minds" / "curious-minds--how-bees-make-honey").exists()
        assert _sha(published) == before  # the earlier video is intact
        filler.unlink()

        # a read-only home: the same command tells which folder and what to do
        assert _mount("-o", "remount,ro", str(home))
        ro = _cli(env, "video", "--channel", "curious-minds", "--topic", "Why the sky is blue")
        assert ro.returncode != 0
        last = _last_line(ro)
        assert ("read-only" in last or "not writable" in last) and "Fix: make the folder writable" in last, \
            ro.stderr[-3000:]
        assert _sha(published) == before
        print(f"full disk: {last_line_of(full)!r}; read-only: {last!r}")
    finally:
        subprocess.run(["umount", "-l", str(home)], capture_output=True)


def last_line_of(proc: subprocess.CompletedProcess) -> str:
    return _last_line(proc)
