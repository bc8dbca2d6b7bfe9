"""A local talk through the Dagster graph: reference_media -> transcripts -> a clip partition through every
video stage, checks, thumbnail and publishing (issue 14)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from pipeline_defs import settings
from pipeline_defs.assets import REFERENCE_ASSETS, VIDEO_ASSETS
from pipeline_defs.clips_cli import plan_clips
from pipeline_defs.definitions import provider_resources
from pipeline_defs.resources.channels import ChannelsResource
from pipeline_defs.resources.publisher import LocalFolderPublisher
from pipeline_defs.resources.renderer import RendererSettings
from pipeline_defs.resources.storage import MediaStorage
from shortsmith.ffmpeg import ffprobe_path
from shortsmith.intake.references import add_reference
from shortsmith.storage import LocalMediaStore
from shortsmith.transcribe import word_error_rate
from shortsmith.transcribe.store import transcript_json
from tests.conftest import TEST_SIZE, write_channels


def meta(result, asset: str) -> dict:
    mats = result.asset_materializations_for_node(asset)
    assert mats, f"{asset} was not materialized"
    return {k: v.value for k, v in mats[-1].metadata.items()}


@pytest.mark.slow
def test_a_talk_becomes_a_published_captioned_clip(talk, tmp_path):
    channels_file = write_channels(tmp_path / "channels.yaml")
    resources = {"channels": ChannelsResource(path=str(channels_file)),
                 "storage": MediaStorage(root=str(tmp_path / "media")),
                 **provider_resources(settings.load({})),
                 "renderer": RendererSettings(width=TEST_SIZE[0], height=TEST_SIZE[1]),
                 "publisher": LocalFolderPublisher(root=str(tmp_path / "channel"))}
    store = LocalMediaStore(tmp_path / "media")
    ref = add_reference(store, str(talk["mp4"]), rights="owned")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("references", [ref])
    intake = dg.materialize(REFERENCE_ASSETS, partition_key=ref, resources=resources, instance=instance)
    assert intake.success
    t = transcript_json(store, ref)
    assert t is not None and word_error_rate(talk["text"], " ".join(w["word"] for w in t["words"])) < 0.08
    assert meta(intake, "transcripts")["language"] == "en"

    channel = ChannelsResource(path=str(channels_file)).get("curious-minds")
    [key] = plan_clips(store, instance, channel, ref, 1, log=lambda m: None)
    assert key.startswith("curious-minds--talk-") and key.endswith("-clip-1")
    result = dg.materialize(VIDEO_ASSETS, partition_key=key, resources=resources, instance=instance)
    assert result.success
    checks = {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}
    assert {"script_fits_budget", "hook_within_3s", "hook_spoken_within_3s", "codecs", "loudness"} <= set(checks)
    assert all(checks.values()), checks
    record = store.read_record("requests", key)
    start, end = record["clip"]["start"], record["clip"]["end"]
    assert 20 <= end - start <= 60

    published = tmp_path / "channel" / "curious-minds" / key
    probe = json.loads(subprocess.run([ffprobe_path(), "-v", "error", "-print_format", "json", "-show_format",
                                       "-show_streams", str(published / "video.mp4")],
                                      capture_output=True, check=True, text=True).stdout)
    v = next(s for s in probe["streams"] if s["codec_type"] == "video")
    assert (v["width"], v["height"]) == TEST_SIZE
    assert abs(float(probe["format"]["duration"]) - (end - start)) < 0.15
    assert (published / "thumbnail.jpg").is_file()
    # the captions are the transcript's words of the segment, in order
    ass = store.file(key, "captions", "captions.ass").read_text(encoding="utf-8")
    spoken = [w["word"] for w in t["words"] if start <= w["start"] < end]
    assert spoken[0].upper().strip(",.?") in ass and spoken[-1].upper().strip(",.?") in ass
    assert meta(result, "voiceovers")["timing_source"] == "transcript"
    assert meta(result, "video_scripts")["provider"] == "transcript"

    again = dg.materialize(VIDEO_ASSETS, partition_key=key, resources=resources, instance=instance)
    assert again.success and all(meta(again, a)["reused"] for a in ("video_scripts", "voiceovers", "scene_images",
                                                                     "assembled_videos"))
    assert Path(published / "video.mp4").is_file()
