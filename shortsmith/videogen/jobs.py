"""Generated video clips as long-running jobs: submit, record, resume, wait, download (no Dagster).

A video model (OpenAI's Sora, Runway) takes tens of seconds to minutes per clip, so a Short's
scenes are handled as one :class:`VideoBatch`:

- **Submit all at once** (up to ``max_in_flight`` jobs at a time: the provider's concurrency);
  each job first reserves its estimated cost in the channel's :class:`~.budget.DailyBudget`
  (a job the budget cannot take is never submitted: that scene falls back).
- **Record before waiting**: every job id is written to the shared state table
  (:class:`JobBook`, one transaction per change) the moment the provider answers, keyed by the
  partition and a fingerprint of the request (model, prompt, seconds, size, first frame). A
  crashed or retried run finds the id and resumes polling the same job instead of paying again.
- **Bounded waits**: polling stops after ``timeout_s`` with a message that names the job and
  says that a re-run resumes it.
- **Per-scene fallback**: a moderation refusal (at submission or as the job's failure) and a failed
  job make the provider *unavailable* for that scene: the channel's chain moves to the next visual
  provider for that scene only and the reservation is given back. They do not count towards the
  provider's circuit breaker (an open circuit would strand the Short's other jobs, already paid
  for); HTTP failures that outlast the retries do. A refused or failed job is recorded, so a re-run
  does not pay for it again.
- **Download** with a byte cap and an atomic rename (``shortsmith.visuals.download_clip``).

The provider-specific calls live behind :class:`VideoBackend` (``sora.py``, ``runway.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ..resilience import DEFAULT_PRICES, CallContext, ProviderError, ProviderUnavailable, RetryPolicy
from .budget import DailyBudget, Store

# USD per second of generated video, by model; override with channels.yaml ``pricing: {sora: {sora-2: 0.1}}``.
# From the providers' public price pages (not verifiable here without an account).
VIDEO_PRICES: dict[str, dict[str, float]] = {p: DEFAULT_PRICES[p] for p in ("sora", "runway")}

TERMINAL = ("succeeded", "failed", "refused")


def round_duration(seconds: float, offered: Iterable[int]) -> int:
    """The shortest duration a model offers that covers ``seconds`` (else its longest: the renderer loops)."""
    choices = sorted(set(int(s) for s in offered))
    if not choices:
        raise ValueError("no durations offered")
    return next((s for s in choices if s >= seconds - 1e-6), choices[-1])


def price_per_second(prices: dict, provider: str, model: str) -> float:
    table = prices.get(provider) or {}
    if model in table:
        return float(table[model])
    return float(VIDEO_PRICES.get(provider, {}).get(model, 0.0))


def request_key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


@dataclass
class JobRequest:
    """One scene's clip request, as the provider will get it."""

    index: int
    prompt: str
    model: str
    seconds: int
    usd: float  # estimated: seconds x the model's price per second
    key: str  # fingerprint of everything that shapes the clip
    frame: Callable[[], bytes] | None = None  # draws the PNG the clip starts from (image-to-video), or None
    options: dict = field(default_factory=dict)  # provider-specific (size, ratio, ...)
    _png: bytes | None = field(default=None, repr=False)

    @property
    def first_frame(self) -> bytes | None:
        """The first frame, drawn once and only when a job is really submitted (a resumed job needs none)."""
        if self.frame is None:
            return None
        if self._png is None:
            self._png = self.frame()
        return self._png


@dataclass
class JobStatus:
    state: str  # queued | running | succeeded | failed | refused
    progress: float | None = None
    message: str = ""
    output: str | None = None  # where the clip can be downloaded (Runway: a URL), when the backend needs it
    raw: dict = field(default_factory=dict)


class VideoBackend(ABC):
    """The calls one video API needs; every call may raise the SDK's exceptions (``classify`` maps them)."""

    provider: str = ""
    secrets: tuple[str, ...] = ()

    @abstractmethod
    def create(self, req: JobRequest) -> str:
        """Submit the job; its id."""

    @abstractmethod
    def status(self, job_id: str) -> JobStatus:
        """The job's state now."""

    @abstractmethod
    def download(self, job_id: str, status: JobStatus, dest: Path, *, max_bytes: int, deadline_s: float) -> int:
        """Stream the finished clip to ``dest`` (atomically, at most ``max_bytes``); its size."""

    @abstractmethod
    def classify(self, exc: BaseException, index: int) -> ProviderError | None:
        """An SDK exception as a ProviderError; a moderation refusal as ProviderUnavailable."""


