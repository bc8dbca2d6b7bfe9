"""Visual providers against loopback stand-ins: OpenAI images through the official openai SDK,
Pexels through httpx (no official Python SDK), local diffusers' guards; faults and fallbacks."""

from __future__ import annotations

import importlib.machinery
import io
import json
import sys
import time
import types

import numpy as np
import pytest
from PIL import Image

from pipeline_defs.resources.images import (DiffusersImageProvider, DiffusersUnavailable, OpenAIImageProvider,
                                            PexelsClipProvider, ProceduralImageProvider)
from shortsmith.config import StyleConfig
from shortsmith.errors import ConfigError, ToolMissingError
from shortsmith.ffmpeg import probe
from shortsmith.model import Beat
from shortsmith.resilience import CallContext, CostMeter, ProviderError, ProviderUnavailable, run_chain
from shortsmith.visuals import cover_fit
from tests.standins.openai_api import OpenAIStandIn
from tests.standins.pexels_api import PexelsStandIn, VideoSpec

OPENAI_KEY = "sk-test-IMAGES-abcdef123456"
PEXELS_KEY = "px-test-SECRET-7890abcdef"
SIZE = (180, 320)
STYLE = StyleConfig(name="paper", palette=("#0f172a", "#6366f1", "#ec4899", "#f59e0b"),
                    image_prompt="{prompt}, vertical 9:16 composition, vivid, detailed, no text")
BEAT = Beat("body", "A purr starts in the voice box.", "a cat purring on a sunny windowsill", ["cat", "purr"])


def calls(sleeps: list | None = None, logs: list | None = None) -> CallContext:
    return CallContext(meter=CostMeter(), log=(logs.append if logs is not None else (lambda m: None)),
                       sleep=(sleeps.append if sleeps is not None else (lambda s: None)))


def scene(provider, beat=BEAT, *, ctx=None, index=2, workdir=None, seconds=None):
    return provider.scene(beat, style=STYLE, seed="chan/2026-01-01/cats", index=index, total=5, size=SIZE,
                          calls=ctx or calls(), workdir=workdir, seconds=seconds)


# ============================================================================= OpenAI images


@pytest.fixture
def openai_api():
    with OpenAIStandIn() as server:
        yield server


def images(api, **kw) -> OpenAIImageProvider:
    return OpenAIImageProvider(**{"api_key": OPENAI_KEY, "base_url": api.url + "/v1", "timeout_s": 2.0,
                                  "max_attempts": 3, **kw})


def test_openai_image_request_and_a_fitted_scene(openai_api):
    ctx = calls()
    img = scene(images(openai_api), ctx=ctx)
    [req] = openai_api.seen("/v1/images/generations")
    assert req.method == "POST" and req.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    body = req.json()
    assert (body["model"], body["size"], body["quality"], body["n"]) == ("gpt-image-1", "1024x1536", "medium", 1)
    assert "response_format" not in body  # gpt-image models always answer in base64
    prompt = body["prompt"]
    assert prompt.startswith("a cat purring on a sunny windowsill, vertical 9:16 composition")
    assert "paper-cut" in prompt and "colour palette: deep navy, indigo, vivid pink, vivid amber" in prompt
    assert "featuring cat, purr" in prompt and "no text" in prompt
    # exactly the stand-in's portrait picture, cover-fitted to the output size
    expected = cover_fit(Image.open(io.BytesIO(OpenAIStandIn.make_png(prompt, 1024, 1536))), SIZE)
    assert img.size == SIZE and img.mode == "RGB"
    assert np.array_equal(np.asarray(img), np.asarray(expected))
    [item] = ctx.meter.items
    assert (item.provider, item.operation, item.units, item.usd) == ("openai-images", "scene", {"image": 1.0}, 0.042)


def test_dalle3_asks_for_base64_at_its_portrait_size(openai_api):
    img = scene(images(openai_api, model="dall-e-3", quality="standard", image_size="1024x1792"))
    body = openai_api.seen("/v1/images/generations")[0].json()
    assert (body["model"], body["size"], body["quality"], body["response_format"]) == (
        "dall-e-3", "1024x1792", "standard", "b64_json")
    assert img.size == SIZE


@pytest.mark.parametrize("model,configured,size,asked", [
    ("gpt-image-1", "1024x1536", (320, 180), "1536x1024"), ("dall-e-3", "1024x1792", (320, 180), "1792x1024"),
    ("gpt-image-1", "1024x1536", (240, 240), "1024x1024")])
