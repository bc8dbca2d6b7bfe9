"""An asynchronous AI music provider with a Suno-style API (``MUSIC_API_BASE_URL`` / ``MUSIC_API_KEY``).

The wire protocol (as documented by the Suno API hosts):

* ``POST /api/v1/generate`` ``{"prompt", "customMode": false, "instrumental": true, "model",
  "callBackUrl"}`` with ``Authorization: Bearer <key>`` -> ``{"code": 200, "data": {"taskId"}}``;
* the provider later POSTs ``{"code": 200, "data": {"callbackType": "complete", "task_id",
  "data": [{"audio_url", "duration", ...}]}}`` to the callback URL (our studio's
  ``/v1/webhooks/musicapi``, signed; see ``shortsmith.webhooks``);
* ``GET /api/v1/generate/record-info?taskId=...`` -> ``{"code": 200, "data": {"status": "SUCCESS",
  "response": {"sunoData": [{"audioUrl", "duration"}]}}}``: the polling fallback.

:func:`generate` submits once per job key and records the task id in the job store *before*
waiting, so a retried step resumes the same job instead of paying for a second one; it waits for
the verified callback in the webhook inbox, polls as a fallback, downloads the result and fits it to
the video. Any failure is a transient ``ProviderError``, so the chain falls back to the next provider.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import httpx

from . import webhooks
from .errors import InputError
from .resilience import ProviderError
from .webhooks_out import check_url

PROVIDER = "musicapi"
JOB_PREFIX = "music/job/"
DONE = {"SUCCESS"}
WAITING = {"PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "GENERATING", "QUEUED"}
PROMPTS = {
    "calm": "calm ambient instrumental, soft piano and warm pads, gentle, unobtrusive background",
    "upbeat": "upbeat pop instrumental, bright piano, light drums, positive energy, background for narration",
    "mysterious": "mysterious cinematic instrumental, dark strings, slow pulse, suspense, background",
}


@dataclass
class MusicApi:
    base_url: str
    api_key: str
    model: str = "V4_5"
    timeout_s: float = 30.0

    def _fail(self, what: str, exc: Exception | None = None, status: int | None = None) -> ProviderError:
        detail = f"{what}" + (f": {type(exc).__name__}" if exc else "")
        return ProviderError(detail, provider=PROVIDER, status=status, transient=True,
                             fix="check MUSIC_API_BASE_URL and the provider's status; the chain used the next provider")

    def _call(self, method: str, path: str, **kw: Any) -> dict:
        url = self.base_url.rstrip("/") + path
        try:
            with httpx.Client(timeout=self.timeout_s) as http:
                r = http.request(method, url, headers={"Authorization": f"Bearer {self.api_key}"}, **kw)
        except httpx.HTTPError as exc:
            raise self._fail(f"{method} {path} failed", exc) from None
        if r.status_code == 401 or r.status_code == 403:
            raise ProviderError(f"the music API refused the key ({r.status_code})", provider=PROVIDER,
                                status=r.status_code, transient=True, fix="check MUSIC_API_KEY")
        if r.status_code >= 300:
            raise self._fail(f"{method} {path} answered {r.status_code}", status=r.status_code)
        try:
            body = r.json()
        except ValueError:
            raise self._fail(f"{method} {path} answered a body that is not JSON") from None
        if not isinstance(body, dict) or body.get("code") != 200 or not isinstance(body.get("data"), dict):
            raise self._fail(f"{method} {path} answered code {body.get('code') if isinstance(body, dict) else '?'}: "
                             f"{str(body.get('msg') if isinstance(body, dict) else body)[:200]}")
        return body["data"]

    def submit(self, prompt: str, callback_url: str) -> str:
        data = self._call("POST", "/api/v1/generate", json={"prompt": prompt, "customMode": False, "instrumental": True,
                                                            "model": self.model, "callBackUrl": callback_url})
        task = data.get("taskId")
        if not isinstance(task, str) or not task:
            raise self._fail("the submission answered no taskId")
        return task

    def status(self, task_id: str) -> tuple[str, str | None]:
        """The task's status and, once done, its first track's audio URL."""
        data = self._call("GET", "/api/v1/generate/record-info", params={"taskId": task_id})
        status = str(data.get("status") or "")
        tracks = ((data.get("response") or {}).get("sunoData") or []) if isinstance(data.get("response"), dict) else []
        url = next((t.get("audioUrl") or t.get("audio_url") for t in tracks if isinstance(t, dict)
                    and (t.get("audioUrl") or t.get("audio_url"))), None)
        return status, url

    def download(self, url: str, out: Path, max_bytes: int = 50 * 1024 * 1024) -> Path:
        try:
            check_url(url, field="audio_url")
        except InputError as exc:
            raise self._fail(f"the result URL was refused ({exc.message})") from None
        try:
            with httpx.Client(timeout=self.timeout_s) as http, http.stream("GET", url) as r:
                if r.status_code != 200:
                    raise self._fail(f"downloading the track answered {r.status_code}", status=r.status_code)
                size = 0
                with open(out, "wb") as f:
                    for chunk in r.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise self._fail("the track is over 50 MB")
                        f.write(chunk)
        except httpx.HTTPError as exc:
            raise self._fail("downloading the track failed", exc) from None
        return out


def callback_result(events: list[dict]) -> tuple[str, str | None] | None:
    """From a job's stored callbacks: ("done", url), ("failed", why) or None (nothing final yet)."""
    for e in events:
        p = e.get("payload") or {}
        data = p.get("data") if isinstance(p, dict) else None
        if not isinstance(data, dict):
            continue
        if p.get("code") not in (200, None) or data.get("callbackType") == "error":
            return "failed", str(p.get("msg") or "the provider reported an error")[:200]
        if data.get("callbackType") == "complete":
            for t in data.get("data") or []:
                if isinstance(t, dict) and t.get("audio_url"):
                    return "done", t["audio_url"]
    return None


