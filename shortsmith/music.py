"""A synthesized ambient music bed (numpy), different per video and the same on every run.

Soft detuned pads play a four-chord progression in the mood's key with slow attack and
release envelopes; a gentle plucked arpeggio plays on top and a soft low pulse marks the
beat. Every note starts and ends on a smooth (raised-cosine) envelope, so there are no
clicks; the mix is low-passed, faded in and out and normalised to a fixed peak, so it
never clips. It is meant to sit 15-20 dB under a voice, not to be listened to alone.

Moods choose the key, the tempo, the chord voicings and how bright/busy the top line is:

* ``calm``: A major-ish, 72 bpm, maj7/min7 pads, sparse arpeggio;
* ``upbeat``: C major, 104 bpm, open triads, busy bright arpeggio, stronger pulse;
* ``mysterious``: D minor, 64 bpm, minor/sus voicings, dark and sparse.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConfigError, InputError
from .voice.wav import write_wav


@dataclass(frozen=True)
class Mood:
    root: int  # MIDI note of the tonic
    progression: tuple[tuple[int, ...], ...]  # chord tones, semitones from the root
    bpm: float
    brightness: float  # 0..1: low-pass cutoff and arpeggio level
    density: float  # probability that an arpeggio eighth note plays
    pulse: float  # level of the low pulse


MOODS: dict[str, Mood] = {
    "calm": Mood(57, ((0, 4, 7, 11), (-3, 0, 4, 7), (5, 9, 12, 16), (7, 11, 14, 17)), 72, 0.5, 0.55, 0.06),
    "upbeat": Mood(60, ((0, 4, 7, 12), (7, 11, 14, 19), (9, 12, 16, 21), (5, 9, 12, 17)), 104, 0.8, 0.8, 0.09),
    "mysterious": Mood(50, ((0, 3, 7, 10), (-4, 0, 3, 7), (-2, 2, 5, 9), (-5, -1, 2, 7)), 64, 0.35, 0.4, 0.05),
}

PEAK = 0.7  # output peak (-3.1 dBFS): headroom, never clips


def _freq(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _lowpass(x: np.ndarray, cutoff: float, rate: int) -> np.ndarray:
    """Zero-phase 2nd-order Butterworth-magnitude low-pass through an FFT (whole track)."""
    n = len(x)
    spec = np.fft.rfft(x, axis=0)
    f = np.fft.rfftfreq(n, 1 / rate)
    resp = 1 / np.sqrt(1 + (f / cutoff) ** 4)
    return np.fft.irfft(spec * resp[:, None], n=n, axis=0)


def _edges(n: int, attack: int, release: int) -> np.ndarray:
    """An envelope of length n that rises over ``attack`` and falls over ``release`` samples
    with raised-cosine shapes (starts and ends at exactly 0: no clicks)."""
    env = np.ones(n)
    a = min(attack, n // 2)
    r = min(release, n - a)
    if a > 0:
        env[:a] = 0.5 - 0.5 * np.cos(np.pi * np.arange(a) / a)
    if r > 0:
        env[n - r:] = 0.5 + 0.5 * np.cos(np.pi * (np.arange(r) + 1) / r)
    return env


def synthesize_bed(out_wav: Path, duration_s: float, *, seed: str, mood: str = "calm",
                   sample_rate: int = 48000) -> Path:
    """Write a ``duration_s`` second stereo 16-bit WAV music bed to ``out_wav``.

    The same ``seed`` and ``mood`` always give the same samples; different seeds shift the
    key, reorder the progression's voicings and change the arpeggio.
    """
    if mood not in MOODS:
        raise ConfigError(f"music mood '{mood}' is unknown", field="music.mood",
                          fix=f"use one of {', '.join(MOODS)}")
    if not (duration_s > 0) or duration_s > 3600:
        raise InputError(f"music duration {duration_s!r} s is not usable", field="duration_s",
                         fix="pass the video's duration in seconds (0 < duration <= 3600)")
    m = MOODS[mood]
    h = int(hashlib.sha256(f"{seed}|{mood}".encode()).hexdigest()[:16], 16)
    rng = np.random.default_rng(h)
    root = m.root + int(rng.integers(-2, 3))  # a different key per video
    prog = list(m.progression)
    shift = int(rng.integers(0, len(prog)))
    prog = prog[shift:] + prog[:shift]  # start the progression on a different chord
    rate = sample_rate
    n = max(1, int(round(duration_s * rate)))
    out = np.zeros((n, 2), dtype=np.float64)
    beat = 60.0 / m.bpm
    chord_len = beat * 8  # two bars per chord

    # pads: each chord tone as three detuned, softly band-limited saws; overlapping chords
    n_chords = int(np.ceil(duration_s / chord_len)) + 1
    ring = chord_len * 0.35  # each pad rings on under the next chord
    for ci in range(n_chords):
        start = ci * chord_len
        a = int(start * rate)
        if a >= n:
            break
        b = min(n, int((start + chord_len + ring) * rate))
        seg_t = np.arange(b - a) / rate
        env = _edges(b - a, int(1.2 * rate), int(ring * rate * 1.6))
        chord = prog[ci % len(prog)]
        for k, note in enumerate(chord):
            f0 = _freq(root + note - 12 * (k == 0))
            for det, pan in ((-0.07, 0.25), (0.0, 0.5), (0.07, 0.75)):
                f = f0 * 2 ** (det / 12)
                ph = rng.uniform(0, 2 * np.pi)
                wave_ = sum(np.sin(2 * np.pi * f * h_ * seg_t + ph * h_) / h_ ** 1.3
                            for h_ in range(1, 5))
                v = wave_ * env * 0.03
                out[a:b, 0] += v * (1 - pan)
                out[a:b, 1] += v * pan

    # arpeggio: soft plucks on eighth notes from the current chord
    step = beat / 2
    pluck_len = int(1.1 * rate)
    pluck_env = np.exp(-np.arange(pluck_len) / rate * 4.0) * _edges(pluck_len, int(0.006 * rate),
                                                                     int(0.25 * rate))
    pt = np.arange(pluck_len) / rate
    for i in range(int(duration_s / step)):
        if rng.random() > m.density:
            continue
        start = i * step
        chord = prog[int(start // chord_len) % len(prog)]
        note = chord[int(rng.integers(0, len(chord)))] + 12
        a = int(start * rate)
        b = min(n, a + pluck_len)
        f = _freq(root + note)
        v = (np.sin(2 * np.pi * f * pt) + 0.25 * np.sin(4 * np.pi * f * pt))[: b - a]
        v = v * pluck_env[: b - a] * 0.045 * m.brightness
        pan = 0.3 + 0.4 * rng.random()
        out[a:b, 0] += v * (1 - pan)
        out[a:b, 1] += v * pan

    # low pulse on every beat (a soft sine thump on the chord's root)
    pulse_len = int(0.45 * rate)
    pulse_env = np.exp(-np.arange(pulse_len) / rate * 8) * _edges(pulse_len, int(0.01 * rate),
                                                                  int(0.15 * rate))
    qt = np.arange(pulse_len) / rate
    for i in range(int(duration_s / beat)):
        start = i * beat
        chord = prog[int(start // chord_len) % len(prog)]
        a = int(start * rate)
        b = min(n, a + pulse_len)
        v = np.sin(2 * np.pi * _freq(root + chord[0] - 24) * qt)[: b - a] * pulse_env[: b - a]
        out[a:b] += (v * m.pulse * (1.0 if i % 4 == 0 else 0.7))[:, None]

    out = _lowpass(out, 1800 + 4500 * m.brightness, rate)
    t = np.arange(n) / rate
    fade_in, fade_out = min(1.5, duration_s / 4), min(2.5, duration_s / 3)
    fade = np.clip(np.minimum(t / fade_in, (duration_s - t) / fade_out), 0, 1)
    out *= (0.5 - 0.5 * np.cos(np.pi * fade))[:, None]
    peak = float(np.max(np.abs(out))) or 1.0
    out *= PEAK / peak
    out_wav = Path(out_wav)
    write_wav(out_wav, out, rate)
    return out_wav
