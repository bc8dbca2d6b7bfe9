"""shortsmith.visuals: prompts, image fitting, Pexels answer parsing, clip choice, capped downloads."""

from __future__ import annotations

import base64
import io

import httpx
import numpy as np
import pytest
from PIL import Image

from shortsmith.config import StyleConfig
from shortsmith.errors import InputError
from shortsmith.model import Beat
from shortsmith.resilience import ProviderError
from shortsmith.visuals import (COMPOSITION, STYLE_MODIFIERS, ClipTooLarge, PexelsFile, PexelsVideo,
                                build_image_prompt, choose_clip, choose_clips, colour_name, cover_fit, decode_image,
                                download_clip, estimate_scene_seconds, palette_words, parse_pexels_search,
                                pexels_error, search_queries, used_video_ids)
from tests.standins.pexels_api import PexelsStandIn

STYLE = StyleConfig(name="neon", palette=("#0f172a", "#6366f1", "#ec4899", "#f59e0b", "#f8fafc"),
                    image_prompt="{prompt}, vertical 9:16 composition, vivid, detailed, no text")


# ----------------------------------------------------------------------------- prompts


def test_colour_names_read_like_words():
    assert colour_name("#0f172a") == "deep navy"
    assert colour_name("#6366f1") == "indigo"
    assert colour_name("#ec4899") == "vivid pink"
    assert colour_name("#f59e0b") == "vivid amber"
    assert colour_name("#f8fafc") == "white"
    assert colour_name("#000") == "black"
    assert colour_name("#22d3ee") == "vivid cyan"
    assert palette_words(["#ff0000", "#ee0000", "#00ff00"]) == ["vivid red", "vivid green"]  # unique
    with pytest.raises(InputError) as err:
        colour_name("teal")
    assert err.value.field == "style.palette" and "#rrggbb" in err.value.fix


def test_image_prompt_wraps_the_beat_in_the_style_template_look_and_palette():
    beat = Beat("body", "Octopuses taste with their arms.", "an octopus touching a coral reef", ["Octopus", "reef"])
    prompt = build_image_prompt(beat, STYLE)
    assert prompt.startswith("an octopus touching a coral reef, vertical 9:16 composition, vivid, detailed, no text")
    assert STYLE_MODIFIERS["neon"] in prompt
    assert "colour palette: deep navy, indigo, vivid pink, vivid amber, white" in prompt
    assert "featuring octopus, reef" in prompt
    assert prompt.endswith(COMPOSITION)
    # a template without {prompt} is appended to the subject
    loose = StyleConfig(name="unknown-style", palette=("#112233",), image_prompt="oil painting")
    p2 = build_image_prompt(beat, loose)
    assert p2.startswith("an octopus touching a coral reef, oil painting") and "style:" not in p2
    # no visual prompt: the narration is drawn
    assert build_image_prompt(Beat("cta", "Follow for more octopus facts.", "  "), STYLE).startswith(
        "Follow for more octopus facts.")


def test_long_prompts_shorten_the_subject_never_the_rules():
    beat = Beat("body", "x", "a very long description " * 200, ["reef"])
    prompt = build_image_prompt(beat, STYLE, max_chars=1000)
    assert len(prompt) <= 1000
    assert "…" in prompt and prompt.endswith(COMPOSITION) and "colour palette:" in prompt
    with pytest.raises(InputError) as err:
        build_image_prompt(beat, STYLE, max_chars=200)
    assert err.value.field == "style.image_prompt"
    with pytest.raises(InputError) as err:
        build_image_prompt(Beat("body", "", ""), STYLE, index=4)
    assert err.value.field == "beats[4].visual_prompt" and "visual_prompt" in err.value.fix


def test_search_queries_use_keywords_then_content_words():
    assert search_queries(Beat("body", "n", "v", ["Honey Bee", "hive", "dance", "pollen"])) == \
        ["honey bee hive dance", "honey bee"]
    assert search_queries(Beat("body", "n", "close-up illustrating: bees dancing in a hive at dawn")) == \
        ["bees dancing hive", "bees"]
    assert search_queries(Beat("body", "n", "a shot of the view")) == []
    assert search_queries(Beat("body", "n", "v", ["ocean"])) == ["ocean"]
    assert estimate_scene_seconds(Beat("body", "word " * 33, "v")) == pytest.approx(33 / 165 * 60 + 0.6)
    assert estimate_scene_seconds(Beat("body", "hi", "v")) == 2.0


