"""Scene visuals from image models and stock footage (no Dagster).

- Prompts: :func:`build_image_prompt` turns a beat's visual prompt into an image-model prompt
  with the channel's ``style.image_prompt`` template, the look of the style (modifiers) and
  its palette in words; :func:`search_queries` turns a beat's keywords into stock searches.
- Images: :func:`decode_image` reads a base64 image from an API answer and :func:`cover_fit`
  fills the exact 9:16 output size with it (scale to cover, centre crop).
- Stock clips (Pexels): :func:`parse_pexels_search` reads the search answer,
  :func:`choose_clips` ranks the video files (portrait, resolution close to but not far
  above the output, a duration that fits the scene, under the size cap) and
  :func:`download_clip` streams the chosen file to disk with a byte cap (checked against
  Content-Length first and while streaming), removes a partial file on any failure and
  renames the finished file into place atomically.

Pexels wire protocol: ``GET {base}/videos/search?query=&orientation=portrait&size=&per_page=
&page=&min_duration=&max_duration=`` with the key in ``Authorization: <key>`` (no "Bearer");
the answer is ``{"page", "per_page", "total_results", "next_page", "videos": [{"id", "width",
"height", "duration", "url", "image", "user": {"id", "name", "url"}, "video_files": [{"id",
"quality", "file_type", "width", "height", "fps", "link", "size"?}], "video_pictures"}]}``.
The key is never sent to the file host (the links point at Pexels' CDN).
"""

from __future__ import annotations

import base64
import binascii
import colorsys
import io
import json
import math
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from PIL import Image, ImageOps

from .colour import expand_hex
from .errors import InputError
from .model import Beat
from .resilience import ProviderError, http_error

# ----------------------------------------------------------------------------- prompts

# How each procedural style looks, in words an image model understands.
STYLE_MODIFIERS: dict[str, str] = {
    "aurora": "luminous aurora ribbons, soft glowing light, night-sky atmosphere, gentle bokeh",
    "geometric": "bold flat geometric shapes, clean vector illustration, crisp drop shadows",
    "neon": "neon synthwave glow, dark sky, glowing perspective grid, retro-futuristic",
    "paper": "layered paper-cut craft, soft cast shadows, visible paper fibre texture",
    "retro-terminal": "retro CRT terminal look, green phosphor glow, scanlines, pixel-art icons",
}

# Where the picture must stay calm: captions sit at 35-70 % of the height and the Shorts
# player covers the bottom quarter and the right-hand column; captions are burned in later.
COMPOSITION = ("portrait 9:16 framing, main subject centred in the upper half, uncluttered lower third; "
               "no text, no letters, no logos, no watermark")

_HUES = [  # (upper bound of the hue in degrees, name)
    (12, "red"), (35, "orange"), (50, "amber"), (66, "yellow"), (90, "lime"), (150, "green"),
    (178, "teal"), (198, "cyan"), (222, "blue"), (256, "indigo"), (282, "violet"), (318, "magenta"),
    (346, "pink"), (360, "red"),
]


def colour_name(hex_colour: str) -> str:
    """A plain-words name for ``#rrggbb`` ("deep navy", "vivid pink", "amber", "pale cyan")."""
    value = hex_colour.strip()
    full = expand_hex(value if value.startswith("#") else "#" + value)
    if full is None:
        raise InputError(f"{hex_colour!r} is not a #rrggbb colour", field="style.palette",
                         fix="write palette colours as #rrggbb")
    r, g, b = (int(full[i:i + 2], 16) / 255 for i in (1, 3, 5))
    h, light, sat = colorsys.rgb_to_hls(r, g, b)
    if sat < 0.12 or light < 0.06 or light > 0.96:
        if light < 0.12:
            return "black"
        if light > 0.9:
            return "white"
        return "dark grey" if light < 0.4 else ("light grey" if light > 0.7 else "grey")
    degrees = h * 360
    name = next(n for bound, n in _HUES if degrees < bound or bound == 360)
    if light < 0.22:
        return "deep navy" if name in ("blue", "indigo") else f"deep {name}"
    if light > 0.78:
        return f"pale {name}"
    if sat > 0.7 and 0.35 <= light <= 0.65:
        return f"vivid {name}"
    return name


def palette_words(palette: Iterable[str]) -> list[str]:
    """The palette's colours as unique plain-words names, in palette order."""
    out: list[str] = []
    for colour in palette:
        name = colour_name(colour)
        if name not in out:
            out.append(name)
    return out


