"""ffmpeg never outlives the process that started it, and never runs past its bound."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shortsmith.errors import MediaError
from shortsmith.ffmpeg import run_ffmpeg

ROOT = Path(__file__).resolve().parents[2]
SLOW = ["-re", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=600", "-f", "null", "-"]
PARENT = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from shortsmith.ffmpeg import run_ffmpeg
print("go", flush=True)
run_ffmpeg({SLOW!r})
"""


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux only")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_ffmpeg_dies_with_its_parent(sig):
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "go"
        deadline = time.monotonic() + 20
        kids: list[int] = []
        while not kids and time.monotonic() < deadline:
            kids = _children(parent.pid)
            time.sleep(0.1)
        assert kids, "ffmpeg did not start"
        parent.send_signal(sig)
        parent.wait(10)
        gone_by = time.monotonic() + 3
        while any(_alive(k) for k in kids) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert not any(_alive(k) for k in kids), f"ffmpeg {kids} outlived its parent ({sig.name})"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_ffmpeg_past_its_bound_is_stopped_with_a_message():
    started = time.monotonic()
    with pytest.raises(MediaError) as err:
        run_ffmpeg(SLOW, timeout=1.5)
    assert time.monotonic() - started < 8
    assert "longer than 2 s and was stopped" in str(err.value) or "longer than 1 s" in str(err.value) \
        or "was stopped" in str(err.value)
