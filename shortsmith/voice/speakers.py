"""A cast's voices: offline voices derived from one Piper model, and one track from many speakers.

- :func:`speak_piper_member` speaks a cast member's lines with Piper (any ``.onnx``, default the
  bundled en_US-joe-medium; Piper's length/noise scales), then shifts pitch and formants and
  changes the tempo with ffmpeg's ``rubberband`` filter. Rubberband keeps the timing when only the
  pitch moves, and scales it by exactly ``1/tempo`` otherwise, so the word timings are scaled
  with it and captions still follow each word.
- :func:`join_speakers` cuts every beat out of its speaker's take and joins the beats in the
  script's order with the usual silences (:mod:`shortsmith.timing`) into one mono WAV, resampling
  takes of other rates (ElevenLabs' 24 kHz next to Piper's 22.05 kHz) with ffmpeg.
- :func:`median_pitch_hz` and :func:`spectral_centroid_hz` measure how different the voices are.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..cast import PiperVoice
from ..ffmpeg import run_ffmpeg
from ..model import BeatAudio, Voiceover, WordTiming
from ..timing import LEAD_IN_S, PAUSE_BETWEEN_BEATS_S, TAIL_S
from .alignment import least_exact
from .beats import synthesize_beats
from .piper import VoiceSpec
from .wav import read_wav, speech_bounds, write_wav


def derive_filter(voice: PiperVoice) -> str:
    """The ffmpeg audio filter that turns the model's voice into this cast member's."""
    ratio = 2.0 ** (voice.pitch / 12.0)
    return (f"rubberband=pitch={ratio:.6f}:tempo={voice.tempo:.6f}:formant={voice.formant}"
            ":pitchq=quality:transients=smooth")


def derive_wav(src: Path, dest: Path, voice: PiperVoice) -> None:
    run_ffmpeg(["-y", "-i", str(src), "-af", derive_filter(voice), "-ac", "1", "-c:a", "pcm_s16le", str(dest)],
               timeout=120)


def speak_piper_member(texts: list[str], out_wav: Path, voice: PiperVoice, *, fallback: str | None = "espeak") -> Voiceover:
    """Each text spoken by the member's derived Piper voice; timings follow the derived audio."""
    spec = VoiceSpec(engine="piper", model_path=voice.model_path, config_path=voice.config_path,
                     speaker=voice.speaker, length_scale=voice.length_scale, noise_scale=voice.noise_scale,
                     noise_w=voice.noise_w, fallback=fallback)
    out_wav = Path(out_wav)
    if not voice.derived:
        return synthesize_beats(texts, out_wav, spec)
    raw = out_wav.with_name(f".{out_wav.stem}.raw.wav")
    vo = synthesize_beats(texts, raw, spec)
    try:
        derive_wav(raw, out_wav, voice)
    finally:
        raw.unlink(missing_ok=True)
    k = 1.0 / voice.tempo
    audio, rate = read_wav(out_wav)
    end = len(audio) / rate

    def at(t: float) -> float:
        return round(min(t * k, end), 4)

    vo.beats = [BeatAudio(index=b.index, start=at(b.start), end=at(b.end), speaker=b.speaker, provider=b.provider,
                          words=[WordTiming(w.word, at(w.start), at(w.end)) for w in b.words]) for b in vo.beats]
    tag = f"pitch {voice.pitch:+g} st, formant {voice.formant}" + (f", tempo {voice.tempo:g}" if voice.tempo != 1 else "")
    vo.wav_path, vo.sample_rate, vo.duration, vo.engine = str(out_wav), rate, end, f"{vo.engine} ({tag})"
    return vo


@dataclass
class Take:
    """One speaker's lines, spoken by one provider: ``voiceover.beats[i]`` is script beat ``indices[i]``."""

    speaker: str
    provider: str
    indices: list[int]
    voiceover: Voiceover
    wav: Path  # the take's audio


def _audio_at(path: Path, rate: int) -> np.ndarray:
    audio, have = read_wav(path)
    if have == rate:
        return audio
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "resampled.wav"
        run_ffmpeg(["-y", "-i", str(path), "-af", f"aresample={rate}", "-ac", "1", "-c:a", "pcm_s16le", str(out)],
                   timeout=120)
        return read_wav(out)[0]


