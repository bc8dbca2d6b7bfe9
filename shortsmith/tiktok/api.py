"""TikTok's Content Posting API over HTTP (httpx): the creator's token, refresh, errors, chunk rules.

The token JSON (written by ``shortsmith tiktok-auth``, 0600, or held in an environment variable) is
TikTok's ``/v2/oauth/token/`` answer plus absolute expiry times::

    {"access_token", "refresh_token", "open_id", "scope", "expires_at", "refresh_expires_at"}

The app's client key and secret come from environment variables (``tiktok.client_key_env`` /
``client_secret_env``). An access token that expired (or that TikTok calls invalid) is refreshed once
with ``grant_type=refresh_token`` and written back to the file; a refused refresh token is a clear
error naming ``shortsmith tiktok-auth``.
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

PROVIDER = "tiktok"
DEFAULT_BASE_URL = "https://open.tiktokapis.com"
AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"
MB = 1024 * 1024
MIN_CHUNK = 5 * MB
MAX_CHUNK = 64 * MB
MAX_LAST_CHUNK = 128 * MB
MAX_CHUNKS = 1000
REFRESH_MARGIN_S = 300  # refresh an access token this long before it expires
INIT_PER_MIN = 6  # per user access token (Direct Post and inbox init)
STATUS_PER_MIN = 30  # status/fetch, per user access token
# Error codes that mean the creator must authorize the app again.
REAUTH_CODES = {"access_token_invalid", "scope_not_authorized", "scope_permission_missed", "invalid_grant"}


def reauth_fix(channel: str) -> str:
    return f"run `shortsmith tiktok-auth --channel {channel}` to authorize the TikTok account again"


def chunk_plan(size: int, preferred: int = 10 * MB) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) for ``size`` bytes by TikTok's media transfer rules.

    Under 5 MB: one piece (chunk_size = size). Otherwise chunks of 5-64 MB with
    ``total_chunk_count = floor(size / chunk_size)``; the trailing bytes ride on the last chunk
    (at most 128 MB). Over 64 MB always takes at least two chunks; at most 1000 chunks.
    """
    if size <= 0:
        raise ValueError("an empty video cannot be uploaded")
    if size < MIN_CHUNK:
        return size, 1
    chunk = min(max(preferred, MIN_CHUNK), MAX_CHUNK)
    if size <= chunk:
        return size, 1
    if size > MAX_CHUNK and size // chunk < 2:
        chunk = size // 2
    count = size // chunk
    if count > MAX_CHUNKS:
        chunk = -(-size // MAX_CHUNKS)
        if chunk > MAX_CHUNK:
            raise ValueError(f"{size} bytes need more than {MAX_CHUNKS} chunks of {MAX_CHUNK} bytes")
        count = size // chunk
    return chunk, count


def chunk_ranges(size: int, chunk: int, count: int) -> list[tuple[int, int]]:
    """The inclusive byte ranges of each PUT, in order (the last one takes the trailing bytes)."""
    out = [(i * chunk, (i + 1) * chunk - 1) for i in range(count - 1)]
    out.append(((count - 1) * chunk, size - 1))
    last = out[-1][1] - out[-1][0] + 1
    if count > 1 and last > MAX_LAST_CHUNK:
        raise ValueError(f"the last chunk would be {last} bytes (TikTok takes at most {MAX_LAST_CHUNK})")
    return out


class TikTokError(ProviderError):
    """TikTok answered with an error code (``code``: TikTok's, e.g. privacy_level_option_mismatch)."""

    def __init__(self, message: str, *, code: str = "", **kw: Any):
        self.code = code
        super().__init__(message, provider=PROVIDER, **kw)


def write_private_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def load_token(channel: Channel, environ: dict | None = None) -> tuple[dict, Path | None]:
    """The channel's token JSON and the file it came from (None: from an environment variable)."""
    cfg, env = channel.platforms.tiktok, os.environ if environ is None else environ
    where = f"channels ({channel.name}).tiktok"
    if cfg.credentials_env:
        raw, path = env.get(cfg.credentials_env), None
        if not raw:
            raise ConfigError(f"environment variable {cfg.credentials_env} is not set", field=f"{where}.credentials_env",
                              fix=f"set it to the token JSON ({reauth_fix(channel.name)} --output FILE writes one)")
    elif cfg.credentials:
        path = Path(cfg.credentials)
        if not path.is_file():
            raise ConfigError(f"token file {path} does not exist", field=f"{where}.credentials",
                              fix=reauth_fix(channel.name))
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(f"token file {path} is readable by others (mode {mode:o})", field=f"{where}.credentials",
                              fix=f"chmod 600 {path}")
        raw = path.read_text(encoding="utf-8")
    else:
        raise ConfigError("no TikTok token configured", field=f"{where}.credentials",
                          fix=f"set tiktok.credentials (a file path) and {reauth_fix(channel.name)}")
    try:
        token = json.loads(raw)
    except json.JSONDecodeError:
        raise ConfigError("the TikTok token is not JSON", field=f"{where}.credentials", fix=reauth_fix(channel.name)) \
            from None
    if not isinstance(token, dict) or not token.get("refresh_token") or not token.get("open_id"):
        raise ConfigError("the TikTok token has no refresh_token/open_id", field=f"{where}.credentials",
                          fix=reauth_fix(channel.name))
    return token, path


def client_credentials(channel: Channel, environ: dict | None = None) -> tuple[str, str]:
    cfg, env = channel.platforms.tiktok, os.environ if environ is None else environ
    key, secret = env.get(cfg.client_key_env), env.get(cfg.client_secret_env)
    if not key or not secret:
        missing = cfg.client_key_env if not key else cfg.client_secret_env
        raise ConfigError(f"environment variable {missing} is not set",
                          field=f"channels ({channel.name}).tiktok.{'client_key_env' if not key else 'client_secret_env'}",
                          fix="set the TikTok app's client key and secret (developers.tiktok.com > your app)")
    return key, secret


def token_from_response(data: dict, now: float) -> dict:
    return {"access_token": data["access_token"], "refresh_token": data["refresh_token"],
            "open_id": data.get("open_id", ""), "scope": data.get("scope", ""), "token_type": "Bearer",
            "expires_at": now + float(data.get("expires_in", 86400)),
            "refresh_expires_at": now + float(data.get("refresh_expires_in", 31536000))}


class TikTokApi:
    """One creator's authorized client: JSON calls with refresh-on-expiry, and the upload PUTs."""

    def __init__(self, token: dict, *, channel: str, client_key: str, client_secret: str,
                 base_url: str = DEFAULT_BASE_URL, timeout_s: float = 60.0, token_path: Path | None = None,
                 clock: Callable[[], float] = time.time, http: Any = None):
        import httpx

        self.token, self.channel, self.token_path, self.clock = dict(token), channel, token_path, clock
        self.client_key, self._client_secret = client_key, client_secret
        self.base_url = base_url.rstrip("/")
        self.http = http or httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=False)
        self.refreshes = 0

    @property
    def open_id(self) -> str:
        return str(self.token.get("open_id", ""))

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.token.get("access_token"), self.token.get("refresh_token"), self._client_secret) if s]

    def close(self) -> None:
        self.http.close()

    # -- tokens ------------------------------------------------------------------------
    def refresh(self) -> None:
        import httpx

        try:
            resp = self.http.post(f"{self.base_url}/v2/oauth/token/", data={
                "client_key": self.client_key, "client_secret": self._client_secret,
                "grant_type": "refresh_token", "refresh_token": self.token["refresh_token"]},
                headers={"Content-Type": "application/x-www-form-urlencoded", "Cache-Control": "no-cache"})
        except httpx.HTTPError as exc:
            raise TikTokError(f"token refresh failed: {type(exc).__name__}", transient=True) from None
        data = _json(resp)
        if resp.status_code >= 500 or resp.status_code == 429:
            raise TikTokError(f"token refresh: HTTP {resp.status_code}", status=resp.status_code, transient=True,
                              retry_after=retry_after_seconds(resp.headers))
        if resp.status_code != 200 or data.get("error") or not data.get("access_token"):
            code = str(data["error"]) if isinstance(data.get("error"), str) else "invalid_grant"
            desc = str(data.get("error_description") or "")[:200]
            raise TikTokError(f"the channel's TikTok refresh token was refused ({code}: {desc})", code=code,
                              status=resp.status_code, field=f"channels ({self.channel}).tiktok.credentials",
                              fix=reauth_fix(self.channel))
        self.token.update(token_from_response(data, self.clock()))
        self.refreshes += 1
        if self.token_path is not None:
            write_private_json(self.token_path, self.token)

    def _bearer(self) -> str:
        if not self.token.get("access_token") or float(self.token.get("expires_at", 0)) - REFRESH_MARGIN_S < self.clock():
            self.refresh()
        return f"Bearer {self.token['access_token']}"

    # -- calls -------------------------------------------------------------------------
    def call(self, path: str, body: dict | None = None, *, params: dict | None = None) -> dict:
        """POST a JSON call; returns ``data``. A TikTokError for an error code (transient: worth retrying)."""
        import httpx

        for attempt in (1, 2):
            try:
                resp = self.http.post(f"{self.base_url}{path}", json=body or {}, params=params,
                                      headers={"Authorization": self._bearer(),
                                               "Content-Type": "application/json; charset=UTF-8"})
            except httpx.HTTPError as exc:
                raise TikTokError(f"connection failed on {path}: {type(exc).__name__}", transient=True) from None
            payload = _json(resp)
            raw_err = payload.get("error")
            err: dict = raw_err if isinstance(raw_err, dict) else {}
            code = str(err.get("code") or ("ok" if resp.status_code == 200 else f"http_{resp.status_code}"))
            if code == "ok" and resp.status_code == 200 and "data" in payload:
                return payload["data"] or {}
            if code == "access_token_invalid" and attempt == 1:
                self.refresh()  # an access token that expired early or was rotated: one refresh, then again
                continue
            raise self.error(resp.status_code, code, str(err.get("message") or "")[:300], resp.headers, path)
        raise AssertionError("unreachable")

    def error(self, status: int, code: str, message: str, headers: Any, path: str) -> TikTokError:
        text = scrub(f"{path}: HTTP {status} {code}: {message}".strip(), self.secrets)
        where = f"channels ({self.channel}).tiktok"
        if status == 429 or code in ("rate_limit_exceeded", "malformed_response", "internal_error") or status >= 500:
            return TikTokError(text, code=code, status=status, transient=True, retry_after=retry_after_seconds(headers))
        if code in REAUTH_CODES or status == 401:
            return TikTokError(f"the TikTok account's authorization was refused ({text})", code=code, status=status,
                               field=f"{where}.credentials", fix=reauth_fix(self.channel))
        if code == "unaudited_client_can_only_post_to_private_accounts":
            return TikTokError(f"TikTok refused the post: unaudited API clients may only post SELF_ONLY (private) "
                               f"videos ({text})", code=code, status=status, field=f"{where}.privacy_level",
                               fix="set tiktok.privacy_level: SELF_ONLY until TikTok has audited the app")
        if code == "privacy_level_option_mismatch":
            return TikTokError(f"the privacy level is not one the creator offers ({text})", code=code, status=status,
                               field=f"{where}.privacy_level", fix="use one of creator_info's privacy_level_options")
        if code in ("spam_risk_too_many_posts", "spam_risk_user_banned_from_posting", "reached_active_user_cap"):
            return TikTokError(f"TikTok will not take more posts now ({text})", code=code, status=status,
                               field=f"{where}", fix="wait a day (TikTok caps posts per creator per day) and run again")
        return TikTokError(text, code=code, status=status, field=where,
                           fix="the request was rejected; correct what TikTok's message names")

    def put_chunk(self, upload_url: str, data: bytes, first: int, last: int, total: int) -> int:
        """PUT one chunk with Content-Range; returns the HTTP status (206 partial, 201 complete)."""
        import httpx

        try:
            resp = self.http.put(upload_url, content=data, headers={
                "Content-Type": "video/mp4", "Content-Length": str(len(data)),
                "Content-Range": f"bytes {first}-{last}/{total}"})
        except httpx.HTTPError as exc:
            raise TikTokError(f"connection failed during the upload: {type(exc).__name__}", transient=True) from None
        if resp.status_code in (200, 201, 206):
            return resp.status_code
        raise TikTokError(f"upload chunk bytes {first}-{last}/{total}: HTTP {resp.status_code}",
                          status=resp.status_code, transient=resp.status_code >= 500 or resp.status_code == 429,
                          retry_after=retry_after_seconds(resp.headers),
                          fix="the upload URL may have expired (one hour); the next run starts a new upload")


def _json(resp: Any) -> dict:
    try:
        data = resp.json()
    except (ValueError, UnicodeDecodeError):
        return {"error": {"code": f"http_{resp.status_code}" if resp.status_code != 200 else "malformed_response",
                          "message": "the response was not JSON"}}
    return data if isinstance(data, dict) else {}
