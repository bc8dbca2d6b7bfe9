"""A loopback stand-in for the YouTube Data API v3 read endpoints the trend source calls.

- ``GET /youtube/v3/search?part=snippet&type=video&order=viewCount&q=...&publishedAfter=...``:
  a ``youtube#searchListResponse`` whose items are ``youtube#searchResult`` (``id.videoId``,
  ``snippet`` with the title HTML-escaped as YouTube does: ``&#39;``, ``&quot;``, ``&amp;``).
  ``q`` is matched as YouTube does for ``a|b|c``: any of the terms; results are filtered by
  ``publishedAfter``, ``videoDuration=short`` (under 4 minutes) and sorted by ``order=viewCount``.
- ``GET /youtube/v3/videos?id=a,b`` and ``?chart=mostPopular&videoCategoryId=..&regionCode=..``:
  a ``youtube#videoListResponse`` with ``snippet`` (titles not escaped) and ``statistics``
  (counts as strings). A category with no chart answers 404 ``videoChartNotFound``.

Every call needs ``key``: none is 403 ``forbidden``, a wrong one 400 ``keyInvalid`` (the body of
``API key not valid``). Quota is counted like YouTube's (search.list 100 units, videos.list 1);
past ``daily_quota`` the answer is 403 ``quotaExceeded``. Parameters are checked like the API
does (``part`` required, ``maxResults`` 0-50, ``regionCode`` ISO alpha-2, RFC 3339
``publishedAfter``, ``maxResults`` not allowed with ``id``), with the API's error body
``{"error": {"code", "message", "errors": [{"message", "domain", "reason", "location",
"locationType"}], "status"}}``.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .server import Fault, Reply, Request, StandIn, json_reply

STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
                500: "INTERNAL", 503: "UNAVAILABLE"}


@dataclass
class Video:
    id: str
    title: str
    channel_title: str = "Some Channel"
    views: int = 1000
    age_hours: float = 24.0
    category_id: str = "27"
    duration_s: int = 45
    tags: list[str] = field(default_factory=list)
    description: str = ""
    regions: tuple[str, ...] = ("US",)


def youtube_error(status: int, reason: str, message: str, *, domain: str = "youtube.parameter",
                  location: str | None = None, details: list | None = None) -> dict:
    item = {"message": message, "domain": domain, "reason": reason}
    if location:
        item.update(location=location, locationType="parameter")
    body = {"error": {"code": status, "message": message, "errors": [item],
                      "status": STATUS_NAMES.get(status, "UNKNOWN")}}
    if details:
        body["error"]["details"] = details
    return body


class YouTubeStandIn(StandIn):
    def __init__(self, videos: list[Video] | None = None, *, api_key: str = "test-youtube-key-123456",
                 daily_quota: int = 10_000, charts: dict[str, set[str]] | None = None):
        super().__init__()
        self.videos = list(videos or [])
        self.api_key = api_key
        self.daily_quota = daily_quota
        self.quota_used = 0
        # category -> regions with a mostPopular chart; by default every category in the catalog
        self.charts = charts
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self._quota_lock = threading.Lock()

    # -- errors --------------------------------------------------------------------
    def error_reply(self, status: int, fault: Fault) -> Reply:
        if fault.body is not None:
            return Reply(status, fault.body)
        reason = {429: "rateLimitExceeded", 500: "backendError", 503: "backendError"}.get(status, "badRequest")
        return Reply(status, youtube_error(status, reason, f"stand-in {status}", domain="global"))

    def _bad(self, reason: str, message: str, location: str, status: int = 400) -> Reply:
        return json_reply(youtube_error(status, reason, message, location=location), status)

    # -- routes --------------------------------------------------------------------
    def route(self, req: Request) -> Reply | None:
        if req.method != "GET" or req.path not in ("/youtube/v3/search", "/youtube/v3/videos"):
            return json_reply(youtube_error(404, "notFound", f"Not Found: {req.method} {req.path}",
                                            domain="global"), 404)
        key = self._one(req, "key")
        if not key:
            return json_reply(youtube_error(
                403, "forbidden", "The request is missing a valid API key.", domain="global"), 403)
        if key != self.api_key:
            return json_reply(youtube_error(
                400, "keyInvalid", "API key not valid. Please pass a valid API key.", domain="usageLimits",
                details=[{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                          "domain": "googleapis.com", "metadata": {"service": "youtube.googleapis.com"}}]), 400)
        cost = 100 if req.path.endswith("/search") else 1
        with self._quota_lock:
            if self.quota_used + cost > self.daily_quota:
                return json_reply(youtube_error(
                    403, "quotaExceeded", "The request cannot be completed because you have exceeded your "
                    "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.", domain="youtube.quota"), 403)
            self.quota_used += cost
        if not self._one(req, "part"):
            return self._bad("required", "Required parameter: part", "part")
        max_results = self._one(req, "maxResults")
        if max_results is not None and (not max_results.isdigit() or not 0 <= int(max_results) <= 50):
            return self._bad("invalidValue", f"Invalid value '{max_results}'. Values must be within the range: "
                             "[0, 50]", "maxResults")
        region = self._one(req, "regionCode")
        if region is not None and not re.fullmatch(r"[A-Z]{2}", region):
            return self._bad("invalidRegionCode", "The regionCode parameter specifies an invalid region code.",
                             "regionCode")
        if req.path.endswith("/search"):
            return self._search(req)
        return self._videos(req)

    @staticmethod
    def _one(req: Request, name: str) -> str | None:
        values = req.query.get(name)
        return values[0] if values else None

    def _published(self, v: Video) -> datetime:
        return self.now - timedelta(hours=v.age_hours)

    def _snippet(self, v: Video, escaped: bool) -> dict:
        title = html.escape(v.title, quote=True).replace("&#x27;", "&#39;") if escaped else v.title
        thumbs = {size: {"url": f"https://i.ytimg.com/vi/{v.id}/{name}.jpg", "width": w, "height": h}
                  for size, name, w, h in (("default", "default", 120, 90), ("medium", "mqdefault", 320, 180),
                                           ("high", "hqdefault", 480, 360))}
        published = self._published(v).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"publishedAt": published, "channelId": "UC" + v.channel_title.replace(" ", "")[:20].ljust(22, "x"),
                "title": title, "description": v.description, "thumbnails": thumbs, "channelTitle": v.channel_title,
                "liveBroadcastContent": "none", **({"publishTime": published} if escaped else {})}

    def _search(self, req: Request) -> Reply:
        if self._one(req, "type") not in (None, "video", "channel", "playlist"):
            return self._bad("invalidValue", "Invalid value for type", "type")
        order = self._one(req, "order") or "relevance"
        if order not in ("date", "rating", "relevance", "title", "videoCount", "viewCount"):
            return self._bad("invalidValue", f"Invalid value '{order}' for order", "order")
        after = self._one(req, "publishedAfter")
        after_dt = None
        if after is not None:
            try:
                after_dt = datetime.fromisoformat(after.replace("Z", "+00:00"))
                assert after_dt.tzinfo is not None
            except (ValueError, AssertionError):
                return self._bad("invalidPublishedAfterTime", "The publishedAfter parameter value is not a valid "
                                 "RFC 3339 date-time.", "publishedAfter")
        duration = self._one(req, "videoDuration")
        if duration is not None and self._one(req, "type") != "video":
            return self._bad("invalidSearchFilter", "videoDuration requires type=video", "videoDuration")
        terms = [t.strip().lower() for t in (self._one(req, "q") or "").split("|") if t.strip()]
        region = self._one(req, "regionCode")
        hits = []
        for v in self.videos:
            text = f"{v.title} {' '.join(v.tags)} {v.description}".lower()
            if terms and not any(t in text for t in terms):
                continue
            if after_dt is not None and self._published(v) <= after_dt:
                continue
            if duration == "short" and v.duration_s >= 240:
                continue
            if region and region not in v.regions:
                continue
            hits.append(v)
        if order == "viewCount":
            hits.sort(key=lambda v: -v.views)
        elif order == "date":
            hits.sort(key=lambda v: v.age_hours)
        limit = int(self._one(req, "maxResults") or 5)
        items = [{"kind": "youtube#searchResult", "etag": f"etag-s-{v.id}",
                  "id": {"kind": "youtube#video", "videoId": v.id}, "snippet": self._snippet(v, escaped=True)}
                 for v in hits[:limit]]
        body = {"kind": "youtube#searchListResponse", "etag": "etag-search", "regionCode": region or "US",
                "pageInfo": {"totalResults": len(hits), "resultsPerPage": limit}, "items": items}
        if len(hits) > limit:
            body["nextPageToken"] = "CAUQAA"
        return json_reply(body)

    def _video(self, v: Video) -> dict:
        return {"kind": "youtube#video", "etag": f"etag-v-{v.id}", "id": v.id,
                "snippet": {**self._snippet(v, escaped=False), "tags": v.tags, "categoryId": v.category_id,
                            "defaultAudioLanguage": "en",
                            "localized": {"title": v.title, "description": v.description}},
                "statistics": {"viewCount": str(v.views), "likeCount": str(v.views // 25), "favoriteCount": "0",
                               "commentCount": str(v.views // 400)}}

    def _videos(self, req: Request) -> Reply:
        chart, ids = self._one(req, "chart"), self._one(req, "id")
        if bool(chart) == bool(ids):
            return self._bad("incompatibleParameters", "Exactly one of chart, id or myRating must be given.",
                             "parameters")
        if ids:
            if self._one(req, "maxResults") is not None:
                return self._bad("incompatibleParameters", "The maxResults parameter cannot be used with the id "
                                 "parameter.", "maxResults")
            wanted = ids.split(",")
            by_id = {v.id: v for v in self.videos}
            items = [self._video(by_id[i]) for i in wanted if i in by_id]
            return json_reply({"kind": "youtube#videoListResponse", "etag": "etag-videos", "items": items,
                               "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}})
        if chart != "mostPopular":
            return self._bad("invalidChart", f"Invalid value '{chart}' for chart", "chart")
        category = self._one(req, "videoCategoryId") or "0"
        region = self._one(req, "regionCode") or "US"
        charts = self.charts if self.charts is not None else {}
        has_chart = (region in charts.get(category, set())) if self.charts is not None else (
            category == "0" or any(v.category_id == category for v in self.videos))
        if not has_chart:
            return json_reply(youtube_error(404, "videoChartNotFound", "The requested video chart is not supported "
                                            "or is not available.", domain="youtube.video", location="chart"), 404)
        hits = [v for v in self.videos if (category == "0" or v.category_id == category) and region in v.regions]
        hits.sort(key=lambda v: -v.views)
        limit = int(self._one(req, "maxResults") or 5)
        return json_reply({"kind": "youtube#videoListResponse", "etag": "etag-popular",
                           "items": [self._video(v) for v in hits[:limit]],
                           "pageInfo": {"totalResults": len(hits), "resultsPerPage": limit}})
