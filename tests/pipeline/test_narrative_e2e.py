"""The sample narrative production through every stage, offline: a video with a voice per speaker,
typed terminal overlays and a glitch cut (issue 13), checked on the real files."""

from __future__ import annotations

import math
import subprocess

import dagster as dg
import numpy as np
import pytest

from tests.conftest import ROOT, TEST_SIZE
from tests.pipeline.test_pipeline import resources
from pipeline_defs.assets import VIDEO_ASSETS
from pipeline_defs.requests import write_request
from shortsmith.config import load_channels
from shortsmith.ffmpeg import ffmpeg_path, probe
from shortsmith.model import read_json, voiceover_from_dict
from shortsmith.narrative import narrative_to_dict, parse_narrative
from shortsmith.render.terminal import panel_layout
from shortsmith.voice.speakers import median_pitch_hz
from shortsmith.voice.wav import read_wav

W, H = TEST_SIZE  # 360x640


def _frames(video, w: int, h: int) -> np.ndarray:
    proc = subprocess.run([ffmpeg_path(), "-v", "error", "-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                          capture_output=True, check=True)
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, h, w, 3).astype(np.int16)


def _ink(frame: np.ndarray, box) -> int:
    x, y, w, h = box
    region = frame[y:y + h, x:x + w]
    return int(((region[..., 1] > 170) & (region[..., 0] < 150) & (region[..., 2] < 180)).sum())


@pytest.mark.slow  # a whole video through every stage
def test_the_signal_becomes_a_video_with_a_voice_per_speaker_and_its_effects(tmp_path, monkeypatch):
    channels_file = ROOT / "channels.yaml"
    monkeypatch.setenv("SHORTSMITH_CHANNELS", str(channels_file))
    res = resources(tmp_path, channels_file)  # the renderer at TEST_SIZE, 360x640
    ch = load_channels(channels_file).get("paper-trail")
    narrative = parse_narrative((ROOT / "examples" / "the-signal.md").read_text(encoding="utf-8"), name="the-signal.md")
    store = res["storage"].store()
    key = write_request(store, ch, narrative.title, "cli", narrative=narrative_to_dict(narrative))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", [key])
    result = dg.materialize(VIDEO_ASSETS, partition_key=key, resources=res, instance=instance,
                            selection=["video_scripts", "voiceovers", "scene_images", "captions", "music",
                                       "assembled_videos"])
    assert result.success and all(e.passed for e in result.get_asset_check_evaluations())
    script = read_json(store.file(key, "script", "script.json"))
    vo = voiceover_from_dict(read_json(store.file(key, "voice", "voiceover.json")))
    # the voiced segments follow the speakers, in order
    assert [b.speaker for b in vo.beats] == [b["speaker"] for b in script["beats"]]
    assert [b.speaker for b in vo.beats][:3] == ["NARRATOR", "OPERATOR", "ANALYST"]
    assert {b.provider for b in vo.beats} == {"piper"}
    # the three voices differ measurably (median pitch of each speaker's lines in the voice track)
    audio, rate = read_wav(store.file(key, "voice", "voice.wav"))
    pitch = {}
    for s in ("NARRATOR", "OPERATOR", "ANALYST"):
        parts = [audio[int(b.start * rate):int(b.end * rate)] for b in vo.beats if b.speaker == s]
        pitch[s] = median_pitch_hz(np.concatenate(parts), rate)
    assert 12 * math.log2(pitch["OPERATOR"] / pitch["NARRATOR"]) >= 3, pitch
    assert 12 * math.log2(pitch["ANALYST"] / pitch["OPERATOR"]) >= 2, pitch
    # the MP4: its size, its length and its audio
    video = store.file(key, "video", "video.mp4")
    info = probe(video)
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (v["width"], v["height"]) == (W, H) and any(s["codec_type"] == "audio" for s in info["streams"])
    assert abs(float(info["format"]["duration"]) - vo.duration) < 1.0
    # the first terminal overlay is typed over ANALYST's line: more characters as the line goes on
    num, den = v["r_frame_rate"].split("/")  # "30/1"
    fps = int(num) / int(den)
    frames = _frames(video, W, H)
    layout = panel_layout(W, H)
    box = (layout.x + 3, layout.y + 3, layout.width - 6, layout.height - 6)
    overlay = next(b for b in vo.beats if script["beats"][b.index]["terminal"])
    times = [overlay.start + (overlay.end - overlay.start) * f for f in (0.15, 0.5, 0.95)]
    inks = [_ink(frames[min(len(frames) - 1, round(t * fps))], box) for t in times]
    assert inks[0] < inks[1] < inks[2], inks
    assert _ink(frames[round(vo.beats[0].end * fps) - 2], box) < 0.1 * inks[2]  # none over the first line
