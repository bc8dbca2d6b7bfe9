"""YouTube publishing core against the loopback YouTube emulator, driven by the real googleapiclient.

Every test talks HTTP to tests/standins/youtube.py through google-api-python-client, google-auth
(token refresh) and httplib2; faults are injected on the wire (cut connections, 5xx, hangs, quota
and auth error bodies). Sleeps are recorded, never slept for long.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import urllib.request
import webbrowser
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import ROOT
from shortsmith.config import YouTubeConfig, load_channels
from shortsmith.errors import ConfigError, ValidationFailed
from shortsmith.model import Script
from shortsmith.resilience import ProviderError, RetryPolicy
from shortsmith.google_api import QUOTA_REASONS, RATE_REASONS, parse_error
from shortsmith.trends import YouTubeClient
from shortsmith.youtube import (UploadRejected, YouTubeApi, YouTubeSession, YouTubeSettings, classify, insert_body,
                                load_authorized_user, new_state, scheduled_publish_at)
from shortsmith.youtube_quota import (MemoryQuotaStore, QuotaBook, QuotaDeferred, QuotaRules, next_pacific_midnight,
                                      pacific_day)
from tests.standins.youtube import NAMED, YouTubeStandIn, google_error

CHUNK = 256 * 1024
KEY = "curious-minds--why-cats-purr"


@pytest.fixture
def yt():
    with YouTubeStandIn() as api:
        yield api


def channel(**youtube):
    base = load_channels(ROOT / "channels.yaml").channels[0]
    cfg = {"credentials": "/nonexistent/token.json", "project": "proj-a", **youtube}
    return dataclasses.replace(base, youtube=YouTubeConfig(**cfg))


def creds(yt, refresh_token="1//standin-refresh-token") -> dict:
    return {"refresh_token": refresh_token, "client_id": yt.client_id, "client_secret": yt.client_secret,
            "type": "authorized_user"}


def session(yt, ch=None, *, book=None, info=None, timeout_s=5.0, attempts=4, sleeps=None, chunk=CHUNK):
    ch = ch or channel()
    api = YouTubeApi(info or creds(yt), channel=ch.name, root_url=yt.url + "/", token_uri=yt.url + "/token",
                     timeout_s=timeout_s)
    book = book or QuotaBook(MemoryQuotaStore(), ch.youtube.project)
    record = sleeps if sleeps is not None else []
    return YouTubeSession(api, book, ch, settings=YouTubeSettings(
        chunk_size=chunk, policy=RetryPolicy(max_attempts=attempts, base_delay_s=0.01, max_delay_s=0.05)),
        sleep=record.append)


def http_error(status: int, body_: dict):
    import httplib2
    from googleapiclient.errors import HttpError

    return HttpError(httplib2.Response({"status": status}), json.dumps(body_).encode())


def media(tmp_path, size=700_000, name="video.mp4") -> Path:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path


def thumb(tmp_path) -> Path:
    path = tmp_path / "thumbnail.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000) + b"\xff\xd9")
    return path


def script(title="Why cats purr", description="How a purr works.", tags=("cats", "science")) -> Script:
    return Script(channel="curious-minds", topic=title, title=title, description=description, tags=list(tags),
                  beats=[], words_per_minute=165, min_seconds=35, max_seconds=55, estimated_seconds=40)


def body(ch=None, title="Why cats purr") -> dict:
    return insert_body(script(title), ch or channel(), datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc))


def start_state(video: Path, partition=KEY, project="proj-a") -> dict:
    data = video.read_bytes()
    return new_state(partition, "curious-minds", project, hashlib.sha256(data).hexdigest(), len(data))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Saved(list):
    def __call__(self, state):
        self.append(json.loads(json.dumps(state)))


# -- the request body -------------------------------------------------------------------

def test_insert_body_is_explicit_and_scheduled_uploads_are_private():
    ch = dataclasses.replace(channel(publish_at="09:30"), privacy="public", timezone="Europe/London")
    now = datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc)  # 11:00 in London (BST): tomorrow 09:30
    b = insert_body(script(description="d", tags=["a b", "c"]), ch, now)
    assert b["status"]["privacyStatus"] == "private"  # scheduling requires private
    assert b["status"]["publishAt"] == "2026-07-02T08:30:00.000Z"
    assert b["status"]["containsSyntheticMedia"] is True and b["status"]["selfDeclaredMadeForKids"] is False
    assert b["snippet"]["categoryId"] == "27" and b["snippet"]["defaultLanguage"] == "en"
    # 09:20 local: a 10 minute lead is too short, so the next day's 09:30
    assert scheduled_publish_at(datetime(2026, 7, 1, 8, 20, tzinfo=timezone.utc), ch) == \
        datetime(2026, 7, 2, 8, 30, tzinfo=timezone.utc)
    plain = insert_body(script("t"),
                        dataclasses.replace(channel(), privacy="unlisted"), now)
    assert plain["status"]["privacyStatus"] == "unlisted" and "publishAt" not in plain["status"]
    with pytest.raises(ValidationFailed) as err:
        insert_body(script("x" * 101), channel(), now)
    assert err.value.field == "snippet.title" and "100" in err.value.fix


# -- quota rules ------------------------------------------------------------------------

def test_pacific_days_and_resets_follow_dst():
    assert pacific_day(datetime(2026, 1, 15, 7, 59, tzinfo=timezone.utc)).isoformat() == "2026-01-14"  # PST
    assert pacific_day(datetime(2026, 1, 15, 8, 0, tzinfo=timezone.utc)).isoformat() == "2026-01-15"
    assert pacific_day(datetime(2026, 7, 15, 7, 0, tzinfo=timezone.utc)).isoformat() == "2026-07-15"  # PDT
    reset = next_pacific_midnight(datetime(2026, 7, 15, 12, 0, tzinfo=timezone.utc))
    assert reset.astimezone(timezone.utc) == datetime(2026, 7, 16, 7, 0, tzinfo=timezone.utc)
    reset = next_pacific_midnight(datetime(2026, 3, 7, 12, 0, tzinfo=timezone.utc))  # DST starts Mar 8
    assert reset.astimezone(timezone.utc) == datetime(2026, 3, 8, 8, 0, tzinfo=timezone.utc)


def test_quota_book_reserves_before_and_never_exceeds():
    now = [datetime(2026, 5, 1, 18, 0, tzinfo=timezone.utc)]
    book = QuotaBook(MemoryQuotaStore(), "p", QuotaRules(insert_calls_per_day=2, units_per_day=120),
                     clock=lambda: now[0])
    book.reserve("videos.insert")
    with pytest.raises(RuntimeError):
        with book.spend("videos.insert"):  # a failed call still counts
            raise RuntimeError("boom")
    with pytest.raises(QuotaDeferred) as deferred:
        book.reserve("videos.insert")
    assert deferred.value.until == next_pacific_midnight(now[0]) and "2 of 2" in deferred.value.message
    book.reserve("thumbnails.set")
    book.reserve("thumbnails.set")
    with pytest.raises(QuotaDeferred):
        book.reserve("thumbnails.set")  # 150 > 120: refused, not counted
    book.reserve("videos.list")
    u = book.usage()
    assert u["used"] == {"videos.insert": 2, "units": 101} and u["failed"] == {"videos.insert": 1}
    with pytest.raises(QuotaDeferred):
        book.check({"videos.insert": 1})
    now[0] = datetime(2026, 5, 2, 8, 0, tzinfo=timezone.utc)  # 01:00 Pacific: a new quota day
    book.check({"videos.insert": 1, "thumbnails.set": 1})
    assert book.usage()["used"] == {"videos.insert": 0, "units": 0}


# -- uploads ----------------------------------------------------------------------------

def test_resumable_upload_in_chunks_speaks_the_wire_protocol(yt, tmp_path):
    video, image = media(tmp_path), thumb(tmp_path)
    ch = channel(playlist_id="PLstandin")
    s = session(yt, ch)
    saved = Saved()
    state = s.publish(start_state(video), video=video, thumbnail=image, body=body(ch), save=saved)

    token = yt.seen("/token")[0]
    form = dict(x.split("=", 1) for x in token.body.decode().split("&"))
    assert form["grant_type"] == "refresh_token" and form["client_id"] == yt.client_id
    init = yt.seen("/upload/youtube/v3/videos")[0]
    assert init.method == "POST" and init.query["uploadType"] == ["resumable"]
    assert set(init.query["part"][0].split(",")) == {"snippet", "status"}
    assert init.headers["x-upload-content-length"] == str(video.stat().st_size)
    assert init.headers["x-upload-content-type"] == "video/mp4"
    meta = init.json()
    assert meta["status"] == {"privacyStatus": "private", "selfDeclaredMadeForKids": False,
                              "containsSyntheticMedia": True, "embeddable": True}
    assert meta["snippet"]["title"] == "Why cats purr" and meta["snippet"]["categoryId"] == "27"
    chunks = [r for r in yt.requests if r.method == "PUT"]
    assert [r.headers["content-range"] for r in chunks] == [
        "bytes 0-262143/700000", "bytes 262144-524287/700000", "bytes 524288-699999/700000"]
    assert all(r.headers["authorization"].startswith("Bearer ya29.standin-") for r in yt.requests[1:])

    (uploaded,) = yt.uploads()
    assert uploaded["_sha256"] == sha(video) and uploaded["id"] == state["video_id"]
    assert yt.thumbnails[state["video_id"]] == image.read_bytes()
    assert yt.seen("/upload/youtube/v3/thumbnails/set")[0].headers["content-type"] == "image/jpeg"
    assert [i["snippet"]["resourceId"]["videoId"] for i in yt.playlists["PLstandin"]] == [state["video_id"]]
    rb = state["readback"]
    assert rb["privacy"] == "private" and rb["synthetic_media"] is True and rb["upload_status"] == "uploaded"
    assert rb["processing_status"] == "processing" and rb["url"].endswith(state["video_id"])
    assert state["status"] == "done"
    # the session URI was saved before the first byte, and every acknowledged offset after it
    assert saved[0]["session_uri"] and saved[0]["offset"] == 0
    assert [x["offset"] for x in saved if x["status"] == "uploading"][1:] == [262144, 524288]
    assert s.quota.usage()["used"] == {"videos.insert": 1, "units": 101}
    assert yt.calls == {"token": 1, "videos.insert": 1, "thumbnails.set": 1, "playlistItems.insert": 1,
                        "videos.list": 1}


def test_cut_connection_after_the_server_stored_a_chunk_resumes_from_its_range(yt, tmp_path):
    video, image = media(tmp_path), thumb(tmp_path)
    yt.fault("cut-after-store", path="chunk", times=2)  # httplib2 re-sends once itself; then ours
    sleeps: list[float] = []
    state = session(yt, sleeps=sleeps).publish(start_state(video), video=video, thumbnail=image, body=body(),
                                               save=Saved())
    ranges = [r.headers["content-range"] for r in yt.requests if r.method == "PUT"]
    assert ranges == ["bytes 0-262143/700000", "bytes 0-262143/700000",  # the cut chunk (and httplib2's re-send)
                      "bytes */700000",  # our status query ...
                      "bytes 262144-524287/700000", "bytes 524288-699999/700000"]  # ... and on from its Range
    assert len(sleeps) == 1 and sleeps[0] <= 0.05
    (uploaded,) = yt.uploads()
    assert uploaded["_sha256"] == sha(video) and state["video_id"] == uploaded["id"]
    assert yt.calls["videos.insert"] == 1


def test_5xx_and_a_hung_chunk_are_retried_with_backoff(yt, tmp_path):
    video, image = media(tmp_path), thumb(tmp_path)
    yt.fault("503", path="chunk")
    yt.fault("hang", path="chunk", seconds=3)
    yt.fault("500", path="/youtube/v3/videos")  # the read-back too
    sleeps: list[float] = []
    state = session(yt, timeout_s=0.5, sleeps=sleeps).publish(start_state(video), video=video, thumbnail=image,
                                                              body=body(), save=Saved())
    assert len(sleeps) == 3
    assert [r.headers["content-range"] for r in yt.requests if r.method == "PUT"].count("bytes */700000") == 2
    assert yt.uploads()[0]["_sha256"] == sha(video) and state["status"] == "done"
    assert yt.overlap_bytes == 0


def test_upload_that_keeps_failing_stops_clearly_and_the_next_attempt_resumes(yt, tmp_path):
    video, image = media(tmp_path), thumb(tmp_path)
    yt.fault("500", path="chunk", times=2)
    yt.fault("500", path="status", times=1)
    saved = Saved()
    st = start_state(video)
    with pytest.raises(ProviderError) as err:
        session(yt, attempts=2).publish(st, video=video, thumbnail=image, body=body(), save=saved)
    assert err.value.transient and "resumes" in err.value.fix
    assert st["session_uri"] and not st["video_id"]
    state = session(yt).publish(st, video=video, thumbnail=image, body=body(), save=saved)
    assert yt.calls["videos.insert"] == 1 and len(yt.uploads()) == 1 and state["resumes"] == 1
    assert yt.uploads()[0]["_sha256"] == sha(video)


def test_finished_upload_whose_answer_was_lost_is_found_by_the_status_query(yt, tmp_path):
    video, image = media(tmp_path, size=100_000), thumb(tmp_path)
    yt.fault("cut-after-store", path="chunk", times=2)  # the only chunk: stored, answer lost (twice)
    state = session(yt).publish(start_state(video), video=video, thumbnail=image, body=body(), save=Saved())
    assert len(yt.uploads()) == 1 and state["video_id"] == yt.uploads()[0]["id"]
    assert [r.headers["content-range"] for r in yt.requests if r.method == "PUT"][-1] == "bytes */100000"


KILLED_UPLOADER = textwrap.dedent("""
    import json, sys
    sys.path[:0] = [{root!r}, {tests!r}]
    from pathlib import Path
    from test_youtube import channel, session, start_state, body
    from tests.standins.youtube import NAMED, YouTubeStandIn, google_error

    class Remote:  # the emulator runs in the test process; only its address is needed here
        url = {url!r}; client_id = {cid!r}; client_secret = {csec!r}

    state_file = Path({state!r})
    video = Path({video!r})
    def save(state):
        tmp = state_file.with_suffix(".tmp"); tmp.write_text(json.dumps(state)); tmp.replace(state_file)
    session(Remote()).publish(start_state(video), video=video, thumbnail=video, body=body(), save=save)
