"""Scene visuals: procedural art (offline default), OpenAI images, Pexels stock clips, local diffusers.

Every provider has the same method::

    scene(beat, *, style, seed, index, total, size, calls=None, workdir=None, seconds=None)
        -> PIL.Image.Image | Path

A still comes back as an image of exactly ``size``; a stock clip comes back as the path of an
MP4 downloaded into ``workdir`` (``scene_{index:02d}.mp4``, with its attribution beside it in
``scene_{index:02d}.credit.json``). The renderer takes either (``shortsmith.render``).
The logic lives in ``shortsmith.visuals``; these classes only hold configuration and make the
calls through ``calls.call`` (rate limit, retries with Retry-After, secret scrubbing).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Optional

import dagster as dg
from PIL import Image
from pydantic import Field

from shortsmith.art import VisualStyle, render_scene
from shortsmith.art.compose import render_planned
from shortsmith.art.layouts import plan_scene, read_plans, write_plan
from shortsmith.art.subjects import LIBRARY_VERSION
from shortsmith.art.subjects import available as subject_library_available
from shortsmith.config import StyleConfig
from shortsmith.errors import ConfigError, InputError, ToolMissingError
from shortsmith.model import Beat
from shortsmith.resilience import CallContext, ProviderError, ProviderUnavailable, RetryPolicy, offline_calls
from shortsmith.visuals import (ClipCredit, ClipTooLarge, build_image_prompt, choose_clips, classify_http, cover_fit,
                                credit_path, decode_image, download_clip, estimate_scene_seconds, orientation, pexels_search,
                                search_queries, used_video_ids)

from ..settings import ProviderSettings
from .provider_set import Provider, ProviderSet
from .script_writer import OpenAIConnection, classify_openai
from .videogen import RunwayVideoProvider, SoraVideoProvider


def visual_style(style: StyleConfig) -> VisualStyle:
    return VisualStyle.from_dict({"name": style.name, "palette": list(style.palette)})


def clip_name(index: int) -> str:
    """The file name a stock clip of scene ``index`` is downloaded to inside ``workdir``."""
    return f"scene_{index:02d}.mp4"


class ImageProvider(Provider):
    """Makes one 9:16 scene per beat: a still image of exactly ``size``, or a video clip (a Path
    inside ``workdir``)."""

    @abstractmethod
    def scene(self, beat: Beat, *, style: StyleConfig, seed: str, index: int, total: int,
              size: tuple[int, int], calls: CallContext | None = None, workdir: Path | None = None,
              seconds: float | None = None) -> Image.Image | Path:
        """The beat's scene (see the module docstring)."""

    def describe(self) -> dict:
        """What the cache fingerprint of the scenes depends on."""
        return {"provider": self.provider}


class ProceduralImageProvider(ImageProvider):
    """Scene art drawn offline in the channel's style: library subjects matched to the beat by meaning,
    composed in a layout chosen by what the beat says (``shortsmith.art.compose``). Each scene's plan
    (layout, subjects, scores) is written beside it as ``scene_NN.plan.json`` in ``workdir``, where the
    next scene reads it so consecutive scenes never repeat a subject or a layout. Without the subject
    library installed, the procedural motifs alone are drawn."""

    provider: ClassVar[str] = "procedural"

    subjects: bool = Field(default=True, description="draw library subjects (False: procedural motifs only)")

    def scene(self, beat: Beat, *, style: StyleConfig, seed: str, index: int, total: int,
              size: tuple[int, int], calls: CallContext | None = None, workdir: Path | None = None,
              seconds: float | None = None) -> Image.Image:
        if not (self.subjects and subject_library_available()):
            return render_scene(beat, style=visual_style(style), seed=seed, index=index, total=total, size=size)
        previous = read_plans(workdir, index) if workdir is not None else []
        plan = plan_scene(beat, previous)
        image = render_planned(beat, plan, style=visual_style(style), seed=seed, index=index, total=total, size=size)
        if workdir is not None:
            write_plan(workdir, index, plan)
        return image

    def describe(self) -> dict:
        on = self.subjects and subject_library_available()
        return {"provider": self.provider, "subjects": LIBRARY_VERSION if on else None, "layouts": 1 if on else None}


# ----------------------------------------------------------------------------- OpenAI images


