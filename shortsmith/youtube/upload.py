"""Publishing to YouTube exactly once, within quota (google-api-python-client; no Dagster).

One partition's publication is a small state record that survives crashes (the caller persists
it through ``save`` after every step)::

    {"sha256", "size", "session_uri", "offset", "video_id", "thumbnail", "playlist_item_id",
     "readback", "status": "uploading" | "uploaded" | "done" | "rejected", ...}

- The upload is a resumable ``videos.insert``: the session is opened first (``X-Upload-Content-*``
  headers) and its URI saved *before* any byte is sent; chunks follow, each acknowledged offset saved.
  A later attempt (same process or a new one) asks the server what it has with an empty
  ``PUT`` (``Content-Range: bytes */TOTAL``) and continues from the ``Range`` it reports; if
  that query answers with the finished video, the upload is simply done.
- Retries are ours (``next_chunk(num_retries=0)``): the client's own retry could re-send a chunk
  the server already consumed. 5xx, 429 and connection errors back off and resume; a request error
  is mapped to a clear error; quota errors defer (:class:`QuotaDeferred`), never fail noisily.
- A record with a ``video_id`` never uploads again: later attempts only finish the thumbnail,
  the playlist and the read-back.

The channel's API session (credentials, HTTP, error classification) is :mod:`.api`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import datetime, time as dtime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from ..config import Channel
from ..errors import ConfigError
from ..google_api import QUOTA_REASONS, parse_error
from ..model import Script
from ..publish import Publication, build_upload_request
from ..resilience import ProviderError, RetryPolicy, call_with_retries, scrub, scrub_error
from ..youtube_quota import QuotaBook, QuotaDeferred, utcnow
from .api import PROVIDER, YouTubeApi, classify

CHUNK_QUANTUM = 256 * 1024  # resumable chunks must be multiples of 256 KiB (except the last)
STATS_BATCH = 50  # videos.list takes at most 50 ids per call
UPLOAD_LIMIT_WAIT = timedelta(hours=24)  # uploadLimitExceeded: "try again in 24 hours"


def watch_url(video_id: str, *, short: bool = True) -> str:
    """Where the video is watched: a Short's /shorts/ page, or a normal video's watch page (16:9)."""
    return f"https://www.youtube.com/shorts/{video_id}" if short else f"https://www.youtube.com/watch?v={video_id}"


# -- the request body ---------------------------------------------------------------------

def scheduled_publish_at(now: datetime, channel: Channel, min_lead: timedelta = timedelta(minutes=15)) -> datetime | None:
    """The next ``youtube.publish_at`` (channel-local HH:MM) at least ``min_lead`` from now, in UTC."""
    at = channel.youtube.publish_at
    if not at:
        return None
    zone = ZoneInfo(channel.timezone)
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    local = now.astimezone(zone)
    hh, mm = (int(x) for x in at.split(":"))
    candidate = datetime.combine(local.date(), dtime(hh, mm), tzinfo=zone)
    while candidate < local + min_lead:
        candidate = datetime.combine(candidate.date() + timedelta(days=1), dtime(hh, mm), tzinfo=zone)
    return candidate.astimezone(timezone.utc)


def insert_body(script: Script, channel: Channel, now: datetime | None = None,
                credits: list[str] | None = None) -> dict:
    """The videos.insert body: ``build_upload_request`` (validated limits) plus scheduling.

    With ``youtube.publish_at`` the video is uploaded private with ``status.publishAt`` (YouTube
    only schedules private videos; it turns public at that time).
    """
    body = build_upload_request(script, channel, credits)
    when = scheduled_publish_at(now or utcnow(), channel)
    if when is not None:
        body["status"]["privacyStatus"] = "private"
        body["status"]["publishAt"] = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return body


# -- publishing ---------------------------------------------------------------------------

class UploadRejected(ProviderError):
    """YouTube took the bytes but rejected or failed the video."""


def new_state(partition: str, channel: str, project: str, sha256: str, size: int) -> dict:
    return {"partition": partition, "channel": channel, "project": project, "sha256": sha256, "size": size,
            "session_uri": None, "offset": 0, "video_id": None, "status": "new", "thumbnail": False,
            "playlist_item_id": None, "playlist_pending": False, "readback": None, "initiations": 0,
            "resumes": 0}


def publication_from_state(state: dict, *, video_path: str = "", thumbnail_path: str = "",
                           already: bool = False) -> Publication:
    rb = state.get("readback") or {}
    return Publication(video_id=state["video_id"], url=watch_url(state["video_id"], short=state.get("short", True)), partition=state["partition"],
                       channel=state["channel"], folder="", video_path=video_path, thumbnail_path=thumbnail_path,
                       metadata_path="", video_sha256=state.get("sha256", ""),
                       published_at=state.get("uploaded_at", ""), privacy=rb.get("privacy", ""),
                       already_published=already)


@dataclass
class YouTubeSettings:
    chunk_size: int = 8 * 1024 * 1024
    policy: RetryPolicy = RetryPolicy(max_attempts=5, base_delay_s=1.0, max_delay_s=30.0)


class YouTubeSession:
    """Publishes partitions of one channel and reads statistics, spending one project's quota."""

    def __init__(self, api: YouTubeApi, quota: QuotaBook, channel: Channel, *, settings: YouTubeSettings | None = None,
                 sleep: Callable[[float], None] | None = None, log: Callable[[str], None] = lambda m: None,
                 clock: Callable[[], datetime] = utcnow):
        import time

        self.api, self.quota, self.channel = api, quota, channel
        self.settings = settings or YouTubeSettings()
        if self.settings.chunk_size <= 0 or self.settings.chunk_size % CHUNK_QUANTUM:
            raise ConfigError(f"chunk size {self.settings.chunk_size} is not a multiple of 256 KiB",
                              field="publisher.chunk_size", fix=f"use a multiple of {CHUNK_QUANTUM} bytes, e.g. 8388608")
        self.sleep = sleep or time.sleep
        self.log, self.clock = log, clock

    # -- helpers ---------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        return scrub(text, self.api.secrets)

    def _classify(self, exc: BaseException) -> ProviderError | None:
        err = classify(exc, self.channel.name)
        return None if err is None else scrub_error(err, self.api.secrets)

    def _quota_signal(self, exc: BaseException, op: str) -> None:
        """Raise QuotaDeferred for YouTube's own quota answers (the call still counted)."""
        from googleapiclient.errors import HttpError

        if not isinstance(exc, HttpError):
            return
        reason, message, _ = parse_error(exc.content)
        if reason in QUOTA_REASONS:
            bucket = self.quota.rules.bucket(op)
            until = self.quota.mark_exhausted(bucket, f"{reason} on {op}")
            raise QuotaDeferred(f"YouTube answered {reason} to {op} for project {self.quota.project!r}",
                                until=until, bucket=bucket) from None
        if reason == "uploadLimitExceeded":
            until = self.clock() + UPLOAD_LIMIT_WAIT
            raise QuotaDeferred(f"channel {self.channel.name} reached YouTube's upload limit for 24 hours "
                                f"(uploadLimitExceeded)", until=until, bucket="channel-uploads") from None

    def _call(self, op: str, fn: Callable[[], Any]) -> Any:
        """One API method call with quota (every attempt counts) and our retries."""
        def attempt():
            with self.quota.spend(op):
                try:
                    return fn()
                except Exception as exc:  # quota answers become deferrals, the rest is classified
                    self._quota_signal(exc, op)
                    raise

        return call_with_retries(attempt, provider=PROVIDER, classify=self._classify, policy=self.settings.policy,
                                 sleep=self.sleep, log=self.log, secrets=self.api.secrets)

    def _media(self, path: Path, mimetype: str, resumable: bool):
        from googleapiclient.http import MediaFileUpload

        class ChunkBytesUpload(MediaFileUpload):
            # Chunks are sent as bytes, not as a slice of the open file: httplib2 re-sends a request
            # once on a dropped connection, and a half-read stream would then send a short body and
            # hang until the timeout. The same bytes at the same Content-Range are safe to re-send.
            def has_stream(self):
                return False

        return ChunkBytesUpload(str(path), mimetype=mimetype, resumable=resumable,
                                chunksize=self.settings.chunk_size if resumable else -1)

    # -- the resumable upload ----------------------------------------------------------
    def _initiate(self, media, body: dict) -> str:
        """Open a resumable session (counts one videos.insert); returns the session URI."""
        from googleapiclient.errors import HttpError

        req = self.api.service.videos().insert(part="snippet,status", body=body, media_body=media,
                                               notifySubscribers=True)
        headers = dict(req.headers)
        headers["X-Upload-Content-Type"] = media.mimetype()
        headers["X-Upload-Content-Length"] = str(media.size())
        headers["content-length"] = str(len(req.body or ""))

        def send() -> str:
            resp, content = self.api.http.request(req.uri, method="POST", body=req.body, headers=headers)
            if resp.status == 200 and "location" in resp:
                return resp["location"]
            raise HttpError(resp, content, uri=req.uri)

        return self._call("videos.insert", send)

    def _status(self, uri: str, total: int) -> tuple[int, dict | None]:
        """Ask the server what it has: (offset, None) or (total, the finished video). KeyError: session gone."""
        from googleapiclient.errors import HttpError

        def query():
            resp, content = self.api.http.request(uri, method="PUT", body=b"",
                                                  headers={"Content-Range": f"bytes */{total}", "Content-Length": "0"})
            if resp.status in (200, 201):
                return total, json.loads(content.decode("utf-8"))
            if resp.status == 308:
                rng = resp.get("range")
                return (int(rng.split("-")[1]) + 1 if rng else 0), None
            if resp.status in (404, 410):
                raise KeyError("session gone")
            raise HttpError(resp, content, uri="upload session")

        return call_with_retries(query, provider=PROVIDER, classify=self._classify, policy=self.settings.policy,
                                 sleep=self.sleep, log=self.log, secrets=self.api.secrets)

    def _upload(self, state: dict, video: Path, body: dict, save: Callable[[dict], None]) -> dict:
        from googleapiclient.errors import HttpError

        media = self._media(video, "video/mp4", resumable=True)
        total = media.size()
        try:
            if state.get("session_uri"):
                try:
                    offset, done = self._status(state["session_uri"], total)
                except KeyError:
                    self.log("the previous upload session expired; starting a new one")
                    state.update(session_uri=None, offset=0)
                    save(state)
                else:
                    state["resumes"] = state.get("resumes", 0) + 1
                    self.log(f"resuming the upload at byte {offset} of {total} (server's received range)")
                    if done is not None:
                        return done
                    state["offset"] = offset
                    save(state)
            failures = 0
            while True:
                if not state.get("session_uri"):
                    state.update(session_uri=self._initiate(media, body), offset=0, status="uploading",
                                 initiations=state.get("initiations", 0) + 1)
                    save(state)  # the session exists before the first byte is sent
                    self.log(f"upload session opened for {total} bytes")
                req = self.api.service.videos().insert(part="snippet,status", body=body, media_body=media,
                                                       notifySubscribers=True)
                req.resumable_uri = state["session_uri"]
                req.resumable_progress = state["offset"]
                try:
                    _, response = req.next_chunk(num_retries=0)
                except HttpError as exc:
                    if int(exc.resp.status) in (404, 410):
                        self.log("the upload session is gone; starting a new one")
                        state.update(session_uri=None, offset=0)
                        save(state)
                        continue
                    self._quota_signal(exc, "videos.insert")
                    err = self._classify(exc)
                    if err is None:  # classify maps every HttpError; kept so the narrowing is checked
                        raise
                    if not err.transient:
                        raise err from None
                    response = None
                    failures = self._backoff(failures, err, state, total)
                except Exception as exc:  # transport errors are classified
                    err = self._classify(exc)
                    if err is None:
                        raise
                    if not err.transient:
                        raise err from None
                    response = None
                    failures = self._backoff(failures, err, state, total)
                else:
                    if response is not None:
                        return response
                    if req.resumable_progress > state["offset"]:
                        failures = 0
                    state["offset"] = req.resumable_progress
                    save(state)
                    continue
                # after a failure: ask the server what it really has, then go on from there
                try:
                    offset, done = self._status(state["session_uri"], total)
                except KeyError:
                    state.update(session_uri=None, offset=0)
                    save(state)
                    continue
                if done is not None:
                    return done
                state["offset"] = offset
                save(state)
        finally:
            fd = getattr(media, "_fd", None)
            if fd is not None:
                fd.close()

    def _backoff(self, failures: int, err: ProviderError, state: dict, total: int) -> int:
        failures += 1
        policy = self.settings.policy
        if failures >= policy.max_attempts:
            raise ProviderError(f"upload gave up after {failures} failed attempts at byte {state['offset']} of "
                                f"{total}: {self._scrub(err.message)}", provider=PROVIDER, status=err.status,
                                transient=True,
                                fix="run the step again: it resumes from the bytes YouTube already has") from None
        wait = policy.delay(failures, err.retry_after)
        self.log(f"upload chunk failed ({self._scrub(err.message)}); asking for the received range in {wait:.2f} s")
        self.sleep(wait)
        return failures

    # -- the whole publication ---------------------------------------------------------
    def publication_needs(self) -> dict[str, int]:
        ops = {"videos.insert": 1, "thumbnails.set": 1, "videos.list": 1}
        if self.channel.youtube.playlist_id:
            ops["playlistItems.insert"] = 1
        return ops

    def publish(self, state: dict, *, video: Path, thumbnail: Path, body: dict,
                save: Callable[[dict], None]) -> dict:
        """Upload (or resume), set the thumbnail, add to the playlist, read back. Returns the state.

        Raises QuotaDeferred when today's quota cannot take the next call (the state is saved,
        so the next attempt continues where this one stopped).
        """
        if not state.get("video_id"):
            if not state.get("session_uri"):
                self.quota.check(self.publication_needs())  # the whole publication must fit today
            resource = self._upload(state, video, body, save)
            state.update(video_id=resource["id"], status="uploaded", session_uri=None, offset=state["size"],
                         uploaded_at=utcnow().isoformat(timespec="seconds"),
                         privacy=(resource.get("status") or {}).get("privacyStatus"))
            save(state)
            self.log(f"uploaded {state['partition']} as video {resource['id']}")
        vid = state["video_id"]
        if not state.get("thumbnail"):
            media = self._media(thumbnail, "image/jpeg", resumable=False)
            try:
                self._call("thumbnails.set", lambda: self.api.service.thumbnails().set(
                    videoId=vid, media_body=media).execute(num_retries=0))
            finally:
                fd = getattr(media, "_fd", None)
                if fd is not None:
                    fd.close()
            state["thumbnail"] = True
            save(state)
        playlist = self.channel.youtube.playlist_id
        if playlist and not state.get("playlist_item_id"):
            if state.get("playlist_pending"):  # an earlier insert may have landed before a crash
                found = self._call("playlistItems.list", lambda: self.api.service.playlistItems().list(
                    part="id", playlistId=playlist, videoId=vid, maxResults=5).execute(num_retries=0))
                items = found.get("items") or []
                if items:
                    state.update(playlist_item_id=items[0]["id"], playlist_pending=False, playlist_id=playlist)
                    save(state)
            if not state.get("playlist_item_id"):
                state["playlist_pending"] = True
                save(state)
                item = self._call("playlistItems.insert", lambda: self.api.service.playlistItems().insert(
                    part="snippet", body={"snippet": {"playlistId": playlist,
                                                      "resourceId": {"kind": "youtube#video", "videoId": vid}}}
                ).execute(num_retries=0))
                state.update(playlist_item_id=item["id"], playlist_pending=False, playlist_id=playlist)
                save(state)
        got = self._call("videos.list", lambda: self.api.service.videos().list(
            part="status,processingDetails,snippet", id=vid).execute(num_retries=0))
        items = got.get("items") or []
        if not items:
            state["status"] = "rejected"
            save(state)
            raise UploadRejected(f"video {vid} is not on YouTube any more (videos.list returned nothing)",
                                 provider=PROVIDER, field="published_uploads",
                                 fix="check YouTube Studio; to publish this topic again, add it as a new partition")
        st = items[0].get("status") or {}
        proc = items[0].get("processingDetails") or {}
        state["readback"] = {
            "id": items[0].get("id"), "url": watch_url(vid, short=state.get("short", True)), "upload_status": st.get("uploadStatus"),
            "processing_status": proc.get("processingStatus"), "privacy": st.get("privacyStatus"),
            "publish_at": st.get("publishAt"), "synthetic_media": st.get("containsSyntheticMedia"),
            "made_for_kids": st.get("selfDeclaredMadeForKids", st.get("madeForKids")),
            "rejection_reason": st.get("rejectionReason"), "failure_reason": st.get("failureReason"),
            "title": (items[0].get("snippet") or {}).get("title"),
            "checked_at": utcnow().isoformat(timespec="seconds"),
        }
        if st.get("uploadStatus") in ("rejected", "failed", "deleted"):
            state["status"] = "rejected"
            save(state)
            why = st.get("rejectionReason") or st.get("failureReason") or st.get("uploadStatus")
            raise UploadRejected(f"YouTube {st.get('uploadStatus')} video {vid} after upload (reason: {why})",
                                 provider=PROVIDER, field="published_uploads",
                                 fix="see the video in YouTube Studio; it is not uploaded again automatically. "
                                     "Fix the cause (e.g. duplicate or policy) and publish it as a new partition")
        state["status"] = "done"
        save(state)
        return state

    # -- statistics --------------------------------------------------------------------
    def statistics(self, video_ids: Iterable[str]) -> dict[str, dict]:
        """views/likes/comments per video: ``videos.list(part=statistics)``, 50 ids per call."""
        ids = list(dict.fromkeys(v for v in video_ids if v))
        out: dict[str, dict] = {}
        for batch in batches(ids, STATS_BATCH):
            # _call runs (and retries) before the loop moves on, so the lambda sees this batch
            got = self._call("videos.list", lambda: self.api.service.videos().list(
                part="statistics", id=",".join(batch)).execute(num_retries=0))
            for item in got.get("items") or []:
                s = item.get("statistics") or {}
                out[item["id"]] = {"views": _int(s.get("viewCount")), "likes": _int(s.get("likeCount")),
                                   "comments": _int(s.get("commentCount"))}
        return out


def batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def redact_state(state: dict) -> dict:
    """The state without the session URI (a capability to write into the upload): safe for metadata."""
    out = copy.deepcopy(state)
    if out.get("session_uri"):
        out["session_uri"] = "(set)"
    return out
