"""Transcribers: offline faster-whisper (always configured) and OpenAI's transcription API, one interface.

The logic lives in ``shortsmith.transcribe``; these resources carry the configuration:
``SHORTSMITH_WHISPER_MODEL`` (another CTranslate2 model directory; default: the bundled, pinned
tiny.en), ``SHORTSMITH_WHISPER_THREADS``, and for OpenAI the usual ``OPENAI_API_KEY`` /
``OPENAI_BASE_URL`` (as ``dagster.EnvVar``) plus ``OPENAI_TRANSCRIBE_MODEL`` (default whisper-1, the
model that returns word timestamps).
"""

from __future__ import annotations

import os
from abc import abstractmethod
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from shortsmith.resilience import CallContext
from shortsmith.transcribe import Transcriber, Transcript

from .. import settings
from .provider_set import Provider, ProviderSet
from .script_writer import OpenAIConnection, classify_openai


class TranscriberProvider(Provider):
    """Speech in a media file -> words with start/end seconds, segments and the language."""

    @abstractmethod
    def core(self, calls: CallContext | None = None) -> Transcriber:
        """The shortsmith Transcriber this resource configures."""

    def transcribe(self, media: Path, *, language: str | None = None, calls: CallContext | None = None) -> Transcript:
        return self.core(calls).transcribe(Path(media), language=language)

    def describe(self) -> dict:
        return self.core().describe()


class LocalTranscriber(TranscriberProvider):
    provider: ClassVar[str] = "local"

    model_dir: str = Field(default="", description="SHORTSMITH_WHISPER_MODEL; empty: the bundled tiny.en")
    threads: int = 2
    beam_size: int = 5

    def core(self, calls: CallContext | None = None) -> Transcriber:
        from shortsmith.transcribe.local import WhisperLocal

        return WhisperLocal(self.model_dir, threads=self.threads, beam_size=self.beam_size)


class OpenAITranscriberResource(OpenAIConnection, TranscriberProvider):
    model: str = "whisper-1"

    def core(self, calls: CallContext | None = None) -> Transcriber:
        from shortsmith.transcribe.cloud import OpenAITranscriber

        return OpenAITranscriber(self._client, model=self.model, calls=calls,
                                 classify=lambda e: classify_openai(e, "openai-transcribe"),
                                 max_attempts=self.max_attempts, per_minute=self.requests_per_minute,
                                 secrets=(self.api_key,) if self.api_key else ())

    def describe(self) -> dict:
        return {"provider": "openai", "model": self.model, "base_url": self.base_url or "openai"}


class Transcribers(ProviderSet):
    """``local`` (faster-whisper, bundled weights) and ``openai``; the default order is openai, then local
    when OpenAI is configured, else local alone (see :meth:`chain`)."""

    local: LocalTranscriber
    openai: OpenAITranscriberResource

    @classmethod
    def from_settings(cls, s: settings.ProviderSettings) -> "Transcribers":
        return cls(local=LocalTranscriber(model_dir=os.environ.get("SHORTSMITH_WHISPER_MODEL", ""),
                                          threads=int(os.environ.get("SHORTSMITH_WHISPER_THREADS", "2") or 2)),
                   openai=OpenAITranscriberResource(**OpenAIConnection.connection(s.openai),
                                                    model=os.environ.get("OPENAI_TRANSCRIBE_MODEL", "whisper-1"),
                                                    requests_per_minute=s.openai.requests_per_minute))

    def chain(self, preferred: str = "") -> list[str]:
        """Names to try in order: ``preferred`` first when configured (SHORTSMITH_TRANSCRIBER), then local."""
        preferred = preferred or os.environ.get("SHORTSMITH_TRANSCRIBER", "local")
        order = [preferred] + [n for n in ("local", "openai") if n != preferred]
        return [n for n in order if self.get(n) is not None]


def time_words_from_audio(vo, wav, transcribers: Transcribers, log=lambda message: None):
    """A voiceover whose words were only spread by letters (a voice without timestamps, e.g. espeak-ng)
    re-timed from its own audio with the offline transcriber; unchanged when the audio does not match."""
    from dataclasses import replace

    from shortsmith.errors import ShortsmithError
    from shortsmith.transcribe.align import retime_voiceover

    local = transcribers.get("local")
    if vo.timing_source != "character-weights" or local is None:
        return vo
    try:
        aligned, heard = retime_voiceover(replace(vo, wav_path=str(wav)), local.core())
    except ShortsmithError as exc:  # no model installed: keep the letter-weighted times
        log(f"word times stay letter-weighted: {exc}")
        return vo
    log(f"word times from the audio's transcript: {heard:.0%} of the words heard ({aligned.timing_source})")
    return replace(aligned, wav_path=vo.wav_path)