""")


def test_a_killed_upload_resumes_from_the_servers_range_in_a_new_process(yt, tmp_path):
    video, image = media(tmp_path, size=6 * CHUNK + 1000), thumb(tmp_path)
    state_file = tmp_path / "state.json"
    stored_three = threading.Event()
    release = threading.Event()

    def on_chunk(sess, received):
        if received >= 3 * CHUNK and not stored_three.is_set():
            stored_three.set()  # the third chunk is stored, its answer never arrives: kill the uploader now
            release.wait(10)

    yt.on_chunk = on_chunk
    code = KILLED_UPLOADER.format(root=str(ROOT), tests=str(ROOT / "tests" / "core"), url=yt.url, cid=yt.client_id,
                                  csec=yt.client_secret, state=str(state_file), video=str(video))
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=str(ROOT / "tests"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert stored_three.wait(30), proc.communicate(timeout=5)[0].decode()[-2000:]
        proc.kill()
        proc.wait(10)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
    yt.on_chunk = None
    crashed = json.loads(state_file.read_text())
    assert crashed["session_uri"] and crashed["offset"] == 2 * CHUNK and not crashed["video_id"]
    assert not yt.uploads()

    before = len(yt.requests)
    state = session(yt).publish(crashed, video=video, thumbnail=image, body=body(), save=Saved())
    after = [r for r in yt.requests[before:] if r.method == "PUT"]
    total = video.stat().st_size
    assert after[0].headers["content-range"] == f"bytes */{total}"  # asked first ...
    assert after[1].headers["content-range"].startswith(f"bytes {3 * CHUNK}-")  # ... went on from its Range
    assert yt.overlap_bytes == 0 and yt.calls["videos.insert"] == 1  # nothing re-sent, one session
    (uploaded,) = yt.uploads()
    assert uploaded["_sha256"] == sha(video) and state["video_id"] == uploaded["id"] and state["resumes"] == 1


def test_a_partition_with_a_video_id_never_uploads_again(yt, tmp_path):
    video, image = media(tmp_path, size=50_000), thumb(tmp_path)
    s = session(yt)
    state = s.publish(start_state(video), video=video, thumbnail=image, body=body(), save=Saved())
    again = s.publish(state, video=video, thumbnail=image, body=body(), save=Saved())
    assert again["video_id"] == state["video_id"]
    assert yt.calls["videos.insert"] == 1 and len(yt.uploads()) == 1
    assert yt.calls["thumbnails.set"] == 1 and yt.calls["videos.list"] == 2  # only the read-back repeats


def test_playlist_item_is_not_added_twice_after_a_crash(yt, tmp_path):
    video, image = media(tmp_path, size=50_000), thumb(tmp_path)
    ch = channel(playlist_id="PLstandin")
    yt.fault("cut", path="/youtube/v3/playlistItems", times=2)  # the insert landed? the client cannot tell
    st = start_state(video)
    with pytest.raises(ProviderError):
        session(yt, ch, attempts=1).publish(st, video=video, thumbnail=image, body=body(ch), save=Saved())
    assert st["playlist_pending"] and not st["playlist_item_id"]
    yt.playlists["PLstandin"].append({"id": "PLIlanded", "snippet": {"playlistId": "PLstandin", "resourceId": {
        "kind": "youtube#video", "videoId": st["video_id"]}}})  # it did land
    state = session(yt, ch).publish(st, video=video, thumbnail=image, body=body(ch), save=Saved())
    assert state["playlist_item_id"] == "PLIlanded" and len(yt.playlists["PLstandin"]) == 1
    assert yt.calls.get("playlistItems.insert", 0) == 0 and yt.calls["playlistItems.list"] == 1


# -- quota and errors -------------------------------------------------------------------

def test_quota_exceeded_defers_until_midnight_pacific_and_stops_calling(yt, tmp_path):
    video, image = media(tmp_path, size=50_000), thumb(tmp_path)
    yt.fault("quotaExceeded", path="initiate")
    s = session(yt)
    with pytest.raises(QuotaDeferred) as d:
        s.publish(start_state(video), video=video, thumbnail=image, body=body(), save=Saved())
    assert d.value.until.tzinfo.key == "America/Los_Angeles" and d.value.until.hour == 0
    assert "quotaExceeded" in d.value.message and "deferred until" in str(d.value)
    usage = s.quota.usage()
    assert usage["used"]["videos.insert"] == 1 and usage["failed"] == {"videos.insert": 1}  # it counted
    assert "videos.insert" in usage["exhausted"]
    seen = len(yt.requests)
    with pytest.raises(QuotaDeferred):
        s.publish(start_state(video), video=video, thumbnail=image, body=body(), save=Saved())
    assert len(yt.requests) == seen  # nothing is sent until the quota resets


@pytest.mark.parametrize("reason", sorted(QUOTA_REASONS))
def test_every_quota_reason_defers_the_upload_and_pauses_trend_search(yt, tmp_path, reason):
    """Both YouTube clients read errors with one parser and one set of quota reasons."""
    video, image = media(tmp_path, size=50_000), thumb(tmp_path)
    yt.fault(reason, path="initiate")
    with pytest.raises(QuotaDeferred) as d:
        session(yt).publish(start_state(video), video=video, thumbnail=image, body=body(), save=Saved())
    assert reason in d.value.message and d.value.bucket == "videos.insert"
    assert d.value.until == next_pacific_midnight(datetime.now(timezone.utc))
    err = YouTubeClient(api_key="k").classify(http_error(403, NAMED[reason][1]), channel(), "search.list")
    assert err.transient and reason in err.message and "midnight Pacific" in err.message
    assert err.retry_after >= 60


@pytest.mark.parametrize("reason", sorted(RATE_REASONS))
def test_every_rate_reason_is_retried_by_both_clients(reason):
    body_ = google_error(403, reason, "Slow down.")
    assert classify(http_error(403, body_), "curious-minds").transient
    assert YouTubeClient(api_key="k").classify(http_error(403, body_), channel(), "search.list").transient


def test_error_bodies_of_every_shape_name_their_reason():
    assert parse_error(json.dumps(NAMED["quotaExceeded"][1]).encode()) == (
        "quotaExceeded", "The request cannot be completed because you have exceeded your "
        '<a href="/youtube/v3/getting-started#quota">quota</a>.', "")
    # the token endpoint's shape
    assert parse_error(json.dumps({"error": "invalid_grant", "error_description": "Token has been\n expired."})) == (
        "invalid_grant", "Token has been expired.", "")
    # a generic first reason gives way to the telling one in details; no reason at all falls back to the status
    vague = {"error": {"message": "API key not valid.", "errors": [{"reason": "badRequest", "location": "key"}],
                       "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}}
    assert parse_error(json.dumps(vague)) == ("API_KEY_INVALID", "API key not valid.", "key")
    assert parse_error('{"error": {"status": "UNAUTHENTICATED", "message": "no"}}').reason == "UNAUTHENTICATED"
    # a front end's HTML page, and nothing at all
    assert parse_error(b"<html><body><h1>502</h1> Bad&nbsp;Gateway</body></html>") == ("", "502 Bad Gateway", "")
    assert parse_error(b"") == ("", "", "")


def test_upload_limit_exceeded_defers_for_24_hours(yt, tmp_path):
    video, image = media(tmp_path, size=50_000), thumb(tmp_path)
    yt.fault("uploadLimitExceeded", path="initiate")
    with pytest.raises(QuotaDeferred) as d:
        session(yt).publish(start_state(video), video=video, thumbnail=image, body=body(), save=Saved())
    assert d.value.bucket == "channel-uploads" and "uploadLimitExceeded" in d.value.message
    wait = d.value.until - datetime.now(timezone.utc)
    assert 23.9 * 3600 < wait.total_seconds() <= 24 * 3600


def test_more_videos_than_quota_defers_the_rest_and_never_exceeds(yt, tmp_path):
    store = MemoryQuotaStore()
    book = QuotaBook(store, "proj-a", QuotaRules(insert_calls_per_day=2, units_per_day=10_000))
    image = thumb(tmp_path)
    done, deferred = [], []
    for i in range(3):
        video = media(tmp_path, size=30_000, name=f"v{i}.mp4")
        try:
            done.append(session(yt, book=book).publish(start_state(video, partition=f"curious-minds--t{i}"),
                                                       video=video, thumbnail=image, body=body(), save=Saved()))
        except QuotaDeferred as exc:
            deferred.append(exc)
    assert len(done) == 2 and len(deferred) == 1 and len(yt.uploads()) == 2
    assert book.usage()["used"]["videos.insert"] == 2 == yt.calls["videos.insert"]
    # the units bucket: a publication needs 51 units (thumbnail + read-back); 120 allow two
    book2 = QuotaBook(MemoryQuotaStore(), "proj-b", QuotaRules(insert_calls_per_day=100, units_per_day=120))
    results = []
    for i in range(3):
        video = media(tmp_path, size=30_000, name=f"w{i}.mp4")
        try:
            session(yt, book=book2).publish(start_state(video, partition=f"curious-minds--w{i}"), video=video,
                                            thumbnail=image, body=body(), save=Saved())
            results.append("ok")
        except QuotaDeferred:
            results.append("deferred")
    assert results == ["ok", "ok", "deferred"] and book2.usage()["used"]["units"] == 102 <= 120


def test_revoked_refresh_token_says_to_rerun_the_auth_command_without_leaking_secrets(yt, tmp_path):
    video, image = media(tmp_path, size=50_000), thumb(tmp_path)
    info = creds(yt, refresh_token="1//revoked-refresh-token-value")
    with pytest.raises(ProviderError) as err:
        session(yt, info=info).publish(start_state(video), video=video, thumbnail=image, body=body(), save=Saved())
    text = str(err.value)
    assert "shortsmith youtube-auth --channel curious-minds" in text and not err.value.transient
    assert "invalid_grant" in text
    assert "1//revoked-refresh-token-value" not in text and yt.client_secret not in text
    assert not yt.seen("/upload")  # nothing was sent without a token


def test_refused_access_token_says_to_rerun_the_auth_command(yt, tmp_path):
    video, image = media(tmp_path, size=50_000), thumb(tmp_path)
    yt.fault("authError", path="initiate", times=3)  # google-auth-httplib2 refreshes twice on 401, then gives up
    s = session(yt)
    with pytest.raises(ProviderError) as err:
        s.publish(start_state(video), video=video, thumbnail=image, body=body(), save=Saved())
    assert "youtube-auth --channel curious-minds" in str(err.value) and "401" in str(err.value)
    assert yt.calls["token"] == 3
    assert all(t not in str(err.value) for t in yt.access_tokens)


def test_a_video_rejected_after_upload_is_a_clear_error_and_is_never_reuploaded(yt, tmp_path):
    video, image = media(tmp_path, size=50_000), thumb(tmp_path)
    yt.readback_status = "rejected"
    st = start_state(video)
    with pytest.raises(UploadRejected) as err:
        session(yt).publish(st, video=video, thumbnail=image, body=body(), save=Saved())
    assert "rejected" in str(err.value) and "duplicate" in str(err.value) and "new partition" in err.value.fix
    assert st["status"] == "rejected" and st["video_id"]
    with pytest.raises(UploadRejected):
        session(yt).publish(st, video=video, thumbnail=image, body=body(), save=Saved())
    assert yt.calls["videos.insert"] == 1


def test_credentials_come_from_a_private_file_or_an_env_var(tmp_path, yt):
    good = json.dumps(creds(yt))
    path = tmp_path / "token.json"
    path.write_text(good)
    path.chmod(0o644)
    with pytest.raises(ConfigError) as err:
        load_authorized_user(channel(credentials=str(path)))
    assert "chmod 600" in err.value.fix
    path.chmod(0o600)
    assert load_authorized_user(channel(credentials=str(path)))["client_id"] == yt.client_id
    ch = channel(credentials=None, credentials_env="YT_TOKEN_TEST")
    with pytest.raises(ConfigError) as err:
        load_authorized_user(ch, environ={})
    assert "YT_TOKEN_TEST" in str(err.value) and "youtube-auth --channel curious-minds" in err.value.fix
    assert load_authorized_user(ch, environ={"YT_TOKEN_TEST": good})["refresh_token"]
    with pytest.raises(ConfigError) as err:
        load_authorized_user(ch, environ={"YT_TOKEN_TEST": json.dumps({"client_id": "x"})})
    assert "refresh_token" in str(err.value) and "x" not in err.value.fix.split("--channel")[0]


# -- statistics -------------------------------------------------------------------------

def test_statistics_are_read_50_ids_per_call(yt):
    ids = [f"vid{i:08d}"[:11] for i in range(120)]
    for i, vid in enumerate(ids):
        yt.add_video(vid, views=i * 10, likes=i, comments=None if i == 7 else i // 2)
    s = session(yt)
    stats = s.statistics(ids + ids[:5])  # duplicates are asked once
    calls = yt.seen("/youtube/v3/videos")
    assert [len(r.query["id"][0].split(",")) for r in calls] == [50, 50, 20]
    assert all(r.query["part"] == ["statistics"] for r in calls)
    assert stats[ids[12]] == {"views": 120, "likes": 12, "comments": 6}
    assert stats[ids[7]]["comments"] is None  # comments disabled: unknown, not zero
    assert s.quota.usage()["used"]["units"] == 3


# -- the OAuth command --------------------------------------------------------------------

class ConsentingBrowser(webbrowser.BaseBrowser):
    """Plays the user: opens the consent URL at the emulator and follows its redirect to the local server."""

    def __init__(self):
        super().__init__("standin")
        self.opened: list[str] = []
        self.errors: list[BaseException] = []

    def open(self, url, new=0, autoraise=True):
        self.opened.append(url)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        def consent():
            try:
                opener = urllib.request.build_opener(NoRedirect)
                try:
                    opener.open(url, timeout=5)
                except urllib.error.HTTPError as exc:  # the 302
                    location = exc.headers["Location"]
                urllib.request.urlopen(location, timeout=5).read()
            except BaseException as exc:
                self.errors.append(exc)

        threading.Thread(target=consent, daemon=True).start()
        return True


def test_youtube_auth_command_writes_a_0600_token_file_and_prints_only_the_path(yt, tmp_path, monkeypatch, capsys):
    import yaml

    from tests.conftest import write_channels
    from pipeline_defs import cli

    client = {"installed": {"client_id": yt.client_id, "client_secret": yt.client_secret,
                            "auth_uri": yt.url + "/o/oauth2/auth", "token_uri": yt.url + "/token",
                            "redirect_uris": ["http://localhost"]}}
    (tmp_path / "client.json").write_text(json.dumps(client))
    channels = write_channels(tmp_path / "channels.yaml", youtube={
        "credentials": "secrets/curious-minds.json", "client_secrets": "client.json", "project": "proj-a"})
    assert yaml.safe_load(channels.read_text())["channels"][0]["youtube"]["credentials"]
    monkeypatch.setenv("SHORTSMITH_CHANNELS", str(channels))
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulator's token endpoint is plain http
    browser = ConsentingBrowser()
    webbrowser.register("shortsmith-standin", None, browser)
    monkeypatch.setenv("BROWSER", "shortsmith-standin")

    assert cli.main(["youtube-auth", "--channel", "curious-minds"]) == 0
    out, err = capsys.readouterr()
    target = tmp_path / "secrets" / "curious-minds.json"
    assert out.strip() == str(target)
    assert not browser.errors
    (url,) = browser.opened
    assert "code_challenge=" in url and "access_type=offline" in url
    for scope in ("youtube.upload", "youtube.readonly", "youtube.force-ssl"):
        assert scope in url
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    saved = json.loads(target.read_text())
    assert saved["refresh_token"] in yt.refresh_tokens and saved["client_secret"] == yt.client_secret
    assert "token" not in saved
    exchange = [r for r in yt.seen("/token") if b"authorization_code" in r.body][0]
    assert b"code_verifier=" in exchange.body
    for secret in (saved["refresh_token"], yt.client_secret, *yt.access_tokens):
        assert secret not in out and secret not in err
    # the stored credentials work: a real call with them
    ch = channel(credentials=str(target))
    yt.add_video("abcdefghijk", views=5)
    stats = session(yt, ch, info=load_authorized_user(ch)).statistics(["abcdefghijk"])
    assert stats["abcdefghijk"]["views"] == 5
