"""Visual styles: the named looks, their palettes and colour arithmetic."""

from __future__ import annotations

import colorsys
import hashlib
import math
import random
from dataclasses import dataclass, field

from ..colour import HEX_RE
from ..errors import ConfigError


STYLES = ("aurora", "geometric", "neon", "paper", "retro-terminal")
_ALIASES = {"terminal": "retro-terminal", "retro": "retro-terminal", "retro_terminal": "retro-terminal"}
_STYLE_KEYS = {"name", "palette", "grain", "glow", "motif_scale"}
_DEFAULT_PALETTE = ("#0f172a", "#6366f1", "#ec4899", "#f59e0b")


@dataclass(frozen=True)
class VisualStyle:
    """How scenes look: a named look, its palette and a few knobs.

    ``palette``: 2-8 ``#rrggbb`` colours (3-6 look best); the darkest is the ground, the
    others are accents. ``grain``: film grain strength (0-0.15). ``glow``: strength of
    glows and light (0-2). ``motif_scale``: size of the motif (0.5-1.5).
    """

    name: str = "aurora"
    palette: tuple[str, ...] = _DEFAULT_PALETTE
    grain: float = 0.03
    glow: float = 1.0
    motif_scale: float = 1.0
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        name = _ALIASES.get(str(self.name).strip().lower(), str(self.name).strip().lower())
        if name not in STYLES:
            raise ConfigError(f"style '{self.name}' is unknown", field="style.name",
                              fix=f"use one of: {', '.join(STYLES)}")
        object.__setattr__(self, "name", name)
        if isinstance(self.palette, str) or not isinstance(self.palette, (list, tuple)):
            raise ConfigError(f"palette must be a list of colours, got {self.palette!r}", field="style.palette",
                              fix="write it as a list, e.g. palette: ['#0b1026', '#7c3aed', '#22d3ee']")
        if not 2 <= len(self.palette) <= 8:
            raise ConfigError(f"the palette has {len(self.palette)} colours", field="style.palette",
                              fix="give 2 to 8 colours (3-6 look best) like '#1e293b'")
        norm = []
        for i, c in enumerate(self.palette):
            if not isinstance(c, str) or not HEX_RE.match(c.strip()):
                raise ConfigError(f"colour {c!r} is not a #rrggbb hex colour", field=f"style.palette[{i}]",
                                  fix="write colours as '#rrggbb', e.g. '#6366f1' (quote them in YAML)")
            c = c.strip().lower()
            if len(c) == 4:
                c = "#" + "".join(ch * 2 for ch in c[1:])
            norm.append(c)
        object.__setattr__(self, "palette", tuple(norm))
        for knob, lo, hi in (("grain", 0.0, 0.15), ("glow", 0.0, 2.0), ("motif_scale", 0.5, 1.5)):
            value = getattr(self, knob)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise ConfigError(f"{knob} is {value!r}", field=f"style.{knob}",
                                  fix=f"use a number from {lo} to {hi}")
            object.__setattr__(self, knob, float(value))

    @classmethod
    def from_dict(cls, data: dict | None) -> VisualStyle:
        """Build from a channel's ``style:`` mapping (unknown keys such as
        ``caption_highlight`` belong to other stages and are ignored)."""
        data = dict(data or {})
        palette = data.get("palette")
        if palette is None:
            palette = _DEFAULT_PALETTE
        kwargs = {k: data[k] for k in ("grain", "glow", "motif_scale") if k in data and data[k] is not None}
        return cls(name=data.get("name") or "aurora", palette=palette, **kwargs)

    def rgb(self) -> list[tuple[int, int, int]]:
        return [hex_rgb(c) for c in self.palette]


def hex_rgb(c: str) -> tuple[int, int, int]:
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


def _luma(c) -> float:
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def _sat(c) -> float:
    r, g, b = (v / 255 for v in c)
    return colorsys.rgb_to_hsv(r, g, b)[1] * max(r, g, b)


def _mix(a, b, t: float) -> tuple[int, int, int]:
    r, g, bl = (int(round(a[i] * (1 - t) + b[i] * t)) for i in range(3))
    return r, g, bl


def _scale(c, k: float) -> tuple[int, int, int]:
    r, g, b = (int(max(0, min(255, round(v * k)))) for v in c)
    return r, g, b


def _seed_int(*parts) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16], 16)


def _rng(*parts) -> random.Random:
    return random.Random(_seed_int(*parts))


class _Palette:
    """The ground (darkest colour), accents rotated per beat, and derived tones."""

    def __init__(self, style: VisualStyle, index: int):
        cols = sorted(style.rgb(), key=_luma)
        self.ground = cols[0]
        acc = cols[1:]
        if len(acc) == 1:  # a two-colour palette: derive a lighter and a deeper tone
            acc = [_mix(acc[0], self.ground, 0.45), acc[0], _mix(acc[0], (255, 255, 255), 0.35)]
        # rotate so consecutive beats lead with a different accent
        k = index % len(acc)
        self.accents = acc[k:] + acc[:k]
        self.all = [self.ground] + acc
        self.brightest = max(acc, key=_luma)
        self.vivid = max(acc, key=lambda c: _sat(c) + _luma(c) / 600)

    def contrasting(self, background, exclude=(), bright: bool = False) -> tuple[int, int, int]:
        """The accent that stands out best on ``background`` (an RGB colour): far from it in
        colour and brightness, and saturated; the beat's leading accent gets a small bonus.
        ``bright``: choose among the brighter half of the accents (for dark, glowing looks)."""
        options = [c for c in self.accents if c not in exclude] or self.accents
        if bright and len(options) > 2:
            options = sorted(options, key=_luma)[len(options) // 2:]

        def score(c):
            dist = math.dist(c, background) / 441.7
            return dist + abs(_luma(c) - _luma(background)) / 255 + 0.35 * _sat(c) + (0.12 if c == self.accents[0] else 0)
        return max(options, key=score)
