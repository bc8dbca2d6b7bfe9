"""The UI for real: dagster-webserver + dagster-daemon on loopback, a run launched over GraphQL,
and the asset pages checked in headless Chromium (screenshots saved under tests/artifacts/).

Needs Debian's chromium (/usr/bin/chromium); the test installs nothing and skips without it.
Servers run in their own process groups, killed in teardown.
"""

import os
import time
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import write_channels

from .cdp import Browser, find_chromium
from .conftest import ARTIFACTS, VENV_BIN, free_port, server, wait_http

ROOT = Path(__file__).resolve().parents[2]
KEY = "curious-minds--why-cats-purr"
RUN_TIMEOUT = 240  # seconds for the whole video run (~30 s on 2 cores at 360x640, plus the queue)


def artifacts_dir() -> Path:
    d = Path(os.environ.get("SHORTSMITH_TEST_ARTIFACTS") or ARTIFACTS)
    d.mkdir(parents=True, exist_ok=True)
    if d == ARTIFACTS and not (d / ".gitignore").exists():
        (d / ".gitignore").write_text("*\n")  # screenshots are test output, never committed
    return d


@pytest.fixture
def dagster_ui(tmp_path):
    """webserver + daemon against the project's workspace, with a throwaway DAGSTER_HOME and media."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    # the project's laptop instance, without the first-visit newsletter dialog over the pages
    (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text() + "\nnux:\n  enabled: false\n")
    env = {
        "DAGSTER_HOME": str(home),
        "SHORTSMITH_HOME": str(tmp_path / "shortsmith"),
        "SHORTSMITH_CHANNELS": str(write_channels(tmp_path / "channels.yaml")),
        "SHORTSMITH_RENDER_SIZE": "360x640",
        "SHORTSMITH_STORAGE": "local",
    }
    for k in ("SHORTSMITH_MEDIA", "SHORTSMITH_CHANNEL_DIR"):
        env[k] = ""
    # create the SQLite schema once, before two servers race to create it on a fresh home
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("videos", [KEY])
    port = free_port()
    logs = tmp_path / "logs"
    with server([str(VENV_BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
                logs / "webserver.log", env=env, cwd=ROOT) as web, \
            server([str(VENV_BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], logs / "daemon.log",
                   env=env, cwd=ROOT) as daemon:
        wait_http(f"http://127.0.0.1:{port}/server_info", 90, web, logs / "webserver.log")
        yield {"port": port, "home": home, "env": env, "logs": logs, "procs": (web, daemon)}


def settle(browser, timeout: float = 20) -> None:
    """Give lazily loaded panels (asset status) a moment to replace their 'Loading...' placeholders."""
    try:
        browser.wait_for("!(document.body ? document.body.innerText : '').includes('Loading')", timeout=timeout)
    except TimeoutError:
        pass  # cosmetic only: the assertions do not depend on it


def wait_location_loaded(client, timeout: float = 120) -> None:
    query = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
                locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = client._execute(query)["workspaceOrError"]["locationEntries"]
        entry = next((e for e in last if e["name"] == "shortsmith"), None)
        if entry and entry["loadStatus"] == "LOADED":
            kind = entry["locationOrLoadError"]["__typename"]
            assert kind == "RepositoryLocation", entry
            return
        time.sleep(1)
    raise TimeoutError(f"the code location did not load in {timeout:.0f} s: {last}")


def test_run_launched_over_graphql_shows_in_the_ui(dagster_ui):
    from dagster_graphql import DagsterGraphQLClient

    exe = find_chromium()
    if exe is None:
        pytest.skip("chromium is not installed (CI: apt-get install -y chromium)")
    port = dagster_ui["port"]
    client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=60)
    wait_location_loaded(client)

    started = time.monotonic()
    run_id = client.submit_job_execution("make_video", repository_location_name="shortsmith",
                                         tags={"dagster/partition": KEY, "shortsmith/channel": "curious-minds"})
    status = None
    while time.monotonic() - started < RUN_TIMEOUT:
        status = client.get_run_status(run_id)
        if status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            break
        time.sleep(2)
    logs = dagster_ui["logs"]
    assert status == dg.DagsterRunStatus.SUCCESS, (
        f"run {run_id} ended {status} after {time.monotonic() - started:.0f} s\n"
        + (logs / "daemon.log").read_text()[-3000:])
    run_seconds = time.monotonic() - started

    out = artifacts_dir()
    base = f"http://127.0.0.1:{port}"
    with Browser(exe, dagster_ui["home"].parent / "chromium") as browser:
        # the asset group: every asset of the video graph is listed
        browser.goto(f"{base}/assets")
        browser.wait_for("(document.body ? document.body.innerText : '').includes('assembled_videos')", timeout=60)
        browser.wait_for(
            "(() => { const t = document.body ? document.body.innerText : ''; return ['trending_topics', 'video_scripts', 'voiceovers',"
            " 'scene_images', 'captions', 'music', 'assembled_videos', 'thumbnails', 'published_uploads']"
            ".every(a => t.includes(a)) ? t : '' })()", timeout=30)
        settle(browser)
        browser.screenshot(out / "ui-assets.png")

        # the thumbnails asset: its latest materialization, from this run, with the preview image
        browser.goto(f"{base}/assets/thumbnails")
        page = browser.wait_for(
            "(() => { const t = document.body ? document.body.innerText : '';"
            " return t.includes('Latest materialization') && t.includes('preview') && t.includes('Why cats purr')"
            " ? t : '' })()", timeout=60)
        assert "1280x720" in page and "thumbnail.jpg" in page
        browser.screenshot(out / "ui-thumbnails.png", full_page=True)
        # markdown metadata opens in a dialog: the thumbnail must render there as a decoded image
        browser.eval("(() => { const row = [...document.querySelectorAll('tr')].find(r =>"
                     " r.querySelector('td') && r.querySelector('td').innerText.trim() === 'preview');"
                     " row.querySelector('a').click(); return true })()")
        size = browser.wait_for(
            "(() => { const img = [...document.querySelectorAll('[role=dialog] img, .bp5-dialog img, img')]"
            ".find(i => i.src.startsWith('data:image/') && i.complete && i.naturalWidth > 0);"
            " return img ? [img.naturalWidth, img.naturalHeight, img.alt] : null })()", timeout=30)
        assert size[0] >= 320 and abs(size[0] / size[1] - 16 / 9) < 0.05, size  # the 16:9 thumbnail, scaled
        assert size[2] == "Why cats purr"
        time.sleep(1)  # the dialog's fade-in
        browser.screenshot(out / "ui-thumbnail-preview.png")

        # the run's page: the run is shown as succeeded
        browser.goto(f"{base}/runs/{run_id}")
        browser.wait_for("(() => { const t = document.body ? document.body.innerText : '';"
                         " return t.includes('Success') && t.includes('make_video') })()", timeout=60)
        browser.screenshot(out / "ui-run.png")
    print(f"run {run_id} succeeded in {run_seconds:.0f} s; screenshots in {out}")