def classify_openai_images(exc: BaseException, *, index: int = 0) -> ProviderError | None:
    """An openai SDK exception as a ProviderError (see ``classify_openai``); a request error of the
    images API names the setting or the beat's prompt to fix."""
    import openai

    provider = "openai-images"
    err = classify_openai(exc, provider)
    if err is None or err.transient or not isinstance(exc, openai.APIStatusError):
        return err
    status = exc.status_code
    if status in (401, 403):
        return ProviderError(f"HTTP {status} (the key was refused): {exc.message}", provider=provider,
                             status=status, field="OPENAI_API_KEY",
                             fix="set OPENAI_API_KEY to a valid key (or point OPENAI_BASE_URL at your server)")
    code = getattr(exc, "code", None) or ""
    param = getattr(exc, "param", None) or ""
    if code == "moderation_blocked" or "safety" in str(exc.message).lower():
        return ProviderError(f"HTTP {status}: the prompt was blocked by the safety system: {exc.message}",
                             provider=provider, status=status, field=f"beats[{index}].visual_prompt",
                             fix="rephrase the beat's visual_prompt (or the style's image_prompt) and re-run")
    field = {"size": "images.image_size", "quality": "images.quality", "model": "images.model",
             "prompt": f"beats[{index}].visual_prompt"}.get(param, f"images ({param or 'request'})")
    return ProviderError(f"HTTP {status}: {exc.message}", provider=provider, status=status, field=field,
                         fix="correct the named setting: gpt-image-1 takes size 1024x1536 and quality "
                             "low/medium/high/auto; dall-e-3 takes 1024x1792 and standard/hd")


class OpenAIImageProvider(OpenAIConnection, ImageProvider):
    """OpenAI images (gpt-image-1 or dall-e-3), or any OpenAI-compatible server via ``base_url``.

    The prompt is the beat's visual prompt inside the channel's ``style.image_prompt`` template,
    with the style's look and palette in words; the portrait answer is cover-fitted to the exact
    output size. One image costs ``pricing.openai-images.image`` (counted per answer).
    """

    model: str = "gpt-image-1"
    quality: Optional[str] = Field(default="medium",
                                   description="gpt-image-1: low|medium|high|auto; dall-e-3: standard|hd; None: omit")
    image_size: str = Field(default="1024x1536", description="portrait size to ask for (dall-e-3: 1024x1792)")
    timeout_s: float = 120.0  # an image takes longer than a script
    max_attempts: int = 3

    def describe(self) -> dict:
        return {"provider": self.provider, "model": self.model, "quality": self.quality, "size": self.image_size,
                "base_url": self.base_url or "openai"}

    def _check(self) -> None:
        try:
            w, h = (int(v) for v in self.image_size.lower().split("x"))
        except ValueError:
            raise ConfigError(f"image_size {self.image_size!r} is not WIDTHxHEIGHT", field="images.image_size",
                              fix="use 1024x1536 (gpt-image-1) or 1024x1792 (dall-e-3)") from None
        if h <= w:
            raise ConfigError(f"image_size {self.image_size} is not portrait", field="images.image_size",
                              fix="Shorts are 9:16: use 1024x1536 (gpt-image-1) or 1024x1792 (dall-e-3)")

    def _client(self):
        self._check()
        return super()._client()

    def size_for(self, size: tuple[int, int]) -> str:
        """The size to ask for an output of ``size``: the configured portrait size for a Short, the
        same size turned for a 16:9 episode (1536x1024, dall-e-3 1792x1024), 1024x1024 for 1:1."""
        w, h = (int(v) for v in self.image_size.lower().split("x"))
        if size[0] > size[1]:
            return f"{h}x{w}"
        return "1024x1024" if size[0] == size[1] else self.image_size

    def scene(self, beat: Beat, *, style: StyleConfig, seed: str, index: int, total: int,
              size: tuple[int, int], calls: CallContext | None = None, workdir: Path | None = None,
              seconds: float | None = None) -> Image.Image:
        calls = calls or offline_calls()
        client = self._client()
        limit = 1000 if self.model.startswith("dall-e-2") else 4000
        prompt = build_image_prompt(beat, style, index=index, max_chars=limit)
        kwargs: dict[str, Any] = {"model": self.model, "prompt": prompt, "size": self.size_for(size), "n": 1}
        if self.quality:
            kwargs["quality"] = self.quality
        if self.model.startswith("dall-e"):
            kwargs["response_format"] = "b64_json"  # gpt-image models always answer in base64

        def generate() -> Image.Image:
            result = client.images.generate(**kwargs)
            calls.meter.add("openai-images", "scene", image=1)  # billed once an answer arrives
            data = getattr(result, "data", None) or []
            return decode_image(getattr(data[0], "b64_json", None) if data else None, provider="openai-images")

        img = calls.call(generate, provider="openai-images", classify=lambda e: classify_openai_images(e, index=index),
                         policy=RetryPolicy(max_attempts=self.max_attempts), per_minute=self.requests_per_minute,
                         secrets=[self.api_key])
        calls.log(f"openai-images: scene {index + 1}/{total} drawn by {self.model} ({img.size[0]}x{img.size[1]})")
        return cover_fit(img, size)


