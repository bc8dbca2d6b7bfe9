"""`shortsmith tiktok-auth --channel NAME`: authorize a TikTok account for posting, once (Login Kit for Desktop).

A one-shot server on 127.0.0.1 receives TikTok's redirect (register ``http://127.0.0.1:*/callback/``
as a redirect URI of the app's Login Kit); the browser opens TikTok's consent page for the channel's
scopes (``video.publish`` for ``mode: direct``, ``video.upload`` for ``mode: inbox``, plus
``user.info.basic`` and ``video.list`` for statistics), with PKCE and a ``state`` checked on return.
The code is exchanged at ``/v2/oauth/token/`` and the token JSON is written to the channel's
``tiktok.credentials`` file with mode 0600; only the path is printed. For ``credentials_env``, pass
``--output FILE``, put the file's content into the variable, then delete the file.
"""

from __future__ import annotations

import hashlib
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from shortsmith.config import Channel
from shortsmith.errors import ConfigError
from shortsmith.tiktok import (AUTHORIZE_URL, DEFAULT_BASE_URL, client_credentials, reauth_fix, token_from_response,
                               write_private_json)

SUCCESS_PAGE = b"Shortsmith is authorized to post to this TikTok account. You can close this tab."


def target_path(channel: Channel, output: str | None) -> Path:
    if output:
        return Path(output).expanduser().resolve()
    cfg, where = channel.platforms.tiktok, f"channels ({channel.name}).tiktok"
    if cfg.credentials:
        return Path(cfg.credentials)
    if cfg.credentials_env:
        raise ConfigError(f"the channel reads its TikTok token from ${cfg.credentials_env}, not a file",
                          field=f"{where}.credentials_env",
                          fix="pass --output FILE, put the file's content into that variable, then delete the file")
    raise ConfigError("the channel has no tiktok.credentials path", field=f"{where}.credentials",
                      fix="add tiktok: {credentials: secrets/<channel>-tiktok.json} to channels.yaml")


def scopes(channel: Channel) -> str:
    return ",".join(["user.info.basic", channel.platforms.tiktok.scope, "video.list"])


def authorize(channel: Channel, *, output: str | None = None, port: int = 0, timeout_s: float = 600,
              open_url: Callable[[str], None] | None = None, authorize_url: str = AUTHORIZE_URL,
              base_url: str = DEFAULT_BASE_URL, environ: dict | None = None) -> Path:
    """Run the consent flow for ``channel`` and store its token JSON (0600); returns the path."""
    import httpx

    key, secret = client_credentials(channel, environ)
    path = target_path(channel, output)
    verifier = secrets.token_urlsafe(48)
    challenge = hashlib.sha256(verifier.encode()).hexdigest()  # TikTok's desktop PKCE: hex SHA-256
    state = secrets.token_urlsafe(16)
    got: dict[str, str] = {}
    done = threading.Event()

    class Callback(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            if urlsplit(self.path).path.rstrip("/") != "/callback":
                self.send_response(404)
                self.end_headers()
                return
            got.update(query)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(SUCCESS_PAGE)))
            self.end_headers()
            self.wfile.write(SUCCESS_PAGE)
            done.set()

    server = HTTPServer(("127.0.0.1", port), Callback)
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback/"
    url = authorize_url + "?" + urlencode({"client_key": key, "scope": scopes(channel), "response_type": "code",
                                           "redirect_uri": redirect_uri, "state": state,
                                           "code_challenge": challenge, "code_challenge_method": "S256"})
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        if open_url is not None:
            open_url(url)
        else:
            print("Open this URL in a browser signed in to the channel's TikTok account:\n" + url, file=sys.stderr)
            try:
                import webbrowser

                webbrowser.open(url)
            except Exception:  # headless: the printed URL is enough
                pass
        if not done.wait(timeout_s):
            raise ConfigError(f"no answer from TikTok within {timeout_s:.0f} s", field="tiktok-auth",
                              fix="run the command again and finish the consent in the browser")
    finally:
        server.shutdown()
        server.server_close()
    where = f"channels ({channel.name}).tiktok"
    if got.get("state") != state:
        raise ConfigError("the redirect's state does not match this request", field="tiktok-auth",
                          fix="run the command again (a stale or forged redirect was refused)")
    if got.get("error") or not got.get("code"):
        raise ConfigError(f"TikTok did not authorize the app ({got.get('error') or 'no code'}: "
                          f"{got.get('error_description', '')})", field=where,
                          fix=f"grant the scopes {scopes(channel)} when asked; {reauth_fix(channel.name)}")
    with httpx.Client(timeout=60) as http:
        resp = http.post(f"{base_url.rstrip('/')}/v2/oauth/token/", data={
            "client_key": key, "client_secret": secret, "code": got["code"], "grant_type": "authorization_code",
            "redirect_uri": redirect_uri, "code_verifier": verifier},
            headers={"Content-Type": "application/x-www-form-urlencoded"})
    data = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
    if resp.status_code != 200 or not data.get("access_token"):
        raise ConfigError(f"TikTok refused the code ({data.get('error', resp.status_code)}: "
                          f"{str(data.get('error_description', ''))[:200]})", field=where,
                          fix="check the client key/secret and the registered redirect URI http://127.0.0.1:*/callback/")
    return write_private_json_path(path, token_from_response(data, time.time()))


def write_private_json_path(path: Path, data: dict) -> Path:
    write_private_json(path, data)
    return path


def main(channel_name: str, *, output: str | None = None, port: int = 0) -> int:
    from . import settings
    from shortsmith.config import load_channels

    channel = load_channels(settings.channels_path()).get(channel_name)
    print(authorize(channel, output=output, port=port))
    return 0
