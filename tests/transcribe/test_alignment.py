"""Word timings for a voice without timestamps, from aligning its audio's transcript with the known text."""

from __future__ import annotations

import numpy as np

from shortsmith.model import BeatAudio, Voiceover, WordTiming
from shortsmith.transcribe import Word
from shortsmith.transcribe.align import align_known_words, align_voiceover
from shortsmith.voice.alignment import spread


def test_misheard_and_missing_words_fill_between_anchors():
    known = "It uses copper instead of iron".split()
    heard = [Word("It", 1.0, 1.2), Word("uses", 1.2, 1.5), Word("cooper", 1.5, 1.9), Word("instead", 1.9, 2.3),
             Word("iron.", 2.5, 2.9)]
    spans, share = align_known_words(known, heard, 0.9, 3.0)
    assert share == 4 / 6
    assert spans[0] == (1.0, 1.2) and spans[3] == (1.9, 2.3) and spans[5] == (2.5, 2.9)
    assert spans[1][1] <= spans[2][0] + 1e-6 and 1.5 <= spans[2][0] and spans[2][1] <= 1.9  # between neighbours
    assert 2.3 <= spans[4][0] and spans[4][1] <= 2.5
    starts = [s for s, _ in spans]
    assert starts == sorted(starts)


def test_alignment_beats_letter_weights_on_real_speech(talk, local_transcript):
    """A voice that gives no times (simulated: letters spread over each sentence, what espeak gets) is
    re-timed from the transcript; Piper's phoneme alignment is the truth."""
    truth = talk["word_times"]
    words = [w for w, _ in truth]
    # beats of three sentences (pauses inside, as in a narrated beat), spanning Piper's speech of them
    beats, first, sentences = [], 0, 0
    for i, w in enumerate(words):
        if w.endswith((".", "?")):
            sentences += 1
            if sentences % 3 and i < len(words) - 1:
                continue
            start, end = truth[first][1][0], truth[i][1][1]
            spans = spread([len(x) for x in words[first:i + 1]], start, end)
            beats.append(BeatAudio(len(beats), start, end,
                                   [WordTiming(x, a, b) for x, (a, b) in zip(words[first:i + 1], spans)]))
            first = i + 1
    vo = Voiceover(str(talk["wav"]), 22050, talk["duration"], beats, "a-voice-without-times", "character-weights")
    aligned, heard = align_voiceover(vo, local_transcript)
    assert aligned.timing_source == "asr-alignment" and heard > 0.9
    before = [w.start for b in vo.beats for w in b.words]
    after = [w.start for b in aligned.beats for w in b.words]
    real = [a for _, (a, _b) in truth]
    err_before, err_after = np.abs(np.subtract(before, real)), np.abs(np.subtract(after, real))
    print(f"\nmean start error: letter weights {err_before.mean():.3f} s, aligned {err_after.mean():.3f} s; "
          f"p90 {np.percentile(err_before, 90):.3f} -> {np.percentile(err_after, 90):.3f}")
    # measured: 0.152 s -> 0.062 s mean, p90 0.32 -> 0.13 s
    assert err_after.mean() < 0.1 and err_after.mean() < 0.6 * err_before.mean()
    assert np.percentile(err_after, 90) < 0.2
    assert after == sorted(after)


def test_the_voice_stage_retimes_a_voice_without_timestamps(tmp_path):
    """What the voiceovers asset does for espeak-ng (letter-weighted times): word times from the audio."""
    from pipeline_defs import settings
    from pipeline_defs.resources.transcriber import Transcribers, time_words_from_audio
    from shortsmith.voice.piper import VoiceSpec, load_piper, synthesize_piper
    from shortsmith.voice.wav import write_wav

    words = "Honey bees dance to share directions. The angle of the dance points to the flowers.".split()
    spec = VoiceSpec()
    voice = load_piper(spec)
    audio, truth, _ = synthesize_piper(voice, words, spec)
    wav = tmp_path / "voice.wav"
    write_wav(wav, audio, int(voice.config.sample_rate))
    spans = spread([len(w) for w in words], truth[0][0], truth[-1][1])
    beat = BeatAudio(0, truth[0][0], truth[-1][1], [WordTiming(w, a, b) for w, (a, b) in zip(words, spans)])
    vo = Voiceover("voice.wav", 22050, len(audio) / 22050, [beat], "espeak-ng", "character-weights")
    logs: list[str] = []
    out = time_words_from_audio(vo, wav, Transcribers.from_settings(settings.load({}).providers), logs.append)
    assert out.timing_source == "asr-alignment" and out.wav_path == "voice.wav" and "heard" in logs[-1]
    before = np.abs(np.subtract([w.start for w in beat.words], [a for a, _ in truth])).mean()
    after = np.abs(np.subtract([w.start for w in out.beats[0].words], [a for a, _ in truth])).mean()
    assert after < 0.1 and after < before
    # a voice with real timestamps is left alone
    exact = Voiceover("voice.wav", 22050, 1.0, [beat], "piper", "alignment")
    assert time_words_from_audio(exact, wav, Transcribers.from_settings(settings.load({}).providers)) is exact
