"""Generated video clips per scene: OpenAI's Sora and Runway as visual providers (``providers.visuals``).

The job handling (submit all at once, record ids before waiting, resume, budget, bounded waits,
per-scene fallback, capped atomic download) is ``shortsmith.videogen``; these resources hold the
configuration and build the SDK clients. In ``scene_images`` the asset calls
:func:`video_batches` once per Short: the first video provider in the channel's chain submits a
job for every scene at once; then each scene's chain asks the batch for its clip
(:func:`scene_or_clip`), and a scene whose job was refused, failed or did not fit the budget falls
back to the next provider in the chain.
"""

from __future__ import annotations

import io
from abc import abstractmethod
from pathlib import Path
from typing import Any, Callable, ClassVar, Optional

from PIL import Image
from pydantic import Field

from shortsmith.config import Channel, StyleConfig
from shortsmith.errors import ConfigError, InputError
from shortsmith.model import Beat
from shortsmith.resilience import CallContext, MemoryKV, offline_calls
from shortsmith.videogen import (BatchSettings, DailyBudget, JobBook, JobRequest, VideoBackend, VideoBatch,
                                 price_per_second, request_key, round_duration, write_credit)
from shortsmith.videogen.budget import Store
from shortsmith.videogen.runway import IMAGE_ONLY, MODELS, RunwayBackend
from shortsmith.videogen.sora import PORTRAIT_SIZES, SECONDS, SoraBackend
from shortsmith.visuals import build_image_prompt, cover_fit, credit_path, estimate_scene_seconds

from .provider_set import Provider
from .script_writer import OpenAIConnection, openai_client

FIRST_FRAME_CHOICES = ("none", "procedural", "openai", "diffusers")


def clip_name(index: int) -> str:
    """The clip's file name in the scenes workdir (as ``images.clip_name``: scene_NN.mp4)."""
    return f"scene_{index:02d}.mp4"


class VideoGenProvider(Provider):
    """A generated clip per scene, made as a job (see the module docstring). It has the visual providers'
    ``scene(...)`` method (``images.ImageProvider``), so the chain treats it like any of them."""

    max_in_flight: int = Field(default=4, description="jobs running at the provider at once (its concurrency)")
    poll_s: float = 5.0
    timeout_s: float = Field(default=900.0, description="the longest wait for one job")
    max_clip_mb: float = 60.0
    download_timeout_s: float = 180.0
    max_attempts: int = 4
    first_frame: str = Field(default="none", description="the still provider that draws each clip's first frame "
                                                         "(image-to-video): none | procedural | openai | diffusers")

    def describe(self) -> dict:
        return {"provider": self.provider}

    @abstractmethod
    def backend(self) -> VideoBackend:
        """The SDK client behind the jobs."""

    @abstractmethod
    def model_for(self, with_frame: bool) -> str: ...

    @abstractmethod
    def durations(self, model: str) -> tuple[int, ...]: ...

    def options(self, model: str) -> dict:
        return {}

    def settings(self) -> BatchSettings:
        if self.first_frame not in FIRST_FRAME_CHOICES:
            raise ConfigError(f"first_frame {self.first_frame!r} is not a still provider",
                              field=f"providers.{self.provider}.first_frame",
                              fix=f"use one of: {', '.join(FIRST_FRAME_CHOICES)}")
        if self.max_in_flight < 1:
            raise ConfigError("max_in_flight must be at least 1", field=f"providers.{self.provider}.max_in_flight",
                              fix="set it to the number of jobs your plan runs at once (e.g. 2)")
        return BatchSettings(max_in_flight=self.max_in_flight, poll_s=self.poll_s, timeout_s=self.timeout_s,
                             max_clip_mb=self.max_clip_mb, download_timeout_s=self.download_timeout_s,
                             max_attempts=self.max_attempts)

    def request(self, beat: Beat, *, index: int, style: StyleConfig, seconds: float, prices: dict,
                frame: Callable[[], bytes] | None, frame_describe: Any = None) -> JobRequest:
        model = self.model_for(frame is not None)
        length = round_duration(seconds, self.durations(model))
        prompt = build_image_prompt(beat, style, index=index, max_chars=1000).replace(
            "no text, no letters, no logos, no watermark", "gentle camera motion; no text, no logos, no watermark")
        options = self.options(model)
        usd = round(length * price_per_second(prices, self.provider, model), 6)
        key = request_key(self.provider, model, prompt, length, options, frame_describe)
        return JobRequest(index=index, prompt=prompt, model=model, seconds=length, usd=usd, key=key, frame=frame,
                          options=options)

    def batch(self, beats: list[Beat], *, style: StyleConfig, partition: str, seconds: list[float],
              calls: CallContext, store: Store, budget: DailyBudget | None = None, owner: str = "",
              frames: Callable[[int], bytes] | None = None, frame_describe: Any = None,
              first_index: int = 0) -> VideoBatch:
        """The jobs of one Short's scenes (nothing is submitted until ``submit()`` or ``scene()``); scene
        numbers start at ``first_index``."""
        settings = self.settings()
        requests = {}
        for n, beat in enumerate(beats):
            i = first_index + n
            frame = (lambda i=i: frames(i)) if frames is not None else None
            requests[i] = self.request(beat, index=i, style=style, seconds=seconds[n], prices=calls.meter.prices,
                                       frame=frame, frame_describe=frame_describe)
        return VideoBatch(self.backend(), JobBook(store, self.provider, partition), requests, calls=calls,
                          budget=budget, settings=settings, owner=owner)

    def scene(self, beat: Beat, *, style: StyleConfig, seed: str, index: int, total: int,
              size: tuple[int, int], calls: CallContext | None = None, workdir: Path | None = None,
              seconds: float | None = None) -> Path:
        """One clip on its own (no shared job book: not resumable; the asset uses :func:`video_batches`)."""
        if workdir is None:
            raise InputError("a generated clip needs a folder to be downloaded to", field="workdir",
                             fix="pass workdir= (the scenes stage folder) to scene()")
        calls = calls or offline_calls()
        batch = self.batch([beat], style=style, partition=seed, seconds=[seconds or estimate_scene_seconds(beat)],
                           calls=calls, store=MemoryKV(), first_index=index)
        return clip_into(batch, index, Path(workdir) / clip_name(index))


