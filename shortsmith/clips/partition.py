"""A clip as a video partition: its request record, script, voice and stills from the transcript (no Dagster).

``shortsmith clip SOURCE --channel NAME`` (and :func:`plan_clips`) chooses the highlights and gives
each its own video partition ``<channel>--<source-slug>-clip-N`` whose request record holds the
reference and the segment. The existing stages recognise such a partition
(``request["clip"]``) and, instead of writing and speaking a script:

- video_scripts: the script is the segment's sentences (hook = the words of the first ~3 s);
- voiceovers: the source's own audio of the segment, with the transcript's word times;
- scene_images: the face-following crop path of the segment and a still per beat (for the
  thumbnail and the quality score);
- assembled_videos: the segment cut, cropped along the path, captioned and encoded in one
  ffmpeg graph (:mod:`shortsmith.clips.render`);

captions, checks, thumbnail and publishing (with the reference's rights rule) are unchanged.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..config import Channel
from ..errors import InputError, MediaError
from ..ffmpeg import ffmpeg_path
from ..model import Beat, BeatAudio, Script, Voiceover, WordTiming
from ..transcribe import Transcript, Word
from .highlights import Highlight

HOOK_S = 3.0


@dataclass(frozen=True)
class ClipRequest:
    reference: str  # the reference partition
    index: int  # 1-based
    start: float  # seconds in the source
    end: float
    title: str

    @classmethod
    def from_record(cls, record: dict | None) -> "ClipRequest | None":
        if not record or not isinstance(record.get("clip"), dict):
            return None
        c = record["clip"]
        return cls(record["reference"], int(c["index"]), float(c["start"]), float(c["end"]), record.get("topic", ""))


def clip_key(channel: str, reference: str, index: int) -> str:
    slug = reference.split("--", 1)[-1]
    return f"{channel}--{slug}-clip-{index}"


def clip_title(h: Highlight, source_title: str, index: int, limit: int = 90) -> str:
    """The highlight's first sentence (a hook reads best as a title), its first clause when the sentence is
    long, else the source's title and the clip's number."""
    import re

    first = re.split(r"(?<=[.!?])\s", h.text.strip(), maxsplit=1)[0].strip()
    if len(first) > limit:
        first = first.split(",")[0].strip()
    first = first.rstrip(",;:")
    if 12 <= len(first) <= limit:
        return first
    base = (source_title or "Clip").strip()[: limit - 10]
    return f"{base} (part {index})"


def clip_record(channel: str, reference: str, index: int, h: Highlight, title: str) -> dict:
    return {"channel": channel, "topic": title, "source": "clip", "reference": reference,
            "clip": {"index": index, "start": h.start, "end": h.end, "score": h.score, "reasons": h.reasons,
                     "first_sentence": h.first_sentence, "last_sentence": h.last_sentence}}


def _words_in(transcript: Transcript, start: float, end: float) -> list[Word]:
    return [w for w in transcript.words if start <= w.start < end]


def beat_words(transcript: Transcript, start: float, end: float) -> list[tuple[str, list[Word]]]:
    """The segment's words grouped into beats: hook (first words within ~3 s, to a comma when there is
    one), then a beat per sentence: promise, body..., cta (the last)."""
    words = _words_in(transcript, start, end)
    if not words:
        raise MediaError(f"no transcript words between {start:.1f} s and {end:.1f} s", field="clip",
                         fix="re-run the clip command; the transcript or the source changed")
    sentences = [s for s in transcript.sentences() if start <= transcript.words[s.first].start < end]
    groups = [[w for w in transcript.words[s.first:s.last + 1] if start <= w.start < end] for s in sentences]
    groups = [g for g in groups if g]
    first = groups[0]
    n = 1
    while n < len(first) and first[n].end - first[0].start <= HOOK_S:
        n += 1
    commas = [k + 1 for k in range(n) if first[k].word.endswith((",", ";", ":")) and k + 1 < len(first)]
    cut = commas[-1] if commas else n
    hook, rest = first[:cut], first[cut:]
    beats = [hook] + ([rest] if rest else []) + groups[1:]
    kinds = ["hook"] + ["promise"] * (len(beats) > 1) + ["body"] * max(0, len(beats) - 3) + ["cta"] * (len(beats) > 2)
    return list(zip(kinds, beats))


def clip_script(channel: Channel, transcript: Transcript, clip: ClipRequest, *, source_title: str = "",
                uploader: str = "", source: str = "") -> Script:
    beats = beat_words(transcript, clip.start, clip.end)
    credit = f"From: {source_title or source}" + (f" by {uploader}" if uploader else "")
    return Script(
        channel=channel.name, topic=clip.title, title=clip.title[:100],
        description=f"{clip.title}\n{credit}".strip(), tags=list(channel.tags),
        beats=[Beat(kind=k, narration=" ".join(w.word for w in ws),
                    visual_prompt=f"the source video, reframed to 9:16 ({ws[0].start:.1f}-{ws[-1].end:.1f} s)")
               for k, ws in beats],
        words_per_minute=channel.words_per_minute, min_seconds=channel.min_seconds, max_seconds=channel.max_seconds,
        estimated_seconds=round(clip.end - clip.start, 2), writer=f"transcript:{transcript.provider}",
        source=source or clip.reference)


def clip_voiceover(transcript: Transcript, clip: ClipRequest, wav_path: str, sample_rate: int) -> Voiceover:
    """The segment's words, beat by beat as in :func:`clip_script`, timed from the clip's start."""
    out: list[BeatAudio] = []
    for i, (_kind, ws) in enumerate(beat_words(transcript, clip.start, clip.end)):
        timed = [WordTiming(w.word, round(w.start - clip.start, 4), round(min(w.end, clip.end) - clip.start, 4))
                 for w in ws]
        out.append(BeatAudio(index=i, start=timed[0].start, end=timed[-1].end, words=timed, provider="source"))
    return Voiceover(wav_path=wav_path, sample_rate=sample_rate, duration=round(clip.end - clip.start, 4), beats=out,
                     engine=f"source audio ({transcript.provider}:{transcript.model})", timing_source="transcript")


def cut_audio(source: Path, start: float, end: float, dest: Path, rate: int = 48000) -> None:
    """The segment's sound as mono 16-bit WAV (the clip's voice track)."""
    proc = subprocess.run([ffmpeg_path(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-ss", f"{start:.3f}",
                           "-t", f"{end - start:.3f}", "-i", str(source), "-map", "0:a:0", "-ac", "1", "-ar",
                           str(rate), "-c:a", "pcm_s16le", str(dest)], capture_output=True, timeout=600)
    if proc.returncode != 0 or not dest.is_file():
        raise MediaError(f"could not cut the audio of {source}: {proc.stderr.decode(errors='replace')[-300:]}",
                         field="reference_media", fix="re-materialize reference_media; the stored file is damaged")


def still_at(source: Path, t: float, crop_x: int, crop_w: int, crop_h: int, src_h: int, dest: Path,
             size: tuple[int, int]) -> None:
    """The reframed frame at ``t`` seconds of the source as a PNG of ``size``."""
    y = (src_h - crop_h) // 2
    proc = subprocess.run([ffmpeg_path(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-ss", f"{t:.3f}",
                           "-i", str(source), "-frames:v", "1", "-vf",
                           f"crop={crop_w}:{crop_h}:{crop_x}:{y},scale={size[0]}:{size[1]}", str(dest)],
                          capture_output=True, timeout=120)
    if proc.returncode != 0 or not dest.is_file():
        raise InputError(f"no frame at {t:.1f} s of {source}", field="reference_media",
                         fix="the reference has no readable video there; re-fetch it")
