"""Motifs: iconic drawings (shape masks) chosen from a beat's keywords.

The catalogue of drawings is one long function by nature: each motif is a few pen strokes.
"""

from __future__ import annotations

import math
import random
import re

import numpy as np
from PIL import Image, ImageDraw

from .style import _seed_int


# ---------------------------------------------------------------------------
# motifs: iconic drawings chosen from the beat's keywords

MOTIF_WORDS: dict[str, str] = {
    "sun": "sun sunlight sunshine sky day summer solar sunny sunrise sunset bright daylight shine atmosphere",
    "moon": "moon night lunar dark sleep dream evening crescent nocturnal",
    "rainbow": "rainbow colour color spectrum violet prism scatter scattering wavelength hue pigment",
    "waves": "ocean sea water wave tide river swim beach surf current flow liquid wet rain underwater lake",
    "network": "brain mind network neuron think thought memory idea internet data computer ai learn intelligence "
               "nerve signal connect social smart understand",
    "rocket": "rocket space launch fast speed fly future mars nasa engine astronaut boost",
    "coins": "money coin cost price rich invest economy cash penny market dollar pay bank gold wealth save "
             "fortune scrap dealer sell sold buy offer con scam deal",
    "clock": "time clock minute hour second schedule late early daily habit routine month week",
    "hourglass": "hourglass history historian ancient century past old age wait year decade medieval",
    "tree": "tree forest wood plant nature garden root branch jungle",
    "leaf": "leaf leaves green photosynthesis autumn season seed eco",
    "flower": "flower bloom petal blossom pollen nectar spring rose garden sipping",
    "planet": "planet saturn universe galaxy orbit gravity cosmos astronomy jupiter hole black",
    "globe": "earth world globe country map travel global continent geography climate australia europe america",
    "heart": "heart love health body blood life care mother feel emotion happy kind muscle pulse medicine newborn",
    "bulb": "idea lightbulb invent science discover fact why how trick tip secret clever genius curiosity "
            "surprising strangest scientist",
    "hexagon": "bee honey hive wax honeycomb insect worker",
    "cat": "cat kitten purr pet meow kitty feline",
    "bird": "bird emu fly wing feather nest egg eagle crow parrot penguin",
    "drop": "drop coffee drink tea brew juice milk oil thirst hydrate teaspoon evaporate",
    "mountain": "mountain volcano rock climb peak hill stone everest lava cliff",
    "atom": "atom physics chemistry molecule particle quantum element electron nuclear enzyme",
    "bolt": "lightning electricity electric power energy storm thunder charge battery twitch shock spark",
    "gear": "gear machine engineering technology mechanism tool build repair factory robot system process",
    "chart": "chart growth grow stat trend percent increase graph number record rise sale profit result "
             "thousand hundred million billion dozen",
    "eye": "eye see vision look sight watch visible perception notice reflective chameleon camouflage",
    "fish": "fish octopus shark whale dolphin marine reef aquarium squid",
    "flame": "fire flame heat hot burn warm cook temperature spicy",
    "snowflake": "snow cold ice winter freeze frozen arctic frost chill",
    "music": "music sound song voice hear noise vibration hum buzz listen audio sing rhythm dance musician",
    "book": "book story read study school lesson library write word language knowledge",
    "letter": "letter mail envelope message telegram newspaper news printed published post note send",
    "shield": "war army soldier battle military defend protect security weapon bullet ammunition fight",
    "virus": "virus plague disease germ poison sick infection bacteria epidemic illness",
    "star": "star stars sparkle best famous wish wonder magic amazing",
    "bell": "follow subscribe bell notification alert reminder alarm",
    "dna": "dna gene genetic cell biology evolution species inherit",
    "house": "house home building city room live family inside town tower eiffel government council",
}
MOTIFS = tuple(MOTIF_WORDS)
_VOCAB: dict[str, str] = {}
for _motif, _words in MOTIF_WORDS.items():
    for _w in _words.split():
        _VOCAB.setdefault(_w, _motif)
