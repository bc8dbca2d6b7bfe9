"""Publishing to TikTok (Content Posting API): :mod:`.api` is a creator's authorized HTTP client, token
refresh, errors and the chunk rules; :mod:`.post` posts one video exactly once and reads statistics."""

from .api import (AUTHORIZE_URL, DEFAULT_BASE_URL, PROVIDER, TikTokApi, TikTokError, chunk_plan, chunk_ranges,
                  client_credentials, load_token, reauth_fix, token_from_response, write_private_json)
from .post import TikTokRejected, TikTokSession, TikTokSettings, caption, new_state

__all__ = ["AUTHORIZE_URL", "DEFAULT_BASE_URL", "PROVIDER", "TikTokApi", "TikTokError", "TikTokRejected",
           "TikTokSession", "TikTokSettings", "caption", "chunk_plan", "chunk_ranges", "client_credentials",
           "load_token", "new_state", "reauth_fix", "token_from_response", "write_private_json"]