def join_speakers(takes: list[Take], n_beats: int, out_wav: Path, *, lead_in_s: float = LEAD_IN_S,
                  pause_s: float = PAUSE_BETWEEN_BEATS_S, tail_s: float = TAIL_S) -> Voiceover:
    """One voice track from every speaker's take, the beats in script order."""
    rate = max(t.voiceover.sample_rate for t in takes)
    pieces: dict[int, tuple[np.ndarray, BeatAudio, float, Take]] = {}
    for take in takes:
        audio = _audio_at(take.wav, rate)
        for idx, b in zip(take.indices, take.voiceover.beats):
            lo, hi = int(round(b.start * rate)), int(round(b.end * rate))
            clip = audio[lo:hi]
            s_lo, s_hi = speech_bounds(clip, rate)
            if s_hi > s_lo:  # trim what the take's own silences left at the edges
                clip, lo = clip[s_lo:s_hi], lo + s_lo
            pieces[idx] = (clip, b, lo / rate, take)
    missing = [i for i in range(n_beats) if i not in pieces]
    if missing:
        raise ValueError(f"beats {missing} were spoken by no take")
    track = [np.zeros(int(round(lead_in_s * rate)), np.float32)]
    cursor = len(track[0])
    beats: list[BeatAudio] = []
    for i in range(n_beats):
        clip, b, clip_t0, take = pieces[i]
        start, end = cursor / rate, (cursor + len(clip)) / rate
        shift = start - clip_t0
        words, prev = [], start
        for w in b.words:
            ws = min(max(w.start + shift, prev, start), end)
            we = min(max(w.end + shift, ws), end)
            words.append(WordTiming(w.word, round(ws, 4), round(we, 4)))
            prev = we
        beats.append(BeatAudio(index=i, start=round(start, 4), end=round(end, 4), words=words,
                               speaker=take.speaker, provider=take.provider))
        track.append(clip.astype(np.float32))
        cursor += len(clip)
        gap = np.zeros(int(round((pause_s if i < n_beats - 1 else tail_s) * rate)), np.float32)
        track.append(gap)
        cursor += len(gap)
    joined = np.concatenate(track)
    write_wav(Path(out_wav), joined, rate)
    engines = "; ".join(dict.fromkeys(f"{t.speaker or 'channel'}={t.voiceover.engine}" for t in takes))
    return Voiceover(wav_path=str(out_wav), sample_rate=rate, duration=len(joined) / rate, beats=beats,
                     engine=f"cast: {engines}", timing_source=least_exact({t.voiceover.timing_source for t in takes}))


# ---------------------------------------------------------------------------
# measuring voices


def _frames(audio: np.ndarray, rate: int, win_s: float = 0.04, hop_s: float = 0.01) -> np.ndarray:
    win, hop = int(rate * win_s), int(rate * hop_s)
    if len(audio) < win:
        return np.zeros((0, win), np.float32)
    n = 1 + (len(audio) - win) // hop
    idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]
    return audio[idx]


def median_pitch_hz(audio: np.ndarray, rate: int, fmin: float = 60.0, fmax: float = 400.0,
                    threshold: float = 0.15) -> float:
    """Median fundamental frequency of the voiced frames by YIN (de Cheveigne & Kawahara 2002:
    the cumulative-mean-normalised difference function, its first dip under ``threshold``);
    0.0 when nothing is voiced."""
    frames = _frames(audio.astype(np.float64), rate, win_s=0.05)
    if not len(frames):
        return 0.0
    energy = np.sqrt((frames ** 2).mean(axis=1))
    frames = frames[energy > energy.max() * 0.1]
    w = frames.shape[1] // 2
    lo, hi = int(rate / fmax), min(int(rate / fmin), w - 1)
    f0 = []
    for fr in frames:
        x = fr - fr.mean()
        # d(tau) = sum_{j<w} (x_j - x_{j+tau})^2 for tau in [0, w)
        sq = np.cumsum(np.concatenate([[0.0], x ** 2]))
        spec_a = np.fft.rfft(x[:w], 2 * len(x))
        spec_b = np.fft.rfft(x, 2 * len(x))
        corr = np.fft.irfft(np.conj(spec_a) * spec_b)[:w]
        taus = np.arange(w)
        d = sq[w] + (sq[taus + w] - sq[taus]) - 2 * corr
        cmnd = np.ones(w)
        cmnd[1:] = d[1:] * taus[1:] / np.maximum(np.cumsum(d[1:]), 1e-12)
        below = np.flatnonzero(cmnd[lo:hi] < threshold)
        if not len(below):
            continue
        tau = int(below[0]) + lo
        while tau + 1 < hi and cmnd[tau + 1] < cmnd[tau]:  # down to the bottom of the dip
            tau += 1
        if 0 < tau < w - 1:  # parabolic interpolation for a sub-sample period
            a, b, c = cmnd[tau - 1], cmnd[tau], cmnd[tau + 1]
            denom = a - 2 * b + c
            tau = tau + 0.5 * (a - c) / denom if denom else tau
        f0.append(rate / tau)
    return float(np.median(f0)) if f0 else 0.0


def spectral_centroid_hz(audio: np.ndarray, rate: int) -> float:
    """Energy-weighted mean frequency of the loud frames (brightness of the voice)."""
    frames = _frames(audio.astype(np.float64), rate)
    if not len(frames):
        return 0.0
    energy = np.sqrt((frames ** 2).mean(axis=1))
    frames = frames[energy > energy.max() * 0.1] * np.hanning(frames.shape[1])
    mag = np.abs(np.fft.rfft(frames, axis=1))
    freqs = np.fft.rfftfreq(frames.shape[1], 1.0 / rate)
    return float((mag * freqs).sum() / max(mag.sum(), 1e-12))
