"""A loopback stand-in for the Pexels video API and its file host.

- ``GET /videos/search?query=&orientation=&size=&per_page=&page=&min_duration=&max_duration=``
  with ``Authorization: <key>`` (the bare key, no "Bearer"): the real answer shape (``page``,
  ``per_page``, ``total_results``, ``url``, ``next_page``, ``videos[]`` with ``id``, ``width``,
  ``height``, ``duration``, ``url``, ``image``, ``user``, ``video_files[]`` (``id``,
  ``quality``, ``file_type``, ``width``, ``height``, ``fps``, ``link``) and ``video_pictures``)
  and the ``X-Ratelimit-Limit/Remaining/Reset`` headers. Errors are ``{"error": "..."}``.
- ``GET /video-files/<video id>/<video id>-<quality>_<w>_<h>_<fps>fps.mp4`` (the links in the
  answer, as on videos.pexels.com): a real H.264/AAC MP4 of exactly that size, fps and the
  video's duration, made with ffmpeg on first request. Its first half is the video's colour
  ``a``, its second half colour ``b`` (so a test can see a loop), with a loud tone on the audio.

Faults (besides the base ones) for the file host, queued with ``fault(kind, path="/video-files")``:
``"partial"`` sends the full Content-Length, then half the bytes and closes the connection;
``"chunked"`` sends the file with ``Transfer-Encoding: chunked`` and no Content-Length.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from shortsmith.ffmpeg import ffmpeg_path

from .server import Fault, Reply, Request, StandIn, json_reply


@dataclass
class VideoSpec:
    id: int
    tags: tuple[str, ...]
    duration: int
    files: list[tuple]  # (file id, quality, width, height, fps[, size]); quality "hls" for the stream
    colour_a: str = "0x22aa44"
    colour_b: str = "0x2244cc"
    user: dict = field(default_factory=dict)
    original: tuple[int, int] | None = None  # the video's own size (default: its largest file)

    @property
    def size(self) -> tuple[int, int]:
        if self.original:
            return self.original
        sized = [(f[2], f[3]) for f in self.files if f[2]]
        return max(sized, key=lambda wh: wh[0] * wh[1]) if sized else (0, 0)


def default_library() -> list[VideoSpec]:
    """Small files (the tests render at 180x320) with realistic names, qualities and a few traps."""
    u = lambda i, name: {"id": i, "name": name, "url": f"https://www.pexels.com/@{name.lower().replace(' ', '-')}"}  # noqa: E731
    return [
        VideoSpec(1001, ("cat", "purr", "pet", "kitten"), 4,
                  [(5001, "hd", 720, 1280, 25), (5002, "sd", 360, 640, 25), (5003, "sd", 240, 426, 25),
                   (5004, "hls", None, None, None)], "0x22aa44", "0x2244cc", u(71, "Anna Kitten")),
        VideoSpec(1002, ("cat", "sofa"), 5, [(5011, "hd", 1280, 720, 25), (5012, "sd", 640, 360, 25)],
                  "0xaa2222", "0xaa2222", u(72, "Lars Landscape")),
        VideoSpec(1003, ("ocean", "waves", "sea"), 2, [(5021, "sd", 240, 426, 30), (5022, "hd", 720, 1280, 30)],
                  "0xdd3311", "0x1133dd", u(73, "Wave Rider")),
        VideoSpec(1004, ("city", "night"), 6, [(5031, "sd", 64, 114, 25)], "0x888888", "0x888888",
                  u(74, "Tiny Cam")),
        VideoSpec(1005, ("rocket", "space"), 90, [(5041, "hd", 720, 1280, 30)], "0xffffff", "0x000000",
                  u(75, "Long Take")),
        VideoSpec(1006, ("square", "box"), 4, [(5051, "sd", 480, 480, 25)], "0x444444", "0x444444",
                  u(76, "Square Shooter")),
        VideoSpec(1007, ("rocket", "launch"), 5, [(5061, "hd", 720, 1280, 30)], "0xcc8800", "0x0088cc",
                  u(77, "Launch Pad")),
    ]


def quiet_resets(server) -> None:
    """A client that aborts a download (over the size cap) resets the connection: not a stand-in error."""
    import sys

    default = server.handle_error

    def handle_error(request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        default(request, client_address)

    server.handle_error = handle_error


_FILE_RE = re.compile(r"^/video-files/(\d+)/(\d+)-(\w+)_(\d+)_(\d+)_(\d+)fps\.mp4$")


class PexelsStandIn(StandIn):
    def __init__(self, api_key: str | None = None, *, videos: list[VideoSpec] | None = None):
        self.api_key = api_key  # None: any non-empty key is accepted
        self.library = videos if videos is not None else default_library()
        self.remaining = 20000
        self._files: dict[tuple[int, int], bytes] = {}
        self._gen_lock = threading.Lock()
        super().__init__()
        quiet_resets(self.server)

    # -- helpers -------------------------------------------------------------------
    def video(self, video_id: int) -> VideoSpec:
        return next(v for v in self.library if v.id == video_id)

    def link(self, v: VideoSpec, f: tuple) -> str:
        fid, quality, w, h, fps = f[:5]
        if quality == "hls":
            return f"{self.url}/external/hls/{v.id}/playlist.m3u8"
        return f"{self.url}/video-files/{v.id}/{v.id}-{quality}_{w}_{h}_{fps}fps.mp4"

    def file_bytes(self, video_id: int, width: int, height: int, fps: int) -> bytes:
        """The MP4 of one file (made once with ffmpeg, then cached)."""
        key = (video_id, width, height, fps)
        with self._gen_lock:
            if key not in self._files:
                v = self.video(video_id)
                half = v.duration / 2
                with tempfile.TemporaryDirectory() as d:
                    out = Path(d) / "f.mp4"
                    graph = (f"color=c={v.colour_a}:s={width}x{height}:r={fps}:d={half}[a];"
                             f"color=c={v.colour_b}:s={width}x{height}:r={fps}:d={half}[b];"
                             "[a][b]concat=n=2:v=1:a=0,format=yuv420p[v]")
                    subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-filter_complex", graph,
                                    "-f", "lavfi", "-i", f"sine=frequency=1000:sample_rate=44100:duration={v.duration}",
                                    "-map", "[v]", "-map", "0:a",
                                    "-c:v", "libx264", "-preset", "ultrafast", "-g", str(fps), "-pix_fmt", "yuv420p",
                                    "-c:a", "aac", "-b:a", "64k", "-af", "volume=0.9", "-shortest",
                                    "-movflags", "+faststart", str(out)],
                                   check=True, capture_output=True, timeout=60)
                    self._files[key] = out.read_bytes()
            return self._files[key]

    def _file_for(self, path: str) -> bytes | None:
        m = _FILE_RE.match(path)
        if not m:
            return None
        vid, vid2, _quality, w, h, fps = m.groups()
        if vid != vid2:
            return None
        try:
            v = self.video(int(vid))
        except StopIteration:
            return None
        if not any(f[2] == int(w) and f[3] == int(h) and f[4] == int(fps) for f in v.files):
            return None
        return self.file_bytes(int(vid), int(w), int(h), int(fps))

    def _ratelimit_headers(self) -> dict[str, str]:
        return {"X-Ratelimit-Limit": "20000", "X-Ratelimit-Remaining": str(max(0, self.remaining)),
                "X-Ratelimit-Reset": str(int(time.time()) + 3600)}

    # -- faults --------------------------------------------------------------------
    def error_reply(self, status: int, fault: Fault) -> Reply:
        message = {429: "Rate limit exceeded", 401: "Unauthorized", 500: "Internal Server Error"}.get(
            status, f"stand-in {status}")
        headers = self._ratelimit_headers() if status == 429 else {}
        if status == 429:
            headers["X-Ratelimit-Remaining"] = "0"
        return Reply(status, fault.body if fault.body is not None else {"error": message}, headers)

    def _apply_fault(self, handler, fault: Fault) -> bool:
        if fault.kind not in ("partial", "chunked"):
            return super()._apply_fault(handler, fault)
        data = self._file_for(handler.path.split("?")[0])
        if data is None:
            return super()._apply_fault(handler, Fault("404"))
        handler.send_response(200)
        handler.send_header("Content-Type", "video/mp4")
        if fault.kind == "partial":
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data[: len(data) // 2])
            self.cut(handler)
            return True
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for i in range(0, len(data), 8192):
            chunk = data[i:i + 8192]
            handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")
        return True

    # -- routes --------------------------------------------------------------------
    def route(self, req: Request) -> Reply | None:
        if req.method == "GET" and req.path.startswith("/video-files/"):
            data = self._file_for(req.path)
            if data is None:
                return Reply(404, "Not Found", {"Content-Type": "text/plain"})
            return Reply(200, data, {"Content-Type": "video/mp4", "Accept-Ranges": "bytes"})
        if req.method == "GET" and req.path == "/videos/search":
            key = req.headers.get("authorization", "")
            if not key or (self.api_key is not None and key != self.api_key):
                return json_reply({"error": "Unauthorized"}, 401)
            return self._search(req)
        return json_reply({"error": "Not Found"}, 404)

    def _search(self, req: Request) -> Reply:
        q = {k: v[-1] for k, v in req.query.items()}
        query = (q.get("query") or "").strip().lower()
        if not query:
            return json_reply({"error": "query is required"}, 400)
        try:
            per_page = int(q.get("per_page", 15))
            page = int(q.get("page", 1))
            min_d = int(q["min_duration"]) if "min_duration" in q else None
            max_d = int(q["max_duration"]) if "max_duration" in q else None
        except ValueError as exc:
            return json_reply({"error": f"invalid parameter: {exc}"}, 400)
        if not 1 <= per_page <= 80 or page < 1:
            return json_reply({"error": "per_page must be between 1 and 80"}, 400)
        orientation = q.get("orientation")
        if orientation not in (None, "landscape", "portrait", "square"):
            return json_reply({"error": "orientation must be landscape, portrait or square"}, 400)
        size = q.get("size")
        if size not in (None, "large", "medium", "small"):
            return json_reply({"error": "size must be large, medium or small"}, 400)
        words = set(re.findall(r"[a-z]+", query))
        hits = []
        for order, v in enumerate(self.library):
            score = len(words & set(v.tags))
            if not score:
                continue
            w, h = v.size
            if orientation == "portrait" and not h > w or orientation == "landscape" and not w > h \
                    or orientation == "square" and w != h:
                continue
            need = {"large": 3840, "medium": 1920, "small": 1280}.get(size or "", 0)
            if max(w, h) < need:
                continue
            if min_d is not None and v.duration < min_d or max_d is not None and v.duration > max_d:
                continue
            hits.append((-score, order, v))
        hits.sort(key=lambda t: (t[0], t[1]))
        found = [v for _, _, v in hits]
        start = (page - 1) * per_page
        self.remaining -= 1
        body = {
            "page": page, "per_page": per_page, "total_results": len(found),
            "url": f"https://www.pexels.com/search/videos/{query.replace(' ', '%20')}/",
            "videos": [self._video_json(v) for v in found[start:start + per_page]],
        }
        if start + per_page < len(found):
            body["next_page"] = f"{self.url}/videos/search/?page={page + 1}&per_page={per_page}&query={query}"
        if page > 1:
            body["prev_page"] = f"{self.url}/videos/search/?page={page - 1}&per_page={per_page}&query={query}"
        return json_reply(body, 200, **self._ratelimit_headers())

    def _video_json(self, v: VideoSpec) -> dict:
        w, h = v.size
        files = []
        for f in v.files:
            fid, quality, fw, fh, fps = f[:5]
            entry = {"id": fid, "quality": quality,
                     "file_type": "application/x-mpegURL" if quality == "hls" else "video/mp4",
                     "width": fw, "height": fh, "fps": float(fps) if fps else None, "link": self.link(v, f)}
            if len(f) > 5:
                entry["size"] = f[5]
            files.append(entry)
        return {
            "id": v.id, "width": w, "height": h, "duration": v.duration, "full_res": None, "tags": [],
            "url": f"https://www.pexels.com/video/{'-'.join(v.tags[:2])}-{v.id}/",
            "image": f"https://images.pexels.com/videos/{v.id}/pictures/preview-0.jpeg",
            "avg_color": None,
            "user": v.user or {"id": 1, "name": "Pexels Author", "url": "https://www.pexels.com/@author"},
            "video_files": files,
            "video_pictures": [{"id": v.id * 10 + i, "nr": i,
                                "picture": f"https://images.pexels.com/videos/{v.id}/pictures/preview-{i}.jpeg"}
                               for i in range(3)],
        }
