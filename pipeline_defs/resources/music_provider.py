"""The music bed: composed per video offline, behind one interface."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

from shortsmith.music import synthesize_bed

from .provider_set import Provider


class MusicProvider(Provider):
    """Supplies a background music bed of a given length."""

    @abstractmethod
    def bed(self, out_wav: Path, *, duration_s: float, mood: str, seed: str) -> Path:
        """Write a bed of ``duration_s`` seconds in ``mood`` to ``out_wav`` (``seed``: the same bed every time)."""


class SynthMusicProvider(MusicProvider):
    """A synthesized ambient bed (numpy), different per video, no files or network needed."""

    def bed(self, out_wav: Path, *, duration_s: float, mood: str, seed: str) -> Path:
        return synthesize_bed(out_wav, duration_s, seed=seed, mood=mood)
