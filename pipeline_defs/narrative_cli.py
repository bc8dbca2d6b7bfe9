"""``shortsmith narrative FILE.md``: a narrative file becomes a video request, checked as the inbox checks it.

The same checks as the inbox sensor (:mod:`pipeline_defs.sensors.inbox`): the file is parsed
(:func:`shortsmith.narrative.parse_narrative`, every problem with its line number), its script is
built for the channel before any partition exists (unknown speakers, too long for the format), and
the voice must be able to say it. Then the request record carries the narrative and the partition is
added, as ``shortsmith video`` does for a topic.
"""

from __future__ import annotations

from pathlib import Path

from shortsmith.errors import InputError
from shortsmith.languages import check_speakable
from shortsmith.narrative import MAX_BYTES, narrative_script, narrative_to_dict, parse_narrative


def read_narrative_file(path: str) -> str:
    p = Path(path).expanduser()
    if not p.is_file():
        raise InputError(f"{path} does not exist", field="FILE", fix="give the path of a narrative .md file")
    raw = p.read_bytes()
    if len(raw) > MAX_BYTES:
        raise InputError(f"{p.name} is larger than {MAX_BYTES // 1000} kB", field="FILE",
                         fix="split it into several narratives")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p.name} is not UTF-8 text (byte {exc.start})", field="FILE", fix="save it as UTF-8") from None


def add_narrative(path: str, channel: str | None = None) -> str:
    """Check the narrative, write its request and add its partition; the partition key."""
    from shortsmith.quota import local_day, utcnow

    from .cli import _instance
    from .definitions import defs
    from .ledger import Ledger
    from .partitions import videos_partitions
    from .requests import write_request

    name = Path(path).name
    narrative = parse_narrative(read_narrative_file(path), name=name)
    if channel and narrative.channel and channel != narrative.channel:
        raise InputError(f"--channel {channel} and the file's 'channel: {narrative.channel}' disagree",
                         field="--channel", fix="drop --channel or correct the file's channel: line")
    chosen = channel or narrative.channel
    if not chosen:
        raise InputError(f"{name} names no channel", field="--channel",
                         fix="add a 'channel: NAME' line under the title, or pass --channel NAME")
    resources = defs.resources
    ch = resources["channels"].get(chosen)
    narrative_script(ch, narrative, name=name)  # every problem, before any partition exists
    check_speakable(ch, " ".join([narrative.title, *narrative.paragraphs]), field="narrative")
    store = resources["storage"].store()
    key = write_request(store, ch, narrative.title, "cli", narrative=narrative_to_dict(narrative), overwrite=True)
    instance = _instance()
    if not instance.has_dynamic_partition(videos_partitions.name, key):
        Ledger(instance).record_requested(ch.name, local_day(utcnow(), ch.timezone), "cli", key, narrative.title)
        try:
            instance.add_dynamic_partitions(videos_partitions.name, [key])
        except Exception:  # another command added it at the same moment: a no-op
            if not instance.has_dynamic_partition(videos_partitions.name, key):
                raise
    print(f"narrative: {name} ({len(narrative.paragraphs)} lines) for {ch.name}")
    return key
