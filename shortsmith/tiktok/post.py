"""Posting one video to TikTok exactly once (Content Posting API, FILE_UPLOAD; no Dagster).

A partition's post is a small state record the caller persists through ``save`` after every step::

    {"partition", "channel", "platform": "tiktok", "sha256", "size", "status", "publish_id", "upload_url",
     "chunk_size", "chunk_count", "next_chunk", "post_ids", "fail_reason", "creator", "inits", "polls"}

status: ``new`` -> ``uploading`` (init answered: publish id and upload URL saved before any byte) ->
``processing`` (every chunk acknowledged; TikTok moderates, from under a minute to hours) -> ``done``
(PUBLISH_COMPLETE, or SEND_TO_USER_INBOX for drafts) or ``rejected`` (FAILED after the upload).

- A record with a publish id is never initialised again while TikTok still has it: a resumed upload
  asks ``status/fetch`` for ``uploaded_bytes`` and continues at that chunk; only an upload TikTok
  reports FAILED before all bytes arrived (its URL expires after an hour) starts over, and such a
  publish never became a post.
- ``processing`` is not waited out here: ``poll`` checks a few times and returns; a sensor or the
  next run calls ``poll`` again. init (6/min) and status/fetch (30/min) go through a shared
  sliding-window limit per user token (``ratewindow``), so parallel runs never exceed them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..config import Channel
from ..errors import ConfigError, InputError
from ..ratewindow import RateWindow
from ..resilience import ProviderError, RetryPolicy, call_with_retries
from .api import INIT_PER_MIN, MB, PROVIDER, STATUS_PER_MIN, TikTokApi, TikTokError, chunk_plan, chunk_ranges

TITLE_MAX = 2200  # UTF-16 code units in a video post's title (its caption)
DONE_STATUSES = {"PUBLISH_COMPLETE", "SEND_TO_USER_INBOX"}
PENDING_STATUSES = {"PROCESSING_UPLOAD", "PROCESSING_DOWNLOAD"}


class TikTokRejected(ProviderError):
    """TikTok took the bytes but failed the post (moderation, format): not posted again automatically."""


def new_state(partition: str, channel: str, sha256: str, size: int) -> dict:
    return {"partition": partition, "channel": channel, "platform": "tiktok", "sha256": sha256, "size": size,
            "status": "new", "publish_id": None, "upload_url": None, "chunk_size": None, "chunk_count": None,
            "next_chunk": 0, "post_ids": [], "fail_reason": None, "inits": 0, "polls": 0, "resumes": 0}


def caption(title: str, tags: list[str] | tuple[str, ...]) -> str:
    """The post's title: the video title and its hashtags, within TikTok's 2,200 UTF-16 units."""
    text = title.strip()
    for tag in tags:
        word = "#" + "".join(ch for ch in tag if ch.isalnum())
        if len(word) > 1 and len((text + " " + word).encode("utf-16-le")) // 2 <= TITLE_MAX:
            text += " " + word
    if len(text.encode("utf-16-le")) // 2 > TITLE_MAX:
        raise InputError(f"the TikTok caption has {len(text.encode('utf-16-le')) // 2} UTF-16 units",
                         field="tiktok.title", fix=f"shorten the title to at most {TITLE_MAX} characters")
    return text


@dataclass
class TikTokSettings:
    chunk_size: int = 10 * MB
    policy: RetryPolicy = RetryPolicy(max_attempts=5, base_delay_s=1.0, max_delay_s=30.0)
    polls_per_run: int = 3  # status/fetch calls per publish/poll before handing back ("processing")
    poll_interval_s: float = 10.0
    init_per_window: int = INIT_PER_MIN
    status_per_window: int = STATUS_PER_MIN
    window_s: float = 61.0  # TikTok's minute plus a margin for the time between our count and its arrival
    max_rate_wait_s: float = 120.0


class TikTokSession:
    def __init__(self, api: TikTokApi, channel: Channel, limits: RateWindow, *, settings: TikTokSettings | None = None,
                 sleep: Callable[[float], None] | None = None, log: Callable[[str], None] = lambda m: None):
        import time

        self.api, self.channel, self.limits = api, channel, limits
        self.settings = settings or TikTokSettings()
        self.sleep = sleep or time.sleep
        self.log = log

    # -- helpers ---------------------------------------------------------------------
    def _limit(self, what: str, per: int) -> None:
        key = f"shortsmith/tiktok/rate/{self.api.open_id}/{what}"
        waited = self.limits.acquire(key, per, self.settings.window_s, self.settings.max_rate_wait_s)
        if waited:
            self.log(f"waited {waited:.1f} s for TikTok's {what} limit ({per} per {self.settings.window_s:.0f} s)")

    def _call(self, path: str, body: dict | None = None, *, limit: tuple[str, int] | None = None,
              params: dict | None = None) -> dict:
        def attempt() -> dict:
            if limit is not None:
                self._limit(*limit)
            return self.api.call(path, body, params=params)

        return call_with_retries(attempt, provider=PROVIDER, classify=lambda e: None, policy=self.settings.policy,
                                 sleep=self.sleep, log=self.log, secrets=self.api.secrets)

    # -- creator info and the request ----------------------------------------------------
    def creator_info(self) -> dict:
        return self._call("/v2/post/publish/creator_info/query/")

    def post_info(self, title: str, duration_s: float, creator: dict) -> dict:
        cfg, where = self.channel.platforms.tiktok, f"channels ({self.channel.name}).tiktok"
        options = list(creator.get("privacy_level_options") or [])
        if cfg.privacy_level not in options:
            hint = " (unaudited API clients may only post SELF_ONLY)" if not cfg.audited else ""
            raise ConfigError(f"privacy_level {cfg.privacy_level} is not offered by this creator (offered: "
                              f"{', '.join(options) or 'none'}){hint}", field=f"{where}.privacy_level",
                              fix=f"use one of: {', '.join(options) or 'SELF_ONLY'}")
        max_s = creator.get("max_video_post_duration_sec")
        if max_s and duration_s > float(max_s):
            raise InputError(f"the video is {duration_s:.1f} s; this creator may post at most {max_s} s",
                             field="tiktok.duration", fix=f"keep the channel's max_video_seconds under {max_s}")
        return {"title": title, "privacy_level": cfg.privacy_level,
                # what creator_info disables stays disabled, whatever the channel asks for
                "disable_comment": bool(creator.get("comment_disabled")) or not cfg.allow_comment,
                "disable_duet": bool(creator.get("duet_disabled")) or not cfg.allow_duet,
                "disable_stitch": bool(creator.get("stitch_disabled")) or not cfg.allow_stitch,
                "video_cover_timestamp_ms": 1000, "brand_content_toggle": False, "brand_organic_toggle": False,
                "is_aigc": bool(cfg.ai_generated)}

    # -- publishing ----------------------------------------------------------------------
    def publish(self, state: dict, *, video: Path, title: str, duration_s: float,
                save: Callable[[dict], None]) -> dict:
        """Take the post as far as it goes now: init, upload, a few status polls. Returns the state."""
        if state["status"] in ("done", "rejected"):
            return state
        if state["status"] == "uploading" and state.get("publish_id"):
            self._resume(state, save)
        if state["status"] == "new":
            self._init(state, video, title, duration_s, save)
        if state["status"] == "uploading":
            self._upload(state, video, save)
        if state["status"] == "processing":
            self.poll(state, save)
        return state

    def _init(self, state: dict, video: Path, title: str, duration_s: float, save: Callable[[dict], None]) -> None:
        cfg = self.channel.platforms.tiktok
        size = video.stat().st_size
        chunk, count = chunk_plan(size, self.settings.chunk_size)
        source = {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk, "total_chunk_count": count}
        if cfg.mode == "direct":
            creator = self.creator_info()
            body = {"post_info": self.post_info(title, duration_s, creator), "source_info": source}
            path = "/v2/post/publish/video/init/"
            state["creator"] = {k: creator.get(k) for k in ("creator_username", "privacy_level_options",
                                                            "max_video_post_duration_sec")}
        else:
            body, path = {"source_info": source}, "/v2/post/publish/inbox/video/init/"
        data = self._call(path, body, limit=("init", self.settings.init_per_window))
        state.update(publish_id=data["publish_id"], upload_url=data["upload_url"], chunk_size=chunk, chunk_count=count,
                     next_chunk=0, status="uploading", inits=state.get("inits", 0) + 1, mode=cfg.mode,
                     privacy=body.get("post_info", {}).get("privacy_level", "inbox"),
                     ai_generated=body.get("post_info", {}).get("is_aigc"))
        save(state)  # the publish id exists before the first byte is sent
        self.log(f"TikTok publish {data['publish_id']} initialised: {count} chunk(s) of {chunk} bytes for {size}")

    def _fetch(self, state: dict) -> dict:
        return self._call("/v2/post/publish/status/fetch/", {"publish_id": state["publish_id"]},
                          limit=("status", self.settings.status_per_window))

    def _resume(self, state: dict, save: Callable[[dict], None]) -> None:
        """After a crash mid-upload: continue where TikTok's uploaded_bytes says, or start over if it failed."""
        info = self._fetch(state)
        status = info.get("status")
        state["resumes"] = state.get("resumes", 0) + 1
        if status == "FAILED":
            self.log(f"publish {state['publish_id']} failed before its upload finished "
                     f"({info.get('fail_reason')}); starting a new upload")
            state.update(status="new", publish_id=None, upload_url=None, next_chunk=0)
        elif status in DONE_STATUSES or status == "PROCESSING_DOWNLOAD":
            state.update(status="processing")
        else:
            got = int(info.get("uploaded_bytes") or 0)
            state["next_chunk"] = min(got // int(state["chunk_size"]), int(state["chunk_count"]) - 1) \
                if got < state["size"] else int(state["chunk_count"])
            if state["next_chunk"] >= int(state["chunk_count"]):
                state["status"] = "processing"
            self.log(f"resuming the TikTok upload at chunk {state['next_chunk'] + 1} of {state['chunk_count']}")
        save(state)

    def _upload(self, state: dict, video: Path, save: Callable[[dict], None]) -> None:
        size, chunk, count = int(state["size"]), int(state["chunk_size"]), int(state["chunk_count"])
        ranges = chunk_ranges(size, chunk, count)
        with open(video, "rb") as fh:
            for index in range(int(state.get("next_chunk", 0)), count):
                first, last = ranges[index]
                fh.seek(first)
                data = fh.read(last - first + 1)
                call_with_retries(lambda: self.api.put_chunk(state["upload_url"], data, first, last, size),
                                  provider=PROVIDER, classify=lambda e: None, policy=self.settings.policy,
                                  sleep=self.sleep, log=self.log, secrets=self.api.secrets)
                state["next_chunk"] = index + 1
                save(state)
        state["status"] = "processing"
        save(state)
        self.log(f"uploaded {size} bytes to TikTok (publish {state['publish_id']}); TikTok is processing it")

    def poll(self, state: dict, save: Callable[[dict], None], polls: int | None = None) -> dict:
        """A few status/fetch calls; ``done`` or ``rejected`` when TikTok has decided, else still ``processing``."""
        if state["status"] != "processing":
            return state
        for i in range(self.settings.polls_per_run if polls is None else polls):
            if i:
                self.sleep(self.settings.poll_interval_s)
            info = self._fetch(state)
            state["polls"] = state.get("polls", 0) + 1
            status = info.get("status")
            state["tiktok_status"] = status
            if status in DONE_STATUSES:
                ids = info.get("publicaly_available_post_id") or info.get("publicly_available_post_id") or []
                state.update(status="done", post_ids=[str(x) for x in ids])
                save(state)
                self.log(f"TikTok publish {state['publish_id']}: {status}")
                return state
            if status == "FAILED":
                state.update(status="rejected", fail_reason=info.get("fail_reason") or "unknown")
                save(state)
                raise TikTokRejected(f"TikTok failed publish {state['publish_id']} after the upload "
                                     f"(fail_reason: {state['fail_reason']})", provider=PROVIDER,
                                     field="tiktok_posts",
                                     fix="see the reason; it is not posted again automatically. Fix the cause "
                                         "and publish the topic as a new partition")
            save(state)
        return state

    # -- statistics ----------------------------------------------------------------------
    def statistics(self, video_ids: list[str]) -> dict[str, dict]:
        """views/likes/comments/shares per post (``/v2/video/query/``, scope video.list, 20 ids per call)."""
        out: dict[str, dict] = {}
        ids = [v for v in dict.fromkeys(video_ids) if v]
        for i in range(0, len(ids), 20):
            batch = ids[i:i + 20]
            data = self._call("/v2/video/query/", {"filters": {"video_ids": batch}},
                              params={"fields": "id,view_count,like_count,comment_count,share_count"})
            for v in data.get("videos") or []:
                out[str(v["id"])] = {"views": v.get("view_count"), "likes": v.get("like_count"),
                                     "comments": v.get("comment_count"), "shares": v.get("share_count")}
        return out


def is_tiktok_error(exc: BaseException) -> bool:
    return isinstance(exc, TikTokError)
