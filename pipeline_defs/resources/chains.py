"""Per-capability provider sets: every provider this deployment has configured, by the name a
channel uses in ``providers:`` (channels.yaml). The offline provider is always there; a cloud
one is present only when its key (or server URL) is set, see ``definitions.provider_resources``.

Assets take these sets and let ``pipeline_defs.providers.ProviderRun.chain`` walk the channel's
chain (e.g. ``voice: [elevenlabs, piper]``) with retries, circuit breakers and fallbacks.
"""

from __future__ import annotations

from typing import Optional

import dagster as dg

from .images import DiffusersImageProvider, OpenAIImageProvider, PexelsClipProvider, ProceduralImageProvider
from .script_writer import LocalModelScriptWriter, OfflineScriptWriter, OpenAIScriptWriter
from .trends import GoogleTrendsSource, OfflineTrendSource, YouTubeTrendSource
from .voice import ElevenLabsVoiceProvider, PiperVoiceProvider


class _ProviderSet(dg.ConfigurableResource):
    def get(self, name: str):
        return getattr(self, name, None)

    def configured(self) -> list[str]:
        return [name for name in type(self).model_fields if getattr(self, name, None) is not None]


class ScriptWriters(_ProviderSet):
    """Script writers: ``offline`` (always), ``openai`` (OPENAI_API_KEY or OPENAI_BASE_URL) and ``local``
    (SHORTSMITH_LLM_GGUF: a GGUF run in-process by cyllama)."""

    offline: OfflineScriptWriter
    openai: Optional[OpenAIScriptWriter] = None
    local: Optional[LocalModelScriptWriter] = None



class VoiceProviders(_ProviderSet):
    """Voices: ``piper`` (always; espeak-ng as its own fallback) and ``elevenlabs`` (ELEVENLABS_API_KEY)."""

    piper: PiperVoiceProvider
    elevenlabs: Optional[ElevenLabsVoiceProvider] = None



class VisualProviders(_ProviderSet):
    """Scene visuals, chosen per beat: ``procedural`` (always), ``pexels`` stock clips (PEXELS_API_KEY),
    ``openai`` images (OPENAI_API_KEY / OPENAI_BASE_URL) and local ``diffusers`` (SHORTSMITH_DIFFUSERS=1)."""

    procedural: ProceduralImageProvider
    pexels: Optional[PexelsClipProvider] = None
    openai: Optional[OpenAIImageProvider] = None
    diffusers: Optional[DiffusersImageProvider] = None


class TrendSources(_ProviderSet):
    """Trend sources, merged (not a fallback chain): ``offline`` (always), ``google_trends``
    (SHORTSMITH_GOOGLE_TRENDS=1) and ``youtube`` (YOUTUBE_API_KEY)."""

    offline: OfflineTrendSource
    google_trends: Optional[GoogleTrendsSource] = None
    youtube: Optional[YouTubeTrendSource] = None


# -- built from the environment (secrets only as dagster.EnvVar) ------------------------------

def _env(name: str) -> bool:
    import os

    return bool(os.environ.get(name))


def _env_or(name: str, default):
    import os

    return os.environ.get(name) or default


def _openai_connection() -> dict:
    return {"api_key": dg.EnvVar("OPENAI_API_KEY") if _env("OPENAI_API_KEY") else "",
            "base_url": dg.EnvVar("OPENAI_BASE_URL") if _env("OPENAI_BASE_URL") else None}


def script_writers_from_env() -> ScriptWriters:
    """OPENAI_API_KEY and/or OPENAI_BASE_URL enable ``openai``; OPENAI_MODEL picks the model."""
    openai = None
    if _env("OPENAI_API_KEY") or _env("OPENAI_BASE_URL"):
        openai = OpenAIScriptWriter(
            **_openai_connection(),
            model=_env_or("OPENAI_MODEL", "gpt-4o-mini"),
            response_format=_env_or("OPENAI_RESPONSE_FORMAT", "json_schema"),
            requests_per_minute=int(_env_or("OPENAI_RPM", 0)),
        )
    local = None
    if _env("SHORTSMITH_LLM_GGUF"):  # a path, not a secret
        local = LocalModelScriptWriter(model_path=_env_or("SHORTSMITH_LLM_GGUF", ""),
                                       threads=int(_env_or("SHORTSMITH_LLM_THREADS", 0)))
    return ScriptWriters(offline=OfflineScriptWriter(), openai=openai, local=local)


