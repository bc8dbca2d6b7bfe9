"""ElevenLabs answers -> beat audio, word timings and the joined track (no server, no Dagster)."""

from __future__ import annotations

import base64
import inspect
import json
import typing
import wave

import httpx
import numpy as np
import pytest
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError
from elevenlabs.text_to_speech.types.text_to_speech_convert_with_timestamps_request_output_format import (
    TextToSpeechConvertWithTimestampsRequestOutputFormat,
)
from elevenlabs.types import AudioWithTimestampsResponse

from shortsmith import timing
from shortsmith.voice import elevenlabs as el
from shortsmith.errors import ConfigError
from shortsmith.model import Voiceover
from shortsmith.resilience import ProviderError
from shortsmith.voice import caption_words, normalise_text, read_wav, synthesize_beats

RATE = 24000


def _alignment(text: str, start: float = 0.1, per_char: float = 0.05) -> dict:
    starts = [round(start + k * per_char, 3) for k in range(len(text))]
    return {"characters": list(text), "character_start_times_seconds": starts,
            "character_end_times_seconds": [round(s + per_char, 3) for s in starts]}


def _pcm(seconds: float, rate: int = RATE, loud: tuple[float, float] | None = None) -> bytes:
    audio = np.zeros(int(seconds * rate), np.float32)
    a, b = loud or (0.0, seconds)
    t = np.arange(int(a * rate), int(b * rate))
    audio[t] = 0.4 * np.sin(2 * np.pi * 220 * t / rate)
    return np.round(audio * 32767).astype("<i2").tobytes()


def _answer(text: str, **changes) -> dict:
    al = _alignment(text)
    end = al["character_end_times_seconds"][-1]
    data = {"audio_base64": base64.b64encode(_pcm(end + 0.2, loud=(0.1, end))).decode(), "alignment": al,
            "normalized_alignment": _alignment(" " + text, start=0.05)}
    data.update(changes)
    return data


def test_output_formats_are_exactly_the_sdks():
    sdk = set(typing.get_args(typing.get_args(TextToSpeechConvertWithTimestampsRequestOutputFormat)[0]))
    assert el.OUTPUT_FORMATS == sdk
    assert el.parse_output_format("mp3_44100_128") == ("mp3", 44100)
    assert el.parse_output_format(el.DEFAULT_OUTPUT_FORMAT) == ("pcm", 24000)
    with pytest.raises(ConfigError) as exc:
        el.parse_output_format("mp3_44100")
    assert exc.value.field == "ElevenLabsVoiceProvider.output_format" and "pcm_24000" in exc.value.fix


def test_silences_match_the_piper_path():
    shared = (timing.LEAD_IN_S, timing.PAUSE_BETWEEN_BEATS_S, timing.TAIL_S)
    for fn in (synthesize_beats, el.join_beats):
        params = inspect.signature(fn).parameters
        assert (params["lead_in_s"].default, params["pause_s"].default, params["tail_s"].default) == shared


def test_words_are_split_like_the_rest_of_the_pipeline():
    texts = ["Did you know \u2014 octopuses have three hearts?", "Dr. Smith said: \u201cwow\u201d !"]
    words = el.beat_words(texts, model_id="eleven_multilingual_v2")
    assert words == [caption_words(normalise_text(t)) for t in texts]


def test_multilingual_model_accepts_other_scripts():
    assert el.beat_words(["Привет, мир"], model_id="eleven_multilingual_v2") == [["Привет,", "мир"]]


def test_word_times_are_the_characters_times_without_punctuation():
    words = ["Hello,", "world!", "(really)"]
    text = " ".join(words)
    al = el.read_alignment(_alignment(text))
    times = el.word_times(words, al)
    # "Hello," -> H..o (chars 0-4); "world!" -> chars 7-11; "(really)" -> r..y (chars 15-20)
    assert times[0] == (al.starts[0], al.ends[4])
    assert times[1] == (al.starts[7], al.ends[11])
    assert times[2] == (al.starts[15], al.ends[20])


def test_sdk_response_model_is_read_like_the_json():
    words = ["Octopuses", "have", "three", "hearts."]
    data = _answer(" ".join(words))
    model = AudioWithTimestampsResponse.model_validate(data)
    a = el.read_response(model, words, "pcm_24000")
    b = el.read_response(data, words, "pcm_24000")
    assert a.times == b.times and np.array_equal(a.audio, b.audio) and a.rate == RATE
    assert a.characters == len(" ".join(words))


def test_alignment_is_preferred_over_normalized_when_it_matches():
    words = ["It", "works."]
    data = _answer("It works.")
    data["normalized_alignment"] = _alignment(" It works.", start=0.3)  # would give other times
    speech = el.read_response(data, words, "pcm_24000")
    assert speech.times[0] == (0.1, 0.2)


