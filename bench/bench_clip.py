"""Transcription and clip benchmark on the generated test talk (issue 14).

    .venv/bin/python bench/bench_clip.py [--threads 2] [--clip-seconds 24]

In fresh child processes (so each peak RSS is its own): the offline transcription of the ~52 s
Piper talk (real-time factor, WER against the known text, peak RSS), and the render of one
1080x1920 clip (cut + face-following crop + captions + loudness, one ffmpeg graph) against its
encode floor: the very frames of the rendered clip read back and encoded with the same x264
settings and no filters. Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _child_peak_mb() -> float:
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def _transcribe(talk: dict, threads: int, q) -> None:
    from shortsmith.transcribe import word_error_rate
    from shortsmith.transcribe.local import WhisperLocal

    t0 = time.perf_counter()
    t = WhisperLocal(threads=threads).transcribe(talk["mp4"])
    q.put({"wall_s": round(time.perf_counter() - t0, 2), "audio_s": t.duration, **t.meta,
           "wer": round(word_error_rate(talk["text"], t.text), 4), "peak_rss_mb": round(_child_peak_mb()),
           "transcript": t.to_dict()})


def _render(talk: dict, transcript: dict, clip_s: float, out: str, q) -> None:
    from shortsmith.clips.highlights import choose
    from shortsmith.clips.reframe import crop_path, detect_faces
    from shortsmith.clips.render import render_clip
    from shortsmith.transcribe import Transcript

    t = Transcript.from_dict(transcript)
    [h] = choose(t, 1, min_s=20, max_s=clip_s)
    t0 = time.perf_counter()
    det = detect_faces(talk["mp4"], h.start, h.duration, 1280, 720)
    path = crop_path(det, src_w=1280, src_h=720, duration=h.duration)
    t_detect = time.perf_counter() - t0
    info = render_clip(talk["mp4"], t, h.start, h.end, path, Path(out))
    q.put({"clip_s": round(h.duration, 2), "detect_s": round(t_detect, 2), "render_s": info["seconds"],
           "crop_found": path.found, "peak_rss_mb": round(_child_peak_mb())})


def _floor(clip: str, q) -> None:
    from shortsmith.ffmpeg import ffmpeg_path

    ff = ffmpeg_path()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "frames.yuv"
        subprocess.run([ff, "-v", "error", "-i", clip, "-f", "rawvideo", "-pix_fmt", "yuv420p", str(raw)], check=True)
        t0 = time.perf_counter()
        subprocess.run([ff, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "1080x1920", "-r", "30",
                        "-i", str(raw), "-i", clip, "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset",
                        "veryfast", "-crf", "20", "-profile:v", "high", "-c:a", "aac", "-b:a", "160k",
                        str(Path(tmp) / "floor.mp4")], check=True)
        q.put({"encode_floor_s": round(time.perf_counter() - t0, 2)})


def run_child(fn, *args):
    q = mp.get_context("fork").Queue()
    p = mp.get_context("fork").Process(target=fn, args=(*args, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--clip-seconds", type=float, default=24.0)
    args = ap.parse_args()
    from tests.transcribe.talk import make_talk

    with tempfile.TemporaryDirectory() as tmp:
        talk = make_talk(Path(tmp) / "talk")
        tr = run_child(_transcribe, talk, args.threads)
        transcript = tr.pop("transcript")
        clip = str(Path(tmp) / "clip.mp4")
        rd = run_child(_render, talk, transcript, args.clip_seconds, clip)
        fl = run_child(_floor, clip)
    rd["render_over_floor"] = round(rd["render_s"] / fl["encode_floor_s"], 2)
    print(json.dumps({"transcription": tr, "clip": {**rd, **fl}}, indent=2))


if __name__ == "__main__":
    main()