# ----------------------------------------------------------------------------- images


def _png_b64(img: Image.Image) -> str:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_decode_image_and_malformed_data_is_transient():
    img = Image.new("RGB", (64, 96), (10, 200, 30))
    out = decode_image(_png_b64(img), provider="openai-images")
    assert out.size == (64, 96) and out.getpixel((5, 5)) == (10, 200, 30)
    for bad in ("not base64 at all!", base64.b64encode(b"GIF89a but not really").decode(), "", None):
        with pytest.raises(ProviderError) as err:
            decode_image(bad, provider="openai-images")
        assert err.value.transient and err.value.provider == "openai-images"


def test_cover_fit_fills_the_exact_size_and_crops_the_centre():
    # 1024x1536 (2:3) -> 180x320 (9:16): the sides are cut, 79 source pixels each
    src = Image.new("RGB", (1024, 1536), (30, 60, 200))
    src.paste((250, 0, 250), (0, 0, 60, 1536))
    src.paste((250, 0, 250), (1024 - 60, 0, 1024, 1536))
    src.paste((255, 255, 0), (492, 748, 532, 788))  # a centre marker
    out = cover_fit(src, (180, 320))
    arr = np.asarray(out).astype(int)
    assert out.size == (180, 320) and out.mode == "RGB"
    magenta = (arr[..., 0] > 200) & (arr[..., 1] < 60) & (arr[..., 2] > 200)
    assert not magenta.any()  # the side bands were cropped away
    assert np.abs(arr[160, 90] - (255, 255, 0)).max() < 40  # the centre stays in the centre
    # landscape input: top and bottom are kept, the sides are cut; transparency goes over black
    wide = Image.new("RGBA", (400, 100), (255, 0, 0, 0))
    out2 = cover_fit(wide, (90, 160))
    assert out2.size == (90, 160) and out2.mode == "RGB" and out2.getpixel((45, 80)) == (0, 0, 0)
    same = Image.new("RGB", (90, 160), (1, 2, 3))
    assert cover_fit(same, (90, 160)).tobytes() == same.tobytes()


# ----------------------------------------------------------------------------- Pexels answers

ANSWER = {
    "page": 1, "per_page": 15, "total_results": 3, "url": "https://www.pexels.com/search/videos/bee/",
    "next_page": "https://api.pexels.com/videos/search/?page=2&per_page=15&query=bee",
    "videos": [
        {"id": 11, "width": 2160, "height": 3840, "duration": 14, "url": "https://www.pexels.com/video/bee-11/",
         "image": "https://images.pexels.com/videos/11/p.jpeg", "full_res": None, "tags": [], "avg_color": None,
         "user": {"id": 5, "name": "Bea Keeper", "url": "https://www.pexels.com/@bea"},
         "video_files": [
             {"id": 101, "quality": "uhd", "file_type": "video/mp4", "width": 2160, "height": 3840, "fps": 29.97,
              "link": "https://videos.pexels.com/video-files/11/11-uhd_2160_3840_30fps.mp4"},
             {"id": 102, "quality": "hd", "file_type": "video/mp4", "width": 1080, "height": 1920, "fps": 29.97,
              "link": "https://videos.pexels.com/video-files/11/11-hd_1080_1920_30fps.mp4"},
             {"id": 103, "quality": "hd", "file_type": "video/mp4", "width": 720, "height": 1280, "fps": 29.97,
              "link": "https://videos.pexels.com/video-files/11/11-hd_720_1280_30fps.mp4"},
             {"id": 104, "quality": "sd", "file_type": "video/mp4", "width": 540, "height": 960, "fps": 29.97,
              "link": "https://videos.pexels.com/video-files/11/11-sd_540_960_30fps.mp4"},
             {"id": 105, "quality": "hls", "file_type": "application/x-mpegURL", "width": None, "height": None,
              "fps": None, "link": "https://player.vimeo.com/external/11.m3u8"},
         ],
         "video_pictures": [{"id": 1, "nr": 0, "picture": "https://images.pexels.com/videos/11/pictures/0.jpeg"}]},
        {"id": 12, "width": 1920, "height": 1080, "duration": 20, "url": "https://www.pexels.com/video/bee-12/",
         "user": {"id": 6, "name": "Wide Shot", "url": "https://www.pexels.com/@wide"},
         "video_files": [{"id": 201, "quality": "hd", "file_type": "video/mp4", "width": 1920, "height": 1080,
                          "fps": 25, "link": "https://videos.pexels.com/video-files/12/12-hd_1920_1080_25fps.mp4"}]},
        {"id": "broken"},
        {"id": 13, "width": 1080, "height": 1920, "duration": 3, "url": "https://www.pexels.com/video/bee-13/",
         "user": {"id": 7, "name": "Quick Clip", "url": "https://www.pexels.com/@quick"},
         "video_files": [{"id": 301, "quality": "hd", "file_type": "video/mp4", "width": 1080, "height": 1920,
                          "fps": 30, "link": "https://videos.pexels.com/video-files/13/13-hd_1080_1920_30fps.mp4",
                          "size": 2_500_000}]},
    ],
}


