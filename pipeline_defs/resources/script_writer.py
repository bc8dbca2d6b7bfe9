"""Script writers: the offline writer and OpenAI (or any OpenAI-compatible server) behind one interface."""

from __future__ import annotations

import json
from abc import abstractmethod
from typing import ClassVar, Optional

import dagster as dg
from pydantic import Field

from shortsmith.config import Channel, TopicSeed
from shortsmith.errors import ConfigError
from shortsmith.llm_script import build_messages, correction_message, parse_script, response_format
from shortsmith.model import Script
from shortsmith.resilience import CallContext, ProviderError, RetryPolicy
from shortsmith.script import write_offline_script

from .. import settings
from ..settings import ProviderSettings
from .provider_set import Provider, ProviderSet


def with_source_facts(channel: Channel, topic: str, seed: TopicSeed | None, limit: int = 12) -> TopicSeed | None:
    """The seed with its source's best sentences added to its points: a model writes from them too."""
    if not seed or not seed.source:
        return seed
    from dataclasses import replace

    from shortsmith.grounded import gather_facts

    facts, _ = gather_facts(channel, topic, seed)
    return replace(seed, points=tuple(f.text for f in facts[:max(limit, len(seed.points))]))


def model_configured(channel: Channel, s: ProviderSettings | None = None) -> str | None:
    """The script model this channel can use in this deployment (its providers.script and the settings), or None."""
    s = s or settings.load().providers
    chain = channel.providers.chain("script")
    if "openai" in chain and (s.openai.key_set or s.openai.base_url_set):
        return "openai"
    if "local" in chain and s.local_llm.model_path:
        return "local"
    return None


def ungrounded_reason(channel: Channel, topic: str, seed: TopicSeed | None) -> str | None:
    """Why no script can be written for this topic without filler (no facts and no model), or None."""
    from shortsmith.grounded import is_grounded, no_grounding_error

    if is_grounded(seed) or model_configured(channel):
        return None
    return str(no_grounding_error(channel, topic))


class ScriptWriter(Provider):
    """Writes a structured script (hook, promise, body beats, call to action) for a topic."""

    @abstractmethod
    def write(self, channel: Channel, topic: str, seed: TopicSeed | None, calls: CallContext | None = None) -> Script:
        """The script, checked against the channel's structure and duration budget."""

    def describe(self) -> dict:
        """What the cache fingerprint of a script depends on."""
        return {"provider": self.provider}


class OfflineScriptWriter(ScriptWriter):
    """Deterministic and topic-aware; builds the body from the topic's points in channels.yaml."""

    provider: ClassVar[str] = "offline"

    def write(self, channel: Channel, topic: str, seed: TopicSeed | None, calls: CallContext | None = None) -> Script:
        return write_offline_script(channel, topic, seed)


class LocalModelScriptWriter(ScriptWriter):
    """An instruct GGUF run inside the process by llama.cpp (cyllama, prebuilt): SHORTSMITH_LLM_GGUF."""

    provider: ClassVar[str] = "local"
    configure_hint: ClassVar[str] = "set SHORTSMITH_LLM_GGUF to an instruct .gguf file and pip install cyllama==0.2.18"

    model_path: str = Field(default="", description="the .gguf file (SHORTSMITH_LLM_GGUF); never downloaded")
    max_tokens: int = 1400
    temperature: float = 0.4
    threads: int = 0  # 0: llama.cpp's default

    def is_configured(self) -> bool:
        return bool(self.model_path)

    def describe(self) -> dict:
        from pathlib import Path

        return {"provider": self.provider, "model": Path(self.model_path).name}

    def write(self, channel: Channel, topic: str, seed: TopicSeed | None, calls: CallContext | None = None) -> Script:
        from shortsmith.local_llm import write_local_script

        log = calls.log if calls is not None else (lambda message: None)
        return write_local_script(channel, topic, with_source_facts(channel, topic, seed), model_path=self.model_path,
                                  max_tokens=self.max_tokens, temperature=self.temperature, threads=self.threads,
                                  log=log)


def classify_openai(exc: BaseException, provider: str, *, key_env: str = "OPENAI_API_KEY") -> ProviderError | None:
    """An openai SDK exception as a ProviderError: 429/5xx/timeouts/cut connections/bad bodies are transient."""
    import httpx
    import openai

    from shortsmith.resilience import http_error

    if isinstance(exc, openai.APITimeoutError):
        return ProviderError("the request timed out", provider=provider, transient=True)
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError(f"connection failed ({type(exc.__cause__ or exc).__name__})", provider=provider,
                             transient=True)
    if isinstance(exc, openai.APIStatusError):
        return http_error(provider, exc.status_code, exc.message, exc.response.headers,
                          auth_fix=f"set {key_env} to a valid key (or point the base URL at your server)",
                          fix_4xx="the request was rejected; see the message (model name, prompt or size)")
    if isinstance(exc, (openai.APIResponseValidationError, json.JSONDecodeError, httpx.DecodingError, ValueError)):
        return ProviderError(f"the response was malformed ({type(exc).__name__})", provider=provider, transient=True)
    return None


