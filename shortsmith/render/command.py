"""The one ffmpeg command: inputs, per-scene chains, crossfades, captions, audio, encoder; and the render."""

from __future__ import annotations

import math
import shlex
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from ..errors import InputError, MediaError
from ..ffmpeg import run_ffmpeg
from ..fonts import FONTS_DIR
from ..model import SceneTiming
from .audio import AudioPlan, _audio_codec_args, analyse_audio, audio_chain, guard_true_peak
from .depth import depth_scene
from .encoders import choose_encoder, video_codec_args
from .graph import _watermark_filter, clip_chains, filter_value, scene_chains
from .motion import Motion, plan_motion
from .settings import RenderInputs, RenderSettings, is_video
from .terminal import terminal_track
from .timeline import _frames, scene_timeline, video_duration
from .tracks import plan_overlays
from .transitions import join_scenes


def _image_size(path: Path) -> tuple[int, int]:
    try:
        from PIL import Image

        with Image.open(path) as im:
            return im.size
    except FileNotFoundError as exc:
        raise InputError(f"scene image {path} does not exist", field="scene_images",
                         fix="re-run the scene_images step") from exc
    except Exception as exc:  # PIL raises many kinds
        raise InputError(f"scene image {path} cannot be read: {exc}", field="scene_images",
                         fix="re-run the scene_images step; the file is damaged") from exc


