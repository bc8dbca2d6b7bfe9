"""Where a channel publishes: ``platforms: [youtube, tiktok, instagram]`` and the TikTok/Instagram blocks.

Parsed here (not in config.py) so each key is checked and every error names its field::

    platforms: [youtube, tiktok, instagram]
    tiktok:
      credentials: secrets/curious-minds-tiktok.json   # 0600, written by `shortsmith tiktok-auth`
      # credentials_env: TIKTOK_TOKEN_CURIOUS_MINDS    # or the token JSON in an environment variable
      client_key_env: TIKTOK_CLIENT_KEY                # the app's client key / secret (for auth and refresh)
      client_secret_env: TIKTOK_CLIENT_SECRET
      mode: direct            # direct: video.publish (posted); inbox: video.upload (a draft in the app)
      privacy_level: SELF_ONLY  # must be one of creator_info's privacy_level_options
      audited: false          # unaudited API clients may only post SELF_ONLY
      allow_comment: true
      allow_duet: false
      allow_stitch: false
    instagram:
      user_id: "17841400000000000"   # the professional account's Instagram user id
      token_env: IG_TOKEN_CURIOUS_MINDS  # a long-lived token; or token_file: secrets/ig.json (0600)
      upload: resumable       # or video_url (a presigned URL of the S3 media store)
      share_to_feed: true
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

PLATFORMS = ("youtube", "tiktok", "instagram")
TIKTOK_PRIVACY = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
ENV_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")


@dataclass(frozen=True)
class TikTokConfig:
    credentials: str | None = None  # the token JSON file (0600)
    credentials_env: str | None = None  # or an environment variable holding it
    client_key_env: str = "TIKTOK_CLIENT_KEY"
    client_secret_env: str = "TIKTOK_CLIENT_SECRET"
    mode: str = "direct"  # direct (video.publish) | inbox (video.upload)
    privacy_level: str = "SELF_ONLY"
    audited: bool = False
    allow_comment: bool = True
    allow_duet: bool = False
    allow_stitch: bool = False
    ai_generated: bool = True  # the post's is_aigc label

    @property
    def configured(self) -> bool:
        return bool(self.credentials or self.credentials_env)

    @property
    def scope(self) -> str:
        return "video.publish" if self.mode == "direct" else "video.upload"


@dataclass(frozen=True)
class InstagramConfig:
    user_id: str | None = None
    token_env: str | None = None
    token_file: str | None = None
    upload: str = "resumable"  # resumable | video_url
    share_to_feed: bool = True

    @property
    def configured(self) -> bool:
        return bool(self.user_id and (self.token_env or self.token_file))


@dataclass(frozen=True)
class PlatformsConfig:
    platforms: tuple[str, ...] = ("youtube",)
    tiktok: TikTokConfig = field(default_factory=TikTokConfig)
    instagram: InstagramConfig = field(default_factory=InstagramConfig)

    def uses(self, platform: str) -> bool:
        return platform in self.platforms


def _typed(raw: dict, key: str, where: str, default: Any, kind: type) -> Any:
    value = raw.get(key)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"'{key}' must be a {kind.__name__}, got {value!r}", field=f"{where}.{key}",
                          fix=f"set {where}.{key} to a {kind.__name__}")
    return value


def _unknown(raw: dict, allowed: set[str], where: str) -> None:
    extra = sorted(set(raw) - allowed)
    if extra:
        raise ConfigError(f"unknown key(s) {', '.join(extra)}", field=f"{where}.{extra[0]}",
                          fix=f"use only: {', '.join(sorted(allowed))}")


def _env_name(raw: dict, key: str, where: str, default: str | None) -> str | None:
    value = _typed(raw, key, where, default, str)
    if value is not None and not ENV_RE.match(value):
        raise ConfigError(f"{key} {value!r} is not an environment variable name", field=f"{where}.{key}",
                          fix="give the NAME of the variable, e.g. TIKTOK_TOKEN_CURIOUS_MINDS")
    return value


def _path(raw: dict, key: str, where: str, base_dir: Path) -> str | None:
    value = _typed(raw, key, where, None, str)
    return str((base_dir / value).resolve()) if value else None


def parse_tiktok(raw: Any, where: str, base_dir: Path) -> TikTokConfig:
    if raw is None:
        return TikTokConfig()
    if not isinstance(raw, dict):
        raise ConfigError("must be a mapping", field=where, fix="e.g. tiktok: {credentials: secrets/x-tiktok.json}")
    _unknown(raw, {"credentials", "credentials_env", "client_key_env", "client_secret_env", "mode", "privacy_level",
                   "audited", "allow_comment", "allow_duet", "allow_stitch", "ai_generated"}, where)
    mode = _typed(raw, "mode", where, "direct", str)
    if mode not in ("direct", "inbox"):
        raise ConfigError(f"mode {mode!r} is not direct or inbox", field=f"{where}.mode",
                          fix="direct: posted by the API (scope video.publish); inbox: a draft the creator "
                              "finishes in the app (scope video.upload)")
    privacy = _typed(raw, "privacy_level", where, "SELF_ONLY", str)
    if privacy not in TIKTOK_PRIVACY:
        raise ConfigError(f"privacy_level {privacy!r} is not a TikTok privacy level", field=f"{where}.privacy_level",
                          fix=f"use one of: {', '.join(TIKTOK_PRIVACY)}")
    audited = _typed(raw, "audited", where, False, bool)
    if not audited and privacy != "SELF_ONLY":
        raise ConfigError(f"privacy_level {privacy} needs an audited TikTok API client: unaudited clients may "
                          f"only post SELF_ONLY (private) videos", field=f"{where}.privacy_level",
                          fix="use privacy_level: SELF_ONLY until TikTok has audited the app, then set audited: true")
    return TikTokConfig(
        credentials=_path(raw, "credentials", where, base_dir),
        credentials_env=_env_name(raw, "credentials_env", where, None),
        client_key_env=_env_name(raw, "client_key_env", where, "TIKTOK_CLIENT_KEY") or "TIKTOK_CLIENT_KEY",
        client_secret_env=_env_name(raw, "client_secret_env", where, "TIKTOK_CLIENT_SECRET") or "TIKTOK_CLIENT_SECRET",
        mode=mode, privacy_level=privacy, audited=audited,
        allow_comment=_typed(raw, "allow_comment", where, True, bool),
        allow_duet=_typed(raw, "allow_duet", where, False, bool),
        allow_stitch=_typed(raw, "allow_stitch", where, False, bool),
        ai_generated=_typed(raw, "ai_generated", where, True, bool),
    )


def parse_instagram(raw: Any, where: str, base_dir: Path) -> InstagramConfig:
    if raw is None:
        return InstagramConfig()
    if not isinstance(raw, dict):
        raise ConfigError("must be a mapping", field=where, fix="e.g. instagram: {user_id: '1784...', token_env: IG_TOKEN}")
    _unknown(raw, {"user_id", "token_env", "token_file", "upload", "share_to_feed"}, where)
    user_id = raw.get("user_id")
    if user_id is not None:
        user_id = str(user_id)
        if not user_id.isdigit():
            raise ConfigError(f"user_id {user_id!r} is not a numeric Instagram user id", field=f"{where}.user_id",
                              fix="use the professional account's id from GET /me?fields=user_id (quote it in YAML)")
    upload = _typed(raw, "upload", where, "resumable", str)
    if upload not in ("resumable", "video_url"):
        raise ConfigError(f"upload {upload!r} is not resumable or video_url", field=f"{where}.upload",
                          fix="resumable: the file is sent to rupload.facebook.com; video_url: Instagram fetches a "
                              "presigned URL of the S3 media store")
    return InstagramConfig(user_id=user_id, token_env=_env_name(raw, "token_env", where, None),
                           token_file=_path(raw, "token_file", where, base_dir), upload=upload,
                           share_to_feed=_typed(raw, "share_to_feed", where, True, bool))


def parse_platforms(merged: dict, where: str, base_dir: Path) -> PlatformsConfig:
    """The ``platforms``, ``tiktok`` and ``instagram`` keys of one channel (already merged with defaults)."""
    raw = merged.get("platforms")
    if raw is None:
        names: tuple[str, ...] = ("youtube",)
    else:
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            raise ConfigError("must be a non-empty list", field=f"{where}.platforms",
                              fix="e.g. platforms: [youtube, tiktok, instagram]")
        for i, name in enumerate(raw):
            if name not in PLATFORMS:
                raise ConfigError(f"{name!r} is not a platform", field=f"{where}.platforms[{i}]",
                                  fix=f"use any of: {', '.join(PLATFORMS)}")
        if len(set(raw)) != len(raw):
            raise ConfigError("lists a platform twice", field=f"{where}.platforms", fix="list each platform once")
        names = tuple(raw)
    cfg = PlatformsConfig(platforms=names, tiktok=parse_tiktok(merged.get("tiktok"), f"{where}.tiktok", base_dir),
                          instagram=parse_instagram(merged.get("instagram"), f"{where}.instagram", base_dir))
    if "instagram" in names and cfg.instagram.token_env is None and cfg.instagram.token_file is None \
            and merged.get("instagram") is not None:
        raise ConfigError("no token configured", field=f"{where}.instagram.token_env",
                          fix="set token_env (an environment variable with the long-lived token) or token_file "
                              "(a 0600 JSON file {\"access_token\": ...})")
    return cfg