def clip_into(batch: VideoBatch, index: int, dest: Path) -> Path:
    credit = batch.scene(index, dest)
    write_credit(credit_path(dest), {**credit, "scene": dest.name})
    return dest


class SoraVideoProvider(OpenAIConnection, VideoGenProvider):
    """OpenAI video (sora-2 / sora-2-pro) through the openai SDK's videos API (OPENAI_API_KEY)."""

    provider: ClassVar[str] = "sora"
    model: str = "sora-2"
    size: str = Field(default="720x1280", description="portrait: 720x1280 (sora-2), or 1024x1792 (sora-2-pro)")
    timeout_s: float = 900.0
    request_timeout_s: float = 60.0

    def describe(self) -> dict:
        return {"provider": self.provider, "model": self.model, "size": self.size,
                "first_frame": self.first_frame, "base_url": self.base_url or "openai"}

    def backend(self) -> VideoBackend:
        if self.size not in PORTRAIT_SIZES.get(self.model, ("720x1280",)):
            raise ConfigError(f"size {self.size} is not a portrait size of {self.model}", field="providers.sora.size",
                              fix="sora-2: 720x1280; sora-2-pro: 720x1280 or 1024x1792")
        return SoraBackend(openai_client(self.api_key, self.base_url, self.request_timeout_s), size=self.size,
                           secrets=(self.api_key,))

    def model_for(self, with_frame: bool) -> str:
        return self.model

    def durations(self, model: str) -> tuple[int, ...]:
        return SECONDS

    def options(self, model: str) -> dict:
        return {"size": self.size}


class RunwayVideoProvider(VideoGenProvider):
    """Runway text-to-video (gen4.5) and image-to-video from the scene's still (gen4_turbo), RUNWAYML_API_SECRET."""

    provider: ClassVar[str] = "runway"
    configure_hint: ClassVar[str] = "set RUNWAYML_API_SECRET"

    api_key: str = Field(default="", description="RUNWAYML_API_SECRET")
    base_url: Optional[str] = None
    model: str = "gen4.5"  # text-to-video
    image_model: str = "gen4_turbo"  # image-to-video (when first_frame names a still provider)
    first_frame: str = "procedural"
    request_timeout_s: float = 60.0

    def is_configured(self) -> bool:
        return bool(self.api_key)

    def describe(self) -> dict:
        return {"provider": self.provider, "model": self.model, "image_model": self.image_model,
                "first_frame": self.first_frame, "base_url": self.base_url or "runway"}

    def backend(self) -> VideoBackend:
        import runwayml

        if not self.api_key:
            raise ConfigError("no Runway key", field="RUNWAYML_API_SECRET",
                              fix="set RUNWAYML_API_SECRET (https://dev.runwayml.com/)")
        client = runwayml.RunwayML(api_key=self.api_key, base_url=self.base_url, timeout=self.request_timeout_s,
                                   max_retries=0)
        return RunwayBackend(client, download_timeout_s=self.request_timeout_s, secrets=(self.api_key,))

    def model_for(self, with_frame: bool) -> str:
        model = self.image_model if with_frame else self.model
        if model not in MODELS:
            raise ConfigError(f"Runway model {model!r} is not one this provider knows", field="providers.runway.model",
                              fix=f"use one of: {', '.join(MODELS)}")
        if not with_frame and model in IMAGE_ONLY:
            raise ConfigError(f"{model} makes video from an image only", field="providers.runway.model",
                              fix="use gen4.5 for text-to-video, or set first_frame: procedural")
        return model

    def durations(self, model: str) -> tuple[int, ...]:
        return MODELS[model][0]

    def options(self, model: str) -> dict:
        return {"ratio": MODELS[model][1]}


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=3)
    return buf.getvalue()


