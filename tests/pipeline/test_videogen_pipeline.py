"""A partition made of generated clips through the real asset graph: Sora first, Runway (animating the
procedural still) where a Sora job fails, within the channel's daily budget; checked with ffprobe and the
existing blocking checks, and reused on a second run without a new job."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg
import pytest

from pipeline_defs.ledger import Ledger
from shortsmith.ffmpeg import probe
from tests.pipeline.test_cloud_pipeline import event_log_text, materialize, meta
from tests.conftest import write_channels
from tests.standins.openai_videos import OpenAIVideoStandIn
from tests.standins.runway_api import RunwayStandIn

OPENAI_KEY = "sk-fake-VIDEO-0123456789abcdef"
RUNWAY_KEY = "key_fake-RUNWAY-0123456789abcdef"


@pytest.mark.slow
def test_a_partition_made_of_generated_clips(tmp_path, monkeypatch):
    with OpenAIVideoStandIn(polls_to_complete=2) as sora, RunwayStandIn(api_key=RUNWAY_KEY, polls_to_complete=2) as rw:
        monkeypatch.setenv("SHORTSMITH_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("SHORTSMITH_RENDER_SIZE", "180x320")
        for name in ("SHORTSMITH_MEDIA", "SHORTSMITH_CHANNEL_DIR", "SHORTSMITH_STORAGE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in {"OPENAI_API_KEY": OPENAI_KEY, "OPENAI_BASE_URL": sora.url + "/v1",
                            "RUNWAYML_API_SECRET": RUNWAY_KEY, "RUNWAYML_BASE_URL": rw.url,
                            "SHORTSMITH_VIDEOGEN_POLL_MS": "20"}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("SHORTSMITH_CHANNELS", str(write_channels(
            tmp_path / "channels.yaml", providers={"visuals": ["sora", "runway", "procedural"]},
            budgets={"visuals_usd_per_day": 50.0})))
        sora.fail_jobs = {1}  # the second scene's Sora job fails: Runway animates its procedural still instead

        with dg.instance_for_test() as instance:
            result = materialize(instance, ["video_scripts", "voiceovers", "scene_images", "captions", "music",
                                            "assembled_videos"])
            scenes = meta(result, "scene_images")
            per_scene = list(scenes["providers_per_scene"].values())
            n = len(per_scene)
            assert per_scene[1] == "runway" and per_scene.count("sora") == n - 1
            assert len(sora.created) == n and len(rw.created) == 1 and rw.created[0]["_image"]  # image-to-video
            assert scenes["clips"] == n
            generated = scenes["generated_clips"]
            assert [g["provider"] for g in generated] == per_scene
            assert all(g["usd"] > 0 and g["job_id"] for g in generated)
            assert scenes["stage_cost_usd"] == pytest.approx(sum(g["usd"] for g in generated), abs=1e-6)

            video = meta(result, "assembled_videos")
            assert video["validation_passed"] is True
            info = probe(video["path"])
            assert [(s["width"], s["height"]) for s in info["streams"] if s["codec_type"] == "video"] == [(180, 320)]
            assert any(s["codec_type"] == "audio" for s in info["streams"])
            day = datetime.now(timezone.utc).date()
            assert Ledger(instance).costs("curious-minds", day)["by_provider"].keys() >= {"sora", "runway"}

            # a second run reuses the scenes: no new job anywhere
            again = materialize(instance, ["scene_images"])
            assert meta(again, "scene_images")["reused"] is True
            assert len(sora.created) == n and len(rw.created) == 1
            log = event_log_text(instance)
            assert OPENAI_KEY not in log and RUNWAY_KEY not in log
