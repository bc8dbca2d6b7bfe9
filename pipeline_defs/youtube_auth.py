"""`shortsmith youtube-auth --channel NAME`: authorize a channel for uploads, once.

Runs google-auth-oauthlib's installed-app flow with the channel's OAuth client
(``youtube.client_secrets``): a browser opens Google's consent page, Google redirects to a
one-shot server on 127.0.0.1, the code is exchanged (with PKCE) for a refresh token, and the
authorized-user JSON is written to the channel's ``youtube.credentials`` file, created with mode
0600. Nothing secret is printed or logged: only the path. For a channel that reads its token from
an environment variable (``youtube.credentials_env``), pass ``--output FILE``, then put the file's
content into that variable (a secret store) and delete the file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Callable

from shortsmith.config import Channel
from shortsmith.errors import ConfigError
from shortsmith.youtube import SCOPES

SUCCESS_PAGE = "Shortsmith is authorized to publish to this channel. You can close this tab."


def write_private_json(path: Path, data: dict) -> Path:
    """Write JSON to ``path`` readable by the owner only (created 0600, replaced atomically)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return path


def target_path(channel: Channel, output: str | None) -> Path:
    if output:
        return Path(output).expanduser().resolve()
    if channel.youtube.credentials:
        return Path(channel.youtube.credentials)
    where = f"channels ({channel.name}).youtube"
    if channel.youtube.credentials_env:
        raise ConfigError(f"the channel reads its token from ${channel.youtube.credentials_env}, not a file",
                          field=f"{where}.credentials_env",
                          fix="pass --output FILE, put the file's content into that variable, then delete the file")
    raise ConfigError("the channel has no youtube.credentials path", field=f"{where}.credentials",
                      fix="add youtube: {credentials: secrets/<channel>.json, client_secrets: ...} to channels.yaml")


def authorize(channel: Channel, *, output: str | None = None, port: int = 0, open_browser: bool = True,
              browser: str | None = None, timeout_s: int | None = 600,
              prompt: Callable[[str], None] | None = None) -> Path:
    """Run the installed-app flow for ``channel`` and store its authorized-user JSON; returns the path."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    where = f"channels ({channel.name}).youtube.client_secrets"
    secrets_file = channel.youtube.client_secrets
    if not secrets_file or not Path(secrets_file).is_file():
        raise ConfigError(f"OAuth client file {secrets_file or '(not set)'} is missing", field=where,
                          fix="create an OAuth client of type 'Desktop app' in Google Cloud (APIs & Services > "
                              "Credentials), download its JSON and set youtube.client_secrets to its path")
    path = target_path(channel, output)
    try:
        flow = InstalledAppFlow.from_client_secrets_file(secrets_file, scopes=list(SCOPES))
    except ValueError as exc:
        raise ConfigError(f"{secrets_file} is not an installed-app OAuth client ({exc})", field=where,
                          fix="download the client JSON of a 'Desktop app' OAuth client") from None
    say = prompt or (lambda text: print(text, file=sys.stderr))
    if open_browser:
        import webbrowser

        try:
            webbrowser.get(browser)
        except webbrowser.Error:
            open_browser = False  # headless: the URL is printed instead

    class _ToPrompt(io.TextIOBase):  # the flow prints the URL on stdout: hand it to ``say`` instead
        def write(self, text):
            if text.strip():
                say(text.rstrip())
            return len(text)

    with contextlib.redirect_stdout(_ToPrompt()):
        creds = flow.run_local_server(
            host="127.0.0.1", port=port, open_browser=open_browser, browser=browser, timeout_seconds=timeout_s,
            authorization_prompt_message="Open this URL in a browser signed in to the channel's Google account:\n"
                                         "{url}",
            success_message=SUCCESS_PAGE, access_type="offline", prompt="consent")
    if not creds.refresh_token:
        raise ConfigError("Google returned no refresh token", field=where,
                          fix="remove Shortsmith's access at https://myaccount.google.com/permissions and run again")
    info = json.loads(creds.to_json())
    info.pop("token", None)  # the short-lived access token is not needed on disk
    info.pop("expiry", None)
    return write_private_json(path, info)


def main(channel_name: str, *, output: str | None = None, port: int = 0, no_browser: bool = False) -> int:
    from . import settings
    from shortsmith.config import load_channels

    channel = load_channels(settings.channels_path()).get(channel_name)
    path = authorize(channel, output=output, port=port, open_browser=not no_browser)
    print(path)
    return 0
