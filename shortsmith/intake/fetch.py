"""``fetch_reference``: one source (URL, page, s3:// object, local file) into ``dest_dir``, described."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from ..errors import InputError
from ..resilience import CircuitBreaker
from ..storage import temp_name
from . import ReferenceMedia
from . import download as dl
from . import media, urls
from .rights import normalise_rights

EXTENSIONS = {"video/mp4": ".mp4", "audio/mp4": ".m4a", "video/quicktime": ".mov", "video/webm": ".webm",
              "video/x-matroska": ".mkv", "audio/wav": ".wav", "video/x-msvideo": ".avi", "audio/ogg": ".ogg",
              "audio/flac": ".flac", "audio/mpeg": ".mp3", "video/x-flv": ".flv", "video/mp2t": ".ts"}
MEDIA_STEM = "media"
MEDIA_SUFFIXES = frozenset(EXTENSIONS.values()) | {".m4v", ".mpg", ".mpeg", ".opus", ".aac"}


def fetch_reference(source: str, dest_dir: Path, *, rights: str = "", limits: dl.Limits | None = None,
                    breaker: CircuitBreaker | None = None, s3_client: Any = None,
                    log: Callable[[str], None] | None = None) -> ReferenceMedia:
    limits = limits or dl.Limits()
    rights = normalise_rights(rights)
    src = urls.parse_source(source)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    raw = dest_dir / temp_name(".fetched")
    meta: dict = {}
    try:
        if src.kind == "file":
            _copy_local(src.path, raw, limits)
            meta["fallback_title"] = Path(src.path or "").stem
        elif src.kind == "s3":
            _copy_s3(src.bucket, src.key, raw, limits, s3_client)
            meta["fallback_title"] = Path(src.key).stem
        else:
            meta = _fetch_http(src.raw, raw, limits, breaker, log)
        facts = media.inspect(raw, max_duration_s=limits.max_duration_s, name=_display_name(source))
        final = dest_dir / (MEDIA_STEM + EXTENSIONS.get(facts["content_type"], ".bin"))
        for old in dest_dir.glob(MEDIA_STEM + ".*"):
            if old != final:
                old.unlink(missing_ok=True)
        os.replace(raw, final)
    finally:
        raw.unlink(missing_ok=True)
    return ReferenceMedia(
        source=source,
        path=str(final),
        title=str(meta.get("title") or facts["title"] or meta.get("fallback_title") or final.stem),
        duration=float(facts["duration"]),
        uploader=str(meta.get("uploader") or facts["uploader"] or ""),
        licence=str(meta.get("license") or facts["licence"] or ""),
        rights=rights,
        width=int(facts["width"]),
        height=int(facts["height"]),
        has_video=bool(facts["has_video"]),
        size_bytes=int(facts["size_bytes"]),
        sha256=media.sha256_of(final),
        content_type=str(facts["content_type"]),
    )


def _display_name(source: str) -> str:
    tail = urlsplit(source).path if "://" in source else source
    return Path(unquote(tail)).name or source[:80]


def _copy_local(path: Path | None, dest: Path, limits: dl.Limits) -> None:
    if path is None or not path.exists():
        raise InputError(f"the file {path} does not exist", field="source", fix="check the path")
    if not path.is_file():
        raise InputError(f"{path} is not a file", field="source", fix="give the path of a video or audio file")
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise InputError(f"{path.name} is {size / 1e6:.1f} MB, over the cap of {limits.max_bytes / 1e6:.1f} MB",
                         field="source", fix="use a smaller file or raise SHORTSMITH_INTAKE_MAX_MB")
    shutil.copyfile(path, dest)


def _copy_s3(bucket: str, key: str, dest: Path, limits: dl.Limits, client: Any) -> None:
    """Stream an S3 object to ``dest`` (boto3 managed transfer; the size is checked first)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    if client is None:
        client = boto3.client("s3", endpoint_url=os.environ.get("SHORTSMITH_S3_ENDPOINT_URL") or None)
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound"):
            raise InputError(f"s3://{bucket}/{key} does not exist", field="source", fix="check the bucket and key") from None
        raise InputError(f"s3://{bucket}/{key} cannot be read ({code})", field="source",
                         fix="check the AWS_* credentials and the object's permissions") from None
    except BotoCoreError as exc:
        raise InputError(f"S3 could not be reached for s3://{bucket}/{key}: {exc}", field="source",
                         fix="check SHORTSMITH_S3_ENDPOINT_URL and the network") from None
    size = int(head.get("ContentLength") or 0)
    if size > limits.max_bytes:
        raise InputError(f"s3://{bucket}/{key} is {size / 1e6:.1f} MB, over the cap of {limits.max_bytes / 1e6:.1f} MB",
                         field="source", fix="use a smaller object or raise SHORTSMITH_INTAKE_MAX_MB")
    with open(dest, "wb") as out:
        client.download_fileobj(bucket, key, out)
    if dest.stat().st_size != size:
        raise InputError(f"s3://{bucket}/{key} arrived short ({dest.stat().st_size} of {size} bytes)",
                         field="source", fix="try again")


def _fetch_http(url: str, dest: Path, limits: dl.Limits, breaker: CircuitBreaker | None,
                log: Callable[[str], None] | None) -> dict:
    """A direct media URL is downloaded; a page (HTML) or a site yt-dlp knows goes through yt-dlp,
    and the media URL it finds is downloaded by the same careful downloader."""
    from . import ytdlp

    urls.safe_addresses(*urls.check_http_url(url)[1:])  # refuse before anything else touches the network
    direct = Path(urlsplit(url).path).suffix.lower() in MEDIA_SUFFIXES  # skip yt-dlp's extractor scan (~2 s)
    if direct or not ytdlp.has_site_extractor(url):
        got = dl.download(url, dest, limits=limits, breaker=breaker, log=log)
        if media.sniff(dest) != "text/html":
            name = Path(unquote(urlsplit(got.url).path)).stem
            return {"fallback_title": name}
        dest.unlink(missing_ok=True)
    info = ytdlp.extract(url, limits)
    duration = info.get("duration")
    if duration and float(duration) > limits.max_duration_s:
        raise InputError(f"the video is {float(duration) / 60:.1f} min long, over the cap of "
                         f"{limits.max_duration_s / 60:.0f} min", field="source",
                         fix="use a shorter source or raise SHORTSMITH_INTAKE_MAX_MINUTES")
    headers = {k: v for k, v in (info.get("http_headers") or {}).items() if k.lower() not in ("host", "cookie")}
    dl.download(info["url"], dest, limits=limits, breaker=breaker, headers=headers, log=log)
    return {"title": info.get("title") or "", "uploader": info.get("uploader") or info.get("channel") or "",
            "license": info.get("license") or ""}
