"""Speaking a narrative production: each speaker with their own voice and fallback chain.

The beats are grouped by speaker; each speaker's lines are one take, made by the first provider
of that cast member's ``voices`` chain that works (ElevenLabs with the member's voice id, then
Piper with the member's derived voice). A provider that fails for one speaker (after its own
retries) leaves the others alone: they keep their first choice. Lines without a speaker, or a
speaker not in the cast, use the channel's own voice chain (providers.voice, voice:). The takes
are joined in script order (:func:`shortsmith.voice.speakers.join_speakers`); every voiced beat
records its speaker and the provider that spoke it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from pathlib import Path

from shortsmith.config import Channel
from shortsmith.model import Script, Voiceover
from shortsmith.resilience import run_chain
from shortsmith.voice.speakers import Take, join_speakers, speak_piper_member

from ..providers import ProviderRun
from .voice import VoiceProviders


def has_cast(script: Script) -> bool:
    return any(b.speaker for b in script.beats)


def cast_fingerprint(script: Script, ch: Channel) -> dict:
    """What decides a production's voices: each speaking member's chain and voices."""
    cast = ch.productions.cast_for(script.series)
    return {s: asdict(cast[s]) if s in cast else None for s in sorted({b.speaker for b in script.beats})}


def _slug(speaker: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", speaker.lower()).strip("-") or "channel"


def speak_cast(script: Script, ch: Channel, voice: VoiceProviders, run: ProviderRun, out_wav: Path
               ) -> tuple[Voiceover, dict[str, str]]:
    """The whole voice track in ``out_wav``, and which provider spoke each speaker."""
    cast = ch.productions.cast_for(script.series)
    groups: dict[str, list[int]] = {}
    for i, beat in enumerate(script.beats):
        groups.setdefault(beat.speaker, []).append(i)
    takes: list[Take] = []
    try:
        for speaker, indices in groups.items():
            texts = [script.beats[i].narration for i in indices]
            take_wav = Path(out_wav).with_name(f"take-{_slug(speaker)}.wav")
            member = cast.get(speaker)
            if member is None:
                outcome = run.chain("voice", ch, voice, lambda p, t=texts, w=take_wav: p.synthesize(t, w, ch.voice, run.calls))
            else:
                candidates = []
                for name in member.voices:
                    if name == "piper":
                        candidates.append((name, lambda t=texts, w=take_wav, m=member: speak_piper_member(
                            t, w, m.piper, fallback=ch.voice.fallback)))
                        continue
                    impl = voice.get(name)
                    settings = replace(ch.voice, elevenlabs=member.elevenlabs or ch.voice.elevenlabs)
                    candidates.append((name, None if impl is None else (
                        lambda p=impl, t=texts, w=take_wav, s=settings: p.synthesize(t, w, s, run.calls))))
                outcome = run_chain("voice", candidates, breaker=run.breaker, log=run.log,
                                    unconfigured_fix=voice.unconfigured_hints())
                if outcome.skipped:
                    run.log(f"voice for {speaker} made by {outcome.provider} after skipping: "
                            + "; ".join(f"{n} ({w})" for n, w in outcome.skipped))
            takes.append(Take(speaker=speaker, provider=outcome.provider, indices=indices, voiceover=outcome.value,
                              wav=take_wav))
        vo = join_speakers(takes, len(script.beats), Path(out_wav))
    finally:
        for take in takes:
            take.wav.unlink(missing_ok=True)
    return vo, {t.speaker or "(channel voice)": t.provider for t in takes}
