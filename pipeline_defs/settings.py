"""Every setting the code location takes from the environment, read in one place (``load``).

Secrets are never read here: only whether their variable is set, so the resource that needs one
can declare it as ``dagster.EnvVar`` (Dagster resolves an EnvVar when a step's resources start and
fails the step if the variable is unset, so a provider without its key keeps an empty key and
reports itself unconfigured instead).

Paths
  SHORTSMITH_HOME           working folder (default: <project>/.shortsmith)
  SHORTSMITH_CHANNELS       the channels config (default: <project>/channels.yaml)
  SHORTSMITH_MEDIA          stage outputs (default: $SHORTSMITH_HOME/media)
  SHORTSMITH_CHANNEL_DIR    the offline publisher's channel folders (default: $SHORTSMITH_HOME/channel)
  SHORTSMITH_RENDER_SIZE    output frame size WxH (default 1080x1920; tests use a small 9:16 size)
  SHORTSMITH_RENDER_DEPTH   on (default): offline scenes move as parallax layers; off: flat Ken Burns
                            (cheaper to render: see README "Depth in motion")
Automation
  SHORTSMITH_INBOX          where narratives are dropped: a folder, or s3://bucket/prefix
                            (default: $SHORTSMITH_HOME/inbox)
  SHORTSMITH_INBOX_CHANNEL  the channel for a narrative without a 'channel:' line (default: the first one)
  SHORTSMITH_ALERT_WEBHOOK  a URL that receives failed-run alerts as JSON (default: none, the alerts log)
  SHORTSMITH_ALERTS_LOG     the local alerts log (default: $SHORTSMITH_HOME/alerts.log)
  SHORTSMITH_AUTOMATION     'on': schedules and sensors start RUNNING (the compose stack sets it);
                            unset or 'off' (default): STOPPED until turned on in the UI
Storage (README "Storage")
  SHORTSMITH_STORAGE        local (default) or s3; SHORTSMITH_S3_BUCKET, SHORTSMITH_S3_PREFIX (shortsmith),
                            SHORTSMITH_S3_ENDPOINT_URL (MinIO), AWS_REGION / AWS_DEFAULT_REGION,
                            AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
Providers (README "Cloud providers"): see ``ProviderSettings``.
Execution: see ``ExecutorSettings`` and ``pipeline_defs.executors``.
Publishing to YouTube: SHORTSMITH_YOUTUBE_INSERTS_PER_DAY, _UNITS_PER_DAY, _CHUNK_BYTES, _ROOT_URL, _TOKEN_URI.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from shortsmith.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ALERT_WEBHOOK_ENV = "SHORTSMITH_ALERT_WEBHOOK"
OFF = ("0", "false", "no", "off")


@dataclass(frozen=True)
class OpenAISettings:
    key_set: bool = False  # OPENAI_API_KEY
    base_url_set: bool = False  # OPENAI_BASE_URL: any OpenAI-compatible server (llama.cpp, vLLM, Ollama)
    model: str = "gpt-4o-mini"  # OPENAI_MODEL
    response_format: str = "json_schema"  # OPENAI_RESPONSE_FORMAT
    requests_per_minute: int = 0  # OPENAI_RPM
    image_model: str = "gpt-image-1"  # OPENAI_IMAGE_MODEL
    images_requests_per_minute: int = 0  # OPENAI_IMAGES_RPM


@dataclass(frozen=True)
class ElevenLabsSettings:
    key_set: bool = False  # ELEVENLABS_API_KEY
    base_url_set: bool = False  # ELEVENLABS_BASE_URL: another endpoint, e.g. a proxy
    requests_per_minute: int = 0  # ELEVENLABS_RPM


@dataclass(frozen=True)
class PexelsSettings:
    key_set: bool = False  # PEXELS_API_KEY
    base_url: str = "https://api.pexels.com"  # PEXELS_BASE_URL
    requests_per_minute: int = 3  # PEXELS_RPM: ~200/hour, Pexels' default allowance


@dataclass(frozen=True)
class GoogleTrendsSettings:
    enabled: bool = False  # SHORTSMITH_GOOGLE_TRENDS=1 (pytrends; no key)
    geo: str = ""  # GOOGLE_TRENDS_GEO
    hl: str = "en-US"  # GOOGLE_TRENDS_HL
    base_url: str | None = None  # GOOGLE_TRENDS_BASE_URL (only tests change it)
    requests_per_minute: int = 10  # GOOGLE_TRENDS_RPM


@dataclass(frozen=True)
class YouTubeTrendsSettings:
    key_set: bool = False  # YOUTUBE_API_KEY
    region: str = "US"  # YOUTUBE_REGION
    root_url: str | None = None  # YOUTUBE_API_ROOT_URL (only tests change it)


@dataclass(frozen=True)
class LocalLLMSettings:
    model_path: str = ""  # SHORTSMITH_LLM_GGUF: an instruct .gguf run in-process (a path, not a secret)
    threads: int = 0  # SHORTSMITH_LLM_THREADS; 0: llama.cpp's default


@dataclass(frozen=True)
class MusicApiSettings:
    """The asynchronous music API (pipeline_defs/resources/music_provider.py)."""

    configured: bool = False  # MUSIC_API_BASE_URL and MUSIC_API_KEY are set (passed as EnvVar)
    callback_url: str = "http://127.0.0.1:8000/v1/webhooks/musicapi"  # MUSIC_API_CALLBACK_URL: the studio's webhook
    wait_s: int = 600  # MUSIC_API_WAIT_S: how long the step waits for a result (a retry resumes the job)
    poll_s: int = 30  # MUSIC_API_POLL_S: how often it polls when no callback has come


@dataclass(frozen=True)
class VideoGenSettings:
    runway_key_set: bool = False  # RUNWAYML_API_SECRET (the runwayml SDK's variable)
    runway_base_url: str | None = None  # RUNWAYML_BASE_URL (only tests and proxies change it)
    sora_model: str = "sora-2"  # OPENAI_VIDEO_MODEL: sora-2 | sora-2-pro
    poll_s: float = 5.0  # SHORTSMITH_VIDEOGEN_POLL_MS / 1000: between status polls of a clip job


@dataclass(frozen=True)
class ProviderSettings:
    openai: OpenAISettings = field(default_factory=OpenAISettings)
    elevenlabs: ElevenLabsSettings = field(default_factory=ElevenLabsSettings)
    pexels: PexelsSettings = field(default_factory=PexelsSettings)
    google_trends: GoogleTrendsSettings = field(default_factory=GoogleTrendsSettings)
    youtube: YouTubeTrendsSettings = field(default_factory=YouTubeTrendsSettings)
    local_llm: LocalLLMSettings = field(default_factory=LocalLLMSettings)
    music_api: MusicApiSettings = field(default_factory=MusicApiSettings)
    diffusers: bool = False  # SHORTSMITH_DIFFUSERS=1: a GPU worker with diffusers and local weights
    videogen: VideoGenSettings = field(default_factory=VideoGenSettings)


@dataclass(frozen=True)
class StorageSettings:
    kind: str = "local"  # SHORTSMITH_STORAGE
    bucket_set: bool = False  # SHORTSMITH_S3_BUCKET (passed as EnvVar)
    prefix: str = "shortsmith"  # SHORTSMITH_S3_PREFIX
    endpoint_set: bool = False  # SHORTSMITH_S3_ENDPOINT_URL (passed as EnvVar)
    # S3Resource field -> the variable that is set for it (passed as EnvVar; unset: boto3's default chain)
    aws_vars: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ExecutorSettings:
    kind: str = "in_process"  # SHORTSMITH_EXECUTOR: in_process | multiprocess | celery | k8s
    max_concurrent: int | None = None  # SHORTSMITH_MAX_CONCURRENT_STEPS
    celery_broker_set: bool = False  # SHORTSMITH_CELERY_BROKER (passed by name: it may hold a password)
    celery_backend_set: bool = False  # SHORTSMITH_CELERY_BACKEND
    k8s_namespace: str | None = None  # SHORTSMITH_K8S_NAMESPACE
    k8s_image: str | None = None  # SHORTSMITH_K8S_IMAGE


# YouTube publisher fields set from the environment as dg.EnvVar (read when a run publishes).
YOUTUBE_PUBLISHER_VARS = {
    "SHORTSMITH_YOUTUBE_INSERTS_PER_DAY": ("insert_calls_per_day", "int"),  # the project's videos.insert quota
    "SHORTSMITH_YOUTUBE_UNITS_PER_DAY": ("units_per_day", "int"),  # the project's units quota
    "SHORTSMITH_YOUTUBE_CHUNK_BYTES": ("chunk_size", "int"),  # a multiple of 262144
    "SHORTSMITH_YOUTUBE_ROOT_URL": ("root_url", "str"),  # only to point at an emulator or proxy
    "SHORTSMITH_YOUTUBE_TOKEN_URI": ("token_uri", "str"),
}


@dataclass(frozen=True)
class Settings:
    home: Path = PROJECT_ROOT / ".shortsmith"
    channels: str = str(PROJECT_ROOT / "channels.yaml")
    media: str = str(PROJECT_ROOT / ".shortsmith" / "media")
    channel_dir: str = str(PROJECT_ROOT / ".shortsmith" / "channel")
    render_size: tuple[int, int] = (1080, 1920)
    render_depth: bool = True  # SHORTSMITH_RENDER_DEPTH
    inbox: str = str(PROJECT_ROOT / ".shortsmith" / "inbox")
    inbox_channel: str | None = None
    alerts_log: str = str(PROJECT_ROOT / ".shortsmith" / "alerts.log")
    automation_on: bool = False
    storage: StorageSettings = field(default_factory=StorageSettings)
    providers: ProviderSettings = field(default_factory=ProviderSettings)
    executor: ExecutorSettings = field(default_factory=ExecutorSettings)
    youtube_publisher_vars: tuple[str, ...] = ()  # those of YOUTUBE_PUBLISHER_VARS that are set
    youtube_inserts_per_day: int = 100
    youtube_units_per_day: int = 10_000


def load(env: Mapping[str, str] | None = None) -> Settings:
    """The settings in ``env`` (default: this process's environment); unset values take their defaults."""
    env = os.environ if env is None else env

    def get(name: str, default: str = "") -> str:
        return env.get(name) or default

    def is_set(name: str) -> bool:
        return bool(env.get(name))

    def integer(name: str, default: int) -> int:
        raw = get(name)
        try:
            return int(raw) if raw else default
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a whole number", field=name,
                              fix=f"set {name} to a number (e.g. {default}), or unset it") from None

    def switch(name: str) -> bool:
        return get(name, "0").strip().lower() not in OFF

    home = Path(get("SHORTSMITH_HOME") or PROJECT_ROOT / ".shortsmith")
    raw_size = get("SHORTSMITH_RENDER_SIZE", "1080x1920")
    try:
        w, h = (int(v) for v in raw_size.lower().split("x"))
    except ValueError:
        raise ConfigError(f"SHORTSMITH_RENDER_SIZE={raw_size!r} is not WIDTHxHEIGHT", field="SHORTSMITH_RENDER_SIZE",
                          fix="use e.g. 1080x1920, or unset it") from None
    aws = []
    for name, names in (("region_name", ("AWS_REGION", "AWS_DEFAULT_REGION")),
                        ("aws_access_key_id", ("AWS_ACCESS_KEY_ID",)),
                        ("aws_secret_access_key", ("AWS_SECRET_ACCESS_KEY",)),
                        ("aws_session_token", ("AWS_SESSION_TOKEN",))):
        var = next((n for n in names if is_set(n)), None)
        if var:
            aws.append((name, var))
    return Settings(
        home=home,
        channels=get("SHORTSMITH_CHANNELS") or str(PROJECT_ROOT / "channels.yaml"),
        media=get("SHORTSMITH_MEDIA") or str(home / "media"),
        channel_dir=get("SHORTSMITH_CHANNEL_DIR") or str(home / "channel"),
        render_size=(w, h),
        render_depth=get("SHORTSMITH_RENDER_DEPTH", "on").strip().lower() not in OFF,
        inbox=get("SHORTSMITH_INBOX") or str(home / "inbox"),
        inbox_channel=get("SHORTSMITH_INBOX_CHANNEL") or None,
        alerts_log=get("SHORTSMITH_ALERTS_LOG") or str(home / "alerts.log"),
        # off unless asked for: opening the UI on a laptop never starts production by surprise
        automation_on=get("SHORTSMITH_AUTOMATION", "off").strip().lower() in ("on", "1", "true", "yes", "running"),
        storage=StorageSettings(
            kind=get("SHORTSMITH_STORAGE", "local").strip().lower(), bucket_set=is_set("SHORTSMITH_S3_BUCKET"),
            prefix=env.get("SHORTSMITH_S3_PREFIX", "shortsmith"), endpoint_set=is_set("SHORTSMITH_S3_ENDPOINT_URL"),
            aws_vars=tuple(aws)),
        providers=ProviderSettings(
            music_api=MusicApiSettings(configured=is_set("MUSIC_API_BASE_URL") and is_set("MUSIC_API_KEY"),
                                       callback_url=get("MUSIC_API_CALLBACK_URL", MusicApiSettings.callback_url),
                                       wait_s=integer("MUSIC_API_WAIT_S", 600), poll_s=integer("MUSIC_API_POLL_S", 30)),
            openai=OpenAISettings(
                key_set=is_set("OPENAI_API_KEY"), base_url_set=is_set("OPENAI_BASE_URL"),
                model=get("OPENAI_MODEL", "gpt-4o-mini"), response_format=get("OPENAI_RESPONSE_FORMAT", "json_schema"),
                requests_per_minute=integer("OPENAI_RPM", 0), image_model=get("OPENAI_IMAGE_MODEL", "gpt-image-1"),
                images_requests_per_minute=integer("OPENAI_IMAGES_RPM", 0)),
            elevenlabs=ElevenLabsSettings(key_set=is_set("ELEVENLABS_API_KEY"),
                                          base_url_set=is_set("ELEVENLABS_BASE_URL"),
                                          requests_per_minute=integer("ELEVENLABS_RPM", 0)),
            pexels=PexelsSettings(key_set=is_set("PEXELS_API_KEY"),
                                  base_url=get("PEXELS_BASE_URL", "https://api.pexels.com"),
                                  requests_per_minute=integer("PEXELS_RPM", 3)),
            google_trends=GoogleTrendsSettings(enabled=switch("SHORTSMITH_GOOGLE_TRENDS"), geo=get("GOOGLE_TRENDS_GEO"),
                                               hl=get("GOOGLE_TRENDS_HL", "en-US"),
                                               base_url=get("GOOGLE_TRENDS_BASE_URL") or None,
                                               requests_per_minute=integer("GOOGLE_TRENDS_RPM", 10)),
            youtube=YouTubeTrendsSettings(key_set=is_set("YOUTUBE_API_KEY"), region=get("YOUTUBE_REGION", "US"),
                                          root_url=get("YOUTUBE_API_ROOT_URL") or None),
            local_llm=LocalLLMSettings(model_path=get("SHORTSMITH_LLM_GGUF"),
                                       threads=integer("SHORTSMITH_LLM_THREADS", 0)),
            diffusers=switch("SHORTSMITH_DIFFUSERS"),
            videogen=VideoGenSettings(runway_key_set=is_set("RUNWAYML_API_SECRET"),
                                      runway_base_url=get("RUNWAYML_BASE_URL") or None,
                                      sora_model=get("OPENAI_VIDEO_MODEL", "sora-2"),
                                      poll_s=integer("SHORTSMITH_VIDEOGEN_POLL_MS", 5000) / 1000),
        ),
        executor=ExecutorSettings(
            kind=get("SHORTSMITH_EXECUTOR", "in_process").strip().lower(),
            max_concurrent=integer("SHORTSMITH_MAX_CONCURRENT_STEPS", 0) or None,
            celery_broker_set=is_set("SHORTSMITH_CELERY_BROKER"), celery_backend_set=is_set("SHORTSMITH_CELERY_BACKEND"),
            k8s_namespace=get("SHORTSMITH_K8S_NAMESPACE") or None, k8s_image=get("SHORTSMITH_K8S_IMAGE") or None),
        youtube_publisher_vars=tuple(name for name in YOUTUBE_PUBLISHER_VARS if is_set(name)),
        youtube_inserts_per_day=integer("SHORTSMITH_YOUTUBE_INSERTS_PER_DAY", 100),
        youtube_units_per_day=integer("SHORTSMITH_YOUTUBE_UNITS_PER_DAY", 10_000),
    )


# The same values one at a time, for modules that need only one of them.

def home() -> Path:
    return load().home


def channels_path() -> str:
    return load().channels


def media_root() -> str:
    return load().media


def channel_dir() -> str:
    return load().channel_dir


def render_size() -> tuple[int, int]:
    return load().render_size


def inbox() -> str:
    return load().inbox


def inbox_channel() -> str | None:
    return load().inbox_channel


def alerts_log() -> str:
    return load().alerts_log


def automation_on() -> bool:
    return load().automation_on
