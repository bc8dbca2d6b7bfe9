"""One ffmpeg graph per clip: cut the source, crop along the path, scale to 9:16, burn the captions, encode.

``-ss``/``-t`` before the input cut the segment (accurate seek: the clip starts at the highlight's
first word, minus a breath); ``sendcmd`` moves ``crop@reframe`` to the path's x for each frame;
``scale`` brings the crop to 1080x1920; ``ass`` burns the word-by-word captions built from the
transcript's words (:func:`shortsmith.captions.build_ass`, the same captions as every Short);
the sound is the source's own speech, loudness-normalised (single-pass ``loudnorm`` to -14 LUFS).
The file is written under a temporary name and moved into place only when ffmpeg succeeded.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from ..captions import CaptionStyle, build_ass
from ..errors import MediaError
from ..ffmpeg import probe, run_ffmpeg
from ..fonts import FONTS_DIR
from ..model import BeatAudio, Voiceover, WordTiming
from ..render.encoders import video_codec_args
from ..render.graph import filter_value
from ..render.settings import RenderSettings
from ..transcribe import Transcript
from .reframe import CropPath, sendcmd_script


def segment_voiceover(transcript: Transcript, start: float, end: float) -> Voiceover:
    """The transcript's words inside [start, end] as a Voiceover timed from the clip's start (one beat a sentence)."""
    beats: list[BeatAudio] = []
    for s in transcript.sentences():
        if s.end <= start or s.start >= end:
            continue
        words = [WordTiming(w.word, round(max(0.0, w.start - start), 4), round(min(end, w.end) - start, 4))
                 for w in transcript.words[s.first:s.last + 1] if start <= w.start < end]
        if words:
            beats.append(BeatAudio(index=len(beats), start=words[0].start, end=words[-1].end, words=words))
    return Voiceover(wav_path="", sample_rate=16000, duration=round(end - start, 4), beats=beats,
                     engine=f"transcript:{transcript.provider}:{transcript.model}", timing_source="transcript")


def measure_loudness(source: Path, start: float, duration: float) -> dict | None:
    """The first pass of two-pass ``loudnorm``: the segment's measured loudness (None if unreadable)."""
    import json
    import re

    log = run_ffmpeg(["-ss", f"{start:.3f}", "-t", f"{duration:.3f}", "-i", str(source), "-map", "0:a:0", "-af",
                      "loudnorm=I=-14:TP=-1.5:LRA=11:print_format=json", "-f", "null", "-"])
    found = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", log, re.S)
    if not found:
        return None
    data = json.loads(found.group(0))
    return data if data.get("input_i") not in ("-inf", "inf") else None


def clip_command(source: Path, start: float, duration: float, path: CropPath, ass_path: Path, cmd_path: Path,
                 out: Path, settings: RenderSettings, measured: dict | None = None) -> list[str]:
    # one gain to the target (measured in the first pass), then a limiter for the peaks: a linear change,
    # so speech keeps its dynamics (single-pass loudnorm on speech with high peaks lands 2-3 LU low)
    gain = settings.target_lufs - float(measured["input_i"]) if measured else 0.0
    limit = 10 ** ((settings.true_peak_db - 1.5) / 20)
    loudness = f"volume={gain:.2f}dB,alimiter=limit={limit:.5f}:attack=5:release=80:level=0:latency=1"
    graph = (f"[0:v]sendcmd=f={filter_value(cmd_path)},"
             f"crop@reframe=w={path.crop_w}:h={path.crop_h}:x={path.xs[0]}:y={(path.src_h - path.crop_h) // 2},"
             f"scale={settings.width}:{settings.height}:flags=lanczos+accurate_rnd:out_color_matrix=bt709:out_range=tv,"
             f"setsar=1,fps={settings.fps},"
             f"ass=filename={filter_value(ass_path)}:fontsdir={filter_value(FONTS_DIR)},format=yuv420p,"
             f"setparams=field_mode=prog:range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709[v];"
             f"[0:a]aresample={settings.sample_rate},{loudness}[a]")
    return ["-y", "-ss", f"{start:.3f}", "-t", f"{duration:.3f}", "-i", str(source), "-filter_complex", graph,
            "-map", "[v]", "-map", "[a]", *video_codec_args("libx264", preset=settings.preset, crf=settings.crf),
            "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
            "-c:a", "aac", "-b:a", settings.audio_bitrate, "-ar", str(settings.sample_rate), "-ac", "2",
            "-movflags", "+faststart", "-t", f"{duration:.3f}", str(out)]


def render_clip(source: Path, transcript: Transcript | Voiceover, start: float, end: float, path: CropPath, out: Path,
                *, settings: RenderSettings | None = None, style: CaptionStyle | None = None,
                ass_path: Path | None = None) -> dict:
    """Render ``source[start:end]`` as a captioned 9:16 Short at ``out`` (atomically); returns figures.

    The captions are the transcript's words in the segment (or a clip Voiceover's), or a ready ASS file
    (``ass_path``, the captions stage's)."""
    settings = settings or RenderSettings()
    duration = round(end - start, 3)
    vo = segment_voiceover(transcript, start, end) if isinstance(transcript, Transcript) else transcript
    if not vo.beats:
        raise MediaError(f"no transcript words between {start:.1f} s and {end:.1f} s", field="clip",
                         fix="choose a segment with speech (re-run the transcription if the source changed)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shortsmith-clip-", dir=out.parent) as tmp:
        cmd_path = Path(tmp) / "crop.cmd"
        if ass_path is None:
            ass_path = Path(tmp) / "captions.ass"
            ass_path.write_text(build_ass(vo, width=settings.width, height=settings.height, style=style), "utf-8")
        cmd_path.write_text(sendcmd_script(path), "utf-8")
        partial = Path(tmp) / ("partial" + out.suffix)
        t0 = time.perf_counter()
        measured = measure_loudness(source, start, duration)
        run_ffmpeg(clip_command(source, start, duration, path, ass_path, cmd_path, partial, settings, measured),
                   total_seconds=duration)
        seconds = time.perf_counter() - t0
        info = probe(partial)
        os.replace(partial, out)
    video = next((s for s in info["streams"] if s.get("codec_type") == "video"), {})
    return {"path": str(out), "seconds": round(seconds, 2), "duration": float(info["format"].get("duration", 0)),
            "width": video.get("width"), "height": video.get("height"), "words": sum(len(b.words) for b in vo.beats),
            "crop_found": path.found}
