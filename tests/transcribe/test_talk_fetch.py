"""The generated talk served on loopback, fetched as a direct MP4 and through yt-dlp's generic extractor
from an HTML page with a <video> tag (issue 14); uses this folder's session ``talk``, made once."""

from __future__ import annotations

import pytest

from shortsmith.intake import fetch_reference
from shortsmith.intake.media import sha256_of
from tests.standins.media_server import MediaServer


def test_the_talk_as_mp4_and_as_a_page(talk, tmp_path, monkeypatch):
    monkeypatch.setenv("SHORTSMITH_ALLOW_PRIVATE_URLS", "1")
    with MediaServer() as server:
        mp4 = server.add("/media/octopus.mp4", talk["mp4"])
        page = server.add_page("/talks/octopus.html", "/media/octopus.mp4")
        direct = fetch_reference(mp4, tmp_path / "direct")
        via_page = fetch_reference(page, tmp_path / "page")
        paths = [r.path for r in server.requests]
    for ref in (direct, via_page):
        assert ref.sha256 == sha256_of(talk["mp4"]) and ref.content_type == "video/mp4"
        assert (ref.width, ref.height, ref.has_video) == (1280, 720, True)
        assert ref.duration == pytest.approx(talk["duration"], abs=0.2)
    assert direct.title == "octopus"  # the file has no title tag: the URL's name
    assert via_page.title == "Bees in the city"  # the page's title (video_page's default)
    assert paths.count("/talks/octopus.html") >= 1 and paths.count("/media/octopus.mp4") == 2
