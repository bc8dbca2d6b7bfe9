"""The studio for real: dagster-daemon runs what the studio launches over GraphQL; the studio on a loopback
uvicorn; Debian's chromium driven by Playwright. One video of a `review: required` channel goes through
create -> awaiting approval -> reject with a re-render of one stage -> approve -> published exactly once,
and the new-video form starts a run whose progress streams into the page (then it is cancelled).
Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import dagster as dg
import httpx
import pytest

from tests.deploy.conftest import VENV_BIN, free_port, server
from tests.deploy.test_ui import artifacts_dir
from studio import db
from studio.app import create_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
RUN_TIMEOUT = 420  # one 360x640 video on a busy 2-core machine
TOPIC = "Why cats purr"
KEY = "curious-minds--why-cats-purr"


@pytest.fixture
def live(studio_env, tmp_path):
    """The daemon (launches queued runs) and the studio on a loopback port."""
    import uvicorn

    home = Path(studio_env.instance.root_directory)
    (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text() + "\nnux:\n  enabled: false\n")
    with server([str(VENV_BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], tmp_path / "daemon.log",
                cwd=ROOT) as daemon:
        port = free_port()
        srv = uvicorn.Server(uvicorn.Config(create_app(studio_env), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not srv.started and time.monotonic() < deadline:
            time.sleep(0.1)
        assert srv.started, "the studio did not start within 30 s"
        try:
            yield {"url": f"http://127.0.0.1:{port}", "studio": studio_env, "daemon": daemon, "log": tmp_path / "daemon.log"}
        finally:
            srv.should_exit = True
            thread.join(10)


def wait_state(http, key, headers, want: set[str], after_run: str | None = None, timeout=RUN_TIMEOUT, log=None):
    deadline = time.monotonic() + timeout
    v = None
    while time.monotonic() < deadline:
        v = http.get(f"/v1/videos/{key}", headers=headers).json()
        run = v.get("latest_run") or {}
        if v["state"] in want and (after_run is None or run.get("run_id") == after_run):
            return v
        time.sleep(2)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{key} is {v and v['state']} ({v and v['detail']}) after {timeout} s, not {want}\n{tail}")


def mats(instance, asset, key):
    return instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset),
                                                                 asset_partitions=[key]), limit=50).records


@pytest.mark.slow
def test_create_review_rerender_approve_publish_once_in_a_browser(live, workdir):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    shots = artifacts_dir()
    studio = live["studio"]
    _, api_key = db.create_key("e2e")
    h = {"X-API-Key": api_key}
    http = httpx.Client(base_url=live["url"], timeout=60)

    # create -> the run completes -> every stage with its media, and the video waits for approval
    r = http.post("/v1/videos", json={"channel": "curious-minds", "topic": TOPIC}, headers=h)
    assert r.status_code == 201, r.text
    first_run = r.json()["run_id"]
    v = wait_state(http, KEY, h, {"awaiting_approval", "failed", "checks_failed"}, after_run=first_run, log=live["log"])
    assert v["state"] == "awaiting_approval", v
    stages = {s["stage"]: s for s in v["stages"]}
    for name in ("video_scripts", "voiceovers", "scene_images", "captions", "music", "assembled_videos", "thumbnails"):
        assert stages[name]["materialized"] and stages[name]["files"], name
    channel_dir = workdir / "home" / "channel" / "curious-minds"
    assert not list(channel_dir.glob("*/video.mp4")), "published before approval"
    video = http.get(v["video_url"])
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    part = http.get(v["video_url"], headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.headers["content-range"] == f"bytes 1000-1999/{len(video.content)}"
    assert part.content == video.content[1000:2000]
    voice_url = next(f["url"] for f in stages["voiceovers"]["files"] if f["name"] == "voice.wav")
    assert http.get(voice_url, headers={"Range": "bytes=0-43"}).content[:4] == b"RIFF"

    # reject with a re-render of the scenes: only scene_images is made again, then it waits again
    voice_runs = {m.run_id for m in mats(studio.instance, "voiceovers", KEY)}
    r = http.post(f"/v1/videos/{KEY}/reject", json={"note": "scenes too dark", "rerender": ["scene_images"]},
                  headers=h)
    assert r.status_code == 200 and r.json()["run_id"], r.text
    rerun = r.json()["run_id"]
    v = wait_state(http, KEY, h, {"awaiting_approval", "failed", "checks_failed"}, after_run=rerun, log=live["log"])
    assert v["state"] == "awaiting_approval", v
    scene_mats = mats(studio.instance, "scene_images", KEY)
    assert scene_mats[0].run_id == rerun
    assert scene_mats[0].asset_materialization.metadata["reused"].value is False
    assert {m.run_id for m in mats(studio.instance, "voiceovers", KEY)} == voice_runs  # not redone
    run = studio.instance.get_run_by_id(rerun)
    assert "voiceovers" not in {k.to_user_string() for k in run.asset_selection}
    assert run.tags["shortsmith/channel"] == "curious-minds" and run.tags["shortsmith/rerender"] == "scene_images"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--headless", "--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking", "--autoplay-policy=no-user-gesture-required"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(live["url"] + "/")
        card = page.locator(f'[data-partition="{KEY}"]')
        assert "awaiting approval" in card.inner_text()
        page.wait_for_function(f'document.querySelector(\'[data-partition="{KEY}"] img\').naturalWidth > 0',
                               timeout=15000)
        page.screenshot(path=str(shots / "studio-gallery.png"), full_page=True)

        page.goto(f"{live['url']}/videos/{KEY}")
        page.evaluate("() => { const v = document.getElementById('player'); v.muted = true; return v.play(); }")
        page.wait_for_function("document.getElementById('player').currentTime > 1", timeout=30000)
        assert page.evaluate("document.getElementById('player').videoWidth") == 360
        page.screenshot(path=str(shots / "studio-video-playing.png"), full_page=True)

        page.click("#approve")  # the form posts with its CSRF token
        page.wait_for_url(f"{live['url']}/videos/{KEY}")
        v = wait_state(http, KEY, h, {"published", "failed"}, log=live["log"])
        assert v["state"] == "published", v
        assert len(list(channel_dir.glob("*/video.mp4"))) == 1
        page.reload()
        page.screenshot(path=str(shots / "studio-published.png"), full_page=True)
        # published exactly once: a second approval is refused and uploads nothing
        again = http.post(f"/v1/videos/{KEY}/approve", headers=h)
        assert again.status_code == 409 and again.json()["field"] == "partition"
        pubs = [m for m in mats(studio.instance, "published_uploads", KEY)
                if m.asset_materialization.metadata["status"].value == "published"]
        assert len(pubs) == 1

        # the new-video form starts a run whose progress streams into the page; then it is cancelled
        page.goto(live["url"] + "/new")
        page.fill('input[name="topic"]', "How bees make honey")
        page.click("#start")
        page.wait_for_url("**/videos/curious-minds--how-bees-make-honey")
        # a step of the new run started: its events arrived over server-sent events
        page.wait_for_function("document.getElementById('log').textContent.includes('STEP_START')", timeout=180000)
        page.screenshot(path=str(shots / "studio-new-video-progress.png"), full_page=True)
        browser.close()
    r = http.post("/v1/videos/curious-minds--how-bees-make-honey/cancel", headers=h)
    assert r.status_code == 200 and r.json()["runs"], r.text
