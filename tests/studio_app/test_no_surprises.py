"""No production by surprise: automation starts stopped on a laptop, `make dev` says so and starts no run,
and a new trends materialization does not mark existing scripts out of date."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import dagster as dg
import pytest

from tests.conftest import ROOT, write_channels
from tests.deploy.conftest import VENV_BIN, free_port, server, wait_http
from pipeline_defs import settings
from pipeline_defs.schedules import build_schedules
from pipeline_defs.sensors import ALL_SENSORS
from shortsmith.config import load_channels


def test_automation_is_off_unless_asked_for(workdir, monkeypatch):
    monkeypatch.delenv("SHORTSMITH_AUTOMATION", raising=False)
    assert not settings.automation_on()
    config = load_channels(str(workdir / "channels.yaml"))
    assert {s.default_status for s in build_schedules(config)} == {dg.DefaultScheduleStatus.STOPPED}
    if "SHORTSMITH_AUTOMATION" not in __import__("os").environ:  # sensors read it when the module loads
        assert {s.default_status for s in ALL_SENSORS} == {dg.DefaultSensorStatus.STOPPED}
    monkeypatch.setenv("SHORTSMITH_AUTOMATION", "on")
    assert {s.default_status for s in build_schedules(config)} == {dg.DefaultScheduleStatus.RUNNING}
    monkeypatch.setenv("SHORTSMITH_AUTOMATION", "off")
    assert not settings.automation_on()


def test_a_new_trends_materialization_leaves_scripts_in_sync(workdir):
    from dagster._core.definitions.data_version import StaleStatus
    from dagster._utils.test.data_versions import get_stale_status_resolver

    from pipeline_defs.assets.video_scripts import video_scripts
    from pipeline_defs.assets.trending_topics import trending_topics
    from pipeline_defs.definitions import location_resources as offline_resources

    key = "curious-minds--why-cats-purr"
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("videos", [key])
        assert dg.materialize([trending_topics], instance=instance, resources=offline_resources()).success
        assert dg.materialize([trending_topics, video_scripts], selection=[video_scripts], partition_key=key,
                              instance=instance, resources=offline_resources()).success
        assert dg.materialize([trending_topics], instance=instance, resources=offline_resources()).success
        resolver = get_stale_status_resolver(instance, [trending_topics, video_scripts])
        script_key = dg.AssetKey("video_scripts")
        assert resolver.get_status(script_key, key) == StaleStatus.FRESH, resolver.get_stale_causes(script_key, key)
        # a real change upstream of the script still shows: another channel list is another version
        from shortsmith.storage import fingerprint

        records = instance.fetch_materializations(dg.AssetKey("trending_topics"), limit=2).records
        versions = {r.asset_materialization.tags.get("dagster/data_version") for r in records}
        assert versions == {fingerprint("trends-v1", ["curious-minds"])}


@pytest.mark.slow
def test_make_dev_says_what_runs_and_starts_nothing(tmp_path):
    """The `make dev` commands on a fresh home: the banner, then dagster dev; no run within a bounded wait."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text() + "\nnux:\n  enabled: false\n")
    env = {"DAGSTER_HOME": str(home), "SHORTSMITH_HOME": str(tmp_path / "shortsmith"),
           "SHORTSMITH_CHANNELS": str(write_channels(tmp_path / "channels.yaml")), "SHORTSMITH_AUTOMATION": "",
           "PYTHONPATH": str(ROOT)}
    banner = subprocess.run([sys.executable, "-m", "studio.cli"], capture_output=True, text=True, cwd=ROOT,
                            env={**__import__("os").environ, **env}, timeout=120)
    assert banner.returncode == 0, banner.stderr
    first = banner.stdout.splitlines()[0]
    # 3 schedules for the test's one channel (trends, daily production, statistics); 7 sensors: trends,
    # inbox, reference clips, run-failure alerts, video webhooks (done/published, failed), platform posts
    assert first.startswith("automation: schedules (3) and sensors (7) start STOPPED"), first
    port = free_port()
    with server([str(VENV_BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                tmp_path / "dev.log", env=env, cwd=ROOT) as proc:
        wait_http(f"http://127.0.0.1:{port}/server_info", 120, proc, tmp_path / "dev.log")
        query = ("{ repositoriesOrError { ... on RepositoryConnection { nodes { "
                 "schedules { name scheduleState { status } } sensors { name sensorState { status } } } } } }")
        req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
        repo = json.load(urllib.request.urlopen(req, timeout=60))["data"]["repositoriesOrError"]["nodes"][0]
        states = {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]}
        states.update({s["name"]: s["sensorState"]["status"] for s in repo["sensors"]})
        assert len(states) == 3 + 7 and set(states.values()) == {"STOPPED"}, states
        time.sleep(45)  # the daemon ticks sensors every ~30 s: nothing may start
        assert proc.poll() is None
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert instance.get_runs() == []
            assert not instance.get_dynamic_partitions("videos")
