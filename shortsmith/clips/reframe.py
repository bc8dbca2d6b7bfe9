"""Reframing 16:9 to 9:16: follow the subject with a smoothed crop path (OpenCV's bundled face detector).

Frames of the clip are decoded small (``ANALYSIS_WIDTH`` wide, ``sample_fps`` a second) by ffmpeg and
searched with the frontal-face Haar cascade that ships inside ``opencv-python-headless`` (no
download). When several faces are found the one nearest the previous choice wins (a stable
subject), ties by size. The crop centre follows the detections:

- gaps are held at the last position for ``hold_s``, then drift back towards the centre; with no
  detection at all the crop is centred;
- the path is smoothed with a centred moving average (``smooth_s``) and its speed is capped
  (``max_speed`` of the source width per second), so the crop glides instead of jumping;
- the crop never leaves the frame.

The result is one x offset per output frame, fed to ffmpeg's ``crop`` by ``sendcmd`` in the same
graph that scales, captions and encodes (:mod:`shortsmith.clips.render`).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MediaError, ToolMissingError
from ..ffmpeg import ffmpeg_path

ANALYSIS_WIDTH = 480


@dataclass(frozen=True)
class Detection:
    t: float  # seconds from the clip start
    cx: float | None  # face centre x in source pixels (None: nothing found)
    size: float = 0.0  # face width in source pixels


@dataclass(frozen=True)
class CropPath:
    src_w: int
    src_h: int
    crop_w: int
    crop_h: int
    fps: float
    xs: list[int]  # left edge of the crop for each output frame
    found: float  # share of analysed frames with a face

    def centre_at(self, t: float) -> float:
        i = min(len(self.xs) - 1, max(0, int(round(t * self.fps))))
        return self.xs[i] + self.crop_w / 2


def _cascade():
    try:
        import cv2
    except ImportError as exc:
        raise ToolMissingError("OpenCV is not installed", field="clips.reframe",
                               fix="pip install opencv-python-headless==4.13.0.92") from exc
    path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
    if not path.is_file():
        raise ToolMissingError(f"the face detector {path.name} is missing from OpenCV", field="clips.reframe",
                               fix="pip install opencv-python-headless==4.13.0.92 (the 5.x wheels ship no cascades)")
    return cv2, cv2.CascadeClassifier(str(path))


def detect_faces(video: Path, start: float, duration: float, src_w: int, src_h: int, *,
                 sample_fps: float = 3.0, timeout: float = 600) -> list[Detection]:
    """The chosen face centre in each sampled frame of ``video[start:start+duration]``."""
    cv2, cascade = _cascade()
    aw = ANALYSIS_WIDTH
    ah = max(2, int(round(src_h * aw / src_w / 2)) * 2)
    cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-v", "error", "-ss", f"{start:.3f}", "-t", f"{duration:.3f}",
           "-i", str(video), "-map", "0:v:0", "-vf", f"fps={sample_fps},scale={aw}:{ah}", "-pix_fmt", "gray",
           "-f", "rawvideo", "pipe:1"]
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-2:]
        raise MediaError(f"{video} has no readable video: {' / '.join(tail)}", field="media",
                         fix="give a source with a video stream (the download may be corrupt: fetch it again)")
    frames = np.frombuffer(proc.stdout, np.uint8)
    n = frames.size // (aw * ah)
    scale = src_w / aw
    out: list[Detection] = []
    prev: float | None = None
    min_face = max(24, ah // 10)
    for k in range(n):
        gray = cv2.equalizeHist(frames[k * aw * ah:(k + 1) * aw * ah].reshape(ah, aw))
        # a 5% step between scales: at 10% a face between two steps was missed in 1 sample in 4 (a
        # drawn face moving across a grid, measured); the finer pyramid costs about 2x on the 480-px analysis frame
        faces = cascade.detectMultiScale(gray, scaleFactor=1.05, minNeighbors=5, minSize=(min_face, min_face))
        t = k / sample_fps
        if len(faces) == 0:
            out.append(Detection(t, None))
            continue
        cands = [((x + w / 2) * scale, w * scale) for x, y, w, h in faces]
        if prev is None:
            cx, size = max(cands, key=lambda c: c[1])
        else:
            p = prev
            cx, size = min(cands, key=lambda c: (abs(c[0] - p) - 0.5 * c[1]))
        prev = cx
        out.append(Detection(t, float(cx), float(size)))
    return out


def crop_path(detections: list[Detection], *, src_w: int, src_h: int, duration: float, fps: float = 30.0,
              aspect: float = 9 / 16, hold_s: float = 1.5, smooth_s: float = 1.0,
              max_speed: float = 0.35) -> CropPath:
    """One crop x per output frame following ``detections`` (see the module doc)."""
    crop_w = min(src_w, int(round(src_h * aspect / 2)) * 2)
    crop_h = src_h if crop_w < src_w else min(src_h, int(round(src_w / aspect / 2)) * 2)
    n = max(1, int(round(duration * fps)))
    centre = src_w / 2
    found = [d for d in detections if d.cx is not None]
    share = len(found) / len(detections) if detections else 0.0
    ts = np.arange(n) / fps
    if not found:
        target = np.full(n, centre)
    else:
        times = np.array([d.t for d in detections])
        target = np.empty(n)
        last_cx, last_t = None, -1e9
        j = 0
        for i, t in enumerate(ts):
            while j < len(detections) and times[j] <= t + 1e-6:
                if detections[j].cx is not None:
                    last_cx, last_t = detections[j].cx, times[j]
                j += 1
            if last_cx is None:  # before the first detection: start where the subject first appears
                target[i] = found[0].cx
            elif t - last_t <= hold_s:
                target[i] = last_cx
            else:  # lost for longer than hold_s: ease back to the centre over 2 s
                k = min(1.0, (t - last_t - hold_s) / 2.0)
                target[i] = last_cx + (centre - last_cx) * k
    win = max(1, int(round(smooth_s * fps)))
    if win > 1 and n > 1:
        pad = np.pad(target, (win // 2, win - 1 - win // 2), mode="edge")
        target = np.convolve(pad, np.ones(win) / win, mode="valid")
    step = max_speed * src_w / fps
    path = np.empty(n)
    path[0] = target[0]
    for i in range(1, n):
        path[i] = path[i - 1] + float(np.clip(target[i] - path[i - 1], -step, step))
    xs = np.clip(np.round(path - crop_w / 2), 0, src_w - crop_w).astype(int).tolist()
    return CropPath(src_w, src_h, crop_w, crop_h, fps, xs, round(share, 3))


def sendcmd_script(path: CropPath, target: str = "crop@reframe") -> str:
    """ffmpeg ``sendcmd`` commands: the crop's x at each output frame where it changes."""
    lines, last = [], None
    for i, x in enumerate(path.xs):
        if x != last:
            lines.append(f"{i / path.fps:.4f} {target} x {x};")
            last = x
    return "\n".join(lines) + "\n"
