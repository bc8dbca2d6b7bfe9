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
from ..render.audio import AudioPlan, _audio_codec_args, analyse_audio, audio_chain, guard_true_peak
from ..render.settings import RenderInputs, RenderSettings
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


def clip_command(source: Path, voice_wav: Path, start: float, duration: float, path: CropPath, ass_path: Path,
                 cmd_path: Path, out: Path, settings: RenderSettings, plan: AudioPlan) -> list[str]:
    graph = [f"[0:v]sendcmd=f={filter_value(cmd_path)},"
             f"crop@reframe=w={path.crop_w}:h={path.crop_h}:x={path.xs[0]}:y={(path.src_h - path.crop_h) // 2},"
             f"scale={settings.width}:{settings.height}:flags=lanczos+accurate_rnd:out_color_matrix=bt709:out_range=tv,"
             f"setsar=1,fps={settings.fps},"
             f"ass=filename={filter_value(ass_path)}:fontsdir={filter_value(FONTS_DIR)},format=yuv420p,"
             f"setparams=field_mode=prog:range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709[v]",
             # the segment's sound: fixed gains from the analysis pass, limiter, trim (as every Short)
             *audio_chain("[1:a]", None, duration, settings, plan)]
    return ["-y", "-ss", f"{start:.3f}", "-t", f"{duration:.3f}", "-i", str(source), "-i", str(voice_wav),
            "-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[aout]",
            *video_codec_args("libx264", preset=settings.preset, crf=settings.crf),
            "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
            *_audio_codec_args(settings), "-movflags", "+faststart", "-t", f"{duration:.3f}", str(out)]


def render_clip(source: Path, transcript: Transcript | Voiceover, start: float, end: float, path: CropPath, out: Path,
                *, settings: RenderSettings | None = None, style: CaptionStyle | None = None,
                ass_path: Path | None = None, voice_wav: Path | None = None) -> dict:
    """Render ``source[start:end]`` as a captioned 9:16 Short at ``out`` (atomically); returns figures.

    The captions are the transcript's words in the segment (or a clip Voiceover's), or a ready ASS file
    (``ass_path``, the captions stage's). The sound is ``voice_wav`` (the segment's audio, the voice
    stage's) or cut from the source; its loudness is planned as for every Short (``render.audio``)."""
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
        if voice_wav is None:
            from .partition import cut_audio

            voice_wav = Path(tmp) / "voice.wav"
            cut_audio(source, start, end, voice_wav)
        t0 = time.perf_counter()
        inputs = RenderInputs(scene_images=[], voice_wav=voice_wav, voiceover=vo, ass_path=ass_path)
        plan = analyse_audio(inputs, settings, duration)
        run_ffmpeg(clip_command(source, voice_wav, start, duration, path, ass_path, cmd_path, partial, settings, plan),
                   total_seconds=duration)
        measured: dict = {}  # the final file's loudness, measured by the guard (check_video reuses it)
        corrections = guard_true_peak(inputs, settings, partial, plan, duration, measured=measured)
        seconds = time.perf_counter() - t0
        info = probe(partial)
        os.replace(partial, out)
    video: dict = next((s for s in info["streams"] if s.get("codec_type") == "video"), {})
    return {"path": str(out), "seconds": round(seconds, 2), "duration": float(info["format"].get("duration", 0)),
            "width": video.get("width"), "height": video.get("height"), "words": sum(len(b.words) for b in vo.beats),
            "crop_found": path.found, "audio_plan": {"voice_gain_db": plan.voice_gain_db,
                                                     "trim_gain_db": plan.trim_gain_db, **plan.measured},
            "true_peak_corrections": corrections, "loudness": measured or None}
