"""Music that fits the video: library tracks looped without a click and with their licence; composed
music that differs by mood and is the same for the same partition."""

from __future__ import annotations

import numpy as np
import pytest

from shortsmith import music_composer, music_library
from shortsmith.errors import ConfigError
from shortsmith.voice.wav import read_wav

RATE = music_library.RATE


def click_ratio(x: np.ndarray, i: int, rate: int = RATE) -> float:
    """The largest second difference within 2 ms of sample ``i`` against the signal's own 99.9th percentile
    of it: a click (a step or a kink in the waveform) is a spike far above anything the music does itself."""
    d2 = np.abs(np.diff(x, 2))
    w = int(0.002 * rate)
    return float(d2[max(0, i - w): i + w].max() / np.percentile(d2, 99.9))


def test_click_measure_catches_a_hard_splice():
    t = np.arange(2 * RATE) / RATE
    tone = 0.5 * np.sin(2 * np.pi * 220 * t)
    spliced = np.concatenate([tone[: int(0.7 * RATE) + 37], tone[: RATE]])  # cut mid-cycle
    assert click_ratio(spliced, int(0.7 * RATE) + 37) > 5  # the measure sees a click ...
    assert click_ratio(tone, int(0.7 * RATE) + 37) < 1.5  # ... and none in the unbroken tone


def test_loop_crossfades_where_a_butted_loop_would_click():
    t = np.arange(int(3.3 * RATE)) / RATE
    tone = np.stack([0.5 * np.sin(2 * np.pi * 223.3 * t)] * 2, axis=1)  # not whole cycles per phrase
    looped, seams = music_library.loop_to(tone, 8.0, phrase_s=1.5)  # 2 phrases of 1.5 s, then again
    assert seams == [3.0, 6.0]
    for seam in seams:
        assert click_ratio(looped[:, 0], int(seam * RATE)) < 1.5
    butted = np.concatenate([tone[: 3 * RATE, 0], tone[: 3 * RATE, 0]])
    assert click_ratio(butted, 3 * RATE) > 5


def test_bundled_track_shorter_than_the_video_loops_on_phrases_without_a_click(tmp_path):
    tracks = music_library.bundled_tracks()
    assert len(tracks) == 28 and {t.mood for t in tracks} == {"calm", "energetic", "happy", "nostalgic", "tender"}
    track = music_library.pick(tracks, "calm", 62.0, "curious-minds--why-is-the-sky-blue")
    assert track.mood in ("calm", "tender") and track.licence.startswith("MIT")
    facts = music_library.render_track(track, tmp_path / "m.wav", 62.0)
    audio, rate = read_wav(tmp_path / "m.wav")
    assert rate == RATE and abs(len(audio) / rate - 62.0) < 0.01
    assert facts["loops"] >= 1 and facts["licence"] == track.licence and facts["track"].endswith(".opus")
    for seam in facts["seams_s"]:
        assert abs(seam / track.phrase_s - round(seam / track.phrase_s)) < 1e-3  # on a phrase boundary
        assert click_ratio(audio.astype(np.float64), int(round(seam * rate))) < 1.5, seam
    # the naive loop (the track butted against itself) for comparison, measured the same way
    raw = music_library.decode(track.path)[:, 0]
    body = int(round(facts["seams_s"][0] * rate))
    naive = np.concatenate([raw[:body], raw[:body]])
    print("click ratio at the seam: crossfaded",
          [round(click_ratio(audio.astype(np.float64), int(round(s * rate))), 2) for s in facts["seams_s"]],
          "naive", round(click_ratio(naive, body), 2))


