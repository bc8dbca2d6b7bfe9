"""The silences of a voiceover, shared by the script's duration budget and every voice engine.

The script writer budgets a Short's length with the same silences the voice stage puts in, so the
estimate and the spoken track agree.
"""

LEAD_IN_S = 0.15  # silence before the first beat
PAUSE_BETWEEN_BEATS_S = 0.35  # silence between two beats
TAIL_S = 0.0  # silence after the last beat (the renderer adds its own picture tail)
