"""A loopback TikTok Content Posting API + OAuth token endpoint, speaking the documented wire shapes.

Routes (https://developers.tiktok.com/doc/content-posting-api-reference-direct-post and the media
transfer guide):

- ``POST /v2/oauth/token/`` (form): ``grant_type=refresh_token`` / ``authorization_code``; errors as
  ``{"error": "invalid_grant", "error_description", "log_id"}``.
- ``POST /v2/post/publish/creator_info/query/``: the creator's privacy options, max duration, toggles.
- ``POST /v2/post/publish/video/init/`` (Direct Post) and ``/v2/post/publish/inbox/video/init/``:
  ``source_info`` checked by the chunk rules (total_chunk_count = floor(size / chunk_size), 5-64 MB
  chunks, under 5 MB whole, over 64 MB in several, last chunk at most 128 MB), ``post_info`` by the
  creator's options; 6 inits per minute per token (429 ``rate_limit_exceeded``); unaudited clients may
  only post SELF_ONLY (403 ``unaudited_client_can_only_post_to_private_accounts``).
- ``PUT /upload/<publish_id>``: ``Content-Range: bytes a-b/TOTAL`` in order; 206 until the last, then 201.
- ``POST /v2/post/publish/status/fetch/``: PROCESSING_UPLOAD (with uploaded_bytes) -> PROCESSING_DOWNLOAD
  for ``moderation_polls`` fetches -> PUBLISH_COMPLETE (or SEND_TO_USER_INBOX, or FAILED); 30/min.
- ``POST /v2/video/query/?fields=...``: statistics of posted videos.

Errors: ``{"data": {}, "error": {"code", "message", "log_id"}}``. Every API route needs
``Authorization: Bearer <an unexpired token this server issued>`` (else 401 ``access_token_invalid``).
Bodies of uploads are hashed and counted, never kept (a 200 MB upload stays cheap).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from urllib.parse import parse_qs

from .server import Reply, Request, StandIn

MB = 1024 * 1024


def tiktok_error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"data": {}, "error": {"code": code, "message": message, "log_id": secrets.token_hex(8)}})


class TikTokStandIn(StandIn):
    def __init__(self, *, client_key: str = "aw-standin-key", client_secret: str = "standin-client-secret-tt",
                 refresh_token: str = "rft.standin-refresh-token", audited: bool = False,
                 privacy_options: tuple[str, ...] = ("SELF_ONLY",), max_duration_s: int = 600):
        self.client_key, self.client_secret = client_key, client_secret
        self.refresh_tokens = {refresh_token}
        self.access_tokens: dict[str, float] = {}  # token -> expiry (epoch)
        self.open_id = "standin-open-id"
        self.audited = audited
        self.creator = {"creator_avatar_url": "https://example.invalid/a.jpg", "creator_username": "standin",
                        "creator_nickname": "Stand In", "privacy_level_options": list(privacy_options),
                        "comment_disabled": False, "duet_disabled": False, "stitch_disabled": True,
                        "max_video_post_duration_sec": max_duration_s}
        self.publishes: dict[str, dict] = {}
        self.posts: list[dict] = []  # every post that became public (or a draft in the inbox)
        self.moderation_polls = 0  # status fetches answered PROCESSING_DOWNLOAD before the decision
        self.moderation_result = "PUBLISH_COMPLETE"  # or "FAILED"
        self.init_limit, self.status_limit, self.window_s = 6, 30, 60.0
        self.rate_limited = 0  # requests answered 429 rate_limit_exceeded
        self._calls: dict[tuple[str, str], list[float]] = {}
        self.on_chunk = None  # hook(publish, index) after a chunk is stored
        self.video_stats: dict[str, dict] = {}
        self._lock2 = threading.Lock()
        super().__init__()

    # -- helpers for tests -----------------------------------------------------------
    def issue_token(self, lifetime_s: float = 86400) -> str:
        token = "act." + secrets.token_urlsafe(24)
        self.access_tokens[token] = time.time() + lifetime_s
        return token

    def token_json(self, *, lifetime_s: float = 86400) -> dict:
        """What ``shortsmith tiktok-auth`` writes: a fresh access token and the refresh token."""
        now = time.time()
        return {"access_token": self.issue_token(lifetime_s), "refresh_token": next(iter(self.refresh_tokens)),
                "open_id": self.open_id, "scope": "user.info.basic,video.publish,video.upload",
                "token_type": "Bearer", "expires_at": now + lifetime_s, "refresh_expires_at": now + 31536000}

    def expire_access_tokens(self) -> None:
        for t in self.access_tokens:
            self.access_tokens[t] = 0.0

    def revoke(self) -> None:
        self.refresh_tokens.clear()
        self.access_tokens.clear()

    def count(self, path: str) -> int:
        return len(self.seen(path))

    # -- routing ---------------------------------------------------------------------
    def route(self, req: Request) -> Reply | None:
        if req.path == "/v2/oauth/token/" and req.method == "POST":
            return self._token(req)
        if req.method == "PUT" and req.path.startswith("/upload/"):
            return self._put(req)
        token = (req.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        if self.access_tokens.get(token, 0) < time.time():
            return tiktok_error(401, "access_token_invalid",
                                "The access token is invalid or not found in the request.")
        if req.path == "/v2/post/publish/creator_info/query/":
            return Reply(200, {"data": dict(self.creator), "error": {"code": "ok", "message": "", "log_id": "x"}})
        if req.path in ("/v2/post/publish/video/init/", "/v2/post/publish/inbox/video/init/"):
            limited = self._rate(token, "init", self.init_limit)
            return limited or self._init(req, inbox="inbox" in req.path)
        if req.path == "/v2/post/publish/status/fetch/":
            return self._rate(token, "status", self.status_limit) or self._status(req)
        if req.path == "/v2/video/query/":
            ids = ((req.json() or {}).get("filters") or {}).get("video_ids") or []
            videos = [{"id": i, **self.video_stats.get(i, {"view_count": 0, "like_count": 0, "comment_count": 0,
                                                           "share_count": 0})} for i in ids]
            return Reply(200, {"data": {"videos": videos, "cursor": 0, "has_more": False},
                               "error": {"code": "ok", "message": "", "log_id": "x"}})
        return tiktok_error(404, "invalid_params", f"no route {req.method} {req.path}")

    def _rate(self, token: str, what: str, limit: int) -> Reply | None:
        now = time.time()
        with self._lock2:
            calls = [t for t in self._calls.get((token, what), []) if now - t < self.window_s]
            if len(calls) >= limit:
                self._calls[(token, what)] = calls
                self.rate_limited += 1
                return tiktok_error(429, "rate_limit_exceeded", "API rate limit was exceeded.")
            calls.append(now)
            self._calls[(token, what)] = calls
        return None

    def _token(self, req: Request) -> Reply:
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        if form.get("client_key") != self.client_key or form.get("client_secret") != self.client_secret:
            return Reply(400, {"error": "invalid_client", "error_description": "Client key or secret is incorrect.",
                               "log_id": "x"})
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return Reply(400, {"error": "invalid_grant", "error_description": "Refresh token is invalid or "
                                   "expired.", "log_id": "x"})
        elif form.get("grant_type") == "authorization_code":
            if not form.get("code") or not form.get("redirect_uri"):
                return Reply(400, {"error": "invalid_request", "error_description": "code missing", "log_id": "x"})
        else:
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "", "log_id": "x"})
        return Reply(200, {"access_token": self.issue_token(), "expires_in": 86400, "open_id": self.open_id,
                           "refresh_expires_in": 31536000, "refresh_token": next(iter(self.refresh_tokens), ""),
                           "scope": "user.info.basic,video.publish,video.upload", "token_type": "Bearer"})

    def _init(self, req: Request, *, inbox: bool) -> Reply:
        body = req.json() or {}
        src = body.get("source_info") or {}
        if src.get("source") != "FILE_UPLOAD":
            return tiktok_error(400, "invalid_params", "source must be FILE_UPLOAD here")
        size, chunk, count = src.get("video_size"), src.get("chunk_size"), src.get("total_chunk_count")
        if not all(isinstance(x, int) and x > 0 for x in (size, chunk, count)):
            return tiktok_error(400, "invalid_params", "video_size, chunk_size and total_chunk_count are required")
        problem = chunk_rule_problem(size, chunk, count)
        if problem:
            return tiktok_error(400, "invalid_params", problem)
        if not inbox:
            info = body.get("post_info") or {}
            level = info.get("privacy_level")
            if level not in self.creator["privacy_level_options"]:
                return tiktok_error(400, "privacy_level_option_mismatch",
                                    "privacy_level is not one of the creator's privacy_level_options")
            if not self.audited and level != "SELF_ONLY":
                return tiktok_error(403, "unaudited_client_can_only_post_to_private_accounts",
                                    "Please review our integration guidelines.")
        pid = f"v_pub_file~v2-1.{secrets.randbelow(10**18)}"
        self.publishes[pid] = {"size": size, "chunk": chunk, "count": count, "received": 0, "next": 0,
                               "sha": hashlib.sha256(), "ranges": [], "inbox": inbox, "post_info": body.get("post_info"),
                               "fetches": 0, "state": "PROCESSING_UPLOAD", "created": time.time()}
        return Reply(200, {"data": {"publish_id": pid, "upload_url": f"{self.url}/upload/{pid}"},
                           "error": {"code": "ok", "message": "", "log_id": "x"}})

    def _put(self, req: Request) -> Reply:
        pid = req.path.removeprefix("/upload/")
        pub = self.publishes.get(pid)
        if pub is None or pub["state"] == "FAILED":
            return Reply(404, {"error": {"code": "invalid_params", "message": "upload url is invalid or expired"}})
        rng = req.headers.get("content-range", "")
        try:
            unit, spec = rng.split(" ", 1)
            span, total = spec.split("/")
            first, last = (int(x) for x in span.split("-"))
            assert unit == "bytes" and int(total) == pub["size"]
        except (ValueError, AssertionError):
            return Reply(400, {"error": {"code": "invalid_params", "message": f"bad Content-Range {rng!r}"}})
        index = pub["next"]
        want_first = index * pub["chunk"]
        want_last = pub["size"] - 1 if index == pub["count"] - 1 else want_first + pub["chunk"] - 1
        if (first, last) != (want_first, want_last) or len(req.body) != last - first + 1 \
                or req.headers.get("content-type") != "video/mp4":
            return Reply(400, {"error": {"code": "invalid_params",
                                         "message": f"chunk {index}: expected bytes {want_first}-{want_last}"}})
        pub["sha"].update(req.body)
        pub["received"] += len(req.body)
        pub["ranges"].append(rng)
        pub["next"] += 1
        if self.on_chunk:
            self.on_chunk(pub, index)
        if pub["next"] == pub["count"]:
            pub["state"] = "PROCESSING_DOWNLOAD"
            return Reply(201, b"")
        return Reply(206, b"")

    def _status(self, req: Request) -> Reply:
        pid = (req.json() or {}).get("publish_id")
        pub = self.publishes.get(pid)
        if pub is None:
            return tiktok_error(400, "invalid_publish_id", "publish_id does not exist")
        data = {"status": pub["state"], "uploaded_bytes": pub["received"]}
        if pub["state"] == "PROCESSING_DOWNLOAD":
            pub["fetches"] += 1
            if pub["fetches"] > self.moderation_polls:
                if self.moderation_result == "FAILED":
                    pub["state"] = "FAILED"
                    pub["fail_reason"] = "spam_risk_text"
                else:
                    pub["state"] = "SEND_TO_USER_INBOX" if pub["inbox"] else "PUBLISH_COMPLETE"
                    post_id = str(7_300_000_000_000_000_000 + len(self.posts))
                    pub["post_id"] = post_id
                    self.posts.append({"publish_id": pid, "post_id": post_id, "sha256": pub["sha"].hexdigest(),
                                       "size": pub["received"], "post_info": pub["post_info"]})
                data["status"] = pub["state"]
        if pub["state"] == "FAILED":
            data["fail_reason"] = pub.get("fail_reason", "internal")
        if pub["state"] == "PUBLISH_COMPLETE":
            data["publicaly_available_post_id"] = [int(pub["post_id"])]
        return Reply(200, {"data": data, "error": {"code": "ok", "message": "", "log_id": "x"}})


def chunk_rule_problem(size: int, chunk: int, count: int) -> str | None:
    """What breaks TikTok's documented chunk rules, or None."""
    if size < 5 * MB:
        return None if (chunk, count) == (size, 1) else "videos under 5 MB must be uploaded whole"
    if count != size // chunk:
        return f"total_chunk_count must be floor(video_size / chunk_size) = {size // chunk}"
    if not 1 <= count <= 1000:
        return "between 1 and 1000 chunks"
    if count > 1 and not 5 * MB <= chunk <= 64 * MB:
        return "chunk_size must be 5-64 MB"
    if size > 64 * MB and count < 2:
        return "videos over 64 MB must be uploaded in several chunks"
    if size - (count - 1) * chunk > 128 * MB:
        return "the last chunk may be at most 128 MB"
    return None
