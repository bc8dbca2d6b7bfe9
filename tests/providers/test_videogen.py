"""Generated video clips (Sora through the official openai SDK, Runway through the official runwayml SDK)
against loopback stand-ins: polling, failures, refusals, 429s, cut downloads, resuming after a killed
process, the daily budget and per-scene fallback."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline_defs.resources.images import ProceduralImageProvider
from pipeline_defs.resources.videogen import RunwayVideoProvider, SoraVideoProvider, clip_into, png_bytes
from shortsmith.config import parse_channels
from shortsmith.errors import ConfigError
from shortsmith.ffmpeg import probe
from shortsmith.resilience import (CallContext, CircuitBreaker, CostMeter, MemoryKV, ProviderError,
                                   ProviderUnavailable, run_chain)
from shortsmith.videogen import DailyBudget, JobBook, round_duration
from shortsmith.visuals import credit_path
from tests.standins.openai_videos import OpenAIVideoStandIn, parse_multipart
from tests.providers.videogen_child import BEATS, OPENAI_KEY, PARTITION, STYLE, beat
from tests.standins.runway_api import RunwayStandIn

ROOT = Path(__file__).resolve().parents[2]
RUNWAY_KEY = "key_runway-SECRET-0123456789"


def ctx(sleeps: list | None = None, logs: list | None = None) -> CallContext:
    return CallContext(meter=CostMeter(), log=(logs.append if logs is not None else (lambda m: None)),
                       sleep=(sleeps.append if sleeps is not None else (lambda s: None)))


def sora(api, **kw) -> SoraVideoProvider:
    return SoraVideoProvider(**{"api_key": OPENAI_KEY, "base_url": api.url + "/v1", "poll_s": 0.01,
                                "request_timeout_s": 3.0, **kw})


def runway(api, **kw) -> RunwayVideoProvider:
    return RunwayVideoProvider(**{"api_key": RUNWAY_KEY, "base_url": api.url, "poll_s": 0.01,
                                  "request_timeout_s": 3.0, **kw})


def batch_of(provider, beats, calls, *, store=None, budget=None, seconds=None, frames=None):
    return provider.batch(beats, style=STYLE, partition=PARTITION, seconds=seconds or [5.0] * len(beats),
                          calls=calls, store=store if store is not None else MemoryKV(), budget=budget,
                          owner="test", frames=frames)


def duration(path: Path) -> float:
    return float(probe(path)["format"]["duration"])


@pytest.fixture
def sora_api():
    with OpenAIVideoStandIn(polls_to_complete=3) as api:
        yield api


@pytest.fixture
def runway_api():
    with RunwayStandIn(api_key=RUNWAY_KEY, polls_to_complete=3) as api:
        yield api


def test_durations_round_up_to_what_the_model_offers():
    assert [round_duration(s, (4, 8, 12)) for s in (2.0, 4.0, 4.3, 8.0, 11.9, 20.0)] == [4, 4, 8, 8, 12, 12]
    assert round_duration(6.2, range(2, 11)) == 7 and round_duration(4.2, (5, 10)) == 5


# ============================================================================= Sora


def test_sora_submits_every_scene_at_once_then_polls_and_downloads(sora_api, tmp_path):
    calls = ctx()
    batch = batch_of(sora(sora_api), BEATS, calls, seconds=[3.0, 5.2, 9.0])
    batch.submit()
    assert len(sora_api.created) == 3 and not sora_api.seen("/v1/videos/")  # all submitted before any wait
    create = sora_api.seen("/v1/videos")[0]
    assert create.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    form = parse_multipart(create)
    assert (form["model"], form["seconds"], form["size"]) == (b"sora-2", b"4", b"720x1280")
    assert form["prompt"].decode().startswith("a cat purring on a windowsill") and b"paper-cut" in form["prompt"]
    assert [j["seconds"] for j in sora_api.created] == ["4", "8", "12"]  # each scene rounded up to 4/8/12

    for i in range(3):
        clip = clip_into(batch, i, tmp_path / f"scene_{i:02d}.mp4")
        assert duration(clip) == pytest.approx([4, 8, 12][i], abs=0.2)
        credit = json.loads(credit_path(clip).read_text())
        assert (credit["provider"], credit["model"], credit["job_id"]) == ("sora", "sora-2", sora_api.created[i]["id"])
    polls = [r for r in sora_api.seen("/v1/videos/") if not r.path.endswith("/content")]
    assert len(polls) == 9  # three polls each: queued -> in_progress -> completed
    assert [i.usd for i in calls.meter.items] == [0.4, 0.8, 1.2]  # $0.10 per second of sora-2
    assert calls.meter.total == pytest.approx(2.4)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"scene_0{i}.mp4" for i in range(3)] + [f"scene_0{i}.credit.json" for i in range(3)])


def test_scene_alone_makes_one_clip_like_any_visual_provider(sora_api, tmp_path):
    clip = sora(sora_api).scene(BEATS[0], style=STYLE, seed=PARTITION, index=2, total=5, size=(180, 320),
                                calls=ctx(), workdir=tmp_path, seconds=5.0)
    assert clip == tmp_path / "scene_02.mp4" and duration(clip) == pytest.approx(8, abs=0.2)
    assert json.loads(credit_path(clip).read_text())["scene"] == "scene_02.mp4"


def test_sora_failed_jobs_and_refusals_fall_back_per_scene(sora_api, tmp_path):
    beats = [beat("a cat on a sofa"), beat("a fail-job scene"), beat("a forbidden scene"),
             beat("a refuse-output scene")]
    calls, logs = ctx(), []
    budget = DailyBudget(MemoryKV(), "curious-minds", "2026-11-30", 100.0)
    batch = batch_of(sora(sora_api), beats, calls, budget=budget)
    batch.submit()
    assert len(sora_api.created) == 3  # the forbidden prompt was refused at submission: no job, no cost
    breaker = CircuitBreaker(MemoryKV())
    made = []
    for i in range(4):
        out = run_chain("visuals", [("sora", lambda i=i: clip_into(batch, i, tmp_path / f"scene_{i:02d}.mp4")),
                                    ("procedural", lambda: "still")], breaker=breaker, log=logs.append)
        made.append(out.provider)
    assert made == ["sora", "procedural", "procedural", "procedural"]
    assert breaker.state("sora")["failures"] == 0  # a failed or refused job never strands the other paid jobs
    assert any("refused" in m and "moderation" in m for m in logs)
    assert [i.operation for i in calls.meter.items] == ["scene 0"]  # only the clip that was made is billed
    assert budget.spent() == pytest.approx(0.8)  # the reservations of the refused/failed jobs were given back
    # a re-run does not pay again for the jobs that failed or were refused
    again = batch_of(sora(sora_api), beats, calls, budget=budget, store=batch.book.store)
    again.submit()
    assert len(sora_api.created) == 3 and set(again.unavailable) == {1, 2, 3} and again.resumed == 1


def test_sora_429_with_retry_after_is_honoured_on_create_and_poll(sora_api, tmp_path):
    sleeps: list[float] = []
    sora_api.fault("429", path="/v1/videos", retry_after=2)
    batch = batch_of(sora(sora_api), BEATS[:1], ctx(sleeps))
    batch.submit()
    sora_api.fault("429", path="/v1/videos/", retry_after=1)
    clip_into(batch, 0, tmp_path / "scene_00.mp4")
    assert sleeps.count(2.0) == 1 and sleeps.count(1.0) == 1
    assert len(sora_api.created) == 1  # the refused attempt created nothing


def test_sora_cut_download_is_retried_and_never_leaves_a_partial_file(sora_api, tmp_path):
    batch = batch_of(sora(sora_api), BEATS[:1], ctx())
    batch.submit()
    vid = sora_api.created[0]["id"]
    sora_api.fault("partial", path=f"/v1/videos/{vid}/content")
    clip = clip_into(batch, 0, tmp_path / "scene_00.mp4")
    assert len(sora_api.seen(f"/v1/videos/{vid}/content")) == 2
    assert clip.read_bytes() == sora_api.clip_bytes(sora_api.created[0])
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_sora_wait_is_bounded_and_a_rerun_resumes_the_same_job(tmp_path):
    with OpenAIVideoStandIn(polls_to_complete=10_000) as api:
        store = MemoryKV()
        batch = batch_of(sora(api, timeout_s=0.3, poll_s=0.05), BEATS[:1], ctx(sleeps=None), store=store)
        batch.calls.sleep = time.sleep
        with pytest.raises(ProviderError) as err:
            clip_into(batch, 0, tmp_path / "scene_00.mp4")
        vid = api.created[0]["id"]
        assert not err.value.transient and vid in err.value.message and "resumes the same job" in err.value.fix
        api.polls_to_complete = 1
        api.videos[vid]["_polls"] = 0
        again = batch_of(sora(api), BEATS[:1], ctx(), store=store)
        assert duration(clip_into(again, 0, tmp_path / "scene_00.mp4")) == pytest.approx(8, abs=0.2)  # 5 s -> 8
        assert len(api.created) == 1 and again.resumed == 1


def test_an_expired_clip_falls_back_and_a_rerun_makes_it_again(sora_api, tmp_path):
    store = MemoryKV()
    batch = batch_of(sora(sora_api), BEATS[:1], ctx(), store=store)
    batch.submit()
    sora_api.created[0]["_expired"] = True
    out = run_chain("visuals", [("sora", lambda: clip_into(batch, 0, tmp_path / "scene_00.mp4")),
                                ("procedural", lambda: "still")])
    assert out.provider == "procedural" and "expired" in out.skipped[0][1]
    assert not (tmp_path / "scene_00.mp4").exists()
    again = batch_of(sora(sora_api), BEATS[:1], ctx(), store=store)
    clip_into(again, 0, tmp_path / "scene_00.mp4")
    assert len(sora_api.created) == 2 and again.created == 1


def test_the_first_usable_video_provider_submits_every_scene(sora_api, runway_api, tmp_path):
    from types import SimpleNamespace

    from pipeline_defs.resources.videogen import video_batches

    channel = parse_channels({"channels": [{"name": "c", "niche": "n", "topics": ["t"],
                                            "providers": {"visuals": ["sora", "runway", "procedural"]},
                                            "budgets": {"visuals_usd_per_day": 5}}]}).channels[0]
    providers = {"sora": sora(sora_api), "runway": runway(runway_api, first_frame="procedural"),
                 "procedural": ProceduralImageProvider(subjects=False)}
    images = SimpleNamespace(get=providers.get)
    store = MemoryKV()

    def batches(allow):
        return video_batches(channel, images, BEATS[:2], style=STYLE, partition=PARTITION, seconds=[3.0, 3.0],
                             calls=ctx(), store=store, day="2026-11-30", owner="run-1", allow=allow,
                             workdir=tmp_path)

    made = batches(lambda name: True)
    assert set(made) == {"sora", "runway"} and len(sora_api.created) == 2 and not runway_api.created
    assert DailyBudget(store, "c", "2026-11-30", 5).spent() == pytest.approx(0.8)
    batches(lambda name: name != "sora")  # sora's circuit is open: runway animates the stills instead
    assert len(runway_api.created) == 2 and runway_api.frames[0].size == (720, 1280)


def test_sora_animates_a_first_frame_of_its_own_size(sora_api, tmp_path):
    def frame(size):
        return lambda i: png_bytes(Image.new("RGB", size, (10, 20, 30 + i)))

    batch = batch_of(sora(sora_api, first_frame="procedural"), BEATS[:1], ctx(), frames=frame((720, 1280)))
    batch.submit()
    form = parse_multipart(sora_api.seen("/v1/videos")[0])
    assert form["input_reference"][1] == "image/png" and sora_api.created[0]["_reference"]
    with pytest.raises(ProviderError) as err:  # a frame of another size is refused by the API: named, not retried
        batch_of(sora(sora_api), [beat("another scene")], ctx(), frames=frame((360, 640))).submit()
    assert err.value.field == "providers.sora.first_frame" and len(sora_api.seen("/v1/videos")) == 2


def test_sora_settings_are_checked_before_any_call(sora_api):
    with pytest.raises(ConfigError) as err:
        batch_of(sora(sora_api, size="1280x720"), BEATS[:1], ctx()).submit()
    assert err.value.field == "providers.sora.size" and "720x1280" in err.value.fix
    sora_api.fault("401", path="/v1/videos", body={"error": {"message": f"Incorrect API key provided: {OPENAI_KEY}",
                                                             "type": "invalid_request_error", "param": None,
                                                             "code": "invalid_api_key"}})
    with pytest.raises(ProviderError) as err:
        batch_of(sora(sora_api), BEATS[:1], ctx()).submit()
    assert err.value.field == "OPENAI_API_KEY" and OPENAI_KEY not in str(err.value)


# ============================================================================= Runway


def test_runway_animates_the_procedural_still_and_never_sends_the_key_to_the_cdn(runway_api, tmp_path):
    calls = ctx()
    still = ProceduralImageProvider(subjects=False)

    def frames(i: int) -> bytes:
        return png_bytes(still.scene(BEATS[i], style=STYLE, seed=PARTITION, index=i, total=2, size=(180, 320)))

    batch = batch_of(runway(runway_api, first_frame="procedural"), BEATS[:2], calls, seconds=[4.2, 7.0],
                     frames=frames)
    batch.submit()
    [first, second] = runway_api.seen("/v1/image_to_video")
    body = first.json()
    assert first.headers["authorization"] == f"Bearer {RUNWAY_KEY}" and first.headers["x-runway-version"]
    assert (body["model"], body["ratio"], body["duration"]) == ("gen4_turbo", "720:1280", 5)
    assert second.json()["duration"] == 10 and body["promptText"].startswith("a cat purring")
    expected = Image.open(io.BytesIO(frames(0))).convert("RGB")
    assert np.array_equal(np.asarray(runway_api.frames[0].convert("RGB")), np.asarray(expected))
    clip = clip_into(batch, 0, tmp_path / "scene_00.mp4")
    assert duration(clip) == pytest.approx(5, abs=0.2)
    [cdn] = runway_api.seen("/outputs/")
    assert "authorization" not in cdn.headers
    assert calls.meter.items[0].usd == pytest.approx(0.25)  # gen4_turbo: $0.05 per second


def test_runway_text_to_video_safety_failure_and_429(runway_api, tmp_path):
    sleeps: list[float] = []
    calls = ctx(sleeps)
    beats = [beat("a cat on a sofa"), beat("a forbidden scene"), beat("a fail-job scene")]
    runway_api.fault("429", path="/v1/text_to_video", retry_after=1)
    batch = batch_of(runway(runway_api, first_frame="none"), beats, calls, seconds=[6.2, 3.0, 3.0])
    batch.submit()
    assert sleeps.count(1.0) == 1 and len(runway_api.created) == 3
    assert runway_api.seen("/v1/text_to_video")[1].json() == {
        "model": "gen4.5", "promptText": runway_api.created[0]["_prompt"], "ratio": "720:1280", "duration": 7}
    assert duration(clip_into(batch, 0, tmp_path / "scene_00.mp4")) == pytest.approx(7, abs=0.2)
    with pytest.raises(ProviderUnavailable) as refused:
        clip_into(batch, 1, tmp_path / "scene_01.mp4")
    assert "SAFETY.INPUT.TEXT" in refused.value.message
    with pytest.raises(ProviderUnavailable) as failed:
        clip_into(batch, 2, tmp_path / "scene_02.mp4")
    assert "INTERNAL.BAD_OUTPUT" in failed.value.message
    assert RUNWAY_KEY not in refused.value.message + failed.value.message


def test_runway_cut_download_is_retried(runway_api, tmp_path):
    batch = batch_of(runway(runway_api, first_frame="none"), BEATS[:1], ctx())
    batch.submit()
    runway_api.fault("partial", path="/outputs/")
    clip = clip_into(batch, 0, tmp_path / "scene_00.mp4")
    assert len(runway_api.seen("/outputs/")) == 2 and clip.read_bytes() == runway_api.clip_bytes(runway_api.created[0])


def test_runway_model_choices_are_checked(runway_api):
    with pytest.raises(ConfigError) as err:
        batch_of(runway(runway_api, first_frame="none", model="gen4_turbo"), BEATS[:1], ctx())
    assert err.value.field == "providers.runway.model" and "gen4.5" in err.value.fix


# ============================================================================= jobs, budget


def test_concurrency_keeps_at_most_max_in_flight_jobs(sora_api, tmp_path):
    beats = BEATS + [beat("a tiger stretching")]
    batch = batch_of(sora(sora_api, max_in_flight=2), beats, ctx())
    batch.submit()
    assert len(sora_api.created) == 2
    for i in range(4):
        clip_into(batch, i, tmp_path / f"scene_{i:02d}.mp4")
        assert sum(1 for j in sora_api.created if j["status"] != "completed") <= 2
    assert len(sora_api.created) == 4


def test_a_claim_left_by_a_crashed_submitter_is_taken_over_once_stale(sora_api):
    store = MemoryKV()
    batch = batch_of(sora(sora_api), BEATS[:1], ctx(), store=store)
    req = batch.requests[0]
    # the run crashed after marking the scene and before the provider answered: after claim_stale_s (120 s)
    # nobody can be creating it any more, so the next run submits it (the one case that may pay twice)
    batch.book.claim(req, "crashed-run", stale_s=120, now=time.time() - 300)
    again = batch_of(sora(sora_api), BEATS[:1], ctx(), store=store)
    again.submit()
    assert len(sora_api.created) == 1 and again.created == 1
    assert batch.book.get(req.key)["job_id"] == sora_api.created[0]["id"]


def test_the_daily_budget_reached_mid_video_makes_the_rest_fall_back(sora_api, tmp_path):
    store = MemoryKV()
    budget = DailyBudget(store, "curious-minds", "2026-11-30", 2.0)
    assert budget.reserve(0.5)  # another Short of the channel already spent $0.50 today
    beats = BEATS + [beat("a tiger stretching")]
    calls = ctx()
    batch = batch_of(sora(sora_api), beats, calls, store=store, budget=budget, seconds=[7.0] * 4)  # 8 s: $0.80
    batch.submit()
    assert len(sora_api.created) == 1  # 0.5 + 0.8 = 1.3; one more would be 2.1 > 2.0
    made = [run_chain("visuals", [("sora", lambda i=i: clip_into(batch, i, tmp_path / f"s{i}.mp4")),
                                  ("procedural", lambda: "still")]).provider for i in range(4)]
    assert made == ["sora", "procedural", "procedural", "procedural"]
    assert budget.spent() == pytest.approx(1.3) and calls.meter.total == pytest.approx(0.8)
    assert "daily visuals budget ($2.00)" in batch.unavailable[1]


def test_budgets_config_is_checked():
    def channel(budgets):
        return {"channels": [{"name": "c", "niche": "n", "topics": ["t"], "budgets": budgets}]}

    assert parse_channels(channel({"visuals_usd_per_day": 3})).channels[0].budgets.visuals_usd_per_day == 3.0
    for bad, field in (({"visuals_usd_per_day": -1}, "visuals_usd_per_day"),
                       ({"visuals_usd_per_day": True}, "visuals_usd_per_day"), ({"usd": 1}, "usd"), ("5", "budgets")):
        with pytest.raises(ConfigError) as err:
            parse_channels(channel(bad))
        assert err.value.field.endswith(field) and err.value.fix


# ============================================================================= killed process, shared state


@pytest.fixture
def dagster_home(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    import dagster as dg

    from pipeline_defs.state import StateStore

    with dg.DagsterInstance.from_config(str(home)) as instance:  # its databases exist before the workers start
        StateStore(instance)
    return home


def test_a_killed_run_is_resumed_without_paying_twice(dagster_home, tmp_path):
    import dagster as dg

    from pipeline_defs.state import StateStore

    with OpenAIVideoStandIn(polls_to_complete=10_000) as api:
        env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("videogen_child.py")), "wait",
                                  api.url, str(tmp_path / "child")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while len(api.seen("/v1/videos/")) < 2 and time.monotonic() < deadline:  # it is polling its jobs
                assert child.poll() is None, child.stderr.read() if child.stderr else ""
                time.sleep(0.05)
            assert len(api.created) == 3
        finally:
            child.send_signal(signal.SIGKILL)
            child.communicate(timeout=10)
        api.polls_to_complete = 2
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            store = StateStore(instance)
            jobs = JobBook(store, "sora", PARTITION).jobs()
            assert sorted(r["job_id"] for r in jobs.values()) == sorted(j["id"] for j in api.created)
            budget = DailyBudget(store, "curious-minds", "2026-11-30", 10.0)
            assert budget.spent() == pytest.approx(1.2)  # reserved by the killed run, not again
            calls = ctx()
            batch = batch_of(sora(api), BEATS, calls, store=store, budget=budget, seconds=[3.0] * 3)
            clips = [clip_into(batch, i, tmp_path / f"scene_{i:02d}.mp4") for i in range(3)]
        assert len(api.created) == 3 and batch.resumed == 3 and batch.created == 0  # exactly one job per scene
        assert all(duration(c) == pytest.approx(4, abs=0.2) for c in clips)
        assert budget.spent() == pytest.approx(1.2) and calls.meter.total == pytest.approx(1.2)


def test_concurrent_runs_submit_each_job_once_and_never_pass_the_budget(dagster_home, tmp_path):
    import dagster as dg

    from pipeline_defs.state import StateStore

    with OpenAIVideoStandIn(polls_to_complete=2) as api:
        api.delay_s = 0.3  # a slow answer widens the window between claiming a scene and recording its job
        env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "PYTHONPATH": str(ROOT)}
        workers = [subprocess.Popen([sys.executable, str(Path(__file__).with_name("videogen_child.py")), "race",
                                     api.url, str(tmp_path)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(3)]
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("ready-*"))) < 3 and time.monotonic() < deadline:  # all imported and set up
            assert all(w.poll() is None for w in workers), [w.communicate()[1] for w in workers if w.poll()]
            time.sleep(0.02)
        (tmp_path / "go").touch()  # all at once
        outs = []
        for w in workers:
            out, err = w.communicate(timeout=120)
            assert w.returncode == 0, err
            outs.append(json.loads(out.strip().splitlines()[-1]))
        assert len(api.created) == 3  # one job per scene, whichever run submitted it
        assert sum(o["created"] for o in outs) == 3 and sum(o["resumed"] for o in outs) == 6
        assert sum(o["reserved"] for o in outs) == 12  # 12 x $0.80 = $9.60 <= $10, never a 13th
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            assert DailyBudget(StateStore(instance), "race", "2026-11-30", 10.0).spent() == pytest.approx(9.6)


def test_videojobs_command_shows_the_recorded_jobs_and_the_budget(dagster_home, tmp_path, monkeypatch, capsys, sora_api):
    import dagster as dg

    from pipeline_defs.cli import main
    from pipeline_defs.state import StateStore
    from shortsmith.quota import local_day, utcnow
    from tests.conftest import write_channels

    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    monkeypatch.setenv("SHORTSMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHORTSMITH_CHANNELS", str(write_channels(tmp_path / "channels.yaml",
                                                                 budgets={"visuals_usd_per_day": 3.0})))
    day = local_day(utcnow(), "UTC").isoformat()
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        store = StateStore(instance)
        batch_of(sora(sora_api), BEATS[:2], ctx(), store=store,
                 budget=DailyBudget(store, "curious-minds", day, 3.0)).submit()
    assert main(["videojobs", "--partition", PARTITION]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(j["provider"], j["scene"], j["job_id"], j["state"]) for j in report["jobs"]] == [
        ("sora", 0, sora_api.created[0]["id"], "submitted"), ("sora", 1, sora_api.created[1]["id"], "submitted")]
    assert report["budget"] == {"channel": "curious-minds", "day": day, "limit_usd": 3.0, "reserved_usd": 1.6}
