"""Offline writer on the 15 source fixtures: time per script and the share of body sentences shared across topics.

    PYTHONPATH=. python bench/bench_scripts.py
"""

import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "core"))

from test_grounded import CHANNEL, FIXTURES, TOPICS  # noqa: E402

from shortsmith.config import TopicSeed  # noqa: E402
from shortsmith.script import write_offline_script  # noqa: E402


def main() -> None:
    times, owners = [], {}
    for topic, (fixture, _, _) in TOPICS.items():
        started = time.perf_counter()
        s = write_offline_script(CHANNEL, topic, TopicSeed(topic=topic, source=str(FIXTURES / fixture)))
        times.append(time.perf_counter() - started)
        for b in s.beats:
            if b.kind == "body":
                key = re.sub(r"\W+", " ", b.narration.lower())
                for word in re.findall(r"[a-z]+", topic.lower()):  # mask the topic's own words
                    key = re.sub(rf"\b{word}\b", "_", key)
                owners.setdefault(key, set()).add(topic)
    shared = sum(1 for o in owners.values() if len(o) > 1)
    print(f"{len(TOPICS)} topics, {len(owners)} distinct body sentences, {shared} shared across topics "
          f"({shared / len(owners):.1%})")
    print(f"writer time per script: median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms "
          "(source read and parsed included)")


if __name__ == "__main__":
    main()
