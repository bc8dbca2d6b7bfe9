"""OpenAI video (Sora) through the official ``openai`` SDK's ``videos`` API (no Dagster).

Wire protocol (openai-python ``resources/videos.py``): ``POST /v1/videos`` (multipart form:
``prompt``, ``model`` sora-2|sora-2-pro, ``seconds`` "4"|"8"|"12", ``size`` 720x1280|1280x720|
1024x1792|1792x1024, optional ``input_reference`` image file that must match ``size``) answers
a ``video`` object ``{"id", "object": "video", "model", "status": queued|in_progress|completed|
failed, "progress", "seconds", "size", "created_at", "completed_at", "expires_at", "error":
{"code", "message"}}``; ``GET /v1/videos/{id}`` the same object; ``GET /v1/videos/{id}/content``
the MP4 bytes. The pinned SDK marks this API deprecated ("scheduled to permanently shut down on
September 24, 2026"): the provider still speaks it, for accounts and compatible servers that offer it.
"""

from __future__ import annotations

import io
import json
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ..resilience import ProviderError, ProviderUnavailable, http_error
from ..visuals import download_clip
from .jobs import JobRequest, JobStatus, VideoBackend

PROVIDER = "sora"
SECONDS = (4, 8, 12)
PORTRAIT_SIZES = {"sora-2": ("720x1280",), "sora-2-pro": ("720x1280", "1024x1792")}
SHUTDOWN_NOTE = "the pinned openai SDK says the Sora API is scheduled to shut down on 2026-09-24"
_REFUSAL_WORDS = ("moderation", "safety", "policy", "blocked")


def is_refusal(code: str | None, message: str | None) -> bool:
    text = f"{code or ''} {message or ''}".lower()
    return any(w in text for w in _REFUSAL_WORDS)


@contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():  # the SDK's deprecation notice is logged once by the provider instead
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def classify_sora(exc: BaseException, index: int = 0, *, key_env: str = "OPENAI_API_KEY") -> ProviderError | None:
    """An openai SDK exception: moderation refusals -> unavailable (fall back), 429/5xx/transport -> transient,
    other 4xx -> a clear error naming the setting."""
    import httpx
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return ProviderError("the request timed out", provider=PROVIDER, transient=True)
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError(f"connection failed ({type(exc.__cause__ or exc).__name__})", provider=PROVIDER,
                             transient=True)
    if isinstance(exc, openai.APIStatusError):
        code = getattr(exc, "code", None)
        if exc.status_code == 400 and is_refusal(code, exc.message):
            return ProviderUnavailable(f"the prompt of scene {index} was refused ({code}): {exc.message}",
                                       provider=PROVIDER, field=f"beats[{index}].visual_prompt",
                                       fix="rephrase the beat's visual_prompt; the next visual provider makes it")
        err = http_error(PROVIDER, exc.status_code, exc.message, exc.response.headers,
                         auth_fix=f"set {key_env} to a valid key with access to the videos API")
        if exc.status_code in (401, 403):
            return ProviderError(err.detail, provider=PROVIDER, status=exc.status_code, field=key_env, fix=err.fix)
        if not err.transient:
            param = getattr(exc, "param", None) or ""
            field = {"size": "providers.sora.size", "seconds": "providers.sora.model", "model": "providers.sora.model",
                     "input_reference": "providers.sora.first_frame"}.get(param, f"beats[{index}].visual_prompt")
            return ProviderError(err.detail, provider=PROVIDER, status=exc.status_code, field=field,
                                 fix="sora-2 takes size 720x1280 and seconds 4/8/12; sora-2-pro also 1024x1792")
        return err
    transport: tuple[type, ...] = (httpx.TransportError,)
    decoding: tuple[type, ...] = (httpx.DecodingError,)
    try:  # this openai SDK is built on httpx2 (its own copy of httpx): a cut stream raises its errors
        import httpx2

        transport, decoding = transport + (httpx2.TransportError,), decoding + (httpx2.DecodingError,)
    except ImportError:
        pass
    if isinstance(exc, (openai.APIResponseValidationError, json.JSONDecodeError) + decoding):
        return ProviderError(f"the response was malformed ({type(exc).__name__})", provider=PROVIDER, transient=True)
    if isinstance(exc, transport):
        return ProviderError(f"connection failed ({type(exc).__name__})", provider=PROVIDER, transient=True)
    return None


class _SdkStream:
    """``download_clip``'s ``client.stream(...)`` over the SDK's streaming download (keeps auth in the SDK)."""

    def __init__(self, client: Any, job_id: str):
        self.client, self.job_id = client, job_id

    @contextmanager
    def stream(self, method: str, url: str, headers: dict | None = None) -> Iterator[Any]:
        with _quiet(), self.client.videos.with_streaming_response.download_content(self.job_id) as resp:
            yield resp


class SoraBackend(VideoBackend):
    provider = PROVIDER

    def __init__(self, client: Any, *, size: str = "720x1280", secrets: tuple[str, ...] = ()):
        self.client, self.size, self.secrets = client, size, secrets

    def create(self, req: JobRequest) -> str:
        kwargs: dict[str, Any] = {"prompt": req.prompt, "model": req.model, "seconds": str(req.seconds),
                                  "size": req.options.get("size", self.size)}
        if req.first_frame is not None:
            kwargs["input_reference"] = (f"scene_{req.index:02d}.png", io.BytesIO(req.first_frame), "image/png")
        with _quiet():
            video = self.client.videos.create(**kwargs)
        if not getattr(video, "id", None):
            raise ProviderError("the answer had no video id", provider=PROVIDER, transient=True)
        return str(video.id)

    def status(self, job_id: str) -> JobStatus:
        with _quiet():
            video = self.client.videos.retrieve(job_id)
        state = {"queued": "queued", "in_progress": "running", "completed": "succeeded"}.get(video.status, "failed")
        message = ""
        if state == "failed":
            err = getattr(video, "error", None)
            code, text = (getattr(err, "code", None), getattr(err, "message", None)) if err else (None, None)
            message = f"{code or 'failed'}: {text or 'no reason given'}"
            if is_refusal(code, text):
                state = "refused"
        return JobStatus(state=state, progress=float(getattr(video, "progress", 0) or 0), message=message)

    def download(self, job_id: str, status: JobStatus, dest: Path, *, max_bytes: int, deadline_s: float) -> int:
        return download_clip(_SdkStream(self.client, job_id), f"videos/{job_id}/content", dest, max_bytes=max_bytes,
                             provider=PROVIDER, deadline_s=deadline_s)

    def classify(self, exc: BaseException, index: int) -> ProviderError | None:
        return classify_sora(exc, index)


__all__ = ["PORTRAIT_SIZES", "SECONDS", "SHUTDOWN_NOTE", "SoraBackend", "classify_sora", "is_refusal"]
