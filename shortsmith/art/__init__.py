"""Procedural scene art, thumbnails and previews (Pillow + numpy; no network, no model).

A scene is built in layers:

1. a sky: a palette gradient with pools of soft light, computed at a quarter of the size
   with numpy and upscaled (smooth fields need no more, and it keeps a 1080x1920 frame
   well under a second on two cores);
2. a style layer: ``aurora`` (luminous ribbons, stars, bokeh), ``geometric`` (bold flat
   shapes with drop shadows), ``neon`` (a dark sky, a striped sun, a glowing perspective
   grid), ``paper`` (paper-cut hills with cast shadows and fibre texture) or
   ``retro-terminal`` (a phosphor CRT: scanlines, bloom, data bars, pixelated icons);
3. a focal element that depends on the beat's kind: a burst of rays behind the hook,
   an orbit for the promise, small out-of-focus echoes for body beats, concentric rings
   for the call to action;
4. a motif chosen from the beat's keywords (a sun, waves, a neural network, a rocket,
   coins, a clock, a tree, a planet, ... 30 of them, a hash picks one when no keyword
   matches), drawn as shape masks at 2x (antialiased) and filled in the style's manner;
5. finishing: the caption band (35-70 % of the height) is darkened and kept calm, the
   bottom quarter (covered by the Shorts player UI) fades to the ground colour, a
   vignette, and film grain.

Nothing important is placed in the right 15 % (the like/comment/share column) or the
bottom quarter. No text is drawn on scenes; captions are burned in later.
The same (seed, index, beat, style, size) always gives the same pixels.

Modules: ``style`` (looks, palettes, colour maths), ``layers`` (compositing helpers),
``backgrounds`` (sky and style layers), ``motifs`` (the drawings and keyword matching),
``scene`` (composition), ``thumbnail`` (title thumbnails, text fitting), ``preview``
(contact sheets, inline images, JPEG writes).
"""

from .motifs import MOTIF_WORDS, MOTIFS, motif_masks, pick_motif
from .preview import contact_sheet, image_to_markdown, save_jpeg
from .scene import render_scene
from .style import HEX_RE, STYLES, VisualStyle, hex_rgb
from .thumbnail import fit_title, render_thumbnail, renderable

__all__ = ["HEX_RE", "MOTIFS", "MOTIF_WORDS", "STYLES", "VisualStyle", "contact_sheet", "fit_title", "hex_rgb",
           "image_to_markdown", "motif_masks", "pick_motif", "render_scene", "render_thumbnail", "renderable",
           "save_jpeg"]
