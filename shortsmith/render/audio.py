"""The audio half of the render: voice + ducked music -> gain -> limiter -> trim, and the loudness passes.

Before the render, a short audio-only analysis pass (two quick ffmpeg runs over the audio,
no video) measures the voice, the music and the limited mix, so that the render graph can
apply fixed, linear gains: the result lands on ``target_lufs`` integrated with the true
peak under ``true_peak_db``. After the encode, :func:`guard_true_peak` checks the AAC output.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..ffmpeg import run_ffmpeg
from .settings import RenderInputs, RenderSettings


@dataclass
class AudioPlan:
    """Fixed gains (dB) the render graph applies; from :func:`analyse_audio`."""

    voice_gain_db: float = 0.0
    music_gain_db: float = 0.0
    master_gain_db: float = 0.0
    limit_db: float = -2.0  # limiter ceiling (sample peak) before the trim
    trim_gain_db: float = 0.0
    measured: dict = field(default_factory=dict)


def _limit_linear(db: float) -> float:
    return min(1.0, max(0.0625, 10 ** (db / 20)))


def audio_chain(voice_in: str, music_in: str | None, duration: float, settings: RenderSettings,
                plan: AudioPlan, *, out_label: str = "aout", final: bool = True) -> list[str]:
    """Filter chains from the voice (and music) inputs to ``[out_label]``.

    ``final=False`` stops after the limiter (the analysis pass measures that point).
    """
    sr = settings.sample_rate
    d = f"{duration:.6f}"
    chains = [
        f"{voice_in}aresample={sr},aformat=sample_fmts=fltp:channel_layouts=mono,"
        f"pan=stereo|c0=c0|c1=c0,apad=whole_dur={d},atrim=end={d},asetpts=N/SR/TB,"
        f"volume={plan.voice_gain_db:.3f}dB" + ("[voice]" if music_in else "[mix]")
    ]
    if music_in:
        # the compressor is keyed by the voice: threshold ~ 20 dB under speech level
        ratio = 4.0
        chains += [
            "[voice]asplit=2[vmix][vkey]",
            f"{music_in}aresample={sr},aformat=sample_fmts=fltp:channel_layouts=stereo,"
            f"atrim=end={d},apad=whole_dur={d},atrim=end={d},asetpts=N/SR/TB,"
            f"volume={plan.music_gain_db:.3f}dB[music]",
            f"[music][vkey]sidechaincompress=threshold=0.02:ratio={ratio}:attack=40:release=600"
            f":knee=4:detection=rms:link=maximum[ducked]",
            "[vmix][ducked]amix=inputs=2:duration=first:normalize=0[mix]",
        ]
    tail = (
        f"[mix]volume={plan.master_gain_db:.3f}dB,"
        f"alimiter=limit={_limit_linear(plan.limit_db):.5f}:attack=5:release=80:level=0:latency=1"
    )
    if final:
        tail += (f",volume={plan.trim_gain_db:.3f}dB,aresample={sr},"
                 f"aformat=sample_fmts=fltp:channel_layouts=stereo[{out_label}]")
    else:
        tail += f"[{out_label}]"
    chains.append(tail)
    return chains


_EBUR_BLOCK = re.compile(
    r"\[(?P<name>[^\]@\s]+@[^\]\s]+|Parsed_ebur128_\d+) @ [^\]]+\] Summary:(?P<body>.*?)"
    r"(?=\[\S+ @ [^\]]+\] Summary:|\Z)",
    re.S,
)


def parse_ebur128(log: str) -> dict[str, dict[str, float]]:
    """{filter instance name: {"I": LUFS, "TP": dBTP, "LRA": LU}} from ebur128 summaries."""
    out: dict[str, dict[str, float]] = {}
    for m in _EBUR_BLOCK.finditer(log):
        body = m.group("body")
        vals: dict[str, float] = {}
        for key, pat in (("I", r"I:\s+(-?[\d.]+|-inf|nan)\s+LUFS"),
                         ("LRA", r"LRA:\s+(-?[\d.]+|-inf|nan)\s+LU\b"),
                         ("TP", r"Peak:\s+(-?[\d.]+|-inf|nan)\s+dBFS")):
            mm = re.search(pat, body)
            if mm:
                vals[key] = float(mm.group(1))
        name = m.group("name")
        out[name.split("@", 1)[1] if "@" in name else name] = vals
    return out


def _finite(x: float | None, default: float) -> float:
    return default if x is None or not math.isfinite(x) else x


def analyse_audio(inputs: RenderInputs, settings: RenderSettings, duration: float) -> AudioPlan:
    """The audio-only analysis (two short ffmpeg runs): gains that make the final mix hit
    ``target_lufs`` with its true peak under ``true_peak_db``."""
    plan = AudioPlan(limit_db=settings.true_peak_db - 1.0)
    music = inputs.music_wav
    # pass 1: voice and music loudness, separately
    args = ["-i", str(inputs.voice_wav)]
    if music:
        args += ["-stream_loop", "-1", "-i", str(music)]
    d = f"{duration:.6f}"
    # the voice is measured as the render plays it: mono duplicated to both channels
    graph = [f"[0:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=mono,"
             f"pan=stereo|c0=c0|c1=c0,atrim=end={d},ebur128@voice=peak=true:framelog=quiet[v]"]
    maps = ["-map", "[v]"]
    if music:
        graph.append(f"[1:a]aresample=48000,atrim=end={d},ebur128@music=peak=true:framelog=quiet[m]")
        maps += ["-map", "[m]"]
    log = run_ffmpeg([*args, "-filter_complex", ";".join(graph), *maps, "-f", "null", "-"])
    levels = parse_ebur128(log)
    voice_i = _finite(levels.get("voice", {}).get("I"), -70.0)
    if voice_i <= -69.0:
        raise InputError(
            f"the voice track {inputs.voice_wav} is silent (integrated loudness {voice_i} LUFS)",
            field="voice_wav", fix="re-run the voiceover step; the TTS produced no audible speech",
        )
    plan.voice_gain_db = settings.target_lufs - voice_i
    plan.measured["voice_lufs"] = voice_i
    if music:
        music_i = _finite(levels.get("music", {}).get("I"), -70.0)
        plan.measured["music_lufs"] = music_i
        if music_i > -69.0:
            plan.music_gain_db = settings.target_lufs + settings.music_db - music_i
        else:
            plan.music_gain_db = 0.0
    return set_trim(inputs, settings, plan, duration)


# Headroom kept under the true-peak ceiling for the AAC encoder's overshoot. Measured on the 13
# sample topics (Piper voices, 160 kb/s, bench/bench_loudness.py): with 0.3 dB 6 of 13 encodes
# went over the ceiling and needed the audio redone; with 0.8 dB none did (max -1.3 dBTP).
AAC_MARGIN_DB = 0.8


def _audio_inputs(inputs: RenderInputs) -> list[str]:
    args = ["-i", str(inputs.voice_wav)]
    if inputs.music_wav:
        args += ["-stream_loop", "-1", "-i", str(inputs.music_wav)]
    return args


def set_trim(inputs: RenderInputs, settings: RenderSettings, plan: AudioPlan, duration: float) -> AudioPlan:
    """Pass 2: the mix through the limiter, as the render does it, measured; then the linear trim
    after the limiter that reaches the target loudness without passing the true-peak ceiling."""
    for attempt in range(4):
        chains = audio_chain("[0:a]", "[1:a]" if inputs.music_wav else None, duration, settings, plan,
                             out_label="lim", final=False)
        chains.append("[lim]ebur128@mix=peak=true:framelog=quiet[out]")
        log = run_ffmpeg([*_audio_inputs(inputs), "-filter_complex", ";".join(chains), "-map", "[out]",
                          "-f", "null", "-"])
        mix = parse_ebur128(log).get("mix", {})
        mix_i = _finite(mix.get("I"), settings.target_lufs)
        mix_tp = _finite(mix.get("TP"), plan.limit_db)
        # a linear trim after the limiter; the limiter left (true_peak - limit) dB of headroom
        trim = settings.target_lufs - mix_i
        headroom = settings.true_peak_db - AAC_MARGIN_DB - mix_tp  # room for the encoder's overshoot
        shortfall = trim - headroom
        if shortfall <= 0.2 or attempt == 3:
            break
        # a peaky mix: the trim cannot reach the target under the ceiling. Drive the limiter
        # harder instead (more gain into it); its output peaks stay put and the loudness rises.
        plan.master_gain_db = round(plan.master_gain_db + shortfall, 2)
    plan.trim_gain_db = min(trim, headroom)
    plan.measured.update({"mix_lufs_before_trim": mix_i, "mix_true_peak_before_trim": mix_tp,
                          "limiter_drive_db": plan.master_gain_db})
    return plan


def _audio_codec_args(settings: RenderSettings) -> list[str]:
    return ["-c:a", "aac", "-b:a", settings.audio_bitrate, "-ar", str(settings.sample_rate), "-ac", "2"]


def guard_true_peak(inputs: RenderInputs, settings: RenderSettings, out_path: Path, plan: AudioPlan,
                    duration: float, *, attempts: int = 2, measured: dict | None = None) -> list[dict]:
    """Keep the encoded audio under the true-peak ceiling.

    The AAC encoder can overshoot the limited mix, now and then by more than the AAC_MARGIN_DB the
    trim keeps free (1.7 dB was seen on a Piper voice at 160 kb/s). The output's true peak is
    measured (audio only, ~0.5 s); when it is over the ceiling, the limiter ceiling is lowered
    by the overshoot, the trim measured again (the loudness target still holds), and only the
    audio is encoded again, the video stream copied. Returns what was corrected; ``measured``, when
    given, receives the loudness and true peak of the file as it is left (when it was measured last),
    so the caller need not decode the audio once more to report them.
    """
    from ..validate import measure_loudness

    corrections: list[dict] = []
    for _ in range(attempts):
        integrated, peak = measure_loudness(out_path)
        if measured is not None:
            measured.update(integrated_lufs=integrated, true_peak_dbtp=peak)
        if not math.isfinite(peak) or peak <= settings.true_peak_db:
            break
        if measured is not None:
            measured.clear()  # the file is about to change
        overshoot = peak - (settings.true_peak_db - AAC_MARGIN_DB)
        plan.limit_db = round(plan.limit_db - overshoot, 2)
        set_trim(inputs, settings, plan, duration)
        chains = audio_chain("[1:a]", "[2:a]" if inputs.music_wav else None, duration, settings, plan)
        tmp = out_path.with_name(f".{out_path.stem}.audio{out_path.suffix or '.mp4'}")
        try:
            run_ffmpeg(["-y", "-i", str(out_path), *_audio_inputs(inputs), "-filter_complex", ";".join(chains),
                        "-map", "0:v", "-map", "[aout]", "-c:v", "copy", *_audio_codec_args(settings),
                        "-t", f"{duration:.6f}", "-movflags", "+faststart", str(tmp)])
            tmp.replace(out_path)
        finally:
            if tmp.exists():
                tmp.unlink()
        corrections.append({"true_peak_dbtp": peak, "limit_db": plan.limit_db, "trim_gain_db": plan.trim_gain_db})
    return corrections
