"""A minimal Chrome DevTools Protocol client: headless Chromium driven over a websocket.

Enough to load a page, wait for what it renders, read its text and take a screenshot,
without Playwright or a browser download (Debian's /usr/bin/chromium is used as is).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                  "--hide-scrollbars", "--mute-audio"]


def find_chromium() -> str | None:
    for name in (os.environ.get("SHORTSMITH_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and (path := shutil.which(name)):
            return path
    return None


class Browser:
    def __init__(self, exe: str, profile_dir: Path, width: int = 1440, height: int = 1000, timeout: float = 30):
        self.width, self.height = width, height
        self.log = profile_dir / "chromium.log"
        profile_dir.mkdir(parents=True, exist_ok=True)
        self._log_fh = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [exe, *CHROMIUM_FLAGS, "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
             f"--user-data-dir={profile_dir / 'profile'}", f"--window-size={width},{height}", "about:blank"],
            stdout=self._log_fh, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        port = None
        while time.monotonic() < deadline and port is None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", self.log.read_text(errors="replace"))
            port = int(m.group(1)) if m else None
            time.sleep(0.1)
        if port is None:
            self.close()
            raise TimeoutError(f"chromium did not open its DevTools port: {self.log.read_text()[-2000:]}")
        req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(req, timeout=10) as r:
            target = json.loads(r.read())
        self.ws = connect(target["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024, open_timeout=10)
        self._id = 0
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def send(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})

    def eval(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 60, interval: float = 0.5):
        """Poll a JS expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            try:
                value = self.eval(expression)
            except RuntimeError:  # the page is between documents (navigation)
                value = None
            if value:
                return value
            time.sleep(interval)
        raise TimeoutError(f"waited {timeout:.0f} s for: {expression}\npage text: {self.text()[:1500]!r}")

    def text(self) -> str:
        return self.eval("document.body ? document.body.innerText : ''") or ""

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        params: dict = {"format": "png"}
        if full_page:
            h = int(self.eval("Math.min(document.documentElement.scrollHeight, 6000)") or self.height)
            params["clip"] = {"x": 0, "y": 0, "width": self.width, "height": h, "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", params, timeout=60)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self._log_fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