def test_a_16x9_or_square_video_asks_for_an_image_of_its_shape(openai_api, model, configured, size, asked):
    provider = images(openai_api, model=model, image_size=configured, quality=None)
    img = provider.scene(BEAT, style=STYLE, seed="s", index=0, total=1, size=size, calls=calls())
    assert openai_api.seen("/v1/images/generations")[0].json()["size"] == asked
    assert img.size == size


def test_openai_429_waits_for_retry_after_then_succeeds(openai_api):
    sleeps: list[float] = []
    openai_api.fault("429", path="/v1/images", retry_after=1)
    ctx = calls(sleeps)
    assert scene(images(openai_api), ctx=ctx).size == SIZE
    assert sleeps == [1.0] and len(openai_api.seen("/v1/images/generations")) == 2
    assert len(ctx.meter.items) == 1  # the refused attempt cost nothing


@pytest.mark.parametrize("kind", ["500", "cut", "malformed", "hang"])
def test_openai_transient_faults_are_retried(openai_api, kind):
    sleeps: list[float] = []
    openai_api.fault(kind, path="/v1/images", seconds=5)
    started = time.monotonic()
    img = scene(images(openai_api, timeout_s=0.5), ctx=calls(sleeps))
    assert img.size == SIZE and len(sleeps) == 1 and len(openai_api.seen("/v1/images/generations")) == 2
    assert time.monotonic() - started < 4  # a hung answer costs one timeout, not the hang


def test_openai_request_errors_are_not_retried_and_name_the_field(openai_api):
    blocked = Beat("body", "n", "a forbidden scene", [])
    with pytest.raises(ProviderError) as err:
        scene(images(openai_api), blocked, index=3)
    assert not err.value.transient and err.value.status == 400
    assert err.value.field == "beats[3].visual_prompt" and "rephrase" in err.value.fix
    assert len(openai_api.seen("/v1/images/generations")) == 1
    openai_api.fault("400", path="/v1/images", body={"error": {"message": "Invalid value: '999x999'.",
                                                               "type": "invalid_request_error", "param": "size",
                                                               "code": "invalid_value"}})
    with pytest.raises(ProviderError) as err:
        scene(images(openai_api))
    assert err.value.field == "images.image_size" and "1024x1536" in err.value.fix and not err.value.transient


def test_openai_refused_key_is_clear_and_never_shows_the_key(openai_api):
    logs: list[str] = []
    openai_api.fault("401", path="/v1/images", body={"error": {
        "message": f"Incorrect API key provided: {OPENAI_KEY}.", "type": "invalid_request_error",
        "param": None, "code": "invalid_api_key"}})
    with pytest.raises(ProviderError) as err:
        scene(images(openai_api), ctx=calls(logs=logs))
    assert err.value.field == "OPENAI_API_KEY" and not err.value.transient
    assert OPENAI_KEY not in str(err.value) and "***" in str(err.value)
    assert len(openai_api.seen("/v1/images/generations")) == 1
    # persistent failures give up (transient: the chain may fall back), still without the key
    openai_api.fault("500", path="/v1/images", times=2, body={"error": {"message": f"boom {OPENAI_KEY}"}})
    with pytest.raises(ProviderError) as err:
        scene(images(openai_api, max_attempts=2), ctx=calls(logs=logs))
    assert err.value.transient and "gave up after 2 attempts" in str(err.value)
    assert OPENAI_KEY not in str(err.value) and not any(OPENAI_KEY in m for m in logs)


def test_openai_configuration_is_checked_before_any_call(openai_api):
    with pytest.raises(ConfigError) as err:
        scene(images(openai_api, image_size="1536x1024"))
    assert err.value.field == "images.image_size" and "9:16" in err.value.fix
    with pytest.raises(ConfigError) as err:
        scene(OpenAIImageProvider())
    assert err.value.field == "OPENAI_API_KEY"
    assert openai_api.requests == []


# ============================================================================= Pexels clips


@pytest.fixture(scope="module")
def pexels_server():
    with PexelsStandIn(PEXELS_KEY) as server:
        yield server


@pytest.fixture
def pexels_api(pexels_server):
    pexels_server.requests.clear()
    pexels_server.clear_faults()
    yield pexels_server
    assert not pexels_server._faults, "a queued fault was not used"


def pexels(api, **kw) -> PexelsClipProvider:
    # 10 s: the stand-in makes each file with ffmpeg on its first request, which took over 2 s on a
    # loaded machine; the tests of hung answers pass their own short timeout
    return PexelsClipProvider(**{"api_key": PEXELS_KEY, "base_url": api.url, "timeout_s": 10.0, "max_attempts": 3,
                                 **kw})


