"""Whether a channel's voice can say a topic or narrative, checked before any partition exists.

A topic in a script the channel's language does not use (Arabic, Hebrew or Chinese on an English
channel) would be accepted, recorded and then fail at the voice; it is refused up front instead.
"""

from __future__ import annotations

import unicodedata

from .config import Channel
from .errors import InputError
from .voice.text import allowed_scripts


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ")[0] if name else ""


def unsayable(channel: Channel, text: str) -> list[str]:
    """Letters of ``text`` in scripts the channel's voice language cannot read (empty: all fine)."""
    scripts = allowed_scripts(channel.language)
    if scripts is None:
        return []
    bad = [ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch)[0] == "L"
           and _script(ch) not in scripts]
    return list(dict.fromkeys(bad))


def check_speakable(channel: Channel, text: str, *, field: str = "topic") -> None:
    """Raise InputError naming the letters and the fix when the channel's voice cannot say ``text``."""
    bad = unsayable(channel, text)
    if bad:
        shown = ", ".join(f"{ch!r} ({_script(ch).title() or 'unknown'})" for ch in bad[:5])
        scripts = ", ".join(sorted(s.title() for s in allowed_scripts(channel.language) or ()))
        raise InputError(
            f"{channel.name}'s voice speaks {channel.language!r} ({scripts} letters) and cannot say {shown}",
            field=field,
            fix=f"write the {field} in {channel.language!r}, or use a channel whose language and voice match it")
