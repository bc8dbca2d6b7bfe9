"""What the provider machinery costs per call, as a ratio against the bare SDK call in the same process.

    .venv/bin/python bench/bench_providers.py [--calls 200]

Each call is one chat completion through the official openai SDK against the loopback OpenAI
stand-in. Three ways, interleaved in rounds so machine noise hits them alike:

- bare:     client.chat.completions.create(...)
- guarded:  the same through CallContext.call (classification, retry loop, secret scrubbing,
            the shared SQLite rate limiter)
- pooled:   guarded, plus a Dagster concurrency-pool slot claimed and freed around the call
            (pipeline_defs.providers.pool_slot on a SQLite instance, pool limit 2)

Prints milliseconds per call and the ratios guarded/bare and pooled/bare; writes
bench/results/providers.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import dagster as dg

    from pipeline_defs.providers import pool_slot
    from pipeline_defs.resources.script_writer import classify_openai, openai_client
    from shortsmith.resilience import CallContext, CostMeter, SqliteRateLimiter
    from tests.standins.openai_api import OpenAIStandIn

    messages = [{"role": "user", "content": "Topic: Why cats purr"}]
    with OpenAIStandIn() as api, tempfile.TemporaryDirectory() as tmp, dg.instance_for_test() as instance:
        api.queue_chat(*(["{}"] * (3 * args.calls * args.rounds + 10)))  # tiny answers: measure the overhead
        client = openai_client("sk-bench", api.url + "/v1", 10.0)
        calls = CallContext(meter=CostMeter(), limiter=SqliteRateLimiter(Path(tmp) / "rates.sqlite"))
        instance.event_log_storage.set_concurrency_slots("openai", 2)

        def bare():
            return client.chat.completions.create(model="gpt-4o-mini", messages=messages)

        def guarded():
            return calls.call(bare, provider="openai-chat", classify=lambda e: classify_openai(e, "openai-chat"),
                              per_minute=10 ** 9, secrets=["sk-bench"])

        def pooled():
            with pool_slot(instance, "bench-run", "bench-step", "openai", poll_s=0.01):
                return guarded()

        times: dict[str, list[float]] = {"bare": [], "guarded": [], "pooled": []}
        for fn in (bare, guarded, pooled):  # warm up
            fn()
        for _ in range(args.rounds):
            for name, fn in (("bare", bare), ("guarded", guarded), ("pooled", pooled)):
                started = time.perf_counter()
                for _ in range(args.calls // args.rounds):
                    fn()
                times[name].append((time.perf_counter() - started) / (args.calls // args.rounds) * 1000)
    ms = {k: statistics.median(v) for k, v in times.items()}
    result = {"ms_per_call": {k: round(v, 3) for k, v in ms.items()},
              "guarded_over_bare": round(ms["guarded"] / ms["bare"], 3),
              "pooled_over_bare": round(ms["pooled"] / ms["bare"], 3),
              "calls": args.calls}
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "providers.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
