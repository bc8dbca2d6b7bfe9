"""Where things live by default. Every path can be moved with an environment variable.

- SHORTSMITH_HOME      working folder (default: <project>/.shortsmith)
- SHORTSMITH_CHANNELS  the channels config (default: <project>/channels.yaml)
- SHORTSMITH_MEDIA     stage outputs (default: $SHORTSMITH_HOME/media)
- SHORTSMITH_CHANNEL_DIR  the offline publisher's channel folders (default: $SHORTSMITH_HOME/channel)
- SHORTSMITH_RENDER_SIZE  output frame size WxH (default 1080x1920; tests use a small 9:16 size)
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def home() -> Path:
    return Path(os.environ.get("SHORTSMITH_HOME") or PROJECT_ROOT / ".shortsmith")


def channels_path() -> str:
    return os.environ.get("SHORTSMITH_CHANNELS") or str(PROJECT_ROOT / "channels.yaml")


def media_root() -> str:
    return os.environ.get("SHORTSMITH_MEDIA") or str(home() / "media")


def channel_dir() -> str:
    return os.environ.get("SHORTSMITH_CHANNEL_DIR") or str(home() / "channel")


def render_size() -> tuple[int, int]:
    raw = os.environ.get("SHORTSMITH_RENDER_SIZE", "1080x1920")
    try:
        w, h = (int(v) for v in raw.lower().split("x"))
    except ValueError:
        from shortsmith.errors import ConfigError

        raise ConfigError(f"SHORTSMITH_RENDER_SIZE={raw!r} is not WIDTHxHEIGHT", field="SHORTSMITH_RENDER_SIZE",
                          fix="use e.g. 1080x1920, or unset it") from None
    return w, h


# -- automation (issue 6) -----------------------------------------------------------
# SHORTSMITH_INBOX          where narratives are dropped: a folder, or s3://bucket/prefix
#                           (default: $SHORTSMITH_HOME/inbox)
# SHORTSMITH_INBOX_CHANNEL  the channel for a narrative without a 'channel:' line (default: the first one)
# SHORTSMITH_ALERT_WEBHOOK  a URL that receives failed-run alerts as JSON (default: none, the alerts log)
# SHORTSMITH_ALERTS_LOG     the local alerts log (default: $SHORTSMITH_HOME/alerts.log)
# SHORTSMITH_AUTOMATION     'on': schedules and sensors start RUNNING (the production compose stack);
#                           unset or 'off' (default): STOPPED until turned on in the UI, so opening the UI
#                           on a laptop never starts production by surprise
ALERT_WEBHOOK_ENV = "SHORTSMITH_ALERT_WEBHOOK"


def inbox() -> str:
    return os.environ.get("SHORTSMITH_INBOX") or str(home() / "inbox")


def inbox_channel() -> str | None:
    return os.environ.get("SHORTSMITH_INBOX_CHANNEL") or None


def alerts_log() -> str:
    return os.environ.get("SHORTSMITH_ALERTS_LOG") or str(home() / "alerts.log")


def automation_on() -> bool:
    return os.environ.get("SHORTSMITH_AUTOMATION", "off").strip().lower() in ("on", "1", "true", "yes", "running")
