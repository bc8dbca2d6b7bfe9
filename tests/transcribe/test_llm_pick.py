"""Highlights picked by a chat model through the openai SDK (loopback stand-in): checked, with fallback."""

from __future__ import annotations


import openai
import pytest

from pipeline_defs.resources.script_writer import classify_openai
from shortsmith.clips.llm_pick import pick_with_model
from shortsmith.resilience import CallContext, CostMeter
from shortsmith.transcribe import Transcript, Word
from tests.standins.openai_api import OpenAIStandIn


def talk(n_sentences: int = 12, seconds_each: float = 6.0) -> Transcript:
    words = []
    for i in range(n_sentences):
        base = i * seconds_each
        text = f"Sentence number {i} says something about octopus hearts today."
        for k, w in enumerate(text.split()):
            words.append(Word(w, round(base + k * 0.6, 2), round(base + k * 0.6 + 0.5, 2)))
    return Transcript(words, [], "en", 1.0, n_sentences * seconds_each)


@pytest.fixture
def api():
    with OpenAIStandIn() as server:
        yield server


def client(api):
    return openai.OpenAI(api_key="sk-test-pick", base_url=api.url + "/v1", timeout=2.0, max_retries=0)


def calls() -> CallContext:
    return CallContext(meter=CostMeter(), sleep=lambda s: None)


def test_valid_picks_are_kept_and_bad_ones_dropped(api):
    t = talk()
    api.queue_chat({"clips": [
        {"first": 6, "last": 9, "title": "The best part", "why": "a question and numbers"},
        {"first": 0, "last": 0, "title": "Too short", "why": "x"},           # 5.4 s: under 20 s
        {"first": 7, "last": 11, "title": "Overlaps", "why": "x"},          # overlaps the first
        {"first": 20, "last": 22, "title": "Out of range", "why": "x"},
        {"first": 0, "last": 4, "title": "The opening", "why": "sets it up"},
    ]})
    logs: list[str] = []
    ctx = calls()
    picks = pick_with_model(client(api), "gpt-4o-mini", t, 3, calls=ctx, log=logs.append,
                            classify=lambda e: classify_openai(e, "openai-chat"))
    assert picks is not None and [title for _, title in picks] == ["The opening", "The best part"]  # source order
    h = picks[1][0]
    assert (h.first_sentence, h.last_sentence) == (6, 9) and 20 <= h.end - h.start <= 60
    assert h.reasons["model"] == "a question and numbers"
    assert sum("dropped" in m for m in logs) == 3
    body = api.seen("/v1/chat/completions")[0].json()
    assert body["response_format"]["type"] == "json_schema" and "[11] (66.0-" in body["messages"][1]["content"]
    assert ctx.meter.items[0].operation == "highlights"


def test_unusable_answers_fall_back(api):
    t = talk()
    api.queue_chat("this is not json")
    assert pick_with_model(client(api), "m", t, 2, calls=calls()) is None
    api.queue_chat({"clips": [{"first": 0, "last": 0, "title": "short", "why": ""}]})
    assert pick_with_model(client(api), "m", t, 2, calls=calls()) is None
    api.fault("500", path="/v1/chat/completions", times=3)
    assert pick_with_model(client(api), "m", t, 2, calls=calls(),
                           classify=lambda e: classify_openai(e, "openai-chat")) is None
