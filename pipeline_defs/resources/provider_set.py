"""What every provider resource and every provider set shares.

A ``Provider`` is one implementation of a capability (a script writer, a voice, ...). It always
exists in the code location; ``is_configured()`` says whether this deployment can use it, and
``configure_hint`` what to set when it cannot. A ``ProviderSet`` holds every provider of one
capability by the name a channel uses in ``providers:`` (channels.yaml); the asset's chain
(``pipeline_defs.providers.ProviderRun.chain``, e.g. ``voice: [elevenlabs, piper]``) gets only the
configured ones and logs a skipped one with its hint.
"""

from __future__ import annotations

from abc import ABC
from typing import ClassVar

import dagster as dg


class Provider(dg.ConfigurableResource, ABC):
    """One implementation of a capability."""

    provider: ClassVar[str] = ""  # its name in a channel's ``providers:`` lists and its logs
    configure_hint: ClassVar[str] = ""  # what to set so that is_configured() holds

    def is_configured(self) -> bool:
        """Whether this deployment has what the provider needs (a key, a server, a switch)."""
        return True


class ProviderSet(dg.ConfigurableResource):
    """Every provider of one capability, always declared (the resource set never depends on the
    environment); a subclass lists them as fields named as in a channel's ``providers:``."""

    def providers(self) -> dict[str, Provider]:
        return {name: getattr(self, name) for name in type(self).model_fields}

    def get(self, name: str) -> Provider | None:
        """The provider ``name`` if it is configured here, else None (the chain skips it)."""
        provider = self.providers().get(name)
        return provider if provider is not None and provider.is_configured() else None

    def configured(self) -> list[str]:
        return [name for name, provider in self.providers().items() if provider.is_configured()]

    def unconfigured_hints(self) -> dict[str, str]:
        """For each provider not configured here: what to set (logged when a chain skips it)."""
        return {name: p.configure_hint for name, p in self.providers().items() if not p.is_configured()}