def frame_size(provider: VideoGenProvider) -> tuple[int, int]:
    """The size a first frame is drawn at: the clip's own size (Sora requires it to match)."""
    size = getattr(provider, "size", None) or "720x1280"
    w, h = (int(v) for v in str(size).split("x"))
    return w, h


def video_batches(channel: Channel, images: Any, beats: list[Beat], *, style: StyleConfig, partition: str,
                  seconds: list[float], calls: CallContext, store: Store, day: str, owner: str,
                  allow: Callable[[str], bool] = lambda name: True,
                  workdir: Path | None = None) -> dict[str, VideoBatch]:
    """A batch per configured video provider of the channel's chain; the first one submits every scene now."""
    batches: dict[str, VideoBatch] = {}
    limit = channel.budgets.visuals_usd_per_day
    budget = DailyBudget(store, channel.name, day, limit) if limit is not None else None
    for name in channel.providers.chain("visuals"):
        provider = images.get(name)
        if not isinstance(provider, VideoGenProvider):
            continue
        frames = None
        still = images.get(provider.first_frame) if provider.first_frame != "none" else None
        if provider.first_frame != "none" and still is None:
            calls.log(f"{name}: first_frame {provider.first_frame} is not configured here: text-to-video instead")
        if still is not None:
            size = frame_size(provider)

            def frames(i: int, still=still, size=size) -> bytes:
                img = still.scene(beats[i], style=style, seed=partition, index=i, total=len(beats), size=size,
                                  calls=calls, workdir=workdir)
                if isinstance(img, Path):
                    raise InputError(f"{provider.first_frame} made a clip, not a still", field="first_frame",
                                     fix="name a still provider (procedural, openai, diffusers)")
                return png_bytes(cover_fit(img, size))
        batch = provider.batch(beats, style=style, partition=partition, seconds=seconds, calls=calls, store=store,
                               budget=budget, owner=owner, frames=frames,
                               frame_describe=still.describe() if still is not None else None)
        if not any(b.wanted for b in batches.values()) and allow(name):
            batch.submit()  # every scene of the Short at once (within max_in_flight), at the first usable provider
        batches[name] = batch
    return batches


def scene_or_clip(provider: Any, batches: dict[str, VideoBatch], index: int, workdir: Path,
                  make: Callable[[], Any]) -> Any:
    """A video provider's clip from its batch; any other provider's ``scene(...)`` (``make``)."""
    batch = batches.get(getattr(provider, "provider", ""))
    if batch is None:
        return make()
    return clip_into(batch, index, Path(workdir) / clip_name(index))


def jobs_report(store: Store, partition: str, channel: Channel, day: str) -> dict:
    """The clip jobs recorded for a partition (every video provider) and the channel's visuals budget that day."""
    jobs = []
    for provider in ("sora", "runway"):
        for key, rec in JobBook(store, provider, partition).jobs().items():
            jobs.append({"provider": provider, "scene": rec.get("index"), "job_id": rec.get("job_id"),
                         "state": rec.get("state"), "model": rec.get("model"), "seconds": rec.get("seconds"),
                         "usd": rec.get("usd"), "message": rec.get("message", ""), "request": key})
    jobs.sort(key=lambda j: (j["scene"] if j["scene"] is not None else -1, j["provider"]))
    limit = channel.budgets.visuals_usd_per_day
    spent = DailyBudget(store, channel.name, day, limit).spent()
    return {"partition": partition, "jobs": jobs,
            "budget": {"channel": channel.name, "day": day, "limit_usd": limit, "reserved_usd": spent}}


__all__ = ["FIRST_FRAME_CHOICES", "jobs_report", "RunwayVideoProvider", "SoraVideoProvider", "VideoGenProvider", "scene_or_clip",
           "video_batches"]
