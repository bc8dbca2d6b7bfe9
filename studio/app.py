"""The studio web application: the creator's pages (gallery, video, review, new video) and the /v1 API.

Reads the Dagster instance ($DAGSTER_HOME) and the media store; launches runs only through Dagster's
GraphQL (studio.launcher). Pages are for the local user (the server binds to 127.0.0.1; forms carry
a CSRF token); the API needs an ``X-API-Key`` (``shortsmith studio-key create``), is rate-limited per
key and refuses bodies over the size limit. Errors are JSON naming the field and the fix.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Literal

from fastapi import Depends, FastAPI, Form, Header, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shortsmith.errors import ShortsmithError

from . import db
from .actions import Conflict, NotFound, Studio, channel_summaries
from .state import STAGE_NAMES, STAGES, Reader

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
CSRF_COOKIE = "shortsmith_csrf"
MEDIA_STAGES = {folder for _, folder in STAGES if folder}


# -- models (the OpenAPI document) -------------------------------------------------------------
class ErrorOut(BaseModel):
    error: str
    field: str | None = None
    fix: str | None = None


TOPIC_PATTERN = r"^[A-Za-z][A-Za-z0-9 ,.'?!:&()-]{1,119}$"


def create_models(channel_names: tuple[str, ...]):
    """The create request: a topic or a narrative, for one of the configured channels (a JSON Schema oneOf)."""
    ChannelName = Literal[channel_names]  # type: ignore[valid-type]

    class TopicVideo(BaseModel):
        model_config = ConfigDict(extra="forbid")
        channel: ChannelName = Field(description="a channel name from channels.yaml")
        topic: str = Field(pattern=TOPIC_PATTERN, description="what the video is about, e.g. 'Why cats purr'")

    class NarrativeVideo(BaseModel):
        model_config = ConfigDict(extra="forbid")
        channel: ChannelName = Field(description="a channel name from channels.yaml")
        narrative: str = Field(min_length=1, max_length=64_000,
                               description="a markdown narrative: '# Title', then a paragraph per beat")

    return TopicVideo, NarrativeVideo


class Created(BaseModel):
    partition: str
    run_id: str
    status_url: str


class StageFile(BaseModel):
    name: str
    size_bytes: int
    url: str


class Stage(BaseModel):
    stage: str
    materialized: bool
    at: float | None = None
    run_id: str | None = None
    reused: bool
    provider: str
    files: list[StageFile]


class Check(BaseModel):
    asset: str
    check: str
    passed: bool
    description: str


class RunOut(BaseModel):
    run_id: str
    status: str
    source: str
    assets: list[str] = []


class VideoOut(BaseModel):
    partition: str
    channel: str
    title: str
    topic: str
    state: str
    detail: str
    published_url: str
    deferred_until: str
    cost_usd: float
    thumbnail_url: str
    video_url: str
    review: str
    latest_run: RunOut | None = None


class VideoDetail(VideoOut):
    stages: list[Stage]
    checks: list[Check]
    runs: list[RunOut]
    note: str


class VideoList(BaseModel):
    items: list[VideoOut]
    total: int


class Decision(BaseModel):
    partition: str
    state: str
    run_id: str | None = None


class Reject(BaseModel):
    note: str = Field(default="", max_length=2000)
    rerender: list[Literal["video_scripts", "voiceovers", "scene_images", "captions", "music",
                           "assembled_videos", "thumbnails"]] = Field(default_factory=list, max_length=7)


class Cancelled(BaseModel):
    partition: str
    runs: list[str]


class Health(BaseModel):
    status: str
    automation: str
    daemon: str
    launcher: str


class ChannelOut(BaseModel):
    name: str
    title: str
    review: str
    niche: str


ERRORS = {401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut}, 413: {"model": ErrorOut},
          422: {"model": ErrorOut}, 429: {"model": ErrorOut}}


class ApiError(Exception):
    def __init__(self, status: int, error: str, field: str | None = None, fix: str | None = None,
                 headers: dict | None = None):
        self.status, self.error, self.field, self.fix, self.headers = status, error, field, fix, headers


# -- limits -------------------------------------------------------------------------------------
class RateLimiter:
    """A sliding one-minute window per API key (in this process: one studio serves the API)."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self.hits: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        with self.lock:
            q = self.hits[key]
            while q and now - q[0] >= 60:
                q.popleft()
            if len(q) >= self.per_minute:
                return 60 - (now - q[0])
            q.append(now)
            return 0.0


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes, declared or streamed, before any handler reads them."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(send)
        if declared is not None or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        # A streamed (chunked) body: read it here, at most ``limit`` bytes, then hand it on whole.
        chunks, seen, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, receive, send)
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.limit:
                return await self._refuse(send)
            more = message.get("more_body", False)
        body, sent = b"".join(chunks), False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send):
        body = json.dumps({"error": f"the request body is over {self.limit} bytes", "field": "body",
                           "fix": "send a smaller body (narratives are at most 64 kB)"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


# -- the application ----------------------------------------------------------------------------
def create_app(studio: Studio | None = None, *, rate_per_minute: int | None = None,
               max_body: int | None = None) -> FastAPI:
    studio = studio or build_studio()

    def get_studio() -> Studio:
        return studio

    TopicVideo, NarrativeVideo = create_models(tuple(studio.channels.names))

    limiter = RateLimiter(rate_per_minute or int(os.environ.get("SHORTSMITH_STUDIO_RATE_PER_MINUTE", "120")))
    app = FastAPI(title="Shortsmith studio API", version="1",
                  description="Create videos, follow each stage, review (approve/reject) and cancel. "
                              "Authenticate with the X-API-Key header (`shortsmith studio-key create`).")
    app.state.get_studio = get_studio

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return JSONResponse({"error": exc.error, "field": exc.field, "fix": exc.fix}, status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        loc = ".".join(str(p) for p in first.get("loc", ())
                       if p not in ("body", "query", "path", "header", "TopicVideo", "NarrativeVideo"))
        expected = (first.get("ctx") or {}).get("expected") or (first.get("ctx") or {}).get("pattern")
        return JSONResponse({"error": first.get("msg", "invalid request"), "field": loc or None,
                             "fix": f"use {expected}" if expected else "see the OpenAPI document at /openapi.json"},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return JSONResponse({"error": str(exc.detail), "field": None, "fix": None}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    def errors_to_api(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NotFound as exc:
            raise ApiError(404, exc.message, exc.field, exc.fix) from None
        except Conflict as exc:
            raise ApiError(409, exc.message, exc.field, exc.fix) from None
        except ShortsmithError as exc:
            raise ApiError(422, exc.message, getattr(exc, "field", None), getattr(exc, "fix", None)) from None

    def api_key(x_api_key: str | None = Header(default=None, description="a key from `shortsmith studio-key create`")):
        if not x_api_key:
            raise ApiError(401, "no API key", "X-API-Key", "send the header X-API-Key: <key>")
        key_id, why = db.verify_key(x_api_key)
        if key_id is None:
            raise ApiError(401, why, "X-API-Key", "create a key with `shortsmith studio-key create --name NAME`")
        wait = limiter.allow(key_id)
        if wait:
            raise ApiError(429, f"rate limit of {limiter.per_minute} requests a minute reached for key {key_id}",
                           "X-API-Key", f"retry after {wait:.0f} s", headers={"Retry-After": str(max(1, int(wait)))})
        return key_id

    # -- API ------------------------------------------------------------------------------------
    from pipeline_defs.state import StateStore

    from .webhooks import webhook_router
    app.include_router(webhook_router(lambda: StateStore(studio.instance), api_key, ApiError, ERRORS))

    @app.get("/health", response_model=Health, tags=["health"])
    @app.get("/v1/health", response_model=Health, tags=["health"], include_in_schema=False)
    def health():
        from pipeline_defs import settings

        s = get_studio()
        return Health(status="ok", automation="on" if settings.automation_on() else "off",
                      daemon="running" if daemon_running(s.instance) else "not running",
                      launcher=s.launcher.describe())

    @app.get("/v1/channels", response_model=list[ChannelOut], responses=ERRORS, tags=["videos"])
    def api_channels(key: str = Depends(api_key)):
        return channel_summaries(get_studio().channels)

    def api_create(body, key: str = Depends(api_key)):
        s = get_studio()
        partition, run_id = errors_to_api(s.create, body.channel, topic=getattr(body, "topic", None),
                                          narrative=getattr(body, "narrative", None), source=f"api:{key}")
        return Created(partition=partition, run_id=run_id, status_url=f"/v1/videos/{partition}")

    # the request models are built per app (the channel names), so the annotation is set here, not as text
    api_create.__annotations__["body"] = TopicVideo | NarrativeVideo
    app.post("/v1/videos", response_model=Created, status_code=201, responses=ERRORS, tags=["videos"])(api_create)

    @app.get("/v1/videos", response_model=VideoList, responses=ERRORS, tags=["videos"])
    def api_list(channel: str | None = None, state: str | None = None, limit: int = Query(50, ge=1, le=200),
                 offset: int = Query(0, ge=0, le=100_000), key: str = Depends(api_key)):
        items = list_videos(get_studio(), channel, state)
        return VideoList(items=items[offset: offset + limit], total=len(items))

    @app.get("/v1/videos/{partition}", response_model=VideoDetail, responses=ERRORS, tags=["videos"])
    def api_get(partition: str, key: str = Depends(api_key)):
        s = get_studio()
        if not s.instance.has_dynamic_partition("videos", partition):
            raise ApiError(404, f"no video {partition!r}", "partition", "list videos with GET /v1/videos")
        return Reader(s.instance, s.store).summary(partition, db.approval(partition), detail=True)

    @app.post("/v1/videos/{partition}/approve", response_model=Decision, responses=ERRORS, tags=["review"])
    def api_approve(partition: str, key: str = Depends(api_key)):
        run_id = errors_to_api(get_studio().approve, partition, f"api:{key}")
        return Decision(partition=partition, state="approved", run_id=run_id)

    @app.post("/v1/videos/{partition}/reject", response_model=Decision, responses=ERRORS, tags=["review"])
    def api_reject(partition: str, body: Reject, key: str = Depends(api_key)):
        run_id = errors_to_api(get_studio().reject, partition, f"api:{key}", body.note, list(body.rerender))
        return Decision(partition=partition, state="rejected", run_id=run_id)

    @app.post("/v1/videos/{partition}/cancel", response_model=Cancelled, responses=ERRORS, tags=["videos"])
    def api_cancel(partition: str, key: str = Depends(api_key)):
        return Cancelled(partition=partition, runs=errors_to_api(get_studio().cancel, partition))

    # -- media (HTTP Range: the players seek) ------------------------------------------------------
    @app.get("/media/{partition}/{stage}/{name}", include_in_schema=False)
    def media(partition: str, stage: str, name: str):
        s = get_studio()
        if stage not in MEDIA_STAGES or "/" in name or name.startswith(".") or name == "manifest.json":
            raise ApiError(404, "no such media", "stage")
        files = Reader(s.instance, s.store).files(partition, stage) if s.instance.has_dynamic_partition(
            "videos", partition) else {}
        if name not in files:
            raise ApiError(404, f"no file {name} in {partition}/{stage}", "name")
        return FileResponse(s.store.file(partition, stage, name), headers={"Cache-Control": "no-cache"})

    # -- pages ------------------------------------------------------------------------------------
    def csrf_token(request: Request) -> str:
        return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)

    def page(request: Request, template: str, **ctx):
        token = csrf_token(request)
        resp = TEMPLATES.TemplateResponse(request, template, {"csrf": token, **ctx})
        resp.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")
        return resp

    def check_csrf(request: Request, token: str) -> None:
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not token or not hmac.compare_digest(cookie, token):
            raise ApiError(403, "the form's CSRF token is missing or wrong", "csrf", "reload the page and submit again")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def gallery(request: Request, channel: str | None = None, state: str | None = None):
        s = get_studio()
        return page(request, "gallery.html", videos=list_videos(s, channel, state),
                    channels=channel_summaries(s.channels), channel=channel, state=state)

    @app.get("/videos/{partition}", response_class=HTMLResponse, include_in_schema=False)
    def video_page(request: Request, partition: str):
        s = get_studio()
        if not s.instance.has_dynamic_partition("videos", partition):
            raise ApiError(404, f"no video {partition!r}", "partition")
        v = Reader(s.instance, s.store).summary(partition, db.approval(partition), detail=True)
        script = s.store.file(partition, "script", "script.md")
        voice = next((f["url"] for st in v["stages"] for f in st["files"] if f["name"] == "voice.wav"), "")
        scenes = [f["url"] for st in v["stages"] if st["stage"] == "scene_images" for f in st["files"]
                  if f["name"].endswith((".png", ".jpg", ".webp"))]
        return page(request, "video.html", v=v, voice_url=voice, scenes=scenes,
                    script=script.read_text(encoding="utf-8") if script.is_file() else "",
                    stages=STAGE_NAMES[:-1])

    @app.get("/new", response_class=HTMLResponse, include_in_schema=False)
    def new_form(request: Request, error: str = ""):
        return page(request, "new.html", channels=channel_summaries(get_studio().channels), error=error)

    @app.post("/new", include_in_schema=False)
    async def new_submit(request: Request, csrf: str = Form(""), channel: str = Form(""), topic: str = Form(""),
                         source: str = Form(""), narrative: UploadFile | None = None):
        check_csrf(request, csrf)
        text = ""
        if narrative is not None and narrative.filename:
            raw = await narrative.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(422, "the narrative is not UTF-8 text", "narrative", "save it as UTF-8 markdown") from None
        try:
            partition, _ = await asyncio.to_thread(get_studio().create, channel, topic=topic or None,
                                                   narrative=text or None, source="page",
                                                   fact_source=source.strip() or None)
        except (Conflict, ShortsmithError) as exc:
            return new_form(request, error=f"{getattr(exc, 'field', '') or ''}: {exc.message}")
        return RedirectResponse(f"/videos/{partition}", status_code=303)

    @app.post("/videos/{partition}/approve", include_in_schema=False)
    def page_approve(request: Request, partition: str, csrf: str = Form("")):
        check_csrf(request, csrf)
        errors_to_api(get_studio().approve, partition, "page")
        return RedirectResponse(f"/videos/{partition}", status_code=303)

    @app.post("/videos/{partition}/reject", include_in_schema=False)
    def page_reject(request: Request, partition: str, csrf: str = Form(""), note: str = Form(""),
                    rerender: list[str] = Form(default_factory=list)):
        check_csrf(request, csrf)
        errors_to_api(get_studio().reject, partition, "page", note, rerender)
        return RedirectResponse(f"/videos/{partition}", status_code=303)

    @app.get("/videos/{partition}/events", include_in_schema=False)
    async def events(partition: str, run_id: str | None = None, timeout: float = 1800.0):
        """The run's events as server-sent events until the run ends (or ``timeout`` seconds)."""
        s = get_studio()
        reader = Reader(s.instance, s.store)
        if run_id is None:
            runs = await asyncio.to_thread(lambda: list(reader.runs(partition, limit=1)))
            if not runs:
                raise ApiError(404, f"{partition} has no run", "partition")
            run_id = runs[0].run_id

        async def stream():
            cursor, deadline = 0, time.monotonic() + min(timeout, 3600)
            while True:
                batch = await asyncio.to_thread(reader.events_after, run_id, cursor)
                for ev in batch:
                    cursor = ev["i"] + 1
                    yield f"event: step\ndata: {json.dumps(ev)}\n\n"
                run = await asyncio.to_thread(s.instance.get_run_by_id, run_id)
                if run is None or run.is_finished or time.monotonic() > deadline:
                    yield f"event: end\ndata: {json.dumps({'status': run.status.value if run else 'UNKNOWN'})}\n\n"
                    return
                yield ": keep-alive\n\n"
                await asyncio.sleep(0.5)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    return BodyLimit(app, max_body or int(os.environ.get("SHORTSMITH_STUDIO_MAX_BODY", str(256 * 1024))))


def list_videos(s: Studio, channel: str | None, state: str | None) -> list[dict]:
    reader = Reader(s.instance, s.store)
    approvals = db.all_approvals()
    items = [reader.summary(p, approvals.get(p)) for p in reversed(reader.partitions(channel))]
    return [v for v in items if state is None or v["state"] == state]


def daemon_running(instance) -> bool:
    try:
        from dagster._daemon.controller import all_daemons_live

        return bool(all_daemons_live(instance, heartbeat_tolerance_seconds=60))
    except Exception:
        return False


def build_studio() -> Studio:
    """The studio over this deployment: $DAGSTER_HOME's instance, the configured media store and channels."""

    from pipeline_defs import settings
    from pipeline_defs.instance import ensure_dagster_home, open_instance
    from pipeline_defs.resources.storage import storage_from_env
    from shortsmith.config import load_channels

    from .launcher import Launcher

    ensure_dagster_home()
    instance = open_instance()  # created and migrated under the lock every entry point shares
    return Studio(instance=instance, store=storage_from_env(settings.media_root()).store(),
                  channels=load_channels(settings.channels_path()),
                  launcher=Launcher(instance, settings.PROJECT_ROOT / "workspace.yaml"))
