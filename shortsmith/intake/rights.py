"""May clips of a reference be published? Only the user's own media, or media whose licence allows reuse.

``rights`` is what the user declared for the source (``owned`` or nothing); ``licence`` is what
the source states (yt-dlp's ``license`` field, or the file's ``license``/``copyright`` tag).
Licences that allow reuse with modification and commercial use: public domain / CC0, CC BY and
CC BY-SA (attribution is given in the description). NC (non-commercial) and ND (no derivatives)
licences do not allow Shorts cut from the source, and "Standard YouTube License" is all rights
reserved.
"""

from __future__ import annotations

import re

from ..errors import InputError

RIGHTS = ("owned", "")
_REUSABLE = re.compile(r"(public\s*domain|\bcc0\b|creative\s*commons\s*(zero|attribution)|\bcc[\s-]*by\b|"
                       r"reuse\s*allowed)", re.IGNORECASE)


def normalise_rights(rights: str | None) -> str:
    value = (rights or "").strip().lower()
    if value not in RIGHTS:
        raise InputError(f"rights {rights!r} is not known", field="rights",
                         fix="use 'owned' for your own media, or leave it out (then the source's licence decides)")
    return value


def licence_allows_reuse(licence: str) -> bool:
    text = (licence or "").strip()
    if not text:
        return False
    if re.search(r"\b(nc|nd|non[\s-]*commercial|no[\s-]*deriv)", text, re.IGNORECASE):
        return False
    return bool(_REUSABLE.search(text))


def publish_refusal(rights: str, licence: str, uploader: str = "", source: str = "") -> tuple[str, str] | None:
    """None when clips may be published, else (message, fix) for the error that stops the publish step."""
    if normalise_rights(rights) == "owned" or licence_allows_reuse(licence):
        return None
    what = f"{source} (uploader: {uploader})" if uploader else source or "the reference"
    stated = f"its licence is {licence!r}" if licence else "it states no licence"
    return (f"clips of {what} are not published: {stated}, which does not allow reuse, and the source is not "
            "declared your own",
            "if the source is yours, declare it: shortsmith clip SOURCE --channel NAME --rights owned (or "
            "'rights: owned' on the inbox line); otherwise use a source under a reuse licence (CC BY, CC BY-SA, "
            "CC0, public domain)")
