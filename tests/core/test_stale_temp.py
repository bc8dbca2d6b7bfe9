"""A stage or publication half-written by a process that died is removed by the next write of it."""

from __future__ import annotations

import json
import subprocess
import sys

from shortsmith.storage import LocalMediaStore, sweep_stale, temp_name


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_dead_writers_temp_folder_goes_on_the_next_write_and_a_live_ones_stays(tmp_path):
    store = LocalMediaStore(tmp_path / "media")
    final = store.stage_dir("ch--topic", "video")
    final.parent.mkdir(parents=True)
    dead = final.parent / f".video.tmp-{_dead_pid()}-deadbeef"
    (dead).mkdir()
    (dead / ".video.partial.mp4").write_bytes(b"\0" * 1000)
    live = final.parent / temp_name(".video.tmp")  # this process: still writing
    live.mkdir()
    with store.write_stage("ch--topic", "video", "fp1") as w:
        (w.dir / "video.mp4").write_bytes(b"x")
    assert not dead.exists() and live.exists()
    names = sorted(p.name for p in final.parent.iterdir())
    assert names == sorted(["video", live.name])
    assert json.loads((final / "manifest.json").read_text())["fingerprint"] == "fp1"


def test_sweep_leaves_other_stages_alone(tmp_path):
    (tmp_path / f".voice.tmp-{_dead_pid()}-00000000").mkdir()
    assert sweep_stale(tmp_path, ".video.tmp") == []
    assert len(sweep_stale(tmp_path, ".voice.tmp")) == 1
