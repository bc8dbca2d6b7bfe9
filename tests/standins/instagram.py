"""A loopback Instagram Graph API (content publishing) + rupload host, in the documented shapes.

Routes (developers.facebook.com/docs/instagram-platform/content-publishing):

- ``POST /v21.0/<ig-user-id>/media?media_type=REELS&caption=..&upload_type=resumable|video_url=..``:
  a container ``{"id", "uri"}``; captions over 2,200 characters or 30 hashtags are refused (code 100).
- ``POST /ig-api-upload/v21.0/<container>`` with ``Authorization: OAuth <token>``, ``offset``,
  ``file_size`` and the bytes: ``{"success": true, "message": "Upload successful. ..."}``.
- ``GET /v21.0/<container>?fields=status_code,status``: IN_PROGRESS for ``processing_polls`` reads,
  then FINISHED (or ERROR with ``container_error``); PUBLISHED once published; EXPIRED if told.
- ``POST /v21.0/<ig-user-id>/media_publish?creation_id=..``: the Reel's ``{"id"}`` (code 9007 if the
  container is not FINISHED); counted against ``quota_total`` per 24 h.
- ``GET /v21.0/<ig-user-id>/content_publishing_limit?fields=quota_usage,config``.
- ``GET /v21.0/<ig-user-id>/media``, ``GET /v21.0/<media-id>?fields=id,permalink``,
  ``GET /v21.0/<media-id>/insights?metric=views,likes,comments,shares``.
- ``GET /refresh_access_token?grant_type=ig_refresh_token&access_token=..``.

Errors: ``{"error": {"message", "type": "OAuthException", "code", "error_subcode", "fbtrace_id"}}``;
a token that is not valid is code 190 (subcode 463 when expired).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import urllib.request

from .server import Reply, Request, StandIn

V = "/v21.0"


def graph_error(status: int, code: int, message: str, subcode: int | None = None,
                type_: str = "OAuthException") -> Reply:
    err = {"message": message, "type": type_, "code": code, "fbtrace_id": secrets.token_urlsafe(8)}
    if subcode:
        err["error_subcode"] = subcode
    return Reply(status, {"error": err})


class InstagramStandIn(StandIn):
    def __init__(self, *, user_id: str = "17841400000000001", token: str = "IGQVJ-standin-long-lived-token"):
        self.user_id = user_id
        self.tokens = {token}
        self.expired: set[str] = set()
        self.containers: dict[str, dict] = {}
        self.media: list[dict] = []  # published Reels
        self.processing_polls = 1
        self.container_error: str | None = None
        self.quota_total = 100
        self.published_elsewhere = 0  # posts from other apps counted in quota_usage
        self.on_publish = None  # hook(container) after a Reel is published, before the answer
        self.fetch_video_urls = False  # download video_url as Instagram does (a loopback S3 in tests)
        super().__init__()

    # -- helpers --------------------------------------------------------------------------
    def expire_token(self, token: str) -> None:
        self.expired.add(token)

    def _token(self, req: Request) -> str | None:
        auth = req.headers.get("authorization") or ""
        for prefix in ("Bearer ", "OAuth "):
            if auth.startswith(prefix):
                return auth[len(prefix):].strip()
        return (req.query.get("access_token") or [None])[0]

    def _q(self, req: Request, name: str) -> str | None:
        return (req.query.get(name) or [None])[0]

    # -- routing --------------------------------------------------------------------------
    def route(self, req: Request) -> Reply | None:
        token = self._token(req)
        if token in self.expired:
            return graph_error(400, 190, "Error validating access token: Session has expired.", 463)
        if token not in self.tokens:
            return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if req.path == "/refresh_access_token":
            new = "IGQVJ-" + secrets.token_urlsafe(16)
            self.tokens.add(new)
            return Reply(200, {"access_token": new, "token_type": "bearer", "expires_in": 5184000})
        if req.path.startswith(f"/ig-api-upload{V}/"):
            return self._rupload(req)
        if not req.path.startswith(V + "/"):
            return graph_error(404, 803, "Unknown path", type_="GraphMethodException")
        parts = req.path[len(V) + 1:].split("/")
        node, edge = parts[0], (parts[1] if len(parts) > 1 else "")
        if node == self.user_id:
            if req.method == "POST" and edge == "media":
                return self._create(req)
            if req.method == "POST" and edge == "media_publish":
                return self._publish(req)
            if edge == "content_publishing_limit":
                return Reply(200, {"data": [{"quota_usage": self.usage(),
                                             "config": {"quota_total": self.quota_total, "quota_duration": 86400}}]})
            if edge == "media":
                return Reply(200, {"data": [{"id": m["id"], "caption": m["caption"], "timestamp": m["timestamp"]}
                                            for m in reversed(self.media)]})
        if node in self.containers and not edge:
            return self._status(node)
        media = next((m for m in self.media if m["id"] == node), None)
        if media is not None and not edge:
            return Reply(200, {"id": media["id"], "permalink": f"https://www.instagram.com/reel/{media['code']}/"})
        if media is not None and edge == "insights":
            names = (self._q(req, "metric") or "").split(",")
            return Reply(200, {"data": [{"name": n, "period": "lifetime", "values": [{"value": media["stats"].get(n, 0)}],
                                         "title": n, "id": f"{node}/insights/{n}/lifetime"} for n in names]})
        return graph_error(400, 100, f"Unsupported request - object {node} does not exist", 33,
                           type_="GraphMethodException")

    def usage(self) -> int:
        now = time.time()
        return self.published_elsewhere + sum(1 for m in self.media if now - m["at"] < 86400)

    def _create(self, req: Request) -> Reply:
        if self._q(req, "media_type") != "REELS":
            return graph_error(400, 100, "The parameter media_type is required for video (REELS)", type_="IGApiException")
        caption = self._q(req, "caption") or ""
        if len(caption) > 2200 or len(re.findall(r"(?<!\w)#\w+", caption)) > 30:
            return graph_error(400, 100, "Param caption must be at most 2200 characters and 30 hashtags",
                               type_="IGApiException")
        cid = str(17_900_000_000_000_000 + len(self.containers))
        resumable = self._q(req, "upload_type") == "resumable"
        url = self._q(req, "video_url")
        if not resumable and not url:
            return graph_error(400, 100, "The parameter video_url is required", type_="IGApiException")
        self.containers[cid] = {"caption": caption, "resumable": resumable, "video_url": url, "bytes": None,
                                "sha256": None, "reads": 0, "state": "IN_PROGRESS" if url else "WAITING",
                                "share_to_feed": self._q(req, "share_to_feed")}
        if url and self.fetch_video_urls:  # Instagram's servers download the video from the URL
            try:
                with urllib.request.urlopen(url, timeout=10) as resp:
                    data = resp.read()
                self.containers[cid].update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
            except OSError as exc:
                self.containers[cid].update(state="ERROR", error=f"video_url could not be fetched: {exc}")
        body = {"id": cid}
        if resumable:
            body["uri"] = f"https://rupload.facebook.com/ig-api-upload{V}/{cid}"
        return Reply(200, body)

    def _rupload(self, req: Request) -> Reply:
        cid = req.path.rsplit("/", 1)[1]
        c = self.containers.get(cid)
        if c is None or not c["resumable"]:
            return Reply(400, {"debug_info": {"type": "ProcessingFailedError", "message": "Request processing failed"}})
        if not (req.headers.get("authorization") or "").startswith("OAuth "):
            return graph_error(400, 190, "rupload needs Authorization: OAuth <token>")
        offset, size = int(req.headers.get("offset", "-1")), int(req.headers.get("file_size", "-1"))
        if offset != 0 or size != len(req.body):
            return Reply(400, {"debug_info": {"type": "ProcessingFailedError",
                                              "message": f"offset {offset} / file_size {size} do not match the body"}})
        c.update(bytes=len(req.body), sha256=hashlib.sha256(req.body).hexdigest(), state="IN_PROGRESS")
        return Reply(200, {"success": True, "message": "Upload successful. Waiting for media processing."})

    def _status(self, cid: str) -> Reply:
        c = self.containers[cid]
        if c["state"] == "IN_PROGRESS":
            c["reads"] += 1
            if c["reads"] > self.processing_polls:
                c["state"] = "ERROR" if self.container_error else "FINISHED"
        body = {"status_code": c["state"], "id": cid}
        if c["state"] == "ERROR":
            body["status"] = f"Error: {c.get('error') or self.container_error}"
        elif c["state"] == "WAITING":
            body["status_code"] = "IN_PROGRESS"
        return Reply(200, body)

    def _publish(self, req: Request) -> Reply:
        cid = self._q(req, "creation_id") or ""
        c = self.containers.get(cid)
        if c is None or c["state"] != "FINISHED":
            return graph_error(400, 9007, "Media ID is not available", 2207027, type_="IGApiException")
        if self.usage() >= self.quota_total:
            return graph_error(400, 9, "Application request limit reached", 2207042, type_="IGApiException")
        c["state"] = "PUBLISHED"
        mid = str(18_000_000_000_000_000 + len(self.media))
        self.media.append({"id": mid, "container": cid, "caption": c["caption"], "sha256": c["sha256"],
                           "video_url": c["video_url"], "at": time.time(), "code": secrets.token_urlsafe(6),
                           "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()),
                           "stats": {"views": 0, "likes": 0, "comments": 0, "shares": 0}})
        if self.on_publish:
            self.on_publish(c)
        return Reply(200, {"id": mid})