def _still_sar(path: Path) -> str:
    """The SAR ffmpeg's PNG decoder gives a still: 1 with a pHYs chunk, else unknown (0)."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            return "1" if ("dpi" in im.info or "aspect" in im.info) else "0"
    except Exception:  # _image_size reports unreadable stills
        return "0"


def _clip_info(path: Path) -> dict:
    """Size and duration of a scene clip (ffprobe); a clear error when it is missing or has no video."""
    from ..ffmpeg import probe

    if not path.exists():
        raise InputError(f"scene clip {path} does not exist", field="scene_images",
                         fix="re-run the scene_images step")
    try:
        info = probe(path)
    except MediaError as exc:
        raise InputError(f"scene clip {path} cannot be read: {exc.message}", field="scene_images",
                         fix="re-run the scene_images step; the download is damaged") from exc
    video = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"), None)
    if video is None or not video.get("width") or not video.get("height"):
        raise InputError(f"scene clip {path} has no video stream", field="scene_images",
                         fix="re-run the scene_images step; the file is not a video")
    try:
        duration = float(video.get("duration") or info.get("format", {}).get("duration") or 0.0)
    except ValueError:
        duration = 0.0
    return {"width": int(video["width"]), "height": int(video["height"]), "duration": duration}


@dataclass
class RenderPlan:
    duration: float
    frames: int
    scenes: list[SceneTiming]
    motions: list[Motion]
    audio: AudioPlan
    filter_graph: str
    command: list[str]
    encoder: str = "libx264"
    encoder_note: str = ""
    terminal: dict | None = None  # the terminal overlays' track (issue 13), when there are any
    preview_files: list[Path] | None = None  # the preview frames the render writes besides the video


@dataclass(frozen=True)
class PreviewFrames:
    """Frames to keep from the render itself (a split of the finished picture, scaled down), instead
    of decoding the MP4 again afterwards: six seeks into a 1080x1920 file with 250-frame GOPs took
    3.3 s, about a tenth of the render (measured here). Kept as ``folder/preview_NN.png``.

    ffmpeg feeds first the output whose last timestamp is the lowest. A preview output that only
    gets a frame now and then would hold the encoder back while the graph ran ahead, queueing
    full-size frames (the demo's render: 27.7 -> 33.3 s and 1.0 -> 2.6 GB). So the preview stream
    also takes frame 0 (written and then dropped) and runs 10^5 s ahead of the video: it is never the
    one waited for (measured: 28.2 s against 28.1 s without a preview)."""

    times: tuple[float, ...]
    folder: Path
    width: int = 160

    AHEAD_S: ClassVar[int] = 100_000

    def frame_numbers(self, fps: int, frames: int) -> list[int]:
        """The frame on screen at each time (frame n shows from n/fps until (n+1)/fps)."""
        return [min(max(0, frames - 1), max(0, math.floor(t * fps + 1e-9))) for t in self.times]

    def files(self) -> list[Path]:
        return [Path(self.folder) / f"preview_{i:02d}.png" for i in range(len(self.times))]

    def images(self) -> list:
        """The frames as PIL images, in the order of ``times``; an error when the render wrote fewer."""
        from PIL import Image

        files = self.files()
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise MediaError(f"the render wrote no preview frame {', '.join(missing)}", field="render.preview",
                             fix="this is a bug in shortsmith.render; please report it with the command line")
        out = []
        for f in files:
            with Image.open(f) as im:
                out.append(im.convert("RGB"))
        return out

    def chain(self, source: str, fps: int, frames: int) -> tuple[str, list[str], list[Path]]:
        """The filter chain from ``source`` (the finished picture), the output's arguments, and the
        file the render writes for each time (see :meth:`collect`)."""
        numbers = self.frame_numbers(fps, frames)
        picks = sorted({0, *numbers})  # frame 0 first: the stream starts at once (see the class doc)
        expr = "+".join(f"eq(n\\,{n})" for n in picks)
        chain = (f"{source}select={expr},setpts=PTS+{self.AHEAD_S}/TB,"
                 f"scale={self.width}:-2:flags=bicubic,format=rgb24[pv]")
        raw = Path(self.folder) / "raw_%02d.png"
        args = ["-map", "[pv]", "-fps_mode", "passthrough", "-c:v", "png", "-f", "image2",
                "-start_number", "0", str(raw)]
        return chain, args, [Path(self.folder) / f"raw_{picks.index(n):02d}.png" for n in numbers]

    def collect(self, written: list[Path]) -> None:
        """Names the frames the render wrote (``written``, one per time) ``preview_NN.png``."""
        for src, dst in zip(written, self.files()):
            if src.is_file():
                shutil.copyfile(src, dst)
        for raw in Path(self.folder).glob("raw_*.png"):
            raw.unlink()


def build_command(inputs: RenderInputs, settings: RenderSettings, out_path: Path, *,
                  audio: AudioPlan | None = None, check_images: bool = True,
                  preview: PreviewFrames | None = None) -> RenderPlan:
    """The complete ffmpeg invocation (without the executable) and what it will do. With ``preview``
    the same command also writes those frames of the finished picture (a second output)."""
    encoder, encoder_note = choose_encoder(settings.encoder)
    beats = inputs.voiceover.beats
    if len(inputs.scene_images) != len(beats):
        raise InputError(
            f"{len(inputs.scene_images)} scene images for {len(beats)} voice beats",
            field="scene_images",
            fix="provide exactly one image per beat (re-run scene_images after the voiceover)",
        )
    if not inputs.voice_wav.exists():
        raise InputError(f"voice track {inputs.voice_wav} does not exist", field="voice_wav",
                         fix="re-run the voiceover step")
    if inputs.music_wav and not inputs.music_wav.exists():
        raise InputError(f"music track {inputs.music_wav} does not exist", field="music_wav",
                         fix="re-run the music step, or render without music")
    if inputs.ass_path and not inputs.ass_path.exists():
        raise InputError(f"caption file {inputs.ass_path} does not exist", field="ass_path",
                         fix="re-run the captions step, or render without captions")
    W, H, fps = settings.width, settings.height, settings.fps
    audio = audio or AudioPlan(limit_db=settings.true_peak_db - 1.0)
    duration = video_duration(inputs.voiceover, settings)
    total_frames = round(duration * fps)
    scenes = scene_timeline(inputs.voiceover, duration, settings.crossfade_s, fps=fps)
    xf_frames = round(settings.crossfade_s * fps)

    args: list[str] = ["-y"]
    layers = inputs.scene_layers or [None] * len(inputs.scene_images)
    if len(layers) != len(inputs.scene_images):
        raise InputError(f"{len(layers)} scene layer sets for {len(inputs.scene_images)} scenes",
                         field="scene_layers", fix="give one entry (or None) per scene")
    for img, lay in zip(inputs.scene_images, layers):
        if is_video(img):
            # loop a short clip; its own audio is never read
            args += ["-stream_loop", "-1", "-an", "-i", str(img)]
        else:  # a layered scene's background stands in for its flat still (see depth.py)
            args += ["-framerate", str(fps), "-i", str(lay.background if lay else img)]
    stills = [p for p in inputs.scene_images if not is_video(p)]
    clip_sar = _still_sar(stills[0]) if check_images and stills else "0"
    voice_idx = len(inputs.scene_images)
    args += ["-i", str(inputs.voice_wav)]
    music_idx = None
    if inputs.music_wav:
        music_idx = voice_idx + 1
        args += ["-stream_loop", "-1", "-i", str(inputs.music_wav)]

    layer_args: list[str] = []  # the nearer layers' inputs come after the audio
    next_input = (music_idx if music_idx is not None else voice_idx) + 1
    chains: list[str] = []
    motions: list[Motion] = []
    frames: list[int] = []
    for i, (img, sc) in enumerate(zip(inputs.scene_images, scenes)):
        n = _frames(sc.end, fps) - _frames(sc.start, fps)
        frames.append(n)
        if is_video(img):
            if check_images:
                _clip_info(img)
            # no Ken Burns on a clip: a still "motion" records its frame count
            motions.append(Motion("clip", W, H, 0, 0, 0, 0, 0, 0, n))
            chains += clip_chains(i, f"[{i}:v]", n, W, H, fps, sar=clip_sar)
            continue
        motion = plan_motion(i, n, W, H)
        motions.append(motion)
        size = _image_size(img) if check_images else (W, H)
        lay = layers[i]
        if lay is not None and not is_video(img):
            extra, more = depth_scene(i, lay, motion, W, H, fps, next_input, source_size=size,
                                      flags=settings.zoom_scale, check_images=check_images)
            layer_args += extra
            next_input += len(extra) // 4
            chains += more
            continue
        chains += scene_chains(i, f"[{i}:v]", motion, W, H, fps, source_size=size,
                               flags=settings.zoom_scale)
    chains += join_scenes(frames, xf_frames, inputs.transitions, fps, W, H, default=settings.transition)
    overlays = plan_overlays(inputs.terminals, scenes, inputs.voiceover, settings.crossfade_s)
    args += layer_args  # the depth layers' inputs, then the terminal overlays' (after the audio)
    first_overlay_input = next_input
    term_args, term_chains, last, term_stats = terminal_track(
        overlays, W, H, fps, first_overlay_input, overlay_folder(out_path), "[vcat]")
    args += term_args
    chains += term_chains
    post = []
    if inputs.ass_path:
        post.append(f"ass=filename={filter_value(inputs.ass_path)}:fontsdir={filter_value(FONTS_DIR)}")
    if inputs.watermark:
        post.append(_watermark_filter(inputs.watermark, settings))
    post.append("format=yuv420p")
    post.append("setparams=field_mode=prog:range=tv:color_primaries=bt709:color_trc=bt709"
                ":colorspace=bt709")
    picture = ",".join(post)
    preview_args: list[str] = []
    preview_files: list[Path] | None = None
    if preview is not None:  # the finished frames, split off before the encoder (references, no copies)
        chains.append(f"{last}{picture},split=2[vout][vpv]")
        preview_chain, preview_args, preview_files = preview.chain("[vpv]", fps, total_frames)
        chains.append(preview_chain)
        Path(preview.folder).mkdir(parents=True, exist_ok=True)
    else:
        chains.append(f"{last}{picture}[vout]")
    chains += audio_chain(f"[{voice_idx}:a]", f"[{music_idx}:a]" if music_idx is not None else None,
                          duration, settings, audio)
    graph = ";\n".join(chains)

    args += [
        "-filter_complex", graph,
        "-map", "[vout]", "-map", "[aout]",
        *video_codec_args(encoder, preset=settings.preset, crf=settings.crf),
        "-pix_fmt", "yuv420p",
        "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
        "-color_range", "tv",
        "-r", str(fps), "-fps_mode", "cfr",
        *_audio_codec_args(settings),
        "-t", f"{duration:.6f}",
        "-movflags", "+faststart",
        str(out_path),
        *preview_args,
    ]
    return RenderPlan(duration=duration, frames=total_frames, scenes=scenes, motions=motions,
                      audio=audio, filter_graph=graph, command=args, encoder=encoder, encoder_note=encoder_note,
                      terminal=term_stats or None, preview_files=preview_files)


def overlay_folder(out_path: Path) -> Path:
    """Where a render's overlay frames are written (removed when the render ends)."""
    out_path = Path(out_path)
    return out_path.with_name(f".{out_path.name}.overlays")


def render_video(inputs: RenderInputs, settings: RenderSettings, out_path: Path, *,
                 progress: Callable[[float], None] | None = None,
                 measure_output: bool = True, preview: PreviewFrames | None = None) -> dict:
    """Render the Short to ``out_path`` (written atomically) and return a report. With ``preview``
    the render also writes those frames (see :class:`PreviewFrames`)."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.stem}.partial{out_path.suffix or '.mp4'}")
    t0 = time.perf_counter()
    duration = video_duration(inputs.voiceover, settings)
    audio = analyse_audio(inputs, settings, duration)
    t1 = time.perf_counter()
    plan = build_command(inputs, settings, tmp, audio=audio, preview=preview)
    try:
        run_ffmpeg(plan.command, total_seconds=plan.duration, progress=progress)
        if preview is not None and plan.preview_files:
            preview.collect(plan.preview_files)
        measured: dict = {}  # the final file's loudness, measured by the guard
        corrections = guard_true_peak(inputs, settings, tmp, plan.audio, plan.duration, measured=measured)
        tmp.replace(out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
        shutil.rmtree(overlay_folder(tmp), ignore_errors=True)
    t2 = time.perf_counter()
    report: dict[str, Any] = {
        "path": str(out_path),
        "duration_s": plan.duration,
        "frames": plan.frames,
        "width": settings.width,
        "height": settings.height,
        "fps": settings.fps,
        "scenes": [asdict(s) for s in plan.scenes],
        "motions": [m.kind for m in plan.motions],
        "audio_plan": asdict(plan.audio),
        "audio_corrections": corrections,  # true-peak re-encodes of the audio (usually none)
        "timings_s": {"audio_analysis": round(t1 - t0, 3), "render": round(t2 - t1, 3)},
        "command": ["ffmpeg", *plan.command],
        "command_line": shlex.join(["ffmpeg", *plan.command]),
        "size_bytes": out_path.stat().st_size,
    }
    report["duration"] = plan.duration
    report["encoder"] = plan.encoder
    report["encoder_note"] = plan.encoder_note
    if plan.terminal:
        report["terminal"] = plan.terminal
    if measure_output and not measured:  # the guard re-encoded on its last attempt: measure the result
        from ..validate import measure_loudness

        integrated, peak = measure_loudness(out_path)
        measured = {"integrated_lufs": integrated, "true_peak_dbtp": peak}
        report["timings_s"]["measure"] = round(time.perf_counter() - t2, 3)
    if measured:
        report["loudness"] = dict(measured)
        report["integrated_lufs"] = measured["integrated_lufs"]
        report["true_peak_db"] = measured["true_peak_dbtp"]
    report["timings_s"]["total"] = round(time.perf_counter() - t0, 3)
    return report
