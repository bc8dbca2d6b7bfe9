"""One speaker's ElevenLabs voice fails (500s, through the official SDK against the loopback
stand-in): that speaker falls back to Piper, the others stay on ElevenLabs, the metadata says so."""

from __future__ import annotations

import dagster as dg
import pytest

from tests.conftest import write_channels
from tests.standins.elevenlabs_api import ElevenLabsStandIn

KEY = "sk_fake_ELEVEN_cast_0123456789"
ADAM, RACHEL, BELLA = "pNInz6obpgDQGcFmaJgB", "21m00Tcm4TlvDq8ikWAM", "EXAVITQu4vr4xnEhQ8Ju"

NARRATIVE = """# The Signal, part 1
channel: curious-minds
series: the-signal

[SCENE: a dim control room, green monitors flicker; lighting: low key]
NARRATOR: The message came at 3:07.
OPERATOR: It's not from any station we know.
[TERMINAL: INCOMING TRANSMISSION]
ANALYST: It repeats every eleven seconds.
[TRANSITION: glitch]
NARRATOR: Nobody said a word.
"""


def _member(voice_id: str, pitch: float) -> dict:
    return {"voices": ["elevenlabs", "piper"], "elevenlabs": {"voice_id": voice_id}, "piper": {"pitch": pitch}}


@pytest.fixture
def env(tmp_path, monkeypatch):
    with ElevenLabsStandIn(api_key=KEY) as api:
        monkeypatch.setenv("SHORTSMITH_HOME", str(tmp_path / "home"))
        for name in ("SHORTSMITH_MEDIA", "SHORTSMITH_CHANNEL_DIR", "SHORTSMITH_STORAGE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("ELEVENLABS_API_KEY", KEY)
        monkeypatch.setenv("ELEVENLABS_BASE_URL", api.url)
        monkeypatch.setenv("SHORTSMITH_CHANNELS", str(write_channels(
            tmp_path / "channels.yaml", providers={"voice": ["elevenlabs", "piper"]},
            cast={"NARRATOR": _member(ADAM, -3)},
            series={"the-signal": {"cast": {"OPERATOR": _member(RACHEL, 4), "ANALYST": _member(BELLA, 8)}}})))
        yield api


def test_a_failing_speaker_falls_back_to_piper_and_the_others_stay_on_elevenlabs(env):
    from pipeline_defs.assets import VIDEO_ASSETS
    from pipeline_defs.definitions import location_resources
    from pipeline_defs.requests import write_request
    from shortsmith.config import load_channels
    from shortsmith.narrative import narrative_to_dict, parse_narrative
    from shortsmith.model import read_json, voiceover_from_dict

    api = env
    api.fault("500", path=f"/v1/text-to-speech/{RACHEL}", times=50)  # OPERATOR's voice is down
    resources = location_resources()
    narrative = parse_narrative(NARRATIVE, name="signal.md")
    import os

    ch = load_channels(os.environ["SHORTSMITH_CHANNELS"]).get("curious-minds")
    store = resources["storage"].store()
    key = write_request(store, ch, narrative.title, "cli", narrative=narrative_to_dict(narrative))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("videos", [key])
        result = dg.materialize(VIDEO_ASSETS, selection=["video_scripts", "voiceovers"], partition_key=key,
                                resources=resources, instance=instance)
        mats = result.asset_materializations_for_node("voiceovers")
        meta = {k: v.value for k, v in mats[-1].metadata.items()}
    assert meta["speaker_providers"] == {"NARRATOR": "elevenlabs", "OPERATOR": "piper", "ANALYST": "elevenlabs"}
    assert meta["provider"] == "elevenlabs+piper"
    assert "| OPERATOR | piper |" in meta["beat_timings"] and "| ANALYST | elevenlabs |" in meta["beat_timings"]
    vo = voiceover_from_dict(read_json(store.file(key, "voice", "voiceover.json")))
    assert [(b.speaker, b.provider) for b in vo.beats] == [
        ("NARRATOR", "elevenlabs"), ("OPERATOR", "piper"), ("ANALYST", "elevenlabs"), ("NARRATOR", "elevenlabs")]
    # every beat is voiced, in order, with its words timed inside it
    for a, b in zip(vo.beats, vo.beats[1:]):
        assert a.end < b.start
    assert all(b.words and b.start <= b.words[0].start and b.words[-1].end <= b.end for b in vo.beats)
    # OPERATOR's voice was tried (and retried) at ElevenLabs before Piper spoke; the others were asked once per line
    paths = [r.path for r in api.tts_requests()]
    assert sum(RACHEL in p for p in paths) >= 2
    assert sum(ADAM in p for p in paths) == 2 and sum(BELLA in p for p in paths) == 1