def test_user_library_comes_first_and_its_manifest_is_checked(tmp_path):
    t = np.arange(int(3.0 * RATE)) / RATE
    from shortsmith.voice.wav import write_wav
    write_wav(tmp_path / "mine.wav", np.stack([0.3 * np.sin(2 * np.pi * 330 * t)] * 2, axis=1), RATE)
    (tmp_path / "tracks.yaml").write_text("tracks:\n  - {file: mine.wav, mood: calm, bpm: 80, licence: 'CC0 (mine)'}\n")
    tracks = music_library.user_tracks(tmp_path) + music_library.bundled_tracks()
    chosen = music_library.pick(tracks, "calm", 10.0, "x")
    assert chosen.source == "user" and chosen.licence == "CC0 (mine)"
    (tmp_path / "tracks.yaml").write_text("tracks:\n  - {file: mine.wav, mood: calm, bpm: 80}\n")
    with pytest.raises(ConfigError) as e:
        music_library.user_tracks(tmp_path)
    assert e.value.field == "tracks.yaml: tracks[0].licence"


def test_script_mood_follows_the_words_else_the_channel():
    assert music_library.script_mood("The secret of the ancient ghost ship that vanished", "calm") == "mysterious"
    assert music_library.script_mood("Photosynthesis turns light into sugar", "upbeat") == "upbeat"


needs_soundfont = pytest.mark.skipif(not music_composer.available(), reason="no GM soundfont / tinysoundfont")


@needs_soundfont
def test_composer_moods_differ_and_the_same_partition_gives_the_same_audio(tmp_path):
    facts = {}
    audio = {}
    for mood in ("calm", "upbeat"):
        facts[mood] = music_composer.render(tmp_path / f"{mood}.wav", 6.0, mood=mood, seed="ch--topic")
        audio[mood], _ = read_wav(tmp_path / f"{mood}.wav")
    again = music_composer.render(tmp_path / "calm2.wav", 6.0, mood="calm", seed="ch--topic")
    assert (tmp_path / "calm2.wav").read_bytes() == (tmp_path / "calm.wav").read_bytes() and again == facts["calm"]

    def centroid(x):
        spec = np.abs(np.fft.rfft(x))
        return float((spec * np.fft.rfftfreq(len(x), 1 / RATE)).sum() / spec.sum())

    def tempo(x):  # the autocorrelation peak of the onset strength (log-energy rises), 50-180 bpm
        env = np.sqrt((x[: len(x) // 480 * 480].reshape(-1, 480) ** 2).mean(axis=1))
        flux = np.maximum(np.diff(np.log(env + 1e-4)), 0)
        flux -= flux.mean()
        ac = np.correlate(flux, flux, "full")[len(flux) - 1:]
        lo, hi = int(100 * 60 / 180), int(100 * 60 / 50)
        return 6000 / (lo + int(np.argmax(ac[lo:hi])))

    assert facts["upbeat"]["bpm"] > facts["calm"]["bpm"] + 30
    assert centroid(audio["upbeat"]) > 1.5 * centroid(audio["calm"])
    measured = {mood: tempo(audio[mood]) for mood in audio}
    assert abs(measured["upbeat"] / facts["upbeat"]["bpm"] - 1) < 0.05, measured
    assert measured["upbeat"] - measured["calm"] > 25, measured
    other = music_composer.render(tmp_path / "other.wav", 6.0, mood="calm", seed="ch--another-topic")
    assert (tmp_path / "other.wav").read_bytes() != (tmp_path / "calm.wav").read_bytes() or other != facts["calm"]


def test_channel_music_config_default_chain_and_library_folder(tmp_path):
    from shortsmith.config import load_channels
    from tests.conftest import write_channels

    ch = load_channels(write_channels(tmp_path / "c.yaml")).channels[0]
    assert ch.providers.music == ("library", "composer", "synth") and ch.music_library is None
    assert not ch.providers.cloud  # the default music chain is offline
    ch = load_channels(write_channels(tmp_path / "c.yaml", music={"mood": "upbeat", "library": "tracks"},
                                      providers={"music": ["musicapi", "library"]})).channels[0]
    assert ch.music_library == str((tmp_path / "tracks").resolve()) and ch.providers.cloud
    with pytest.raises(ConfigError) as e:
        load_channels(write_channels(tmp_path / "c.yaml", music={"mood": "calm", "folder": "x"}))
    assert "music" in e.value.field
