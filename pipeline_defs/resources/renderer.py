from __future__ import annotations

import dagster as dg

from shortsmith.render import RenderSettings


class RendererSettings(dg.ConfigurableResource):
    """Output format of the assembled Short (defaults: 1080x1920, 30 fps, H.264 CRF 20 veryfast)."""

    width: int = 1080
    height: int = 1920
    fps: int = 30
    crf: int = 20
    preset: str = "veryfast"
    tail_seconds: float = 0.8  # picture and music after the last word
    crossfade_seconds: float = 0.5
    encoder: str = "auto"  # auto: h264_nvenc when the GPU and driver allow it, else libx264 (logged)
    depth: bool = True  # offline scenes move as parallax layers; False: flat (SHORTSMITH_RENDER_DEPTH=off)

    def settings(self) -> RenderSettings:
        return RenderSettings(width=self.width, height=self.height, fps=self.fps, crf=self.crf, preset=self.preset,
                              tail_s=self.tail_seconds, crossfade_s=self.crossfade_seconds,
                              encoder=self.encoder)
