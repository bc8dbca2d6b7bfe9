from __future__ import annotations

from pathlib import Path

import dagster as dg

from shortsmith.music import synthesize_bed


class MusicProvider(dg.ConfigurableResource):
    """Supplies a background music bed of a given length."""

    def bed(self, out_wav: Path, *, duration_s: float, mood: str, seed: str) -> Path:
        raise NotImplementedError


class SynthMusicProvider(MusicProvider):
    """A synthesized ambient bed (numpy), different per video, no files or network needed."""

    def bed(self, out_wav: Path, *, duration_s: float, mood: str, seed: str) -> Path:
        return synthesize_bed(out_wav, duration_s, seed=seed, mood=mood)
