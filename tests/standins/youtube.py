"""A loopback YouTube Data API v3 + Google OAuth token endpoint, speaking the real wire protocol.

Routes (as the real googleapiclient / google-auth / google-auth-oauthlib send them):

- ``POST /token``: ``grant_type=refresh_token`` (client id/secret + refresh token) and
  ``grant_type=authorization_code`` (with PKCE ``code_verifier``); errors as ``{"error": "invalid_grant"}``.
- ``GET /o/oauth2/auth``: "the user consents": 302 to the ``redirect_uri`` with ``code`` and ``state``.
- ``POST /upload/youtube/v3/videos?uploadType=resumable``: opens a session (needs
  ``X-Upload-Content-Length``/``-Type``, JSON metadata), answers 200 with ``Location``.
- ``PUT <session>``: ``Content-Range: bytes a-b/TOTAL`` chunks (308 + ``Range`` until complete, then
  200 with the video) and ``bytes */TOTAL`` status queries.
- ``POST /upload/youtube/v3/thumbnails/set``, ``POST|GET /youtube/v3/playlistItems``,
  ``GET /youtube/v3/videos`` (parts status, processingDetails, snippet, statistics; at most 50 ids).

Every API route needs ``Authorization: Bearer <a token this server issued>``; errors use Google's
body shape ``{"error": {"code", "message", "errors": [{"reason", "domain", "message"}]}}``.
Faults: the base class's (``fault("500")``, ``"cut"``, ``"hang"``, ...) plus ``fault("quotaExceeded")``,
``fault("uploadLimitExceeded")``, ``fault("cut-after-store")`` (a chunk is stored, then the
connection is closed without an answer) and ``on_chunk`` (a hook called as chunks arrive).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from urllib.parse import parse_qs, urlencode

from .server import Fault, Reply, Request, StandIn

QUOTA_MESSAGE = ('The request cannot be completed because you have exceeded your '
                 '<a href="/youtube/v3/getting-started#quota">quota</a>.')


def google_error(code: int, reason: str, message: str, domain: str = "youtube.api", **extra) -> dict:
    err = {"message": message, "domain": domain, "reason": reason, **extra}
    return {"error": {"code": code, "message": message, "errors": [err]}}


NAMED = {
    "quotaExceeded": (403, google_error(403, "quotaExceeded", QUOTA_MESSAGE, "youtube.quota")),
    "dailyLimitExceeded": (403, google_error(403, "dailyLimitExceeded", "Daily Limit Exceeded. The quota will be "
                                             "reset at midnight Pacific Time (PT).", "usageLimits")),
    "dailyLimitExceededUnreg": (403, google_error(403, "dailyLimitExceededUnreg", "Daily Limit for Unauthenticated "
                                                  "Use Exceeded. Continued use requires signup.", "usageLimits")),
    "uploadLimitExceeded": (400, google_error(400, "uploadLimitExceeded",
                                              "The user has exceeded the number of videos they may upload.",
                                              "youtube.video")),
    "authError": (401, {"error": {"code": 401, "status": "UNAUTHENTICATED",
                                  "message": "Request had invalid authentication credentials. Expected OAuth 2 access "
                                             "token, login cookie or other valid authentication credential.",
                                  "errors": [{"message": "Invalid Credentials", "domain": "global",
                                              "reason": "authError", "location": "Authorization",
                                              "locationType": "header"}]}}),
}


class YouTubeStandIn(StandIn):
    def __init__(self, *, client_id: str = "standin-client.apps.googleusercontent.com",
                 client_secret: str = "GOCSPX-standin-client-secret", refresh_token: str = "1//standin-refresh-token"):
        self.client_id, self.client_secret = client_id, client_secret
        self.refresh_tokens = {refresh_token}
        self.access_tokens: set[str] = set()
        self.auth_codes: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.videos: dict[str, dict] = {}
        self.thumbnails: dict[str, bytes] = {}
        self.playlists: dict[str, list[dict]] = {"PLstandin": []}
        self.calls: dict[str, int] = {}
        self.overlap_bytes = 0  # bytes a client re-sent that the server already had
        self.readback_status = "uploaded"  # what videos.list reports for new uploads (or "rejected")
        self.on_chunk = None  # hook(session, received_bytes) after each stored chunk
        self._state_lock = threading.Lock()
        self._current = threading.local()
        super().__init__()

    # -- helpers for tests -----------------------------------------------------------
    def add_video(self, video_id: str, *, title: str = "seeded", views: int = 0, likes: int = 0,
                  comments: int | None = 0) -> None:
        stats = {"viewCount": str(views), "likeCount": str(likes), "favoriteCount": "0"}
        if comments is not None:
            stats["commentCount"] = str(comments)
        self.videos[video_id] = {"kind": "youtube#video", "id": video_id, "snippet": {"title": title},
                                 "status": {"uploadStatus": "processed", "privacyStatus": "public"},
                                 "processingDetails": {"processingStatus": "succeeded"}, "statistics": stats,
                                 "_bytes": b""}

    def uploads(self) -> list[dict]:
        return [v for v in self.videos.values() if v.get("_uploaded")]

    def _count(self, op: str) -> None:
        with self._state_lock:
            self.calls[op] = self.calls.get(op, 0) + 1

    # -- faults ----------------------------------------------------------------------
    def _apply_fault(self, handler, fault: Fault) -> bool:
        if fault.kind in NAMED:
            status, body = NAMED[fault.kind]
            payload = json.dumps(body).encode()
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=UTF-8")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return True
        if fault.kind == "cut-after-store":  # the server keeps the chunk, the client never hears back
            self.route(self._current.req)
            return super()._apply_fault(handler, Fault("cut"))
        return super()._apply_fault(handler, fault)

    def _take_fault(self, req: Request):
        """As the base, plus three path names: "initiate", "chunk" (a PUT with data), "status" (``bytes */N``)."""
        self._current.req = req  # same handler thread as the _apply_fault that follows
        kind = _upload_kind(req)
        for i, f in enumerate(self._faults):
            if f.path in ("initiate", "chunk", "status"):
                if f.path == kind:
                    return self._faults.pop(i)
            elif f.path is None or req.path.startswith(f.path):
                return self._faults.pop(i)
        return None

    def error_reply(self, status: int, fault: Fault) -> Reply:
        if fault.body is not None:
            return Reply(status, fault.body)
        reason = {500: "backendError", 503: "backendError", 429: "rateLimitExceeded"}.get(status, "badRequest")
        return Reply(status, google_error(status, reason, f"injected {status}", "global"))

    # -- routing ---------------------------------------------------------------------
    def route(self, req: Request) -> Reply | None:
        path, method = req.path, req.method
        if path == "/token" and method == "POST":
            return self._token(req)
        if path == "/o/oauth2/auth" and method == "GET":
            return self._consent(req)
        if not self._authorized(req):
            self._count("unauthorized")
            status, body = NAMED["authError"]
            return Reply(status, body, {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
        if path == "/upload/youtube/v3/videos" and method == "POST":
            return self._initiate(req)
        if path == "/upload/youtube/v3/videos" and method == "PUT":
            return self._chunk(req)
        if path == "/upload/youtube/v3/thumbnails/set" and method == "POST":
            return self._thumbnail(req)
        if path == "/youtube/v3/playlistItems" and method == "POST":
            return self._playlist_insert(req)
        if path == "/youtube/v3/playlistItems" and method == "GET":
            return self._playlist_list(req)
        if path == "/youtube/v3/videos" and method == "GET":
            return self._videos_list(req)
        return Reply(404, google_error(404, "notFound", f"no route {method} {path}", "global"))

    def _authorized(self, req: Request) -> bool:
        auth = req.headers.get("authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.access_tokens

    # -- OAuth -------------------------------------------------------------------------
    def _issue(self) -> str:
        token = "ya29.standin-" + secrets.token_urlsafe(16)
        self.access_tokens.add(token)
        return token

    def _token(self, req: Request) -> Reply:
        self._count("token")
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        basic = req.headers.get("authorization", "")
        if basic.startswith("Basic "):  # client authentication by HTTP Basic (requests-oauthlib) or in the form
            from urllib.parse import unquote

            cid, _, csec = base64.b64decode(basic[6:]).decode().partition(":")
            form.setdefault("client_id", unquote(cid))
            form.setdefault("client_secret", unquote(csec))
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Reply(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return Reply(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
            return Reply(200, {"access_token": self._issue(), "expires_in": 3599, "token_type": "Bearer",
                               "scope": form.get("scope", "")})
        if grant == "authorization_code":
            code = self.auth_codes.pop(form.get("code", ""), None)
            if code is None or code["redirect_uri"] != form.get("redirect_uri"):
                return Reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if code.get("code_challenge") and challenge != code["code_challenge"]:
                return Reply(400, {"error": "invalid_grant", "error_description": "Invalid code verifier."})
            refresh = "1//standin-" + secrets.token_urlsafe(24)
            self.refresh_tokens.add(refresh)
            return Reply(200, {"access_token": self._issue(), "expires_in": 3599, "refresh_token": refresh,
                               "scope": code["scope"], "token_type": "Bearer"})
        return Reply(400, {"error": "unsupported_grant_type", "error_description": str(grant)})

    def _consent(self, req: Request) -> Reply:
        q = {k: v[0] for k, v in req.query.items()}
        if q.get("client_id") != self.client_id:
            return Reply(400, "unknown client")
        code = "4/standin-" + secrets.token_urlsafe(12)
        self.auth_codes[code] = {"redirect_uri": q.get("redirect_uri"), "scope": q.get("scope", ""),
                                 "code_challenge": q.get("code_challenge")}
        location = f"{q['redirect_uri']}?{urlencode({'state': q.get('state', ''), 'code': code, 'scope': q.get('scope', '')})}"
        return Reply(302, b"", {"Location": location})

    # -- uploads -----------------------------------------------------------------------
    def _initiate(self, req: Request) -> Reply:
        self._count("videos.insert")
        if req.query.get("uploadType") != ["resumable"]:
            return Reply(400, google_error(400, "badRequest", "uploadType must be resumable here", "global"))
        try:
            total = int(req.headers["x-upload-content-length"])
        except (KeyError, ValueError):
            return Reply(400, google_error(400, "badRequest", "X-Upload-Content-Length is required", "global"))
        ctype = req.headers.get("x-upload-content-type", "")
        if not (ctype.startswith("video/") or ctype == "application/octet-stream"):
            return Reply(400, google_error(400, "badContent", f"unsupported media type {ctype!r}", "youtube.video"))
        try:
            meta = req.json()
        except ValueError:
            return Reply(400, google_error(400, "parseError", "metadata is not JSON", "global"))
        title = (meta.get("snippet") or {}).get("title", "")
        if not title or len(title) > 100:
            return Reply(400, google_error(400, "invalidTitle", "The request metadata specifies an invalid or empty "
                                                                "video title.", "youtube.video"))
        upload_id = secrets.token_urlsafe(12)
        self.sessions[upload_id] = {"meta": meta, "total": total, "type": ctype, "received": bytearray(),
                                    "video_id": None, "parts": req.query.get("part", [""])[0],
                                    "headers": dict(req.headers)}
        location = f"{self.url}/upload/youtube/v3/videos?uploadType=resumable&part=snippet%2Cstatus&upload_id={upload_id}"
        return Reply(200, b"", {"Location": location, "X-GUploader-UploadID": upload_id})

    def _chunk(self, req: Request) -> Reply | None:
        sess = self.sessions.get((req.query.get("upload_id") or [""])[0])
        if sess is None:
            return Reply(404, google_error(404, "notFound", "upload session not found", "global"))
        rng = req.headers.get("content-range", "")
        if not rng.startswith("bytes "):
            return Reply(400, google_error(400, "badRequest", "Content-Range is required", "global"))
        span, _, total = rng[6:].partition("/")
        if int(total) != sess["total"]:
            return Reply(400, google_error(400, "badRequest", "total size does not match the session", "global"))
        with self._state_lock:
            received = sess["received"]
            if span != "*":
                start, end = (int(x) for x in span.split("-"))
                if len(req.body) != end - start + 1:
                    return Reply(400, google_error(400, "badRequest", "body length does not match Content-Range",
                                                   "global"))
                if start > len(received):
                    return Reply(400, google_error(400, "badRequest", f"offset {start} is past the {len(received)} "
                                                                      "bytes received", "global"))
                overlap = len(received) - start
                if overlap > 0:
                    self.overlap_bytes += min(overlap, len(req.body))
                received += req.body[max(0, overlap):]
                if len(received) == sess["total"] and sess["video_id"] is None:
                    sess["video_id"] = self._create_video(sess)
        if span != "*" and self.on_chunk is not None:
            self.on_chunk(sess, len(received))
        if sess["video_id"] is not None:
            return Reply(200, self._public(self.videos[sess["video_id"]], "snippet,status"))
        headers = {"Range": f"bytes=0-{len(received) - 1}"} if received else {}
        return Reply(308, b"", headers)

    def _create_video(self, sess: dict) -> str:
        vid = secrets.token_urlsafe(8)[:11].replace("-", "x").replace("_", "y")
        meta = sess["meta"]
        status = dict(meta.get("status") or {})
        status.setdefault("privacyStatus", "public")  # YouTube's default: why the client must be explicit
        status["uploadStatus"] = self.readback_status
        if self.readback_status == "rejected":
            status["rejectionReason"] = "duplicate"
        if "selfDeclaredMadeForKids" in status:
            status["madeForKids"] = status["selfDeclaredMadeForKids"]
        data = bytes(sess["received"])
        self.videos[vid] = {"kind": "youtube#video", "id": vid, "snippet": dict(meta.get("snippet") or {}),
                            "status": status, "processingDetails": {"processingStatus": "processing"},
                            "statistics": {"viewCount": "0", "likeCount": "0", "commentCount": "0"},
                            "_bytes": data, "_sha256": hashlib.sha256(data).hexdigest(), "_uploaded": True,
                            "_content_type": sess["type"]}
        return vid

    @staticmethod
    def _public(video: dict, parts: str) -> dict:
        out = {"kind": video["kind"], "etag": "standin", "id": video["id"]}
        for p in parts.split(","):
            if p in video:
                out[p] = video[p]
        return out

    def _thumbnail(self, req: Request) -> Reply:
        self._count("thumbnails.set")
        vid = (req.query.get("videoId") or [""])[0]
        if vid not in self.videos:
            return Reply(404, google_error(404, "videoNotFound", "The video that you are trying to update cannot be "
                                                                 "found.", "youtube.thumbnail"))
        ctype = req.headers.get("content-type", "")
        if ctype not in ("image/jpeg", "image/png", "application/octet-stream") or not req.body:
            return Reply(400, google_error(400, "mediaBodyRequired", f"bad thumbnail ({ctype})", "youtube.thumbnail"))
        self.thumbnails[vid] = req.body
        url = f"https://i.ytimg.com/vi/{vid}/default.jpg"
        return Reply(200, {"kind": "youtube#thumbnailSetResponse", "etag": "standin",
                           "items": [{"default": {"url": url, "width": 120, "height": 90}}]})

    def _playlist_insert(self, req: Request) -> Reply:
        self._count("playlistItems.insert")
        snippet = (req.json() or {}).get("snippet") or {}
        playlist = snippet.get("playlistId")
        vid = (snippet.get("resourceId") or {}).get("videoId")
        if playlist not in self.playlists:
            return Reply(404, google_error(404, "playlistNotFound", "Playlist not found.", "youtube.playlistItem"))
        if vid not in self.videos:
            return Reply(404, google_error(404, "videoNotFound", "Video not found.", "youtube.playlistItem"))
        item = {"kind": "youtube#playlistItem", "etag": "standin", "id": "PLI" + secrets.token_urlsafe(9),
                "snippet": {"playlistId": playlist, "position": len(self.playlists[playlist]),
                            "resourceId": {"kind": "youtube#video", "videoId": vid}}}
        self.playlists[playlist].append(item)
        return Reply(200, item)

    def _playlist_list(self, req: Request) -> Reply:
        self._count("playlistItems.list")
        playlist = (req.query.get("playlistId") or [""])[0]
        vid = (req.query.get("videoId") or [None])[0]
        items = [i for i in self.playlists.get(playlist, [])
                 if vid is None or i["snippet"]["resourceId"]["videoId"] == vid]
        return Reply(200, {"kind": "youtube#playlistItemListResponse", "items": items,
                           "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}})

    def _videos_list(self, req: Request) -> Reply:
        self._count("videos.list")
        parts = (req.query.get("part") or [""])[0]
        ids = [i for i in (req.query.get("id") or [""])[0].split(",") if i]
        if len(ids) > 50:
            return Reply(400, google_error(400, "invalidParameter", "At most 50 video ids per request.",
                                           "youtube.parameter", location="id", locationType="parameter"))
        if "maxResults" in req.query and ids:
            return Reply(400, google_error(400, "incompatibleParameters", "maxResults cannot be used with id.",
                                           "youtube.parameter"))
        items = [self._public(self.videos[i], parts) for i in ids if i in self.videos]
        return Reply(200, {"kind": "youtube#videoListResponse", "items": items,
                           "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}})


def _upload_kind(req: Request) -> str | None:
    if req.path != "/upload/youtube/v3/videos":
        return None
    if req.method == "POST":
        return "initiate"
    return "status" if req.headers.get("content-range", "").startswith("bytes */") else "chunk"
