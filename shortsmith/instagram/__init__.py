"""Publishing Reels to Instagram (Graph API content publishing): :mod:`.api` is the account's token and
HTTP client, :mod:`.reels` publishes one Reel exactly once within the 24-hour publishing limit."""

from .api import DEFAULT_GRAPH_URL, DEFAULT_RUPLOAD_URL, PROVIDER, InstagramApi, InstagramError, load_token, token_fix
from .reels import (CAPTION_MAX, HASHTAGS_MAX, PublishLimitDeferred, ReelRejected, ReelsSession, ReelsSettings,
                    build_caption, check_caption, new_state)

__all__ = ["CAPTION_MAX", "DEFAULT_GRAPH_URL", "DEFAULT_RUPLOAD_URL", "HASHTAGS_MAX", "InstagramApi", "InstagramError",
           "PROVIDER", "PublishLimitDeferred", "ReelRejected", "ReelsSession", "ReelsSettings", "build_caption",
           "check_caption", "load_token", "new_state", "token_fix"]