# ----------------------------------------------------------------------------- Pexels clips


class PexelsClipProvider(ImageProvider):
    """Portrait stock clips from Pexels for a beat's keywords, streamed to ``workdir`` under a size cap.

    When no portrait clip fits (no results, all too short/long/small/large) the provider is
    *unavailable* for that scene and the channel's chain moves on to the next visual provider.
    """

    provider: ClassVar[str] = "pexels"
    configure_hint: ClassVar[str] = "set PEXELS_API_KEY"

    api_key: str = Field(default="", description="PEXELS_API_KEY")
    base_url: str = "https://api.pexels.com"
    max_clip_mb: float = 40.0
    min_clip_seconds: float = 3.0
    max_clip_seconds: float = 60.0
    per_page: int = 15
    timeout_s: float = 30.0  # per connect/read
    download_timeout_s: float = 180.0  # the whole download
    max_attempts: int = 3
    requests_per_minute: int = 0  # Pexels allows 200 requests/hour by default; 429s are honoured
    max_downloads: int = 3  # files tried per scene when one is refused for its size

    def is_configured(self) -> bool:
        return bool(self.api_key)

    def describe(self) -> dict:
        return {"provider": self.provider, "max_clip_mb": self.max_clip_mb,
                "clip_seconds": [self.min_clip_seconds, self.max_clip_seconds]}

    def scene(self, beat: Beat, *, style: StyleConfig, seed: str, index: int, total: int,
              size: tuple[int, int], calls: CallContext | None = None, workdir: Path | None = None,
              seconds: float | None = None) -> Path:
        import httpx

        if not self.api_key:
            raise ConfigError("no Pexels key", field="PEXELS_API_KEY",
                              fix="set PEXELS_API_KEY (free at https://www.pexels.com/api/)")
        if not 1 <= self.per_page <= 80:
            raise ConfigError(f"per_page {self.per_page} is outside 1-80", field="images.pexels.per_page",
                              fix="Pexels answers at most 80 results a page; use 15")
        if workdir is None:
            raise InputError("a stock clip needs a folder to be downloaded to", field="workdir",
                             fix="pass workdir= (the scenes stage folder) to scene()")
        calls = calls or offline_calls()
        workdir = Path(workdir)
        seconds = seconds or estimate_scene_seconds(beat)
        queries = search_queries(beat)
        if not queries:
            raise ProviderUnavailable(f"beat {index} has no keywords to search for", provider="pexels",
                                      fix="give the beat keywords (or a visual_prompt) to search stock footage")
        max_bytes = int(self.max_clip_mb * 1e6)
        policy = RetryPolicy(max_attempts=self.max_attempts)
        exclude = used_video_ids(workdir, skip=credit_path(workdir / clip_name(index)))
        classify = lambda e: classify_http(e, "pexels")  # noqa: E731
        tried: list[str] = []
        timeout = httpx.Timeout(self.timeout_s)
        # the key goes on the search request only: never to the file host
        with httpx.Client(timeout=timeout, follow_redirects=True,
                          headers={"User-Agent": "shortsmith (+https://github.com/)"}) as client:
            for query in queries:
                videos = calls.call(
                    lambda q=query: pexels_search(
                        client, self.base_url, self.api_key, q, per_page=self.per_page,
                        size="medium" if min(size) >= 1080 else "small", orientation=orientation(*size),
                        min_duration=int(self.min_clip_seconds), max_duration=self.max_clip_seconds, index=index),
                    provider="pexels", classify=classify, policy=policy, per_minute=self.requests_per_minute,
                    secrets=[self.api_key])
                calls.meter.add("pexels", "search", request=1)
                choices = choose_clips(videos, size=size, scene_seconds=seconds, min_seconds=self.min_clip_seconds,
                                       max_seconds=self.max_clip_seconds, max_bytes=max_bytes, exclude_ids=exclude)
                if not choices:
                    tried.append(f"{query!r}: {len(videos)} result(s), none a usable portrait clip")
                    continue
                for choice in choices[:self.max_downloads]:
                    dest = workdir / clip_name(index)
                    try:
                        nbytes = calls.call(
                            lambda c=choice: download_clip(client, c.file.link, dest, max_bytes=max_bytes,
                                                           deadline_s=self.download_timeout_s),
                            provider="pexels", classify=classify, policy=policy, secrets=[self.api_key])
                    except ClipTooLarge as exc:
                        calls.log(f"pexels: clip {choice.video.id} refused: {getattr(exc, 'detail', exc.message)}")
                        tried.append(f"{query!r}: video {choice.video.id} over the {self.max_clip_mb:g} MB cap")
                        continue
                    ClipCredit(provider="pexels", video_id=choice.video.id, video_url=choice.video.url,
                               author=choice.video.user_name, author_url=choice.video.user_url,
                               file_id=choice.file.id, width=choice.file.width or 0, height=choice.file.height or 0,
                               duration=choice.video.duration, query=query, bytes=nbytes,
                               extra={"loops": choice.loops, "upscale": choice.upscale}).write(credit_path(dest))
                    calls.log(f"pexels: scene {index + 1}/{total}: video {choice.video.id} "
                              f"({choice.file.width}x{choice.file.height}, {choice.video.duration:g} s, "
                              f"{nbytes / 1e6:.1f} MB) by {choice.video.user_name or 'unknown'} for {query!r}")
                    return dest
        raise ProviderUnavailable(
            f"no portrait clip fits scene {index} ({'; '.join(tried)})", provider="pexels",
            fix="give the beat more concrete keywords, raise max_clip_mb or max_clip_seconds, or let the next "
                "visual provider draw this scene")


