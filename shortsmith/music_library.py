"""Music from a library: the user's own folder of tracks (with a small manifest) and, offline by
default, the MIT-licensed tracks of the ``immich-memories-music`` package (28 tracks of about 32 s
in five moods, tempo and key listed in its LICENSE-MUSIC).

The user's folder holds ``tracks.yaml``::

    tracks:
      - file: morning.mp3          # next to tracks.yaml
        mood: calm                 # calm | upbeat | mysterious (or happy, energetic, tender, nostalgic)
        bpm: 84
        licence: "CC BY 4.0, Jane Doe (https://example.com/morning)"
        beats_per_bar: 4           # optional, default 4

A track is chosen by mood (the script's mood, see :func:`script_mood`) and length (a track as long
as the video is preferred), deterministically per video. A track shorter than the video is looped
on phrase boundaries (4 bars at its tempo) with an equal-power crossfade at each seam, so it is never
cut mid-bar and the seam has no click.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .errors import ConfigError, InputError, MediaError
from .ffmpeg import ffmpeg_path
from .voice.wav import write_wav

RATE = 48000
# our moods (channels.yaml music.mood) -> the library tags that fit them, best first
MOOD_TAGS: dict[str, tuple[str, ...]] = {
    "calm": ("calm", "tender"),
    "upbeat": ("upbeat", "happy", "energetic"),
    "mysterious": ("mysterious", "nostalgic"),
}
LIBRARY_MOODS = {tag for tags in MOOD_TAGS.values() for tag in tags}
EXTENSIONS = {".wav", ".mp3", ".flac", ".ogg", ".opus", ".m4a"}
# words in a script that move its mood away from the channel's default
MOOD_WORDS: dict[str, tuple[str, ...]] = {
    "mysterious": ("mystery", "mysterious", "secret", "unknown", "unexplained", "strange", "dark", "hidden",
                   "vanished", "ancient", "ghost", "deep", "haunted", "puzzle"),
    "upbeat": ("amazing", "fastest", "record", "incredible", "fun", "win", "wow", "speed", "explode",
               "energy", "race", "boost", "surprising", "epic"),
    "calm": ("calm", "sleep", "gentle", "quiet", "slow", "peace", "relax", "breathe", "soft", "nature"),
}


@dataclass(frozen=True)
class Track:
    path: str
    mood: str
    bpm: float
    licence: str
    source: str  # "user" | "immich-memories-music"
    beats_per_bar: int = 4
    key: str = ""

    @property
    def phrase_s(self) -> float:
        """Four bars: the unit a loop repeats."""
        return 4 * self.beats_per_bar * 60.0 / self.bpm

    def describe(self) -> dict:
        return asdict(self)


def script_mood(text: str, default: str) -> str:
    """The script's mood: the mood whose words it uses most (at least twice), else the channel's."""
    words = re.findall(r"[a-z]+", text.lower())
    counts = {mood: sum(w.startswith(k) for w in words for k in keys) for mood, keys in MOOD_WORDS.items()}
    best = max(counts, key=lambda m: (counts[m], m == default))
    return best if counts[best] >= 2 else default


# -- catalogues ------------------------------------------------------------------------------------
def bundled_tracks() -> list[Track]:
    """The immich-memories-music tracks (MIT, no attribution required), tempo and key from its LICENSE-MUSIC."""
    try:
        import immich_memories_music as imm
    except ImportError:
        return []
    root = imm.tracks_dir()
    listed: dict[str, tuple[float, str]] = {}
    licence_file = _package_licence_file()
    if licence_file:
        for m in re.finditer(r"^\s*(\S+\.opus)\s+(\d+)\s*bpm\s+(\S+ (?:major|minor))", licence_file.read_text(), re.M):
            listed[m.group(1)] = (float(m.group(2)), m.group(3))
    out = []
    for path in sorted(root.glob("*/*.opus")):
        bpm, key = listed.get(path.name, (0.0, ""))
        if bpm <= 0:
            continue  # no known tempo: cannot loop it on phrase boundaries
        out.append(Track(str(path), path.parent.name, bpm, "MIT (immich-memories-music 0.1.0; generated with "
                         "ACE-Step 1.5, no attribution required)", "immich-memories-music", 4, key))
    return out


def _package_licence_file() -> Path | None:
    from importlib.metadata import PackageNotFoundError, distribution
    try:
        dist = distribution("immich-memories-music")
    except PackageNotFoundError:
        return None
    for f in dist.files or []:
        if f.name == "LICENSE-MUSIC":
            return Path(str(dist.locate_file(f)))
    return None


def user_tracks(folder: str | Path, where: str = "music.library") -> list[Track]:
    """The tracks listed in ``folder``/tracks.yaml, each checked (errors name the entry and the fix)."""
    import yaml

    folder = Path(folder)
    manifest = folder / "tracks.yaml"
    if not manifest.is_file():
        raise ConfigError(f"{manifest} does not exist", field=where,
                          fix="put a tracks.yaml (tracks: [{file, mood, bpm, licence}]) in the music folder")
    try:
        raw = yaml.safe_load(manifest.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{manifest} is not valid YAML: {exc}", field=where, fix="fix the YAML syntax") from None
    entries = raw.get("tracks") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{manifest} lists no tracks", field=f"{where}.tracks",
                          fix="list each track with file, mood, bpm and licence")
    out = []
    for i, e in enumerate(entries):
        at = f"{manifest.name}: tracks[{i}]"
        if not isinstance(e, dict):
            raise ConfigError("must be a mapping", field=at, fix="give file, mood, bpm and licence")
        unknown = set(e) - {"file", "mood", "bpm", "licence", "beats_per_bar"}
        if unknown:
            raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))}", field=at,
                              fix="use file, mood, bpm, licence, beats_per_bar")
        path = folder / str(e.get("file") or "")
        if not e.get("file") or not path.is_file() or path.suffix.lower() not in EXTENSIONS:
            raise ConfigError(f"the audio file {e.get('file')!r} is missing or not audio", field=f"{at}.file",
                              fix=f"name a file next to tracks.yaml ({', '.join(sorted(EXTENSIONS))})")
        mood = e.get("mood")
        if mood not in LIBRARY_MOODS:
            raise ConfigError(f"mood {mood!r} is unknown", field=f"{at}.mood",
                              fix=f"use one of {', '.join(sorted(LIBRARY_MOODS))}")
        bpm = e.get("bpm")
        if not isinstance(bpm, (int, float)) or not 40 <= bpm <= 240:
            raise ConfigError(f"bpm {bpm!r} is not a tempo", field=f"{at}.bpm", fix="give the tempo, 40-240")
        licence = e.get("licence")
        if not isinstance(licence, str) or not licence.strip():
            raise ConfigError("the licence is missing", field=f"{at}.licence",
                              fix="say under which licence you may use the track (and any attribution)")
        bars = e.get("beats_per_bar", 4)
        if bars not in (2, 3, 4, 6):
            raise ConfigError(f"beats_per_bar {bars!r} is not supported", field=f"{at}.beats_per_bar", fix="use 2, 3, 4 or 6")
        out.append(Track(str(path), mood, float(bpm), licence.strip(), "user", int(bars)))
    return out


# -- choosing ---------------------------------------------------------------------------------------
def pick(tracks: list[Track], mood: str, duration_s: float, seed: str) -> Track:
    """The track for a video: user tracks before bundled ones, the mood's best tag first, a track as long
    as the video before a shorter one; among equals, one chosen by ``seed`` (the same every run)."""
    tags = MOOD_TAGS.get(mood, (mood,))
    fitting = [t for t in tracks if t.mood in tags]
    if not fitting:
        raise InputError(f"the music library has no track for the mood {mood!r}", field="music.mood",
                         fix=f"add a track with mood {tags[0]} to tracks.yaml, or use the composer")
    durations = {t.path: _duration(t.path) for t in fitting}

    def rank(t: Track) -> tuple:
        return (t.source != "user", tags.index(t.mood), durations[t.path] + 0.05 < duration_s)

    best = min(rank(t) for t in fitting)
    equal = sorted((t for t in fitting if rank(t) == best), key=lambda t: t.path)
    h = int(hashlib.sha256(f"{seed}|{mood}".encode()).hexdigest()[:12], 16)
    return equal[h % len(equal)]


def _duration(path: str) -> float:
    from .ffmpeg import probe

    try:
        return float(probe(path)["format"]["duration"])
    except (KeyError, ValueError, TypeError):
        return 0.0


# -- rendering --------------------------------------------------------------------------------------
def decode(path: str | Path, rate: int = RATE) -> np.ndarray:
    """The whole file as float32 stereo at ``rate`` (ffmpeg)."""
    proc = subprocess.run([ffmpeg_path(), "-v", "error", "-nostdin", "-i", str(path), "-f", "f32le", "-ac", "2",
                           "-ar", str(rate), "-"], capture_output=True, timeout=120)
    if proc.returncode != 0 or not proc.stdout:
        raise MediaError(f"cannot decode the music track {path}: {proc.stderr.decode(errors='replace')[-300:]}",
                         field="music.library", fix="re-encode the track (WAV, MP3, FLAC, Ogg or Opus)")
    return np.frombuffer(proc.stdout, "<f4").reshape(-1, 2).astype(np.float64)


def loop_to(audio: np.ndarray, duration_s: float, phrase_s: float, rate: int = RATE,
            crossfade_s: float = 0.12) -> tuple[np.ndarray, list[float]]:
    """``audio`` lengthened (or shortened) to ``duration_s``: whole phrases repeated, each seam an
    equal-power crossfade from the bar after the loop body into the track's start. Returns the audio
    and the seam times in seconds."""
    n = int(round(duration_s * rate))
    if len(audio) >= n:
        return audio[:n].copy(), []
    phrase = max(1, int(round(phrase_s * rate)))
    x = int(round(crossfade_s * rate))
    phrases = (len(audio) - x) // phrase
    if phrases < 1:  # shorter than one phrase: loop the whole track
        body = max(x + 1, len(audio) - x)
    else:
        body = phrases * phrase
    out = np.zeros((n, 2))
    fade = np.linspace(0.0, np.pi / 2, x, endpoint=False)[:, None] if x else np.zeros((0, 1))
    fin, fout = np.sin(fade), np.cos(fade)
    seams = []
    pos = 0
    while pos < n:
        piece = audio[: body + x].copy()
        if pos > 0 and x:
            piece[:x] *= fin
            seams.append(pos / rate)
        if pos + body < n and x and len(piece) > body:
            piece[body: body + x] *= fout[: len(piece) - body]
        else:
            piece = piece[:body]
        end = min(n, pos + len(piece))
        out[pos:end] += piece[: end - pos]
        pos += body
    return out, seams


def render_track(track: Track, out_wav: Path, duration_s: float) -> dict:
    """Write ``track`` fitted to ``duration_s`` (looped on phrases, faded in and out) to ``out_wav``;
    returns what was done (for the stage's metadata)."""
    audio = decode(track.path)
    looped, seams = loop_to(audio, duration_s, track.phrase_s)
    n = len(looped)
    t = np.arange(n) / RATE
    fade_in, fade_out = min(0.5, duration_s / 4), min(2.0, duration_s / 3)
    fade = np.clip(np.minimum(t / fade_in, (duration_s - t) / fade_out), 0, 1)
    looped *= (0.5 - 0.5 * np.cos(np.pi * fade))[:, None]
    peak = float(np.max(np.abs(looped))) or 1.0
    looped *= min(1.0, 0.89 / peak)  # -1 dBFS at most: never clips
    write_wav(Path(out_wav), looped, RATE)
    return {"track": Path(track.path).name, "licence": track.licence, "source": track.source, "bpm": track.bpm,
            "track_seconds": round(len(audio) / RATE, 2), "loops": len(seams), "seams_s": [round(s, 3) for s in seams]}
