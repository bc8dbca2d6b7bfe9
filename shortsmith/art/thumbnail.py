"""Thumbnails: the title in big outlined type over the scene, and the text helpers they use."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from pathlib import Path

from ..fonts import FONT_BOLD, font_for, script_of
from ..model import Beat
from .style import VisualStyle, _Palette, _luma, _mix
from .layers import _layer, _put
from .scene import render_scene


@lru_cache(maxsize=16)
def _font(size: int, path: str = str(FONT_BOLD)) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@lru_cache(maxsize=8)
def _notdef(path: str = str(FONT_BOLD)) -> tuple[bytes, tuple[int, int]]:
    mask = _font(48, path).getmask("\U0010fffd")
    return bytes(mask), mask.size


@lru_cache(maxsize=8192)
def _has_glyph(ch: str, path: str = str(FONT_BOLD)) -> bool:
    mask = _font(48, path).getmask(ch)
    return (bytes(mask), mask.size) != _notdef(path)


def renderable(text: str, font_path: Path | str | None = None) -> str:
    """``text`` with what the font (the bold DejaVu unless ``font_path``) cannot draw removed:
    emoji, pictographs, control and format characters (zero-width joiners, variation
    selectors); whitespace collapsed."""
    path = str(font_path or FONT_BOLD)
    text = unicodedata.normalize("NFC", str(text))
    kept = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
            continue
        cat = unicodedata.category(ch)
        if cat[0] == "C" or 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF:
            continue  # controls, format characters (ZWJ), private use, variation selectors
        if cat in ("Mn", "Me") and not kept:
            continue  # a combining mark with nothing to combine with
        if _has_glyph(ch, path):
            kept.append(ch)
    return re.sub(r"\s+", " ", "".join(kept)).strip()


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        while font.getlength(word) > width and len(word) > 1:  # a word wider than a line: split it
            hyphen = "" if script_of(word[0]) == "cjk" else "-"  # CJK breaks between any two characters
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut] + hyphen) > width:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut] + hyphen)
            word = word[cut:]
        trial = f"{current} {word}".strip()
        if not current or font.getlength(trial) <= width:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def fit_title(title: str, width: int, height: int, *, max_lines: int = 3, max_size: int | None = None,
              min_size: int = 28, font_path: Path | str | None = None) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest bold font size at which ``title`` wraps into ``max_lines`` lines inside
    ``width`` x ``height``; a title too long even at ``min_size`` is cut with an ellipsis.
    ``font_path``: the font (default: the bold DejaVu)."""
    size = max_size or int(height / 2.2)
    path = str(font_path or FONT_BOLD)
    while True:
        font = _font(size, path)
        lines = _wrap(title, font, width)
        if len(lines) <= max_lines and len(lines) * size * 1.12 <= height:
            return font, lines
        if size <= min_size:
            break
        size = max(min_size, int(size * 0.92))
    kept = lines[:max_lines]
    last = kept[-1]
    while last and font.getlength(last + "…") > width:
        last = last[:-1].rstrip()
    kept[-1] = (last.rstrip(" -") + "…") if last else "…"
    return font, kept


