import json
from pathlib import Path

import pytest

from shortsmith.config import load_channels, parse_channels
from shortsmith.errors import ValidationFailed
from shortsmith.publish import LocalChannelPublisher, build_upload_request
from shortsmith.script import write_offline_script
from shortsmith.storage import LocalMediaStore, fingerprint
from shortsmith.topics import find_seed

KEY = "c--why-cats-purr"
CATS = find_seed(load_channels(Path(__file__).resolve().parents[2] / "channels.yaml").get("curious-minds"),
                 "why-cats-purr")  # the sample topic's points: the offline writer tells only facts
CHANNEL = parse_channels({"channels": [{"name": "c", "niche": "cats", "topics": ["Why cats purr"],
                                        "privacy": "unlisted"}]}).get("c")


def test_stage_commit_is_atomic_and_keeps_the_last_good_version(tmp_path):
    store = LocalMediaStore(tmp_path)
    fp = fingerprint("a", 1)
    with store.write_stage(KEY, "script", fp, {"n": 1}) as w:
        w.path("script.json").write_text('{"v": 1}')
    assert store.reusable(KEY, "script", fp)["n"] == 1
    with pytest.raises(RuntimeError):
        with store.write_stage(KEY, "script", fingerprint("b")) as w:
            w.path("script.json").write_text('{"v": 2, "half": ')
            raise RuntimeError("crash mid-stage")
    # the failed retry left the complete version untouched and no debris behind
    assert json.loads(store.file(KEY, "script", "script.json").read_text()) == {"v": 1}
    assert [p.name for p in store.partition_dir(KEY).iterdir()] == ["script"]
    assert store.reusable(KEY, "script", fingerprint("b")) is None  # other inputs: not reusable


def test_truncated_file_is_not_complete(tmp_path):
    store = LocalMediaStore(tmp_path)
    with store.write_stage(KEY, "video", "fp") as w:
        w.path("video.mp4").write_bytes(b"x" * 1000)
    store.file(KEY, "video", "video.mp4").write_bytes(b"x" * 10)
    assert store.manifest(KEY, "video") is None


def test_upload_request_has_explicit_privacy_and_disclosure():
    req = build_upload_request(write_offline_script(CHANNEL, "Why cats purr", CATS), CHANNEL)
    assert req["status"] == {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": False,
                             "containsSyntheticMedia": True, "embeddable": True}
    assert req["snippet"]["title"] == "Why cats purr"


@pytest.mark.parametrize("title, field", [("x" * 101, "snippet.title"), ("a <b>", "snippet.title"), ("", "snippet.title")])
def test_upload_request_limits(title, field):
    s = write_offline_script(CHANNEL, "Why cats purr", CATS)
    s.title = title
    with pytest.raises(ValidationFailed) as e:
        build_upload_request(s, CHANNEL)
    assert e.value.field == field


def test_local_publisher_publishes_once(tmp_path):
    video, thumb = tmp_path / "v.mp4", tmp_path / "t.jpg"
    video.write_bytes(b"video")
    thumb.write_bytes(b"thumb")
    pub = LocalChannelPublisher(tmp_path / "channel")
    req = build_upload_request(write_offline_script(CHANNEL, "Why cats purr", CATS), CHANNEL)
    first = pub.publish(KEY, video=video, thumbnail=thumb, request=req)
    video.write_bytes(b"a different render")
    second = pub.publish(KEY, video=video, thumbnail=thumb, request=req)
    assert second.already_published and second.video_id == first.video_id
    folder = Path(first.folder)
    assert sorted(p.name for p in folder.iterdir()) == ["metadata.json", "publication.json", "thumbnail.jpg", "video.mp4"]
    assert (folder / "video.mp4").read_bytes() == b"video"
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["status"]["containsSyntheticMedia"] is True and meta["id"] == first.video_id
    assert len(list((tmp_path / "channel" / "c").iterdir())) == 1


def test_both_stores_implement_the_media_store_interface(tmp_path):
    from shortsmith.s3store import S3MediaStore
    from shortsmith.storage import MediaStore

    local = LocalMediaStore(tmp_path / "media")
    remote = S3MediaStore(object(), "bucket", cache_dir=tmp_path / "cache")  # no call is made here
    assert isinstance(local, MediaStore) and isinstance(remote, MediaStore)
    key = "curious-minds--why-cats-purr"
    assert local.stage_dir(key, "video") == tmp_path / "media" / "curious-minds" / key / "video"
    assert remote.stage_dir(key, "video") == tmp_path / "cache" / "curious-minds" / key / "video"

    class Partial(MediaStore):  # a store that forgets part of the interface cannot be made
        def manifest(self, partition, stage):
            return None

    with pytest.raises(TypeError, match="abstract"):
        Partial()
    from shortsmith.errors import InputError

    with pytest.raises(InputError) as err:  # require() names the stage and what to materialize
        local.require(key, "video")
    assert err.value.field == "video" and "materialize 'video'" in err.value.fix
