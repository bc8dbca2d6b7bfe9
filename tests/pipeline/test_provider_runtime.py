"""Provider calls hold Dagster concurrency-pool slots and share breaker state through the instance."""

from __future__ import annotations

import threading
import time

import dagster as dg
import pytest

from pipeline_defs.providers import pool_slot
from pipeline_defs.state import StateStore
from shortsmith.resilience import CircuitBreaker


def test_pool_slots_serialise_provider_calls_across_runs():
    with dg.instance_for_test() as instance:
        instance.event_log_storage.set_concurrency_slots("openai", 1)
        timeline, lock = [], threading.Lock()

        def call(run_id):
            with pool_slot(instance, run_id, "video_scripts", "openai", poll_s=0.02):
                with lock:
                    timeline.append(("in", run_id, time.monotonic()))
                time.sleep(0.3)
                with lock:
                    timeline.append(("out", run_id, time.monotonic()))

        threads = [threading.Thread(target=call, args=(f"run-{i}",)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        events = [e[0] for e in sorted(timeline, key=lambda e: e[2])]
        assert events == ["in", "out"] * 3  # never two calls inside the pool at once
        info = instance.event_log_storage.get_concurrency_info("openai")
        assert info.slot_count == 1 and not info.claimed_slots  # every slot given back


def test_a_pool_without_a_limit_does_not_block():
    with dg.instance_for_test() as instance:
        started = time.monotonic()
        with pool_slot(instance, "r", "s", "pexels"):
            with pool_slot(instance, "r2", "s", "pexels"):
                pass
        assert time.monotonic() - started < 1.0


def test_breaker_state_is_shared_through_the_instance():
    with dg.instance_for_test() as instance:
        a = CircuitBreaker(StateStore(instance))
        for _ in range(3):
            a.record_failure("elevenlabs", "HTTP 503")
        b = CircuitBreaker(StateStore(instance))  # e.g. another run's step
        ok, why = b.allow("elevenlabs")
        assert not ok and "HTTP 503" in why


@pytest.mark.parametrize("slots", [1, 2])
def test_the_pool_limit_is_what_the_provider_sees(slots):
    """Four runs write scripts at once against a slow stand-in: the server never has more requests in
    flight than the openai pool allows (the slot is held around the real HTTP call)."""
    from pipeline_defs.providers import PROVIDER_POOLS
    from pipeline_defs.resources.script_writer import OpenAIScriptWriter
    from shortsmith.config import load_channels
    from shortsmith.resilience import CallContext, CostMeter
    from tests.conftest import ROOT
    from tests.standins.openai_api import OpenAIStandIn

    channel = load_channels(ROOT / "channels.yaml").get("curious-minds")
    with dg.instance_for_test() as instance, OpenAIStandIn() as api:
        instance.event_log_storage.set_concurrency_slots("openai", slots)
        api.delay_s = 0.4
        writer = OpenAIScriptWriter(api_key="sk-test", base_url=api.url + "/v1", timeout_s=10)
        errors = []

        def run(i):
            calls = CallContext(meter=CostMeter(), hold=lambda provider: pool_slot(
                instance, f"run-{i}", "video_scripts", PROVIDER_POOLS[provider], poll_s=0.02))
            try:
                seed = channel.topics[i]
                writer.write(channel, seed.topic, seed, calls)
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        assert len(api.seen("/v1/chat/completions")) == 4
        assert api.max_in_flight == slots
