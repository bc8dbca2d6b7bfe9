"""Checks a finished MP4 against what YouTube Shorts and the channel require.

Each check returns a sentence a person can act on ("video is 1080x1080, expected 1080x1920
(9:16)"; "integrated loudness is -23.4 LUFS, 9.4 LU under the -14 LUFS target"), so a
failed Dagster asset check explains itself without a traceback.

The validator declares its check groups (``VIDEO_CHECKS``): each outcome belongs to exactly one
group and carries the group's name, and ``group_outcomes`` folds the outcomes into one verdict
per group. An outcome of no declared group is an error, never silently counted elsewhere.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

from .errors import MediaError
from .ffmpeg import probe, run_ffmpeg


@dataclass
class MediaReport:
    width: int
    height: int
    fps: float
    duration: float
    video_codec: str | None
    profile: str | None
    pix_fmt: str | None
    color_primaries: str | None
    color_transfer: str | None
    color_space: str | None
    color_range: str | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None
    video_duration: float | None
    audio_duration: float | None
    frames: int | None = None


@dataclass(frozen=True)
class CheckGroup:
    """One verdict on the video: passes when every outcome in ``outcomes`` passes."""

    name: str
    description: str
    outcomes: tuple[str, ...]


VIDEO_CHECKS: tuple[CheckGroup, ...] = (
    CheckGroup("resolution", "The video is exactly its format's size (9:16: 1080x1920 by default; 16:9, 1:1).",
               ("resolution",)),
    CheckGroup("duration", "The video is no longer than the channel's max_video_seconds (a 16:9 episode: 10 min).",
               ("duration",)),
    CheckGroup("codecs", "H.264 (High, yuv420p) video and AAC audio.", ("video_codec", "audio_codec")),
    CheckGroup("audio_sync", "Audio is present and its duration matches the video's within 100 ms.",
               ("audio_present", "audio_sync")),
    CheckGroup("loudness", "Integrated loudness within +-1 LU of -14 LUFS, true peak <= -1 dBTP.",
               ("loudness", "true_peak")),
)


def check_of(outcome: str) -> str:
    """The declared check group an outcome belongs to."""
    for group in VIDEO_CHECKS:
        if outcome in group.outcomes:
            return group.name
    declared = ", ".join(o for g in VIDEO_CHECKS for o in g.outcomes)
    raise ValueError(f"validator outcome {outcome!r} belongs to no check group (declared: {declared}); "
                     "add it to a CheckGroup in shortsmith.validate.VIDEO_CHECKS")


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    message: str
    metadata: dict = field(default_factory=dict)
    check: str = ""  # the check group (VIDEO_CHECKS) this outcome decides; filled from ``name``

    def __post_init__(self) -> None:
        group = check_of(self.name)
        if self.check and self.check != group:
            raise ValueError(f"outcome {self.name!r} is declared in check {group!r}, not {self.check!r}")
        self.check = group


def group_outcomes(outcomes: list[CheckOutcome | dict]) -> dict[str, tuple[bool, str, dict]]:
    """One (passed, message, metadata) per declared check group; ``outcomes`` may be CheckOutcomes
    or their dicts as stored in a stage manifest. A group without outcomes fails: the validator
    reported nothing for it (e.g. no audio stream, so no loudness)."""
    grouped: dict[str, list[dict]] = {g.name: [] for g in VIDEO_CHECKS}
    for o in outcomes:
        item = asdict(o) if isinstance(o, CheckOutcome) else dict(o)
        group = check_of(item["name"])
        if item.get("check") and item["check"] != group:
            raise ValueError(f"outcome {item['name']!r} is declared in check {group!r}, not {item['check']!r}")
        grouped[group].append(item)
    result: dict[str, tuple[bool, str, dict]] = {}
    for name, items in grouped.items():
        if not items:
            result[name] = (False, f"the validator reported nothing for '{name}'", {})
            continue
        failing = [i["message"] for i in items if not i["passed"]]
        message = "; ".join(failing) if failing else "; ".join(i["message"] for i in items)
        meta: dict = {}
        for i in items:
            meta.update({k: v for k, v in (i.get("metadata") or {}).items() if isinstance(v, (int, float, str, bool))})
        result[name] = (not failing, message, meta)
    return result


def _float(value) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def inspect_video(path: str | Path) -> MediaReport:
    """What ffprobe says about the first video and audio streams of ``path``."""
    data = probe(path)
    streams = data.get("streams", [])
    v = next((s for s in streams if s.get("codec_type") == "video"), None)
    a = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if v is None:
        raise MediaError(f"{path} has no video stream", field="video",
                         fix="re-render the video; the file is not a finished Short")
    rate = v.get("avg_frame_rate") or v.get("r_frame_rate") or "0/1"
    try:
        fps = float(Fraction(rate)) if rate != "0/0" else 0.0
    except (ValueError, ZeroDivisionError):
        fps = 0.0
    fmt_duration = _float(data.get("format", {}).get("duration")) or 0.0
    return MediaReport(
        width=int(v.get("width", 0)), height=int(v.get("height", 0)), fps=round(fps, 3),
        duration=fmt_duration,
        video_codec=v.get("codec_name"), profile=v.get("profile"), pix_fmt=v.get("pix_fmt"),
        color_primaries=v.get("color_primaries"), color_transfer=v.get("color_transfer"),
        color_space=v.get("color_space"), color_range=v.get("color_range"),
        audio_codec=a.get("codec_name") if a else None,
        sample_rate=int(a["sample_rate"]) if a and a.get("sample_rate") else None,
        channels=a.get("channels") if a else None,
        video_duration=_float(v.get("duration")),
        audio_duration=_float(a.get("duration")) if a else None,
        frames=int(v["nb_frames"]) if str(v.get("nb_frames", "")).isdigit() else None,
    )


_I_RE = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf|nan)\s*LUFS", re.S)
_TP_RE = re.compile(r"True peak:\s*Peak:\s*(-?[\d.]+|-inf|nan)\s*dBFS", re.S)


def measure_loudness(path: str | Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of the file's audio (EBU R128,
    ffmpeg's ebur128 with ``peak=true``). Silence reads as (-70.0, -inf)."""
    log = run_ffmpeg(["-i", str(path), "-vn", "-sn", "-dn", "-map", "0:a:0",
                      "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"])
    summary = log[log.rfind("Summary:"):] if "Summary:" in log else ""
    m_i, m_tp = _I_RE.search(summary), _TP_RE.search(summary)
    if not m_i or not m_tp:
        raise MediaError(f"could not measure the loudness of {path}", field="audio",
                         fix="check that the file has a readable audio stream")
    integrated = float(m_i.group(1))
    peak = float(m_tp.group(1))
    if not math.isfinite(integrated):
        integrated = -70.0
    return integrated, peak


