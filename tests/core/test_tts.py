"""Piper synthesis per beat: real model, offline, exact beat and word timings."""

from __future__ import annotations

import socket
import wave

import numpy as np
import pytest

from shortsmith import voice as tts
from shortsmith.voice import alignment, beats, piper
from shortsmith.errors import InputError, ToolMissingError

BEATS = [
    "Octopuses have three hearts.",
    "In 1969, a man walked on the Moon!",
    "I know. Extraordinarily weird 🐙.",
]
LEAD_IN, PAUSE = 0.15, 0.35


def _no_network(*args, **kwargs):
    raise OSError("network access attempted during synthesis")


@pytest.fixture(scope="module")
def voiced(tmp_path_factory):
    """Load the model and speak BEATS with every socket connection refused."""
    out = tmp_path_factory.mktemp("voice") / "voice.wav"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _no_network)
        mp.setattr(socket.socket, "connect_ex", _no_network)
        mp.setattr(socket, "create_connection", _no_network)
        piper._MODEL_CACHE.clear()  # force a real model load while the network is cut
        vo = tts.synthesize_beats(BEATS, out, tts.VoiceSpec(), lead_in_s=LEAD_IN, pause_s=PAUSE)
        assert len(piper._MODEL_CACHE) == 1  # the voice was loaded, with no network
    audio, rate = tts.read_wav(out)
    return vo, audio, rate


def test_network_is_really_blocked_in_the_fixture():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _no_network)
        s = socket.socket()
        with pytest.raises(OSError, match="network access"):
            s.connect(("127.0.0.1", 9))
        s.close()


