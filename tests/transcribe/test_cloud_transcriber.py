"""OpenAI transcription through the official openai SDK against the loopback stand-in, with faults."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline_defs.resources.transcriber import OpenAITranscriberResource, Transcribers
from shortsmith.errors import MediaError
from shortsmith.resilience import CallContext, CostMeter, ProviderError
from shortsmith.voice.wav import write_wav
from tests.standins.openai_api import OpenAIStandIn

KEY = "sk-test-SECRET-transcribe-0001"
TEXT = "Octopuses have three hearts. Why is their blood blue? It carries copper, not iron."


@pytest.fixture
def api():
    with OpenAIStandIn() as server:
        yield server


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    path = tmp_path_factory.mktemp("asr") / "tone.wav"
    t = np.arange(int(22050 * 6.0)) / 22050
    write_wav(path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 22050)
    return path


def resource(api, **kw) -> OpenAITranscriberResource:
    return OpenAITranscriberResource(**{"api_key": KEY, "base_url": api.url + "/v1", "timeout_s": 2.0, **kw})


def calls(sleeps: list | None = None, logs: list | None = None) -> CallContext:
    return CallContext(meter=CostMeter(), log=(logs.append if logs is not None else (lambda m: None)),
                       sleep=(sleeps.append if sleeps is not None else (lambda s: None)))


def test_verbose_json_words_punctuated_and_timed(api, speech):
    api.queue_transcript(TEXT)
    ctx = calls()
    t = resource(api).transcribe(speech, calls=ctx)
    [req] = api.seen("/v1/audio/transcriptions")
    assert req.headers["authorization"] == f"Bearer {KEY}"
    fields = OpenAIStandIn._multipart(req)
    assert fields["model"] == ["whisper-1"] and fields["response_format"] == ["verbose_json"]
    assert sorted(fields["timestamp_granularities[]"]) == ["segment", "word"]
    assert fields["file"][0][:3] == b"ID3" or fields["file"][0][:2] in (b"\xff\xfb", b"\xff\xf3")  # an MP3
    assert [w.word for w in t.words] == TEXT.split()  # punctuation put back from the segments
    assert t.language == "en" and abs(t.duration - 6.0) < 0.2
    starts = [w.start for w in t.words]
    assert starts == sorted(starts) and all(w.end >= w.start for w in t.words)
    assert [s.text for s in t.sentences()] == ["Octopuses have three hearts.", "Why is their blood blue?",
                                               "It carries copper, not iron."]
    [item] = ctx.meter.items
    assert item.provider == "openai-transcribe" and item.usd == pytest.approx(0.006 * 6 / 60, rel=0.05)


def test_retries_429_5xx_cut_and_malformed_then_succeeds(api, speech):
    api.fault("429", path="/v1/audio/transcriptions", retry_after=2)
    api.fault("500", path="/v1/audio/transcriptions")
    api.fault("cut", path="/v1/audio/transcriptions")
    sleeps: list[float] = []
    t = resource(api, max_attempts=4).transcribe(speech, calls=calls(sleeps))
    assert t.words and len(api.seen("/v1/audio/transcriptions")) == 4
    assert sleeps[0] >= 2  # Retry-After honoured
    api.fault("malformed", path="/v1/audio/transcriptions", times=4)
    with pytest.raises(ProviderError) as err:
        resource(api, max_attempts=4).transcribe(speech, calls=calls())
    assert "malformed" in str(err.value) and KEY not in str(err.value)


def test_timeout_and_bad_key_fail_clearly(api, speech):
    api.fault("hang", path="/v1/audio/transcriptions", seconds=5, times=2)
    with pytest.raises(ProviderError) as err:
        resource(api, max_attempts=2, timeout_s=0.5).transcribe(speech, calls=calls())
    assert "timed out" in str(err.value)
    api.fault("401", path="/v1/audio/transcriptions")
    with pytest.raises(ProviderError) as err:
        resource(api).transcribe(speech, calls=calls())
    assert "OPENAI_API_KEY" in str(err.value) and KEY not in str(err.value)


def test_media_without_audio_is_refused_before_any_call(api, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video")
    with pytest.raises(MediaError) as err:
        resource(api).transcribe(bad, calls=calls())
    assert err.value.field == "media" and "fetch it again" in str(err.value)
    assert api.seen("/v1/audio/transcriptions") == []


def test_provider_set_chain():
    from pipeline_defs import settings

    s = settings.load().providers
    t = Transcribers.from_settings(s)
    assert "local" in t.chain()
    assert t.chain("openai")[-1] == "local"
