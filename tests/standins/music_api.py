"""A loopback stand-in for a Suno-style asynchronous music API that calls back.

``POST /api/v1/generate`` -> ``{"code": 200, "msg": "success", "data": {"taskId"}}``; when the task is
done the stand-in POSTs the documented callback (``callbackType: complete``, ``task_id``,
``data[].audio_url``) to ``callBackUrl``, signed with the shared webhook secret
(``shortsmith.webhooks``); ``GET /api/v1/generate/record-info?taskId=`` answers the status
(``PENDING``/``SUCCESS`` with ``response.sunoData[].audioUrl``); ``GET /audio/<task>.wav`` serves the track.

``callbacks``: "auto" (sent ``callback_delay_s`` after the submission), "never" (only polling finds the
result) or "manual" (sent when the test calls ``send_callback``).
"""

from __future__ import annotations

import io
import json
import threading
import uuid
import wave

import httpx
import numpy as np

from shortsmith import webhooks

from .server import Reply, Request, StandIn, json_reply

TRACK_S = 9.0


def track_wav(seconds: float = TRACK_S, rate: int = 44100) -> bytes:
    """A short stereo chord loop (what the provider 'generated')."""
    t = np.arange(int(seconds * rate)) / rate
    x = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63)) / 6
    x *= 0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t) ** 2
    pcm = (np.stack([x, x], axis=1) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


class MusicApiStandIn(StandIn):
    def __init__(self, api_key: str = "mk_test_123", secret: str = "whsec_test", *, callbacks: str = "auto",
                 callback_delay_s: float = 0.3, ready_after_polls: int = 0, fail: bool = False):
        self.api_key, self.secret, self.callbacks = api_key, secret, callbacks
        self.callback_delay_s, self.ready_after_polls = callback_delay_s, ready_after_polls
        self.fail = fail  # every task ends as GENERATE_AUDIO_FAILED (callback: code 501, callbackType error)
        self.tasks: dict[str, dict] = {}
        self.callback_results: list[int | str] = []  # each callback POST's status (or error)
        self._timers: list[threading.Timer] = []
        super().__init__()

    def submissions(self) -> list[Request]:
        return [r for r in self.requests if r.path == "/api/v1/generate" and r.method == "POST"]

    def _auth(self, req: Request) -> Reply | None:
        if req.headers.get("authorization") != f"Bearer {self.api_key}":
            return json_reply({"code": 401, "msg": "You do not have access permissions"}, 401)
        return None

    def route(self, req: Request) -> Reply | None:
        if req.path.startswith("/audio/") and req.method == "GET":
            return Reply(200, track_wav(), {"Content-Type": "audio/wav"})
        denied = self._auth(req)
        if denied:
            return denied
        if req.path == "/api/v1/generate" and req.method == "POST":
            try:
                body = req.json()
            except ValueError:
                return json_reply({"code": 400, "msg": "Invalid JSON"}, 400)
            for name, typ in (("prompt", str), ("customMode", bool), ("instrumental", bool), ("model", str),
                              ("callBackUrl", str)):
                if not isinstance(body.get(name), typ):
                    return json_reply({"code": 400, "msg": f"{name} is required"}, 400)
            task = uuid.uuid4().hex[:12]
            self.tasks[task] = {"polls": 0, "callback": body["callBackUrl"], "prompt": body["prompt"]}
            if self.callbacks == "auto":
                timer = threading.Timer(self.callback_delay_s, self.send_callback, args=(task,))
                timer.daemon = True
                self._timers.append(timer)
                timer.start()
            return json_reply({"code": 200, "msg": "success", "data": {"taskId": task}})
        if req.path == "/api/v1/generate/record-info" and req.method == "GET":
            task = (req.query.get("taskId") or [""])[0]
            if task not in self.tasks:
                return json_reply({"code": 404, "msg": "task not found"})
            info = self.tasks[task]
            info["polls"] += 1
            done = info["polls"] > self.ready_after_polls
            if self.fail:
                return json_reply({"code": 200, "msg": "success", "data": {
                    "taskId": task, "status": "GENERATE_AUDIO_FAILED", "errorMessage": "generation failed"}})
            data = {"taskId": task, "status": "SUCCESS" if done else "PENDING",
                    "response": {"taskId": task, "sunoData": [{"id": f"{task}-0", "audioUrl": self.audio_url(task),
                                                               "duration": TRACK_S}] if done else []}}
            return json_reply({"code": 200, "msg": "success", "data": data})
        return json_reply({"code": 404, "msg": "Not Found"}, 404)

    def audio_url(self, task: str) -> str:
        return f"{self.url}/audio/{task}.wav"

    def callback_body(self, task: str) -> bytes:
        if self.fail:
            return json.dumps({"code": 501, "msg": "Audio generation failed.",
                               "data": {"callbackType": "error", "task_id": task, "data": []}}).encode()
        return json.dumps({"code": 200, "msg": "All generated successfully.", "data": {
            "callbackType": "complete", "task_id": task,
            "data": [{"id": f"{task}-0", "audio_url": self.audio_url(task), "stream_audio_url": self.audio_url(task),
                      "title": "background", "tags": "instrumental", "duration": TRACK_S}]}}).encode()

    def send_callback(self, task: str, event_id: str | None = None) -> int | str:
        body = self.callback_body(task)
        headers = webhooks.signed_headers(self.secret, event_id or f"cb-{task}-complete", body)
        try:
            status: int | str = httpx.post(self.tasks[task]["callback"], content=body, headers=headers,
                                           timeout=5).status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        self.callback_results.append(status)
        return status

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        super().close()


def track_mp3(seconds: float) -> bytes:
    import subprocess

    from shortsmith.ffmpeg import ffmpeg_path
    proc = subprocess.run([ffmpeg_path(), "-v", "error", "-f", "wav", "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a",
                           "128k", "-f", "mp3", "pipe:1"], input=track_wav(seconds), capture_output=True, check=True)
    return proc.stdout


class ElevenLabsMusicStandIn(StandIn):
    """``POST /v1/music`` as the ElevenLabs API answers it: ``xi-api-key``, a JSON body with ``prompt`` and
    ``music_length_ms`` (3,000-600,000), ``output_format`` in the query; the MP3 bytes back."""

    def __init__(self, api_key: str = "sk_test_music"):
        self.api_key = api_key
        super().__init__()

    def route(self, req: Request) -> Reply | None:
        if req.path != "/v1/music" or req.method != "POST":
            return json_reply({"detail": "Not Found"}, 404)
        if req.headers.get("xi-api-key") != self.api_key:
            return json_reply({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}, 401)
        body = req.json()
        length = body.get("music_length_ms")
        if not isinstance(body.get("prompt"), str) or not isinstance(length, int) or not 3000 <= length <= 600_000:
            return json_reply({"detail": [{"loc": ["body", "music_length_ms"], "msg": "invalid", "type": "value_error"}]},
                              422)
        if (req.query.get("output_format") or [""])[0] != "mp3_44100_128":
            return json_reply({"detail": [{"loc": ["query", "output_format"], "msg": "invalid"}]}, 422)
        return Reply(200, track_mp3(min(length / 1000, TRACK_S)), {"Content-Type": "audio/mpeg"})