def render_thumbnail(title: str, *, scene: Image.Image | None, style: VisualStyle,
                     size: tuple[int, int] = (1280, 720), subject=None) -> Image.Image:
    """A 16:9 thumbnail: the scene (or a fresh one in the style) behind the title in big,
    bold, outlined text on the left; on the right the video's strongest ``subject`` (a library
    Subject) drawn large, or without one the scene's motif area."""
    w, h = int(size[0]), int(size[1])
    pal = _Palette(style, 0)
    if scene is None:
        scene = render_scene(Beat("hook", title, title, re.findall(r"[A-Za-z]+", title.lower())),
                             style=style, seed=f"thumb|{title}", index=0, total=1, size=(720, 1280))
    scene = scene.convert("RGB")
    sw, sh = scene.size
    # background: the upper part of the scene, scaled to cover, blurred and darkened
    crop_h = min(sh, int(sw * h / w))
    top = max(0, min(sh - crop_h, int(sh * 0.42) - crop_h // 2))  # below the motif: no ghost copy
    bg = scene.crop((0, top, sw, top + crop_h)).resize((w // 4, h // 4), Image.Resampling.BILINEAR)
    bg = bg.filter(ImageFilter.GaussianBlur(9)).resize((w, h), Image.Resampling.BICUBIC)
    img = bg.convert("RGBA")
    # the motif area, sharp, on the right
    side = int(min(sw * 0.72, sh * 0.4))
    cx, cy = int(sw * 0.44), int(sh * 0.215)
    box = (max(0, cx - side // 2), max(0, cy - side // 2), min(sw, cx + side // 2), min(sh, cy + side // 2))
    focal = scene.crop(box)
    fs = int(h * 0.92)
    focal = focal.resize((fs, int(fs * focal.height / max(1, focal.width))), Image.Resampling.LANCZOS)
    fmask = Image.new("L", focal.size, 0)
    ImageDraw.Draw(fmask).ellipse([fs * 0.13, fs * 0.13, fs * 0.87, fs * 0.87], fill=255)
    fmask = fmask.filter(ImageFilter.GaussianBlur(fs // 12))
    if subject is None:
        img.paste(focal, (w - int(fs * 0.93), (h - focal.height) // 2), fmask)
    else:  # the strongest subject, large and sharp, with the style's treatment
        from .compose import _styled
        ssz = int(h * 0.74)
        layer, pad = _styled(subject, ssz, style, pal.vivid, pal.brightest, pal.ground)
        _put(img, layer, int(w - ssz * 1.02 - pad), int((h - ssz) / 2 - pad))
    # darken the left for the text
    x = np.linspace(0, 1, w, dtype=np.float32)
    shade = np.clip(1.0 - x / 0.75, 0, 1) ** 1.3 * 0.72
    arr = np.asarray(img.convert("RGB"), dtype=np.float32)
    arr *= (1 - shade)[None, :, None]
    img = Image.fromarray(arr.astype(np.uint8), "RGB").convert("RGBA")

    # the title's own script (CJK, Arabic, Hebrew, Devanagari: Noto), never dropped for a stock phrase
    font_path = font_for(title)
    text = renderable(title, font_path).upper() or "WATCH THIS"
    margin = int(w * 0.055)
    text_w, text_h = int(w * 0.6), int(h * 0.8)
    # at most 3 lines; a title too long for a readable size is cut with an ellipsis
    font, lines = fit_title(text, text_w, text_h, max_size=int(h * 0.2), min_size=max(12, int(h * 0.085)),
                            font_path=font_path)
    fsz = font.size
    line_h = int(fsz * 1.1)
    total_h = line_h * len(lines)
    y0 = (h - total_h) // 2
    accent = pal.vivid if _luma(pal.vivid) > 110 else _mix(pal.brightest, (255, 255, 255), 0.3)
    d = ImageDraw.Draw(img)
    bar_w = max(6, int(w * 0.008))
    d.rounded_rectangle([margin - bar_w * 3, y0 + fsz * 0.1, margin - bar_w * 2, y0 + total_h - fsz * 0.1],
                        radius=bar_w // 2, fill=(*accent, 255))
    # a soft drop shadow, then the text with a dark outline
    shadow, sd = _layer((w, h))
    stroke = max(3, fsz // 12)
    longest = max(range(len(lines)), key=lambda i: font.getlength(lines[i])) if len(lines) > 1 else -1
    for i, line in enumerate(lines):
        sd.text((margin + fsz * 0.05, y0 + i * line_h + fsz * 0.07), line, font=font, fill=(0, 0, 0, 200),
                stroke_width=stroke, stroke_fill=(0, 0, 0, 200))
    img.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(max(2, fsz // 16))))
    d = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        colour = accent if (i == len(lines) - 1 and len(lines) > 1 and i != longest) else (255, 255, 255)
        d.text((margin, y0 + i * line_h), line, font=font, fill=(*colour, 255),
               stroke_width=stroke, stroke_fill=(10, 10, 16, 255))
    return img.convert("RGB")
