"""ElevenLabsVoiceProvider: the official ``elevenlabs`` SDK against a loopback stand-in of the API.

What the SDK sends (path, ``xi-api-key``, query, body), word timings exact to the character
alignment and to the audio, the joined track, cost per character, and every fault: 429 with
Retry-After, 500, a hung answer, a cut connection, a malformed body, unusable alignments,
request errors (no retry, the field named), a used-up quota (fallback), and the key never
appearing in an error or a log line.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from pipeline_defs.resources.voice import ElevenLabsVoiceProvider, PiperVoiceProvider, VoiceProvider
from shortsmith.config import ElevenLabsVoice, VoiceConfig
from shortsmith.voice.elevenlabs import QuotaExceeded
from shortsmith.resilience import (CallContext, CostMeter, ProviderError, ProviderUnavailable, SqliteRateLimiter,
                                   run_chain)
from shortsmith.voice import caption_words, normalise_text, read_wav
from tests.standins.elevenlabs_api import ElevenLabsStandIn

KEY = "sk_live_5e3f9a1c0b7d4e2fa8c6"
TEXTS = ["Did you know octopuses have three hearts?",
         "Two pump blood to the gills, and 1 pumps it to the body.",
         "Follow for more ocean facts!"]
VOICE = VoiceConfig(elevenlabs=ElevenLabsVoice(voice_id="pNInz6obpgDQGcFmaJgB", model_id="eleven_turbo_v2_5",
                                               stability=0.35, similarity_boost=0.8, style=0.2, speed=1.1))


class Calls:
    """A CallContext whose waits are recorded instead of slept, and whose log is kept."""

    def __init__(self, limiter: SqliteRateLimiter | None = None):
        self.logs: list[str] = []
        self.sleeps: list[float] = []
        self.ctx = CallContext(meter=CostMeter(), log=self.logs.append, limiter=limiter, sleep=self.sleeps.append)


@pytest.fixture
def api():
    with ElevenLabsStandIn(api_key=KEY) as server:
        yield server


def provider(api: ElevenLabsStandIn, **kw) -> ElevenLabsVoiceProvider:
    kw = {"api_key": KEY, "base_url": api.url, "timeout_s": 5.0, "max_attempts": 3, **kw}
    return ElevenLabsVoiceProvider(**kw)


def _rms(audio: np.ndarray, rate: int, a: float, b: float) -> float:
    seg = audio[int(round(a * rate)):int(round(b * rate))]
    return float(np.sqrt(np.mean(seg ** 2))) if seg.size else 0.0


def _expected_times(words: list[str], answer: dict) -> list[tuple[float, float]]:
    """Each word's first letter start and last letter end, straight from the answer's alignment."""
    al = answer["alignment"]
    out, pos = [], 0
    for w in words:
        idx = [pos + k for k, ch in enumerate(w) if ch.isalnum()]
        out.append((al["character_start_times_seconds"][idx[0]], al["character_end_times_seconds"][idx[-1]]))
        pos += len(w) + 1
    return out


def test_request_shape_word_timings_audio_and_cost(api, tmp_path):
    calls = Calls()
    vo = provider(api).synthesize(TEXTS, tmp_path / "voice.wav", VOICE, calls.ctx)

    words = [caption_words(normalise_text(t)) for t in TEXTS]
    sent = [" ".join(w) for w in words]
    reqs = api.tts_requests()
    assert len(reqs) == 3
    for i, r in enumerate(reqs):
        assert r.method == "POST" and r.path == "/v1/text-to-speech/pNInz6obpgDQGcFmaJgB/with-timestamps"
        assert r.headers["xi-api-key"] == KEY
        assert r.query == {"output_format": ["pcm_24000"]}
        body = r.json()
        assert body["text"] == sent[i] and body["model_id"] == "eleven_turbo_v2_5"
        assert body["voice_settings"] == {"stability": 0.35, "similarity_boost": 0.8, "style": 0.2, "speed": 1.1}
        assert body.get("previous_text") == (sent[i - 1] if i else None)
        assert body.get("next_text") == (sent[i + 1] if i < 2 else None)

    assert (vo.sample_rate, vo.engine, vo.timing_source) == (
        24000, "elevenlabs:eleven_turbo_v2_5:pNInz6obpgDQGcFmaJgB", "alignment")
    assert [[w.word for w in b.words] for b in vo.beats] == words
    audio, rate = read_wav(tmp_path / "voice.wav")
    assert rate == 24000 and len(audio) / rate == pytest.approx(vo.duration, abs=1e-4)
    assert vo.beats[0].start == pytest.approx(0.15, abs=1e-3)
    for b, nxt in zip(vo.beats, vo.beats[1:]):
        assert nxt.start - b.end == pytest.approx(0.35, abs=2e-3)
    for b, answer in zip(vo.beats, api.answers):
        expected = _expected_times([w.word for w in b.words], answer)
        a0 = expected[0][0]
        assert b.words[0].start == b.start  # the beat starts with its first letter
        for w, (a, e) in zip(b.words, expected):
            # exact to the alignment: same offsets from the beat's first letter
            assert w.start == pytest.approx(b.start + (a - a0), abs=1e-4)
            assert w.end == pytest.approx(b.start + (e - a0), abs=1e-4)
            # and to the audio: the word sounds inside its span, the space before it is silent
            assert _rms(audio, rate, w.start + 0.01, w.end - 0.01) > 0.1
        for w, nxt in zip(b.words, b.words[1:]):
            assert _rms(audio, rate, w.end + 0.002, nxt.start - 0.002) < 1e-3

    assert [(i.provider, i.operation, i.units) for i in calls.ctx.meter.items] == [
        ("elevenlabs", "tts", {"character": float(len(s))}) for s in sent]
    assert calls.ctx.meter.total == pytest.approx(sum(len(s) for s in sent) * 0.00018, abs=1e-6)
    assert calls.sleeps == [] and not any("retrying" in m for m in calls.logs)


def test_mp3_answers_are_decoded_with_ffmpeg(api, tmp_path):
    vo = provider(api, output_format="mp3_44100_128").synthesize(TEXTS[:2], tmp_path / "v.wav", VOICE, Calls().ctx)
    assert [r.query["output_format"] for r in api.tts_requests()] == [["mp3_44100_128"]] * 2
    audio, rate = read_wav(tmp_path / "v.wav")
    assert rate == vo.sample_rate == 44100
    for b in vo.beats:
        for w in b.words:
            assert _rms(audio, rate, w.start + 0.015, w.end - 0.015) > 0.1


def test_429_waits_as_long_as_retry_after_asks(api, tmp_path):
    api.fault("429", retry_after=2)
    calls = Calls()
    vo = provider(api).synthesize(TEXTS, tmp_path / "v.wav", VOICE, calls.ctx)
    assert calls.sleeps == [2.0]
    assert len(api.tts_requests()) == 4 and len(vo.beats) == 3
    assert any("HTTP 429" in m and "retrying in 2.00 s" in m for m in calls.logs)
    assert len(calls.ctx.meter.items) == 3  # the refused request costs nothing


def test_500_then_success_with_the_sdks_own_retries_off(api, tmp_path):
    api.fault("500")
    calls = Calls()
    provider(api).synthesize(TEXTS[:1], tmp_path / "v.wav", VOICE, calls.ctx)
    assert len(api.tts_requests()) == 2  # one 500 + one success: the SDK did not retry on its own
    assert len(calls.sleeps) == 1 and 0 < calls.sleeps[0] <= 0.5


def test_a_hung_answer_times_out_and_is_retried(api, tmp_path):
    api.fault("hang", seconds=10)
    calls = Calls()
    started = time.monotonic()
    vo = provider(api, timeout_s=0.5).synthesize(TEXTS[:1], tmp_path / "v.wav", VOICE, calls.ctx)
    assert time.monotonic() - started < 5
    assert len(vo.beats) == 1 and len(api.tts_requests()) == 2 and len(calls.sleeps) == 1
    assert any("no answer in time" in m for m in calls.logs)


def test_a_cut_connection_is_retried(api, tmp_path):
    api.fault("cut")
    calls = Calls()
    provider(api).synthesize(TEXTS[:1], tmp_path / "v.wav", VOICE, calls.ctx)
    assert len(api.tts_requests()) == 2 and any("connection failed" in m for m in calls.logs)


def test_malformed_json_is_retried_then_a_clear_error(api, tmp_path):
    api.fault("malformed")
    calls = Calls()
    provider(api).synthesize(TEXTS[:1], tmp_path / "v.wav", VOICE, calls.ctx)
    assert len(api.tts_requests()) == 2

    api.fault("malformed", times=2)
    with pytest.raises(ProviderError) as exc:
        provider(api, max_attempts=2).synthesize(TEXTS[:1], tmp_path / "w.wav", VOICE, Calls().ctx)
    assert exc.value.transient and "gave up after 2 attempts" in exc.value.message
    assert "malformed response" in exc.value.message and "not JSON" in exc.value.message
    assert len(api.tts_requests()) == 4 and not (tmp_path / "w.wav").exists()


@pytest.mark.parametrize("kind", ["no_alignment", "short_lengths", "empty_audio", "bad_base64", "bad_audio",
                                  "wrong_text", "times_past_audio"])
def test_unusable_answers_are_retried(api, tmp_path, kind):
    api.corrupt(kind)
    calls = Calls()
    vo = provider(api).synthesize(TEXTS[:1], tmp_path / "v.wav", VOICE, calls.ctx)
    assert len(api.tts_requests()) == 2 and len(calls.sleeps) == 1 and len(vo.beats[0].words) == 7
    assert any("malformed response: beat 1" in m for m in calls.logs)
    assert len(calls.ctx.meter.items) == 1


def test_an_alignment_that_stays_unusable_is_a_clear_error(api, tmp_path):
    api.corrupt("short_lengths", times=3)
    with pytest.raises(ProviderError) as exc:
        provider(api).synthesize(TEXTS[:1], tmp_path / "v.wav", VOICE, Calls().ctx)
    assert "gave up after 3 attempts" in exc.value.message
    assert "the alignment has 41 characters but 41 start and 39 end times" in exc.value.message


def test_only_a_normalized_alignment_still_times_every_written_word(api, tmp_path):
    api.corrupt("only_normalized")
    vo = provider(api).synthesize([TEXTS[1]], tmp_path / "v.wav", VOICE, Calls().ctx)
    assert len(api.tts_requests()) == 1
    words = {w.word: w for w in vo.beats[0].words}
    audio, rate = read_wav(tmp_path / "v.wav")
    one = words["1"]  # spoken as "one": the written digit spans the spoken word
    assert one.end - one.start == pytest.approx(3 * 0.055 / 1.1, abs=2e-3)
    assert _rms(audio, rate, one.start + 0.01, one.end - 0.01) > 0.1


def test_a_refused_key_is_not_retried_and_never_shown(api, tmp_path):
    wrong = "sk_live_ffffeeee0000dddd1111"
    calls = Calls()
    with pytest.raises(ProviderError) as exc:
        provider(api, api_key=wrong).synthesize(TEXTS, tmp_path / "v.wav", VOICE, calls.ctx)
    err = exc.value
    assert not err.transient and err.status == 401 and err.field == "ELEVENLABS_API_KEY"
    assert "ELEVENLABS_API_KEY" in err.fix and "invalid_api_key" in err.message
    assert len(api.tts_requests()) == 1 and calls.sleeps == []
    assert wrong not in str(err) and wrong not in repr(err.args)

    # an error body that echoes the key: scrubbed from the error and from every log line
    api.fault("500", body={"detail": {"status": "internal_server_error", "message": f"key {KEY} failed"}})
    api.fault("401", body={"detail": {"status": "invalid_api_key", "message": f"Invalid API key {KEY}"}})
    calls = Calls()
    with pytest.raises(ProviderError) as exc:
        provider(api).synthesize(TEXTS, tmp_path / "v.wav", VOICE, calls.ctx)
    assert KEY not in str(exc.value) and "***" in str(exc.value) and exc.value.status == 401
    assert calls.logs and not any(KEY in m for m in calls.logs)
    assert any("***" in m for m in calls.logs)


@pytest.mark.parametrize("change, status, field", [
    ({"voice_id": "NoSuchVoice000"}, 404, "channels[..].voice.elevenlabs.voice_id"),
    ({"model_id": "eleven_nonexistent_v9"}, 400, "channels[..].voice.elevenlabs.model_id"),
    ({"stability": 1.5}, 422, "channels[..].voice.elevenlabs.stability"),
    ({"speed": 2.0}, 422, "channels[..].voice.elevenlabs.speed"),
])
def test_request_errors_name_the_voice_field_and_are_not_retried(api, tmp_path, change, status, field):
    el = {**VOICE.elevenlabs.__dict__, **change}
    voice = VoiceConfig(elevenlabs=ElevenLabsVoice(**el))
    calls = Calls()
    with pytest.raises(ProviderError) as exc:
        provider(api).synthesize(TEXTS, tmp_path / "v.wav", voice, calls.ctx)
    assert (exc.value.status, exc.value.field, exc.value.transient) == (status, field, False)
    assert exc.value.fix and len(api.tts_requests()) == 1 and calls.sleeps == []


def test_a_used_up_quota_is_not_retried_and_lets_the_chain_fall_back(tmp_path):
    with ElevenLabsStandIn(api_key=KEY, quota_characters=60) as api:
        calls = Calls()
        res = provider(api)
        with pytest.raises(ProviderUnavailable) as exc:
            res.synthesize(TEXTS, tmp_path / "v.wav", VOICE, calls.ctx)
        assert "quota_exceeded" in exc.value.message and "upgrade" in exc.value.fix
        assert not isinstance(exc.value, QuotaExceeded)
        assert len(api.tts_requests()) == 2 and calls.sleeps == []  # beat 1 fits, beat 2 does not
        outcome = run_chain("voice", [
            ("elevenlabs", lambda: res.synthesize(TEXTS, tmp_path / "v.wav", VOICE, calls.ctx)),
            ("piper", lambda: "spoken by piper")])
        assert outcome.provider == "piper" and outcome.skipped[0][0] == "elevenlabs"


def test_no_key_means_not_configured_without_a_request(api, tmp_path):
    res = ElevenLabsVoiceProvider(base_url=api.url)
    assert not res.is_configured() and res.configure_hint == "set ELEVENLABS_API_KEY"
    with pytest.raises(ProviderUnavailable, match="ELEVENLABS_API_KEY"):
        res.synthesize(TEXTS, tmp_path / "v.wav", VOICE, Calls().ctx)
    assert api.requests == []


def test_rate_limit_is_shared_through_the_call_context(api, tmp_path):
    clock = [1000.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        clock[0] += s

    limiter = SqliteRateLimiter(tmp_path / "rate.sqlite", clock=lambda: clock[0], sleep=sleep)
    calls = Calls(limiter)
    provider(api, requests_per_minute=2).synthesize(TEXTS, tmp_path / "v.wav", VOICE, calls.ctx)
    assert len(api.tts_requests()) == 3 and len(waits) == 1 and waits[0] == pytest.approx(60.0)


def test_provider_names_and_cache_descriptions():
    piper, eleven = PiperVoiceProvider(), ElevenLabsVoiceProvider(api_key=KEY)
    assert isinstance(piper, VoiceProvider) and isinstance(eleven, VoiceProvider)
    assert (piper.provider, eleven.provider) == ("piper", "elevenlabs")
    other = VoiceConfig(elevenlabs=ElevenLabsVoice(stability=0.9))
    assert piper.describe(VOICE) == piper.describe(other)  # ElevenLabs settings do not touch Piper's cache
    assert "elevenlabs" not in json.dumps(piper.describe(VOICE))
    d = eleven.describe(VOICE)
    assert d == {"provider": "elevenlabs", "voice_id": "pNInz6obpgDQGcFmaJgB", "model_id": "eleven_turbo_v2_5",
                 "stability": 0.35, "similarity_boost": 0.8, "style": 0.2, "speed": 1.1,
                 "output_format": "pcm_24000"}
    assert eleven.describe(other) != eleven.describe(VOICE)
    assert KEY not in json.dumps(d)
    json.dumps(piper.describe(VOICE))


def test_piper_accepts_and_ignores_the_call_context(tmp_path):
    calls = Calls()
    vo = PiperVoiceProvider().synthesize(["Hello there."], tmp_path / "p.wav", VoiceConfig(), calls.ctx)
    assert [w.word for w in vo.beats[0].words] == ["Hello", "there."] and calls.ctx.meter.items == []
    assert Path(vo.wav_path).exists()
