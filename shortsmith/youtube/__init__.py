"""Publishing to YouTube exactly once, within quota (google-api-python-client; no Dagster).

:mod:`.api` is a channel's API session (OAuth credentials, the authorized HTTP client, error
classification); :mod:`.upload` publishes with it (resumable upload, thumbnail, playlist, read-back,
statistics). Error bodies are read by :mod:`shortsmith.google_api`, quota by :mod:`shortsmith.youtube_quota`.
"""

from ..youtube_quota import INSERT_BUCKET, QuotaDeferred
from .api import DEFAULT_ROOT_URL, DEFAULT_TOKEN_URI, SCOPES, YouTubeApi, classify, load_authorized_user, reauth_fix
from .upload import (STATS_BATCH, UploadRejected, YouTubeSession, YouTubeSettings, insert_body, new_state,
                     publication_from_state, redact_state, scheduled_publish_at, watch_url)

__all__ = ["SCOPES", "DEFAULT_ROOT_URL", "DEFAULT_TOKEN_URI", "QuotaDeferred", "STATS_BATCH", "UploadRejected",
           "YouTubeApi", "YouTubeSession", "YouTubeSettings", "classify", "insert_body", "scheduled_publish_at",
           "load_authorized_user", "new_state", "publication_from_state", "reauth_fix", "redact_state", "watch_url",
           "INSERT_BUCKET"]
