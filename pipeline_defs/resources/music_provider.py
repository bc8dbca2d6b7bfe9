"""Music providers behind one interface, chained per channel (``providers: {music: [...]}``):

* ``library``: the channel's own folder of tracks (``music.library``, with tracks.yaml) and the MIT
  tracks of ``immich-memories-music``, chosen by mood and length, looped on phrases;
* ``composer``: a piece composed per video, rendered from MIDI with a General MIDI soundfont;
* ``elevenlabs``: ElevenLabs music through the SDK (synchronous), ELEVENLABS_API_KEY;
* ``musicapi``: an asynchronous Suno-style API (MUSIC_API_BASE_URL / MUSIC_API_KEY) answering through
  the studio's signed webhook, polled as a fallback;
* ``synth``: the numpy ambient bed (always works: the last fallback).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ClassVar, Optional

import dagster as dg

from shortsmith import music_api, music_composer, music_elevenlabs, music_library
from shortsmith.music import synthesize_bed
from shortsmith.resilience import ProviderUnavailable

from ..settings import ProviderSettings
from .provider_set import Provider, ProviderSet


@dataclass
class MusicJob:
    """What a provider may need besides the length and mood: the video, its channel's library,
    the state table (async jobs and webhook events) and a log."""

    partition: str
    fingerprint: str
    library: str | None = None
    store: object | None = None
    log: Callable[[str], None] = field(default=lambda m: None)


class MusicProvider(Provider):
    """Supplies a background music bed of a given length."""

    @abstractmethod
    def make(self, out_wav: Path, *, duration_s: float, mood: str, seed: str, job: MusicJob) -> dict:
        """Write a ``duration_s`` bed in ``mood`` to ``out_wav``; return what was chosen and its licence."""

    def describe(self) -> dict:
        """What decides the output (part of the music stage's fingerprint)."""
        return {"provider": self.provider}


class SynthMusicProvider(MusicProvider):
    """A synthesized ambient bed (numpy), different per video, no files or network needed."""

    provider: ClassVar[str] = "synth"

    def make(self, out_wav: Path, *, duration_s: float, mood: str, seed: str, job: MusicJob) -> dict:
        synthesize_bed(out_wav, duration_s, seed=seed, mood=mood if mood in ("calm", "upbeat", "mysterious") else "calm")
        return {"licence": "synthesized for this video (own work)"}

    def bed(self, out_wav: Path, *, duration_s: float, mood: str, seed: str) -> Path:
        return synthesize_bed(out_wav, duration_s, seed=seed, mood=mood)


class LibraryMusicProvider(MusicProvider):
    """The channel's tracks (tracks.yaml) before the bundled immich-memories-music tracks."""

    provider: ClassVar[str] = "library"

    def make(self, out_wav: Path, *, duration_s: float, mood: str, seed: str, job: MusicJob) -> dict:
        tracks = (music_library.user_tracks(job.library) if job.library else []) + music_library.bundled_tracks()
        if not any(t.mood in music_library.MOOD_TAGS.get(mood, (mood,)) for t in tracks):
            raise ProviderUnavailable(f"no library track for the mood {mood!r}", provider=self.provider,
                                      fix="add a track to the channel's tracks.yaml, or pip install immich-memories-music")
        track = music_library.pick(tracks, mood, duration_s, seed)
        return music_library.render_track(track, out_wav, duration_s)


class ComposerMusicProvider(MusicProvider):
    """A piece composed for the video (chords + rhythm by mood), rendered with a GM soundfont."""

    provider: ClassVar[str] = "composer"
    configure_hint: ClassVar[str] = "apt-get install musescore-general-soundfont-small (and pip install tinysoundfont)"

    def is_configured(self) -> bool:
        return music_composer.available()

    def make(self, out_wav: Path, *, duration_s: float, mood: str, seed: str, job: MusicJob) -> dict:
        return music_composer.render(out_wav, duration_s, mood=mood if mood in music_composer.STYLES else "calm",
                                     seed=seed)

    def describe(self) -> dict:
        return {"provider": self.provider, "soundfont": music_composer.soundfont_path() if self.is_configured() else None}


class MusicApiProvider(MusicProvider):
    """A Suno-style asynchronous music API: submit, wait for the signed callback, poll as a fallback."""

    provider: ClassVar[str] = "musicapi"
    configure_hint: ClassVar[str] = ("set MUSIC_API_BASE_URL and MUSIC_API_KEY (and SHORTSMITH_WEBHOOK_SECRET_MUSICAPI "
                                     "on the studio that receives its callbacks)")

    base_url: Optional[str] = None  # dg.EnvVar("MUSIC_API_BASE_URL")
    api_key: str = ""  # dg.EnvVar("MUSIC_API_KEY")
    callback_url: str = "http://127.0.0.1:8000/v1/webhooks/musicapi"  # MUSIC_API_CALLBACK_URL: the studio, public
    model: str = "V4_5"
    wait_s: float = 600.0
    poll_every_s: float = 30.0

    def is_configured(self) -> bool:
        return bool(self.base_url and self.api_key)

    def make(self, out_wav: Path, *, duration_s: float, mood: str, seed: str, job: MusicJob) -> dict:
        if job.store is None:
            raise ProviderUnavailable("no state store to keep the job in", provider=self.provider)
        api = music_api.MusicApi(base_url=self.base_url or "", api_key=self.api_key, model=self.model)

        def fit(track: Path, out: Path, seconds: float) -> dict:
            audio = music_library.decode(track)
            # tempo unknown: loop on whole-track boundaries, crossfaded like the library's loops
            t = music_library.Track(str(track), mood, 60.0 * 16 / max(1.0, len(audio) / music_library.RATE),
                                    "", "musicapi")
            return {k: v for k, v in music_library.render_track(t, out, seconds).items()
                    if k in ("track_seconds", "loops")}

        return music_api.generate(api, job.store, f"{job.partition}/{job.fingerprint}", mood=mood,  # type: ignore[arg-type]
                                  callback_url=self.callback_url, out_wav=out_wav, duration_s=duration_s,
                                  wait_s=self.wait_s, poll_every_s=self.poll_every_s, fit=fit, log=job.log)

    def describe(self) -> dict:
        return {"provider": self.provider, "model": self.model}


class ElevenLabsMusicProvider(MusicProvider):
    """ElevenLabs music through the SDK (synchronous), looped/trimmed to the video like the library's tracks."""

    provider: ClassVar[str] = "elevenlabs"
    configure_hint: ClassVar[str] = "set ELEVENLABS_API_KEY"

    api_key: str = ""  # dg.EnvVar("ELEVENLABS_API_KEY")
    base_url: Optional[str] = None  # dg.EnvVar("ELEVENLABS_BASE_URL"); tests: the loopback stand-in
    model_id: str = "music_v1"

    def is_configured(self) -> bool:
        return bool(self.api_key)

    def make(self, out_wav: Path, *, duration_s: float, mood: str, seed: str, job: MusicJob) -> dict:
        import hashlib
        import tempfile

        with tempfile.TemporaryDirectory(prefix="elevenlabs-music-") as tmp:
            mp3 = Path(tmp) / "music.mp3"
            facts = music_elevenlabs.compose(mp3, api_key=self.api_key, base_url=self.base_url, duration_s=duration_s,
                                             mood=mood, model_id=self.model_id,
                                             seed=int(hashlib.sha256(seed.encode()).hexdigest()[:6], 16))
            audio = music_library.decode(mp3)
            t = music_library.Track(str(mp3), mood, 60.0 * 16 / max(1.0, len(audio) / music_library.RATE), "",
                                    "elevenlabs")
            fitted = music_library.render_track(t, out_wav, duration_s)
        return {**facts, "track_seconds": fitted["track_seconds"], "loops": fitted["loops"]}

    def describe(self) -> dict:
        return {"provider": self.provider, "model_id": self.model_id}


class MusicProviders(ProviderSet):
    """Music: ``library``, ``composer`` and ``synth`` offline; ``musicapi`` and ``elevenlabs`` when configured."""

    musicapi: MusicApiProvider
    elevenlabs: ElevenLabsMusicProvider
    library: LibraryMusicProvider
    composer: ComposerMusicProvider
    synth: SynthMusicProvider

    @classmethod
    def from_settings(cls, providers: ProviderSettings) -> "MusicProviders":
        s, el = providers.music_api, providers.elevenlabs
        return cls(
            musicapi=MusicApiProvider(
                base_url=dg.EnvVar("MUSIC_API_BASE_URL") if s.configured else None,
                api_key=dg.EnvVar("MUSIC_API_KEY") if s.configured else "",
                callback_url=s.callback_url, wait_s=float(s.wait_s), poll_every_s=float(s.poll_s)),
            elevenlabs=ElevenLabsMusicProvider(api_key=dg.EnvVar("ELEVENLABS_API_KEY") if el.key_set else "",
                                               base_url=dg.EnvVar("ELEVENLABS_BASE_URL") if el.base_url_set else None),
            library=LibraryMusicProvider(), composer=ComposerMusicProvider(), synth=SynthMusicProvider())