class JobBook:
    """The video jobs of one partition and provider, in the shared state table (one transaction per change)."""

    PREFIX = "shortsmith/videojobs/"

    def __init__(self, store: Store, provider: str, partition: str):
        self.store = store
        self.key = f"{self.PREFIX}{provider}/{partition}"

    def get(self, req_key: str) -> dict | None:
        return (self.store.get(self.key).get("jobs") or {}).get(req_key)

    def claim(self, req: JobRequest, owner: str, stale_s: float, now: float) -> tuple[dict, bool]:
        """Mark the request as being submitted by ``owner``; (the record, True) when this caller may submit it,
        (the existing record, False) when another process holds a fresh claim or it is already known."""
        out: list[Any] = [None, False]

        def take(value: dict) -> dict:
            jobs = value.setdefault("jobs", {})
            rec = jobs.get(req.key)
            if rec is None or (rec.get("state") == "submitting" and not rec.get("job_id")
                               and (now - float(rec.get("at", 0)) > stale_s or rec.get("owner") == owner)):
                rec = {"state": "submitting", "index": req.index, "owner": owner, "at": now, "model": req.model,
                       "seconds": req.seconds, "usd": req.usd}
                jobs[req.key] = rec
                out[1] = True
            out[0] = dict(rec)
            return value

        self.store.update(self.key, take)
        return out[0], out[1]

    def set(self, req_key: str, **fields: Any) -> None:
        def put(value: dict) -> dict:
            rec = value.setdefault("jobs", {}).setdefault(req_key, {})
            rec.update(fields)
            return value
        self.store.update(self.key, put)

    def forget(self, req_key: str) -> None:
        def drop(value: dict) -> dict:
            (value.setdefault("jobs", {})).pop(req_key, None)
            return value
        self.store.update(self.key, drop)

    def jobs(self) -> dict[str, dict]:
        return dict(self.store.get(self.key).get("jobs") or {})


@dataclass
class BatchSettings:
    max_in_flight: int = 4  # jobs running at the provider at once (its concurrency tier)
    poll_s: float = 5.0  # between status polls of one job
    timeout_s: float = 900.0  # the longest wait for one job
    claim_stale_s: float = 120.0  # a "submitting" mark older than this is taken as a crashed submitter
    max_clip_mb: float = 60.0
    download_timeout_s: float = 180.0
    max_attempts: int = 4  # per HTTP call (429/5xx/cut connections)


