"""One inbox tick over a batch with good files around bad ones: every good file becomes a partition,
every bad one is quarantined with its report, and none blocks or loses another."""

from __future__ import annotations

import json
import os
import subprocess

import dagster as dg
import pytest

from tests.pipeline.test_automation import NARRATIVE, drop, env, inbox_files, setup, tick, write_config  # noqa: F401 - env is a fixture
from pipeline_defs.ledger import Ledger
from pipeline_defs.sensors.inbox import narrative_inbox_sensor
from shortsmith.quota import utcnow


def story(title: str) -> str:
    return NARRATIVE.replace("# The lighthouse keeper's cat", f"# {title}")


@pytest.fixture
def batch(env, tmp_path, monkeypatch):  # noqa: F811 - env is the fixture imported above
    monkeypatch.setenv("SHORTSMITH_CHANNELS", str(write_config(tmp_path / "channels5.yaml", cm_per_day=5)))
    with dg.instance_for_test() as instance:
        yield setup(env, instance)


def test_a_batch_with_a_long_name_an_unmovable_file_and_a_binary_file(batch, tmp_path):
    a = batch
    long_name = ("a-very-long-narrative-name-" * 10)[:247] + ".md"  # 250 bytes: the stamp would pass NAME_MAX
    assert len(long_name.encode()) == 250
    drop(a, "a-first.md", story("The first good story"))
    drop(a, long_name, story("The long named story"))
    drop(a, "m-binary.md", bytes(range(256)) * 4)
    locked = drop(a, "n-locked.md", story("The locked story"))
    drop(a, "z-last.md", story("The last good story"))
    # a file that is a mount point cannot be renamed (EBUSY), even by root
    source = tmp_path / "mount-source.md"
    source.write_text(story("The locked story"))
    os.utime(source, (1e9, 1e9))  # not "still being written"
    if subprocess.run(["mount", "--bind", str(source), str(locked)], capture_output=True).returncode != 0:
        pytest.skip("needs root to bind-mount a file (the unmovable one)")
    try:
        first = tick(narrative_inbox_sensor, a)
        second = tick(narrative_inbox_sensor, a, first.cursor)  # the unmovable file does not jam later ticks
    finally:
        subprocess.run(["umount", str(locked)], capture_output=True)

    keys = sorted(r.partition_key for r in first.run_requests)
    assert keys == ["curious-minds--the-first-good-story", "curious-minds--the-last-good-story",
                    "curious-minds--the-long-named-story"]
    assert all(a.instance.has_dynamic_partition("videos", k) for k in keys)
    requested = Ledger(a.instance).requested("curious-minds", utcnow().date())
    assert sorted(requested) == keys  # nothing counted for the file that could not be moved
    assert not a.instance.has_dynamic_partition("videos", "curious-minds--the-locked-story")

    processed = sorted(p.name for p in (a.inbox / "processed").iterdir())
    assert len(processed) == 3 and all(len(n.encode()) <= 255 for n in processed)
    rejected = {p.name: p for p in (a.inbox / "rejected").iterdir()}
    assert all(len(n.encode()) <= 255 for n in rejected)
    reports = {n: p.read_text() for n, p in rejected.items() if n.endswith(".error.txt")}
    assert len(reports) == 2, (sorted(rejected), processed, inbox_files(a), first.skip_message, [r.partition_key for r in first.run_requests])
    binary = next(t for n, t in reports.items() if "m-binary.md" in n)
    assert "UTF-8" in binary
    locked_report = next(t for n, t in reports.items() if "n-locked.md" in n)
    assert "move or rename it by hand" in locked_report
    assert inbox_files(a) == ["n-locked.md"]  # left in place, reported, skipped
    assert not second.run_requests and "empty" in second.skip_message
    assert len(json.loads(first.cursor)["stuck"]) == 1