def generate(api: MusicApi, store: webhooks.Store, job_key: str, *, mood: str, callback_url: str,
             out_wav: Path, duration_s: float, wait_s: float = 600.0, poll_every_s: float = 30.0,
             check_every_s: float = 1.0, fit: Callable[[Path, Path, float], dict],
             log: Callable[[str], None] = lambda m: None, sleep: Callable[[float], None] = time.sleep) -> dict:
    """Get a track for ``job_key`` (submitting at most once), fitted to ``duration_s`` in ``out_wav``."""
    key = JOB_PREFIX + job_key
    job = store.get(key)
    if job.get("task_id"):
        log(f"music API: resuming task {job['task_id']} (submitted {time.time() - job['submitted_at']:.0f} s ago)")
    else:
        prompt = PROMPTS.get(mood, PROMPTS["calm"]) + f", about {int(duration_s)} seconds"
        task = api.submit(prompt, callback_url)
        job = {"task_id": task, "submitted_at": time.time(), "prompt": prompt}
        store.update_many([key], lambda values: {key: job})  # recorded before any waiting
        log(f"music API: submitted task {task}; waiting for its callback (polling every {poll_every_s:.0f} s)")
    task = job["task_id"]
    deadline = time.monotonic() + wait_s
    next_poll = time.monotonic() + poll_every_s
    url: str | None = None
    via = ""
    while url is None:
        result = callback_result(webhooks.events_for(store, PROVIDER, task))
        if result and result[0] == "failed":
            store.update_many([key], lambda values: {key: {}})  # a failed job is not resumed
            raise api._fail(f"task {task} failed: {result[1]}")
        if result:
            url, via = result[1], "callback"
            break
        if time.monotonic() >= next_poll:
            next_poll = time.monotonic() + poll_every_s
            status, polled = api.status(task)
            if status in DONE and polled:
                url, via = polled, "polling"
                break
            if status not in WAITING and status not in DONE:
                store.update_many([key], lambda values: {key: {}})
                raise api._fail(f"task {task} ended as {status or 'unknown'}")
        if time.monotonic() >= deadline:
            raise api._fail(f"no result for task {task} within {wait_s:.0f} s (a retry resumes it)")
        sleep(check_every_s)
    with tempfile.TemporaryDirectory(prefix="musicapi-") as tmp:
        track = api.download(str(url), Path(tmp) / "track.audio")
        facts = fit(track, out_wav, duration_s)
    return {**facts, "task_id": task, "result_via": via, "licence": "generated by the music API for this video "
            "(see the provider's terms)", "prompt": json.dumps(job.get("prompt", ""))[1:-1]}
