"""The generated two-minute talk served on loopback, fetched as a direct MP4 and through yt-dlp's generic
extractor from an HTML page with a <video> tag (issue 14)."""

from __future__ import annotations

import pytest

from shortsmith.intake import fetch_reference
from shortsmith.intake.media import sha256_of
from tests.standins.media_server import MediaServer, talk  # noqa: F401 - talk is a fixture


@pytest.mark.slow  # generates two minutes of Piper speech and its video once per session
def test_the_talk_as_mp4_and_as_a_page(talk, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SHORTSMITH_ALLOW_PRIVATE_URLS", "1")
    assert 100 <= talk.duration <= 150 and len(talk.words) > 250
    with MediaServer() as server:
        mp4 = server.add("/media/bees.mp4", talk.mp4)
        page = server.add_page("/talks/bees.html", "/media/bees.mp4")
        direct = fetch_reference(mp4, tmp_path / "direct")
        via_page = fetch_reference(page, tmp_path / "page")
    for ref in (direct, via_page):
        assert ref.sha256 == sha256_of(talk.mp4) and ref.content_type == "video/mp4"
        assert (ref.width, ref.height, ref.has_video) == (1280, 720, True)
        assert ref.duration == pytest.approx(talk.duration, abs=0.2)
    assert direct.title == "Bees in the city"  # the file's own title tag
    assert direct.uploader == "Sam Example"
    assert via_page.title.startswith("Bees in the city")  # from the page
    assert [r.path for r in server.requests].count("/talks/bees.html") >= 1