def test_pexels_search_and_download_of_the_best_portrait_clip(pexels_api, tmp_path):
    ctx = calls()
    clip = scene(pexels(pexels_api), ctx=ctx, workdir=tmp_path, seconds=3.0)
    [search] = pexels_api.seen("/videos/search")
    assert search.method == "GET" and search.headers["authorization"] == PEXELS_KEY  # the bare key, no Bearer
    assert {k: v[0] for k, v in search.query.items()} == {
        "query": "cat purr", "orientation": "portrait", "size": "small", "per_page": "15", "page": "1",
        "min_duration": "3", "max_duration": "60"}
    [download] = pexels_api.seen("/video-files/")
    assert download.path == "/video-files/1001/1001-sd_240_426_25fps.mp4"  # just above 180x320, not 720p
    assert "authorization" not in download.headers  # the key never goes to the file host
    assert clip == tmp_path / "scene_02.mp4"
    v = next(s for s in probe(clip)["streams"] if s["codec_type"] == "video")
    assert (v["codec_name"], v["width"], v["height"]) == ("h264", 240, 426)
    credit = json.loads((tmp_path / "scene_02.credit.json").read_text())
    assert (credit["video_id"], credit["author"], credit["query"], credit["bytes"]) == (
        1001, "Anna Kitten", "cat purr", clip.stat().st_size)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene_02.credit.json", "scene_02.mp4"]
    assert [(i.provider, i.operation, i.usd) for i in ctx.meter.items] == [("pexels", "search", 0.0)]


def test_pexels_no_portrait_clip_is_unavailable_and_the_chain_falls_back(pexels_api, tmp_path):
    sofa = Beat("body", "n", "v", ["sofa"])  # only a landscape video
    with pytest.raises(ProviderUnavailable) as err:
        scene(pexels(pexels_api), sofa, workdir=tmp_path)
    assert "no portrait clip" in err.value.message and "keywords" in err.value.fix
    city = Beat("body", "n", "v", ["city", "night"])  # portrait, but 64x114: too small to cover 180x320
    outcome = run_chain("visuals", [
        ("pexels", lambda: scene(pexels(pexels_api), city, workdir=tmp_path)),
        ("procedural", lambda: scene(ProceduralImageProvider(), city, workdir=tmp_path)),
    ])
    assert outcome.provider == "procedural" and outcome.value.size == SIZE
    assert outcome.skipped[0][0] == "pexels" and "none a usable portrait clip" in outcome.skipped[0][1]
    # two searches each: the keywords, then the first keyword alone
    assert [r.query["query"][0] for r in pexels_api.seen("/videos/search")] == ["sofa", "city night", "city"]
    # nothing of the refused clips is left behind; the procedural scene's plan (its subjects) and its
    # depth layers are its own
    own = (".plan.json", ".bg.png", ".subject.png", ".fg.png")
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(own)] == []


def test_pexels_does_not_repeat_a_clip_within_a_short(pexels_api, tmp_path):
    rocket = Beat("body", "n", "v", ["rocket"])  # 1005 lasts 90 s (over max_clip_seconds); 1007 fits
    first = scene(pexels(pexels_api), rocket, index=0, workdir=tmp_path)
    assert json.loads((tmp_path / "scene_00.credit.json").read_text())["video_id"] == 1007
    with pytest.raises(ProviderUnavailable):  # 1007 is taken by scene 0
        scene(pexels(pexels_api), rocket, index=1, workdir=tmp_path)
    again = scene(pexels(pexels_api), rocket, index=0, workdir=tmp_path)  # a re-run of scene 0 may reuse it
    assert again == first and again.exists()


