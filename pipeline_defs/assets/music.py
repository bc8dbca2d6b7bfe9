"""music: a background bed as long as the video, from the channel's music chain, mixed under the voice."""

import time

import dagster as dg

from shortsmith.errors import ShortsmithError
from shortsmith.music_library import script_mood
from shortsmith.render import video_duration

from ..resources.channels import ChannelsResource
from ..resources.music_provider import MusicJob, MusicProviders
from ..resources.renderer import RendererSettings
from ..resources.storage import MediaStorage
from ..state import StateStore
from .stage import MUSIC, StageStep, stage_asset
from .voiceovers import voiceovers


@stage_asset(MUSIC, deps=[voiceovers], kinds={"python"},
             description="A music bed for the whole video in the script's mood: the channel's providers.music "
                         "(offline: a library track looped on phrases, else a composed piece, else a synthesized bed; "
                         "or an asynchronous AI provider answering through the studio's signed webhook).")
def music(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
          music_provider: MusicProviders, renderer: RendererSettings) -> dg.MaterializeResult:
    step = StageStep(context, channels, storage, MUSIC)
    ch = step.channel
    vo, _ = step.voiceover()
    script, _ = step.script()
    duration = video_duration(vo, renderer.settings())
    mood = script_mood(" ".join([script.title] + [b.narration for b in script.beats]), ch.music_mood)
    chain = {name: (music_provider.get(name).describe() if music_provider.get(name) else None)  # type: ignore[union-attr]
             for name in ch.providers.music}
    if not step.reuse(round(duration, 3), mood, step.partition, chain, ch.music_library):
        run = step.run
        started = time.perf_counter()
        with step.write({"duration_seconds": duration, "mood": mood}) as w:
            job = MusicJob(partition=step.partition, fingerprint=step.fp or "", library=ch.music_library,
                           store=StateStore(context.instance), log=context.log.info)
            try:
                outcome = run.chain("music", ch, music_provider, lambda p: p.make(
                    w.path("music.wav"), duration_s=duration, mood=mood, seed=step.partition, job=job))
            except ShortsmithError as exc:
                raise exc.in_channel(ch.name) from None
            w.data.update(outcome.value)
            w.data["provider"] = outcome.provider
            w.data["music_seconds"] = round(time.perf_counter() - started, 2)
        context.log.info(f"music by {outcome.provider} in {time.perf_counter() - started:.1f} s")
    m = step.manifest or {}
    meta = {"duration_seconds": round(duration, 2), "mood": mood, "provider": m.get("provider", "synth"),
            "licence": m.get("licence", ""), "music_seconds": m.get("music_seconds")}
    for key in ("track", "source", "bpm", "key", "loops", "task_id", "result_via"):
        if m.get(key) is not None:
            meta[key] = m[key]
    return step.result(meta)
