"""When each scene is on screen, in whole frames, from the voice's beat timings."""

from __future__ import annotations

import math

from ..errors import InputError
from ..model import SceneTiming, Voiceover
from .settings import RenderSettings


def video_duration(voiceover: Voiceover, settings: RenderSettings) -> float:
    """The voice plus a short tail, rounded up to a whole frame."""
    seconds = max(voiceover.duration, max((b.end for b in voiceover.beats), default=0.0))
    frames = math.ceil((seconds + settings.tail_s) * settings.fps - 1e-6)
    return frames / settings.fps


def scene_timeline(voiceover: Voiceover, total_duration: float, crossfade_s: float,
                   *, fps: int = 30) -> list[SceneTiming]:
    """When each scene is on screen; scene ``i`` shows beat ``i``.

    The cut between scene ``i-1`` and ``i`` is the middle of the pause between the two
    beats' speech; the crossfade is centred on the cut. Scene 0 starts at 0 and the last
    scene ends at ``total_duration``. Times are whole frames, so ``start``/``end`` include
    the crossfade overlap: ``scenes[i].end - scenes[i+1].start == crossfade``.
    """
    beats = sorted(voiceover.beats, key=lambda b: b.index)
    if not beats:
        raise InputError("the voiceover has no beats", field="voiceover.beats",
                         fix="re-run the voiceover step; every script beat needs audio")
    total_frames = round(total_duration * fps)
    xf = round(crossfade_s * fps)
    half = xf // 2
    min_len = xf + 2  # a scene must outlast its crossfades
    cuts: list[int] = []
    for prev, nxt in zip(beats, beats[1:]):
        mid = (prev.end + nxt.start) / 2 if nxt.start >= prev.end else nxt.start
        cuts.append(round(mid * fps))
    # keep cuts increasing and leave every scene long enough for its transitions
    bounds = [0] + cuts + [total_frames]
    for i in range(1, len(bounds) - 1):
        bounds[i] = max(bounds[i], bounds[i - 1] + min_len)
    for i in range(len(bounds) - 2, 0, -1):
        bounds[i] = min(bounds[i], bounds[i + 1] - min_len)
    if any(b2 - b1 < min_len for b1, b2 in zip(bounds, bounds[1:])) or bounds[1:-1] and bounds[1] < 0:
        raise InputError(
            f"{len(beats)} scenes do not fit in {total_duration:.2f} s with "
            f"{crossfade_s:.2f} s crossfades",
            field="voiceover.beats",
            fix="use fewer beats, a longer voiceover or a shorter crossfade",
        )
    scenes = []
    for i in range(len(beats)):
        start = 0 if i == 0 else bounds[i] - half
        end = total_frames if i == len(beats) - 1 else bounds[i + 1] - half + xf
        scenes.append(SceneTiming(index=beats[i].index, start=start / fps, end=end / fps))
    return scenes


def _frames(t: float, fps: int) -> int:
    return round(t * fps)