_IGNORED = {"style", "vertical", "scene", "view", "light"}  # words of the prompt template


def _stem(word: str) -> list[str]:
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    if word.endswith("ing"):
        forms += [word[:-3], word[:-3] + "e"]
    if word.endswith("ed"):
        forms += [word[:-2], word[:-1]]
    return forms


def pick_motif(keywords: list[str], seed: str, prompt: str = "") -> str:
    """The motif for a beat: its keywords matched against MOTIF_WORDS (earlier keywords
    weigh more, words of the visual prompt a little); a hash of ``seed`` when none match."""
    scores: dict[str, float] = {}
    order: dict[str, int] = {}
    kws = [w for k in keywords for w in re.findall(r"[a-z]+", str(k).lower())]
    words = [(w, 3.0 / (1 + 0.35 * i)) for i, w in enumerate(kws)]
    words += [(w, 0.5) for w in re.findall(r"[a-z]+", prompt.lower()) if w not in _IGNORED]
    for pos, (word, weight) in enumerate(words):
        for form in _stem(word):
            motif = _VOCAB.get(form)
            if motif:
                scores[motif] = scores.get(motif, 0.0) + weight
                order.setdefault(motif, pos)
                break
    if scores:
        return max(scores, key=lambda m: (scores[m], -order[m]))
    return MOTIFS[_seed_int("motif", seed, *keywords) % len(MOTIFS)]


class _Pen:
    """Draws on two masks (P: the main shape, S: the secondary parts) in unit coordinates:
    (-1, -1) is the top left of the motif square and (1, 1) the bottom right."""

    def __init__(self, s: int):
        self.s = s
        self.P = Image.new("L", (s, s), 0)
        self.S = Image.new("L", (s, s), 0)
        self.dp, self.ds = ImageDraw.Draw(self.P), ImageDraw.Draw(self.S)

    def _d(self, layer):
        return self.dp if layer == "P" else self.ds

    def xy(self, u, v):
        return ((u + 1) * self.s / 2, (v + 1) * self.s / 2)

    def L(self, v: float) -> float:
        return v * self.s / 2

    def ellipse(self, cx, cy, rx, ry=None, layer="P", fill=255, width=0):
        ry = rx if ry is None else ry
        box = [*self.xy(cx - rx, cy - ry), *self.xy(cx + rx, cy + ry)]
        if width:
            self._d(layer).ellipse(box, outline=fill, width=max(1, int(self.L(width))))
        else:
            self._d(layer).ellipse(box, fill=fill)

    def poly(self, pts, layer="P", fill=255):
        self._d(layer).polygon([self.xy(u, v) for u, v in pts], fill=fill)

    def line(self, pts, width, layer="P", fill=255, round_caps=True):
        d = self._d(layer)
        xy = [self.xy(u, v) for u, v in pts]
        wpx = max(1, int(self.L(width)))
        d.line(xy, fill=fill, width=wpx, joint="curve")
        if round_caps:
            r = wpx / 2
            for px, py in (xy[0], xy[-1]):
                d.ellipse([px - r, py - r, px + r, py + r], fill=fill)

    def rect(self, x0, y0, x1, y1, layer="P", fill=255, radius=0.0):
        box = [*self.xy(x0, y0), *self.xy(x1, y1)]
        if radius:
            self._d(layer).rounded_rectangle(box, radius=int(self.L(radius)), fill=fill)
        else:
            self._d(layer).rectangle(box, fill=fill)

    def erase(self, fn, *args, **kw):
        """Cut a shape out of both masks."""
        for layer in ("P", "S"):
            fn(*args, layer=layer, fill=0, **kw)


def _ring_pts(cx, cy, rx, ry, rot, a0=0.0, a1=2 * math.pi, n=90):
    pts = []
    for k in range(n + 1):
        a = a0 + (a1 - a0) * k / n
        x, y = rx * math.cos(a), ry * math.sin(a)
        pts.append((cx + x * math.cos(rot) - y * math.sin(rot), cy + x * math.sin(rot) + y * math.cos(rot)))
    return pts