def test_normalized_alignment_maps_a_number_onto_its_spoken_words():
    words = ["Born", "in", "1969,", "really."]
    spoken = " Born in nineteen sixty-nine, really."
    data = _answer(" ".join(words), alignment=None, normalized_alignment=_alignment(spoken, start=0.0, per_char=0.05),
                   audio_base64=base64.b64encode(_pcm(2.0)).decode())
    times = el.read_response(data, words, "pcm_24000").times
    k0, k1 = spoken.index("nineteen"), spoken.index("sixty-nine") + len("sixty-nine") - 1
    assert times[2] == pytest.approx((k0 * 0.05, (k1 + 1) * 0.05), abs=1e-6)
    assert times[3][0] == pytest.approx(spoken.index("really") * 0.05)
    assert all(a[1] <= b[0] + 1e-9 for a, b in zip(times, times[1:]))


@pytest.mark.parametrize("change, says", [
    ({"alignment": None, "normalized_alignment": None}, "no character alignment"),
    ({"alignment": {"characters": [], "character_start_times_seconds": [], "character_end_times_seconds": []},
      "normalized_alignment": None}, "no character alignment"),
    ({"alignment": {"characters": list("Hi there"), "character_start_times_seconds": [0.1] * 8,
                    "character_end_times_seconds": [0.2] * 6}}, "8 characters but 8 start and 6 end"),
    ({"alignment": {"characters": list("Hi there"), "character_start_times_seconds": [0.1] * 7 + [float("nan")],
                    "character_end_times_seconds": [0.2] * 8}}, "not in order"),
    ({"alignment": {"characters": list("Hi there"), "character_start_times_seconds": [0.5] * 8,
                    "character_end_times_seconds": [0.2] * 8}}, "not in order"),
    ({"audio_base64": ""}, "audio_base64 is missing"),
    ({"audio_base64": "%%%"}, "not valid base64"),
    ({"audio_base64": base64.b64encode(b"abc").decode()}, "not a whole number of samples"),
])
def test_unusable_answers_are_transient_malformed_errors(change, says):
    data = _answer("Hi there", **change)
    if "alignment" in change and change["alignment"] is not None:
        data["normalized_alignment"] = None
    with pytest.raises(ProviderError) as exc:
        el.read_response(data, ["Hi", "there"], "pcm_24000", beat=2)
    assert exc.value.transient and "malformed response: beat 3" in exc.value.message and says in exc.value.message


def test_alignment_for_other_text_or_past_the_audio_is_malformed():
    words = ["Octopuses", "have", "three", "hearts."]
    data = _answer(" ".join(words))
    data["alignment"] = data["normalized_alignment"] = _alignment("Something else entirely was said")
    with pytest.raises(ProviderError, match="alignment is for other text") as exc:
        el.read_response(data, words, "pcm_24000")
    assert exc.value.transient
    data = _answer(" ".join(words))
    data["alignment"]["character_end_times_seconds"][-1] = 40.0
    # an unusable alignment: the normalised one (valid, for the same words) stands in
    times = el.read_response(data, words, "pcm_24000").times
    assert times[0] == (data["normalized_alignment"]["character_start_times_seconds"][1],
                        data["normalized_alignment"]["character_end_times_seconds"][9])
    data["normalized_alignment"] = None
    with pytest.raises(ProviderError, match="ends at 40.00 s but the audio is") as exc:
        el.read_response(data, words, "pcm_24000")
    assert exc.value.transient


def test_mp3_is_decoded_with_the_projects_ffmpeg(tmp_path):
    from shortsmith.ffmpeg import run_ffmpeg
    from shortsmith.voice import write_wav

    tone = 0.4 * np.sin(2 * np.pi * 330 * np.arange(44100) / 44100).astype(np.float32)
    write_wav(tmp_path / "t.wav", tone, 44100)
    run_ffmpeg(["-y", "-i", str(tmp_path / "t.wav"), "-c:a", "libmp3lame", "-b:a", "128k", str(tmp_path / "t.mp3")])
    audio, rate = el.decode_audio((tmp_path / "t.mp3").read_bytes(), "mp3_44100_128")
    assert rate == 44100 and abs(len(audio) / rate - 1.0) < 0.03
    assert 0.25 < float(np.sqrt(np.mean(audio[4410:-4410] ** 2))) < 0.32  # the tone's RMS (0.4 / sqrt 2)
    with pytest.raises(ProviderError, match="could not be decoded") as exc:
        el.decode_audio(b"not an mp3 at all" * 20, "mp3_44100_128")
    assert exc.value.transient


