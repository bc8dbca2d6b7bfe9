"""What Google's APIs answer when they refuse: one error-body parser and the reasons that mean quota or rate.

Both YouTube clients (trend search with an API key, publishing with OAuth) read errors here, so a
reason Google adds or renames is taught once. The bodies come in three shapes:

- the Data API's ``{"error": {"errors": [{"reason", "message", "location"}], "details": [...]}}``
  (newer services put the telling reason in ``details``, e.g. ``API_KEY_INVALID``);
- the OAuth token endpoint's ``{"error": "invalid_grant", "error_description": "..."}``;
- an HTML page from a front end (proxies, 502s): its text, tags stripped.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any, NamedTuple

# The daily project quota is spent: retrying before midnight Pacific only spends more.
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded", "dailyLimitExceededUnreg"})
# Too fast, or a passing server fault: worth retrying after a wait.
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED", "backendError"})
# Generic first reasons that a ``details`` entry explains better.
_VAGUE_REASONS = ("badRequest", "forbidden")


class ApiError(NamedTuple):
    reason: str  # "" when the body names none
    message: str  # one line
    location: str = ""  # the request parameter the API blamed, if any


def strip_html(text: str) -> str:
    """The visible text of an HTML error page, on one line (200 characters at most)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text or "")).split())[:200]


def parse_error(content: Any) -> ApiError:
    """The reason, message and blamed parameter of a Google API error body (bytes or text)."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    try:
        err = json.loads(text)["error"]
    except (ValueError, TypeError, KeyError, AttributeError):
        return ApiError("", strip_html(str(text or "")))
    if isinstance(err, str):  # the OAuth token endpoint
        return ApiError(err, " ".join(str(json.loads(text).get("error_description") or "").split())[:300])
    if not isinstance(err, dict):
        return ApiError("", str(err)[:200])
    first = (err.get("errors") or [{}])[0]
    first = first if isinstance(first, dict) else {}
    reason = str(first.get("reason") or "")
    for detail in err.get("details") or []:
        if isinstance(detail, dict) and detail.get("reason") and (not reason or reason in _VAGUE_REASONS):
            reason = str(detail["reason"])
    reason = reason or str(err.get("status") or "")
    message = " ".join(str(err.get("message") or first.get("message") or "").split())[:300]
    return ApiError(reason, message, str(first.get("location") or ""))


def youtube_discovery(root_url: str | None = None) -> dict:
    """The packaged YouTube Data API v3 discovery document, pointed at ``root_url`` (None: Google's)."""
    import googleapiclient

    path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "youtube.v3.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    if root_url:
        root = root_url.rstrip("/") + "/"
        doc["rootUrl"] = root
        doc["mtlsRootUrl"] = root
        doc["baseUrl"] = root + doc.get("servicePath", "")
    return doc
