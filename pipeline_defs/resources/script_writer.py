from __future__ import annotations

import dagster as dg

from shortsmith.config import Channel, TopicSeed
from shortsmith.model import Script
from shortsmith.script import write_offline_script


class ScriptWriter(dg.ConfigurableResource):
    """Writes a structured script (hook, promise, body beats, call to action) for a topic."""

    def write(self, channel: Channel, topic: str, seed: TopicSeed | None) -> Script:
        raise NotImplementedError

    @property
    def provider(self) -> str:
        return type(self).__name__


class OfflineScriptWriter(ScriptWriter):
    """Deterministic and topic-aware; builds the body from the topic's points in channels.yaml."""

    def write(self, channel: Channel, topic: str, seed: TopicSeed | None) -> Script:
        return write_offline_script(channel, topic, seed)

    @property
    def provider(self) -> str:
        return "offline"
