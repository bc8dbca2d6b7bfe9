"""Transcripts in the media store: ``<reference partition>/transcript/transcript.json`` (no Dagster).

Entry points for the CLI and the clip stages: :func:`load_transcript` and :func:`transcript_json`
(the ``shortsmith transcribe`` output: source, language, duration and the words with start/end).
"""

from __future__ import annotations

from ..model import read_json
from ..storage import MediaStore
from . import Transcript

STAGE = "transcript"
FILE = "transcript.json"
VERSION = "transcript-v2"  # v2: transcript.txt beside the JSON


def load_transcript(store: MediaStore, key: str) -> Transcript | None:
    """The committed transcript of reference ``key``, or None when it was never made."""
    manifest = store.manifest(key, STAGE)
    if manifest is None:
        return None
    return Transcript.from_dict(read_json(store.file(key, STAGE, FILE)))


def transcript_json(store: MediaStore, key: str) -> dict | None:
    """``{"source", "language", "duration", "provider", "model", "words": [{"word", "start", "end"}], "sentences"}``."""
    transcript = load_transcript(store, key)
    if transcript is None:
        return None
    record = store.read_record("references", key) or {}
    return {"source": record.get("source", ""), "reference": key, "language": transcript.language,
            "duration": transcript.duration, "provider": transcript.provider, "model": transcript.model,
            "words": [{"word": w.word, "start": w.start, "end": w.end} for w in transcript.words],
            "sentences": [{"text": s.text, "start": s.start, "end": s.end} for s in transcript.sentences()]}