class VideoBatch:
    """The clip jobs of one Short at one provider (see the module docstring)."""

    def __init__(self, backend: VideoBackend, book: JobBook, requests: dict[int, JobRequest], *,
                 calls: CallContext, budget: DailyBudget | None = None, settings: BatchSettings | None = None,
                 owner: str = "", clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time):
        self.backend, self.book, self.requests, self.calls = backend, book, requests, calls
        self.budget = budget
        self.settings = settings or BatchSettings()
        self.owner = owner or f"pid{os.getpid()}"
        self.clock, self.wall = clock, wall
        self.provider = backend.provider
        self.wanted: list[int] = []
        self.jobs: dict[int, dict] = {}  # index -> record with job_id (submitted or resumed)
        self.done: dict[int, JobStatus] = {}  # index -> terminal status seen
        self.unavailable: dict[int, str] = {}  # index -> why the provider cannot make this scene
        self.errors: dict[int, ProviderError] = {}
        self.finished: set[int] = set()  # waited on (downloaded, failed or refused)
        self.created = 0  # jobs this batch paid for (not resumed)
        self.resumed = 0

    # -- submission ----------------------------------------------------------------------
    def _policy(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=self.settings.max_attempts)

    def _call(self, fn: Callable[[], Any], index: int) -> Any:
        return self.calls.call(fn, provider=self.provider, classify=lambda e: self.backend.classify(e, index),
                               policy=self._policy(), secrets=list(self.backend.secrets))

    def _in_flight(self) -> int:
        return sum(1 for i in self.jobs if i not in self.finished and i not in self.done)

    def submit(self, indices: Iterable[int] | None = None) -> None:
        """Want these scenes (default: all) and submit as many as the concurrency allows."""
        for i in (sorted(self.requests) if indices is None else indices):
            if i in self.requests and i not in self.wanted:
                self.wanted.append(i)
        self._fill()

    def _settled(self, i: int) -> bool:
        return i in self.jobs or i in self.unavailable or i in self.errors

    def _fill(self, force: int | None = None) -> None:
        for i in self.wanted:
            if self._settled(i):
                continue
            if self._in_flight() >= self.settings.max_in_flight and i != force:
                continue
            self._submit(i)

    def _submit(self, i: int) -> None:
        req = self.requests[i]
        deadline = self.clock() + self.settings.claim_stale_s
        while True:
            rec = self.book.get(req.key)
            if rec is not None and rec.get("state") == "submitting" and not rec.get("job_id"):
                age = self.wall() - float(rec.get("at", 0))
                if age <= self.settings.claim_stale_s and rec.get("owner") != self.owner and self.clock() < deadline:
                    self.calls.sleep(min(1.0, self.settings.poll_s))  # another run is submitting it right now
                    continue
                # else: a submitter that crashed before the provider answered; claim() takes it over
            if rec is not None and rec.get("job_id"):
                state = rec.get("state")
                if state in ("failed", "refused"):
                    self.unavailable[i] = (f"job {rec['job_id']} for scene {i} was {state} earlier: "
                                           f"{rec.get('message', '')}")
                    return
                self.jobs[i] = rec
                self.resumed += 1
                self.calls.log(f"{self.provider}: scene {i}: resuming job {rec['job_id']} "
                               "(recorded earlier, not paid again)")
                return
            if rec is not None and rec.get("state") == "refused":
                self.unavailable[i] = f"scene {i} was refused earlier: {rec.get('message', '')}"
                return
            if self.budget is not None and not self.budget.reserve(req.usd):
                self.unavailable[i] = (f"the channel's daily visuals budget (${self.budget.limit:.2f}) cannot take "
                                       f"${req.usd:.2f} more ({self.budget.spent():.2f} spent on {self.budget.day})")
                self.calls.log(f"{self.provider}: scene {i}: {self.unavailable[i]}; falling back")
                return
            rec, mine = self.book.claim(req, self.owner, self.settings.claim_stale_s, self.wall())
            if mine:
                break
            self._release(req)  # another run claimed it between our read and our claim: wait for its job id
            if self.clock() >= deadline:
                self.errors[i] = ProviderError(
                    f"scene {i} has been being submitted by another run ({rec.get('owner')}) for over "
                    f"{self.settings.claim_stale_s:.0f} s", provider=self.provider, transient=True,
                    fix="re-run the step once the other run has ended (its job, if any, is then resumed)")
                return
        try:
            job_id = self._call(lambda: self.backend.create(req), i)
        except ProviderUnavailable as exc:  # moderation refused the prompt: this scene falls back
            self.book.set(req.key, state="refused", message=exc.detail[:300], owner=self.owner)
            self._release(req)
            self.unavailable[i] = exc.detail
            self.calls.log(f"{self.provider}: scene {i} refused: {exc.detail}")
            return
        except ProviderError as exc:
            self.book.forget(req.key)  # nothing was created: a re-run may submit it
            self._release(req)
            if not exc.transient:
                raise
            self.errors[i] = exc
            return
        except BaseException:
            self.book.forget(req.key)
            self._release(req)
            raise
        rec = {"state": "submitted", "job_id": str(job_id), "index": i, "owner": self.owner, "at": self.wall(),
               "model": req.model, "seconds": req.seconds, "usd": req.usd}
        self.book.set(req.key, **rec)  # recorded before any wait: a crash from here on resumes this job
        self.jobs[i] = rec
        self.created += 1
        self.calls.log(f"{self.provider}: scene {i}: submitted job {job_id} ({req.model}, {req.seconds} s, "
                       f"about ${req.usd:.2f})")

    def _release(self, req: JobRequest) -> None:
        if self.budget is not None:
            self.budget.release(req.usd)

    # -- waiting -------------------------------------------------------------------------
    def _poll(self, i: int) -> JobStatus:
        job_id = self.jobs[i]["job_id"]
        status: JobStatus = self._call(lambda: self.backend.status(job_id), i)
        if status.state in TERMINAL:
            self.done[i] = status
        return status

    def wait(self, i: int) -> JobStatus:
        """Poll scene ``i``'s job until it ends, at most ``timeout_s``."""
        if i in self.done:
            return self.done[i]
        job_id = self.jobs[i]["job_id"]
        started = self.clock()
        polls = 0
        while True:
            status = self._poll(i)
            polls += 1
            if status.state in TERMINAL:
                return status
            waited = self.clock() - started
            if waited > self.settings.timeout_s:
                raise ProviderError(
                    f"job {job_id} for scene {i} is still {status.state} after {waited:.0f} s ({polls} polls)",
                    provider=self.provider, transient=False, field=f"providers.{self.provider}.timeout_s",
                    fix="re-run the step: it resumes the same job (its id is recorded, nothing is paid again); "
                        "or raise the provider's timeout_s")
            if polls == 1 or polls % 6 == 0:
                progress = f" {status.progress:.0f}%" if status.progress is not None else ""
                self.calls.log(f"{self.provider}: scene {i}: job {job_id} {status.state}{progress}")
            self.calls.sleep(self.settings.poll_s)

    def _free_a_slot(self) -> None:
        """Wait until one in-flight job ends (a lazily submitted scene needs its slot)."""
        started = self.clock()
        while self._in_flight() >= self.settings.max_in_flight:
            for j in [j for j in self.jobs if j not in self.finished and j not in self.done]:
                self._poll(j)
            if self._in_flight() < self.settings.max_in_flight:
                return
            if self.clock() - started > self.settings.timeout_s:
                raise ProviderError(f"no {self.provider} job ended within {self.settings.timeout_s:.0f} s",
                                    provider=self.provider, transient=True,
                                    fix="re-run the step (recorded jobs are resumed)")
            self.calls.sleep(self.settings.poll_s)

    # -- one scene -----------------------------------------------------------------------
    def scene(self, i: int, dest: Path) -> dict:
        """Scene ``i``'s clip at ``dest`` and what made it (provider, job, model, seconds, cost)."""
        if i not in self.wanted:
            self.wanted.append(i)
        if not self._settled(i):
            if self._in_flight() >= self.settings.max_in_flight:
                self._free_a_slot()
            self._fill(force=i)
        if i in self.unavailable:
            raise ProviderUnavailable(self.unavailable[i], provider=self.provider,
                                      fix="let the next visual provider make this scene, or rephrase its prompt")
        if i in self.errors:
            raise self.errors[i]
        req, rec = self.requests[i], self.jobs[i]
        job_id = rec["job_id"]
        try:
            status = self.wait(i)
            if status.state != "succeeded":
                self.finished.add(i)
                self.book.set(req.key, state=status.state, message=status.message[:300])
                self._release(req)
                if status.state == "refused":
                    raise ProviderUnavailable(f"job {job_id} for scene {i} was refused by moderation: {status.message}",
                                              provider=self.provider,
                                              fix="rephrase the beat's visual_prompt; the next provider made the scene")
                # not a circuit-breaker failure: the Short's other jobs are already paid for and must stay usable
                raise ProviderUnavailable(f"job {job_id} for scene {i} failed: {status.message}",
                                          provider=self.provider,
                                          fix="the next visual provider made this scene; a re-run does not submit it "
                                              "again (change the beat's visual_prompt to try anew)")
            max_bytes = int(self.settings.max_clip_mb * 1e6)
            try:
                nbytes = self._call(lambda: self.backend.download(job_id, status, dest, max_bytes=max_bytes,
                                                                  deadline_s=self.settings.download_timeout_s), i)
            except ProviderError as exc:
                if exc.status not in (404, 410):
                    raise
                self.finished.add(i)
                self.book.forget(req.key)  # the provider no longer keeps the clip: a re-run makes it again
                raise ProviderError(f"the clip of job {job_id} (scene {i}) has expired at the provider: {exc.detail}",
                                    provider=self.provider, status=exc.status, transient=True,
                                    fix="the next visual provider made this scene; a re-run submits a new job"
                                    ) from None
        finally:
            self._fill()
        self.finished.add(i)
        price = price_per_second(self.calls.meter.prices, self.provider, req.model)
        item = self.calls.meter.add(self.provider, f"scene {i}", **{req.model: req.seconds})
        self.book.set(req.key, state="succeeded")
        credit = {"provider": self.provider, "job_id": job_id, "model": req.model, "seconds": req.seconds,
                  "usd": item.usd, "usd_per_second": price, "bytes": nbytes, "prompt": req.prompt,
                  "resumed": rec.get("owner") != self.owner, "first_frame": req.frame is not None}
        self.calls.log(f"{self.provider}: scene {i}: job {job_id} done ({req.seconds} s, ${item.usd:.2f}, "
                       f"{nbytes / 1e6:.1f} MB)")
        return credit


def write_credit(path: Path, credit: dict) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(json.dumps(credit, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


__all__ = ["BatchSettings", "JobBook", "JobRequest", "JobStatus", "TERMINAL", "VIDEO_PRICES", "VideoBackend",
           "VideoBatch", "price_per_second", "request_key", "round_duration", "write_credit"]
