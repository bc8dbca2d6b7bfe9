"""Loudness and true peak of real Shorts: every sample topic in channels.yaml, spoken by Piper,
with its music bed, rendered small (108x192; the audio path is the same at any size).

    .venv/bin/python bench/bench_loudness.py

Prints one row per topic (integrated LUFS, true peak dBTP, how hard the limiter was driven, how
many times the guard had to redo the audio) and how many meet -14 +-1 LUFS and <= -1 dBTP.
Piper's output varies from run to run, so repeat it to see the spread. Writes bench/results/loudness.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from PIL import Image

    from shortsmith.config import load_channels
    from shortsmith.music import synthesize_bed
    from shortsmith.render import RenderInputs, RenderSettings, render_video, video_duration
    from shortsmith.script import write_offline_script
    from shortsmith.voice import VoiceSpec, synthesize_beats
    from shortsmith.validate import measure_loudness

    cfg = load_channels(ROOT / "channels.yaml")
    settings = RenderSettings(width=108, height=192)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        still = tmp / "scene.png"
        Image.new("RGB", (settings.width, settings.height), (40, 60, 90)).save(still)
        for ch in cfg.channels:
            for seed in ch.topics:
                script = write_offline_script(ch, seed.topic, seed)
                wav = tmp / "voice.wav"
                vo = synthesize_beats([b.narration for b in script.beats], wav,
                                      VoiceSpec(length_scale=ch.voice.length_scale))
                vo.wav_path = str(wav)
                music = synthesize_bed(tmp / "music.wav", video_duration(vo, settings), seed=seed.topic,
                                       mood=ch.music_mood)
                report = render_video(RenderInputs([still] * len(script.beats), wav, vo, music, None), settings,
                                      tmp / "out.mp4", measure_output=False)
                lufs, peak = measure_loudness(tmp / "out.mp4")
                row = {"topic": seed.topic, "lufs": lufs, "true_peak_dbtp": peak,
                       "limiter_drive_db": report["audio_plan"]["master_gain_db"],
                       "audio_redone": len(report["audio_corrections"])}
                rows.append(row)
                print(f"{seed.topic[:40]:40s} {lufs:6.1f} LUFS {peak:5.1f} dBTP  drive {row['limiter_drive_db']:4.1f} dB"
                      f"  redone {row['audio_redone']}", flush=True)
    ok = sum(1 for r in rows if abs(r["lufs"] + 14.0) <= 1.0 and r["true_peak_dbtp"] <= -1.0)
    summary = {"within_spec": ok, "topics": len(rows), "lufs_min": min(r["lufs"] for r in rows),
               "lufs_max": max(r["lufs"] for r in rows), "true_peak_max": max(r["true_peak_dbtp"] for r in rows),
               "audio_redone": sum(r["audio_redone"] for r in rows), "rows": rows}
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "loudness.json").write_text(json.dumps(summary, indent=2))
    print(f"{ok}/{len(rows)} within -14 +-1 LUFS and <= -1 dBTP; LUFS {summary['lufs_min']}..{summary['lufs_max']}, "
          f"true peak max {summary['true_peak_max']} dBTP; audio redone {summary['audio_redone']} time(s)")
    return 0 if ok == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
