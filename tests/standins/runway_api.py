"""A loopback stand-in for the Runway API (api.dev.runwayml.com) and its output CDN.

It answers what the official ``runwayml`` SDK sends (``Authorization: Bearer <key>``,
``X-Runway-Version: 2024-11-06``):

- ``POST /v1/text_to_video`` ``{"model", "promptText", "ratio", "duration"}`` and
  ``POST /v1/image_to_video`` ``{"model", "promptImage", "promptText", "ratio", "duration"}``
  (the image as an https URL or a data URI up to 5 MB): ``{"id"}``; models, ratios and
  durations are checked as the API documents them (400 ``{"error": ..., "issues": [...]}``).
- ``GET /v1/tasks/{id}``: PENDING, then RUNNING with ``progress`` 0-1, then after
  ``polls_to_complete`` polls SUCCEEDED with ``output: [url]`` (a real MP4 on this server's
  ``/outputs/``, which takes no key), or FAILED: a prompt with "forbidden" ->
  ``failureCode: SAFETY.INPUT.TEXT``; "fail-job" -> ``INTERNAL.BAD_OUTPUT.CODE01``.
- Fault ``"partial"`` (path ``/outputs``): full Content-Length, half the bytes, cut.

``created`` lists every task created (the test's "paid for" count), ``frames`` the first
frames received (decoded images).
"""

from __future__ import annotations

import base64
import io
import time
import uuid
from datetime import datetime, timezone

from PIL import Image

from .generated_video import colour_of, make_mp4
from .pexels_api import quiet_resets
from .server import Fault, Reply, Request, StandIn, json_reply

