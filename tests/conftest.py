"""Shared fixtures: a throwaway channels config, media folders and Dagster instance per test."""

from __future__ import annotations

from pathlib import Path

import os

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# Small frames keep the full-graph tests fast; the renderer and checks are size-generic and
# the full 1080x1920 path is exercised by `make demo` and bench/.
TEST_SIZE = (360, 640)


def sample_channels() -> dict:
    """The sample channels.yaml with its topics' `source:` files made absolute, so a copy loads anywhere."""
    sample = yaml.safe_load((ROOT / "channels.yaml").read_text())
    for channel in sample["channels"]:
        for topic in channel.get("topics") or []:
            if isinstance(topic, dict) and topic.get("source") and "://" not in topic["source"]:
                topic["source"] = str(ROOT / topic["source"])
    return sample


def write_channels(path: Path, **overrides) -> Path:
    sample = sample_channels()
    channel = dict(sample["channels"][0])
    channel.update(overrides)
    path.write_text(yaml.safe_dump({"defaults": sample.get("defaults", {}), "channels": [channel]}))
    return path


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """SHORTSMITH_* paths inside tmp_path, so nothing touches the project's .shortsmith folder."""
    monkeypatch.setenv("SHORTSMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHORTSMITH_CHANNELS", str(write_channels(tmp_path / "channels.yaml")))
    monkeypatch.delenv("SHORTSMITH_MEDIA", raising=False)
    monkeypatch.delenv("SHORTSMITH_CHANNEL_DIR", raising=False)
    return tmp_path


def pytest_sessionfinish(session, exitstatus):
    """With SHORTSMITH_REQUIRE_ALL=1 (set by .ci/run, which provides every service), a skipped
    test fails the run: a missing PostgreSQL, RabbitMQ, Chromium or espeak-ng must not pass silently."""
    if os.environ.get("SHORTSMITH_REQUIRE_ALL") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        for rep in skipped:
            reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else rep.longrepr
            print(f"\nSKIPPED (not allowed in CI): {rep.nodeid}: {reason}")
        session.exitstatus = 1


def pytest_collection_modifyitems(config, items):
    """Everything under tests/deploy/ starts real servers (PostgreSQL, RabbitMQ, S3, a webserver):
    the `slow` tier, which `make test` runs and `make test-fast` leaves out.

    The slow tests then go first (a stable sort, the same on every xdist worker): each takes 10 s to
    2 min, so under `make test` (one xdist session) they start at once and the many short tests fill
    the gaps, instead of one long test running alone at the end."""
    deploy = ROOT / "tests" / "deploy"
    for item in items:
        if deploy in Path(item.fspath).parents:
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
