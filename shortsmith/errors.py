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
        parts = []
        if field:
            parts.append(f"[{field}]")
        parts.append(message)
        if fix:
            parts.append(f"Fix: {fix}")
        super().__init__(" ".join(parts))


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
