"""Intake of reference media over HTTP: refusals without a connection, caps, cuts, retries, pages (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shortsmith.errors import InputError, MediaError
from shortsmith.intake import ReferenceMedia, fetch_reference
from shortsmith.intake import download as dl
from shortsmith.intake import urls
from shortsmith.intake.media import sha256_of
from shortsmith.resilience import BreakerPolicy, CircuitBreaker, MemoryKV, ProviderError, RetryPolicy
from tests.standins.media_server import MediaServer, make_clip

FAST = dl.Limits(retry=RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.05), read_timeout_s=5.0)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=3.0)


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv(urls.ALLOW_PRIVATE_ENV, "1")
    with MediaServer() as s:
        yield s


def fetch(source: str, dest: Path, **kw) -> ReferenceMedia:
    kw.setdefault("limits", FAST)
    kw.setdefault("breaker", CircuitBreaker(MemoryKV()))
    from shortsmith.intake.fetch import fetch_reference as fetch_with_options

    return fetch_with_options(source, dest, **kw)


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir()) if dest.exists() else []


# -- refusals: a clear message and no connection -------------------------------------------

def test_metadata_address_is_refused_even_with_the_switch(server, tmp_path):
    with pytest.raises(InputError, match="metadata") as err:
        fetch_reference("http://169.254.169.254/latest/meta-data/iam/", tmp_path)
    assert err.value.field == "source"
    assert server.connections == 0


def test_loopback_is_refused_without_the_switch(server, clip, tmp_path, monkeypatch):
    url = server.add("/clip.mp4", clip)
    monkeypatch.delenv(urls.ALLOW_PRIVATE_ENV)
    with pytest.raises(InputError, match=r"127\.0\.0\.1, a loopback address.*SHORTSMITH_ALLOW_PRIVATE_URLS=1"):
        fetch_reference(url, tmp_path / "out")
    assert server.connections == 0 and server.requests == []
    assert leftovers(tmp_path / "out") == []


def test_a_name_that_resolves_to_a_private_address_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv(urls.ALLOW_PRIVATE_ENV, raising=False)
    monkeypatch.setattr(urls, "resolve_host", lambda host, port: ["93.184.216.34", "10.20.30.40"])
    connects: list = []
    monkeypatch.setattr("socket.create_connection", lambda *a, **k: connects.append(a) or pytest.fail("connected"))
    with pytest.raises(InputError, match=r"media\.example resolves to 10\.20\.30\.40, a private address"):
        fetch_reference("https://media.example/talk.mp4", tmp_path)
    assert connects == []


@pytest.mark.parametrize("source, message", [
    ("ftp://files.example/talk.mp4", "scheme 'ftp://' is not allowed"),
    ("https://user:secret@media.example/talk.mp4", "carries credentials"),
    ("gopher://x/", "scheme 'gopher://' is not allowed"),
    ("file://otherhost/etc/passwd", "names a remote host"),
])
def test_bad_schemes_and_credentials_are_refused(source, message, monkeypatch, tmp_path):
    monkeypatch.setattr(urls, "resolve_host", lambda *a: pytest.fail("resolved a refused URL"))
    with pytest.raises(InputError, match=message) as err:
        fetch_reference(source, tmp_path)
    assert "secret" not in str(err.value)
    assert err.value.fix


def test_a_redirect_to_a_private_address_is_not_followed(server, clip, tmp_path, monkeypatch):
    """The first hop is public (the stand-in plays a public host), its redirect points inside."""
    monkeypatch.delenv(urls.ALLOW_PRIVATE_ENV)
    real = urls.address_problem
    monkeypatch.setattr(urls, "address_problem", lambda a: None if a == "127.0.0.1" else real(a))
    server.redirects["/go"] = "http://10.0.0.7/internal/admin.mp4"
    with pytest.raises(InputError, match=r"10\.0\.0\.7 resolves to 10\.0\.0\.7, a private address"):
        fetch(server.url + "/go", tmp_path / "out")
    assert [r.path for r in server.requests] == ["/go"] and server.connections == 1
    assert leftovers(tmp_path / "out") == []


def test_connects_to_the_checked_address_not_a_fresh_lookup(server, clip, tmp_path, monkeypatch):
    """The connection goes to the address that was checked; the name is never looked up by the HTTP client."""
    url = server.add("/talk.mp4", clip).replace("127.0.0.1", "talk.test")
    monkeypatch.setattr(urls, "resolve_host", lambda host, port: ["127.0.0.1"])
    import socket
    real_gai = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: pytest.fail(f"re-resolved {host}")
                        if "talk.test" in str(host) else real_gai(host, *a, **k))
    ref = fetch(url, tmp_path / "out")
    assert ref.sha256 == sha256_of(clip)
    assert server.requests[0].headers["host"] == f"talk.test:{server.port}"


def test_dns_rebinding_to_a_private_address_is_refused(server, clip, tmp_path, monkeypatch):
    """The name first answers a public address, then (rebound) a private one: nothing connects to it."""
    monkeypatch.delenv(urls.ALLOW_PRIVATE_ENV)
    real = urls.address_problem
    monkeypatch.setattr(urls, "address_problem", lambda a: None if a == "127.0.0.1" else real(a))
    url = server.add("/talk.mp4", clip).replace("127.0.0.1", "rebind.test")
    answers = iter([["127.0.0.1"]])
    monkeypatch.setattr(urls, "resolve_host", lambda host, port: next(answers, ["10.9.9.9"]))
    with pytest.raises(InputError, match=r"rebind\.test resolves to 10\.9\.9\.9, a private address"):
        fetch(url, tmp_path / "out")
    assert leftovers(tmp_path / "out") == []


def test_a_file_over_the_size_cap_is_aborted_mid_stream(server, clip, tmp_path):
    big = clip.read_bytes() * 200  # ~32 MB (more than loopback buffers hold), chunked: no length to refuse
    server.add("/big.mp4", big)
    server.no_length.add("/big.mp4")
    limits = dl.Limits(max_bytes=1_000_000, retry=FAST.retry)
    with pytest.raises(InputError, match=r"passed the cap of 1\.0 MB and was stopped"):
        fetch(server.url + "/big.mp4", tmp_path / "out", limits=limits)
    assert leftovers(tmp_path / "out") == []
    assert server.sent_bytes < len(big)


def test_a_declared_length_over_the_cap_is_refused_before_the_body(server, clip, tmp_path):
    server.add("/big.mp4", clip.read_bytes() * 20)
    with pytest.raises(InputError, match=r"over the cap of 1\.0 MB.*SHORTSMITH_INTAKE_MAX_MB"):
        fetch(server.url + "/big.mp4", tmp_path / "out", limits=dl.Limits(max_bytes=1_000_000))
    assert leftovers(tmp_path / "out") == []


def test_a_corrupt_media_file_is_refused_and_not_kept(server, clip, tmp_path):
    data = clip.read_bytes()
    server.add("/broken.mp4", data[:64] + bytes(range(256)) * 200)  # an MP4 header, then garbage
    with pytest.raises(MediaError, match="cannot be read.*corrupt or truncated"):
        fetch(server.url + "/broken.mp4", tmp_path / "out")
    assert leftovers(tmp_path / "out") == []


def test_a_long_source_is_refused_by_the_duration_cap(server, clip, tmp_path):
    server.add("/clip.mp4", clip)
    with pytest.raises(InputError, match="over the cap of 0 min"):
        fetch(server.url + "/clip.mp4", tmp_path / "out", limits=dl.Limits(max_duration_s=2.0))
    assert leftovers(tmp_path / "out") == []


# -- cuts, retries, breaker ----------------------------------------------------------------

def test_a_cut_download_is_resumed_with_range(server, clip, tmp_path):
    server.add("/clip.mp4", clip)
    server.cut_after["/clip.mp4"] = [70_000]
    ref = fetch(server.url + "/clip.mp4", tmp_path / "out")
    assert ref.sha256 == sha256_of(clip) and ref.size_bytes == clip.stat().st_size
    ranges = [r.headers.get("range") for r in server.requests]
    assert ranges == [None, "bytes=70000-"]
    assert leftovers(tmp_path / "out") == ["media.mp4"]


def test_a_cut_download_without_ranges_restarts(server, clip, tmp_path):
    server.ranges = False
    server.add("/clip.mp4", clip)
    server.cut_after["/clip.mp4"] = [50_000, 90_000]
    ref = fetch(server.url + "/clip.mp4", tmp_path / "out")
    assert ref.sha256 == sha256_of(clip)
    assert len(server.requests) == 3 and all("range" not in r.headers for r in server.requests)


def test_cut_every_time_leaves_nothing_and_keeps_the_complete_copy(server, clip, tmp_path):
    """A failed re-fetch never destroys or half-overwrites what a previous fetch completed."""
    server.add("/clip.mp4", clip)
    first = fetch(server.url + "/clip.mp4", tmp_path / "out")
    server.ranges = False
    server.cut_after["/clip.mp4"] = [40_000] * 3
    with pytest.raises(ProviderError, match="gave up after 3 attempts"):
        fetch(server.url + "/clip.mp4", tmp_path / "out")
    assert leftovers(tmp_path / "out") == ["media.mp4"]
    assert sha256_of(Path(first.path)) == sha256_of(clip)


def test_5xx_with_retry_after_is_retried(server, clip, tmp_path):
    server.add("/clip.mp4", clip)
    server.fault("503", retry_after=0)
    server.fault("500")
    ref = fetch(server.url + "/clip.mp4", tmp_path / "out")
    assert ref.sha256 == sha256_of(clip) and len(server.requests) == 3


def test_a_host_that_keeps_failing_opens_its_circuit(server, clip, tmp_path):
    server.add("/clip.mp4", clip)
    breaker = CircuitBreaker(MemoryKV(), BreakerPolicy(failures_to_open=1, cooldown_s=60))
    server.fault("503", times=3)
    with pytest.raises(ProviderError, match="gave up"):
        fetch(server.url + "/clip.mp4", tmp_path / "out", breaker=breaker)
    seen = server.connections
    with pytest.raises(ProviderError, match="skipped until"):
        fetch(server.url + "/clip.mp4", tmp_path / "out", breaker=breaker)
    assert server.connections == seen


# -- pages through yt-dlp ------------------------------------------------------------------

def test_a_page_with_a_video_tag_is_read_by_yt_dlp(server, clip, tmp_path):
    server.add("/media/clip.mp4", clip)
    page = server.add_page("/watch/bees.html", "/media/clip.mp4")
    ref = fetch(page, tmp_path / "out")
    assert ref.sha256 == sha256_of(clip) and ref.content_type == "video/mp4"
    assert ref.title.startswith("Bees in the city") and ref.has_video and (ref.width, ref.height) == (320, 240)
    assert "/media/clip.mp4" in [r.path for r in server.requests]


def test_a_page_whose_video_is_on_a_metadata_address_is_refused(server, tmp_path):
    page = server.add_page("/watch/evil.html", "http://169.254.169.254/latest/user-data.mp4")
    with pytest.raises(InputError, match="metadata"):
        fetch(page, tmp_path / "out")
    assert leftovers(tmp_path / "out") == []


def test_local_file_and_file_url(clip, tmp_path):
    ref = fetch_reference(str(clip), tmp_path / "a", rights="owned")
    assert ref.rights == "owned" and ref.duration == pytest.approx(3.0, abs=0.1) and ref.has_video
    ref2 = fetch_reference(clip.as_uri(), tmp_path / "b")
    assert ref2.sha256 == ref.sha256 == sha256_of(clip)
    with pytest.raises(InputError, match="does not exist"):
        fetch_reference(str(tmp_path / "missing.mp4"), tmp_path / "c")
    with pytest.raises(InputError, match="rights 'mine' is not known"):
        fetch_reference(str(clip), tmp_path / "d", rights="mine")


def test_an_s3_object_is_streamed_in_and_a_missing_one_named(clip, tmp_path, monkeypatch):
    import boto3
    import moto

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="talks")
        client.upload_file(str(clip), "talks", "2026/bees talk.mp4")
        ref = fetch("s3://talks/2026/bees%20talk.mp4", tmp_path / "out", s3_client=client)
        assert ref.sha256 == sha256_of(clip) and ref.title == "bees talk"
        with pytest.raises(InputError, match=r"s3://talks/2026/missing\.mp4 does not exist"):
            fetch("s3://talks/2026/missing.mp4", tmp_path / "out2", s3_client=client)
        with pytest.raises(InputError, match="over the cap"):
            fetch("s3://talks/2026/bees%20talk.mp4", tmp_path / "out3", s3_client=client,
                  limits=dl.Limits(max_bytes=1000))
    assert leftovers(tmp_path / "out2") == [] and leftovers(tmp_path / "out3") == []


@pytest.mark.parametrize("chunked", [False, True])
def test_a_huge_page_is_not_read_into_memory_by_yt_dlp(server, tmp_path, monkeypatch, chunked):
    from shortsmith.intake import ytdlp

    monkeypatch.setattr(ytdlp, "PAGE_MAX_BYTES", 100_000)
    page = b"<!DOCTYPE html><html><body>" + b"<p>words</p>" * 40_000 + b"</body></html>"  # ~480 kB
    url = server.add("/huge.html", page, "text/html")
    if chunked:
        server.no_length.add("/huge.html")
    with pytest.raises(InputError, match="where a page was expected" if not chunked else r"passed 0\.1 MB and was stopped"):
        fetch(url, tmp_path / "out")
    assert leftovers(tmp_path / "out") == []
