"""A careful HTTP(S) downloader: checked addresses, capped size and time, resumable, all-or-nothing.

``download(url, dest)`` streams the body to ``<dest>.part-<pid>-<rand>`` beside ``dest`` and
renames it to ``dest`` only when the whole body arrived, so a cut download never looks
finished. On the way:

- every hop (the URL and each redirect target) passes ``urls.safe_addresses``, and the
  connection goes to the address that was checked (``Host`` and TLS SNI/certificate checks
  still use the name), so DNS rebinding cannot redirect it;
- a ``Content-Length`` over ``limits.max_bytes`` is refused before the body is read, and a
  body that grows past it (chunked, or a lying server) is aborted mid-stream and removed;
- the whole download must finish within ``limits.max_seconds``; each read within
  ``limits.read_timeout_s``;
- 5xx, 429 (with Retry-After), timeouts and cut connections are retried with backoff
  (``resilience.RetryPolicy``); a retry resumes with ``Range`` when the server accepts ranges
  and the validator (ETag / Last-Modified) is unchanged, and restarts otherwise;
- per host, a ``resilience.CircuitBreaker`` skips a host that keeps failing.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from ..errors import InputError
from ..resilience import CircuitBreaker, MemoryKV, ProviderError, RetryPolicy, retry_after_seconds
from ..storage import temp_name
from . import urls

CHUNK = 256 * 1024
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "shortsmith-intake/1 (+reference media for Shorts)"


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    """Caps on one fetch; each can be set by an environment variable (in brackets)."""

    max_bytes: int = int(_env_float("SHORTSMITH_INTAKE_MAX_MB", 2048) * 1024 * 1024)  # [SHORTSMITH_INTAKE_MAX_MB]
    max_duration_s: float = _env_float("SHORTSMITH_INTAKE_MAX_MINUTES", 180) * 60  # [SHORTSMITH_INTAKE_MAX_MINUTES]
    max_seconds: float = _env_float("SHORTSMITH_INTAKE_MAX_DOWNLOAD_S", 1800)  # [SHORTSMITH_INTAKE_MAX_DOWNLOAD_S]
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    max_redirects: int = 5
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(max_attempts=4, base_delay_s=0.5, max_delay_s=10.0))


@dataclass
class Downloaded:
    path: Path
    url: str  # after redirects
    size: int
    content_type: str  # the server's Content-Type header (not trusted; see media.sniff)
    attempts: int
    resumed: bool


_DEFAULT_BREAKER = CircuitBreaker(MemoryKV())


class _Transient(Exception):
    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None,
                 validator: str = ""):
        super().__init__(message)
        self.retry_after, self.status, self.validator = retry_after, status, validator


def _pool(scheme: str, host: str, addr: str, port: int, limits: Limits) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=limits.connect_timeout_s, read=limits.read_timeout_s)
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(addr, port, timeout=timeout, retries=False, maxsize=1,
                                           server_hostname=host, assert_hostname=host,
                                           cert_reqs="CERT_REQUIRED", ca_certs=certifi.where())
    return urllib3.HTTPConnectionPool(addr, port, timeout=timeout, retries=False, maxsize=1)


def open_checked(url: str, limits: Limits, headers: dict[str, str] | None = None, *, method: str = "GET",
                 body: bytes | None = None) -> tuple[urllib3.BaseHTTPResponse, str, urllib3.HTTPConnectionPool]:
    """GET ``url`` following redirects, each hop checked and connected by address; returns the
    final response (body not read), its URL and its pool (close it when done)."""
    hops = 0
    while True:
        scheme, host, port = urls.check_http_url(url)
        addr = urls.safe_addresses(host, port)[0]
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = 443 if scheme == "https" else 80
        host_header = host if port == default_port else f"{host}:{port}"
        if ":" in host and not host.startswith("["):
            host_header = f"[{host}]" if port == default_port else f"[{host}]:{port}"
        pool = _pool(scheme, host, addr, port, limits)
        req_headers = {"User-Agent": USER_AGENT, "Accept": "*/*", **(headers or {}), "Host": host_header}
        resp = pool.urlopen(method, target, body=body, headers=req_headers, redirect=False, retries=False,
                            preload_content=False, assert_same_host=False)
        if resp.status in REDIRECTS and resp.headers.get("Location"):
            location = urljoin(url, resp.headers["Location"])
            resp.release_conn()
            pool.close()
            hops += 1
            if hops > limits.max_redirects:
                raise InputError(f"more than {limits.max_redirects} redirects from {url[:80]}", field=urls.FIELD,
                                 fix="give the media's final URL")
            url = location  # checked at the top of the loop before any connection
            if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
                method, body = "GET", None
            continue
        return resp, url, pool


def download(url: str, dest: Path, *, limits: Limits | None = None, breaker: CircuitBreaker | None = None,
             sleep: Callable[[float], None] = time.sleep, headers: dict[str, str] | None = None,
             log: Callable[[str], None] | None = None) -> Downloaded:
    """Download ``url`` to ``dest`` (see the module docstring); raises InputError or ProviderError."""
    limits = limits or Limits()
    breaker = breaker or _DEFAULT_BREAKER
    _, host, _ = urls.check_http_url(url)
    name = f"intake:{host}"
    ok, why = breaker.allow(name)
    if not ok:
        raise ProviderError(why, provider=name, transient=True, field=urls.FIELD,
                            fix="the host keeps failing; try again after the cool-down")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.parent / temp_name(f".{dest.name}.part")
    deadline = time.monotonic() + limits.max_seconds
    validator = ""
    resumed = False
    attempt = 0
    try:
        while True:
            attempt += 1
            have = part.stat().st_size if part.exists() else 0
            extra = dict(headers or {})
            if have and validator:
                extra.update({"Range": f"bytes={have}-", "If-Range": validator})
            try:
                result = _attempt(url, part, have, extra, limits, deadline)
                breaker.record_success(name)
                os.replace(part, dest)
                final_url, size, ctype, validator_seen, did_resume = result
                return Downloaded(dest, final_url, size, ctype, attempt, resumed or did_resume)
            except _Transient as exc:
                validator = exc.validator
                if attempt >= limits.retry.max_attempts or time.monotonic() >= deadline:
                    breaker.record_failure(name, str(exc))
                    raise ProviderError(f"gave up after {attempt} attempts: {exc}", provider=name,
                                        status=exc.status, transient=True, field=urls.FIELD,
                                        fix="the server keeps failing; try again later") from None
                wait = min(limits.retry.delay(attempt, exc.retry_after), max(0.0, deadline - time.monotonic()))
                if log:
                    log(f"{host}: attempt {attempt} failed ({exc}); retrying in {wait:.2f} s")
                sleep(wait)
    finally:
        part.unlink(missing_ok=True)


def _attempt(url: str, part: Path, have: int, headers: dict[str, str], limits: Limits, deadline: float
             ) -> tuple[str, int, str, str, bool]:
    try:
        resp, final_url, pool = open_checked(url, limits, headers)
    except (Urllib3Error, OSError) as exc:
        raise _Transient(f"could not connect: {exc.__class__.__name__}: {exc}") from None
    try:
        validator = resp.headers.get("ETag") or resp.headers.get("Last-Modified") or ""
        if resp.status in (429,) or resp.status >= 500:
            raise _Transient(f"HTTP {resp.status}", retry_after_seconds(resp.headers), resp.status, validator)
        if resp.status == 416 and have:
            part.unlink(missing_ok=True)
            raise _Transient("HTTP 416 on resume; restarting")
        if resp.status not in (200, 206):
            raise InputError(f"the server answered HTTP {resp.status} for {final_url[:120]}", field=urls.FIELD,
                             fix="check that the URL is public and points at the media")
        resuming = resp.status == 206 and have > 0
        if resuming:
            start = _range_start(resp.headers.get("Content-Range", ""))
            if start != have:  # an answer we did not ask for: start over
                resuming = False
        if resp.status == 206 and not resuming:
            part.unlink(missing_ok=True)
            raise _Transient("unexpected partial answer; restarting")
        length = resp.headers.get("Content-Length")
        total = (have if resuming else 0) + int(length) if length and length.isdigit() else None
        if total is not None and total > limits.max_bytes:
            raise InputError(f"the file is {total / 1e6:.1f} MB, over the cap of {limits.max_bytes / 1e6:.1f} MB",
                             field=urls.FIELD, fix="use a shorter or smaller source, or raise SHORTSMITH_INTAKE_MAX_MB")
        size = have if resuming else 0
        err: _Transient | None = None
        with open(part, "ab" if resuming else "wb") as out:
            try:
                while chunk := resp.read1(CHUNK):  # what has arrived, so a cut keeps every byte received
                    size += len(chunk)
                    if size > limits.max_bytes:
                        raise InputError(f"the download passed the cap of {limits.max_bytes / 1e6:.1f} MB and was "
                                         "stopped", field=urls.FIELD,
                                         fix="use a shorter or smaller source, or raise SHORTSMITH_INTAKE_MAX_MB")
                    if time.monotonic() > deadline:
                        raise InputError(f"the download took longer than {limits.max_seconds:.0f} s and was stopped",
                                         field=urls.FIELD, fix="raise SHORTSMITH_INTAKE_MAX_DOWNLOAD_S or use a "
                                         "smaller source")
                    out.write(chunk)
            except (Urllib3Error, OSError) as exc:
                ranges = resp.headers.get("Accept-Ranges", "").lower() == "bytes"
                err = _Transient(f"the connection broke after {size} bytes: {exc.__class__.__name__}",
                                 validator=validator if ranges else "")
        if err is not None:
            raise err
        if total is not None and size != total:
            raise _Transient(f"short body: {size} of {total} bytes", validator=validator)
        return final_url, size, resp.headers.get("Content-Type", ""), validator, resuming
    finally:
        resp.release_conn()
        pool.close()


def _range_start(content_range: str) -> int | None:
    # "bytes 1000-1999/2000"
    try:
        return int(content_range.split()[1].split("-", 1)[0])
    except (IndexError, ValueError):
        return None
