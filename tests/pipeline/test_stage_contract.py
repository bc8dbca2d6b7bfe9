"""The stage contract on its own: one tiny stage built with stage_asset and StageStep, materialized
as a user would (first run, re-run, changed input, a broken body)."""

# no `from __future__ import annotations`: Dagster reads the asset's Config annotation when it is defined

import dagster as dg

from tests.conftest import write_channels
from pipeline_defs.assets.stage import Stage, StageStep, stage_asset
from pipeline_defs.resources.channels import ChannelsResource
from pipeline_defs.resources.storage import MediaStorage

KEY = "curious-minds--why-cats-purr"
NOTE = Stage("notes", "note", "note-v1", ("note.txt",), main_file="note.txt")


class NoteConfig(dg.Config):
    text: str = "purr"
    forget_the_file: bool = False


@stage_asset(NOTE, deps=[], kinds={"python"}, description="A note about the topic.",
             checks={"note_mentions_topic": "The note names the video's topic."})
def notes(context: dg.AssetExecutionContext, config: NoteConfig, channels: ChannelsResource, storage: MediaStorage):
    step = StageStep(context, channels, storage, NOTE)
    if not step.reuse(step.video.topic, config.text):
        with step.write({"words": 2}) as w:
            if not config.forget_the_file:
                w.path("note.txt").write_text(f"{step.video.topic}: {config.text}", encoding="utf-8")
    text = step.file("note.txt").read_text(encoding="utf-8")
    return step.result({"text": text}, {"note_mentions_topic": (step.video.topic in text, text, {})})


def run(tmp_path, instance, text="purr", forget=False):
    resources = {"channels": ChannelsResource(path=str(write_channels(tmp_path / "channels.yaml"))),
                 "storage": MediaStorage(root=str(tmp_path / "media"))}
    result = dg.materialize([notes], partition_key=KEY, instance=instance, resources=resources, raise_on_error=False,
                            run_config={"ops": {"notes": {"config": {"text": text, "forget_the_file": forget}}}})
    mats = result.asset_materializations_for_node("notes")
    return result, ({k: v.value for k, v in mats[-1].metadata.items()} if mats else {})


def test_a_stage_is_written_once_reused_and_rebuilt_when_its_inputs_change(tmp_path):
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("videos", [KEY])
        first, meta = run(tmp_path, instance)
        assert first.success
        path = tmp_path / "media" / "curious-minds" / KEY / "note" / "note.txt"
        assert meta["reused"] is False and meta["cost_usd"] == 0.0
        assert meta["path"] == str(path) and meta["size_bytes"] == path.stat().st_size
        assert meta["text"] == "Why cats purr: purr"
        checks = {e.asset_check_key.name: e.passed for e in first.get_asset_check_evaluations()}
        assert checks == {"note_mentions_topic": True}

        again, meta = run(tmp_path, instance)
        assert again.success and meta["reused"] is True
        changed, meta = run(tmp_path, instance, text="hum")
        assert changed.success and meta["reused"] is False and meta["text"] == "Why cats purr: hum"

        # a body that does not write a declared file fails with the stage's name, and the last good
        # output stays in place
        broken, _ = run(tmp_path, instance, text="growl", forget=True)
        assert not broken.success
        failure = next(e for e in broken.all_events if e.event_type_value == "STEP_FAILURE")
        assert "notes did not write note.txt" in failure.event_specific_data.error.message
        assert path.read_text(encoding="utf-8") == "Why cats purr: hum"


def test_stage_assets_are_partitioned_per_video_with_blocking_checks():
    spec = next(iter(notes.check_specs))
    assert spec.blocking and spec.name == "note_mentions_topic"
    assert notes.partitions_def.name == "videos" and notes.group_names_by_key[dg.AssetKey("notes")] == "shorts"
