"""Source documents a script is grounded in: a file or URL of plain text, Markdown, HTML or PDF.

The text comes back as plain sentences; the offline writer picks its facts from them and a
model gets them as material. HTML main text is extracted by trafilatura (boilerplate, menus
and footers dropped), PDF text by pypdf. URLs are fetched with a bounded size and time.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

MAX_SOURCE_BYTES = 8 * 1024 * 1024  # a page or paper; more is not a source for a one-minute video
FETCH_TIMEOUT_S = 20.0
MAX_PDF_PAGES = 60
_MD_SUFFIXES = {".md", ".markdown", ".mdown"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_TEXT_SUFFIXES = {".txt", ".text", ""}


@dataclass(frozen=True)
class Source:
    origin: str  # the path or URL as given
    kind: str  # text | markdown | html | pdf
    text: str  # plain text, paragraphs separated by blank lines
    title: str = ""


def is_url(ref: str) -> bool:
    return bool(re.match(r"^https?://", ref.strip(), re.I))


def _fail(message: str, field: str, fix: str) -> InputError:
    return InputError(message, field=field, fix=fix)


def load_source(ref: str, *, base_dir: Path | None = None, field: str = "source",
                timeout_s: float = FETCH_TIMEOUT_S, max_bytes: int = MAX_SOURCE_BYTES) -> Source:
    """Read a source document and return its plain text, or raise an InputError naming ``field``."""
    ref = (ref or "").strip()
    if not ref:
        raise _fail("the source is empty", field, "give a file path or an http(s) URL")
    if is_url(ref):
        data, content_type = _fetch(ref, field=field, timeout_s=timeout_s, max_bytes=max_bytes)
        kind = _kind_of(ref.split("?", 1)[0], content_type, data)
    else:
        if "://" in ref:
            raise _fail(f"unsupported source scheme in {ref!r}", field, "use a local file path or an http(s) URL")
        path = Path(ref).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise _fail(f"source file {path} does not exist", field,
                        "correct the path (relative paths are relative to channels.yaml) or use a URL")
        size = path.stat().st_size
        if size > max_bytes:
            raise _fail(f"source file {path} is {size / 1e6:.1f} MB", field,
                        f"use a document under {max_bytes / 1e6:.0f} MB (an article or a chapter, not a book)")
        data, content_type = path.read_bytes(), ""
        kind = _kind_of(str(path), content_type, data)
    text, title = _to_text(kind, data, origin=ref, field=field)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r"\n\s*\n\s*", "\n\n", text).strip()
    if len(re.findall(r"[^\W\d_]{2,}", text)) < 20:
        raise _fail(f"the source {ref!r} ({kind}) has almost no readable text", field,
                    "use a document with the facts written out as sentences (a scanned PDF has no text layer)")
    return Source(origin=ref, kind=kind, text=text, title=title)


def _fetch(url: str, *, field: str, timeout_s: float, max_bytes: int) -> tuple[bytes, str]:
    import httpx

    try:
        with httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=True, max_redirects=5,
                          headers={"User-Agent": "shortsmith (script sources)"}) as client:
            with client.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise _fail(f"fetching {url} answered HTTP {response.status_code}", field,
                                "check the URL in a browser, or save the page and give the file instead")
                declared = int(response.headers.get("content-length") or 0)
                if declared > max_bytes:
                    raise _fail(f"{url} is {declared / 1e6:.1f} MB", field,
                                f"use a page under {max_bytes / 1e6:.0f} MB")
                chunks, total = [], 0
                for chunk in response.iter_bytes():
                    total += len(chunk)
                    if total > max_bytes:
                        raise _fail(f"{url} is larger than {max_bytes / 1e6:.0f} MB", field,
                                    "use a smaller page, or save the relevant part to a file")
                    chunks.append(chunk)
                return b"".join(chunks), response.headers.get("content-type", "")
    except httpx.TimeoutException:
        raise _fail(f"fetching {url} took longer than {timeout_s:.0f} s", field,
                    "try again later, or save the page and give the file instead") from None
    except httpx.HTTPError as exc:
        raise _fail(f"fetching {url} failed ({type(exc).__name__})", field,
                    "check the URL and the network, or save the page and give the file instead") from None


def _kind_of(name: str, content_type: str, data: bytes) -> str:
    ct = content_type.lower()
    suffix = Path(name).suffix.lower()
    if data[:5] == b"%PDF-" or "application/pdf" in ct or suffix == ".pdf":
        return "pdf"
    if "html" in ct or suffix in _HTML_SUFFIXES:
        return "html"
    if "markdown" in ct or suffix in _MD_SUFFIXES:
        return "markdown"
    head = data[:2048].lstrip().lower()
    if head.startswith(b"<!doctype html") or head.startswith(b"<html") or b"<body" in head:
        return "html"
    return "text"


def _decode(data: bytes, origin: str, field: str) -> str:
    if b"\x00" in data[:4096]:
        raise _fail(f"the source {origin!r} is a binary file", field, "give a text, Markdown, HTML or PDF file")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def _to_text(kind: str, data: bytes, *, origin: str, field: str) -> tuple[str, str]:
    if kind == "pdf":
        return _pdf_text(data, origin, field)
    raw = _decode(data, origin, field)
    if kind == "html":
        return _html_text(raw, origin, field)
    if kind == "markdown":
        return markdown_text(raw)
    return raw, ""


def _html_text(html: str, origin: str, field: str) -> tuple[str, str]:
    import trafilatura

    text = trafilatura.extract(html, url=origin if is_url(origin) else None, include_comments=False,
                               include_tables=False, output_format="txt", favor_precision=True)
    if not text:  # a short page can fall under precision mode's thresholds
        text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True)
    if not text:
        raise _fail(f"no main text found in the HTML page {origin!r}", field,
                    "give the article's own URL (not a list or a login page), or save its text to a file")
    meta = trafilatura.extract_metadata(html)
    return text, (meta.title if meta and meta.title else "")


def _pdf_text(data: bytes, origin: str, field: str) -> tuple[str, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise _fail(f"the PDF {origin!r} is encrypted", field, "give an unencrypted copy")
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
        title = str(reader.metadata.get("/Title") or "") if reader.metadata else ""
    except PdfReadError as exc:
        raise _fail(f"the PDF {origin!r} cannot be read ({exc})", field, "give a valid PDF, or its text") from None
    # PDF lines break mid-sentence: join them, keep blank-line paragraphs
    text = "\n\n".join(re.sub(r"-\n(?=[a-z])", "", p).replace("\n", " ") for p in pages)
    return text, title


def markdown_text(md: str) -> tuple[str, str]:
    """Markdown as plain prose: headings, lists, emphasis, links and code removed; the first heading as title."""
    title = ""
    out: list[str] = []
    in_code = False
    for line in md.splitlines():
        if line.strip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code or line.startswith("    ") and not line.strip().startswith(("-", "*")):
            continue
        heading = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            title = title or heading.group(1)
            out.append("")  # a heading ends a paragraph and is not a sentence of its own
            continue
        if re.match(r"^\s*(?:[-*_]\s*){3,}$", line) or line.strip().startswith("|"):
            out.append("")
            continue
        line = re.sub(r"^\s*>\s?", "", line)
        item = re.match(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$", line)
        if item:
            line = item.group(1)
            out.append("")
        line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)
        line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)
        line = re.sub(r"`([^`]*)`", r"\1", line)
        line = re.sub(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1", r"\2", line)
        line = re.sub(r"<[^>]+>", "", line)
        out.append(line)
        if item:
            out.append("")
    return "\n".join(out), title


def source_digest(ref: str | None) -> str | None:
    """What a script's cache key depends on: a local file's content hash (edits redo the script), or the URL."""
    if not ref:
        return None
    if is_url(ref):
        return ref
    import hashlib

    path = Path(ref).expanduser()
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return ref  # loading it fails later with the clear message
