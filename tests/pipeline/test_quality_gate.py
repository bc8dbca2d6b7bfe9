"""The quality gate and uniqueness checks on a real sample video; a topic with no facts renders nothing."""

from __future__ import annotations

import dagster as dg
import pytest

from tests.conftest import write_channels
from pipeline_defs.assets import QUALITY_CHECKS, VIDEO_ASSETS
from tests.pipeline.test_pipeline import KEY, resources


@pytest.mark.slow  # two whole videos: `make test` only
def test_sample_video_passes_the_gate_and_a_repeat_fails_uniqueness(tmp_path):
    channels_file = write_channels(tmp_path / "channels.yaml")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", [KEY])
    res = resources(tmp_path, channels_file)
    result = dg.materialize([*VIDEO_ASSETS, *QUALITY_CHECKS], partition_key=KEY, resources=res, instance=instance)
    evals = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    assert evals["quality"].passed, evals["quality"].description
    assert evals["uniqueness"].passed, evals["uniqueness"].description
    meta = {k: v.value for k, v in evals["quality"].metadata.items()}
    assert 60 <= meta["score"] <= 100 and {"score_script", "score_audio", "score_visuals", "score_sync"} <= set(meta)
    assert "Why cats purr" in meta["channel_scores"] and meta["channel_videos_scored"] == 1
    assert (tmp_path / "channel" / "curious-minds" / KEY / "video.mp4").is_file()

    # the same facts again under another topic name (a copied source): uniqueness blocks publishing
    from shortsmith.config import load_channels
    from shortsmith.topics import find_seed

    points = find_seed(load_channels(channels_file).get("curious-minds"), "why-cats-purr").points
    copied = tmp_path / "copied.txt"
    copied.write_text("\n\n".join(points))
    store = res["storage"].store()
    twin = "curious-minds--why-do-cats-purr"
    store.write_record("requests", twin, {"channel": "curious-minds", "topic": "Why do cats purr?", "source": "test",
                                          "fact_source": str(copied)})
    instance.add_dynamic_partitions("videos", [twin])
    result = dg.materialize([*VIDEO_ASSETS, *QUALITY_CHECKS], partition_key=twin, resources=res, instance=instance,
                            raise_on_error=False)
    evals = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    assert not evals["uniqueness"].passed
    assert "repeats an earlier one" in evals["uniqueness"].description and KEY in evals["uniqueness"].description
    assert not result.asset_materializations_for_node("published_uploads")
    assert not (tmp_path / "channel" / "curious-minds" / twin).exists()


def test_a_topic_with_no_facts_and_no_model_fails_clearly_and_renders_nothing(tmp_path):
    channels_file = write_channels(tmp_path / "channels.yaml")
    instance = dg.DagsterInstance.ephemeral()
    key = "curious-minds--quantum-computing"
    instance.add_dynamic_partitions("videos", [key])
    result = dg.materialize([*VIDEO_ASSETS, *QUALITY_CHECKS], partition_key=key,
                            resources=resources(tmp_path, channels_file), instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    text = failure.event_specific_data.error.message
    assert "no facts to write a script about 'Quantum computing'" in text
    assert "points:" in text and "inbox" in text and "OPENAI_API_KEY" in text
    for asset in ("video_scripts", "voiceovers", "assembled_videos", "published_uploads"):
        assert not result.asset_materializations_for_node(asset)
    assert not (tmp_path / "media" / key).exists() or not any((tmp_path / "media" / key).rglob("*.mp4"))
    assert not (tmp_path / "channel").exists() or not any((tmp_path / "channel").rglob("*.mp4"))


def test_cli_source_option_records_the_source_and_the_script_tells_its_facts(workdir, monkeypatch, capsys):
    from pathlib import Path

    from pipeline_defs.cli import main
    from pipeline_defs.definitions import defs

    monkeypatch.setenv("DAGSTER_HOME", str(workdir / "dagster_home"))
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "tardigrades.txt"
    monkeypatch.chdir(fixture.parent)  # a relative --source is relative to where it was typed
    assert main(["add", "--channel", "curious-minds", "--topic", "Tardigrades", "--source", fixture.name]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key == "curious-minds--tardigrades"
    resources = defs.resources  # the ones the CLI used (built when the code location was first imported)
    request = resources["storage"].store().read_record("requests", key)
    assert request["fact_source"] == str(fixture)
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize(VIDEO_ASSETS, selection=["video_scripts"], partition_key=key, resources=resources,
                                instance=instance)
    script = {k: v.value for k, v in result.asset_materializations_for_node("video_scripts")[-1].metadata.items()}
    assert script["facts_source"] == str(fixture) and "absolute zero" in script["script"]
    assert main(["add", "--channel", "curious-minds", "--topic", "Mars", "--source", "missing.pdf"]) == 2
    err = capsys.readouterr().err
    assert "[--source]" in err and "does not exist" in err
