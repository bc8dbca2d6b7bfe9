"""The OpenAI stand-in with the videos API (Sora), as the official ``openai`` SDK calls it.

- ``POST /v1/videos`` (multipart form: ``prompt``, ``model``, ``seconds``, ``size``, optional
  ``input_reference`` image that must match ``size``): a ``video`` object, ``status: queued``.
  A prompt containing "forbidden" is refused at once: HTTP 400 ``moderation_blocked``.
- ``GET /v1/videos/{id}``: queued, then in_progress with a rising ``progress``, then completed
  after ``polls_to_complete`` polls; a prompt containing "fail-job" ends ``failed`` with
  ``error: {code: "internal_error"}``, "refuse-output" ends ``failed`` with ``moderation_blocked``.
- ``GET /v1/videos/{id}/content``: the MP4 (a real one, ``serve_size``, the requested seconds,
  a colour from the prompt). Fault ``"partial"`` (path ``/v1/videos/``): the full Content-Length,
  half the bytes, then the connection is cut.

``created`` lists every job created (the test's "paid for" count).
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import time
import uuid

from PIL import Image

from .generated_video import colour_of, make_mp4
from .openai_api import OpenAIStandIn
from .pexels_api import quiet_resets
from .server import Fault, Reply, Request, json_reply

SIZES = {"sora-2": ("720x1280", "1280x720"), "sora-2-pro": ("720x1280", "1280x720", "1024x1792", "1792x1024")}


def _error(message: str, status: int = 400, *, param: str | None = None, code: str | None = None,
           kind: str = "invalid_request_error") -> Reply:
    return json_reply({"error": {"message": message, "type": kind, "param": param, "code": code}}, status)


def parse_multipart(req: Request) -> dict[str, bytes | tuple[str, str, bytes]]:
    """Form fields (bytes) and files ((filename, content type, bytes)) of a multipart body."""
    ctype = req.headers.get("content-type", "")
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + req.body)
    out: dict[str, bytes | tuple[str, str, bytes]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        out[str(name)] = (filename, part.get_content_type(), payload) if filename else payload
    return out


class OpenAIVideoStandIn(OpenAIStandIn):
    def __init__(self, *, polls_to_complete: int = 3, serve_size: tuple[int, int] = (90, 160)):
        self.polls_to_complete = polls_to_complete
        self.serve_size = serve_size
        self.videos: dict[str, dict] = {}
        self.created: list[dict] = []
        self.fail_jobs: set[int] = set()  # the n-th created jobs (from 0) that end failed, whatever their prompt
        super().__init__()
        quiet_resets(self.server)

    def route(self, req: Request) -> Reply | None:
        if req.path.startswith("/v1/videos"):
            if not req.headers.get("authorization", "").startswith("Bearer "):
                return _error("You didn't provide an API key.", 401)
            if req.method == "POST" and req.path == "/v1/videos":
                return self._create(req)
            parts = req.path.split("/")  # ['', 'v1', 'videos', id, 'content'?]
            if req.method == "GET" and len(parts) == 4:
                return self._retrieve(parts[3])
            if req.method == "GET" and len(parts) == 5 and parts[4] == "content":
                return self._content(parts[3])
        return super().route(req)

    # -- jobs ------------------------------------------------------------------------
    def _create(self, req: Request) -> Reply:
        if not req.headers.get("content-type", "").startswith("multipart/form-data"):
            return _error("Expected multipart/form-data")
        form = parse_multipart(req)
        text = {k: v.decode() for k, v in form.items() if isinstance(v, bytes)}
        prompt, model = text.get("prompt", ""), text.get("model", "sora-2")
        seconds, size = text.get("seconds", "4"), text.get("size", "720x1280")
        if not prompt:
            return _error("Missing required parameter: 'prompt'.", param="prompt")
        if model not in SIZES:
            return _error(f"Invalid model '{model}'.", param="model", code="invalid_value")
        if seconds not in ("4", "8", "12"):
            return _error(f"Invalid value: '{seconds}'. Supported values are: '4', '8', and '12'.", param="seconds",
                          code="invalid_value")
        if size not in SIZES[model]:
            return _error(f"Invalid value: '{size}'.", param="size", code="invalid_value")
        ref = form.get("input_reference")
        if ref is not None:
            if not isinstance(ref, tuple):
                return _error("input_reference must be a file", param="input_reference")
            try:
                img = Image.open(io.BytesIO(ref[2]))
                img.load()
            except OSError:
                return _error("input_reference is not an image", param="input_reference")
            if "x".join(map(str, img.size)) != size:
                return _error("Inpaint image must match the requested width and height", param="input_reference")
        if "forbidden" in prompt.lower():
            return _error("Your request was blocked by our moderation system.", code="moderation_blocked")
        vid = f"video_{uuid.uuid4().hex}"
        job = {"id": vid, "object": "video", "model": model, "status": "queued", "progress": 0,
               "created_at": int(time.time()), "completed_at": None, "expires_at": None, "prompt": prompt,
               "remixed_from_video_id": None, "seconds": seconds, "size": size, "error": None,
               "_polls": 0, "_reference": ref is not None}
        with self._lock:
            self.videos[vid] = job
            self.created.append(job)
        return json_reply(self._public(job))

    @staticmethod
    def _public(job: dict) -> dict:
        return {k: v for k, v in job.items() if not k.startswith("_")}

    def _retrieve(self, vid: str) -> Reply:
        job = self.videos.get(vid)
        if job is None:
            return _error(f"Video with id '{vid}' not found.", 404, code="not_found")
        with self._lock:
            if job["status"] in ("queued", "in_progress"):
                job["_polls"] += 1
                n = job["_polls"]
                if n >= self.polls_to_complete:
                    prompt = job["prompt"].lower()
                    if "fail-job" in prompt or self.created.index(job) in self.fail_jobs:
                        job.update(status="failed", error={"code": "internal_error",
                                                           "message": "Video generation failed."})
                    elif "refuse-output" in prompt:
                        job.update(status="failed", error={"code": "moderation_blocked", "message":
                                                           "The generated video was blocked by our moderation system."})
                    else:
                        job.update(status="completed", progress=100, completed_at=int(time.time()),
                                   expires_at=int(time.time()) + 3600)
                else:
                    job.update(status="in_progress", progress=int(100 * n / self.polls_to_complete))
        return json_reply(self._public(job))

    def clip_bytes(self, job: dict) -> bytes:
        return make_mp4(*self.serve_size, float(job["seconds"]), colour_of(job["prompt"]))

    def _content(self, vid: str) -> Reply:
        job = self.videos.get(vid)
        if job is None:
            return _error(f"Video with id '{vid}' not found.", 404, code="not_found")
        if job["status"] != "completed":
            return _error("Video is not ready yet, use GET /v1/videos/{video_id} to check status.", 404)
        if job.get("_expired"):
            return _error("The video content has expired.", 404, code="not_found")
        return Reply(200, self.clip_bytes(job), {"Content-Type": "video/mp4"})

    def _apply_fault(self, handler, fault: Fault) -> bool:
        if fault.kind != "partial":
            return super()._apply_fault(handler, fault)
        vid = handler.path.split("?")[0].split("/")[3]
        data = self.clip_bytes(self.videos[vid])
        handler.send_response(200)
        handler.send_header("Content-Type", "video/mp4")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data[: len(data) // 2])
        self.cut(handler)
        return True
