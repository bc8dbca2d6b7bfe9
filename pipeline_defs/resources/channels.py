from __future__ import annotations

from functools import cached_property

import dagster as dg

from shortsmith.config import Channel, ChannelsConfig, load_channels


class ChannelsResource(dg.ConfigurableResource):
    """The channels config (channels.yaml): niche, topics, voice, style, limits per channel."""

    path: str

    @cached_property
    def config(self) -> ChannelsConfig:
        return load_channels(self.path)

    def get(self, name: str) -> Channel:
        return self.config.get(name)
