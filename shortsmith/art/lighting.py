"""A scene direction's lighting, applied to procedural art as a grade (brightness, contrast, tint).

``lighting: low key`` darkens the frame and deepens its shadows, ``high key`` lifts it, ``cold`` /
``fluorescent`` / ``moonlight`` cool it, ``warm`` / ``candle`` / ``sunset`` / ``golden`` warm it,
``neon`` / ``phosphor`` / ``green`` tint it green, ``red`` / ``emergency`` red, and ``lightning`` /
``flash`` / ``strobe`` add a bright wash from the top. Words not listed leave the frame as it is.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
from PIL import Image

from ..model import Beat

# keyword -> (gain, contrast, (r, g, b) tint multipliers)
_GRADES: list[tuple[str, tuple[float, float, tuple[float, float, float]]]] = [
    (r"low[- ]?key|dark|night|dim|shadow", (0.62, 1.25, (1.0, 1.0, 1.0))),
    (r"high[- ]?key|bright|daylight|sunlit", (1.22, 0.9, (1.0, 1.0, 1.0))),
    (r"cold|cool|fluorescent|moon|blue|icy", (1.0, 1.0, (0.82, 0.95, 1.18))),
    (r"warm|candle|sunset|golden|fire|amber", (1.0, 1.0, (1.18, 1.0, 0.8))),
    (r"neon|phosphor|green|monitor", (1.0, 1.0, (0.85, 1.15, 0.88))),
    (r"red|emergency|alarm", (1.0, 1.0, (1.2, 0.85, 0.85))),
]
_FLASH = re.compile(r"lightning|flash|strobe", re.I)


def lighting_of(scene: str) -> str:
    """The ``lighting: ...`` part of a beat's scene direction ("" when none)."""
    m = re.search(r"lighting\s*:\s*([^;]+)", scene or "", re.I)
    return m.group(1).strip() if m else ""


def light_scene(img: Image.Image, lighting: str) -> Image.Image:
    """``img`` graded for ``lighting`` (unchanged when no keyword matches)."""
    if not lighting:
        return img
    gain, contrast, tint = 1.0, 1.0, np.ones(3, np.float32)
    matched = False
    for pattern, (g, c, t) in _GRADES:
        if re.search(pattern, lighting, re.I):
            gain, contrast, tint = gain * g, contrast * c, tint * np.asarray(t, np.float32)
            matched = True
    flash = bool(_FLASH.search(lighting))
    if not matched and not flash:
        return img
    px = np.asarray(img.convert("RGB"), np.float32)
    mean = px.mean()
    px = (px - mean) * contrast + mean
    px = px * gain * tint
    if flash:  # a cold wash from the top, as if lit from above by a flash
        h = px.shape[0]
        ramp = np.clip(1.0 - np.linspace(0, 1, h) * 1.6, 0, 1)[:, None, None] * 70.0
        px = px + ramp * np.asarray([0.85, 0.92, 1.0], np.float32)
    return Image.fromarray(np.clip(px, 0, 255).astype(np.uint8), "RGB")


def subject_beat(beat: Beat) -> Beat:
    """The beat as the subject picker should read it: the scene's description (not the camera or the
    lighting) as its text, the direction's keywords first."""
    description = ";".join(p for p in beat.scene.split(";") if not re.match(r"\s*(camera|lighting)\s*:", p, re.I))
    return replace(beat, narration=description.strip() or beat.narration)
