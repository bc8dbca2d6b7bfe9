"""Which sources may be fetched: schemes, credentials, and the addresses a host name resolves to.

A URL is refused, before any connection is made, when:

- its scheme is not http, https, s3 or file (``ftp://``, ``gopher://``, ``data:`` ...);
- it carries credentials (``https://user:pass@host/``): secrets do not belong in a source line;
- its host resolves to an address that is not on the public internet: loopback, private
  (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10), shared
  (100.64/10), multicast, reserved or unspecified. ``SHORTSMITH_ALLOW_PRIVATE_URLS=1`` allows
  those (tests use it for their loopback servers; a studio on a LAN may want it);
- its host is a cloud metadata address (169.254.169.254, fd00:ec2::254, 100.100.100.200),
  which is refused even with the switch.

A host name is resolved once; the downloader then connects to the address that was checked
(not to the name again), so a DNS answer that changes between the check and the connection
(DNS rebinding) cannot point the download at a private address. Every redirect target goes
through the same check before it is followed.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import InputError

ALLOW_PRIVATE_ENV = "SHORTSMITH_ALLOW_PRIVATE_URLS"
SCHEMES = ("http", "https", "s3", "file")
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192"))
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"})

FIELD = "source"


def allow_private() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip() == "1"


@dataclass(frozen=True)
class Source:
    """A parsed source: ``kind`` is ``file``, ``s3`` or ``http`` (http and https)."""

    kind: str
    raw: str
    path: Path | None = None  # kind == "file"
    bucket: str = ""  # kind == "s3"
    key: str = ""


def parse_source(source: str) -> Source:
    """Classify a source line; a plain path (no scheme) is a local file."""
    raw = (source or "").strip()
    if not raw:
        raise InputError("the source is empty", field=FIELD, fix="give a URL, an s3://bucket/key or a file path")
    if "://" not in raw and not raw.lower().startswith(("data:", "javascript:", "mailto:")):
        return Source("file", raw, path=Path(raw).expanduser())
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise InputError(f"the scheme {scheme + '://' if scheme else raw[:20]!r} is not allowed for a source",
                         field=FIELD, fix="use an http(s):// URL, an s3://bucket/key, a file:// URL or a local path")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InputError("the URL carries credentials (user:password@); they are not sent and not stored",
                         field=FIELD, fix="remove the credentials from the URL; for S3 set AWS_* variables, "
                         "for a private site download the file yourself and give its path")
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise InputError(f"file:// URL names a remote host {parts.netloc!r}", field=FIELD,
                             fix="use file:///absolute/path on this machine")
        return Source("file", raw, path=Path(unquote(parts.path)))
    if scheme == "s3":
        key = parts.path.lstrip("/")
        if not parts.netloc or not key:
            raise InputError(f"{raw!r} does not name a bucket and a key", field=FIELD,
                             fix="write it as s3://bucket/path/to/video.mp4")
        return Source("s3", raw, bucket=parts.netloc, key=unquote(key))
    check_http_url(raw)
    return Source("http", raw)


def check_http_url(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of an http(s) URL that passes the static checks (no DNS yet)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InputError(f"the scheme {scheme!r} is not allowed here ({url[:80]})", field=FIELD,
                         fix="only http:// and https:// URLs can be downloaded")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InputError("the URL carries credentials (user:password@)", field=FIELD,
                         fix="remove the credentials from the URL")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise InputError(f"the URL {url[:80]!r} has no host", field=FIELD, fix="write it as https://host/path")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise InputError(f"the URL's port is not a number: {exc}", field=FIELD, fix="correct the port") from None
    if host in METADATA_NAMES:
        raise InputError(f"{host} is a cloud metadata service; it is never fetched", field=FIELD,
                         fix="give the address of the media itself")
    return scheme, host, port


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (tests monkeypatch this to simulate DNS answers)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]
        if addr not in out:
            out.append(addr)
    return out


def address_problem(addr: str) -> str | None:
    """Why an address may not be fetched, or None when it may."""
    ip = ipaddress.ip_address(addr)
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_global and not ip.is_multicast:
        return None
    if allow_private():
        return None
    for test, what in ((ip.is_loopback, "a loopback address"), (ip.is_link_local, "a link-local address"),
                       (ip.is_private, "a private address"), (ip.is_multicast, "a multicast address"),
                       (ip.is_unspecified, "an unspecified address"), (ip.is_reserved, "a reserved address")):
        if test:
            return what
    return "not a public address"


def safe_addresses(host: str, port: int) -> list[str]:
    """Resolve ``host`` once and return its addresses if every one of them may be fetched.

    One bad address refuses the host: a name that answers both public and private addresses is
    a rebinding attempt or a misconfiguration, and either way nothing is fetched.
    """
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        addrs = [str(literal)]
    except ValueError:
        try:
            addrs = resolve_host(host, port)
        except (OSError, UnicodeError) as exc:
            raise InputError(f"the host {host!r} could not be resolved ({exc})", field=FIELD,
                             fix="check the URL's spelling and this machine's network") from None
    if not addrs:
        raise InputError(f"the host {host!r} has no address", field=FIELD, fix="check the URL")
    for addr in addrs:
        problem = address_problem(addr)
        if problem:
            fix = ("give a URL on the public internet" if "metadata" in problem else
                   f"give a URL on the public internet, or set {ALLOW_PRIVATE_ENV}=1 to allow local and "
                   "private addresses (only on a machine whose network you trust)")
            raise InputError(f"{host} resolves to {addr}, {problem}; it is not fetched", field=FIELD, fix=fix)
    return addrs
