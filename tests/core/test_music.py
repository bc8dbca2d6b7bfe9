"""The synthesized music bed: deterministic, clean (no clipping, no clicks), musical."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from shortsmith.errors import ConfigError, InputError
from shortsmith.music import MOODS, synthesize_bed


def read(path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (2, 2)
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2)
        return data.astype(np.float64) / 32768, w.getframerate()


def test_same_seed_same_bytes_other_seed_other_music(tmp_path):
    a = synthesize_bed(tmp_path / "a.wav", 6, seed="video-1")
    b = synthesize_bed(tmp_path / "b.wav", 6, seed="video-1")
    c = synthesize_bed(tmp_path / "c.wav", 6, seed="video-2")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("mood", sorted(MOODS))
def test_bed_is_clean_and_sounds_like_music(tmp_path, mood):
    path = synthesize_bed(tmp_path / f"{mood}.wav", 10.0, seed="s", mood=mood, sample_rate=48000)
    x, rate = read(path)
    assert rate == 48000 and len(x) == 10 * 48000
    peak = np.abs(x).max()
    assert 0.5 < peak <= 0.71  # normalised with headroom; never clips
    assert (np.abs(x) < 32767 / 32768).all()
    # no clicks: sample-to-sample steps stay small (a click is a step of ~peak size)
    assert np.abs(np.diff(x, axis=0)).max() < 0.2
    # fades in and out from silence
    assert np.abs(x[:48]).max() < 0.01 and np.abs(x[-48:]).max() < 0.01
    # not a test tone: several distinct pitched partials, spread over > 2 octaves
    mono = x.mean(axis=1)[2 * rate:-3 * rate]  # between the fades
    spec = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    freqs = np.fft.rfftfreq(len(mono), 1 / rate)
    band = (freqs > 40) & (freqs < 2000)
    s, f = spec[band], freqs[band]
    peaks = [i for i in range(1, len(s) - 1) if s[i] > s[i - 1] and s[i] >= s[i + 1] and s[i] > 0.1 * s.max()]
    assert len(peaks) >= 6
    assert f[peaks].max() / f[peaks].min() > 4
    # it moves: the short-term level varies (pulse, plucks, chord changes) but never drops out
    rms = np.sqrt((mono[: len(mono) // 4800 * 4800].reshape(-1, 4800) ** 2).mean(axis=1))
    assert rms.min() > 0.02 and rms.std() / rms.mean() > 0.05


def test_moods_differ(tmp_path):
    calm = read(synthesize_bed(tmp_path / "c.wav", 4, seed="x", mood="calm"))[0]
    dark = read(synthesize_bed(tmp_path / "d.wav", 4, seed="x", mood="mysterious"))[0]
    assert not np.allclose(calm, dark)


def test_bad_mood_and_duration_say_how_to_fix(tmp_path):
    with pytest.raises(ConfigError) as exc:
        synthesize_bed(tmp_path / "x.wav", 3, seed="s", mood="angry")
    assert exc.value.field == "music.mood" and "calm" in exc.value.fix
    with pytest.raises(InputError):
        synthesize_bed(tmp_path / "x.wav", 0, seed="s")
