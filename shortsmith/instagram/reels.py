"""Publishing one Reel exactly once (Instagram Graph API content publishing; no Dagster).

The state record (persisted by the caller through ``save`` after every step)::

    {"partition", "channel", "platform": "instagram", "status", "container_id", "media_id", "permalink",
     "status_code", "error", "containers", ...}

status: ``new`` -> ``uploading`` (a REELS container exists; its id is saved before any byte is sent) ->
``processing`` (bytes sent or video_url given; Instagram transcodes) -> ``publishing`` (saved *before*
``media_publish``) -> ``done``; ``rejected`` when the container's status_code is ERROR.

- A resumed ``publishing`` first asks the container: status_code PUBLISHED means the earlier
  ``media_publish`` landed (the Reel is looked up in the account's media), so it is never sent twice.
- An EXPIRED container (24 h) gets a new one; nothing was posted from it.
- ``content_publishing_limit`` is read at run time; with the posts this installation reserved in the
  last 24 h (shared state, one transaction) it decides: publish, or :class:`PublishLimitDeferred`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from ..config import Channel
from ..errors import InputError
from ..resilience import KeyValue, ProviderError, RetryPolicy, call_with_retries
from .api import PROVIDER, InstagramApi

CAPTION_MAX = 2200
HASHTAGS_MAX = 30
MENTIONS_MAX = 20
DAY_S = 86400.0


class PublishLimitDeferred(Exception):
    def __init__(self, message: str, until: datetime):
        self.message, self.until = message, until
        super().__init__(message)


class ReelRejected(ProviderError):
    """The container failed (status_code ERROR): not retried automatically."""


def new_state(partition: str, channel: str, sha256: str, size: int) -> dict:
    return {"partition": partition, "channel": channel, "platform": "instagram", "sha256": sha256, "size": size,
            "status": "new", "container_id": None, "media_id": None, "permalink": None, "status_code": None,
            "error": None, "containers": 0, "polls": 0, "resumes": 0}


def check_caption(text: str) -> str:
    """The caption, or an InputError before anything is sent (2,200 characters, 30 hashtags, 20 mentions)."""
    if len(text) > CAPTION_MAX:
        raise InputError(f"the Instagram caption has {len(text)} characters", field="instagram.caption",
                         fix=f"shorten the description to at most {CAPTION_MAX} characters")
    tags = re.findall(r"(?<!\w)#\w+", text)
    if len(tags) > HASHTAGS_MAX:
        raise InputError(f"the Instagram caption has {len(tags)} hashtags", field="instagram.caption",
                         fix=f"use at most {HASHTAGS_MAX} hashtags (the channel's tags become hashtags)")
    mentions = re.findall(r"(?<!\w)@\w+", text)
    if len(mentions) > MENTIONS_MAX:
        raise InputError(f"the Instagram caption has {len(mentions)} @mentions", field="instagram.caption",
                         fix=f"use at most {MENTIONS_MAX} @mentions")
    return text


def build_caption(title: str, description: str, tags: list[str] | tuple[str, ...]) -> str:
    hashtags = " ".join("#" + "".join(c for c in t if c.isalnum()) for t in tags if any(c.isalnum() for c in t))
    return check_caption("\n\n".join(p for p in (title.strip(), description.strip(), hashtags) if p))


def reserve_daily_slot(kv: KeyValue, key: str, partition: str, usage: int, total: int, now: float,
                       usage_read_at: float | None = None) -> bool:
    """One locked transaction: reserve a post for ``partition`` if Instagram's ``usage`` (read at
    ``usage_read_at``) plus our reservations it cannot have counted yet (not published, or published after
    that read) stays under ``total``. A partition already reserved keeps its slot."""
    ok = [False]
    read_at = now if usage_read_at is None else usage_read_at

    def reserve(value: dict) -> dict:
        ours = {p: r for p, r in (value.get("posts") or {}).items()
                if isinstance(r, dict) and now - float(r.get("at", 0)) < DAY_S}
        if partition in ours:
            ok[0] = True
        else:
            unseen = sum(1 for r in ours.values() if not r.get("published_at") or float(r["published_at"]) >= read_at)
            if usage + unseen < total:
                ours[partition] = {"at": now}
                ok[0] = True
        return {"posts": ours}

    kv.update(key, reserve)
    return ok[0]


def mark_published(kv: KeyValue, key: str, partition: str, now: float) -> None:
    def mark(value: dict) -> dict:
        posts = dict(value.get("posts") or {})
        if isinstance(posts.get(partition), dict):
            posts[partition] = {**posts[partition], "published_at": now}
        return {"posts": posts}

    kv.update(key, mark)


@dataclass
class ReelsSettings:
    policy: RetryPolicy = RetryPolicy(max_attempts=5, base_delay_s=1.0, max_delay_s=30.0)
    polls_per_run: int = 5
    poll_interval_s: float = 10.0
    defer_s: float = 3600.0  # at the 24 h limit: look again after this long (the window rolls)


class ReelsSession:
    def __init__(self, api: InstagramApi, channel: Channel, ledger: KeyValue, *, settings: ReelsSettings | None = None,
                 sleep: Callable[[float], None] | None = None, log: Callable[[str], None] = lambda m: None,
                 clock: Callable[[], float] | None = None):
        import time

        self.api, self.channel, self.ledger = api, channel, ledger
        self.settings = settings or ReelsSettings()
        self.sleep, self.log = sleep or time.sleep, log
        self.clock = clock or time.time

    def _call(self, fn: Callable[[], dict]) -> dict:
        return call_with_retries(fn, provider=PROVIDER, classify=lambda e: None, policy=self.settings.policy,
                                 sleep=self.sleep, log=self.log, secrets=self.api.secrets)

    # -- the 24 h publishing limit -----------------------------------------------------
    def publishing_limit(self) -> tuple[int, int]:
        data = self._call(lambda: self.api.get(f"{self.api.user_id}/content_publishing_limit",
                                               {"fields": "quota_usage,config"}))
        row = (data.get("data") or [{}])[0]
        return int(row.get("quota_usage") or 0), int((row.get("config") or {}).get("quota_total") or 100)

    def reserve_publish(self, partition: str) -> None:
        """One transaction: Instagram's usage and our own reservations of the last 24 h stay under the limit."""
        read_at = self.clock()
        usage, total = self.publishing_limit()
        now = self.clock()
        if not reserve_daily_slot(self.ledger, self.slots_key, partition, usage, total, now, read_at):
            until = datetime.fromtimestamp(now + self.settings.defer_s, timezone.utc)
            raise PublishLimitDeferred(f"Instagram account {self.api.user_id} has used {usage} of its {total} "
                                       f"API posts in the last 24 hours; deferred until "
                                       f"{until.isoformat(timespec='minutes')}", until)

    @property
    def slots_key(self) -> str:
        return f"shortsmith/instagram/published/{self.api.user_id}"

    # -- publishing ----------------------------------------------------------------------
    def publish(self, state: dict, *, video: Path | None, video_url: str | None, caption: str,
                save: Callable[[dict], None]) -> dict:
        if state["status"] in ("done", "rejected"):
            return state
        check_caption(caption)
        if state["status"] == "publishing":
            self._resume_publish(state, save)
        if state["status"] == "uploading" and state.get("container_id") and video is not None:
            self._upload(state, video, save)  # a crash mid-upload: the container takes the bytes again
        for _ in range(2):  # a second round only when a container expired
            if state["status"] == "new":
                self._create(state, video, video_url, caption, save)
            if state["status"] == "processing":
                self._poll(state, save)
            if state["status"] == "ready":
                self._publish(state, save)
            if state["status"] != "new":
                break
        return state

    def _create(self, state: dict, video: Path | None, video_url: str | None, caption: str,
                save: Callable[[dict], None]) -> None:
        cfg = self.channel.platforms.instagram
        self.api.maybe_refresh()
        params = {"media_type": "REELS", "caption": caption, "share_to_feed": "true" if cfg.share_to_feed else "false"}
        if video_url:
            params["video_url"] = video_url
        else:
            params["upload_type"] = "resumable"
        data = self._call(lambda: self.api.post(f"{self.api.user_id}/media", params))
        state.update(container_id=data["id"], status="processing" if video_url else "uploading", caption=caption,
                     containers=state.get("containers", 0) + 1, source="video_url" if video_url else "resumable")
        save(state)  # the container exists before any byte is sent
        self.log(f"Instagram REELS container {data['id']} created")
        if not video_url:
            assert video is not None
            self._upload(state, video, save)

    def _upload(self, state: dict, video: Path, save: Callable[[dict], None]) -> None:
        got = self._call(lambda: self.api.upload(state["container_id"], video, 0))
        if not got.get("success"):
            raise ProviderError(f"the upload to container {state['container_id']} was not accepted: {got}",
                                provider=PROVIDER, transient=True)
        state["status"] = "processing"
        save(state)

    def _container(self, state: dict) -> dict:
        return self._call(lambda: self.api.get(state["container_id"], {"fields": "status_code,status"}))

    def _poll(self, state: dict, save: Callable[[dict], None]) -> None:
        for i in range(self.settings.polls_per_run):
            if i:
                self.sleep(self.settings.poll_interval_s)
            info = self._container(state)
            state["polls"] = state.get("polls", 0) + 1
            code = state["status_code"] = info.get("status_code")
            if code == "FINISHED":
                state["status"] = "ready"
                save(state)
                return
            if code == "ERROR":
                state.update(status="rejected", error=info.get("status") or "ERROR")
                save(state)
                raise ReelRejected(f"Instagram could not process container {state['container_id']} "
                                   f"({state['error']})", provider=PROVIDER, field="instagram_reels",
                                   fix="check the video meets Reels specs (H.264/AAC MP4, 9:16, 3-90 s); it is "
                                       "not retried automatically: publish the topic as a new partition")
            if code == "EXPIRED":
                self.log(f"container {state['container_id']} expired before publishing; creating a new one")
                state.update(status="new", container_id=None)
                save(state)
                return
            if code == "PUBLISHED":
                state["status"] = "publishing"
                save(state)
                return
            save(state)

    def _publish(self, state: dict, save: Callable[[dict], None]) -> None:
        self.reserve_publish(state["partition"])
        state["status"] = "publishing"
        save(state)  # before media_publish: a crash after it is resolved by the container's status
        data = self._call(lambda: self.api.post(f"{self.api.user_id}/media_publish",
                                                {"creation_id": state["container_id"]}))
        self._finish(state, data["id"], save)

    def _finish(self, state: dict, media_id: str | None, save: Callable[[dict], None]) -> None:
        mark_published(self.ledger, self.slots_key, state["partition"], self.clock())
        permalink = None
        if media_id:
            got = self._call(lambda: self.api.get(media_id, {"fields": "id,permalink"}))
            permalink = got.get("permalink")
        state.update(status="done", media_id=media_id, permalink=permalink,
                     published_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        save(state)
        self.log(f"published Reel {media_id} from container {state['container_id']}")

    def _resume_publish(self, state: dict, save: Callable[[dict], None]) -> None:
        state["resumes"] = state.get("resumes", 0) + 1
        info = self._container(state)
        code = state["status_code"] = info.get("status_code")
        if code == "PUBLISHED":  # the earlier media_publish landed: find the Reel, never publish again
            media = self._call(lambda: self.api.get(f"{self.api.user_id}/media",
                                                    {"fields": "id,caption,timestamp", "limit": "25"}))
            mine = [m for m in media.get("data") or [] if m.get("id")]
            found = self._match(mine, state)
            self.log(f"container {state['container_id']} was already published; not publishing again")
            self._finish(state, found, save)
        elif code == "FINISHED":
            state["status"] = "ready"
            save(state)
        elif code == "EXPIRED":
            state.update(status="new", container_id=None)
            save(state)
        else:
            state["status"] = "processing"
            save(state)

    @staticmethod
    def _match(media: list[dict], state: dict) -> str | None:
        caption = state.get("caption")
        for m in media:
            if caption and m.get("caption") == caption:
                return str(m["id"])
        return None

    # -- statistics ----------------------------------------------------------------------
    def statistics(self, media_ids: list[str]) -> dict[str, dict]:
        """views/likes/comments/shares per Reel (``/{media-id}/insights``)."""
        out: dict[str, dict] = {}
        for mid in dict.fromkeys(m for m in media_ids if m):
            data = self._call(lambda: self.api.get(f"{mid}/insights", {"metric": "views,likes,comments,shares"}))
            values = {row.get("name"): (row.get("values") or [{}])[0].get("value") for row in data.get("data") or []}
            out[mid] = {k: values.get(k) for k in ("views", "likes", "comments", "shares")}
        return out

