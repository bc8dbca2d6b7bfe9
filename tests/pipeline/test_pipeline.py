"""The whole asset graph for one partition, materialized in-process and checked on the real files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import TEST_SIZE, write_channels
from pipeline_defs.assets import VIDEO_ASSETS
from pipeline_defs import settings
from pipeline_defs.definitions import provider_resources
from pipeline_defs.resources.channels import ChannelsResource
from pipeline_defs.resources.publisher import LocalFolderPublisher
from pipeline_defs.resources.renderer import RendererSettings
from pipeline_defs.resources.storage import MediaStorage
from shortsmith.ffmpeg import ffprobe_path

KEY = "curious-minds--why-cats-purr"


def resources(tmp: Path, channels_file: Path, **renderer) -> dict:
    return {
        "channels": ChannelsResource(path=str(channels_file)),
        "storage": MediaStorage(root=str(tmp / "media")),
        **provider_resources(settings.load({})),  # no keys set: only the offline providers are configured
        "renderer": RendererSettings(width=TEST_SIZE[0], height=TEST_SIZE[1], **renderer),
        "publisher": LocalFolderPublisher(root=str(tmp / "channel")),
    }


def run(tmp, channels_file, key=KEY, instance=None, raise_on_error=True, **renderer):
    instance = instance or dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", [key])
    return dg.materialize(VIDEO_ASSETS, partition_key=key, resources=resources(tmp, channels_file, **renderer),
                          instance=instance, raise_on_error=raise_on_error), instance


def ffprobe(path: Path) -> dict:
    out = subprocess.run([ffprobe_path(), "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                          str(path)], capture_output=True, check=True, text=True).stdout
    return json.loads(out)


def materializations(result, asset: str) -> dict:
    mats = result.asset_materializations_for_node(asset)
    assert mats, f"{asset} was not materialized"
    return {k: v.value for k, v in mats[-1].metadata.items()}


@pytest.mark.slow  # a whole video through every stage, or a real daemon: `make test` only
def test_one_partition_end_to_end_then_rerun_reuses_and_never_republishes(tmp_path):
    channels_file = write_channels(tmp_path / "channels.yaml")
    result, instance = run(tmp_path, channels_file)
    assert result.success

    # every blocking check ran and passed
    checks = {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}
    assert set(checks) >= {"script_fits_budget", "hook_within_3s", "hook_spoken_within_3s", "resolution",
                           "duration", "codecs", "audio_sync", "loudness"}
    assert all(checks.values()), checks

    published = tmp_path / "channel" / "curious-minds" / KEY
    video = published / "video.mp4"
    probe = ffprobe(video)
    v = next(s for s in probe["streams"] if s["codec_type"] == "video")
    a = next(s for s in probe["streams"] if s["codec_type"] == "audio")
    assert (v["width"], v["height"]) == TEST_SIZE
    assert v["codec_name"] == "h264" and v["profile"] == "High" and v["pix_fmt"] == "yuv420p"
    assert v["r_frame_rate"] == "30/1" and v.get("color_primaries") == "bt709"
    assert a["codec_name"] == "aac" and a["sample_rate"] == "48000"
    duration = float(probe["format"]["duration"])
    assert 30 < duration <= 60
    assert abs(float(v["duration"]) - float(a["duration"])) <= 0.1
    # +faststart: the moov atom comes before mdat
    head = video.read_bytes()[:200_000]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))

    meta = json.loads((published / "metadata.json").read_text())
    assert meta["status"]["containsSyntheticMedia"] is True
    assert meta["status"]["selfDeclaredMadeForKids"] is False
    assert meta["status"]["privacyStatus"] == "private"
    assert meta["snippet"]["title"] == "Why cats purr"
    # the scenes drew Twemoji subjects (CC-BY 4.0): the description carries the credit line
    scene_meta = materializations(result, "scene_images")
    assert scene_meta["subjects"] and len(set(scene_meta["layouts"].split(", "))) >= 3
    assert "Twemoji" in meta["snippet"]["description"] and "CC-BY 4.0" in meta["snippet"]["description"]
    # the scenes came with depth layers and the render moved them in parallax (overlays in its one graph)
    media = tmp_path / "media" / "curious-minds" / KEY
    scenes_manifest = json.loads((media / "scenes" / "manifest.json").read_text())
    assert len(scenes_manifest["layers"]) == len(scenes_manifest["scenes"]) == scene_meta["depth_layers"]
    assert all((media / "scenes" / f).is_file() for entry in scenes_manifest["layers"].values() for f in entry.values())
    render = json.loads((media / "video" / "manifest.json").read_text())["report"]["command_line"]
    assert render.count("overlay=") >= len(scenes_manifest["scenes"])

    script_meta = materializations(result, "video_scripts")
    assert "purr" in script_meta["script"]
    vo_meta = materializations(result, "voiceovers")
    assert vo_meta["engine"].startswith("piper")
    first_id = materializations(result, "published_uploads")["video_id"]
    mtime = video.stat().st_mtime_ns

    # second run: every stage reuses its complete output and the video is not published again
    again, _ = run(tmp_path, channels_file, instance=instance)
    assert again.success
    for asset in ("video_scripts", "voiceovers", "scene_images", "captions", "music", "assembled_videos",
                  "thumbnails"):
        assert materializations(again, asset)["reused"] is True, asset
    pub = materializations(again, "published_uploads")
    assert pub["already_published"] is True and pub["video_id"] == first_id
    assert [p.name for p in (tmp_path / "channel" / "curious-minds").iterdir()] == [KEY]
    assert video.stat().st_mtime_ns == mtime


@pytest.mark.slow  # a whole video through every stage, or a real daemon: `make test` only
def test_failing_check_stops_publishing_with_a_clear_message(tmp_path):
    # A 35 s outro (renderer.tail_seconds) pushes a 35-45 s Short past the channel's 60 s limit:
    # the duration check fails, so neither the thumbnail nor the upload step runs.
    channels_file = write_channels(tmp_path / "channels.yaml")
    result, _ = run(tmp_path, channels_file, raise_on_error=False, tail_seconds=35.0)
    assert not result.success
    failed = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations() if not e.passed}
    # (with a 25 s music-only outro the loudness check may fail too: the mix's gain is set for
    # the whole track but a long quiet tail can pull the integrated value just past -15 LUFS)
    assert "duration" in failed
    assert "over the channel's limit of 60 s" in (failed["duration"].description or "")
    assert not result.asset_materializations_for_node("thumbnails")
    assert not result.asset_materializations_for_node("published_uploads")
    assert not (tmp_path / "channel").exists() or not any((tmp_path / "channel").rglob("video.mp4"))


def test_unknown_channel_fails_with_the_fix(tmp_path):
    channels_file = write_channels(tmp_path / "channels.yaml")
    result, _ = run(tmp_path, channels_file, key="no-such-channel--why-cats-purr", raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.event_specific_data.error.message
    assert "no-such-channel" in message and "curious-minds" in message and "Fix:" in message


def test_missing_voice_model_fails_clearly_and_publishes_nothing(tmp_path):
    channels_file = write_channels(tmp_path / "channels.yaml",
                                   voice={"engine": "piper", "model_path": "voices/missing.onnx", "fallback": None})
    result, _ = run(tmp_path, channels_file, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "voiceovers"
    message = failure.event_specific_data.error.message
    assert "missing.onnx" in message and "model_path" in message
    assert not (tmp_path / "channel").exists()