def test_join_beats_trims_to_speech_and_keeps_the_pauses(tmp_path):
    beats, words = [], []
    for text in ["First beat here.", "Second one."]:
        data = _answer(text)
        w = text.split()
        beats.append(el.read_response(data, w, "pcm_24000"))
        words.append(w)
    out = tmp_path / "voice.wav"
    timed, duration, rate = el.join_beats(beats, words, out)
    vo = Voiceover(wav_path=str(out), sample_rate=rate, duration=duration, beats=timed, engine="x",
                   timing_source="alignment")
    assert rate == RATE
    assert vo.beats[0].start == pytest.approx(0.15, abs=1e-3)  # lead-in
    gap = vo.beats[1].start - vo.beats[0].end
    assert gap == pytest.approx(0.35, abs=1e-3)  # the pause between beats
    assert duration == pytest.approx(vo.beats[1].end, abs=1e-3)  # no tail
    # word times keep the alignment's spacing exactly, moved with their beat
    for speech, beat in zip(beats, vo.beats):
        shift = beat.words[0].start - speech.times[0][0]
        for w, (a, b) in zip(beat.words, speech.times):
            assert (w.start, w.end) == (pytest.approx(a + shift, abs=1e-4), pytest.approx(b + shift, abs=1e-4))
            assert beat.start <= w.start <= w.end <= beat.end
    with wave.open(str(out)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
    audio, _ = read_wav(out)
    assert len(audio) / RATE == pytest.approx(duration, abs=1e-4)
    assert float(np.abs(audio[: int(0.14 * RATE)]).max()) == 0.0  # silent lead-in
    json.dumps(vo.beats[0].__dict__, default=lambda o: o.__dict__)  # JSON-able like Piper's


def test_join_refuses_beats_at_different_rates(tmp_path):
    a = el.read_response(_answer("One two."), ["One", "two."], "pcm_24000")
    b = el.BeatSpeech(audio=a.audio, rate=16000, times=a.times, characters=8)
    with pytest.raises(ProviderError, match="16000 Hz"):
        el.join_beats([a, b], [["One", "two."]] * 2, tmp_path / "v.wav")


def _api_error(status, body, headers=None):
    if status == 422:
        return UnprocessableEntityError(body=body, headers=headers or {})
    return ApiError(status_code=status, headers=headers or {}, body=body)


def test_classify_transient_failures():
    e = el.classify(_api_error(429, {"detail": {"status": "too_many_concurrent_requests", "message": "slow"}},
                               {"retry-after": "3"}))
    assert e.transient and e.retry_after == 3.0 and e.status == 429
    e = el.classify(_api_error(503, {"detail": {"status": "system_busy", "message": "busy"}}))
    assert e.transient and e.status == 503 and "system_busy" in e.message
    assert el.classify(httpx.ReadTimeout("timed out")).transient
    assert el.classify(httpx.RemoteProtocolError("Server disconnected")).transient
    assert el.classify(httpx.ConnectError("refused")).transient
    e = el.classify(_api_error(200, '{"this is": not json'))
    assert e.transient and "malformed response" in e.message
    assert el.classify(KeyError("not the provider's")) is None


@pytest.mark.parametrize("status, body, field", [
    (401, {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}, "ELEVENLABS_API_KEY"),
    (404, {"detail": {"status": "voice_not_found", "message": "A voice with the voice_id x was not found."}},
     "channels[..].voice.elevenlabs.voice_id"),
    (400, {"detail": {"status": "model_not_found", "message": "A model with model ID x does not exist."}},
     "channels[..].voice.elevenlabs.model_id"),
    (422, {"detail": [{"type": "value_error", "loc": ["body", "voice_settings", "stability"],
                       "msg": "Input should be less than or equal to 1"}]},
     "channels[..].voice.elevenlabs.stability"),
    (422, {"detail": [{"type": "missing", "loc": ["body", "text"], "msg": "Field required"}]}, "beats[4].narration"),
    (404, {"detail": {"code": "not_found", "message": "Unknown id", "param": "voice_id"}},
     "channels[..].voice.elevenlabs.voice_id"),
])
def test_classify_request_errors_name_the_field_and_are_not_retried(status, body, field):
    e = el.classify(_api_error(status, body), beat=4)
    assert not e.transient and e.status == status and e.field == field and e.fix
    if status == 401:
        assert "ELEVENLABS_API_KEY" in e.fix


def test_quota_exceeded_is_its_own_error():
    e = el.classify(_api_error(401, {"detail": {"status": "quota_exceeded", "message": "This request exceeds "
                                                "your quota of 10000."}}))
    assert isinstance(e, el.QuotaExceeded) and not e.transient and "quota" in e.fix
