"""Validation of finished videos: clear failures for the wrong size, silence, no audio."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from shortsmith.errors import MediaError
from shortsmith.ffmpeg import ffmpeg_path, probe, run_ffmpeg
from shortsmith.validate import check_video, inspect_video, measure_loudness


def make_video(path: Path, *, size="270x480", seconds=2.0, audio: str | None = "sine",
               volume_db: float = -20.0, extra=()) -> Path:
    args = [ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i",
            f"testsrc2=s={size}:r=30:d={seconds}"]
    if audio == "sine":
        args += ["-f", "lavfi", "-i",
                 f"sine=f=440:r=48000:d={seconds},volume={volume_db}dB,aformat=channel_layouts=stereo"]
    elif audio == "silence":
        args += ["-f", "lavfi", "-i", f"anullsrc=r=48000:cl=stereo:d={seconds}"]
    args += ["-vf", "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709",
             "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
             "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", *extra]
    if audio:
        args += ["-c:a", "aac", "-ar", "48000", "-shortest"]
    subprocess.run([*args, str(path)], check=True)
    return path


def by_name(outcomes):
    return {o.name: o for o in outcomes}


def test_wrong_size_fails_with_a_sentence(tmp_path):
    video = make_video(tmp_path / "square.mp4", size="320x320")
    res = by_name(check_video(video, width=270, height=480, max_duration_s=60, lufs_tolerance=40))
    assert not res["resolution"].passed
    assert res["resolution"].message == "video is 320x320, expected 270x480 (9:16)"
    assert res["video_codec"].passed, res["video_codec"].message


def test_silent_video_fails_loudness(tmp_path):
    video = make_video(tmp_path / "silent.mp4", audio="silence")
    res = by_name(check_video(video, width=270, height=480, max_duration_s=60))
    assert res["resolution"].passed and res["audio_present"].passed
    assert not res["loudness"].passed and "silent" in res["loudness"].message


def test_no_audio_and_too_long(tmp_path):
    video = make_video(tmp_path / "mute.mp4", audio=None, seconds=3)
    res = by_name(check_video(video, width=270, height=480, max_duration_s=2))
    assert not res["audio_present"].passed and "no audio" in res["audio_present"].message
    assert not res["duration"].passed and "over the channel's limit of 2 s" in res["duration"].message


def test_quiet_audio_reports_how_far_off(tmp_path):
    video = make_video(tmp_path / "quiet.mp4", volume_db=-30)
    res = by_name(check_video(video, width=270, height=480, max_duration_s=60))
    lufs = res["loudness"].metadata["integrated_lufs"]
    assert not res["loudness"].passed
    assert f"{abs(lufs + 14):.1f} LU under the -14 LUFS target" in res["loudness"].message


def test_loudness_meter_tracks_gain(tmp_path):
    a = make_video(tmp_path / "a.mp4", volume_db=-20)
    b = make_video(tmp_path / "b.mp4", volume_db=-10)
    ia, pa = measure_loudness(a)
    ib, pb = measure_loudness(b)
    assert ib - ia == pytest.approx(10, abs=0.5)
    assert pb - pa == pytest.approx(10, abs=0.5)
    assert pa < -15  # a -20 dBFS sine peaks around -20 dBTP (+AAC overshoot)


def test_inspect_reports_streams(tmp_path):
    r = inspect_video(make_video(tmp_path / "v.mp4"))
    assert (r.width, r.height, r.fps, r.video_codec, r.profile) == (270, 480, 30.0, "h264", "High")
    assert (r.audio_codec, r.sample_rate, r.channels) == ("aac", 48000, 2)
    assert r.color_primaries == "bt709"


def test_probe_and_run_ffmpeg_errors_are_actionable(tmp_path):
    with pytest.raises(MediaError) as exc:
        probe(tmp_path / "missing.mp4")
    assert exc.value.fix
    (tmp_path / "junk.mp4").write_bytes(b"not a video")
    with pytest.raises(MediaError):
        probe(tmp_path / "junk.mp4")
    with pytest.raises(MediaError) as exc:
        run_ffmpeg(["-i", str(tmp_path / "missing.wav"), "-f", "null", "-"])
    assert "missing.wav" in str(exc.value)


def test_run_ffmpeg_reports_progress(tmp_path):
    seen = []
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=64x64:r=30:d=2", "-f", "null", "-"],
               total_seconds=2.0, progress=seen.append)
    assert seen and seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)


def test_missing_ffmpeg_is_a_clear_error(monkeypatch, tmp_path):
    from shortsmith import ffmpeg as ff
    from shortsmith.errors import ToolMissingError

    monkeypatch.setenv("SHORTSMITH_FFMPEG", str(tmp_path / "no-such-ffmpeg"))
    with pytest.raises(ToolMissingError) as e:
        ff.ffmpeg_path()
    assert e.value.field == "SHORTSMITH_FFMPEG" and "no-such-ffmpeg" in str(e.value) and e.value.fix

    # no variable, nothing on PATH, no wheel: the error says how to get one
    monkeypatch.delenv("SHORTSMITH_FFMPEG")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(ff, "_bundled_ffmpeg", lambda: None)
    ff._discover_ffmpeg.cache_clear()
    try:
        with pytest.raises(ToolMissingError) as e:
            ff.ffmpeg_path()
        assert e.value.field == "ffmpeg" and "imageio-ffmpeg" in e.value.fix
    finally:
        ff._discover_ffmpeg.cache_clear()


def test_check_groups_are_declared_and_every_outcome_carries_its_group(tmp_path):
    from shortsmith.validate import VIDEO_CHECKS, CheckOutcome, group_outcomes

    video = make_video(tmp_path / "quiet.mp4", volume_db=-30)
    outcomes = check_video(video, width=270, height=480, max_duration_s=60)
    declared = {o for g in VIDEO_CHECKS for o in g.outcomes}
    assert {o.name for o in outcomes} == declared
    assert {o.name: o.check for o in outcomes}["true_peak"] == "loudness"
    grouped = group_outcomes(outcomes)
    assert list(grouped) == [g.name for g in VIDEO_CHECKS]
    assert grouped["resolution"][0] and not grouped["loudness"][0]
    assert "LU under the -14 LUFS target" in grouped["loudness"][1]
    assert "integrated_lufs" in grouped["loudness"][2] and "true_peak_db" in grouped["loudness"][2]
    # manifests written before outcomes carried their group still fold the same way
    stored = [{k: v for k, v in o.__dict__.items() if k != "check"} for o in outcomes]
    assert group_outcomes(stored) == grouped

    # an outcome nobody declared is an error, not silently counted as 'codecs'
    with pytest.raises(ValueError, match="no check group"):
        CheckOutcome("bitrate", True, "fine")
    with pytest.raises(ValueError, match="'bitrate'"):
        group_outcomes([*stored, {"name": "bitrate", "passed": False, "message": "too low"}])


def test_no_audio_fails_the_audio_checks_not_only_presence(tmp_path):
    from shortsmith.validate import group_outcomes

    video = make_video(tmp_path / "mute.mp4", audio=None, seconds=2)
    grouped = group_outcomes(check_video(video, width=270, height=480, max_duration_s=60))
    assert not grouped["audio_sync"][0] and "no audio" in grouped["audio_sync"][1]
    assert not grouped["loudness"][0] and "reported nothing" in grouped["loudness"][1]
    assert grouped["codecs"][0]  # the video codec alone decides it when there is no audio stream