# ----------------------------------------------------------------------------- local diffusers


class DiffusersUnavailable(ProviderUnavailable, ToolMissingError):
    """diffusers cannot run here (not installed, no CUDA device, no local weights): the chain moves on."""

    def __init__(self, message: str, *, field: str, fix: str):
        ProviderError.__init__(self, message, provider="diffusers", transient=True, field=field, fix=fix)


_PIPELINES: dict[tuple, Any] = {}
_PIPELINES_LOCK = threading.Lock()


class DiffusersImageProvider(ImageProvider):
    """A local diffusers pipeline (SDXL, SD 1.5, ...) on a GPU worker, from ``style.diffusers_model``.

    Runs only with diffusers and torch installed, a CUDA device and the model folder on disk;
    it is loaded with ``local_files_only=True`` (and the Hub offline), so nothing is ever
    downloaded at run time. Otherwise the provider is unavailable and the chain moves on.
    """

    provider: ClassVar[str] = "diffusers"
    configure_hint: ClassVar[str] = "set SHORTSMITH_DIFFUSERS=1 on a GPU worker with diffusers installed"

    enabled: bool = Field(default=False, description="SHORTSMITH_DIFFUSERS=1 on a GPU worker")
    device: str = "cuda"
    steps: int = 30
    guidance: float = 6.0
    width: int = 768  # generation size (multiples of 64); the result is cover-fitted to the output
    height: int = 1344
    dtype: str = "float16"
    negative_prompt: str = "text, letters, watermark, logo, blurry, low quality, deformed"

    def is_configured(self) -> bool:
        return self.enabled

    def describe(self) -> dict:
        return {"provider": self.provider, "steps": self.steps, "guidance": self.guidance,
                "size": f"{self.width}x{self.height}"}

    def _pipeline(self, style: StyleConfig):
        missing = [m for m in ("torch", "diffusers") if importlib.util.find_spec(m) is None]
        if missing:
            raise DiffusersUnavailable(f"{' and '.join(missing)} not installed on this worker", field="diffusers",
                                       fix="pip install torch diffusers transformers accelerate on the GPU worker, "
                                           "or drop 'diffusers' from the channel's providers.visuals")
        import torch

        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise DiffusersUnavailable("no CUDA device on this worker", field="images.device",
                                       fix="run scene_images on a GPU worker (the gpu queue), or set device=cpu "
                                           "(very slow)")
        folder = style.diffusers_model
        if not folder:
            raise DiffusersUnavailable("the channel's style names no local model", field="style.diffusers_model",
                                       fix="set style.diffusers_model to a diffusers model folder on the worker "
                                           "(downloaded beforehand, e.g. with huggingface-cli download)")
        path = Path(folder).expanduser()
        if not (path / "model_index.json").is_file():
            raise DiffusersUnavailable(f"{path} is not a local diffusers model folder (no model_index.json)",
                                       field="style.diffusers_model",
                                       fix="download the model to that folder beforehand; nothing is downloaded "
                                           "at run time")
        key = (str(path.resolve()), self.device, self.dtype)
        with _PIPELINES_LOCK:
            pipe = _PIPELINES.get(key)
            if pipe is None:
                from diffusers import DiffusionPipeline

                saved = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
                os.environ.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
                try:
                    pipe = DiffusionPipeline.from_pretrained(str(path), local_files_only=True,
                                                             torch_dtype=getattr(torch, self.dtype))
                except (OSError, ValueError) as exc:
                    raise DiffusersUnavailable(f"the model in {path} cannot be loaded: {exc}",
                                               field="style.diffusers_model",
                                               fix="re-download the complete model folder") from None
                finally:
                    for k, v in saved.items():
                        if v is None:
                            os.environ.pop(k, None)
                        else:
                            os.environ[k] = v
                pipe = pipe.to(self.device)
                _PIPELINES[key] = pipe
        return pipe

    def scene(self, beat: Beat, *, style: StyleConfig, seed: str, index: int, total: int,
              size: tuple[int, int], calls: CallContext | None = None, workdir: Path | None = None,
              seconds: float | None = None) -> Image.Image:
        calls = calls or offline_calls()
        pipe = self._pipeline(style)
        import torch

        prompt = build_image_prompt(beat, style, index=index, max_chars=1000)
        number = int.from_bytes(hashlib.sha256(f"{seed}|{index}".encode()).digest()[:8], "big") % (2 ** 63)
        generator = torch.Generator(device=self.device).manual_seed(number)
        try:
            out = pipe(prompt=prompt, negative_prompt=self.negative_prompt, num_inference_steps=self.steps,
                       guidance_scale=self.guidance, width=self.width, height=self.height, generator=generator)
        except RuntimeError as exc:  # CUDA out of memory and friends
            raise ProviderError(f"the pipeline failed: {str(exc)[:300]}", provider="diffusers", transient=True,
                                fix="lower images.width/height or steps, or free the GPU") from None
        calls.log(f"diffusers: scene {index + 1}/{total} drawn in {self.steps} steps on {self.device}")
        return cover_fit(out.images[0], size)