def build_image_prompt(beat: Beat, style: Any, *, index: int = 0, max_chars: int = 4000) -> str:
    """The image-model prompt for ``beat``: the style's ``image_prompt`` template around the beat's
    visual prompt, the style's look, its palette in words, the keywords and the composition rules.

    ``style`` is a :class:`shortsmith.config.StyleConfig` (name, palette, image_prompt). The
    subject is shortened (never the rules) when the prompt would exceed ``max_chars``.
    """
    subject = " ".join((beat.visual_prompt or "").split()) or " ".join((beat.narration or "").split())
    if not subject:
        raise InputError(f"beat {index} has no visual prompt and no narration to draw",
                         field=f"beats[{index}].visual_prompt",
                         fix="give every beat a visual_prompt (re-run video_scripts)")
    template = getattr(style, "image_prompt", None) or "{prompt}"

    def assemble(text: str) -> str:
        body = template.replace("{prompt}", text) if "{prompt}" in template else f"{text}, {template}"
        parts = [body.strip().rstrip(",")]
        modifier = STYLE_MODIFIERS.get(getattr(style, "name", ""), "")
        if modifier:
            parts.append(f"style: {modifier}")
        colours = palette_words(getattr(style, "palette", ()) or ())
        if colours:
            parts.append("colour palette: " + ", ".join(colours))
        keywords = [k for k in dict.fromkeys(k.strip().lower() for k in beat.keywords or []) if k]
        if keywords:
            parts.append("featuring " + ", ".join(keywords[:5]))
        parts.append(COMPOSITION)
        return ". ".join(parts)

    prompt = assemble(subject)
    if len(prompt) > max_chars:
        room = len(subject) - (len(prompt) - max_chars) - 1
        if room < 20:
            raise InputError(f"the image prompt of beat {index} cannot fit in {max_chars} characters",
                             field="style.image_prompt",
                             fix="shorten the channel's style.image_prompt template")
        prompt = assemble(subject[:room].rstrip() + "…")
    return prompt


_STOP = set("""a an the and or of to in on at for with from by into onto over under about as is are was were be
been being this that these those it its their his her our your my we you they he she them there here
very more most some any each every all no not only just than then so such can will would should could
close-up closeup shot shots view scene image photo picture illustration illustrating showing shows show
vertical portrait composition detailed vivid bold opening wide macro slow motion cinematic style frame
background foreground someone something people person""".split())


def search_queries(beat: Beat, *, max_terms: int = 3) -> list[str]:
    """Stock-footage searches for a beat, most specific first: its keywords (or the content words of
    its visual prompt), then the first term alone as a broader fallback."""
    terms = [k for k in dict.fromkeys(" ".join(k.lower().split()) for k in beat.keywords or []) if k]
    if not terms:
        words = re.findall(r"[a-zA-Z][a-zA-Z'-]+", (beat.visual_prompt or beat.narration or "").lower())
        terms = [w for w in dict.fromkeys(words) if w not in _STOP and len(w) > 2]
    terms = terms[:max_terms]
    if not terms:
        return []
    queries = [" ".join(terms)]
    if len(terms) > 1:
        queries.append(terms[0])
    return queries


def estimate_scene_seconds(beat: Beat, words_per_minute: float = 165.0) -> float:
    """About how long a beat's scene is on screen, from its narration (before the voice exists)."""
    words = len((beat.narration or "").split())
    return max(2.0, words / words_per_minute * 60.0 + 0.6)


# ----------------------------------------------------------------------------- images


def decode_image(b64: str | None, *, provider: str) -> Image.Image:
    """A base64 image from an API answer, decoded and loaded; a malformed one is a transient error."""
    if not b64:
        raise ProviderError("the answer contained no image data", provider=provider, transient=True)
    try:
        raw = base64.b64decode(b64, validate=True)
        img = Image.open(io.BytesIO(raw))
        img.load()
    except (binascii.Error, ValueError, OSError, Image.DecompressionBombError) as exc:
        raise ProviderError(f"the image in the answer could not be decoded ({type(exc).__name__})",
                            provider=provider, transient=True) from None
    return img


