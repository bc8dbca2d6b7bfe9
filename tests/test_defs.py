"""The code location as Dagster loads it: everything in it resolves, and its resources have one shape.

The resource set must not depend on which keys a deployment has: a provider without its key is
declared all the same and says it is not configured, so the UI, the launchpad and run config look
the same everywhere and a channel's chain skips it with a log line naming the variable to set.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import dagster as dg
import pytest

from tests.conftest import ROOT
from pipeline_defs import settings
from pipeline_defs.resources.provider_set import ProviderSet

CLOUD_ENV = {
    "OPENAI_API_KEY": "sk-fake-0123456789",
    "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
    "ELEVENLABS_API_KEY": "el-fake-0123456789",
    "PEXELS_API_KEY": "px-fake-0123456789",
    "RUNWAYML_API_SECRET": "rw-fake-0123456789",
    "YOUTUBE_API_KEY": "yt-fake-0123456789",
    "SHORTSMITH_GOOGLE_TRENDS": "1",
    "SHORTSMITH_DIFFUSERS": "1",
    "SHORTSMITH_LLM_GGUF": "/models/instruct.gguf",
    "SHORTSMITH_YOUTUBE_INSERTS_PER_DAY": "5",
    "SHORTSMITH_YOUTUBE_ROOT_URL": "http://127.0.0.1:9/",
    "MUSIC_API_BASE_URL": "http://127.0.0.1:9/",
    "MUSIC_API_KEY": "mk-fake-0123456789",
}
SECRETS = ("OPENAI_API_KEY", "ELEVENLABS_API_KEY", "PEXELS_API_KEY", "YOUTUBE_API_KEY", "MUSIC_API_KEY")


@pytest.fixture
def offline_env(monkeypatch, tmp_path):
    for name in [*CLOUD_ENV, "OPENAI_BASE_URL", "ELEVENLABS_BASE_URL", "SHORTSMITH_STORAGE", "SHORTSMITH_EXECUTOR"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHORTSMITH_HOME", str(tmp_path / "home"))
    for name in ("SHORTSMITH_MEDIA", "SHORTSMITH_CHANNEL_DIR", "SHORTSMITH_CHANNELS"):
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    # the tests reload the code location under other environments (cloud keys set): load it again
    # under the session's own, so later tests in this process do not get resources made for keys
    # that are no longer set
    monkeypatch.undo()
    load_defs()


def load_defs() -> dg.Definitions:
    import pipeline_defs.definitions as module

    return importlib.reload(module).defs


def test_the_code_location_loads_and_everything_in_it_resolves(offline_env):
    defs = load_defs()
    dg.Definitions.validate_loadable(defs)
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert {"make_video", "discover_trends", "rerender_videos", "regenerate_voiceovers"} <= jobs
    for name in jobs:
        assert defs.resolve_job_def(name).name == name
    schedules = [s.name for s in defs.schedules or []]
    sensors = [s.name for s in defs.sensors or []]
    assert schedules and sensors
    for name in schedules:
        assert defs.resolve_schedule_def(name).name == name
    for name in sensors:
        assert defs.resolve_sensor_def(name).name == name
    assert {"trending_topics_sensor", "narrative_inbox_sensor", "alert_on_run_failure"} <= set(sensors)
    assert "refresh_video_statistics" in schedules


def test_the_backfill_jobs_select_what_they_say(offline_env):
    defs = load_defs()
    graph = defs.resolve_asset_graph()

    def selected(job_name: str) -> set[str]:
        job = next(j for j in defs.jobs or [] if j.name == job_name)
        return {key.to_user_string() for key in job.selection.resolve(graph)}

    rerender = selected("rerender_videos")
    assert {"scene_images", "captions", "assembled_videos", "thumbnails", "published_uploads"} <= rerender
    assert not {"video_scripts", "voiceovers"} & rerender
    voice = selected("regenerate_voiceovers")
    assert {"voiceovers", "captions", "music", "assembled_videos", "published_uploads"} <= voice
    assert "video_scripts" not in voice
    for name in ("make_video", "rerender_videos", "regenerate_voiceovers"):  # one run per video partition
        assert defs.resolve_job_def(name).partitions_def.name == "videos", name


def test_dagster_itself_loads_the_code_location(offline_env, tmp_path):
    # the loader the webserver and daemon use, in a fresh process
    proc = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate",
                           "-m", "pipeline_defs.definitions"], cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "DAGSTER_HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def shape(resources: dict) -> dict:
    """What a resource set looks like to Dagster: each key's class and, for provider sets, each provider's."""
    out = {}
    for key, resource in resources.items():
        out[key] = type(resource).__name__
        if isinstance(resource, ProviderSet):
            out[key] = (out[key], {name: type(p).__name__ for name, p in resource.providers().items()})
    return out


def test_the_resource_set_is_the_same_with_and_without_cloud_keys(offline_env):
    from pipeline_defs.definitions import location_resources

    bare = location_resources(settings.load({}))
    cloud_settings = settings.load(CLOUD_ENV)
    cloud = location_resources(cloud_settings)
    assert shape(bare) == shape(cloud)
    assert set(bare) == {"channels", "storage", "trend_source", "script_writer", "voice", "images",
                         "music_provider", "renderer", "publisher", "transcriber", "platforms"}
    # the same code location, loaded in each environment
    offline_keys = set(load_defs().resources)
    for name, value in CLOUD_ENV.items():
        offline_env.setenv(name, value)
    assert set(load_defs().resources) == offline_keys

    sets = {k: v for k, v in bare.items() if isinstance(v, ProviderSet)}
    assert {k: v.configured() for k, v in sets.items()} == {
        "trend_source": ["offline"], "script_writer": ["offline"], "voice": ["piper"], "images": ["procedural"],
        "transcriber": ["local"], "music_provider": ["library", "composer", "synth"]}
    assert {k: sorted(v.configured()) for k, v in cloud.items() if isinstance(v, ProviderSet)} == {
        "trend_source": ["google_trends", "offline", "youtube"], "script_writer": ["local", "offline", "openai"],
        "voice": ["elevenlabs", "piper"], "images": ["diffusers", "openai", "pexels", "procedural", "runway", "sora"],
        "transcriber": ["local", "openai"],
        "music_provider": ["composer", "elevenlabs", "library", "musicapi", "synth"]}
    # an unconfigured provider says what to set; the chain logs it when it skips one
    assert sets["voice"].unconfigured_hints() == {"elevenlabs": "set ELEVENLABS_API_KEY"}
    assert sets["images"].unconfigured_hints()["pexels"] == "set PEXELS_API_KEY"
    assert sets["trend_source"].unconfigured_hints()["google_trends"] == "set SHORTSMITH_GOOGLE_TRENDS=1"
    # secrets reach resources only as EnvVar references, never as values
    assert isinstance(cloud["voice"].elevenlabs.api_key, dg.EnvVar)
    assert isinstance(cloud["script_writer"].openai.api_key, dg.EnvVar)
    assert isinstance(cloud["transcriber"].openai.api_key, dg.EnvVar)
    assert isinstance(cloud["images"].pexels.api_key, dg.EnvVar)
    assert isinstance(cloud["trend_source"].youtube.api_key, dg.EnvVar)
    assert isinstance(cloud["music_provider"].musicapi.api_key, dg.EnvVar)
    assert isinstance(cloud["music_provider"].elevenlabs.api_key, dg.EnvVar)
    for secret in SECRETS:
        assert CLOUD_ENV[secret] not in repr(cloud) and CLOUD_ENV[secret] not in repr(cloud_settings)


def test_depth_can_be_switched_off_for_a_cheaper_render(offline_env):
    assert settings.load({}).render_depth is True
    assert settings.load({"SHORTSMITH_RENDER_DEPTH": "off"}).render_depth is False
    assert load_defs().resources["renderer"].depth is True
    offline_env.setenv("SHORTSMITH_RENDER_DEPTH", "off")
    assert load_defs().resources["renderer"].depth is False


def test_settings_errors_name_the_variable_and_the_fix():
    from shortsmith.errors import ConfigError

    with pytest.raises(ConfigError) as exc:
        settings.load({"OPENAI_RPM": "lots"})
    assert exc.value.field == "OPENAI_RPM" and exc.value.fix
    with pytest.raises(ConfigError) as exc:
        settings.load({"SHORTSMITH_RENDER_SIZE": "big"})
    assert exc.value.field == "SHORTSMITH_RENDER_SIZE"
    s = settings.load({"SHORTSMITH_HOME": "/srv/shorts", "SHORTSMITH_GOOGLE_TRENDS": "off"})
    assert s.media == "/srv/shorts/media" and not s.providers.google_trends.enabled
