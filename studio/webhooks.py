"""The studio's webhook routes: signed callbacks in (``POST /v1/webhooks/{provider}``) and callback
URL subscriptions for events out (``POST /v1/subscriptions``).

A provider's secret is ``SHORTSMITH_WEBHOOK_SECRET_<PROVIDER>`` (read through ``dagster.EnvVar``);
its validation is off only when ``SHORTSMITH_WEBHOOK_VALIDATE_<PROVIDER>=0`` is set explicitly. A
provider with neither is refused (404), so nothing unsigned is ever stored by accident.
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import Callable

import dagster as dg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shortsmith import webhooks, webhooks_out
from shortsmith.errors import InputError

PROVIDER_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _env_name(provider: str) -> str:
    return provider.upper()


def provider_secret(provider: str) -> str | None:
    name = f"SHORTSMITH_WEBHOOK_SECRET_{_env_name(provider)}"
    return dg.EnvVar(name).get_value() if os.environ.get(name) else None


def validation_on(provider: str) -> bool:
    return os.environ.get(f"SHORTSMITH_WEBHOOK_VALIDATE_{_env_name(provider)}", "1") != "0"


class SubscriptionIn(BaseModel):
    url: str = Field(..., max_length=2000, description="your https endpoint")
    events: list[str] = Field(default_factory=lambda: list(webhooks_out.EVENTS),
                              description="any of video.completed, video.failed, video.published")


class SubscriptionOut(BaseModel):
    id: str
    url: str
    events: list[str]
    secret: str = Field(..., description="the signing secret; shown only now, keep it")


def webhook_router(state_store: Callable[[], object], api_key: Callable, api_error: type,
                   errors: dict | None = None) -> APIRouter:
    """Routes over the instance's state table; ``api_key`` is the API's key dependency, ``errors`` the
    API's documented error answers."""
    router = APIRouter()

    def refuse(exc: webhooks.WebhookRejected) -> JSONResponse:
        return JSONResponse({"error": exc.error, "field": exc.field, "fix": exc.fix}, status_code=exc.status)

    # signed machine-to-machine callbacks: documented in the README, not part of the caller's API schema
    @router.post("/v1/webhooks/{provider}", tags=["webhooks"], status_code=202, include_in_schema=False)
    async def receive(provider: str, request: Request):
        if not PROVIDER_RE.match(provider):
            return refuse(webhooks.WebhookRejected(404, "no such webhook provider", "provider",
                                                   "use the provider name from the callback URL"))
        secret, validate = provider_secret(provider), validation_on(provider)
        if validate and not secret:
            return refuse(webhooks.WebhookRejected(
                404, f"webhooks from {provider!r} are not configured", "provider",
                f"set SHORTSMITH_WEBHOOK_SECRET_{_env_name(provider)} (or SHORTSMITH_WEBHOOK_VALIDATE_"
                f"{_env_name(provider)}=0 to accept unsigned callbacks)"))
        body = b""
        async for chunk in request.stream():  # stop reading at the limit
            body += chunk
            if len(body) > webhooks.MAX_BODY:
                break
        try:
            event_id = webhooks.verify(request.headers, body, secret, validate=validate)
            payload = webhooks.parse_json(body)
            job_id = webhooks.job_id_of(payload)
            if not job_id:
                raise webhooks.WebhookRejected(422, "the callback names no job (data.task_id or job_id)", "body",
                                               "send the job id the submission returned")
            await asyncio.to_thread(webhooks.accept, state_store(), provider, event_id, job_id, payload,
                                    verified=validate)
        except webhooks.WebhookRejected as exc:
            return refuse(exc)
        return JSONResponse({"accepted": event_id, "job_id": job_id}, status_code=202)

    @router.post("/v1/subscriptions", response_model=SubscriptionOut, tags=["webhooks"], status_code=201,
                 responses=errors or {})
    def subscribe(body: SubscriptionIn, key: str = Depends(api_key)):
        try:
            sub = webhooks_out.subscribe(state_store(), body.url, body.events, owner=key)
        except InputError as exc:
            raise api_error(422, exc.message, exc.field, exc.fix) from None
        return SubscriptionOut(id=sub["id"], url=sub["url"], events=sub["events"], secret=sub["secret"])

    return router
