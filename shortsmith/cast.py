"""A channel's cast (who speaks a narrative, with which voices) and its series' scene styles.

In channels.yaml, on a channel (the cast every series shares) and per series (its own cast
members, which replace the channel's of the same name, and its scene style)::

    cast:
      NARRATOR:
        voices: [elevenlabs, piper]        # fallback chain, most preferred first (default [piper])
        elevenlabs: {voice_id: pNInz6obpgDQGcFmaJgB, stability: 0.6}
        piper: {pitch: -2, tempo: 0.95}
        colour: "#a3e635"                  # captions may show the speaker in it
    series:
      the-signal:
        cast:
          OPERATOR:
            piper: {pitch: 3, formant: shifted, noise_scale: 0.5, length_scale: 1.05}
        style:
          base_prompt: "a retro sci-fi film still of {scene}"
          style_modifiers: [35mm film grain, green phosphor glow]
          camera_angle: low angle
          lighting: low key
          scene_seconds: 6

``piper`` derives a voice from any Piper model (default: the bundled en_US-joe-medium):
``model_path``/``config_path``/``speaker`` choose the model, ``length_scale``/``noise_scale``/
``noise_w`` are Piper's own, and ``pitch`` (semitones), ``formant`` (``shifted`` moves the
formants with the pitch: a different-sounding throat; ``preserved`` keeps them) and ``tempo``
are applied afterwards with ffmpeg's rubberband and atempo (:mod:`shortsmith.voice.derived`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:
    from .config import ElevenLabsVoice

VOICE_PROVIDERS = ("elevenlabs", "piper")
FORMANTS = ("shifted", "preserved")
_SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_HEX_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class PiperVoice:
    model_path: str | None = None  # None: the bundled en_US-joe-medium
    config_path: str | None = None
    speaker: int | None = None
    length_scale: float = 1.0
    noise_scale: float | None = None
    noise_w: float | None = None
    pitch: float = 0.0  # semitones, -12..12
    formant: str = "shifted"  # rubberband: shifted (formants follow the pitch) | preserved
    tempo: float = 1.0  # 0.5..2.0, after synthesis (atempo); length_scale is Piper's own speed

    @property
    def derived(self) -> bool:
        return bool(self.pitch) or self.tempo != 1.0


@dataclass(frozen=True)
class CastMember:
    name: str  # upper-case key, as narratives write it
    voices: tuple[str, ...] = ("piper",)
    elevenlabs: "ElevenLabsVoice | None" = None
    piper: PiperVoice = field(default_factory=PiperVoice)
    colour: str = ""


@dataclass(frozen=True)
class SceneStyle:
    base_prompt: str = "{scene}"
    style_modifiers: tuple[str, ...] = ()
    camera_angle: str = ""
    lighting: str = ""
    scene_seconds: float = 0.0  # 0: each scene lasts as long as its line

    def prompt(self, scene: str, camera: str = "", lighting: str = "", fallback: str = "") -> str:
        """The visual prompt of one scene: the template filled from the direction (the direction's
        camera and lighting win over the series' defaults)."""
        subject = scene or fallback
        text = self.base_prompt.replace("{scene}", subject) if "{scene}" in self.base_prompt \
            else f"{self.base_prompt}, {subject}".strip(", ")
        extra = [camera or self.camera_angle, f"{lighting or self.lighting} lighting"
                 if (lighting or self.lighting) else "", *self.style_modifiers]
        return ", ".join(p for p in [text, *extra] if p)


@dataclass(frozen=True)
class Series:
    name: str
    cast: tuple[CastMember, ...] = ()
    style: SceneStyle = field(default_factory=SceneStyle)


@dataclass(frozen=True)
class Productions:
    """A channel's cast and series (empty for a channel that makes only topic Shorts)."""

    cast: tuple[CastMember, ...] = ()
    series: tuple[Series, ...] = ()

    def get_series(self, name: str) -> Series | None:
        return next((s for s in self.series if s.name == name), None)

    def cast_for(self, series: str = "") -> dict[str, CastMember]:
        members = {m.name: m for m in self.cast}
        found = self.get_series(series) if series else None
        if found:
            members.update({m.name: m for m in found.cast})
        return members

    def style_for(self, series: str = "") -> SceneStyle:
        found = self.get_series(series) if series else None
        return found.style if found else SceneStyle()


def _num(raw: dict, key: str, where: str, default: Any, lo: float, hi: float) -> Any:
    from .config import _opt

    value = _opt(raw, key, where, default, (int, float))
    if value is None:
        return None
    if not lo <= float(value) <= hi:
        raise ConfigError(f"{key} {value} is outside {lo:g}-{hi:g}", field=f"{where}.{key}",
                          fix=f"use a value from {lo:g} to {hi:g}")
    return float(value)


def _parse_piper(raw: Any, where: str, base_dir: Path) -> PiperVoice:
    from .config import _check_unknown, _opt

    if not isinstance(raw, dict):
        raise ConfigError("must be a mapping", field=where, fix="e.g. piper: {pitch: 3, tempo: 1.05}")
    _check_unknown(raw, {"model_path", "config_path", "speaker", "length_scale", "noise_scale", "noise_w", "pitch",
                         "formant", "tempo"}, where)
    formant = _opt(raw, "formant", where, "shifted", str)
    if formant not in FORMANTS:
        raise ConfigError(f"formant {formant!r} is not one of {', '.join(FORMANTS)}", field=f"{where}.formant",
                          fix="'shifted' moves the formants with the pitch (a different voice); 'preserved' keeps them")
    paths = {}
    for key in ("model_path", "config_path"):
        value = _opt(raw, key, where, None, str)
        if value:
            path = (base_dir / value).expanduser().resolve()
            if key == "model_path" and not path.is_file():
                raise ConfigError(f"the Piper model {path} does not exist", field=f"{where}.{key}",
                                  fix="point it at a Piper .onnx (its .onnx.json beside it), or remove it to "
                                      "derive the voice from the bundled en_US-joe-medium")
            paths[key] = str(path)
    speaker = _opt(raw, "speaker", where, None, int)
    return PiperVoice(model_path=paths.get("model_path"), config_path=paths.get("config_path"), speaker=speaker,
                      length_scale=_num(raw, "length_scale", where, 1.0, 0.5, 2.0),
                      noise_scale=_num(raw, "noise_scale", where, None, 0.0, 1.5),
                      noise_w=_num(raw, "noise_w", where, None, 0.0, 1.5),
                      pitch=_num(raw, "pitch", where, 0.0, -12, 12), formant=formant,
                      tempo=_num(raw, "tempo", where, 1.0, 0.5, 2.0))


def parse_cast(raw: Any, where: str, base_dir: Path) -> tuple[CastMember, ...]:
    from .config import _check_unknown, _opt, _parse_elevenlabs

    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ConfigError("must be a mapping of speaker names to voices", field=where,
                          fix="e.g. cast: {NARRATOR: {piper: {pitch: -2}}}")
    members = []
    seen: set[str] = set()
    for name, spec in raw.items():
        key = " ".join(str(name).replace("_", " ").split()).upper()
        at = f"{where}.{name}"
        if not re.match(r"^[A-Z][A-Z0-9'. -]{1,39}$", key):
            raise ConfigError(f"speaker name {name!r} cannot be written in a narrative", field=at,
                              fix="use 2-40 letters, digits, spaces or hyphens, starting with a letter (e.g. NARRATOR)")
        if key in seen:
            raise ConfigError(f"speaker {key} is listed twice", field=at, fix="list each speaker once")
        seen.add(key)
        spec = spec or {}
        if not isinstance(spec, dict):
            raise ConfigError("must be a mapping", field=at, fix="e.g. {voices: [elevenlabs, piper], piper: {pitch: 2}}")
        _check_unknown(spec, {"voices", "elevenlabs", "piper", "colour", "color"}, at)
        voices = spec.get("voices", ["piper"])
        if isinstance(voices, str):
            voices = [voices]
        if not isinstance(voices, list) or not voices:
            raise ConfigError("must be a list of voice providers, most preferred first", field=f"{at}.voices",
                              fix="e.g. [elevenlabs, piper]")
        for i, v in enumerate(voices):
            if v not in VOICE_PROVIDERS:
                raise ConfigError(f"{v!r} is not a voice provider", field=f"{at}.voices[{i}]",
                                  fix=f"use {' or '.join(VOICE_PROVIDERS)}")
        if len(set(voices)) != len(voices):
            raise ConfigError("lists a provider twice", field=f"{at}.voices", fix="list each provider once")
        el_raw = _opt(spec, "elevenlabs", at, None, dict)
        if "elevenlabs" in voices and el_raw is None:
            raise ConfigError(f"{key} may speak with elevenlabs but has no elevenlabs voice", field=f"{at}.elevenlabs",
                              fix="add elevenlabs: {voice_id: ...} (a voice from your ElevenLabs voice library)")
        colour = str(spec.get("colour", spec.get("color", "")) or "")
        if colour and not _HEX_RE.match(colour):
            raise ConfigError(f"colour {colour!r} is not #rrggbb", field=f"{at}.colour", fix="e.g. '#a3e635' (quoted)")
        members.append(CastMember(
            name=key, voices=tuple(voices),
            elevenlabs=_parse_elevenlabs(el_raw, f"{at}.elevenlabs") if el_raw is not None else None,
            piper=_parse_piper(spec.get("piper") or {}, f"{at}.piper", base_dir), colour=colour))
    return tuple(members)


def _parse_style(raw: Any, where: str) -> SceneStyle:
    from .config import _check_unknown, _opt

    if not isinstance(raw, dict):
        raise ConfigError("must be a mapping", field=where, fix="e.g. style: {base_prompt: 'a film still of {scene}'}")
    _check_unknown(raw, {"base_prompt", "style_modifiers", "camera_angle", "lighting", "scene_seconds"}, where)
    mods = _opt(raw, "style_modifiers", where, [], (list, str))
    mods = [mods] if isinstance(mods, str) else mods
    if not all(isinstance(m, str) and m.strip() for m in mods):
        raise ConfigError("must be a list of words or phrases", field=f"{where}.style_modifiers",
                          fix="e.g. [35mm film grain, green phosphor glow]")
    base = _opt(raw, "base_prompt", where, "{scene}", str).strip() or "{scene}"
    return SceneStyle(base_prompt=base, style_modifiers=tuple(m.strip() for m in mods),
                      camera_angle=_opt(raw, "camera_angle", where, "", str).strip(),
                      lighting=_opt(raw, "lighting", where, "", str).strip(),
                      scene_seconds=_num(raw, "scene_seconds", where, 0.0, 0.0, 60.0))


def parse_productions(merged: dict, where: str, base_dir: Path) -> Productions:
    """The channel's ``cast:`` and ``series:`` keys (both optional)."""
    cast = parse_cast(merged.get("cast"), f"{where}.cast", base_dir)
    raw_series = merged.get("series") or {}
    if not isinstance(raw_series, dict):
        raise ConfigError("must be a mapping of series names", field=f"{where}.series",
                          fix="e.g. series: {the-signal: {cast: ..., style: ...}}")
    series = []
    for name, spec in raw_series.items():
        at = f"{where}.series.{name}"
        if not isinstance(name, str) or not _SLUG_RE.match(name):
            raise ConfigError(f"series name {name!r} is not a slug", field=at,
                              fix="use lowercase letters, digits and hyphens, e.g. the-signal")
        spec = spec or {}
        if not isinstance(spec, dict):
            raise ConfigError("must be a mapping", field=at, fix="give it cast: and/or style:")
        from .config import _check_unknown

        _check_unknown(spec, {"cast", "style"}, at)
        series.append(Series(name=name, cast=parse_cast(spec.get("cast"), f"{at}.cast", base_dir),
                             style=_parse_style(spec.get("style") or {}, f"{at}.style")))
    return Productions(cast=cast, series=tuple(series))
