"""Session fixtures: the generated talk, and its offline transcript (the model is loaded once)."""

from __future__ import annotations

import resource
import time

import pytest

from tests.transcribe.talk import make_talk


@pytest.fixture(scope="session")
def talk(tmp_path_factory):
    return make_talk(tmp_path_factory.mktemp("talk"))


@pytest.fixture(scope="session")
def local_transcript(talk):
    from shortsmith.transcribe.local import WhisperLocal

    t0 = time.perf_counter()
    transcript = WhisperLocal().transcribe(talk["mp4"])
    transcript.meta["wall_seconds"] = round(time.perf_counter() - t0, 2)
    transcript.meta["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return transcript
