"""Runway through its official ``runwayml`` SDK: text-to-video and image-to-video tasks (no Dagster).

Wire protocol (runwayml-python, API version header ``X-Runway-Version: 2024-11-06``, key as
``Authorization: Bearer``): ``POST /v1/text_to_video`` ``{"model", "promptText", "ratio",
"duration"}`` and ``POST /v1/image_to_video`` ``{"model", "promptImage": <https URL or data URI,
up to 5 MB>, "promptText", "ratio", "duration"}`` answer ``{"id"}``; ``GET /v1/tasks/{id}``
answers ``{"id", "createdAt", "status": PENDING|THROTTLED|RUNNING|SUCCEEDED|FAILED|CANCELLED,
"progress"?, "output": [urls]?, "failure"?, "failureCode"?}``. A ``failureCode`` starting with
``SAFETY.`` is a moderation refusal (never retried); the output URLs expire in 24-48 h and carry
no credentials, so they are downloaded with a plain client and never sent the key.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

from ..resilience import ProviderError, ProviderUnavailable, http_error
from ..visuals import download_clip
from .jobs import JobRequest, JobStatus, VideoBackend

PROVIDER = "runway"
# model -> the durations it takes (seconds) and its portrait ratio
MODELS: dict[str, tuple[tuple[int, ...], str]] = {
    "gen4_turbo": ((5, 10), "720:1280"),  # image-to-video only
    "gen4.5": (tuple(range(2, 11)), "720:1280"),
    "veo3.1_fast": ((4, 6, 8), "1080:1920"),
    "veo3.1": ((4, 6, 8), "1080:1920"),
}
IMAGE_ONLY = {"gen4_turbo"}
MAX_DATA_URI = 5 * 1024 * 1024


def data_uri(png: bytes) -> str:
    """The still as a data URI within Runway's 5 MB limit (re-encoded as JPEG when the PNG is too big)."""
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    if len(uri) <= MAX_DATA_URI:
        return uri
    from PIL import Image

    buf = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(buf, "JPEG", quality=88)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def classify_runway(exc: BaseException, index: int = 0) -> ProviderError | None:
    import httpx
    import runwayml

    if isinstance(exc, runwayml.APITimeoutError):
        return ProviderError("the request timed out", provider=PROVIDER, transient=True)
    if isinstance(exc, runwayml.APIConnectionError):
        return ProviderError(f"connection failed ({type(exc.__cause__ or exc).__name__})", provider=PROVIDER,
                             transient=True)
    if isinstance(exc, runwayml.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        message = str(body.get("error") or exc.message)
        if exc.status_code == 400 and ("safety" in message.lower() or "moderation" in message.lower()):
            return ProviderUnavailable(f"the prompt of scene {index} was refused: {message}", provider=PROVIDER,
                                       field=f"beats[{index}].visual_prompt",
                                       fix="rephrase the beat's visual_prompt; the next visual provider makes it")
        err = http_error(PROVIDER, exc.status_code, message, exc.response.headers,
                         auth_fix="set RUNWAYML_API_SECRET to a valid key from https://dev.runwayml.com/")
        if exc.status_code in (401, 403):
            return ProviderError(err.detail, provider=PROVIDER, status=exc.status_code, field="RUNWAYML_API_SECRET", fix=err.fix)
        if not err.transient:
            return ProviderError(err.detail, provider=PROVIDER, status=exc.status_code,
                                 field="providers.runway (model, ratio, duration)",
                                 fix="gen4_turbo needs a first frame and takes 5 or 10 s; gen4.5 takes 2-10 s; "
                                     "portrait ratio 720:1280")
        return err
    if isinstance(exc, (runwayml.APIResponseValidationError, json.JSONDecodeError, httpx.DecodingError)):
        return ProviderError(f"the response was malformed ({type(exc).__name__})", provider=PROVIDER, transient=True)
    if isinstance(exc, httpx.TransportError):
        return ProviderError(f"connection failed ({type(exc).__name__})", provider=PROVIDER, transient=True)
    return None


class RunwayBackend(VideoBackend):
    provider = PROVIDER

    def __init__(self, client: Any, *, download_timeout_s: float = 30.0, secrets: tuple[str, ...] = ()):
        self.client, self.secrets = client, secrets
        self.download_timeout_s = download_timeout_s

    def create(self, req: JobRequest) -> str:
        ratio = req.options.get("ratio") or MODELS.get(req.model, ((), "720:1280"))[1]
        if req.first_frame is not None:
            task = self.client.image_to_video.create(model=req.model, prompt_image=data_uri(req.first_frame),
                                                     prompt_text=req.prompt, ratio=ratio, duration=req.seconds)
        else:
            task = self.client.text_to_video.create(model=req.model, prompt_text=req.prompt, ratio=ratio,
                                                    duration=req.seconds)
        if not getattr(task, "id", None):
            raise ProviderError("the answer had no task id", provider=PROVIDER, transient=True)
        return str(task.id)

    def status(self, job_id: str) -> JobStatus:
        task = self.client.tasks.retrieve(job_id)
        raw = task.model_dump(by_alias=True, mode="json") if hasattr(task, "model_dump") else {}
        st = task.status
        if st in ("PENDING", "THROTTLED"):
            return JobStatus("queued", raw=raw)
        if st == "RUNNING":
            progress = getattr(task, "progress", None)
            return JobStatus("running", progress=float(progress) * 100 if progress is not None else None, raw=raw)
        if st == "SUCCEEDED":
            output = list(getattr(task, "output", None) or [])
            if not output:
                raise ProviderError(f"task {job_id} succeeded without an output URL", provider=PROVIDER,
                                    transient=True)
            return JobStatus("succeeded", progress=100.0, output=output[0], raw=raw)
        code = getattr(task, "failure_code", None) or ""
        message = f"{code or st}: {getattr(task, 'failure', None) or 'cancelled'}"
        return JobStatus("refused" if code.startswith("SAFETY.") else "failed", message=message, raw=raw)

    def download(self, job_id: str, status: JobStatus, dest: Path, *, max_bytes: int, deadline_s: float) -> int:
        import httpx

        if status.output is None:
            raise ProviderError(f"task {job_id} has no output URL", provider=PROVIDER, transient=True)
        # the output URL is a signed CDN link: no key goes with it
        with httpx.Client(timeout=httpx.Timeout(self.download_timeout_s), follow_redirects=True) as plain:
            try:
                return download_clip(plain, status.output, dest, max_bytes=max_bytes, provider=PROVIDER,
                                     deadline_s=deadline_s)
            except ProviderError as exc:
                if exc.status in (403, 404, 410):  # an expired link: the next attempt fetches a fresh one
                    fresh = self.status(job_id)
                    status.output = fresh.output
                    raise ProviderError(f"the output link had expired ({exc.detail})", provider=PROVIDER,
                                        status=exc.status, transient=True) from None
                raise

    def classify(self, exc: BaseException, index: int) -> ProviderError | None:
        return classify_runway(exc, index)


__all__ = ["IMAGE_ONLY", "MODELS", "RunwayBackend", "classify_runway", "data_uri"]
