from __future__ import annotations

import dagster as dg
from PIL import Image

from shortsmith.art import VisualStyle, render_scene
from shortsmith.config import StyleConfig
from shortsmith.model import Beat


def visual_style(style: StyleConfig) -> VisualStyle:
    return VisualStyle.from_dict({"name": style.name, "palette": list(style.palette)})


class ImageProvider(dg.ConfigurableResource):
    """Makes one 9:16 scene image per beat."""

    def scene(self, beat: Beat, *, style: StyleConfig, seed: str, index: int, total: int,
              size: tuple[int, int]) -> Image.Image:
        raise NotImplementedError

    @property
    def provider(self) -> str:
        return type(self).__name__


class ProceduralImageProvider(ImageProvider):
    """Procedural scene art drawn with Pillow and numpy from the palette and the beat's prompt."""

    def scene(self, beat: Beat, *, style: StyleConfig, seed: str, index: int, total: int,
              size: tuple[int, int]) -> Image.Image:
        return render_scene(beat, style=visual_style(style), seed=seed, index=index, total=total, size=size)

    @property
    def provider(self) -> str:
        return "procedural"
