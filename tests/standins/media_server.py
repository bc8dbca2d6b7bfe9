"""A loopback media server for the reference-media tests (issue 14), and a quick test clip.

``make_clip(path)``: a three-second tone over a small test picture, for tests that need any
valid media quickly. (The generated talk, Piper speech over a moving 1280x720 picture with a
face, is ``tests/transcribe/talk.py``; its session fixture lives in tests/transcribe/conftest.py.)

``MediaServer`` serves files from memory on 127.0.0.1 with what real media hosts do: byte
ranges (``Accept-Ranges``, ``206``, ``If-Range`` with an ``ETag``), an HTML page with a
``<video>`` tag, redirects, and faults for the downloader: ``cut`` after N bytes of a body,
a body sent without ``Content-Length`` (chunked), 5xx with Retry-After. ``connections``
counts accepted TCP connections, so a test can assert that a refused URL never connected.

Use the pytest fixtures by importing them into a test module::

    from tests.standins.media_server import media_server  # noqa: F401
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from shortsmith.ffmpeg import ffmpeg_path

from .server import Fault, Reply, Request, StandIn

def _ffmpeg(args: list[str]) -> None:
    subprocess.run([ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=300)


def make_clip(out_path: Path, seconds: float = 3.0, size: str = "320x240") -> Path:
    """A small valid MP4 (tone + test picture), made in well under a second."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    _ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s={size}:r=10:d={seconds}", "-f", "lavfi", "-i",
             f"sine=f=440:d={seconds}", "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
             "-b:a", "32k", "-movflags", "+faststart", str(out_path)])
    return out_path


def video_page(src: str, title: str = "Bees in the city") -> str:
    return (f"<!DOCTYPE html><html><head><title>{title}</title>"
            f'<meta property="og:title" content="{title}"></head><body><h1>{title}</h1>'
            f'<video controls width="640"><source src="{src}" type="video/mp4"></video></body></html>')


class MediaServer(StandIn):
    """Files and pages on 127.0.0.1 (see the module docstring).

    Every request is answered by ``_serve`` with the handler in hand (so a body can be sent
    chunked or cut mid-stream); queued faults (``fault("503", retry_after=1)``, ``fault("cut")``,
    ``fault("hang")``) come first, as with every stand-in.
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.types: dict[str, str] = {}
        self.redirects: dict[str, str] = {}
        self.cut_after: dict[str, list[int]] = {}  # path -> byte counts at which the next answers are cut
        self.no_length: set[str] = set()  # paths sent chunked, without Content-Length
        self.ranges = True
        self.connections = 0
        self.sent_bytes = 0
        super().__init__()
        accept = self.server.get_request

        def counted():
            pair = accept()
            with self._lock:
                self.connections += 1
            return pair

        self.server.get_request = counted  # type: ignore[method-assign]
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # clients that hang up

    def add(self, path: str, data: bytes | Path, content_type: str = "video/mp4") -> str:
        self.files[path] = Path(data).read_bytes() if isinstance(data, Path) else data
        self.types[path] = content_type
        return self.url + path

    def add_page(self, path: str, video_path: str) -> str:
        return self.add(path, video_page(video_path).encode(), "text/html; charset=utf-8")

    def _take_fault(self, req: Request) -> Fault | None:
        return super()._take_fault(req) or Fault("serve")

    def _apply_fault(self, handler, fault: Fault) -> bool:
        if fault.kind != "serve":
            return super()._apply_fault(handler, fault)
        self._serve(handler)
        return True

    def _serve(self, handler) -> None:
        path = urlsplit(handler.path).path
        if path in self.redirects:
            return self._send(handler, 302, {"Location": self.redirects[path]}, b"")
        if path not in self.files:
            return self._send(handler, 404, {"Content-Type": "text/plain"}, b"not found")
        data = self.files[path]
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        headers = {"Content-Type": self.types[path], "ETag": etag}
        if self.ranges:
            headers["Accept-Ranges"] = "bytes"
        status, start = 200, 0
        rng = handler.headers.get("Range", "")
        if self.ranges and rng.startswith("bytes=") and handler.headers.get("If-Range", etag) == etag:
            start = int(rng[6:].split("-", 1)[0] or 0)
            if start >= len(data):
                return self._send(handler, 416, {"Content-Range": f"bytes */{len(data)}"}, b"")
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        with self._lock:
            cuts = self.cut_after.get(path) or []
            cut_at = cuts.pop(0) if cuts else None
        self._send(handler, status, headers, data[start:], cut_at=cut_at, chunked=path in self.no_length)

    def _send(self, handler, status: int, headers: dict, body: bytes, *, cut_at: int | None = None,
              chunked: bool = False) -> None:
        handler.send_response(status)
        for k, v in headers.items():
            handler.send_header(k, v)
        if chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        else:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        limit = len(body) if cut_at is None else min(cut_at, len(body))
        step = 64 * 1024
        try:
            for i in range(0, limit, step):
                piece = body[i:min(i + step, limit)]
                if chunked:
                    handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                else:
                    handler.wfile.write(piece)
                with self._lock:
                    self.sent_bytes += len(piece)
            if cut_at is not None:
                StandIn.cut(handler)
                return
            if chunked:
                handler.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client went away (a cap stopped it): that is its right
            handler.close_connection = True

    def route(self, req: Request) -> Reply | None:  # every request is served by _serve
        return None


@pytest.fixture
def media_server(monkeypatch):
    monkeypatch.setenv("SHORTSMITH_ALLOW_PRIVATE_URLS", "1")
    with MediaServer() as server:
        yield server

