"""Publishing: the upload request YouTube would get, its checks, and the offline "channel folder".

``build_upload_request`` produces the same ``snippet``/``status`` body that the YouTube
Data API's ``videos.insert`` takes, validated against YouTube's limits before anything
is sent. The offline publisher writes the video, the thumbnail and that body into
``<root>/<channel>/<partition>/`` exactly once: a partition that is already published
is never published again (re-running reports the existing publication).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from .config import Channel
from .errors import ValidationFailed
from .formats import as_normal_video, is_short
from .model import Script
from .storage import file_sha256, sweep_stale, temp_name
from .topics import split_partition_key

TITLE_MAX = 100
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX_CHARS = 500


def _tags_length(tags: list[str]) -> int:
    # YouTube counts a tag with a space as if it were quoted (+2), plus a comma between tags.
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(0, len(tags) - 1)


def with_credits(description: str, credits: list[str] | None) -> str:
    """The description with each credit line the video's assets require (once, at the end)."""
    lines = [c.strip() for c in (credits or []) if c and c.strip() and c.strip() not in description]
    return description.rstrip() + ("\n\n" + "\n".join(dict.fromkeys(lines)) if lines else "")


def build_upload_request(script: Script, channel: Channel, credits: list[str] | None = None) -> dict:
    """The videos.insert body for this script, or a ValidationFailed naming the field. ``credits``:
    attribution lines the scenes' assets require (e.g. Twemoji's CC-BY credit), appended to the
    description."""
    title = script.title.strip()
    description = with_credits(script.description.strip(), credits)
    tags = [t.strip() for t in script.tags if t.strip()]
    if not title:
        raise ValidationFailed("the title is empty", field="snippet.title", fix="give the script a title")
    if len(title) > TITLE_MAX:
        raise ValidationFailed(f"the title has {len(title)} characters", field="snippet.title",
                               fix=f"shorten it to at most {TITLE_MAX} characters")
    for name, text in (("snippet.title", title), ("snippet.description", description)):
        if "<" in text or ">" in text:
            raise ValidationFailed("contains '<' or '>', which YouTube rejects", field=name,
                                   fix="remove angle brackets")
    if len(description.encode("utf-8")) > DESCRIPTION_MAX_BYTES:
        raise ValidationFailed(f"the description is {len(description.encode())} bytes", field="snippet.description",
                               fix=f"shorten it to at most {DESCRIPTION_MAX_BYTES} bytes")
    while tags and _tags_length(tags) > TAGS_MAX_CHARS:
        tags.pop()  # drop the least important tags rather than fail
    body = {
        "snippet": {
            "title": title,
            "description": description,
            "tags": tags,
            "categoryId": channel.category_id,
            "defaultLanguage": channel.language,
            "defaultAudioLanguage": channel.language,
        },
        "status": {
            "privacyStatus": channel.privacy,  # always explicit, never YouTube's default
            "selfDeclaredMadeForKids": channel.made_for_kids,
            "containsSyntheticMedia": channel.synthetic_media,
            "embeddable": True,
        },
    }
    # a 16:9 episode is a normal video: no #Shorts, no "shorts" tag (shortsmith/formats.py)
    return body if is_short(getattr(script, "format", "9:16")) else as_normal_video(body)


@dataclass
class Publication:
    video_id: str
    url: str
    partition: str
    channel: str
    folder: str
    video_path: str
    thumbnail_path: str
    metadata_path: str
    video_sha256: str
    published_at: str
    privacy: str
    already_published: bool = False


class LocalChannelPublisher:
    """Publishes into a local folder per channel; the offline stand-in for YouTube."""

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().resolve()

    def folder(self, partition: str) -> Path:
        channel, _ = split_partition_key(partition)
        return self.root / channel / partition

    def existing(self, partition: str) -> Publication | None:
        record = self.folder(partition) / "publication.json"
        if not record.is_file():
            return None
        data = json.loads(record.read_text(encoding="utf-8"))
        pub = Publication(**{k: v for k, v in data.items() if k in Publication.__dataclass_fields__})
        pub.already_published = True
        return pub

    def publish(self, partition: str, *, video: Path, thumbnail: Path, request: dict) -> Publication:
        found = self.existing(partition)
        if found is not None:
            return found
        channel, _ = split_partition_key(partition)
        final = self.folder(partition)
        final.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(final.parent, f".{partition}.tmp")  # a killed earlier publish's half-copied folder
        tmp = final.parent / temp_name(f".{partition}.tmp")
        tmp.mkdir()
        try:
            shutil.copyfile(video, tmp / "video.mp4")
            shutil.copyfile(thumbnail, tmp / "thumbnail.jpg")
            digest = file_sha256(tmp / "video.mp4")
            video_id = f"local-{digest[:11]}"
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            body = {**request, "id": video_id, "publishedAt": now}
            (tmp / "metadata.json").write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
            pub = Publication(
                video_id=video_id, url=(final / "video.mp4").as_uri(), partition=partition, channel=channel,
                folder=str(final), video_path=str(final / "video.mp4"), thumbnail_path=str(final / "thumbnail.jpg"),
                metadata_path=str(final / "metadata.json"), video_sha256=digest, published_at=now,
                privacy=request["status"]["privacyStatus"],
            )
            # publication.json is the commit record: written last, then the folder appears at once.
            (tmp / "publication.json").write_text(json.dumps(asdict(pub), indent=2), encoding="utf-8")
            if final.exists():  # a folder without a commit record is debris from a crash
                shutil.rmtree(final)
            tmp.replace(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return pub
