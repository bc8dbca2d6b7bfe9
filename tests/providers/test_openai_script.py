"""The OpenAI script writer through the official openai SDK against a loopback stand-in."""

from __future__ import annotations


import pytest

from pipeline_defs.resources.script_writer import OfflineScriptWriter, OpenAIScriptWriter
from shortsmith.config import load_channels
from shortsmith.resilience import (CallContext, CircuitBreaker, CostMeter, MemoryKV, ProviderError, run_chain)
from tests.standins.openai_api import OpenAIStandIn
from tests.conftest import ROOT

KEY = "sk-test-SECRET-abcdef123456"


@pytest.fixture
def api():
    with OpenAIStandIn() as server:
        yield server


@pytest.fixture
def channel():
    return load_channels(ROOT / "channels.yaml").get("curious-minds")


def writer(api, **kw) -> OpenAIScriptWriter:
    return OpenAIScriptWriter(**{"api_key": KEY, "base_url": api.url + "/v1", "model": "gpt-4o-mini",
                                 "timeout_s": 2.0, **kw})


def calls(sleeps: list | None = None, logs: list | None = None) -> CallContext:
    return CallContext(meter=CostMeter(), log=(logs.append if logs is not None else (lambda m: None)),
                       sleep=(sleeps.append if sleeps is not None else (lambda s: None)))


def test_structured_request_and_a_checked_script(api, channel):
    seed = channel.topics[0]
    ctx = calls()
    script = writer(api).write(channel, seed.topic, seed, ctx)
    [req] = api.seen("/v1/chat/completions")
    assert req.headers["authorization"] == f"Bearer {KEY}"
    body = req.json()
    assert body["model"] == "gpt-4o-mini"
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert set(fmt["json_schema"]["schema"]["required"]) >= {"hook", "promise", "beats", "cta", "title"}
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    assert channel.niche in system and "words" in system
    assert channel.script_guidelines and channel.script_guidelines in system  # the channel's voice
    assert seed.topic in user and seed.points[0] in user  # the topic's facts reach the model
    kinds = [b.kind for b in script.beats]
    assert kinds[0] == "hook" and kinds[1] == "promise" and kinds[-1] == "cta" and 4 <= kinds.count("body") <= 7
    assert channel.min_seconds <= script.estimated_seconds <= channel.max_seconds
    assert script.writer == "openai:gpt-4o-mini"
    [item] = ctx.meter.items
    assert item.provider == "openai-chat" and item.units["input_token"] > 0 and item.usd > 0


def test_invalid_structure_gets_one_corrective_turn(api, channel):
    good = OpenAIStandIn.write_script("Topic: Why cats purr\n91-134 words")
    api.queue_chat({"title": "x", "hook": {"narration": "hi"}}, good)
    ctx = calls()
    script = writer(api).write(channel, "Why cats purr", None, ctx)
    assert script.title == "Why cats purr"
    first, second = api.seen("/v1/chat/completions")
    messages = second.json()["messages"]
    assert messages[-2]["role"] == "assistant"
    correction = messages[-1]["content"]
    assert "cannot be used" in correction and "beats" in correction and "hook.visual_prompt" in correction
    assert [i.operation for i in ctx.meter.items] == ["script", "script-correction"]


def test_over_budget_twice_is_a_clear_failure(api, channel):
    long = OpenAIStandIn.write_script("Topic: Why cats purr\n91-134 words")
    long["beats"] = [{"narration": "word " * 60, "visual_prompt": "cats", "keywords": []}] * 5
    api.queue_chat(long, long)
    with pytest.raises(ProviderError) as err:
        writer(api).write(channel, "Why cats purr", None, calls())
    assert not err.value.transient
    assert "unusable script twice" in str(err.value) and "over the 55 s budget" in str(err.value)
    assert "providers.script" in err.value.field and err.value.fix
    assert len(api.seen("/v1/chat/completions")) == 2


def test_transient_faults_are_retried_with_retry_after(api, channel):
    api.fault("429", retry_after=3)
    api.fault("500")
    api.fault("cut")
    api.fault("malformed")
    sleeps, logs = [], []
    w = writer(api, max_attempts=5)
    script = w.write(channel, "Why cats purr", None, calls(sleeps, logs))
    assert script.beats
    assert len(api.seen("/v1/chat/completions")) == 5
    assert sleeps[0] == 3.0  # the server's Retry-After, not our own backoff
    assert len(sleeps) == 4 and all(0 < s <= 20 for s in sleeps[1:])
    assert all(KEY not in line for line in logs)


def test_a_hung_response_times_out_and_is_retried(api, channel):
    api.fault("hang", seconds=10)
    sleeps = []
    script = writer(api, timeout_s=0.5).write(channel, "Why cats purr", None, calls(sleeps))
    assert script.beats and len(sleeps) == 1


def test_a_refused_key_is_not_retried_and_never_shown(api, channel):
    api.fault("401", body={"error": {"message": f"Incorrect API key provided: {KEY}", "type": "invalid_request_error",
                                     "param": None, "code": "invalid_api_key"}})
    with pytest.raises(ProviderError) as err:
        writer(api).write(channel, "Why cats purr", None, calls())
    assert err.value.status == 401 and not err.value.transient
    assert KEY not in str(err.value) and "OPENAI_API_KEY" in err.value.fix
    assert len(api.seen("/v1/chat/completions")) == 1


def test_giving_up_falls_back_to_offline_and_opens_the_breaker(api, channel):
    kv = MemoryKV()
    breaker = CircuitBreaker(kv)
    seed = channel.topics[0]
    w = writer(api, max_attempts=2)
    for _ in range(4):
        api.fault("503", times=2)
        ctx = calls()
        outcome = run_chain("script", [("openai", lambda: w.write(channel, seed.topic, seed, ctx)),
                                       ("offline", lambda: OfflineScriptWriter().write(channel, seed.topic, seed))],
                            breaker=breaker)
        assert outcome.provider == "offline" and outcome.value.writer == "offline"
    # three failed runs opened the circuit: the fourth did not call OpenAI at all
    assert len(api.seen("/v1/chat/completions")) == 6
    assert "circuit open" in outcome.skipped[0][1]
    # after the cool-down one trial call goes through again (half-open), and success closes it
    breaker.clock = lambda: 10 ** 12
    api.clear_faults()
    outcome = run_chain("script", [("openai", lambda: w.write(channel, seed.topic, seed, calls()))], breaker=breaker)
    assert outcome.provider == "openai" and breaker.state("openai")["failures"] == 0


def test_json_object_mode_for_servers_without_schema_support(api, channel):
    writer(api, response_format="json_object").write(channel, "Why cats purr", None, calls())
    [req] = api.seen("/v1/chat/completions")
    assert req.json()["response_format"] == {"type": "json_object"}


def test_no_key_and_no_server_is_a_config_error(channel):
    with pytest.raises(Exception) as err:
        OpenAIScriptWriter().write(channel, "Why cats purr", None, calls())
    assert "OPENAI_API_KEY" in str(err.value)
