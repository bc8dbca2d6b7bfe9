"""A generated talk for the transcription and clip tests: Piper speech of a known text over a
1280x720 picture in which a face-like drawing moves from left to right."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

TALK_TEXT = (
    "Octopuses have three hearts and blue blood. "
    "Two hearts pump blood through the gills, while the third pumps it to the rest of the body. "
    "When an octopus swims, the heart that serves the body stops beating. "
    "That is why these animals prefer crawling to swimming. "
    "Have you ever wondered why their blood is blue? "
    "It uses copper instead of iron to carry oxygen, which works better in cold water with little oxygen. "
    "And so the colour is a side effect. "
    "Here is another surprise. "
    "An octopus has about five hundred million neurons, and two thirds of them sit in its arms. "
    "Each arm can taste, touch and decide on its own, even when the brain is busy elsewhere. "
    "Why would an animal spread its mind across eight limbs? "
    "Because hunting in crowded reefs rewards fast local decisions. "
    "Finally, most octopuses live only one or two years. "
    "Well, that is all for today. "
    "Thanks for listening, and see you next time."
)


def draw_face(img: np.ndarray, cx: int, cy: int, s: int) -> None:
    """A cartoon face (skin oval, hair, brows, eyes, nose shadow, mouth) that OpenCV's frontal cascade finds."""
    import cv2

    w = int(s * 0.78)
    cv2.ellipse(img, (cx, cy), (w // 2, s // 2), 0, 0, 360, (150, 180, 225, 255), -1)
    cv2.ellipse(img, (cx, cy - int(s * 0.38)), (w // 2, int(s * 0.18)), 0, 180, 360, (40, 40, 60, 255), -1)
    ey, ex = cy - int(s * 0.08), int(w * 0.22)
    for sx in (-1, 1):
        cv2.ellipse(img, (cx + sx * ex, ey - int(s * 0.09)), (int(w * 0.14), int(s * 0.025)), 0, 0, 360,
                    (50, 50, 70, 255), -1)
        cv2.ellipse(img, (cx + sx * ex, ey), (int(w * 0.11), int(s * 0.045)), 0, 0, 360, (245, 245, 245, 255), -1)
        cv2.circle(img, (cx + sx * ex, ey), int(s * 0.035), (40, 30, 30, 255), -1)
    cv2.ellipse(img, (cx, cy + int(s * 0.08)), (int(w * 0.06), int(s * 0.1)), 0, 0, 360, (120, 150, 200, 255), -1)
    cv2.ellipse(img, (cx, cy + int(s * 0.27)), (int(w * 0.2), int(s * 0.05)), 0, 0, 360, (60, 60, 150, 255), -1)


def make_talk(dest: Path, *, text: str = TALK_TEXT, fps: int = 15, face: bool = True) -> dict:
    """dest/talk.wav (Piper) and dest/talk.mp4 (1280x720, the face moving left->right, the speech)."""
    import cv2

    from shortsmith.ffmpeg import ffmpeg_path
    from shortsmith.voice.piper import VoiceSpec, load_piper, synthesize_piper
    from shortsmith.voice.wav import write_wav

    dest.mkdir(parents=True, exist_ok=True)
    # no sampling noise: Piper's default draws new noise every call, so the same text came out a little
    # differently each run and the transcripts' word error rate wandered (0.025 to 0.081 across runs);
    # with both noise scales at 0 the talk is the same bytes every time (WER 0.025, measured here)
    spec = VoiceSpec(noise_scale=0.0, noise_w=0.0)
    voice = load_piper(spec)
    audio, times, _ = synthesize_piper(voice, text.split(), spec)
    rate = int(voice.config.sample_rate)
    wav = dest / "talk.wav"
    write_wav(wav, audio, rate)
    duration = len(audio) / rate
    sprite = np.zeros((300, 260, 4), np.uint8)
    if face:
        draw_face(sprite, 130, 150, 260)
    cv2.imwrite(str(dest / "face.png"), sprite)
    mp4 = dest / "talk.mp4"
    x_expr = f"150+(1130-150)*t/{duration:.3f}-130"  # the face centre moves from x=150 to x=1130
    subprocess.run([ffmpeg_path(), "-hide_banner", "-v", "error", "-y",
                    "-f", "lavfi", "-i", f"color=c=0x5a785a:s=1280x720:r={fps}:d={duration:.3f}",
                    "-loop", "1", "-framerate", str(fps), "-i", str(dest / "face.png"), "-i", str(wav),
                    "-filter_complex", f"[0:v]drawgrid=w=160:h=160:t=2:c=0x6a886a[bg];"
                                       f"[bg][1:v]overlay=x='{x_expr}':y=210:shortest=1,format=yuv420p[v]",
                    "-map", "[v]", "-map", "2:a", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28",
                    "-c:a", "aac", "-b:a", "96k", "-t", f"{duration:.3f}", str(mp4)], check=True, timeout=300)
    return {"wav": wav, "mp4": mp4, "text": text, "duration": duration,
            "word_times": list(zip(text.split(), times))}
