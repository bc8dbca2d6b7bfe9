"""The YouTube API session of one channel: its OAuth credentials, the authorized HTTP client, and errors.

The API client is built from the packaged discovery document with its ``rootUrl`` replaced, so
uploads (``/upload/youtube/v3/...``) and plain calls go to the same host (the real one by default,
a loopback emulator in tests). A channel's token is read from its 0600 file or its environment
variable, never from configuration.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import stat
from pathlib import Path

from ..config import Channel
from ..errors import ConfigError
from ..google_api import RATE_REASONS, parse_error, youtube_discovery
from ..resilience import ProviderError

PROVIDER = "youtube"
SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload",  # videos.insert, thumbnails.set
    "https://www.googleapis.com/auth/youtube.readonly",  # videos.list (read-back, statistics)
    "https://www.googleapis.com/auth/youtube.force-ssl",  # playlistItems.insert/list need it (not .upload)
)
DEFAULT_ROOT_URL = "https://www.googleapis.com/"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
# The channel must be authorized again: retrying with the same token cannot help.
REAUTH_REASONS = {"authError", "insufficientPermissions", "forbidden", "youtubeSignupRequired"}


def reauth_fix(channel: str) -> str:
    return f"re-run `shortsmith youtube-auth --channel {channel}` to authorize the channel again"


def load_authorized_user(channel: Channel, environ: dict | None = None) -> dict:
    """The channel's authorized-user JSON (refresh token, client id/secret) from its file or env var."""
    cfg, env = channel.youtube, os.environ if environ is None else environ
    where = f"channels ({channel.name}).youtube"
    if cfg.credentials_env:
        raw = env.get(cfg.credentials_env)
        if not raw:
            raise ConfigError(f"environment variable {cfg.credentials_env} is not set", field=f"{where}.credentials_env",
                              fix=f"set it to the authorized-user JSON ({reauth_fix(channel.name)} writes one)")
        source = f"${cfg.credentials_env}"
    elif cfg.credentials:
        path = Path(cfg.credentials)
        if not path.is_file():
            raise ConfigError(f"credentials file {path} does not exist", field=f"{where}.credentials",
                              fix=reauth_fix(channel.name))
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(f"credentials file {path} is readable by others (mode {mode:o})",
                              field=f"{where}.credentials", fix=f"chmod 600 {path}")
        raw = path.read_text(encoding="utf-8")
        source = str(path)
    else:
        raise ConfigError("no YouTube credentials configured", field=f"{where}.credentials",
                          fix=f"set youtube.credentials (a file path) and {reauth_fix(channel.name)}")
    try:
        info = json.loads(raw)
    except json.JSONDecodeError:
        raise ConfigError(f"{source} is not JSON", field=f"{where}.credentials", fix=reauth_fix(channel.name)) from None
    missing = [k for k in ("refresh_token", "client_id", "client_secret") if not (isinstance(info, dict) and info.get(k))]
    if missing:
        raise ConfigError(f"{source} has no {', '.join(missing)}", field=f"{where}.credentials",
                          fix=reauth_fix(channel.name))
    return info


def secrets_of(info: dict) -> list[str]:
    return [str(info[k]) for k in ("refresh_token", "client_secret", "token") if info.get(k)]


class YouTubeApi:
    """google-api-python-client's YouTube service for one channel's credentials."""

    def __init__(self, info: dict, *, channel: str, root_url: str = DEFAULT_ROOT_URL, token_uri: str | None = None,
                 timeout_s: float = 60.0):
        import google.oauth2.credentials
        import google_auth_httplib2
        import httplib2
        from googleapiclient.discovery import build_from_document

        self.channel = channel
        self._info = dict(info)
        creds = google.oauth2.credentials.Credentials.from_authorized_user_info(self._info, scopes=list(SCOPES))
        # google-auth ignores a token_uri inside the file (it always uses Google's); only an explicit
        # override of the resource (a test emulator, a proxy) changes where tokens are refreshed.
        self.credentials = creds.with_token_uri(token_uri) if token_uri else creds
        raw = httplib2.Http(timeout=timeout_s)
        raw.redirect_codes = raw.redirect_codes - {308}  # 308 is "resume incomplete", not a redirect
        self.http = google_auth_httplib2.AuthorizedHttp(self.credentials, http=raw)
        self.service = build_from_document(youtube_discovery(root_url), http=self.http)

    @property
    def secrets(self) -> list[str]:
        out = secrets_of(self._info)
        if self.credentials.token:
            out.append(self.credentials.token)
        return out


def classify(exc: BaseException, channel: str) -> ProviderError | None:
    """Map a client/transport exception to a ProviderError (transient: worth retrying)."""
    from google.auth import exceptions as gauth
    from googleapiclient.errors import HttpError

    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        reason, message, _ = parse_error(exc.content)
        text = f"HTTP {status} {reason}: {message}".strip()
        if status >= 500 or status in (408, 429) or reason in RATE_REASONS:
            from ..resilience import retry_after_seconds

            return ProviderError(text, provider=PROVIDER, status=status, transient=True,
                                 retry_after=retry_after_seconds(dict(exc.resp)))
        if status == 401 or reason in REAUTH_REASONS:
            return ProviderError(f"the channel's credentials were refused ({text})", provider=PROVIDER, status=status,
                                 field=f"channels ({channel}).youtube.credentials", fix=reauth_fix(channel))
        if reason in ("uploadRejected", "invalidTitle", "invalidDescription", "invalidTags", "invalidCategoryId",
                      "invalidVideoMetadata", "mediaBodyRequired", "invalidPublishAt", "invalidRecordingDetails"):
            return ProviderError(f"YouTube rejected the upload ({text})", provider=PROVIDER, status=status,
                                 field="snippet/status", fix="correct the field YouTube names and publish again")
        return ProviderError(text, provider=PROVIDER, status=status,
                             fix="the request was rejected; correct what the message names")
    if isinstance(exc, gauth.RefreshError):
        if getattr(exc, "retryable", False):
            return ProviderError(f"token refresh failed: {exc.args[0] if exc.args else exc}", provider=PROVIDER,
                                 transient=True)
        first = exc.args[0] if exc.args else str(exc)
        return ProviderError(f"the channel's refresh token was refused ({str(first)[:200]})", provider=PROVIDER,
                             field=f"channels ({channel}).youtube.credentials", fix=reauth_fix(channel))
    if isinstance(exc, gauth.TransportError):
        return ProviderError(f"connection failed during token refresh: {exc}", provider=PROVIDER, transient=True)
    transport: tuple[type[BaseException], ...]
    try:
        import httplib2

        transport = (httplib2.HttpLib2Error, OSError, http.client.HTTPException, socket.timeout)
    except ImportError:  # pragma: no cover
        transport = (OSError, http.client.HTTPException)
    if isinstance(exc, transport):
        return ProviderError(f"connection failed: {type(exc).__name__}: {exc}", provider=PROVIDER, transient=True)
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
        return ProviderError(f"malformed response: {exc}", provider=PROVIDER, transient=True)
    return None
