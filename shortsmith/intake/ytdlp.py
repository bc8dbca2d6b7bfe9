"""Pages and video sites through yt-dlp, with every request yt-dlp makes held to the URL rules.

yt-dlp is used to *read* a page (its extractors find the media URL, title, uploader, licence
and duration); it never downloads the media itself. All of its HTTP requests go through
:class:`SafeRH`, a yt-dlp request handler that sends them with ``download.open_checked``: the
scheme, credentials and resolved address of the URL and of every redirect are checked, and the
connection goes to the checked address. The media URL it resolves is then fetched by our own
downloader (``download.download``: caps, retries, resume, commit when complete).
"""

from __future__ import annotations

import functools
import io
from typing import Any

from yt_dlp import YoutubeDL
from yt_dlp.networking.common import RequestHandler, Response
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError

from ..errors import InputError
from ..ffmpeg import ffmpeg_path
from . import download as dl

PAGE_MAX_BYTES = 16 * 1024 * 1024  # a page or API answer yt-dlp reads; media never goes through it

FORMAT = ("best[acodec!=none][vcodec!=none][protocol^=http][protocol!*=dash]/"
          "best[acodec!=none][protocol^=http][protocol!*=dash]/"
          "best[protocol^=http][protocol!*=dash]")  # a page's <video> states no codecs; the probe checks for sound


class SafeRH(RequestHandler):
    """yt-dlp's HTTP requests, sent only to checked addresses (see the module docstring)."""

    _SUPPORTED_URL_SCHEMES = ("http", "https")
    _SUPPORTED_PROXY_SCHEMES = ()
    _SUPPORTED_FEATURES = ()
    limits: dl.Limits = dl.Limits()
    refusals: list[InputError] = []

    def _check_extensions(self, extensions: dict) -> None:
        super()._check_extensions(extensions)
        for name in ("cookiejar", "timeout", "legacy_ssl", "keep_header_casing"):
            extensions.pop(name, None)

    def _send(self, request: Any) -> Response:
        headers = dict(self._merge_headers(request.headers))
        data = request.data if isinstance(request.data, (bytes, type(None))) else b"".join(request.data)
        try:
            resp, final_url, pool = dl.open_checked(request.url, self.limits, headers, method=request.method,
                                                    body=data)
        except InputError as exc:
            self.refusals.append(exc)
            raise TransportError(cause=exc) from exc
        except Exception as exc:  # urllib3 / socket errors
            raise TransportError(cause=exc) from exc
        length = resp.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > PAGE_MAX_BYTES:
            resp.release_conn()
            refusal = InputError(f"{final_url[:100]} answers {int(length) / 1e6:.0f} MB where a page was expected",
                                 field="source", fix="give the media file's own URL")
            self.refusals.append(refusal)
            raise TransportError(cause=refusal)
        response = Response(fp=_Capped(resp, PAGE_MAX_BYTES, self.refusals), url=final_url,
                            headers=dict(resp.headers.items()), status=resp.status)
        if not 200 <= resp.status < 300:
            raise HTTPError(response)
        return response


class _Capped(io.RawIOBase):
    """A response body that stops (an error, not a silent cut) once it passes ``limit`` bytes."""

    def __init__(self, fp: Any, limit: int, refusals: list[InputError]):
        super().__init__()
        self.fp, self.limit, self.seen, self.refusals = fp, limit, 0, refusals

    def readable(self) -> bool:
        return True

    def read(self, amt: int | None = -1) -> bytes:
        data = self.fp.read(amt if amt is not None and amt >= 0 else None)
        self.seen += len(data)
        if self.seen > self.limit:
            refusal = InputError(f"a page passed {self.limit / 1e6:.1f} MB and was stopped", field="source",
                                 fix="give the media file's own URL")
            self.refusals.append(refusal)
            raise TransportError(cause=refusal)
        return data

    def close(self) -> None:
        self.fp.release_conn()
        super().close()


class SafeYoutubeDL(YoutubeDL):
    """A YoutubeDL whose only request handler is :class:`SafeRH`."""

    def __init__(self, params: dict, *, limits: dl.Limits):
        super().__init__(params)
        self.refusals: list[InputError] = []
        self._limits = limits

    @functools.cached_property
    def _request_director(self):
        director = self.build_request_director([SafeRH])
        for handler in director.handlers.values():
            handler.limits = self._limits
            handler.refusals = self.refusals
        return director


class _Quiet:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        pass

    def error(self, msg: str) -> None:
        self.errors.append(msg)


def has_site_extractor(url: str) -> bool:
    """Whether a yt-dlp extractor other than the generic one claims ``url`` (YouTube, Vimeo ...)."""
    from yt_dlp.extractor import gen_extractor_classes

    for ie in gen_extractor_classes():
        if ie.ie_key() == "Generic":
            continue
        try:
            if ie.suitable(url) and ie.working():
                return True
        except Exception:  # a broken extractor regex is not our problem
            continue
    return False


def extract(url: str, limits: dl.Limits) -> dict:
    """yt-dlp's description of the media at ``url`` with one chosen format that has audio and a
    plain http(s) URL: ``{"url", "http_headers", "title", "uploader", "license", "duration", ...}``."""
    logger = _Quiet()
    params = {"quiet": True, "no_warnings": True, "noplaylist": True, "skip_download": True,
              "logger": logger, "format": FORMAT, "socket_timeout": limits.read_timeout_s,
              "ffmpeg_location": ffmpeg_path(), "playlist_items": "1", "noprogress": True,
              "extractor_retries": 1}
    with SafeYoutubeDL(params, limits=limits) as ydl:
        try:
            info = ydl.extract_info(url, download=False)
        except DownloadError as exc:
            if ydl.refusals:
                raise ydl.refusals[0] from None
            text = str(exc).replace("ERROR: ", "")
            if "Requested format is not available" in text:
                raise InputError(f"the page at {url[:100]} offers no media with sound over plain HTTP(S)",
                                 field="source", fix="download the video yourself and give the file") from None
            raise InputError(f"no media found at {url[:100]}: {text[:300]}", field="source",
                             fix="give a page with a video, or the media file's own URL") from None
    if info is None:
        raise InputError(f"no media found at {url[:100]}", field="source", fix="give the media file's URL")
    if info.get("entries") is not None:
        entries = [e for e in info["entries"] if e]
        if not entries:
            raise InputError(f"the page at {url[:100]} lists no videos", field="source", fix="give one video's URL")
        info = entries[0]
    title = str(info.get("title") or "")
    if info.get("extractor_key") in ("Generic", "HTML5MediaEmbed") and title.endswith(" (1)") and str(info.get("id", "")).endswith("-1"):
        info["title"] = title[:-4]  # the generic extractor numbers a page's videos, even its only one
    if not info.get("url"):
        raise InputError(f"yt-dlp found no single media URL at {url[:100]}", field="source",
                         fix="give the media file's own URL")
    return info