def cover_fit(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``img`` scaled to cover ``size`` and centre-cropped to exactly it (RGB; alpha over black)."""
    width, height = int(size[0]), int(size[1])
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        ground = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        img = Image.alpha_composite(ground, rgba)
    img = img.convert("RGB")
    if img.size == (width, height):
        return img
    return ImageOps.fit(img, (width, height), method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))


# ----------------------------------------------------------------------------- Pexels


@dataclass(frozen=True)
class PexelsFile:
    id: int
    link: str
    width: int | None
    height: int | None
    file_type: str
    quality: str | None
    fps: float | None
    size: int | None = None  # bytes, when the answer gives it


@dataclass(frozen=True)
class PexelsVideo:
    id: int
    url: str
    duration: float
    width: int
    height: int
    user_name: str
    user_url: str
    files: tuple[PexelsFile, ...]


def _malformed(why: str) -> ProviderError:
    return ProviderError(f"the search answer was malformed ({why})", provider="pexels", transient=True)


def _int_or_none(v: Any) -> int | None:
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def parse_pexels_search(payload: Any) -> list[PexelsVideo]:
    """The videos of a ``/videos/search`` answer. A wrong overall shape is a transient error; a
    single unusable entry (no id, no files) is skipped."""
    if not isinstance(payload, dict) or not isinstance(payload.get("videos"), list):
        raise _malformed("no 'videos' list")
    videos = []
    for item in payload["videos"]:
        if not isinstance(item, dict) or _int_or_none(item.get("id")) is None:
            continue
        files = []
        for f in item.get("video_files") or []:
            if not isinstance(f, dict) or not f.get("link") or _int_or_none(f.get("id")) is None:
                continue
            fps = f.get("fps")
            try:
                fps = float(fps) if fps is not None else None
            except (TypeError, ValueError):
                fps = None
            files.append(PexelsFile(id=int(f["id"]), link=str(f["link"]), width=_int_or_none(f.get("width")),
                                    height=_int_or_none(f.get("height")), file_type=str(f.get("file_type") or ""),
                                    quality=f.get("quality"), fps=fps, size=_int_or_none(f.get("size"))))
        user = item.get("user")
        if not isinstance(user, dict):
            user = {}
        try:
            duration = float(item.get("duration") or 0)
        except (TypeError, ValueError):
            duration = 0.0
        videos.append(PexelsVideo(id=int(item["id"]), url=str(item.get("url") or ""), duration=duration,
                                  width=_int_or_none(item.get("width")) or 0, height=_int_or_none(item.get("height")) or 0,
                                  user_name=str(user.get("name") or ""), user_url=str(user.get("url") or ""),
                                  files=tuple(files)))
    return videos


# About 0.12 bits per pixel per frame: what stock H.264 clips usually run at.
BITS_PER_PIXEL = 0.12


def estimate_bytes(width: int, height: int, fps: float | None, seconds: float) -> int:
    return int(width * height * (fps or 30.0) * max(seconds, 1.0) * BITS_PER_PIXEL / 8)


@dataclass(frozen=True)
class ClipChoice:
    video: PexelsVideo
    file: PexelsFile
    score: float  # lower is better
    estimated_bytes: int
    upscale: float  # > 1: the file is smaller than the output and is enlarged
    loops: bool  # shorter than the scene: the renderer loops it


def _is_mp4(f: PexelsFile) -> bool:
    return f.file_type.lower() == "video/mp4" or (not f.file_type and f.link.lower().split("?")[0].endswith(".mp4"))


def orientation(width: int, height: int) -> str:
    """Pexels' orientation for an output of this size: portrait (9:16), landscape (16:9) or square (1:1)."""
    return "portrait" if height > width else "landscape" if width > height else "square"


def _same_shape(fw: int, fh: int, width: int, height: int) -> bool:
    """A file fits the output's shape: portrait for a Short, landscape for 16:9, either for 1:1."""
    return fh > fw if height > width else fw > fh if width > height else True


def choose_clips(videos: list[PexelsVideo], *, size: tuple[int, int], scene_seconds: float,
                 min_seconds: float = 3.0, max_seconds: float = 60.0, max_bytes: int | None = None,
                 max_upscale: float = 2.0, exclude_ids: Iterable[int] = ()) -> list[ClipChoice]:
    """The usable video files, best first (one per video).

    A file is usable when it is an MP4, portrait, at least ``1/max_upscale`` of the output's
    resolution, its video lasts ``min_seconds``-``max_seconds`` and its (stated or estimated)
    size is under ``max_bytes``. Among those: a resolution just above the output wins over a much
    larger one (a bigger download for nothing) and over a smaller one (upscaling blurs); a
    9:16 file wins over one that loses more to the cover crop; a clip at least as long as the
    scene wins over one that must loop; Pexels' relevance order breaks ties.
    """
    width, height = size
    excluded = set(exclude_ids)
    out: list[ClipChoice] = []
    for rank, video in enumerate(videos):
        if video.id in excluded or not (min_seconds <= video.duration <= max_seconds):
            continue
        best: ClipChoice | None = None
        for f in video.files:
            if not _is_mp4(f) or not f.width or not f.height or not _same_shape(f.width, f.height, width, height):
                continue
            up = max(width / f.width, height / f.height)  # scale factor that covers the output
            if up > max_upscale:
                continue
            est = f.size if f.size else estimate_bytes(f.width, f.height, f.fps, video.duration)
            if max_bytes is not None and est > max_bytes:
                continue
            resolution = (1 / up - 1) if up <= 1 else 3 * (up - 1)
            crop_loss = 1 - (width * height) / (f.width * up * f.height * up)
            short = max(0.0, scene_seconds - video.duration) / max(scene_seconds, 0.1)
            score = resolution + 2 * crop_loss + 2 * short + 0.02 * rank
            if max_bytes:
                score += 0.2 * est / max_bytes
            choice = ClipChoice(video, f, round(score, 6), int(est), round(up, 4), video.duration < scene_seconds)
            if best is None or choice.score < best.score:
                best = choice
        if best is not None:
            out.append(best)
    return sorted(out, key=lambda c: c.score)


def choose_clip(videos: list[PexelsVideo], **kw: Any) -> ClipChoice | None:
    choices = choose_clips(videos, **kw)
    return choices[0] if choices else None


def pexels_error(status: int, body: str, headers: Any, *, index: int = 0, now: float | None = None) -> ProviderError:
    """A Pexels HTTP error as a ProviderError. A 429 without Retry-After waits for X-Ratelimit-Reset."""
    try:
        message = json.loads(body).get("error") or body
    except (ValueError, AttributeError):
        message = body
    if status in (401, 403):
        return ProviderError(f"HTTP {status} (the key was refused): {' '.join(str(message).split())[:200]}",
                             provider="pexels", status=status, field="PEXELS_API_KEY",
                             fix="set PEXELS_API_KEY to a valid key from https://www.pexels.com/api/")
    err = http_error("pexels", status, str(message), headers)
    if status == 429 and err.retry_after is None and headers is not None:
        reset = headers.get("x-ratelimit-reset") or headers.get("X-Ratelimit-Reset")
        try:
            err.retry_after = max(0.0, float(reset) - (now if now is not None else time.time()))
        except (TypeError, ValueError):
            pass
    if not err.transient:
        return ProviderError(f"HTTP {status}: {' '.join(str(message).split())[:200]}", provider="pexels",
                             status=status, field=f"beats[{index}].keywords",
                             fix="the search was rejected: use plain keywords for the beat (the query) and keep "
                                 "per_page <= 80, orientation portrait")
    return err


def classify_http(exc: BaseException, provider: str) -> ProviderError | None:
    """httpx transport failures (timeouts, refused or cut connections) and bad bodies are transient."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(f"the request timed out ({type(exc).__name__})", provider=provider, transient=True)
    if isinstance(exc, httpx.TransportError):
        return ProviderError(f"connection failed ({type(exc).__name__})", provider=provider, transient=True)
    if isinstance(exc, (json.JSONDecodeError, httpx.DecodingError)):
        return ProviderError(f"the response was malformed ({type(exc).__name__})", provider=provider, transient=True)
    return None


def pexels_search(client: Any, base_url: str, api_key: str, query: str, *, per_page: int = 15, page: int = 1,
                  orientation: str = "portrait", size: str | None = None, min_duration: int | None = None,
                  max_duration: int | None = None, index: int = 0) -> list[PexelsVideo]:
    """One ``GET /videos/search`` with an ``httpx.Client``; raises ProviderError on HTTP errors."""
    params: dict[str, Any] = {"query": query, "orientation": orientation, "per_page": per_page, "page": page}
    if size:
        params["size"] = size
    if min_duration is not None:
        params["min_duration"] = int(min_duration)
    if max_duration is not None:
        params["max_duration"] = int(math.ceil(max_duration))
    resp = client.get(base_url.rstrip("/") + "/videos/search", params=params,
                      headers={"Authorization": api_key, "Accept": "application/json"})
    if resp.status_code >= 400:
        raise pexels_error(resp.status_code, resp.text[:2000], resp.headers, index=index)
    try:
        payload = resp.json()
    except ValueError:
        raise _malformed("not JSON") from None
    return parse_pexels_search(payload)


# ----------------------------------------------------------------------------- downloads


class ClipTooLarge(ProviderError):
    """A download would exceed the byte cap (never retried; the caller may try another file)."""

    def __init__(self, message: str, *, provider: str = "pexels", cap_field: str = "max_clip_mb"):
        super().__init__(message, provider=provider, transient=False, field=cap_field,
                         fix=f"raise {cap_field}, or let the provider choose a smaller file")


def _looks_like_video(head: bytes) -> bool:
    if len(head) >= 8 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
        return True  # MP4 / QuickTime
    return head[:4] == b"\x1a\x45\xdf\xa3"  # Matroska / WebM


def download_clip(client: Any, url: str, dest: Path, *, max_bytes: int, provider: str = "pexels",
                  deadline_s: float | None = None, chunk_size: int = 1 << 16,
                  clock: Any = time.monotonic) -> int:
    """Stream ``url`` to ``dest`` (atomically) with at most ``max_bytes``; returns the size.

    The Content-Length is checked before reading; the count is checked while streaming (a
    server may send no length, or a wrong one). On any failure the partial file is removed
    and ``dest`` is untouched. ``deadline_s`` bounds the whole download (a server that drips
    bytes never trips a per-read timeout). No credentials are sent: the client must not carry
    the API key.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.partial")
    started = clock()
    cap_mb = max_bytes / 1e6
    try:
        with client.stream("GET", url, headers={"Accept": "video/*"}) as resp:
            if resp.status_code >= 400:
                body = resp.read()[:2000].decode(errors="replace")
                raise http_error(provider, resp.status_code, body, resp.headers,
                                 fix_4xx="the file link was refused or is gone; search again (re-run the step)")
            length = resp.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise ClipTooLarge(f"the clip is {int(length) / 1e6:.1f} MB, over the {cap_mb:.1f} MB cap",
                                   provider=provider)
            ctype = (resp.headers.get("content-type") or "").split(";")[0].strip().lower()
            if ctype.startswith("text/") or ctype == "application/json":
                raise ProviderError(f"the file link answered {ctype}, not a video", provider=provider,
                                    transient=True)
            count = 0
            head = b""
            with open(tmp, "wb") as fh:
                for chunk in resp.iter_bytes(chunk_size):
                    count += len(chunk)
                    if count > max_bytes:
                        raise ClipTooLarge(f"the clip passed the {cap_mb:.1f} MB cap while downloading",
                                           provider=provider)
                    if len(head) < 16:
                        head += chunk[:16 - len(head)]
                    fh.write(chunk)
                    if deadline_s is not None and clock() - started > deadline_s:
                        raise ProviderError(f"the download took longer than {deadline_s:.0f} s", provider=provider,
                                            transient=True)
                fh.flush()
                os.fsync(fh.fileno())
            if length is not None and length.isdigit() and count != int(length):
                raise ProviderError(f"the download was cut short ({count} of {length} bytes)", provider=provider,
                                    transient=True)
            if not _looks_like_video(head):
                raise ProviderError("the downloaded file is not a video (no MP4/WebM header)", provider=provider,
                                    transient=True)
        os.replace(tmp, dest)
        return count
    finally:
        if tmp.exists():
            tmp.unlink()


@dataclass
class ClipCredit:
    """Who made a stock clip (Pexels asks for attribution); stored next to the clip."""

    provider: str
    video_id: int
    video_url: str
    author: str
    author_url: str
    file_id: int
    width: int
    height: int
    duration: float
    query: str
    bytes: int = 0
    extra: dict = field(default_factory=dict)

    def write(self, path: Path) -> None:
        tmp = path.with_name(f".{path.name}.partial")
        tmp.write_text(json.dumps(self.__dict__, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)


def credit_path(clip: Path) -> Path:
    """Where the credit of ``scene_03.mp4`` is kept: ``scene_03.credit.json``."""
    return clip.with_name(f"{clip.stem}.credit.json")


def used_video_ids(folder: Path | None, *, skip: Path | None = None) -> set[int]:
    """Stock video ids already used by the scenes in ``folder`` (so a Short does not repeat a clip);
    ``skip``: a credit file not to count (the scene being made again)."""
    ids: set[int] = set()
    if folder is None or not Path(folder).is_dir():
        return ids
    for p in Path(folder).glob("*.credit.json"):
        if skip is not None and p.name == Path(skip).name:
            continue
        try:
            ids.add(int(json.loads(p.read_text(encoding="utf-8"))["video_id"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return ids


__all__ = [
    "COMPOSITION", "STYLE_MODIFIERS", "ClipChoice", "ClipCredit", "ClipTooLarge", "PexelsFile", "PexelsVideo",
    "build_image_prompt", "choose_clip", "choose_clips", "classify_http", "colour_name", "cover_fit",
    "credit_path", "decode_image", "download_clip", "estimate_bytes", "estimate_scene_seconds", "palette_words",
    "parse_pexels_search", "pexels_error", "pexels_search", "search_queries",
    "used_video_ids",
]