MODELS = {  # model -> (durations, ratios, image required)
    "gen4_turbo": ((5, 10), ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"), True),
    "gen4.5": (tuple(range(2, 11)), ("1280:720", "720:1280"), False),
    "veo3.1_fast": ((4, 6, 8), ("1280:720", "720:1280", "1080:1920", "1920:1080"), False),
}
VERSION = "2024-11-06"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RunwayStandIn(StandIn):
    def __init__(self, api_key: str | None = None, *, polls_to_complete: int = 3,
                 serve_size: tuple[int, int] = (90, 160)):
        self.api_key = api_key
        self.polls_to_complete = polls_to_complete
        self.serve_size = serve_size
        self.tasks: dict[str, dict] = {}
        self.created: list[dict] = []
        self.frames: list[Image.Image] = []
        super().__init__()
        quiet_resets(self.server)

    def error_reply(self, status: int, fault: Fault) -> Reply:
        return Reply(status, fault.body if fault.body is not None else {"error": f"stand-in {status}"})

    def route(self, req: Request) -> Reply | None:
        if req.method == "GET" and req.path.startswith("/outputs/"):
            task = self.tasks.get(req.path.rsplit("/", 1)[-1].removesuffix(".mp4"))
            if task is None or task["status"] != "SUCCEEDED":
                return Reply(404, "<Error><Code>NoSuchKey</Code></Error>", {"Content-Type": "application/xml"})
            return Reply(200, self.clip_bytes(task), {"Content-Type": "video/mp4"})
        auth = req.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or (self.api_key is not None and auth != f"Bearer {self.api_key}"):
            return json_reply({"error": "Invalid API key"}, 401)
        if req.headers.get("x-runway-version") != VERSION:
            return json_reply({"error": "The X-Runway-Version header is missing or invalid"}, 400)
        if req.method == "POST" and req.path in ("/v1/text_to_video", "/v1/image_to_video"):
            return self._create(req, image=req.path == "/v1/image_to_video")
        if req.path.startswith("/v1/tasks/"):
            tid = req.path.rsplit("/", 1)[-1]
            if req.method == "GET":
                return self._retrieve(tid)
            if req.method == "DELETE" and tid in self.tasks:
                self.tasks[tid]["status"] = "CANCELLED"
                return Reply(204, b"")
        return json_reply({"error": "Not found"}, 404)

    def _create(self, req: Request, *, image: bool) -> Reply:
        try:
            body = req.json()
        except ValueError:
            return json_reply({"error": "Invalid JSON"}, 400)
        model, text = body.get("model"), body.get("promptText") or ""
        if model not in MODELS:
            return json_reply({"error": "Validation of body failed", "issues": [{"path": ["model"],
                                                                                 "message": "Invalid model"}]}, 400)
        durations, ratios, needs_image = MODELS[model]
        if needs_image and not image:
            return json_reply({"error": f"{model} is not available for text_to_video"}, 400)
        if body.get("ratio") not in ratios:
            return json_reply({"error": "Validation of body failed", "issues": [{"path": ["ratio"],
                                                                                 "message": "Invalid ratio"}]}, 400)
        if body.get("duration") not in durations:
            return json_reply({"error": "Validation of body failed", "issues": [{"path": ["duration"],
                                                                                 "message": "Invalid duration"}]}, 400)
        if not image and not text:
            return json_reply({"error": "promptText is required"}, 400)
        if len(text) > 1000:
            return json_reply({"error": "promptText must be at most 1000 characters"}, 400)
        if image:
            uri = body.get("promptImage") or ""
            if not isinstance(uri, str) or not uri.startswith("data:image/") or len(uri) > 5 * 1024 * 1024:
                return json_reply({"error": "promptImage must be an https URL or a data URI up to 5 MB"}, 400)
            try:
                frame = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1], validate=True)))
                frame.load()
            except (ValueError, OSError):
                return json_reply({"error": "promptImage could not be decoded"}, 400)
            self.frames.append(frame)
        tid = str(uuid.uuid4())
        task = {"id": tid, "createdAt": _iso(time.time()), "status": "PENDING", "_polls": 0, "_model": model,
                "_duration": body["duration"], "_prompt": text, "_image": image}
        with self._lock:
            self.tasks[tid] = task
            self.created.append(task)
        return json_reply({"id": tid})

    def _retrieve(self, tid: str) -> Reply:
        task = self.tasks.get(tid)
        if task is None:
            return json_reply({"error": "Task not found"}, 404)
        credits = 5 * task["_duration"]
        with self._lock:
            if task["status"] in ("PENDING", "RUNNING"):
                task["_polls"] += 1
                n = task["_polls"]
                if n >= self.polls_to_complete:
                    prompt = task["_prompt"].lower()
                    if "forbidden" in prompt:
                        task.update(status="FAILED", failure="The prompt was flagged by content moderation.",
                                    failureCode="SAFETY.INPUT.TEXT", cost={"credits": 0})
                    elif "fail-job" in prompt:
                        task.update(status="FAILED", failure="An unexpected error occurred.",
                                    failureCode="INTERNAL.BAD_OUTPUT.CODE01", cost={"credits": 0})
                    else:
                        task.update(status="SUCCEEDED", output=[f"{self.url}/outputs/{tid}.mp4"],
                                    cost={"credits": credits})
                    task.pop("progress", None)
                else:
                    task.update(status="RUNNING" if n > 1 else "PENDING", estimatedCost={"credits": credits})
                    if n > 1:
                        task["progress"] = round(n / self.polls_to_complete, 2)
        return json_reply({k: v for k, v in task.items() if not k.startswith("_")})

    def clip_bytes(self, task: dict) -> bytes:
        return make_mp4(*self.serve_size, float(task["_duration"]), colour_of(task["_prompt"]))

    def _apply_fault(self, handler, fault: Fault) -> bool:
        if fault.kind != "partial":
            return super()._apply_fault(handler, fault)
        task = self.tasks[handler.path.split("?")[0].rsplit("/", 1)[-1].removesuffix(".mp4")]
        data = self.clip_bytes(task)
        handler.send_response(200)
        handler.send_header("Content-Type", "video/mp4")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data[: len(data) // 2])
        self.cut(handler)
        return True
