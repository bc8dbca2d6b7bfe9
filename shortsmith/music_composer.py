"""Music composed for each video (offline): a chord progression and a rhythm chosen by mood, written
as MIDI events and rendered with a General MIDI soundfont (``tinysoundfont``; Debian's
``musescore-general-soundfont-small`` by default, or ``SHORTSMITH_SOUNDFONT``).

The same partition always gives the same samples: every choice (key, progression, voicing, the
arpeggio's notes) comes from a generator seeded by the partition and the mood.

* ``calm``: 72 bpm, major, warm pad + soft piano arpeggio, no drums;
* ``upbeat``: 116 bpm, major, piano eighth-note chords + picked bass + kick/snare/hi-hat;
* ``mysterious``: 64 bpm, minor, strings + sparse celesta, a low bass drone.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConfigError, InputError, ToolMissingError
from .voice.wav import write_wav

RATE = 48000
SOUNDFONTS = (
    "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3",  # musescore-general-soundfont-small
    "/usr/share/sounds/sf3/default-GM.sf3",
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
)
DRUMS = 9  # the General MIDI percussion channel


@dataclass(frozen=True)
class Style:
    bpm: float
    root: int  # MIDI note of the tonic
    progressions: tuple[tuple[tuple[int, ...], ...], ...]  # chords as semitones from the root
    pad: int  # GM program of the sustained chords
    lead: int  # GM program of the arpeggio / comping part
    bass: int | None
    drums: bool
    lead_density: float  # probability that an eighth note of the lead plays
    comp: str  # "arpeggio" | "strum"


MAJOR = ((0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14))  # I vi IV V
POP = ((0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12))  # I V vi IV
MAJ_ALT = ((0, 4, 7, 11), (5, 9, 12, 16), (2, 5, 9, 12), (7, 11, 14, 17))  # Imaj7 IVmaj7 ii7 V7
MINOR = ((0, 3, 7), (-4, 0, 3), (3, 7, 10), (-2, 2, 5))  # i VI III VII
MINOR_ALT = ((0, 3, 7), (5, 8, 12), (-4, 0, 3), (-5, -1, 2))  # i iv VI V

STYLES: dict[str, Style] = {
    "calm": Style(72, 57, (MAJOR, MAJ_ALT), pad=89, lead=0, bass=None, drums=False, lead_density=0.55, comp="arpeggio"),
    "upbeat": Style(116, 60, (POP, MAJOR), pad=48, lead=0, bass=33, drums=True, lead_density=1.0, comp="strum"),
    "mysterious": Style(64, 50, (MINOR, MINOR_ALT), pad=48, lead=8, bass=32, drums=False, lead_density=0.3,
                        comp="arpeggio"),
}

_SYNTHS: dict[str, object] = {}
_LOCK = threading.Lock()


def soundfont_path() -> str:
    env = os.environ.get("SHORTSMITH_SOUNDFONT")
    if env:
        if not Path(env).is_file():
            raise ConfigError(f"SHORTSMITH_SOUNDFONT points to {env!r}, which is not a file", field="SHORTSMITH_SOUNDFONT",
                              fix="point it at a General MIDI .sf2/.sf3, or unset it")
        return env
    for path in SOUNDFONTS:
        if Path(path).is_file():
            return path
    raise ToolMissingError("no General MIDI soundfont is installed", field="providers.music (composer)",
                           fix="apt-get install musescore-general-soundfont-small, or set SHORTSMITH_SOUNDFONT")


def available() -> bool:
    try:
        import tinysoundfont  # noqa: F401
        soundfont_path()
    except (ImportError, ToolMissingError, ConfigError):
        return False
    return True


def _synth(path: str):
    """One loaded synth per soundfont per process (loading the .sf3 decodes every sample once)."""
    import tinysoundfont

    with _LOCK:
        if path not in _SYNTHS:
            synth = tinysoundfont.Synth(samplerate=RATE, gain=-3)
            sfid = synth.sfload(path)
            _SYNTHS[path] = (synth, sfid)
        return _SYNTHS[path]


def compose(duration_s: float, mood: str, seed: str) -> tuple[list[tuple[float, str, int, int, int]], dict]:
    """The events (time s, "on"/"off", channel, note, velocity) of a ``duration_s`` piece, and its facts."""
    if mood not in STYLES:
        raise ConfigError(f"music mood '{mood}' is unknown", field="music.mood", fix=f"use one of {', '.join(STYLES)}")
    if not (0 < duration_s <= 3600):
        raise InputError(f"music duration {duration_s!r} s is not usable", field="duration_s",
                         fix="pass the video's duration in seconds (0 < duration <= 3600)")
    s = STYLES[mood]
    rng = np.random.default_rng(int(hashlib.sha256(f"composer|{seed}|{mood}".encode()).hexdigest()[:16], 16))
    root = s.root + int(rng.integers(-3, 3))
    prog = s.progressions[int(rng.integers(0, len(s.progressions)))]
    beat = 60.0 / s.bpm
    bar = 4 * beat
    events: list[tuple[float, str, int, int, int]] = []

    def note(t: float, length: float, ch: int, n: int, vel: int) -> None:
        if t < duration_s:
            events.append((t, "on", ch, n, vel))
            events.append((min(duration_s, t + length), "off", ch, n, 0))

    bars = int(np.ceil(duration_s / bar))
    for b in range(bars):
        t0 = b * bar
        chord = prog[b % len(prog)]
        for k, tone in enumerate(chord):  # pad: the chord held for the bar
            note(t0, bar * 0.98, 0, root + tone - (12 if k == 0 else 0), 52 if s.drums else 58)
        if s.bass is not None:
            for i in range(4 if s.drums else 1):
                note(t0 + i * beat, beat * (0.9 if s.drums else 3.9), 2, root + chord[0] - 24, 78)
        for e in range(8):  # the lead on eighth notes
            t = t0 + e * beat / 2
            if s.comp == "strum":
                if e % 2 == 0 or rng.random() < 0.5:
                    for tone in chord:
                        note(t, beat * 0.4, 1, root + tone + 12, 70 if e % 4 == 0 else 58)
            elif rng.random() < s.lead_density:
                tone = chord[int(rng.integers(0, len(chord)))] + 12 * int(rng.integers(1, 3))
                note(t, beat * 1.5, 1, root + tone, int(rng.integers(48, 72)))
        if s.drums:
            for i in range(4):
                note(t0 + i * beat, 0.1, DRUMS, 36 if i % 2 == 0 else 38, 96 if i % 2 == 0 else 84)
            for e in range(8):
                note(t0 + e * beat / 2, 0.05, DRUMS, 42, 60 + 10 * (e % 2 == 0))
    events.sort(key=lambda ev: (ev[0], ev[1] == "on"))
    facts = {"bpm": s.bpm, "root_midi": root, "key": _name(root) + (" minor" if prog in (MINOR, MINOR_ALT) else " major"),
             "bars": bars, "notes": sum(1 for e in events if e[1] == "on")}
    return events, facts


def _name(midi: int) -> str:
    return ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")[midi % 12]


def render(out_wav: Path, duration_s: float, *, mood: str, seed: str) -> dict:
    """Compose and render a ``duration_s`` piece to a 48 kHz stereo WAV; returns its facts."""
    events, facts = compose(duration_s, mood, seed)
    style = STYLES[mood]
    path = soundfont_path()
    synth, sfid = _synth(path)
    n = int(round(duration_s * RATE))
    out = np.zeros((n, 2), dtype=np.float32)
    with _LOCK:
        synth.sounds_off()  # a previous render's voices end here, flushed out before this one starts
        synth.generate(RATE // 5)
        synth.program_select(0, sfid, 0, style.pad)
        synth.program_select(1, sfid, 0, style.lead)
        if style.bass is not None:
            synth.program_select(2, sfid, 0, style.bass)
        if style.drums:
            synth.program_select(DRUMS, sfid, 128, 0, True)
        pos = 0
        for t, kind, ch, midi, vel in events + [(duration_s, "end", 0, 0, 0)]:
            target = min(n, int(round(t * RATE)))
            if target > pos:
                block = np.frombuffer(synth.generate(target - pos), dtype=np.float32).reshape(-1, 2)
                out[pos:pos + len(block)] = block
                pos = target
            if kind == "on":
                synth.noteon(ch, midi, vel)
            elif kind == "off":
                synth.noteoff(ch, midi)
        synth.sounds_off()
    audio = out.astype(np.float64)
    tt = np.arange(n) / RATE
    fade_in, fade_out = min(0.3, duration_s / 4), min(2.0, duration_s / 3)
    fade = np.clip(np.minimum(tt / fade_in, (duration_s - tt) / fade_out), 0, 1)
    audio *= (0.5 - 0.5 * np.cos(np.pi * fade))[:, None]
    peak = float(np.max(np.abs(audio))) or 1.0
    audio *= 0.7 / peak
    write_wav(Path(out_wav), audio, RATE)
    return {**facts, "soundfont": Path(path).name, "licence": "composed for this video (own work); "
            "soundfont: MuseScore General (MIT)" if "MuseScore" in path else "composed for this video (own work)"}