def test_parse_search_answer_keeps_the_fields_and_skips_broken_entries():
    videos = parse_pexels_search(ANSWER)
    assert [v.id for v in videos] == [11, 12, 13]
    first = videos[0]
    assert (first.duration, first.user_name, first.user_url) == (14.0, "Bea Keeper", "https://www.pexels.com/@bea")
    assert [f.id for f in first.files] == [101, 102, 103, 104, 105]
    assert first.files[1] == PexelsFile(102, "https://videos.pexels.com/video-files/11/11-hd_1080_1920_30fps.mp4",
                                        1080, 1920, "video/mp4", "hd", 29.97, None)
    assert videos[2].files[0].size == 2_500_000
    for bad in ({"videos": "nope"}, [], {"photos": []}, None):
        with pytest.raises(ProviderError) as err:
            parse_pexels_search(bad)
        assert err.value.transient and "malformed" in err.value.message


def test_clip_choice_prefers_portrait_files_just_above_the_output():
    videos = parse_pexels_search(ANSWER)
    pick = choose_clip(videos, size=(1080, 1920), scene_seconds=5.0, max_bytes=60_000_000)
    assert (pick.video.id, pick.file.id, pick.upscale, pick.loops) == (11, 102, 1.0, False)
    # at a smaller output the 720p file is closest above it (no 4K download for a 540p video)
    assert choose_clip(videos, size=(540, 960), scene_seconds=5.0).file.id == 104
    assert choose_clip(videos, size=(600, 1066), scene_seconds=5.0).file.id == 103
    # the landscape video and the HLS stream are never chosen
    assert all(c.video.id != 12 and c.file.file_type == "video/mp4"
               for c in choose_clips(videos, size=(1080, 1920), scene_seconds=5.0))
    # a clip shorter than the scene loses to one that covers it, and is marked to loop
    choices = choose_clips(videos, size=(1080, 1920), scene_seconds=10.0)
    assert [c.video.id for c in choices] == [11, 13] and choices[1].loops


def test_clip_choice_respects_duration_size_cap_resolution_and_exclusions():
    videos = parse_pexels_search(ANSWER)
    # duration window: 13 lasts 3 s, 11 lasts 14 s
    assert [c.video.id for c in choose_clips(videos, size=(1080, 1920), scene_seconds=3, min_seconds=4)] == [11]
    assert [c.video.id for c in choose_clips(videos, size=(1080, 1920), scene_seconds=3, max_seconds=10)] == [13]
    # size cap: the stated size wins over the estimate; 1080p for 14 s is estimated ~13 MB
    capped = choose_clips(videos, size=(1080, 1920), scene_seconds=3, max_bytes=3_500_000)
    assert [(c.video.id, c.file.id) for c in capped] == [(13, 301), (11, 104)]  # 540p of 11: ~3.3 MB
    assert capped[0].estimated_bytes == 2_500_000
    assert choose_clips(videos, size=(1080, 1920), scene_seconds=3, max_bytes=1_000_000) == []
    # a file under half the output resolution is refused (too blurry)
    small = [PexelsVideo(1, "", 10, 360, 640, "", "", (PexelsFile(1, "x.mp4", 360, 640, "video/mp4", "sd", 25),))]
    assert choose_clips(small, size=(1080, 1920), scene_seconds=3) == []
    assert choose_clips(small, size=(720, 1280), scene_seconds=3)[0].upscale == 2.0
    # a Short does not repeat a clip
    assert [c.video.id for c in choose_clips(videos, size=(1080, 1920), scene_seconds=3, exclude_ids={11})] == [13]