def test_pexels_size_cap_refuses_the_file_and_tries_the_next(tmp_path):
    # the answers understate the sizes (2 kB), so both pass the choice: the download's Content-Length
    # refuses the preferred one (closest to the output, but long and large); the next one fits
    lib = [VideoSpec(2001, ("bee",), 8, [(6001, "sd", 200, 356, 25, 2000)], "0x22aa44", "0x22aa44",
                     original=(1080, 1920)),
           VideoSpec(2002, ("bee",), 3, [(6002, "sd", 360, 640, 25, 2000)], "0x2244cc", "0x2244cc",
                     original=(1080, 1920))]
    bee = Beat("body", "n", "v", ["bee"])
    with PexelsStandIn(PEXELS_KEY, videos=lib) as api:
        big = len(api.file_bytes(2001, 200, 356, 25))
        small = len(api.file_bytes(2002, 360, 640, 25))
        assert small < big
        logs: list[str] = []
        clip = scene(pexels(api, max_clip_mb=(small + big) / 2 / 1e6), bee, ctx=calls(logs=logs), workdir=tmp_path)
        assert [r.path for r in api.seen("/video-files/")] == ["/video-files/2001/2001-sd_200_356_25fps.mp4",
                                                              "/video-files/2002/2002-sd_360_640_25fps.mp4"]
        assert clip.stat().st_size == small and any("2001 refused" in m and "cap" in m for m in logs)
        with pytest.raises(ProviderUnavailable) as err:  # nothing under the cap: the chain moves on
            scene(pexels(api, max_clip_mb=small / 2 / 1e6), bee, index=3, workdir=tmp_path)
        assert "over the" in err.value.message and "MB cap" in err.value.message
        assert "max_clip_mb" in err.value.fix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene_02.credit.json", "scene_02.mp4"]


def test_pexels_429_waits_for_retry_after(pexels_api, tmp_path):
    sleeps: list[float] = []
    pexels_api.fault("429", path="/videos/search", retry_after=1)
    assert scene(pexels(pexels_api), ctx=calls(sleeps), workdir=tmp_path).exists()
    assert sleeps == [1.0] and len(pexels_api.seen("/videos/search")) == 2


@pytest.mark.parametrize("kind,path", [("500", "/videos/search"), ("malformed", "/videos/search"),
                                       ("cut", "/videos/search"), ("hang", "/video-files"),
                                       ("cut", "/video-files"), ("partial", "/video-files"),
                                       ("500", "/video-files")])
def test_pexels_transient_faults_are_retried(pexels_api, tmp_path, kind, path):
    sleeps: list[float] = []
    pexels_api.fault(kind, path=path, seconds=5)
    started = time.monotonic()
    clip = scene(pexels(pexels_api, timeout_s=0.5), ctx=calls(sleeps), workdir=tmp_path)
    assert time.monotonic() - started < 4
    assert clip.exists() and len(sleeps) == 1 and len(pexels_api.seen(path)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene_02.credit.json", "scene_02.mp4"]  # no partials


def test_pexels_request_errors_are_clear_and_never_show_the_key(pexels_api, tmp_path):
    logs: list[str] = []
    pexels_api.fault("401", path="/videos/search", body={"error": f"Invalid key {PEXELS_KEY}"})
    with pytest.raises(ProviderError) as err:
        scene(pexels(pexels_api), ctx=calls(logs=logs), workdir=tmp_path)
    assert not err.value.transient and err.value.field == "PEXELS_API_KEY" and "PEXELS_API_KEY" in err.value.fix
    assert PEXELS_KEY not in str(err.value)
    pexels_api.fault("400", path="/videos/search", body={"error": "per_page must be between 1 and 80"})
    with pytest.raises(ProviderError) as err:
        scene(pexels(pexels_api), index=4, workdir=tmp_path)
    assert not err.value.transient and err.value.field == "beats[4].keywords" and "per_page" in str(err.value)
    assert len(pexels_api.seen("/videos/search")) == 2  # one each: never retried
    # a provider that keeps failing gives up (transient), without the key, and the chain falls back
    pexels_api.fault("503", path="/videos/search", times=2, body={"error": f"down {PEXELS_KEY}"})
    outcome = run_chain("visuals", [
        ("pexels", lambda: scene(pexels(pexels_api, max_attempts=2), ctx=calls(logs=logs), workdir=tmp_path)),
        ("procedural", lambda: scene(ProceduralImageProvider())),
    ])
    assert outcome.provider == "procedural" and "gave up after 2 attempts" in outcome.skipped[0][1]
    assert PEXELS_KEY not in outcome.skipped[0][1] and not any(PEXELS_KEY in m for m in logs)
    with pytest.raises(ConfigError) as err:
        scene(PexelsClipProvider(base_url=pexels_api.url), workdir=tmp_path)
    assert err.value.field == "PEXELS_API_KEY"
    with pytest.raises(ConfigError) as err:
        scene(pexels(pexels_api, per_page=100), workdir=tmp_path)
    assert err.value.field == "images.pexels.per_page"
    assert len(pexels_api.seen("/videos/search")) == 4  # the configuration errors made no request


# ============================================================================= local diffusers


def test_diffusers_here_is_a_clear_unavailable_and_the_chain_falls_back(tmp_path):
    """This machine has no GPU and no weights (and, normally, no torch): a clear error, then a fallback."""
    import importlib.util

    provider = DiffusersImageProvider()
    style = StyleConfig(name="paper", diffusers_model=str(tmp_path / "no-model"))
    with pytest.raises(DiffusersUnavailable) as err:
        provider.scene(BEAT, style=style, seed="s", index=0, total=1, size=SIZE)
    assert isinstance(err.value, ProviderUnavailable) and isinstance(err.value, ToolMissingError)
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("diffusers") is None:
        assert "not installed" in err.value.message and "pip install" in err.value.fix
    else:  # a GPU worker with the packages but without this folder
        assert err.value.field in ("images.device", "style.diffusers_model")
    outcome = run_chain("visuals", [("diffusers", lambda: provider.scene(BEAT, style=style, seed="s", index=0,
                                                                          total=1, size=SIZE)),
                                    ("procedural", lambda: scene(ProceduralImageProvider()))])
    assert outcome.provider == "procedural" and outcome.skipped[0][0] == "diffusers"


@pytest.fixture
def fake_torch(monkeypatch):
    """Minimal torch/diffusers modules (the real ones are not installed here) that record how the
    provider uses them: enough to check its guards and that it never downloads."""
    import pipeline_defs.resources.images as images_mod

    record: dict = {"cuda": False}
    torch = types.ModuleType("torch")
    torch.__spec__ = importlib.machinery.ModuleSpec("torch", None)
    torch.float16 = "float16"
    torch.cuda = types.SimpleNamespace(is_available=lambda: record["cuda"])

    class Generator:
        def __init__(self, device):
            record["generator_device"] = device

        def manual_seed(self, n):
            record.setdefault("seeds", []).append(n)
            return self

    torch.Generator = Generator
    diffusers = types.ModuleType("diffusers")
    diffusers.__spec__ = importlib.machinery.ModuleSpec("diffusers", None)

    class Pipe:
        def to(self, device):
            record["moved_to"] = device
            return self

        def __call__(self, **kw):
            record["call"] = kw
            return types.SimpleNamespace(images=[Image.new("RGB", (kw["width"], kw["height"]), (9, 99, 199))])

    class DiffusionPipeline:
        @staticmethod
        def from_pretrained(path, **kw):
            import os

            record["loaded"] = (path, kw, os.environ.get("HF_HUB_OFFLINE"))
            return Pipe()

    diffusers.DiffusionPipeline = DiffusionPipeline
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "diffusers", diffusers)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(images_mod, "_PIPELINES", {})
    return record


