"""The assembly engine: scene images + voice + music + captions -> one finished Short.

Everything visual happens in ONE ffmpeg filter graph and one encode (no intermediate
video files, no per-frame Python):

    scene PNG --(once: colour convert to BT.709 yuv444p, optional pre-scale)--> loop N frames
      --> Ken Burns motion (exact integer-linear scale + crop, see motion.py) --> yuv420p
    scenes --concat, with xfade on the overlapping frames only (centred on the cuts between
      beats; xfade works in 4:4:4, so only those frames are converted)--> ass captions
      --> drawtext watermark
      --> H.264 High, yuv420p, BT.709 tags, 30 fps CFR

    voice --> 48 kHz stereo --+-----------------------------------> amix --> gain --> limiter
    music --> 48 kHz stereo --> sidechaincompress (keyed by voice) -^          --> trim gain --> AAC

The work is split by seam: :mod:`.settings` (what a render takes), :mod:`.timeline` (when each
scene is on screen), :mod:`.motion` (Ken Burns maths), :mod:`.graph` (the video filter graph and
escaping), :mod:`.audio` (loudness and the limiter), :mod:`.encoders` (NVENC or libx264) and
:mod:`.command` (the ffmpeg command and the render itself).
"""

from .audio import AAC_MARGIN_DB, AudioPlan, analyse_audio, audio_chain, guard_true_peak, parse_ebur128, set_trim
from .command import PreviewFrames, RenderPlan, build_command, render_video
from .graph import (clip_chains, escape_graph, escape_option, filter_value, scene_chain, scene_chains,
                    transition_chains)
from .motion import Motion, motion_filters, plan_motion
from .settings import VIDEO_SUFFIXES, RenderInputs, RenderSettings, is_video
from .timeline import scene_timeline, video_duration

__all__ = [
    "AAC_MARGIN_DB", "AudioPlan", "Motion", "PreviewFrames", "RenderInputs", "RenderPlan", "RenderSettings", "VIDEO_SUFFIXES", "analyse_audio",
    "audio_chain", "build_command", "clip_chains", "escape_graph", "escape_option", "filter_value", "is_video",
    "guard_true_peak", "motion_filters", "parse_ebur128", "plan_motion", "render_video", "scene_chain", "set_trim",
    "scene_chains", "scene_timeline", "transition_chains", "video_duration",
]