def test_pexels_errors_name_the_field_and_wait_for_the_reset():
    auth = pexels_error(401, '{"error": "Unauthorized"}', {})
    assert not auth.transient and auth.field == "PEXELS_API_KEY" and "pexels.com/api" in auth.fix
    bad = pexels_error(400, '{"error": "per_page must be between 1 and 80"}', {}, index=3)
    assert not bad.transient and bad.field == "beats[3].keywords" and "per_page" in bad.message
    slow = pexels_error(429, '{"error": "Rate limit exceeded"}', {"x-ratelimit-reset": "1000"}, now=990.0)
    assert slow.transient and slow.retry_after == pytest.approx(10.0)
    told = pexels_error(429, "", {"retry-after": "3", "x-ratelimit-reset": "5000"}, now=990.0)
    assert told.retry_after == 3.0
    assert pexels_error(503, "down", {}).transient


# ----------------------------------------------------------------------------- downloads


@pytest.fixture(scope="module")
def files():
    with PexelsStandIn("k") as server:
        v = server.video(1001)
        link = server.link(v, v.files[2])  # 240x426
        size = len(server.file_bytes(1001, 240, 426, 25))
        yield server, link, size


def test_download_streams_to_the_destination_atomically(files, tmp_path):
    server, link, size = files
    dest = tmp_path / "clips" / "scene_00.mp4"
    with httpx.Client(timeout=2) as client:
        n = download_clip(client, link, dest, max_bytes=size + 1)
    assert n == size == dest.stat().st_size and dest.read_bytes()[4:8] == b"ftyp"
    assert [p.name for p in dest.parent.iterdir()] == ["scene_00.mp4"]  # no partial file left
    assert "authorization" not in server.requests[-1].headers


def test_download_over_the_cap_is_refused_before_and_while_streaming(files, tmp_path):
    server, link, size = files
    dest = tmp_path / "scene_01.mp4"
    dest.write_bytes(b"previous")
    with httpx.Client(timeout=2) as client:
        with pytest.raises(ClipTooLarge) as err:  # Content-Length says too much: nothing is read
            download_clip(client, link, dest, max_bytes=size - 1)
        assert not err.value.transient and err.value.field == "max_clip_mb" and "cap" in err.value.message
        server.fault("chunked", path="/video-files")  # no Content-Length: the count stops it
        with pytest.raises(ClipTooLarge):
            download_clip(client, link, dest, max_bytes=size // 3, chunk_size=4096)
        server.fault("chunked", path="/video-files")  # and the same answer under the cap is fine
        assert download_clip(client, link, tmp_path / "ok.mp4", max_bytes=size) == size
    assert dest.read_bytes() == b"previous"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.mp4", "scene_01.mp4"]


def test_download_failures_are_transient_and_leave_no_partial_file(files, tmp_path):
    server, link, size = files
    dest = tmp_path / "scene_02.mp4"
    with httpx.Client(timeout=2) as client:
        server.fault("partial", path="/video-files")  # half the bytes, then the connection closes
        with pytest.raises(httpx.TransportError):
            download_clip(client, link, dest, max_bytes=10 * size)
        server.fault("malformed", path="/video-files")  # JSON where a video should be
        with pytest.raises(ProviderError) as err:
            download_clip(client, link, dest, max_bytes=10 * size)
        assert err.value.transient and "not a video" in err.value.message
        with pytest.raises(ProviderError) as err:  # a gone link: a request error, not retried
            download_clip(client, link.replace("240_426", "241_426"), dest, max_bytes=10 * size)
        assert err.value.status == 404 and not err.value.transient
        ticks = iter(range(0, 10_000, 100))  # a download that outlives its deadline
        with pytest.raises(ProviderError) as err:
            download_clip(client, link, dest, max_bytes=10 * size, deadline_s=150, chunk_size=1024,
                          clock=lambda: next(ticks))
        assert err.value.transient and "longer than 150 s" in err.value.message
    assert list(tmp_path.iterdir()) == []


def test_used_video_ids_reads_the_credits_beside_the_clips(tmp_path):
    from shortsmith.visuals import ClipCredit, credit_path

    for i, vid in enumerate((7, 9)):
        ClipCredit("pexels", vid, "u", "a", "au", 1, 2, 3, 4.0, "q").write(credit_path(tmp_path / f"scene_{i:02d}.mp4"))
    (tmp_path / "junk.credit.json").write_text("{not json")
    assert credit_path(tmp_path / "scene_00.mp4").name == "scene_00.credit.json"
    assert used_video_ids(tmp_path) == {7, 9}
    assert used_video_ids(tmp_path, skip=tmp_path / "scene_01.credit.json") == {7}
    assert used_video_ids(tmp_path / "missing") == set()
