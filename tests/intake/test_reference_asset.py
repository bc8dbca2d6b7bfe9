"""The reference_media asset on real files: fetched into the store from a loopback page, reused on a re-run,
and the rights rule that stops clips of a source from being published (issue 14)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from pipeline_defs.assets.reference_media import reference_media
from pipeline_defs.resources.storage import MediaStorage
from shortsmith.intake.media import sha256_of
from shortsmith.ffmpeg import ffmpeg_path
from shortsmith.intake.references import (STAGE, add_reference, fetch_into_store, load, reference_of,
                                          refusal_to_publish)
from shortsmith.storage import LocalMediaStore
from tests.standins.media_server import MediaServer, make_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("refclip") / "clip.mp4")


def materialize(media_root: Path, key: str, instance):
    instance.add_dynamic_partitions("references", [key])
    return dg.materialize([reference_media], partition_key=key, instance=instance,
                          resources={"storage": MediaStorage(root=str(media_root))}, raise_on_error=False)


def meta(result) -> dict:
    mats = result.asset_materializations_for_node("reference_media")
    return {k: v.value for k, v in mats[-1].metadata.items()}


def test_a_page_is_fetched_into_the_store_and_reused(clip, tmp_path, monkeypatch):
    monkeypatch.setenv("SHORTSMITH_ALLOW_PRIVATE_URLS", "1")
    store = LocalMediaStore(tmp_path / "media")
    with MediaServer() as server, dg.instance_for_test() as instance:
        server.add("/v/talk.mp4", clip)
        page = server.add_page("/watch/talk.html", "/v/talk.mp4")
        key = add_reference(store, page)
        assert key.startswith("references--127-0-0-1-") and key == add_reference(store, page)
        first = materialize(tmp_path / "media", key, instance)
        assert first.success
        m = meta(first)
        assert m["title"].startswith("Bees in the city") and m["duration_seconds"] == pytest.approx(3.0, abs=0.1)
        assert (m["width"], m["height"], m["content_type"], m["reused"]) == (320, 240, "video/mp4", False)
        assert m["licence"] == "(none stated)" and m["size_bytes"] == clip.stat().st_size
        checks = {e.asset_check_key.name: e.passed for e in first.get_asset_check_evaluations()}
        assert checks == {"playable_reference": True}
        stored = Path(store.file(key, STAGE, "media.mp4"))
        assert sha256_of(stored) == sha256_of(clip)
        mtime, seen = stored.stat().st_mtime_ns, len(server.requests)

        again = materialize(tmp_path / "media", key, instance)
        assert again.success and meta(again)["reused"] is True
        assert stored.stat().st_mtime_ns == mtime and len(server.requests) == seen  # nothing fetched again


def test_a_refused_source_fails_the_step_with_its_fix(tmp_path):
    store = LocalMediaStore(tmp_path / "media")
    key = add_reference(store, "http://169.254.169.254/latest/meta-data/")
    with dg.instance_for_test() as instance:
        result = materialize(tmp_path / "media", key, instance)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    text = failure.event_specific_data.error.message
    assert "cloud metadata address" in text and "Fix:" in text
    assert store.manifest(key, STAGE) is None


def test_clips_are_published_only_when_owned_or_licensed_for_reuse(clip, tmp_path):
    store = LocalMediaStore(tmp_path / "media")
    cc = tmp_path / "cc-by.mp4"
    shutil.copyfile(clip, tmp_path / "plain.mp4")
    subprocess.run([ffmpeg_path(), "-v", "error", "-i", str(clip), "-c", "copy", "-metadata", "copyright=CC BY 4.0",
                    "-metadata", "artist=Sam Example", str(cc)], check=True)
    plain, licensed = add_reference(store, str(tmp_path / "plain.mp4")), add_reference(store, str(cc))
    for key in (plain, licensed):
        fetch_into_store(store, key)  # what the asset runs (the asset itself is tested above)

    message, fix = refusal_to_publish(store, plain)
    assert "states no licence" in message and "--rights owned" in fix
    ref = load(store, licensed)
    assert (ref.licence, ref.uploader) == ("CC BY 4.0", "Sam Example")
    assert refusal_to_publish(store, licensed) is None
    add_reference(store, str(tmp_path / "plain.mp4"), rights="owned")  # the user declares it theirs
    assert refusal_to_publish(store, plain) is None and load(store, plain).rights == "owned"
    # a clip partition names its reference in its request record; videos without one are not affected
    store.write_record("requests", "curious-minds--clip-1", {"topic": "clip", "reference": plain})
    assert reference_of(store, "curious-minds--clip-1") == plain
    assert reference_of(store, "curious-minds--why-cats-purr") is None


def test_the_publish_step_stops_a_clip_of_a_reference_without_reuse_rights(clip, tmp_path):
    """published_uploads' hook: the clip's request names its reference; no licence and not owned -> stop."""
    from types import SimpleNamespace

    from pipeline_defs.assets.published_uploads import _require_rights
    from shortsmith.errors import ValidationFailed

    store = LocalMediaStore(tmp_path / "media")
    key = add_reference(store, str(clip))
    fetch_into_store(store, key)
    store.write_record("requests", "curious-minds--talk-clip-1", {"topic": "A clip", "reference": key})
    step = SimpleNamespace(store=store, partition="curious-minds--talk-clip-1")
    with pytest.raises(ValidationFailed, match="not published: it states no licence") as err:
        _require_rights(step)
    assert err.value.field == "rights" and "--rights owned" in err.value.fix
    _require_rights(SimpleNamespace(store=store, partition="curious-minds--why-cats-purr"))  # not a clip: passes
    add_reference(store, str(clip), rights="owned")
    _require_rights(step)  # declared the user's own: passes
