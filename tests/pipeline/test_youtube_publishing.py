"""published_uploads to YouTube through Dagster, against the loopback YouTube emulator.

The partition's media is pre-populated with a real 1 s 108x192 MP4 and a JPEG thumbnail (made with
ffmpeg), so only ``published_uploads`` is materialized; the upload goes through the real
googleapiclient/google-auth stack to tests/standins/youtube.py, which checks the bytes it received.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import write_channels
from pipeline_defs.assets.published_uploads import published_uploads
from pipeline_defs.ledger import Ledger
from pipeline_defs.resources.channels import ChannelsResource
from pipeline_defs.resources.publisher import YouTubePublisher
from pipeline_defs.resources.storage import MediaStorage
from pipeline_defs.youtube_quota_ledger import UploadRecords, YouTubeQuotaLedger
from shortsmith.config import load_channels
from shortsmith.ffmpeg import ffmpeg_path
from shortsmith.model import write_json
from shortsmith.quota import local_day, utcnow
from shortsmith.script import write_offline_script
from shortsmith.storage import LocalMediaStore
from shortsmith.youtube_quota import next_pacific_midnight, pacific_day
from tests.standins.youtube import YouTubeStandIn

KEY = "curious-minds--why-cats-purr"
TOPICS = ["Why cats purr", "How octopuses change color", "Why the sky is blue"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("clip")
    video, image = d / "video.mp4", d / "thumbnail.jpg"
    # noise encoded losslessly: a real 1 s MP4 of ~1 MB, so the upload takes several 256 KiB chunks
    subprocess.run([ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "nullsrc=size=108x192:rate=30,geq=lum='random(1)*255':cb=128:cr=128", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=48000", "-t", "1", "-c:v", "libx264", "-qp", "0",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(video)],
                   check=True, timeout=60)
    subprocess.run([ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=108x192", "-frames:v", "1", str(image)], check=True, timeout=60)
    return video, image


@pytest.fixture
def yt():
    with YouTubeStandIn() as api:
        yield api


class Env:
    def __init__(self, tmp: Path, yt: YouTubeStandIn, clip, instance, refresh_token=None, **channel):
        self.tmp, self.yt, self.clip, self.instance = tmp, yt, clip, instance
        token = tmp / "secrets" / "curious-minds.json"
        token.parent.mkdir(exist_ok=True)
        token.write_text(json.dumps({"refresh_token": refresh_token or next(iter(yt.refresh_tokens)),
                                     "client_id": yt.client_id, "client_secret": yt.client_secret,
                                     "type": "authorized_user"}))
        token.chmod(0o600)
        youtube = {"credentials": "secrets/curious-minds.json", "project": "shortsmith-test",
                   "playlist_id": "PLstandin", **channel.pop("youtube", {})}
        self.channels_file = write_channels(tmp / "channels.yaml", videos_per_day=5, youtube=youtube, **channel)
        self.channel = load_channels(self.channels_file).channels[0]
        self.store = LocalMediaStore(tmp / "media")

    def publisher(self, **overrides) -> YouTubePublisher:
        settings = dict(root=str(self.tmp / "channel"), root_url=self.yt.url + "/", token_uri=self.yt.url + "/token",
                        chunk_size=256 * 1024, timeout_s=3.0, max_attempts=3, base_delay_s=0.01, max_delay_s=0.05)
        return YouTubePublisher(**{**settings, **overrides})

    def populate(self, topic: str) -> str:
        from shortsmith.topics import find_seed, partition_key, slugify

        key = partition_key(self.channel.name, topic)
        video, image = self.clip
        with self.store.write_stage(key, "script", "fp") as w:
            write_json(w.path("script.json"), write_offline_script(self.channel, topic, find_seed(self.channel, slugify(topic))))
        with self.store.write_stage(key, "video", "fp", {"checks_passed": True, "checks": []}) as w:
            w.path("video.mp4").write_bytes(video.read_bytes())
        with self.store.write_stage(key, "thumbnail", "fp") as w:
            w.path("thumbnail.jpg").write_bytes(image.read_bytes())
        self.instance.add_dynamic_partitions("videos", [key])
        return key

    def publish(self, key: str, **publisher):
        return dg.materialize([published_uploads], partition_key=key, instance=self.instance, raise_on_error=False,
                              resources={"channels": ChannelsResource(path=str(self.channels_file)),
                                         "storage": MediaStorage(root=str(self.tmp / "media")),
                                         "publisher": self.publisher(**publisher)})


@pytest.fixture
def env(tmp_path, yt, clip):
    with dg.instance_for_test() as instance:
        yield Env(tmp_path, yt, clip, instance)


def meta(result) -> dict:
    mats = result.asset_materializations_for_node("published_uploads")
    assert mats, "published_uploads was not materialized"
    return {k: v.value for k, v in mats[-1].metadata.items()}


def failure(result) -> str:
    event = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    return event.event_specific_data.error.message


def everything_logged(result, instance) -> str:
    text = [str(e) for e in result.all_events]
    text += [r.user_message or "" for r in instance.all_logs(result.run_id)]
    text += [repr(r.dagster_event) for r in instance.all_logs(result.run_id) if r.dagster_event is not None]
    return "\n".join(text)


def secrets(yt) -> list[str]:
    return [*yt.refresh_tokens, yt.client_secret, *yt.access_tokens]


def test_publish_end_to_end_uploads_the_real_file_once(env):
    key = env.populate(TOPICS[0])
    result = env.publish(key)
    assert result.success, failure(result)
    m = meta(result)
    (uploaded,) = env.yt.uploads()
    video_bytes = env.store.file(key, "video", "video.mp4").read_bytes()
    assert uploaded["_sha256"] == hashlib.sha256(video_bytes).hexdigest() and uploaded["_content_type"] == "video/mp4"
    assert len(video_bytes) > 3 * 256 * 1024  # several chunks
    assert len([r for r in env.yt.requests if r.method == "PUT"]) == -(-len(video_bytes) // (256 * 1024))
    assert m["status"] == "published" and m["destination"] == "youtube" and m["video_id"] == uploaded["id"]
    assert m["url"] == f"https://www.youtube.com/shorts/{uploaded['id']}"
    assert m["privacy"] == "private" and m["synthetic_media"] is True
    assert m["upload_status"] == "uploaded" and m["processing_status"] == "processing"
    assert m["playlist_item_id"] and m["quota_insert_calls"] == "1/100" and m["quota_units"] == "101/10000"
    sent = env.yt.seen("/upload/youtube/v3/videos")[0].json()
    assert sent["snippet"]["title"] == "Why cats purr" and sent["status"]["privacyStatus"] == "private"
    assert sent["status"]["containsSyntheticMedia"] is True and sent["status"]["selfDeclaredMadeForKids"] is False
    assert env.yt.thumbnails[uploaded["id"]] == env.store.file(key, "thumbnail", "thumbnail.jpg").read_bytes()
    day = local_day(utcnow(), env.channel.timezone)
    assert Ledger(env.instance).published(env.channel.name, day)[key]["video_id"] == uploaded["id"]
    assert UploadRecords(env.instance).videos(env.channel.name) == {key: uploaded["id"]}
    usage = YouTubeQuotaLedger(env.instance).load("shortsmith-test", pacific_day(utcnow()))
    assert usage["used"] == {"videos.insert": 1, "units": 101}
    assert "why-cats-purr" in env.store.read_record("used-topics", env.channel.name)["slugs"]
    logged = everything_logged(result, env.instance)
    assert all(s not in logged for s in secrets(env.yt))
    assert UploadRecords(env.instance).get(key)["session_uri"] is None

    again = env.publish(key)
    assert again.success
    m2 = meta(again)
    assert m2["status"] == "already_published" and m2["video_id"] == uploaded["id"]
    assert len(env.yt.uploads()) == 1 and env.yt.calls["videos.insert"] == 1
    assert env.publisher().existing(key, env.instance).video_id == uploaded["id"]


def test_a_cut_upload_fails_clearly_then_the_rerun_resumes_into_one_video(env):
    key = env.populate(TOPICS[0])
    env.yt.fault("cut-after-store", path="chunk")  # the server keeps chunk 1, the answer is lost ...
    env.yt.fault("cut", path="chunk", times=50)  # ... and then every chunk is cut
    first = env.publish(key)
    assert not first.success
    message = failure(first)
    assert "resumes from the bytes YouTube already has" in message
    state = UploadRecords(env.instance).get(key)
    assert state["session_uri"] and state["offset"] == 256 * 1024 and not state["video_id"]
    assert not env.yt.uploads()

    env.yt.clear_faults()
    before = len(env.yt.requests)
    second = env.publish(key)
    assert second.success, failure(second)
    assert meta(second)["resumed"] == 1 and meta(second)["status"] == "published"
    puts = [r.headers["content-range"] for r in env.yt.requests[before:] if r.method == "PUT"]
    size = env.store.file(key, "video", "video.mp4").stat().st_size
    assert puts[0] == f"bytes */{size}" and puts[1].startswith(f"bytes {256 * 1024}-")
    (uploaded,) = env.yt.uploads()
    assert uploaded["_sha256"] == hashlib.sha256(env.store.file(key, "video", "video.mp4").read_bytes()).hexdigest()
    assert env.yt.calls["videos.insert"] == 1


def test_more_videos_than_the_quota_allows_are_deferred_and_the_ledger_never_exceeds(env):
    keys = [env.populate(t) for t in TOPICS]
    results = [env.publish(k, insert_calls_per_day=2) for k in keys]
    assert all(r.success for r in results)
    statuses = [meta(r)["status"] for r in results]
    assert statuses == ["published", "published", "deferred"]
    deferred = meta(results[2])
    until = next_pacific_midnight(utcnow())
    assert deferred["deferred_until"] == until.isoformat() and "deferred until" in deferred["reason"]
    assert deferred["quota_bucket"] == "videos.insert" and deferred["quota_insert_calls"] == "2/2"
    assert keys[2] in Ledger(env.instance).deferred(env.channel.name)
    assert len(env.yt.uploads()) == 2 and env.yt.calls["videos.insert"] == 2
    usage = YouTubeQuotaLedger(env.instance).load("shortsmith-test", pacific_day(utcnow()))
    assert usage["used"]["videos.insert"] == 2
    # YouTube's own quotaExceeded also defers (and the failed call counts)
    env.yt.fault("quotaExceeded", path="initiate")
    r = env.publish(keys[2], insert_calls_per_day=3)
    assert r.success and meta(r)["status"] == "deferred" and "quotaExceeded" in meta(r)["reason"]
    usage = YouTubeQuotaLedger(env.instance).load("shortsmith-test", pacific_day(utcnow()))
    assert usage["used"]["videos.insert"] == 3 and usage["failed"] == {"videos.insert": 1}
    assert len(env.yt.uploads()) == 2


def test_revoked_credentials_fail_with_the_auth_command_and_leak_nothing(tmp_path, yt, clip):
    with dg.instance_for_test() as instance:
        env = Env(tmp_path, yt, clip, instance, refresh_token="1//revoked-but-secret-token")
        key = env.populate(TOPICS[0])
        result = env.publish(key)
        assert not result.success
        message = failure(result)
        assert "shortsmith youtube-auth --channel curious-minds" in message and "invalid_grant" in message
        logged = everything_logged(result, instance)
        assert "1//revoked-but-secret-token" not in logged and yt.client_secret not in logged
        assert not yt.uploads()


def test_a_rejected_video_is_a_clear_failure_and_is_never_uploaded_again(env):
    key = env.populate(TOPICS[0])
    env.yt.readback_status = "rejected"
    first = env.publish(key)
    assert not first.success and "rejected" in failure(first) and "duplicate" in failure(first)
    second = env.publish(key)
    assert not second.success
    assert env.yt.calls["videos.insert"] == 1 and len(env.yt.uploads()) == 1


def test_channels_without_credentials_keep_the_offline_folder(env, tmp_path):
    env.channels_file = write_channels(tmp_path / "offline.yaml", videos_per_day=5)
    key = env.populate(TOPICS[1])
    result = env.publish(key)
    assert result.success
    m = meta(result)
    assert m["status"] == "published" and m["video_id"].startswith("local-")
    assert (tmp_path / "channel" / "curious-minds" / key / "video.mp4").is_file()
    assert not env.yt.requests


def test_publisher_from_env_reads_its_settings_at_run_time(env, monkeypatch):
    from pipeline_defs.resources.publisher import publisher_from_env

    monkeypatch.setenv("SHORTSMITH_YOUTUBE_ROOT_URL", env.yt.url + "/")
    monkeypatch.setenv("SHORTSMITH_YOUTUBE_TOKEN_URI", env.yt.url + "/token")
    monkeypatch.setenv("SHORTSMITH_YOUTUBE_INSERTS_PER_DAY", "1")
    monkeypatch.setenv("SHORTSMITH_YOUTUBE_CHUNK_BYTES", str(512 * 1024))
    keys = [env.populate(t) for t in TOPICS[:2]]
    resources = {"channels": ChannelsResource(path=str(env.channels_file)),
                 "storage": MediaStorage(root=str(env.tmp / "media")),
                 "publisher": publisher_from_env(str(env.tmp / "channel"))}
    results = [dg.materialize([published_uploads], partition_key=k, instance=env.instance, resources=resources)
               for k in keys]
    assert [meta(r)["status"] for r in results] == ["published", "deferred"]
    puts = [r for r in env.yt.requests if r.method == "PUT"]
    assert puts[0].headers["content-range"].startswith(f"bytes 0-{512 * 1024 - 1}/")
