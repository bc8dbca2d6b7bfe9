"""voiceovers: the narration, spoken beat by beat, with beat and word timings."""

import time

import dagster as dg

from shortsmith.errors import ShortsmithError
from shortsmith.model import write_json
from shortsmith.script import HOOK_MAX_SECONDS, hook_rule_applies

from ..executors import GPU_OP_TAGS
from ..resources.cast_voice import cast_fingerprint, has_cast, speak_cast
from ..resources.channels import ChannelsResource
from ..resources.storage import MediaStorage
from ..resources.transcriber import Transcribers, time_words_from_audio
from ..resources.voice import VoiceProviders
from .clip_stages import clip_of, clip_voice
from .stage import VOICE, StageStep, md_table, stage_asset
from .video_scripts import video_scripts


@stage_asset(
    VOICE,
    deps=[video_scripts],
    kinds={"python", "onnx", "elevenlabs"},
    pool="gpu",
    op_tags=GPU_OP_TAGS,  # the Celery gpu queue / a GPU pod on Kubernetes
    description="TTS per beat (the channel's providers.voice: Piper offline, or ElevenLabs with timestamps), "
                "joined into one track, with word-level timings.",
    checks={"hook_spoken_within_3s": "The spoken hook ends within 3 seconds of its start."},
)
def voiceovers(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
               voice: VoiceProviders, transcriber: Transcribers):
    step = StageStep(context, channels, storage, VOICE)
    ch = step.channel
    script, script_manifest = step.script()
    # the channel's voice chain (providers.voice, e.g. [elevenlabs, piper]) and each configured voice
    chain = {name: (voice.get(name).describe(ch.voice) if voice.get(name) else None) for name in ch.providers.voice}
    if has_cast(script):  # a narrative production: a voice (and a fallback chain) per speaker
        chain = {"channel": chain, "cast": cast_fingerprint(script, ch),
                 "configured": sorted(n for n in ("elevenlabs", "piper") if voice.get(n))}
    if (clip := clip_of(step)) is not None:  # a clip speaks with the source's own sound (issue 14)
        clip_voice(step, clip, script_manifest["fingerprint"])
    elif not step.reuse(script_manifest["fingerprint"], chain, what="voiceover"):
        run = step.run
        started = time.perf_counter()
        with step.write() as w:
            texts = [b.narration for b in script.beats]
            try:
                if has_cast(script):
                    vo, speakers = speak_cast(script, ch, voice, run, w.path("voice.wav"))
                    w.data["speaker_providers"] = speakers
                    w.data["provider"] = "+".join(sorted(set(speakers.values())))
                else:
                    outcome = run.chain("voice", ch, voice, lambda provider: provider.synthesize(
                        texts, w.path("voice.wav"), ch.voice, run.calls))
                    vo = outcome.value
                    w.data["provider"] = outcome.provider
            except ShortsmithError as exc:
                raise exc.in_channel(ch.name) from None  # the same error, its field naming the channel
            # a voice without timestamps gets its word times from its own audio (issue 14)
            vo = time_words_from_audio(vo, w.path("voice.wav"), transcriber, context.log.info)
            vo.wav_path = "voice.wav"
            write_json(w.path("voiceover.json"), vo)
            w.data["synthesis_seconds"] = round(time.perf_counter() - started, 2)
        context.log.info(f"synthesized {vo.duration:.1f} s of speech in {time.perf_counter() - started:.1f} s")
    vo, manifest = step.voiceover()
    hook = vo.beats[0]
    hook_s = hook.end - hook.start
    rows = [[b.index + 1, script.beats[b.index].kind, b.speaker or "-", b.provider or "-", f"{b.start:.2f}",
             f"{b.end:.2f}", len(b.words), " ".join(w.word for w in b.words[:6]) + (" ..." if len(b.words) > 6 else "")]
            for b in vo.beats]
    checks = {"hook_spoken_within_3s": (hook_s <= HOOK_MAX_SECONDS or not hook_rule_applies(script),
                                        f"the hook is spoken in {hook_s:.2f} s (limit {HOOK_MAX_SECONDS:.0f} s)",
                                        {"hook_seconds": round(hook_s, 3)})}
    return step.result({
        "duration_seconds": round(vo.duration, 2),
        "engine": vo.engine,
        "timing_source": vo.timing_source,
        "beat_timings": dg.MetadataValue.md(md_table(["beat", "kind", "speaker", "provider", "start s", "end s",
                                                      "words", "text"], rows)),
        **({"speaker_providers": manifest["speaker_providers"]} if manifest.get("speaker_providers") else {}),
        "words": sum(len(b.words) for b in vo.beats),
        "synthesis_seconds": manifest.get("synthesis_seconds"),
        "provider": manifest.get("provider", "piper"),
    }, checks)
