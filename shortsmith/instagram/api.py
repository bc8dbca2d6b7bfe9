"""The Instagram Graph API for one professional account (httpx): its long-lived token, calls, errors.

The token is read at run time from the environment variable ``instagram.token_env`` (the token
itself) or the 0600 file ``instagram.token_file`` (``{"access_token": ..., "expires_at": epoch}``).
A file token within a week of expiry is refreshed (``GET /refresh_access_token?grant_type=
ig_refresh_token``) and written back; an expired or revoked token (OAuthException code 190) is a
clear error that says how to get a new one.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Any, Callable

from ..config import Channel
from ..errors import ConfigError
from ..resilience import ProviderError, retry_after_seconds, scrub

PROVIDER = "instagram"
API_VERSION = "v21.0"
DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_RUPLOAD_URL = "https://rupload.facebook.com"
# Long-lived Instagram-Login tokens are refreshed here; Facebook-Login (Page) tokens are not: use a
# system user's token that does not expire for those.
DEFAULT_REFRESH_URL = "https://graph.instagram.com/refresh_access_token"
REFRESH_WITHIN_S = 7 * 86400
# Graph API throttling codes (application, user, page/account level): worth retrying later.
THROTTLE_CODES = {4, 17, 32, 613, 80001, 80002}


def token_fix(channel: str) -> str:
    return (f"create a new long-lived token for the Instagram professional account (Meta App Dashboard > "
            f"Instagram > API setup, or the Graph API Explorer) and put it in the channel's "
            f"instagram.token_env variable or token_file (0600) for channel {channel}")


class InstagramError(ProviderError):
    def __init__(self, message: str, *, code: int | None = None, subcode: int | None = None, **kw: Any):
        self.code, self.subcode = code, subcode
        super().__init__(message, provider=PROVIDER, **kw)


def load_token(channel: Channel, environ: dict | None = None) -> tuple[dict, Path | None]:
    cfg, env = channel.platforms.instagram, os.environ if environ is None else environ
    where = f"channels ({channel.name}).instagram"
    if not cfg.user_id:
        raise ConfigError("no Instagram user id configured", field=f"{where}.user_id",
                          fix="set instagram.user_id to the professional account's id (quoted)")
    if cfg.token_env:
        raw = env.get(cfg.token_env)
        if not raw:
            raise ConfigError(f"environment variable {cfg.token_env} is not set", field=f"{where}.token_env",
                              fix=token_fix(channel.name))
        return {"access_token": raw.strip()}, None
    if cfg.token_file:
        path = Path(cfg.token_file)
        if not path.is_file():
            raise ConfigError(f"token file {path} does not exist", field=f"{where}.token_file", fix=token_fix(channel.name))
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(f"token file {path} is readable by others (mode {mode:o})", field=f"{where}.token_file",
                              fix=f"chmod 600 {path}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise ConfigError(f"{path} is not JSON", field=f"{where}.token_file", fix=token_fix(channel.name)) from None
        if not isinstance(data, dict) or not data.get("access_token"):
            raise ConfigError(f"{path} has no access_token", field=f"{where}.token_file", fix=token_fix(channel.name))
        return data, path
    raise ConfigError("no Instagram token configured", field=f"{where}.token_env", fix=token_fix(channel.name))


class InstagramApi:
    def __init__(self, token: dict, *, channel: str, user_id: str, graph_url: str = DEFAULT_GRAPH_URL,
                 rupload_url: str = DEFAULT_RUPLOAD_URL, version: str = API_VERSION, timeout_s: float = 120.0,
                 token_path: Path | None = None, clock: Callable[[], float] = time.time, http: Any = None,
                 refresh_url: str = DEFAULT_REFRESH_URL):
        import httpx

        self.token, self.channel, self.user_id, self.token_path, self.clock = dict(token), channel, user_id, \
            token_path, clock
        self.graph = f"{graph_url.rstrip('/')}/{version}"
        self.refresh_url = refresh_url
        self.rupload = f"{rupload_url.rstrip('/')}/ig-api-upload/{version}"
        self.http = http or httpx.Client(timeout=httpx.Timeout(timeout_s))
        self.refreshes = 0

    @property
    def secrets(self) -> list[str]:
        return [str(self.token["access_token"])] if self.token.get("access_token") else []

    def close(self) -> None:
        self.http.close()

    def maybe_refresh(self) -> None:
        """Refresh a file token close to expiry (long-lived tokens last 60 days)."""
        expires = self.token.get("expires_at")
        if self.token_path is None or not expires or float(expires) - self.clock() > REFRESH_WITHIN_S:
            return
        data = self._request("GET", self.refresh_url,
                             params={"grant_type": "ig_refresh_token", "access_token": self.token["access_token"]},
                             auth=False)
        self.token.update(access_token=data["access_token"],
                          expires_at=self.clock() + float(data.get("expires_in", 5184000)))
        self.refreshes += 1
        from ..tiktok.api import write_private_json

        write_private_json(self.token_path, self.token)

    def get(self, path: str, params: dict | None = None) -> dict:
        return self._request("GET", f"{self.graph}/{path.lstrip('/')}", params=params)

    def post(self, path: str, params: dict | None = None) -> dict:
        return self._request("POST", f"{self.graph}/{path.lstrip('/')}", params=params)

    def upload(self, container_id: str, video: Path, offset: int = 0) -> dict:
        """The resumable upload of the file's bytes from ``offset`` (headers ``offset`` and ``file_size``)."""
        size = video.stat().st_size
        with open(video, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
        return self._request("POST", f"{self.rupload}/{container_id}", content=data,
                             headers={"Authorization": f"OAuth {self.token['access_token']}", "offset": str(offset),
                                      "file_size": str(size), "Content-Type": "application/octet-stream"}, auth=False)

    def _request(self, method: str, url: str, *, params: dict | None = None, content: bytes | None = None,
                 headers: dict | None = None, auth: bool = True) -> dict:
        import httpx

        hdrs = dict(headers or {})
        if auth:
            hdrs["Authorization"] = f"Bearer {self.token['access_token']}"
        try:
            resp = self.http.request(method, url, params=params, content=content, headers=hdrs)
        except httpx.HTTPError as exc:
            raise InstagramError(f"connection failed: {type(exc).__name__}", transient=True) from None
        try:
            data = resp.json()
        except (ValueError, UnicodeDecodeError):
            raise InstagramError(f"HTTP {resp.status_code}: the response was not JSON", status=resp.status_code,
                                 transient=True) from None
        if resp.status_code == 200 and isinstance(data, dict) and "error" not in data:
            return data
        raise self.error(resp.status_code, data.get("error") if isinstance(data, dict) else None, resp.headers)

    def error(self, status: int, err: Any, headers: Any) -> InstagramError:
        err = err if isinstance(err, dict) else {}
        code, sub = err.get("code"), err.get("error_subcode")
        text = scrub(f"HTTP {status} {err.get('type', '')} code {code}"
                     f"{'/' + str(sub) if sub else ''}: {str(err.get('message', ''))[:300]}", self.secrets)
        where = f"channels ({self.channel}).instagram"
        if code == 190 or status == 401:
            return InstagramError(f"the Instagram token was refused ({text})", code=code, subcode=sub, status=status,
                                  field=f"{where}.token_env", fix=token_fix(self.channel))
        if code in THROTTLE_CODES or status == 429 or status >= 500 or err.get("is_transient"):
            return InstagramError(text, code=code, subcode=sub, status=status, transient=True,
                                  retry_after=retry_after_seconds(headers))
        if code in (10, 200) or (isinstance(code, int) and 200 <= code < 300):
            return InstagramError(f"the token lacks a permission ({text})", code=code, subcode=sub, status=status,
                                  field=f"{where}.token_env",
                                  fix="grant instagram_basic and instagram_content_publish (or "
                                      "instagram_business_content_publish) and create the token again")
        return InstagramError(text, code=code, subcode=sub, status=status, field=where,
                              fix="the request was rejected; correct what the message names")