def _star_pts(cx, cy, r_out, r_in, n=5, rot=-math.pi / 2):
    pts = []
    for k in range(2 * n):
        r = r_out if k % 2 == 0 else r_in
        a = rot + k * math.pi / n
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def _draw(pen: _Pen, motif: str, rng: random.Random) -> None:  # a catalogue of drawings: long by nature
    p = pen
    if motif == "sun":
        for k in range(12):
            a = k * math.pi / 6 + math.pi / 12
            p.line([(0.58 * math.cos(a), 0.58 * math.sin(a)), (0.86 * math.cos(a), 0.86 * math.sin(a))], 0.09, "S")
        p.ellipse(0, 0, 0.45)
    elif motif == "moon":
        p.ellipse(-0.05, 0.05, 0.62)
        p.ellipse(0.28, -0.18, 0.52, layer="P", fill=0)
        for cx, cy, r in ((0.5, 0.35, 0.13), (0.62, -0.55, 0.09), (0.15, 0.72, 0.07)):
            p.poly(_star_pts(cx, cy, r, r * 0.3, 4), "S")
    elif motif == "waves":
        for row in range(3):
            base = -0.42 + row * 0.36
            ph = rng.uniform(0, 6.28)
            top = [(u, base + 0.1 * math.sin(u * 3.2 + ph)) for u in np.linspace(-0.95, 0.95, 60)]
            bottom = [(u, v + 0.16) for u, v in reversed(top)]
            p.poly(top + bottom, "P" if row % 2 == 0 else "S")
        p.ellipse(0.55, -0.72, 0.12, layer="S")
    elif motif == "network":
        nodes = []
        for k in range(12):
            a = k * 2 * math.pi / 12 + rng.uniform(-0.2, 0.2)
            r = rng.uniform(0.55, 0.9)
            nodes.append((r * math.cos(a), 0.82 * r * math.sin(a)))
        nodes += [(rng.uniform(-0.3, 0.3), rng.uniform(-0.25, 0.25)) for _ in range(4)]
        for node in nodes:
            near = sorted(nodes, key=lambda other: math.dist(node, other))[1:4]
            for other in near:
                p.line([node, other], 0.035, "S")
        for node in nodes:
            p.ellipse(node[0], node[1], rng.uniform(0.06, 0.1))
    elif motif == "rocket":
        body = [(0, -0.9), (0.2, -0.55), (0.22, 0.3), (-0.22, 0.3), (-0.2, -0.55)]
        p.poly([(-0.2, 0.0), (-0.46, 0.42), (-0.2, 0.34)], "S")
        p.poly([(0.2, 0.0), (0.46, 0.42), (0.2, 0.34)], "S")
        p.poly([(-0.16, 0.38), (0.16, 0.38), (0.0, 0.92)], "S")
        p.poly(body)
        p.erase(p.ellipse, 0, -0.3, 0.11)
        p.ellipse(0, -0.3, 0.075, layer="S")
    elif motif == "coins":
        for k in range(4):
            y = 0.62 - k * 0.17
            p.ellipse(-0.35, y, 0.42, 0.13, layer="S" if k % 2 else "P")
            p.ellipse(-0.35, y - 0.03, 0.42, 0.1, layer="S" if k % 2 else "P")
        p.ellipse(0.32, 0.05, 0.5)
        p.ellipse(0.32, 0.05, 0.38, layer="S", width=0.06)
        p.rect(0.27, -0.17, 0.37, 0.27, layer="S")
    elif motif == "clock":
        p.ellipse(0, 0, 0.85, width=0.12)
        for k in range(12):
            a = k * math.pi / 6
            r0 = 0.6 if k % 3 == 0 else 0.66
            p.line([(r0 * math.cos(a), r0 * math.sin(a)), (0.7 * math.cos(a), 0.7 * math.sin(a))], 0.05)
        p.line([(0, 0), (0.32, -0.22)], 0.1, "S")
        p.line([(0, 0), (-0.08, -0.55)], 0.07, "S")
        p.ellipse(0, 0, 0.09, layer="S")
    elif motif == "hourglass":
        p.rect(-0.55, -0.9, 0.55, -0.76, radius=0.05)
        p.rect(-0.55, 0.76, 0.55, 0.9, radius=0.05)
        p.poly([(-0.45, -0.76), (0.45, -0.76), (0.06, 0.0), (0.45, 0.76), (-0.45, 0.76), (-0.06, 0.0)])
        p.poly([(-0.33, -0.68), (0.33, -0.68), (0.04, 0.0), (0.33, 0.68), (-0.33, 0.68), (-0.04, 0.0)], fill=0)
        p.poly([(-0.2, -0.4), (0.2, -0.4), (0.02, -0.04), (-0.02, -0.04)], "S")
        p.poly([(0.0, 0.3), (0.3, 0.68), (-0.3, 0.68)], "S")
        p.line([(0, -0.02), (0, 0.5)], 0.025, "S")
    elif motif == "tree":
        p.poly([(-0.1, 0.9), (-0.07, 0.1), (0.07, 0.1), (0.1, 0.9)], "S")
        p.line([(0, 0.35), (-0.3, 0.05)], 0.06, "S")
        for dx, dy, r in ((0, -0.35, 0.5), (-0.4, -0.05, 0.36), (0.4, -0.05, 0.36), (0.0, 0.05, 0.36)):
            p.ellipse(dx, dy, r)
    elif motif == "leaf":
        rot = -0.7
        pts = []
        for k in range(41):
            t = k / 40 * 2 * math.pi
            x, y = 0.85 * math.cos(t), 0.42 * math.sin(t) * (1 - 0.35 * math.cos(t))
            pts.append((x * math.cos(rot) - y * math.sin(rot), x * math.sin(rot) + y * math.cos(rot)))
        p.poly(pts)
        axis = (math.cos(rot), math.sin(rot))
        p.line([(-0.95 * axis[0], -0.95 * axis[1]), (0.75 * axis[0], 0.75 * axis[1])], 0.05, "S")
        for t in (-0.4, 0.0, 0.4):
            bx, by = t * axis[0], t * axis[1]
            for side in (-1, 1):
                p.line([(bx, by), (bx + 0.3 * axis[0] - side * 0.25 * axis[1],
                                   by + 0.3 * axis[1] + side * 0.25 * axis[0])], 0.03, "S")
    elif motif == "planet":
        rot = -0.35
        p.line(_ring_pts(0, 0, 0.95, 0.28, rot), 0.09, "S", round_caps=False)
        p.ellipse(0, 0, 0.5, layer="S", fill=0)
        p.ellipse(0, 0, 0.5)
        p.line(_ring_pts(0, 0, 0.95, 0.28, rot, 0.0, math.pi), 0.09, "S", round_caps=False)
        p.ellipse(-0.15, -0.1, 0.5, 0.06, layer="S")
    elif motif == "globe":
        p.ellipse(0, 0, 0.78)
        for rx in (0.3, 0.58):
            p.ellipse(0, 0, rx, 0.78, layer="S", width=0.04)
        p.line([(0, -0.78), (0, 0.78)], 0.04, "S")
        for v in (-0.42, 0.0, 0.42):
            half = math.sqrt(max(0.0, 0.78 ** 2 - v ** 2))
            p.line([(-half, v), (half, v)], 0.04, "S")
        p.ellipse(0, 0, 0.78, layer="S", width=0.05)
    elif motif == "heart":
        pts = []
        for k in range(81):
            t = k / 80 * 2 * math.pi
            x = 16 * math.sin(t) ** 3
            y = -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t))
            pts.append((x / 19, y / 19 + 0.05))
        p.poly(pts)
        p.line([(-0.95, 0.05), (-0.35, 0.05), (-0.2, -0.25), (0.0, 0.35), (0.15, -0.05), (0.25, 0.05), (0.95, 0.05)],
               0.06, "S")
    elif motif == "bulb":
        p.ellipse(0, -0.2, 0.55)
        p.poly([(-0.33, 0.15), (0.33, 0.15), (0.22, 0.5), (-0.22, 0.5)])
        p.rect(-0.24, 0.5, 0.24, 0.78, "S", radius=0.06)
        for yy in (0.59, 0.69):
            p.line([(-0.24, yy), (0.24, yy)], 0.025, "S", fill=0, round_caps=False)
        p.line([(-0.12, 0.15), (-0.12, -0.15), (0.0, -0.05), (0.12, -0.15), (0.12, 0.15)], 0.04, "S")
        for a in (-2.6, -2.1, -1.57, -1.05, -0.5):
            p.line([(0.72 * math.cos(a), -0.2 + 0.72 * math.sin(a)), (0.9 * math.cos(a), -0.2 + 0.9 * math.sin(a))],
                   0.05, "S")
    elif motif == "hexagon":
        r = 0.27
        for q, rr in ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, 1)):
            hx, hy = r * 1.78 * (q + rr / 2), r * 1.54 * rr
            pts = [(hx + r * math.cos(math.pi / 6 + k * math.pi / 3), hy + r * math.sin(math.pi / 6 + k * math.pi / 3))
                   for k in range(6)]
            p.poly(pts, "S" if (q - rr) % 3 == 0 else "P")
            p.poly([(hx + (u - hx) * 0.12 + 0, hy + (v - hy) * 0.12) for u, v in pts], fill=0)
    elif motif == "cat":
        p.poly([(-0.62, -0.25), (-0.55, -0.85), (-0.15, -0.5)])
        p.poly([(0.62, -0.25), (0.55, -0.85), (0.15, -0.5)])
        p.ellipse(0, 0.05, 0.66, 0.56)
        p.poly([(-0.5, -0.4), (-0.5, -0.7), (-0.28, -0.5)], "S")
        p.poly([(0.5, -0.4), (0.5, -0.7), (0.28, -0.5)], "S")
        for ex in (-0.25, 0.25):
            p.ellipse(ex, -0.02, 0.1, 0.12, layer="S")
            p.ellipse(ex, -0.02, 0.03, 0.09, layer="S", fill=0)
        p.poly([(-0.08, 0.17), (0.08, 0.17), (0, 0.26)], "S")
        for side in (-1, 1):
            for k in (-1, 0, 1):
                p.line([(side * 0.3, 0.25), (side * 0.95, 0.2 + k * 0.12)], 0.025, "S")
    elif motif == "drop":
        p.ellipse(0, 0.2, 0.5)
        p.poly([(-0.46, 0.02), (0.46, 0.02), (0, -0.85)])
        p.ellipse(-0.18, 0.25, 0.09, 0.16, layer="S")
        p.ellipse(0, 0.85, 0.6, 0.1, layer="S", width=0.04)
    elif motif == "mountain":
        p.poly([(-0.95, 0.7), (-0.25, -0.65), (0.45, 0.7)])
        p.poly([(-0.05, 0.7), (0.42, -0.2), (0.95, 0.7)], "S")
        p.poly([(-0.25, -0.65), (-0.44, -0.28), (-0.3, -0.34), (-0.2, -0.24), (-0.06, -0.28)], "S")
        p.poly([(-0.25, -0.65), (-0.44, -0.28), (-0.3, -0.34), (-0.2, -0.24), (-0.06, -0.28)], "P", fill=0)
    elif motif == "atom":
        for rot in (0.0, math.pi / 3, -math.pi / 3):
            p.line(_ring_pts(0, 0, 0.9, 0.32, rot), 0.05, "S", round_caps=False)
        p.ellipse(0, 0, 0.2)
        for rot, t in ((0.0, 0.6), (math.pi / 3, 2.5), (-math.pi / 3, 4.3)):
            x, y = 0.9 * math.cos(t), 0.32 * math.sin(t)
            p.ellipse(x * math.cos(rot) - y * math.sin(rot), x * math.sin(rot) + y * math.cos(rot), 0.08)
    elif motif == "bolt":
        p.poly([(0.15, -0.95), (-0.45, 0.12), (-0.05, 0.12), (-0.2, 0.95), (0.45, -0.18), (0.05, -0.18), (0.3, -0.95)])
        for cx, cy in ((-0.6, -0.5), (0.62, 0.3), (-0.55, 0.6)):
            p.poly(_star_pts(cx, cy, 0.14, 0.04, 4), "S")
    elif motif == "gear":
        teeth = 10
        pts = []
        for k in range(teeth * 4):
            a = k * 2 * math.pi / (teeth * 4)
            r = 0.82 if k % 4 in (1, 2) else 0.64
            pts.append((r * math.cos(a), r * math.sin(a)))
        p.poly(pts)
        p.ellipse(0, 0, 0.4, layer="S")
        p.erase(p.ellipse, 0, 0, 0.2)
    elif motif == "chart":
        for k, v in enumerate((0.3, 0.5, 0.45, 0.8)):
            x = -0.75 + k * 0.42
            p.rect(x, 0.8 - v * 1.3, x + 0.28, 0.8, radius=0.04)
        p.line([(-0.85, 0.2), (-0.3, -0.1), (0.05, 0.05), (0.65, -0.6)], 0.07, "S")
        p.poly([(0.8, -0.78), (0.48, -0.7), (0.74, -0.45)], "S")
        p.rect(-0.9, 0.82, 0.9, 0.88, "S")
    elif motif == "eye":
        top = [(u, -0.55 * (1 - u * u)) for u in np.linspace(-0.95, 0.95, 40)]
        bottom = [(u, 0.55 * (1 - u * u)) for u in np.linspace(0.95, -0.95, 40)]
        p.poly(top + bottom)
        p.ellipse(0, 0, 0.38, layer="S")
        p.erase(p.ellipse, 0, 0, 0.16)
        p.ellipse(-0.1, -0.12, 0.06, layer="P")
        for a in (-2.4, -1.9, -1.57, -1.2, -0.7):
            p.line([(0.6 * math.cos(a) * 1.2, -0.12 + 0.6 * math.sin(a) * 1.05),
                    (0.8 * math.cos(a) * 1.2, -0.12 + 0.8 * math.sin(a) * 1.05)], 0.05, "S")
    elif motif == "fish":
        p.ellipse(-0.1, 0, 0.62, 0.38)
        p.poly([(0.4, 0), (0.9, -0.38), (0.82, 0), (0.9, 0.38)])
        p.poly([(-0.25, -0.3), (0.05, -0.58), (0.15, -0.3)], "S")
        p.poly([(-0.05, 0.3), (0.15, 0.5), (0.2, 0.28)], "S")
        p.erase(p.ellipse, -0.45, -0.08, 0.07)
        p.line(_ring_pts(-0.25, 0, 0.2, 0.3, 0, -1.2, 1.2, 20), 0.04, "S")
        for cx, cy, r in ((-0.85, -0.5, 0.07), (-0.75, -0.75, 0.05), (-0.9, -0.9, 0.035)):
            p.ellipse(cx, cy, r, layer="S", width=0.025)
    elif motif == "flame":
        def teardrop(sx, sy, oy):
            pts = []
            for k in range(61):
                t = k / 60 * 2 * math.pi
                x = math.sin(t) * (1 - math.cos(t)) * 0.5
                y = -math.cos(t)
                pts.append((x * sx, y * sy + oy))
            return pts
        p.poly(teardrop(0.95, 0.85, 0.05))
        p.poly(teardrop(0.5, 0.45, 0.45), "S")
    elif motif == "snowflake":
        for k in range(6):
            a = k * math.pi / 3 - math.pi / 2
            c, s_ = math.cos(a), math.sin(a)
            p.line([(0, 0), (0.88 * c, 0.88 * s_)], 0.07)
            for t, ln in ((0.45, 0.22), (0.68, 0.15)):
                bx, by = t * c, t * s_
                for side in (-1, 1):
                    b = a + side * math.pi / 4
                    p.line([(bx, by), (bx + ln * math.cos(b), by + ln * math.sin(b))], 0.055)
        p.poly([(0.24 * math.cos(k * math.pi / 3), 0.24 * math.sin(k * math.pi / 3)) for k in range(6)], "S")
    elif motif == "music":
        p.poly([(-0.42, -0.55), (0.58, -0.8), (0.58, -0.6), (-0.42, -0.35)], "S")
        p.rect(-0.42, -0.55, -0.32, 0.45, "S")
        p.rect(0.48, -0.8, 0.58, 0.25, "S")
        p.ellipse(-0.55, 0.5, 0.22, 0.16)
        p.ellipse(0.35, 0.3, 0.22, 0.16)
        for k in range(3):
            p.line(_ring_pts(-0.9, 0.0, 0.15 + 0.12 * k, 0.2 + 0.15 * k, 0, -0.9, 0.9, 20), 0.035, "S")
    elif motif == "book":
        p.poly([(-0.9, -0.5), (-0.05, -0.38), (-0.05, 0.65), (-0.9, 0.55)])
        p.poly([(0.9, -0.5), (0.05, -0.38), (0.05, 0.65), (0.9, 0.55)])
        p.line([(0, -0.42), (0, 0.7)], 0.06, "S")
        for k in range(5):
            t = -0.22 + k * 0.17
            for side in (-1, 1):
                p.line([(side * 0.2, t + 0.02), (side * 0.75, t - 0.05)], 0.03, "S")
        p.poly([(0.45, -0.48), (0.6, -0.5), (0.6, -0.2), (0.525, -0.28), (0.45, -0.2)], "S")
    elif motif == "star":
        p.poly(_star_pts(0, 0.05, 0.85, 0.36))
        p.poly(_star_pts(0, 0.05, 0.42, 0.18), "S")
        for cx, cy, r in ((0.72, -0.7, 0.14), (-0.75, -0.55, 0.1), (0.7, 0.65, 0.09)):
            p.poly(_star_pts(cx, cy, r, r * 0.3, 4), "S")
    elif motif == "bell":
        pts = [(-0.62, 0.45), (-0.5, 0.25), (-0.45, -0.2)]
        pts += [(0.45 * math.cos(a), -0.2 - 0.5 * math.sin(a)) for a in np.linspace(math.pi, 0, 24)]
        pts += [(0.45, -0.2), (0.5, 0.25), (0.62, 0.45)]
        p.poly(pts)
        p.rect(-0.7, 0.42, 0.7, 0.52, radius=0.05)
        p.ellipse(0, 0.63, 0.13, layer="S")
        p.ellipse(0, -0.76, 0.08, layer="S")
        for centre in (math.pi - 0.25, 0.25):
            for k in range(2):
                r = 0.78 + k * 0.16
                p.line(_ring_pts(0, -0.05, r, r, 0, centre - 0.35, centre + 0.35, 12), 0.05, "S")
    elif motif == "dna":
        n = 48
        strand_a = [(0.45 * math.sin(t * 2.4 * math.pi / 2), t) for t in np.linspace(-0.9, 0.9, n)]
        strand_b = [(-0.45 * math.sin(t * 2.4 * math.pi / 2), t) for t in np.linspace(-0.9, 0.9, n)]
        for k in range(2, n - 1, 4):
            p.line([strand_a[k], strand_b[k]], 0.045, "S")
        p.line(strand_a, 0.1)
        p.line(strand_b, 0.1, "S")
    elif motif == "rainbow":
        for k in range(4):
            r = 0.9 - k * 0.17
            p.line(_ring_pts(0, 0.35, r, r, 0, math.pi, 2 * math.pi, 60), 0.13, "P" if k % 2 == 0 else "S",
                   round_caps=False)
        for cx in (-0.62, 0.62):
            for dx, r in ((-0.14, 0.14), (0.05, 0.19), (0.24, 0.13)):
                p.ellipse(cx + dx, 0.4, r, r * 0.8, layer="S")
    elif motif == "flower":
        for k in range(8):
            a = k * math.pi / 4
            p.ellipse(0.48 * math.cos(a), 0.48 * math.sin(a) - 0.1, 0.26)
        p.erase(p.ellipse, 0, -0.1, 0.3)
        p.ellipse(0, -0.1, 0.26, layer="S")
        p.line([(0, 0.3), (0.05, 0.95)], 0.06, "S")
        p.ellipse(0.22, 0.68, 0.18, 0.08, layer="S")
    elif motif == "bird":
        p.ellipse(-0.05, 0.1, 0.5, 0.36)
        p.ellipse(0.38, -0.3, 0.24)
        p.poly([(0.55, -0.36), (0.9, -0.26), (0.56, -0.2)], "S")
        p.erase(p.ellipse, 0.42, -0.36, 0.05)
        p.poly([(-0.35, 0.0), (0.15, -0.05), (-0.1, 0.35), (-0.75, 0.3)], "S")
        p.poly([(-0.5, 0.05), (-0.95, -0.2), (-0.8, 0.25)])
        p.line([(-0.05, 0.45), (-0.1, 0.85)], 0.05, "S")
        p.line([(0.12, 0.45), (0.15, 0.85)], 0.05, "S")
    elif motif == "letter":
        p.rect(-0.85, -0.5, 0.85, 0.55, radius=0.06)
        p.line([(-0.8, -0.45), (0, 0.1), (0.8, -0.45)], 0.07, "S")
        p.line([(-0.8, 0.5), (-0.25, -0.05)], 0.04, "S")
        p.line([(0.8, 0.5), (0.25, -0.05)], 0.04, "S")
        p.ellipse(0.62, -0.62, 0.2, layer="S")
        p.poly(_star_pts(0.62, -0.62, 0.13, 0.06), fill=0, layer="S")
    elif motif == "shield":
        pts = [(0, -0.9), (0.72, -0.6), (0.66, 0.1)]
        pts += [(0.66 * math.cos(a), 0.1 + 0.82 * math.sin(a)) for a in np.linspace(0, math.pi / 2, 12)]
        pts = pts + [(-u, v) for u, v in reversed(pts[1:])]
        p.poly(pts)
        p.poly([(0, -0.72), (0.55, -0.48), (0.5, 0.05)] +
               [(0.5 * math.cos(a), 0.05 + 0.7 * math.sin(a)) for a in np.linspace(0, math.pi / 2, 10)], "S")
        p.poly(_star_pts(-0.02, -0.05, 0.3, 0.13), "S")
    elif motif == "virus":
        for k in range(10):
            a = k * math.pi / 5
            p.line([(0.45 * math.cos(a), 0.45 * math.sin(a)), (0.8 * math.cos(a), 0.8 * math.sin(a))], 0.07, "S")
            p.ellipse(0.84 * math.cos(a), 0.84 * math.sin(a), 0.09, layer="S")
        p.ellipse(0, 0, 0.55)
        for cx, cy, r in ((-0.2, -0.15, 0.12), (0.2, 0.1, 0.09), (-0.05, 0.28, 0.07), (0.22, -0.25, 0.06)):
            p.ellipse(cx, cy, r, layer="S")
    else:  # house
        p.poly([(-0.85, -0.05), (0, -0.8), (0.85, -0.05)])
        p.rect(-0.62, -0.1, 0.62, 0.8)
        p.erase(p.rect, -0.15, 0.3, 0.15, 0.8, radius=0.04)
        p.rect(-0.15, 0.3, 0.15, 0.8, "S", radius=0.04)
        p.erase(p.rect, 0.28, 0.05, 0.5, 0.27)
        p.rect(0.28, 0.05, 0.5, 0.27, "S")
        p.rect(0.4, -0.7, 0.56, -0.35, "S")


def motif_masks(motif: str, size: int, rng: random.Random) -> tuple[Image.Image, Image.Image]:
    """The motif's main and secondary masks (L, ``size`` square), drawn at 2x and downsampled."""
    pen = _Pen(size * 2)
    _draw(pen, motif, rng)
    P = pen.P.resize((size, size), Image.Resampling.LANCZOS)
    S = pen.S.resize((size, size), Image.Resampling.LANCZOS)
    return P, S
