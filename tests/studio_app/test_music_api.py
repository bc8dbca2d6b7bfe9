"""The asynchronous music provider against a loopback Suno-style stand-in that calls the studio back
over real HTTP: callback first, polling when no callback comes, 500s fall back to the composer, and
nothing is lost (no second submission) when the studio restarts between submit and callback."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import uvicorn

from pipeline_defs.resources.music_provider import ComposerMusicProvider, MusicApiProvider, MusicJob
from pipeline_defs.state import StateStore
from shortsmith import music_composer
from shortsmith.resilience import ProviderError, run_chain
from shortsmith.voice.wav import read_wav
from studio.app import create_app
from tests.standins.music_api import MusicApiStandIn

SECRET = "whsec_music_test"
KEY = "mk_test_123"


class Studio:
    """The studio app served by uvicorn on 127.0.0.1 in a thread (stoppable: a restart is stop + start)."""

    def __init__(self, studio, port: int):
        self.studio, self.port = studio, port

    def start(self) -> "Studio":
        self.server = uvicorn.Server(uvicorn.Config(create_app(self.studio, rate_per_minute=1000), host="127.0.0.1",
                                                    port=self.port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "the studio did not start"
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def env(studio_env, monkeypatch):
    monkeypatch.setenv("SHORTSMITH_WEBHOOK_SECRET_MUSICAPI", SECRET)
    monkeypatch.setenv("SHORTSMITH_ALLOW_PRIVATE_URLS", "1")  # the stand-in's audio URL is on loopback
    port = free_port()
    studio = Studio(studio_env, port)
    yield studio, StateStore(studio_env.instance), f"http://127.0.0.1:{port}/v1/webhooks/musicapi"
    if getattr(studio, "thread", None) and studio.thread.is_alive():
        studio.stop()


def provider(api: MusicApiStandIn, callback_url: str, **kw) -> MusicApiProvider:
    return MusicApiProvider(base_url=api.url, api_key=KEY, callback_url=callback_url, **kw)


def test_callback_first(env, tmp_path):
    studio, store, callback = env
    studio.start()
    with MusicApiStandIn(KEY, SECRET, callbacks="auto", callback_delay_s=0.3) as api:
        started = time.perf_counter()
        facts = provider(api, callback, wait_s=20, poll_every_s=60).make(
            tmp_path / "m.wav", duration_s=20.0, mood="calm", seed="p", job=MusicJob("ch--p", "fp1", store=store))
        took = time.perf_counter() - started
        sent = api.submissions()[0].json()
        assert sent["callBackUrl"] == callback and sent["instrumental"] is True and sent["customMode"] is False
        assert api.callback_results == [202]
        assert not api.seen("/api/v1/generate/record-info")  # the callback answered first: no polling
    assert facts["result_via"] == "callback" and facts["task_id"] and facts["loops"] >= 2
    audio, rate = read_wav(tmp_path / "m.wav")
    assert abs(len(audio) / rate - 20.0) < 0.01 and abs(audio).max() > 0.1
    print(f"musicapi (callback) music step: {took:.2f} s")


def test_polling_fallback_when_no_callback_comes(env, tmp_path):
    studio, store, callback = env
    with MusicApiStandIn(KEY, SECRET, callbacks="never", ready_after_polls=1) as api:
        facts = provider(api, callback, wait_s=20, poll_every_s=0.3).make(
            tmp_path / "m.wav", duration_s=6.0, mood="upbeat", seed="p", job=MusicJob("ch--p", "fp2", store=store))
        assert len(api.seen("/api/v1/generate/record-info")) == 2 and len(api.submissions()) == 1
    assert facts["result_via"] == "polling"


@pytest.mark.skipif(not music_composer.available(), reason="no GM soundfont")
def test_provider_500s_fall_back_to_the_composer(env, tmp_path):
    studio, store, callback = env
    with MusicApiStandIn(KEY, SECRET) as api:
        for _ in range(3):
            api.fault("500", path="/api/v1/generate")
        job = MusicJob("ch--p", "fp3", store=store)
        out = tmp_path / "m.wav"
        candidates = [(name, (lambda p=p: p.make(out, duration_s=4.0, mood="calm", seed="p", job=job)))
                      for name, p in (("musicapi", provider(api, callback, wait_s=5)), ("composer", ComposerMusicProvider()))]
        outcome = run_chain("music", candidates)
        assert outcome.provider == "composer" and outcome.skipped[0][0] == "musicapi" and "500" in outcome.skipped[0][1]
    assert store.get("music/job/ch--p/fp3") == {}  # nothing submitted, nothing recorded
    assert read_wav(out)[0].size > 0


def test_nothing_lost_when_the_studio_restarts_between_submit_and_callback(env, tmp_path):
    studio, store, callback = env
    studio.start()
    with MusicApiStandIn(KEY, SECRET, callbacks="manual") as api:
        p = provider(api, callback, wait_s=1.0, poll_every_s=600)
        job = MusicJob("ch--p", "fp4", store=store)
        with pytest.raises(ProviderError, match="a retry resumes it"):  # no callback yet: the step gives up
            p.make(tmp_path / "m.wav", duration_s=6.0, mood="calm", seed="p", job=job)
        task = store.get("music/job/ch--p/fp4")["task_id"]  # recorded before waiting
        studio.stop()
        assert api.send_callback(task) == "ConnectError"  # the studio is down: the provider's delivery fails
        studio.start()  # a new studio process over the same instance
        assert api.send_callback(task, event_id=f"cb-{task}-retry") == 202
        studio.stop()  # the step does not need the studio: the event is in the instance's database
        facts = p.make(tmp_path / "m.wav", duration_s=6.0, mood="calm", seed="p", job=job)
        assert len(api.submissions()) == 1  # resumed, not resubmitted
    assert facts["task_id"] == task and facts["result_via"] == "callback"


def test_elevenlabs_music_through_the_sdk_and_its_failures(tmp_path):
    from pipeline_defs.resources.music_provider import ElevenLabsMusicProvider, SynthMusicProvider
    from tests.standins.music_api import ElevenLabsMusicStandIn

    with ElevenLabsMusicStandIn() as api:
        p = ElevenLabsMusicProvider(api_key=api.api_key, base_url=api.url)
        facts = p.make(tmp_path / "m.wav", duration_s=12.0, mood="mysterious", seed="ch--p", job=MusicJob("ch--p", "f"))
        sent = api.requests[-1].json()
        assert sent["music_length_ms"] == 12000 and sent["force_instrumental"] is True and "ysterious" in sent["prompt"]
        assert facts["loops"] >= 1 and "ElevenLabs" in facts["licence"]
        audio, rate = read_wav(tmp_path / "m.wav")
        assert abs(len(audio) / rate - 12.0) < 0.01
        api.fault("500", path="/v1/music")
        out = tmp_path / "fallback.wav"
        job = MusicJob("ch--p", "f")
        outcome = run_chain("music", [(n, (lambda q=q: q.make(out, duration_s=5.0, mood="calm", seed="s", job=job)))
                                      for n, q in (("elevenlabs", p), ("synth", SynthMusicProvider()))])
        assert outcome.provider == "synth" and "500" in outcome.skipped[0][1]
        bad = ElevenLabsMusicProvider(api_key="wrong", base_url=api.url)
        with pytest.raises(ProviderError, match="key was refused"):  # a wrong key is raised, not hidden by a fallback
            run_chain("music", [("elevenlabs", lambda: bad.make(out, duration_s=5.0, mood="calm", seed="s", job=job)),
                                ("synth", lambda: SynthMusicProvider().make(out, duration_s=5.0, mood="calm", seed="s",
                                                                            job=job))])


@pytest.mark.parametrize("via", ["callback", "polling"])
def test_a_failed_task_falls_back_and_is_not_resumed(tmp_path, via):
    """A task the provider reports as failed (error callback, or a failed status when polled) is a transient
    failure: the chain moves on, and the next attempt submits a new task instead of resuming the dead one."""
    from shortsmith import webhooks
    from tests.core.test_webhooks_out import MemoryStore

    store = MemoryStore()
    with MusicApiStandIn(KEY, SECRET, callbacks="never", fail=True) as api:
        p = provider(api, "http://127.0.0.1:9/v1/webhooks/musicapi", wait_s=10, poll_every_s=0.2 if via == "polling" else 60)
        job = MusicJob("ch--p", "fp5", store=store)
        if via == "callback":  # the studio stored the provider's error callback (as /v1/webhooks/musicapi does)
            original = api.route

            def route_and_call_back(req):
                reply = original(req)
                if req.path == "/api/v1/generate":
                    task = json.loads(reply.body if isinstance(reply.body, (bytes, str)) else json.dumps(reply.body))
                    task_id = task["data"]["taskId"]
                    webhooks.accept(store, "musicapi", f"cb-{task_id}", task_id, json.loads(api.callback_body(task_id)))
                return reply
            api.route = route_and_call_back
        with pytest.raises(ProviderError, match="(?i)failed") as e:
            p.make(tmp_path / "m.wav", duration_s=5.0, mood="calm", seed="p", job=job)
        assert e.value.transient and store.get("music/job/ch--p/fp5") == {}
        with pytest.raises(ProviderError):
            p.make(tmp_path / "m.wav", duration_s=5.0, mood="calm", seed="p", job=job)
        assert len(api.submissions()) == 2  # a dead task is not resumed