def openai_client(api_key: str, base_url: str | None, timeout_s: float):
    """The official client with its own retries off (``calls.call`` is the only retry loop)."""
    import openai

    if not api_key and not base_url:
        raise ConfigError("no OpenAI key", field="OPENAI_API_KEY",
                          fix="set OPENAI_API_KEY, or OPENAI_BASE_URL for a local OpenAI-compatible server")
    return openai.OpenAI(api_key=api_key or "not-needed", base_url=base_url, timeout=timeout_s, max_retries=0)


class OpenAIConnection(Provider):
    """What every OpenAI-backed provider shares: the key or server, and how calls are bounded."""

    provider: ClassVar[str] = "openai"
    configure_hint: ClassVar[str] = "set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)"

    api_key: str = Field(default="", description="OPENAI_API_KEY (a local server may not need one)")
    base_url: Optional[str] = Field(default=None, description="e.g. http://127.0.0.1:8000/v1 for llama.cpp/vLLM/Ollama")
    timeout_s: float = 60.0
    max_attempts: int = 4
    requests_per_minute: int = 0  # 0: no limit of our own (the provider's 429s are still honoured)

    def is_configured(self) -> bool:
        return bool(self.api_key or self.base_url)

    @classmethod
    def connection(cls, s: settings.OpenAISettings) -> dict:
        """The key and server as dagster.EnvVar when this deployment sets them (else: not configured)."""
        return {"api_key": dg.EnvVar("OPENAI_API_KEY") if s.key_set else "",
                "base_url": dg.EnvVar("OPENAI_BASE_URL") if s.base_url_set else None}

    def _client(self):
        return openai_client(self.api_key, self.base_url, self.timeout_s)


class OpenAIScriptWriter(OpenAIConnection, ScriptWriter):
    """Chat completions with a JSON schema (structured output); any OpenAI-compatible server via ``base_url``.

    The answer is checked (structure, duration budget, YouTube limits); a bad one gets one
    corrective turn, then the step fails with what was wrong.
    """

    model: str = "gpt-4o-mini"
    temperature: float = 0.7
    response_format: str = Field(default="json_schema",
                                 description="json_schema (OpenAI, vLLM, llama.cpp) or json_object (older servers)")

    def describe(self) -> dict:
        return {"provider": self.provider, "model": self.model, "base_url": self.base_url or "openai"}

    def write(self, channel: Channel, topic: str, seed: TopicSeed | None, calls: CallContext | None = None) -> Script:
        from shortsmith.resilience import offline_calls

        calls = calls or offline_calls()
        client = self._client()
        messages = build_messages(channel, topic, with_source_facts(channel, topic, seed))
        writer = f"openai:{self.model}"
        problems = []
        for turn in (1, 2):
            completion = calls.call(
                lambda: client.chat.completions.create(model=self.model, messages=messages,
                                                       response_format=response_format(self.response_format),
                                                       temperature=self.temperature),
                provider="openai-chat", classify=lambda e: classify_openai(e, "openai-chat"),
                policy=RetryPolicy(max_attempts=self.max_attempts), per_minute=self.requests_per_minute,
                secrets=[self.api_key])
            usage = getattr(completion, "usage", None)
            calls.meter.add("openai-chat", "script" if turn == 1 else "script-correction",
                            input_token=getattr(usage, "prompt_tokens", 0) or 0,
                            output_token=getattr(usage, "completion_tokens", 0) or 0)
            if not completion.choices:
                raise ProviderError("the answer had no choices", provider="openai-chat", transient=True)
            message = completion.choices[0].message
            if getattr(message, "refusal", None):
                raise ProviderError(f"the model refused: {message.refusal}", provider="openai-chat",
                                    field="topic", fix="choose a different topic or rephrase it")
            parsed = parse_script(message.content, channel, topic, writer=writer)
            if parsed.script is not None and not parsed.problems:
                calls.log(f"openai: script for {topic!r} written by {self.model} in {turn} turn(s)")
                return parsed.script
            problems = parsed.problems
            calls.log("openai: the script needs correcting: " + "; ".join(f"{p.field}: {p.message}" for p in problems))
            messages = messages + [{"role": "assistant", "content": message.content or ""},
                                   correction_message(problems, channel)]
        raise ProviderError(
            "the model returned an unusable script twice: " + "; ".join(f"{p.field}: {p.message}" for p in problems),
            provider="openai-chat", field=f"channels.{channel.name}.providers.script",
            fix="use a stronger model (OPENAI_MODEL), widen target_seconds, or put 'offline' after 'openai' "
                "and re-run")



class ScriptWriters(ProviderSet):
    """Script writers: ``offline`` (always configured), ``openai`` (OPENAI_API_KEY or OPENAI_BASE_URL) and
    ``local`` (SHORTSMITH_LLM_GGUF: a GGUF run in-process by cyllama)."""

    offline: OfflineScriptWriter
    openai: OpenAIScriptWriter
    local: LocalModelScriptWriter

    @classmethod
    def from_settings(cls, s: ProviderSettings) -> "ScriptWriters":
        o = s.openai
        return cls(offline=OfflineScriptWriter(),
                   openai=OpenAIScriptWriter(**OpenAIConnection.connection(o), model=o.model,
                                             response_format=o.response_format,
                                             requests_per_minute=o.requests_per_minute),
                   local=LocalModelScriptWriter(model_path=s.local_llm.model_path, threads=s.local_llm.threads))