def test_diffusers_guards_and_a_local_only_load(fake_torch, tmp_path):
    provider = DiffusersImageProvider(steps=4, guidance=5.0, width=256, height=448)
    model = tmp_path / "sdxl"

    def run(style, index=0):
        return provider.scene(BEAT, style=style, seed="s", index=index, total=2, size=SIZE)

    with pytest.raises(DiffusersUnavailable) as err:  # no CUDA device
        run(StyleConfig(diffusers_model=str(model)))
    assert err.value.field == "images.device" and "GPU worker" in err.value.fix
    fake_torch["cuda"] = True
    with pytest.raises(DiffusersUnavailable) as err:  # no model configured
        run(StyleConfig())
    assert err.value.field == "style.diffusers_model"
    with pytest.raises(DiffusersUnavailable) as err:  # a folder that is not a downloaded model
        run(StyleConfig(diffusers_model=str(model)))
    assert "model_index.json" in err.value.message and "nothing is downloaded" in err.value.fix
    assert "loaded" not in fake_torch
    model.mkdir()
    (model / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionXLPipeline"}))
    img = run(StyleConfig(name="neon", diffusers_model=str(model)))
    path, kw, offline = fake_torch["loaded"]
    assert path == str(model) and kw["local_files_only"] is True and offline == "1"
    assert "HF_HUB_OFFLINE" not in __import__("os").environ  # restored after the load
    call = fake_torch["call"]
    assert (call["width"], call["height"], call["num_inference_steps"], call["guidance_scale"]) == (256, 448, 4, 5.0)
    assert "synthwave" in call["prompt"] and "text" in call["negative_prompt"]
    assert img.size == SIZE and img.getpixel((90, 160)) == (9, 99, 199)
    # the pipeline is loaded once; the seed depends on the video and the scene, and repeats
    run(StyleConfig(name="neon", diffusers_model=str(model)), index=1)
    run(StyleConfig(name="neon", diffusers_model=str(model)), index=0)
    seeds = fake_torch["seeds"]
    assert seeds[0] == seeds[2] != seeds[1]
