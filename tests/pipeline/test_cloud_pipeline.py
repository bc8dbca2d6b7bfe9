"""Cloud providers through the real asset graph: chosen per channel, configured from the environment,
run against loopback stand-ins; their cost is recorded and their keys never reach the event log."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import write_channels
from pipeline_defs.assets import PLATFORM_ASSETS, VIDEO_ASSETS
from pipeline_defs.ledger import Ledger
from tests.standins.openai_api import OpenAIStandIn

OPENAI_KEY = "sk-fake-OPENAI-0123456789abcdef"
KEY = "curious-minds--why-cats-purr"


@pytest.fixture
def openai_api():
    with OpenAIStandIn() as api:
        yield api


@pytest.fixture
def cloud_env(tmp_path, monkeypatch, openai_api):
    monkeypatch.setenv("SHORTSMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHORTSMITH_RENDER_SIZE", "180x320")
    for name in ("SHORTSMITH_MEDIA", "SHORTSMITH_CHANNEL_DIR", "SHORTSMITH_STORAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_api.url + "/v1")
    monkeypatch.setenv("SHORTSMITH_BREAKER_COOLDOWN_S", "300")
    return tmp_path


def use_channels(tmp_path, monkeypatch, youtube=None, channel=None, **providers):
    extra = {"youtube": youtube, **(channel or {})} if youtube else dict(channel or {})
    monkeypatch.setenv("SHORTSMITH_CHANNELS",
                       str(write_channels(tmp_path / "channels.yaml", providers=providers, **extra)))


def materialize(instance, selection, key=KEY, raise_on_error=True):
    from pipeline_defs.definitions import location_resources

    instance.add_dynamic_partitions("videos", [key])
    return dg.materialize([*VIDEO_ASSETS, *PLATFORM_ASSETS], selection=selection, partition_key=key, resources=location_resources(),
                          instance=instance, raise_on_error=raise_on_error)


def meta(result, asset):
    mats = result.asset_materializations_for_node(asset)
    return {k: v.value for k, v in mats[-1].metadata.items()}


def event_log_text(instance) -> str:
    texts = []
    for run in instance.get_runs():
        for entry in instance.all_logs(run.run_id):
            texts.append(entry.user_message or "")
            if entry.dagster_event is not None:
                texts.append(repr(entry.dagster_event))
    return "\n".join(texts)


def test_openai_writes_the_script_and_its_cost_is_recorded(cloud_env, monkeypatch, openai_api):
    use_channels(cloud_env, monkeypatch, script=["openai", "offline"])
    with dg.instance_for_test() as instance:
        result = materialize(instance, ["video_scripts"])
        m = meta(result, "video_scripts")
        assert m["provider"] == "openai" and m["writer"] == "openai:gpt-4o-mini"
        assert m["cost_usd"] > 0 and "openai-chat" in m["cost_by_provider"]
        day = datetime.now(timezone.utc).date()
        costs = Ledger(instance).costs("curious-minds", day)
        assert costs["total_usd"] == pytest.approx(m["cost_usd"]) and KEY in costs["by_partition"]
        # a second run reuses the script: no new call, no new cost
        result = materialize(instance, ["video_scripts"])
        assert meta(result, "video_scripts")["reused"] is True
        assert len(openai_api.seen("/v1/chat/completions")) == 1
        assert Ledger(instance).costs("curious-minds", day)["total_usd"] == pytest.approx(m["cost_usd"])
        assert OPENAI_KEY not in event_log_text(instance)


def test_a_failing_provider_falls_back_and_the_metadata_says_so(cloud_env, monkeypatch, openai_api):
    use_channels(cloud_env, monkeypatch, script=["openai", "offline"])
    openai_api.fault("500", times=20)
    with dg.instance_for_test() as instance:
        result = materialize(instance, ["video_scripts"])
        m = meta(result, "video_scripts")
        assert m["provider"] == "offline" and m["writer"] == "offline"
        logs = event_log_text(instance)
        assert "openai failed, trying the next provider" in logs and OPENAI_KEY not in logs


def test_a_refused_key_fails_clearly_without_showing_it(cloud_env, monkeypatch, openai_api):
    use_channels(cloud_env, monkeypatch, script=["openai", "offline"])
    openai_api.fault("401", times=5, body={"error": {"message": f"Incorrect API key provided: {OPENAI_KEY}",
                                                     "type": "invalid_request_error", "code": "invalid_api_key"}})
    with dg.instance_for_test() as instance:
        result = materialize(instance, ["video_scripts"], raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.all_events if e.is_step_failure)
        text = str(failure.step_failure_data.error)
        assert "OPENAI_API_KEY" in text and "401" in text
        assert OPENAI_KEY not in event_log_text(instance)


def test_a_channel_asking_for_an_unconfigured_provider_uses_the_next(cloud_env, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("OPENAI_BASE_URL")
    use_channels(cloud_env, monkeypatch, script=["openai", "offline"])
    with dg.instance_for_test() as instance:
        result = materialize(instance, ["video_scripts"])
        assert meta(result, "video_scripts")["provider"] == "offline"
        assert "set OPENAI_API_KEY" in event_log_text(instance)


def test_costs_command_prints_the_channels_day(cloud_env, monkeypatch, capsys):
    import json

    from pipeline_defs.cli import main

    use_channels(cloud_env, monkeypatch, script=["openai", "offline"])
    home = cloud_env / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        usd = meta(materialize(instance, ["video_scripts"]), "video_scripts")["cost_usd"]
    assert main(["costs", "--channel", "curious-minds", "--json"]) == 0
    [report] = json.loads(capsys.readouterr().out)
    assert report["total_usd"] == pytest.approx(usd) and list(report["by_partition"]) == [KEY]
    assert main(["costs"]) == 0
    out = capsys.readouterr().out
    assert "curious-minds on" in out and "openai-chat $" in out and KEY in out
    assert main(["costs", "--day", "yesterday"]) == 2


# -- every cloud provider at once -------------------------------------------------------------

ELEVEN_KEY = "sk_fake_ELEVEN_0123456789abcdef"
PEXELS_KEY = "fake-PEXELS-563492ad6f91700001"
YOUTUBE_KEY = "AIzaSy-fake-YOUTUBE-3f9a1c77d2"
REFRESH_TOKEN = "1//fake-REFRESH-token-0123456789"
INSTAGRAM_TOKEN = "IGQVJ-fake-INSTAGRAM-long-lived-0123456789"


@pytest.fixture
def all_cloud(cloud_env, monkeypatch, openai_api):
    from tests.providers.test_trend_sources import INTEREST, RELATED, VIDEOS
    from tests.standins.elevenlabs_api import ElevenLabsStandIn
    from tests.standins.google_trends import GoogleTrendsStandIn
    from tests.standins.pexels_api import PexelsStandIn
    from tests.standins.youtube_search import YouTubeStandIn

    from tests.standins.instagram import InstagramStandIn
    from tests.standins.tiktok import TikTokStandIn
    from tests.standins.youtube import YouTubeStandIn as YouTubeUploads

    with ElevenLabsStandIn(api_key=ELEVEN_KEY) as eleven, PexelsStandIn(api_key=PEXELS_KEY) as pexels, \
            GoogleTrendsStandIn(RELATED, INTEREST) as trends, YouTubeStandIn(VIDEOS, api_key=YOUTUBE_KEY) as youtube, \
            YouTubeUploads(refresh_token=REFRESH_TOKEN) as uploads, TikTokStandIn() as tiktok, \
            InstagramStandIn(token=INSTAGRAM_TOKEN) as instagram:
        token = cloud_env / "secrets" / "curious-minds.json"  # what `shortsmith youtube-auth` writes
        token.parent.mkdir()
        token.write_text(json.dumps({"type": "authorized_user", "refresh_token": REFRESH_TOKEN,
                                     "client_id": uploads.client_id, "client_secret": uploads.client_secret}))
        token.chmod(0o600)
        tiktok_token = cloud_env / "secrets" / "curious-minds-tiktok.json"  # what `shortsmith tiktok-auth` writes
        tiktok_token.write_text(json.dumps(tiktok.token_json()))
        tiktok_token.chmod(0o600)
        instagram.processing_polls = 0
        for name, value in {
            "TIKTOK_CLIENT_KEY": tiktok.client_key, "TIKTOK_CLIENT_SECRET": tiktok.client_secret,
            "SHORTSMITH_TIKTOK_BASE_URL": tiktok.url, "IG_TOKEN_CURIOUS_MINDS": INSTAGRAM_TOKEN,
            "SHORTSMITH_INSTAGRAM_GRAPH_URL": instagram.url, "SHORTSMITH_INSTAGRAM_RUPLOAD_URL": instagram.url,
            "SHORTSMITH_YOUTUBE_ROOT_URL": uploads.url + "/", "SHORTSMITH_YOUTUBE_TOKEN_URI": uploads.url + "/token",
            "SHORTSMITH_YOUTUBE_CHUNK_BYTES": str(256 * 1024),
            "ELEVENLABS_API_KEY": ELEVEN_KEY, "ELEVENLABS_BASE_URL": eleven.url,
            "PEXELS_API_KEY": PEXELS_KEY, "PEXELS_BASE_URL": pexels.url, "PEXELS_RPM": "0",
            "SHORTSMITH_GOOGLE_TRENDS": "1", "GOOGLE_TRENDS_BASE_URL": trends.url + "/trends", "GOOGLE_TRENDS_GEO": "US",
            "YOUTUBE_API_KEY": YOUTUBE_KEY, "YOUTUBE_API_ROOT_URL": youtube.url,
        }.items():
            monkeypatch.setenv(name, value)
        use_channels(cloud_env, monkeypatch, script=["openai", "offline"], voice=["elevenlabs", "piper"],
                     visuals=["pexels", "openai", "procedural"], trends=["google_trends", "youtube", "offline"],
                     youtube={"credentials": "secrets/curious-minds.json", "project": "shortsmith-e2e",
                              "playlist_id": "PLstandin"},
                     channel={"platforms": ["youtube", "tiktok", "instagram"],
                              "tiktok": {"credentials": "secrets/curious-minds-tiktok.json"},
                              "instagram": {"user_id": instagram.user_id, "token_env": "IG_TOKEN_CURIOUS_MINDS"}})
        yield {"openai": openai_api, "elevenlabs": eleven, "pexels": pexels, "trends": trends, "youtube": youtube,
               "uploads": uploads, "tiktok": tiktok, "instagram": instagram}


def test_a_partition_made_entirely_by_cloud_providers(all_cloud):
    from pipeline_defs.assets.trending_topics import trending_topics
    from pipeline_defs.definitions import location_resources
    from shortsmith.ffmpeg import probe

    apis = all_cloud
    with dg.instance_for_test() as instance:
        trends = dg.materialize([trending_topics], resources=location_resources(), instance=instance)
        sources = meta(trends, "trending_topics")["sources"]["curious-minds"]
        assert set(sources["sources_used"]) >= {"google_trends", "youtube"}
        assert meta(trends, "trending_topics")["youtube_quota_units"] == 102  # search.list 100 + 2 videos.list
        # ... and they were counted in the key's project quota ledger, before each call
        from pipeline_defs.youtube_quota_ledger import YouTubeQuotaLedger
        from shortsmith.youtube_quota import QuotaRules

        usage = YouTubeQuotaLedger(instance).book("default", QuotaRules()).usage()
        assert usage["used"]["units"] == 102 and usage["calls"] == {"search.list": 1, "videos.list": 2}

        result = materialize(instance, ["video_scripts", "voiceovers", "scene_images", "captions", "music",
                                        "assembled_videos", "thumbnails", "published_uploads", "tiktok_videos",
                                        "tiktok_posts", "instagram_reels"])
        assert meta(result, "video_scripts")["provider"] == "openai"
        voice = meta(result, "voiceovers")
        assert voice["provider"] == "elevenlabs" and voice["engine"].startswith("elevenlabs:")
        assert voice["timing_source"] == "alignment"
        scenes = meta(result, "scene_images")
        per_scene = scenes["providers_per_scene"]
        assert set(per_scene.values()) <= {"pexels", "openai"} and "pexels" in per_scene.values()
        assert scenes["clips"] >= 1 and scenes["clip_credits"]
        video = meta(result, "assembled_videos")
        assert video["validation_passed"] is True
        by_provider = video["video_cost_by_provider"]
        assert by_provider["openai-chat"] > 0 and by_provider["elevenlabs"] > 0
        assert video["video_cost_usd"] == pytest.approx(sum(by_provider.values()), abs=1e-6)
        assert video["providers"]["voice"] == "elevenlabs"
        info = probe(video["path"])
        assert [(s["width"], s["height"]) for s in info["streams"] if s["codec_type"] == "video"] == [(180, 320)]
        assert any(s["codec_type"] == "audio" for s in info["streams"])

        # published to YouTube: the emulator holds exactly the bytes of the assembled video, in the playlist
        published = meta(result, "published_uploads")
        assert published["destination"] == "youtube" and published["status"] == "published"
        assert published["synthetic_media"] is True and published["privacy"] == "private"
        [upload] = apis["uploads"].uploads()
        assert upload["id"] == published["video_id"]
        assert upload["_sha256"] == hashlib.sha256(Path(video["path"]).read_bytes()).hexdigest()
        assert [i["snippet"]["resourceId"]["videoId"] for i in apis["uploads"].playlists["PLstandin"]] == [upload["id"]]

        # TikTok got the watermark-free variant (frames compared with the assembled video), Instagram the Short
        variant = meta(result, "tiktok_videos")
        (check,) = [c for c in result.get_asset_check_evaluations() if c.check_name == "watermark_removed"]
        assert check.passed and variant["status"] == "rendered" and variant["inside_brightness_excess"] >= 25
        [post] = apis["tiktok"].posts
        assert post["sha256"] == hashlib.sha256(Path(variant["path"]).read_bytes()).hexdigest() != upload["_sha256"]
        assert meta(result, "tiktok_posts")["post_id"] == post["post_id"] and post["post_info"]["is_aigc"] is True
        [reel] = apis["instagram"].media
        assert reel["sha256"] == upload["_sha256"] and meta(result, "instagram_reels")["post_id"] == reel["id"]

        # the requests each provider received carried its own key, and only there
        assert apis["elevenlabs"].seen("/v1/text-to-speech")[0].headers["xi-api-key"] == ELEVEN_KEY
        assert apis["pexels"].seen("/videos/search")[0].headers["authorization"] == PEXELS_KEY
        assert apis["openai"].seen("/v1/chat/completions")[0].headers["authorization"] == f"Bearer {OPENAI_KEY}"

        # a second run reuses every stage: no provider is called again
        counts = {name: len(api.requests) for name, api in apis.items()}
        again = materialize(instance, ["video_scripts", "voiceovers", "scene_images", "assembled_videos",
                                       "published_uploads"])
        assert all(meta(again, a)["reused"] for a in ("video_scripts", "voiceovers", "scene_images", "assembled_videos"))
        assert meta(again, "published_uploads")["status"] == "already_published"
        again = materialize(instance, ["tiktok_videos", "tiktok_posts", "instagram_reels"])
        assert meta(again, "tiktok_videos")["reused"] is True
        assert {meta(again, a)["status"] for a in ("tiktok_posts", "instagram_reels")} == {"already_published"}
        assert {name: len(api.requests) for name, api in apis.items()} == counts

        # no key anywhere in the event log: messages, metadata, failures
        log = event_log_text(instance)
        for secret in (OPENAI_KEY, ELEVEN_KEY, PEXELS_KEY, YOUTUBE_KEY, REFRESH_TOKEN, apis["uploads"].client_secret,
                       INSTAGRAM_TOKEN, apis["tiktok"].client_secret, *apis["tiktok"].refresh_tokens,
                       *apis["tiktok"].access_tokens):
            assert secret not in log
        day = datetime.now(timezone.utc).date()
        assert Ledger(instance).costs("curious-minds", day)["total_usd"] == pytest.approx(video["video_cost_usd"])


def test_a_failed_stage_is_retried_alone_and_completed_stages_are_reused(cloud_env, monkeypatch, openai_api):
    from tests.standins.elevenlabs_api import ElevenLabsStandIn

    with ElevenLabsStandIn(api_key=ELEVEN_KEY) as eleven:
        monkeypatch.setenv("ELEVENLABS_API_KEY", ELEVEN_KEY)
        monkeypatch.setenv("ELEVENLABS_BASE_URL", eleven.url)
        use_channels(cloud_env, monkeypatch, script=["openai"], voice=["elevenlabs"])  # no offline fallback
        eleven.fault("503", times=50)
        with dg.instance_for_test() as instance:
            first = materialize(instance, ["video_scripts", "voiceovers"], raise_on_error=False)
            assert not first.success and meta(first, "video_scripts")["provider"] == "openai"
            failure = next(e for e in first.all_events if e.is_step_failure)
            assert failure.step_key == "voiceovers"
            text = str(failure.step_failure_data.error)
            assert "no voice provider could produce" in text and "gave up after" in text
            assert ELEVEN_KEY not in event_log_text(instance)

            eleven.clear_faults()
            second = materialize(instance, ["video_scripts", "voiceovers"])
            assert meta(second, "video_scripts")["reused"] is True
            assert len(openai_api.seen("/v1/chat/completions")) == 1  # the script was written once
            voice = meta(second, "voiceovers")
            assert voice["provider"] == "elevenlabs" and voice["reused"] is False


def test_trend_discovery_never_spends_youtube_quota_that_is_not_there(all_cloud, monkeypatch):
    from pipeline_defs.assets.trending_topics import trending_topics
    from pipeline_defs.definitions import location_resources

    monkeypatch.setenv("SHORTSMITH_YOUTUBE_UNITS_PER_DAY", "60")  # less than one search.list (100)
    with dg.instance_for_test() as instance:
        result = dg.materialize([trending_topics], resources=location_resources(), instance=instance)
        info = meta(result, "trending_topics")["sources"]["curious-minds"]
        assert info["sources_used"] == ["google_trends", "offline"]
        assert "used 0 of 60 units" in info["skipped"]["youtube"] and "deferred until" in info["skipped"]["youtube"]
        assert all_cloud["youtube"].seen("/youtube/v3/search") == []  # nothing was sent


def test_an_unknown_elevenlabs_voice_names_the_channels_field(cloud_env, monkeypatch):
    from tests.standins.elevenlabs_api import ElevenLabsStandIn

    with ElevenLabsStandIn(api_key=ELEVEN_KEY) as eleven:
        monkeypatch.setenv("ELEVENLABS_API_KEY", ELEVEN_KEY)
        monkeypatch.setenv("ELEVENLABS_BASE_URL", eleven.url)
        channels = write_channels(cloud_env / "channels.yaml", providers={"voice": ["elevenlabs", "piper"]},
                                  voice={"engine": "piper", "elevenlabs": {"voice_id": "no-such-voice"}})
        monkeypatch.setenv("SHORTSMITH_CHANNELS", str(channels))
        with dg.instance_for_test() as instance:
            result = materialize(instance, ["video_scripts", "voiceovers"], raise_on_error=False)
            failure = next(e for e in result.all_events if e.is_step_failure)
            text = str(failure.step_failure_data.error)
            # a request mistake is never hidden behind the Piper fallback
            assert "[channels (curious-minds).voice.elevenlabs.voice_id]" in text and "Fix:" in text
            assert len(eleven.seen("/v1/text-to-speech")) == 1  # not retried


def test_a_cloud_provider_on_the_default_local_instance_needs_no_pool_command(cloud_env, monkeypatch, openai_api):
    """The project's own dagster.yaml (pools: default_limit 1) and no `dagster instance concurrency set`:
    the openai pool gets its slot and the script is written by OpenAI at once (it used to wait 900 s)."""
    import shutil
    import time

    from pipeline_defs.settings import PROJECT_ROOT

    use_channels(cloud_env, monkeypatch, script=["openai", "offline"])
    home = cloud_env / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert "openai" not in {p.name for p in instance.event_log_storage.get_pool_limits()}
        started = time.monotonic()
        result = materialize(instance, ["video_scripts"])
        took = time.monotonic() - started
        assert meta(result, "video_scripts")["provider"] == "openai"
        assert len(openai_api.seen("/v1/chat/completions")) >= 1
        assert took < 60, f"took {took:.0f} s"
        info = instance.event_log_storage.get_concurrency_info("openai")
        assert info.slot_count == 1 and not info.claimed_slots
