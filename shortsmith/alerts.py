"""Alerts for failed runs: a JSON POST to a webhook, or a line in the local alerts log.

The webhook URL is a secret (Slack and similar services put the token in the URL): it is read
from the environment by the caller, never logged, and error messages name only its host.
Delivery has a bounded timeout; if the webhook cannot be reached the alert is still written to
the local log, with the reason, so no alert is lost.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError

DEFAULT_TIMEOUT_S = 5.0


def check_webhook_url(url: str, *, env_name: str = "SHORTSMITH_ALERT_WEBHOOK") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"the alert webhook is not an http(s) URL (scheme {parts.scheme or 'missing'!r})",
                          field=env_name, fix="set it to https://... (or unset it to use the local alerts log)")
    return url


def append_log(log_path: str | Path, alert: dict) -> Path:
    path = Path(log_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(alert, sort_keys=True, default=str) + "\n")
    return path


def send_alert(alert: dict, *, webhook_url: str | None, log_path: str | Path,
               timeout_s: float = DEFAULT_TIMEOUT_S) -> str:
    """Deliver one alert; returns where it went ('webhook <host>' or 'log <path>')."""
    alert = {"sent_at": datetime.now(timezone.utc).isoformat(), **alert}
    if not webhook_url:
        return f"log {append_log(log_path, alert)}"
    check_webhook_url(webhook_url)
    host = urlsplit(webhook_url).hostname
    body = json.dumps(alert, sort_keys=True, default=str).encode("utf-8")
    req = urllib.request.Request(webhook_url, data=body, method="POST",
                                 headers={"Content-Type": "application/json", "User-Agent": "shortsmith-alerts"})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        status, reason = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        status, reason = None, type(getattr(exc, "reason", exc)).__name__
    else:
        reason = f"HTTP {status}"
    if status is not None and 200 <= status < 300:
        return f"webhook {host}"
    failed = {**alert, "delivery_error": f"webhook at {host} failed: {reason}"}
    return f"log {append_log(log_path, failed)} (webhook at {host} failed: {reason})"
