"""Where things live by default. Every path can be moved with an environment variable.

- SHORTSMITH_HOME      working folder (default: <project>/.shortsmith)
- SHORTSMITH_CHANNELS  the channels config (default: <project>/channels.yaml)
- SHORTSMITH_MEDIA     stage outputs (default: $SHORTSMITH_HOME/media)
- SHORTSMITH_CHANNEL_DIR  the offline publisher's channel folders (default: $SHORTSMITH_HOME/channel)
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
