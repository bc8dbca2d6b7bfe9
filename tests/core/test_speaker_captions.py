"""Captions of a narrative highlight each speaker's words in that speaker's colour."""

from __future__ import annotations

from shortsmith.captions import CaptionStyle, ass_colour, caption_cues
from shortsmith.model import BeatAudio, Voiceover, WordTiming


def test_each_speakers_words_are_highlighted_in_their_colour():
    beats = [BeatAudio(index=0, start=0.1, end=1.0, speaker="NARRATOR",
                       words=[WordTiming("The", 0.1, 0.3), WordTiming("message.", 0.3, 1.0)]),
             BeatAudio(index=1, start=1.4, end=2.2, speaker="OPERATOR",
                       words=[WordTiming("Not", 1.4, 1.7), WordTiming("ours.", 1.7, 2.2)]),
             BeatAudio(index=2, start=2.6, end=3.0, speaker="",
                       words=[WordTiming("End.", 2.6, 3.0)])]
    vo = Voiceover(wav_path="v.wav", sample_rate=22050, duration=3.2, beats=beats, engine="x", timing_source="alignment")
    style = CaptionStyle(highlight_colour="#f59e0b", speaker_colours=(("NARRATOR", "#a3e635"), ("OPERATOR", "#fca5a5")))
    cues = caption_cues(vo, style=style, width=360, height=640)
    colour = {c.beat: c.text for c in cues}
    assert ass_colour("#a3e635") in colour[0] and ass_colour("#fca5a5") in colour[1]
    assert ass_colour("#f59e0b") in colour[2]  # no speaker: the channel's highlight
    assert ass_colour("#a3e635") not in colour[1]
