"""Offline cast voices derived from the one bundled Piper voice: measurably different, still in time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shortsmith.cast import PiperVoice
from shortsmith.voice.speakers import Take, join_speakers, median_pitch_hz, spectral_centroid_hz, speak_piper_member
from shortsmith.voice.wav import read_wav, speech_bounds

# Piper draws new sampling noise on every call, so the same line came out a little differently each
# run and the pitch tracker once took a narrator's line an octave up (171.8 Hz for a 78 Hz voice);
# without the noise every run speaks the same bytes (what is measured here is the derivation)
QUIET = {"noise_scale": 0.0, "noise_w": 0.0}
CAST = {
    "NARRATOR": PiperVoice(pitch=-3, formant="shifted", tempo=0.97, **QUIET),
    "OPERATOR": PiperVoice(pitch=4, formant="shifted", length_scale=0.95, **QUIET),
    "ANALYST": PiperVoice(pitch=8, formant="shifted", tempo=1.05, **QUIET),
}
LINES = [("NARRATOR", "The message came at three in the morning."),
         ("OPERATOR", "It is not from any station we know."),
         ("ANALYST", "The carrier wave repeats every eleven seconds."),
         ("NARRATOR", "Nobody in the room said a word.")]


SAME = "Nobody in the room said a word."


@pytest.fixture(scope="module")
def track(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cast")
    takes = []
    for speaker, voice in CAST.items():
        idx = [i for i, (s, _t) in enumerate(LINES) if s == speaker]
        wav = tmp / f"{speaker}.wav"
        vo = speak_piper_member([LINES[i][1] for i in idx] + [SAME], wav, voice)  # + the same line for each
        takes.append(Take(speaker, "piper", idx + [len(LINES) + len(takes)], vo, wav))
    vo = join_speakers(takes, len(LINES) + len(CAST), tmp / "voice.wav")
    audio, rate = read_wav(tmp / "voice.wav")
    return vo, audio, rate, takes, tmp


def _beat_audio(audio, rate, b):
    return audio[int(b.start * rate):int(b.end * rate)]


def test_the_three_voices_differ_in_pitch_and_timbre(track):
    vo, audio, rate, _takes, _tmp = track
    same = {b.speaker: _beat_audio(audio, rate, b) for b in vo.beats[len(LINES):]}  # one sentence, three voices
    pitch = {s: median_pitch_hz(a, rate) for s, a in same.items()}
    centroid = {s: spectral_centroid_hz(a, rate) for s, a in same.items()}
    print("same line: median pitch Hz", {s: round(p, 1) for s, p in pitch.items()},
          "spectral centroid Hz", {s: round(c) for s, c in centroid.items()})
    order = ["NARRATOR", "OPERATOR", "ANALYST"]  # -3, +4, +8 semitones from the same model, formants shifted
    for lo, hi in zip(order, order[1:]):
        assert 12 * math.log2(pitch[hi] / pitch[lo]) >= 2.0, (lo, hi, pitch)
        assert centroid[hi] > centroid[lo] * 1.05, (lo, hi, centroid)  # a brighter (smaller) throat
    # and in the story itself, each speaker's lines keep their own pitch
    lines = {}
    for b in vo.beats[:len(LINES)]:
        lines.setdefault(b.speaker, []).append(_beat_audio(audio, rate, b))
    story = {s: median_pitch_hz(np.concatenate(v), rate) for s, v in lines.items()}
    assert story["NARRATOR"] < story["OPERATOR"] < story["ANALYST"], story


def test_derived_voices_keep_their_word_timings(track):
    vo, audio, rate, takes, tmp = track
    assert [b.speaker for b in vo.beats[:len(LINES)]] == [s for s, _t in LINES]
    for b in vo.beats:
        seg = _beat_audio(audio, rate, b)
        lo, hi = speech_bounds(seg, rate)
        assert lo / rate < 0.03 and (len(seg) - hi) / rate < 0.03  # the beat's bounds are its speech
        assert b.words[0].start == pytest.approx(b.start, abs=0.08)
        assert b.words[-1].end == pytest.approx(b.end, abs=0.08)
        assert all(w.start <= w.end for w in b.words)
    for take in takes:  # in each derived take, the scaled timings still sit on the speech
        take_audio, take_rate = read_wav(take.wav)
        for b in take.voiceover.beats:
            a, z = int(max(0, b.start - 0.1) * take_rate), int((b.end + 0.1) * take_rate)
            lo, hi = speech_bounds(take_audio[a:z], take_rate)
            assert (a + lo) / take_rate == pytest.approx(b.start, abs=0.04), take.speaker
            assert (a + hi) / take_rate == pytest.approx(b.end, abs=0.04), take.speaker


def test_tempo_scales_the_speech_exactly(track, tmp_path):
    from shortsmith.voice.speakers import derive_wav

    _vo, _audio, _rate, takes, _tmp = track
    src = takes[1].wav  # OPERATOR: pitch only, tempo 1
    derive_wav(src, tmp_path / "slow.wav", PiperVoice(tempo=0.8))
    a, ra = read_wav(src)
    b, rb = read_wav(tmp_path / "slow.wav")
    (a0, a1), (b0, b1) = speech_bounds(a, ra), speech_bounds(b, rb)
    assert ((b1 - b0) / rb) / ((a1 - a0) / ra) == pytest.approx(1 / 0.8, rel=0.03)