def check_video(path: str | Path, *, width: int, height: int, max_duration_s: float,
                target_lufs: float = -14.0, lufs_tolerance: float = 1.0,
                true_peak_max: float = -1.0, max_av_drift_s: float = 0.1,
                fps: float | None = 30.0, loudness: tuple[float, float] | None = None) -> list[CheckOutcome]:
    """Publishing checks; every outcome's message says what is wrong and by how much.

    ``loudness``: (integrated LUFS, true peak dBTP) of this very file when the caller has already
    measured it (the render's true-peak guard does); otherwise the audio is decoded and measured."""
    r = inspect_video(path)
    out: list[CheckOutcome] = []

    ok = (r.width, r.height) == (width, height)
    aspect = Fraction(width, height) if height else Fraction(0)
    msg = (f"video is {r.width}x{r.height} ({aspect.numerator}:{aspect.denominator})" if ok else
           f"video is {r.width}x{r.height}, expected {width}x{height} "
           f"({aspect.numerator}:{aspect.denominator})")
    out.append(CheckOutcome("resolution", ok, msg, {"width": r.width, "height": r.height,
                                                     "expected": f"{width}x{height}"}))

    ok = 0 < r.duration <= max_duration_s + 1e-3
    if r.duration <= 0:
        msg = "video has no duration (empty or truncated file)"
    elif ok:
        msg = f"video is {r.duration:.2f} s, within the {max_duration_s:g} s limit"
    else:
        msg = (f"video is {r.duration:.2f} s, {r.duration - max_duration_s:.2f} s over the "
               f"channel's limit of {max_duration_s:g} s; shorten the script")
    out.append(CheckOutcome("duration", ok, msg, {"duration_seconds": round(r.duration, 3),
                                                  "limit_seconds": max_duration_s}))

    problems = []
    if r.video_codec != "h264":
        problems.append(f"video codec is {r.video_codec}, expected h264")
    if r.profile != "High":
        problems.append(f"H.264 profile is {r.profile}, expected High")
    if r.pix_fmt != "yuv420p":
        problems.append(f"pixel format is {r.pix_fmt}, expected yuv420p")
    if (r.color_primaries, r.color_transfer, r.color_space) != ("bt709",) * 3:
        problems.append(f"colour tags are {r.color_primaries}/{r.color_transfer}/{r.color_space}, "
                        "expected bt709/bt709/bt709")
    if fps and abs(r.fps - fps) > 0.01:
        problems.append(f"frame rate is {r.fps:g} fps, expected {fps:g}")
    out.append(CheckOutcome("video_codec", not problems,
                            "; ".join(problems) or f"H.264 High yuv420p BT.709 {r.fps:g} fps",
                            {"video_codec": r.video_codec or "", "profile": r.profile or "",
                             "pix_fmt": r.pix_fmt or "", "fps": r.fps}))

    has_audio = r.audio_codec is not None
    out.append(CheckOutcome("audio_present", has_audio,
                            f"{r.audio_codec} audio, {r.sample_rate} Hz, {r.channels} channels"
                            if has_audio else "the video has no audio stream; re-render with the voice",
                            {"audio_codec": r.audio_codec or ""}))
    if not has_audio:
        return out

    problems = []
    if r.audio_codec != "aac":
        problems.append(f"audio codec is {r.audio_codec}, expected aac")
    if r.sample_rate != 48000:
        problems.append(f"audio sample rate is {r.sample_rate} Hz, expected 48000")
    out.append(CheckOutcome("audio_codec", not problems,
                            "; ".join(problems) or f"AAC {r.sample_rate} Hz {r.channels} ch",
                            {"sample_rate": r.sample_rate or 0, "channels": r.channels or 0}))

    v_dur = r.video_duration if r.video_duration is not None else r.duration
    a_dur = r.audio_duration if r.audio_duration is not None else r.duration
    drift = abs(v_dur - a_dur)
    ok = drift <= max_av_drift_s
    msg = (f"audio ({a_dur:.3f} s) and video ({v_dur:.3f} s) durations differ by "
           f"{drift * 1000:.0f} ms" + ("" if ok else f", over the {max_av_drift_s * 1000:.0f} ms limit"))
    out.append(CheckOutcome("audio_sync", ok, msg, {"drift_ms": round(drift * 1000, 1),
                                                    "video_seconds": round(v_dur, 3),
                                                    "audio_seconds": round(a_dur, 3)}))

    lufs, tp = loudness if loudness is not None else measure_loudness(path)
    if lufs <= -60:
        ok, msg = False, (f"the audio is silent ({lufs:.1f} LUFS integrated); "
                          "check the voice track and the mix")
    else:
        diff = lufs - target_lufs
        ok = abs(diff) <= lufs_tolerance
        where = "over" if diff > 0 else "under"
        msg = (f"integrated loudness is {lufs:.1f} LUFS, {abs(diff):.1f} LU {where} the "
               f"{target_lufs:g} LUFS target" + ("" if ok else f" (tolerance {lufs_tolerance:g} LU)"))
    out.append(CheckOutcome("loudness", ok, msg, {"integrated_lufs": lufs,
                                                  "target_lufs": target_lufs}))
    ok = tp <= true_peak_max + 0.2  # the meter's own inter-sample uncertainty
    msg = (f"true peak is {tp:.1f} dBTP" + (f", at or under {true_peak_max:g} dBTP" if ok else
                                            f", {tp - true_peak_max:.1f} dB over the "
                                            f"{true_peak_max:g} dBTP ceiling"))
    out.append(CheckOutcome("true_peak", ok, msg, {"true_peak_db": tp,
                                                   "ceiling_db": true_peak_max}))
    return out