def test_wav_is_mono_16bit_and_its_length_is_the_duration(voiced):
    vo, audio, rate = voiced
    with wave.open(vo.wav_path, "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        frames = w.getnframes()
    assert vo.sample_rate == rate == 22050
    assert vo.duration == pytest.approx(frames / rate, abs=1e-9)
    assert vo.engine == "piper:en_US-joe-medium"
    assert vo.timing_source == "alignment"
    assert 3.0 < vo.duration < 12.0


def test_beats_are_ordered_tight_and_separated_by_silence(voiced):
    vo, audio, rate = voiced
    assert [b.index for b in vo.beats] == [0, 1, 2]
    assert vo.beats[0].start == pytest.approx(LEAD_IN, abs=0.002)
    assert vo.beats[-1].end == pytest.approx(vo.duration, abs=0.002)  # tail_s = 0
    for a, b in zip(vo.beats, vo.beats[1:]):
        assert a.start < a.end
        assert b.start - a.end == pytest.approx(PAUSE, abs=0.002)
        edge = 4  # beat times are rounded to 0.1 ms (~2 samples at 22050 Hz)
        gap = audio[int(a.end * rate) + edge: int(b.start * rate) - edge]
        assert np.all(gap == 0)  # the pause is pure silence
    for b in vo.beats:  # trimmed: speech right at both edges
        head = audio[int(b.start * rate): int((b.start + 0.03) * rate)]
        tail = audio[int((b.end - 0.03) * rate): int(b.end * rate)]
        assert np.abs(head).max() > 0.003 and np.abs(tail).max() > 0.003


def test_word_timings_are_monotone_inside_their_beat_and_cover_every_word(voiced):
    vo, _, _ = voiced
    assert [w.word for w in vo.beats[0].words] == ["Octopuses", "have", "three", "hearts."]
    assert [w.word for w in vo.beats[1].words] == ["In", "1969,", "a", "man", "walked", "on", "the", "Moon!"]
    assert [w.word for w in vo.beats[2].words] == ["I", "know.", "Extraordinarily", "weird."]  # emoji dropped
    for beat in vo.beats:
        prev_end = beat.start
        for w in beat.words:
            assert beat.start - 1e-6 <= w.start < w.end <= beat.end + 1e-6, (beat.index, w)
            assert w.start >= prev_end - 1e-6, (beat.index, w)
            prev_end = w.end


def test_word_timings_follow_speech_not_a_flat_split(voiced):
    vo, _, _ = voiced
    dur = {w.word: w.end - w.start for b in vo.beats for w in b.words}
    assert dur["Extraordinarily"] > 2.5 * dur["I"]
    assert dur["1969,"] > 2.0 * dur["man"]  # "nineteen sixty-nine" is several spoken words
    assert dur["Octopuses"] > dur["have"]
    durations = [round(d, 3) for d in dur.values()]
    assert len(set(durations)) > len(durations) * 0.7
    # the comma and the sentence end are pauses: the next word starts after a gap
    b1, b2 = vo.beats[1].words, vo.beats[2].words
    assert b1[2].start - b1[1].end > 0.1
    assert b2[2].start - b2[1].end > 0.1 + tts.VoiceSpec().sentence_pause_s * 0.5


def test_model_is_loaded_once_per_process(voiced, tmp_path):
    model = piper.load_piper(tts.VoiceSpec())
    vo = tts.synthesize_beats(["One more beat."], tmp_path / "again.wav", tts.VoiceSpec())
    assert piper.load_piper(tts.VoiceSpec()) is model and len(piper._MODEL_CACHE) == 1
    assert vo.beats[0].words[-1].word == "beat."


def test_a_missing_model_path_names_the_field_and_the_fix(tmp_path):
    spec = tts.VoiceSpec(model_path=str(tmp_path / "nope" / "en_US-big-high.onnx"))
    with pytest.raises(ToolMissingError) as err:
        tts.synthesize_beats(["Hello there."], tmp_path / "x.wav", spec)
    assert err.value.field == "voice.model_path"
    assert "model_path" in err.value.fix and ".onnx" in err.value.fix
    assert "en_US-big-high.onnx" in str(err.value)
    assert not (tmp_path / "x.wav").exists()


def test_a_missing_config_names_the_config_field(tmp_path):
    model = tmp_path / "v.onnx"
    model.write_bytes(b"not a model")
    with pytest.raises(ToolMissingError) as err:
        tts.synthesize_beats(["Hello."], tmp_path / "x.wav", tts.VoiceSpec(model_path=str(model)))
    assert err.value.field == "voice.config_path"


def test_piper_unavailable_and_no_espeak_is_a_clear_error(monkeypatch, tmp_path):
    def broken(spec):
        raise ToolMissingError("piper-tts is not installed", field="voice.engine", fix="pip install piper-tts.")

    monkeypatch.setattr(beats, "load_piper", broken)
    monkeypatch.setattr(beats, "espeak_binary", lambda: None)
    with pytest.raises(ToolMissingError) as err:
        tts.synthesize_beats(["Hello."], tmp_path / "x.wav", tts.VoiceSpec())
    assert "espeak-ng" in str(err.value) and "piper-tts is not installed" in str(err.value)
    with pytest.raises(ToolMissingError):  # no fallback asked for: Piper's own error
        tts.synthesize_beats(["Hello."], tmp_path / "x.wav", tts.VoiceSpec(fallback=None))


@pytest.mark.skipif(tts.espeak_binary() is None, reason="espeak-ng is not installed")
def test_espeak_fallback_when_piper_cannot_load(monkeypatch, tmp_path):
    def broken(spec):
        raise ToolMissingError("piper-tts is not installed", field="voice.engine", fix="pip install piper-tts.")

    monkeypatch.setattr(beats, "load_piper", broken)
    vo = tts.synthesize_beats(["Octopuses have three hearts.", "Extraordinarily weird, I know."],
                              tmp_path / "e.wav", tts.VoiceSpec())
    assert vo.engine.startswith("espeak-ng") and "fallback" in vo.engine
    assert vo.timing_source in ("phoneme-weights", "character-weights")
    words = [w for b in vo.beats for w in b.words]
    assert [w.word for w in words][:2] == ["Octopuses", "have"]
    assert all(a.end <= b.start + 1e-6 for a, b in zip(words, words[1:]))
    dur = {w.word: w.end - w.start for w in words}
    assert dur["Extraordinarily"] > 2 * dur["I"]
    with wave.open(vo.wav_path, "rb") as w:
        assert w.getnframes() / w.getframerate() == pytest.approx(vo.duration)


def test_unsupported_characters_are_removed_or_rejected_naming_the_beat():
    assert tts.normalise_text("Wait — what?! 🚀🚀 It’s “wild”…") == 'Wait, what?! It\'s "wild"...'
    assert tts.caption_words(tts.normalise_text("🔥 Hot take 🔥")) == ["Hot", "take"]
    assert tts.caption_words(tts.normalise_text("zero\u200bwidth\u0007bell")) == ["zero", "width", "bell"]
    assert tts.normalise_text("café naïve 10% of $5") == "café naïve 10% of $5"
    with pytest.raises(InputError) as err:
        tts.normalise_text("Say 日本 now", beat=1)
    assert err.value.field == "beats[1].narration"
    assert "beat 2" in str(err.value) and "日" in str(err.value) and "U+65E5" in str(err.value)
    with pytest.raises(InputError, match=r"U\+2248"):
        tts.normalise_text("x ≈ 3", beat=0)
    # a voice of another language accepts its own script
    assert tts.normalise_text("Привет мир", language="ru") == "Привет мир"


def test_unsupported_characters_stop_synthesis_before_any_audio(tmp_path):
    with pytest.raises(InputError) as err:
        tts.synthesize_beats(["Fine.", "Not fine: Привет."], tmp_path / "x.wav", tts.VoiceSpec())
    assert err.value.field == "beats[1].narration"
    with pytest.raises(InputError, match="beat 1 has nothing to say"):
        tts.synthesize_beats(["🚀 🚀"], tmp_path / "x.wav", tts.VoiceSpec())
    assert not (tmp_path / "x.wav").exists()


def test_caption_words_keep_the_written_words_and_punctuation_joins_a_word():
    assert tts.caption_words(tts.normalise_text("Dr. Smith , really ?")) == ["Dr.", "Smith,", "really?"]
    assert tts.caption_words("a - b") == ["a-", "b"]
    assert tts.split_sentences(["Dr.", "Smith", "said.", "U.S.", "wins!", "Yes"]) == [[0, 1, 2], [3, 4], [5]]


def test_label_spans_give_every_word_at_least_one_phoneme():
    # unit labels from an alignment: word 1 got nothing, -1 = inserted phoneme
    spans = alignment._spans_from_labels([0, 0, 0, -1, 2, 2], 3)
    assert spans is not None
    assert [b - a + 1 for a, b in spans] == [3, 1, 2]
    assert spans[0][0] == 0 and spans[-1][1] == 5
    assert alignment._spans_from_labels([0, 1], 3) is None


def test_alignment_handles_merged_and_expanded_words():
    mapping, exact = alignment._align(list("ɪnðəmuːn"), list("ɪnðəmuːn"))
    assert mapping == list(range(8)) and exact == 8
    mapping, exact = alignment._align(list("abxcd"), list("abcd"))
    assert mapping[2] == -1 and exact == 4