class VisualProviders(ProviderSet):
    """Scene visuals, chosen per beat: ``procedural`` (always configured), ``pexels`` stock clips
    (PEXELS_API_KEY), ``openai`` images (OPENAI_API_KEY / OPENAI_BASE_URL), local ``diffusers``
    (SHORTSMITH_DIFFUSERS=1) and generated clips: ``sora`` (OPENAI_API_KEY) and ``runway``
    (RUNWAYML_API_SECRET), see ``videogen.py``."""

    procedural: ProceduralImageProvider
    pexels: PexelsClipProvider
    openai: OpenAIImageProvider
    diffusers: DiffusersImageProvider
    sora: SoraVideoProvider
    runway: RunwayVideoProvider

    @classmethod
    def from_settings(cls, s: ProviderSettings) -> "VisualProviders":
        return cls(
            procedural=ProceduralImageProvider(),
            pexels=PexelsClipProvider(api_key=dg.EnvVar("PEXELS_API_KEY") if s.pexels.key_set else "",
                                      base_url=s.pexels.base_url, requests_per_minute=s.pexels.requests_per_minute),
            openai=OpenAIImageProvider(**OpenAIConnection.connection(s.openai), model=s.openai.image_model,
                                       requests_per_minute=s.openai.images_requests_per_minute),
            diffusers=DiffusersImageProvider(enabled=s.diffusers),
            sora=SoraVideoProvider(**OpenAIConnection.connection(s.openai), model=s.videogen.sora_model,
                                   poll_s=s.videogen.poll_s),
            runway=RunwayVideoProvider(api_key=dg.EnvVar("RUNWAYML_API_SECRET") if s.videogen.runway_key_set else "",
                                       base_url=s.videogen.runway_base_url, poll_s=s.videogen.poll_s),
        )


__all__ = ["DiffusersImageProvider", "DiffusersUnavailable", "ImageProvider", "OpenAIImageProvider",
           "PexelsClipProvider", "ProceduralImageProvider", "VisualProviders", "classify_openai_images", "clip_name",
           "visual_style"]
