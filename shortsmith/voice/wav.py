"""16-bit PCM WAV in and out, and where the speech in a take starts and ends."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from ..errors import InputError


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Samples as float32 in [-1, 1] (mono) and the sample rate of a 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as w:
        rate, n, channels, width = w.getframerate(), w.getnframes(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(n)
    if width != 2:
        raise InputError(f"{path} is not 16-bit PCM", field="wav", fix="convert it to 16-bit PCM")
    data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data, rate


def write_wav(path: Path, audio: np.ndarray, rate: int) -> None:
    """Write 16-bit PCM atomically: mono from a 1-D array, N channels from an (n, N) array."""
    channels = 1 if audio.ndim == 1 else audio.shape[1]
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    tmp.replace(path)


def speech_bounds(audio: np.ndarray, rate: int, floor_db: float = -40.0) -> tuple[int, int]:
    """First and last sample of speech: 5 ms windows louder than ``floor_db`` below the peak."""
    if audio.size == 0:
        return 0, 0
    win = max(1, rate // 200)
    n = len(audio) // win
    if n == 0:
        return 0, len(audio)
    rms = np.sqrt(np.mean(audio[: n * win].reshape(n, win) ** 2, axis=1))
    peak = float(rms.max())
    if peak <= 1e-6:
        return 0, len(audio)
    loud = np.flatnonzero(rms > peak * 10 ** (floor_db / 20))
    return int(loud[0]) * win, min(len(audio), (int(loud[-1]) + 1) * win)