def voice_providers_from_env() -> VoiceProviders:
    """ELEVENLABS_API_KEY enables ``elevenlabs`` (ELEVENLABS_BASE_URL: another endpoint, e.g. a proxy)."""
    elevenlabs = None
    if _env("ELEVENLABS_API_KEY"):
        elevenlabs = ElevenLabsVoiceProvider(
            api_key=dg.EnvVar("ELEVENLABS_API_KEY"),
            base_url=dg.EnvVar("ELEVENLABS_BASE_URL") if _env("ELEVENLABS_BASE_URL") else None,
            requests_per_minute=int(_env_or("ELEVENLABS_RPM", 0)),
        )
    return VoiceProviders(piper=PiperVoiceProvider(), elevenlabs=elevenlabs)


def trend_sources_from_env() -> TrendSources:
    """SHORTSMITH_GOOGLE_TRENDS=1 enables ``google_trends`` (GOOGLE_TRENDS_GEO/_HL); YOUTUBE_API_KEY enables
    ``youtube`` (YOUTUBE_REGION, default US)."""
    google = None
    if _env_or("SHORTSMITH_GOOGLE_TRENDS", "0") not in ("0", "false", "no", "off"):
        google = GoogleTrendsSource(geo=_env_or("GOOGLE_TRENDS_GEO", ""), hl=_env_or("GOOGLE_TRENDS_HL", "en-US"),
                                    **({"base_url": _env_or("GOOGLE_TRENDS_BASE_URL", "")}
                                       if _env("GOOGLE_TRENDS_BASE_URL") else {}),
                                    requests_per_minute=int(_env_or("GOOGLE_TRENDS_RPM", 10)))
    youtube = None
    if _env("YOUTUBE_API_KEY"):
        youtube = YouTubeTrendSource(api_key=dg.EnvVar("YOUTUBE_API_KEY"), region_code=_env_or("YOUTUBE_REGION", "US"),
                                     root_url=_env_or("YOUTUBE_API_ROOT_URL", None))
    return TrendSources(offline=OfflineTrendSource(), google_trends=google, youtube=youtube)


def visual_providers_from_env() -> VisualProviders:
    """PEXELS_API_KEY enables ``pexels``; OPENAI_API_KEY / OPENAI_BASE_URL enable ``openai`` (OPENAI_IMAGE_MODEL,
    default gpt-image-1); SHORTSMITH_DIFFUSERS=1 enables ``diffusers`` (a GPU worker with local weights)."""
    pexels = None
    if _env("PEXELS_API_KEY"):
        pexels = PexelsClipProvider(api_key=dg.EnvVar("PEXELS_API_KEY"),
                                    base_url=_env_or("PEXELS_BASE_URL", "https://api.pexels.com"),
                                    requests_per_minute=int(_env_or("PEXELS_RPM", 3)))  # ~200/hour by default
    openai = None
    if _env("OPENAI_API_KEY") or _env("OPENAI_BASE_URL"):
        openai = OpenAIImageProvider(
            **_openai_connection(),
            model=_env_or("OPENAI_IMAGE_MODEL", "gpt-image-1"),
            requests_per_minute=int(_env_or("OPENAI_IMAGES_RPM", 0)),
        )
    diffusers = None
    if _env_or("SHORTSMITH_DIFFUSERS", "0") not in ("0", "false", "no", "off"):
        diffusers = DiffusersImageProvider()
    return VisualProviders(procedural=ProceduralImageProvider(), pexels=pexels, openai=openai, diffusers=diffusers)
