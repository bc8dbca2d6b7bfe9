"""Errors a user can act on.

Every error names the field (or thing) that is wrong and how to fix it, so that a
failed Dagster step tells the operator what to do without reading a traceback.
"""

from __future__ import annotations


class ShortsmithError(Exception):
    """Base class: ``field`` is what is wrong, ``fix`` is what to do about it."""

    def __init__(self, message: str, *, field: str | None = None, fix: str | None = None):
        self.field = field
        self.fix = fix
        self.message = message
        super().__init__(self._text())

    def _text(self) -> str:
        parts = [f"[{self.field}]"] if self.field else []
        parts.append(self.message)
        if self.fix:
            parts.append(f"Fix: {self.fix}")
        return " ".join(parts)

    def in_channel(self, channel: str) -> "ShortsmithError":
        """Name the channel in a field written as ``channels[..]`` by code that did not know it."""
        if self.field and "channels[..]" in self.field:
            self.field = self.field.replace("channels[..]", f"channels ({channel})")
            self.args = (self._text(),)
        return self


class ConfigError(ShortsmithError):
    """channels.yaml or run configuration is invalid."""


class InputError(ShortsmithError):
    """A topic, narrative or other user input cannot be used."""


class ToolMissingError(ShortsmithError):
    """A required program or model (ffmpeg, a voice model) is missing."""


class MediaError(ShortsmithError):
    """Rendering or probing media failed."""


class ValidationFailed(ShortsmithError):
    """A produced artifact does not meet the publishing requirements."""
