"""video_scripts: the structured script of each video (hook, promise, body beats, call to action)."""


from dataclasses import asdict, replace

import dagster as dg

from shortsmith.config import TopicSeed
from shortsmith.model import write_json
from shortsmith.narrative import narrative_from_dict, narrative_script
from shortsmith.script import HOOK_MAX_SECONDS, check_script, script_markdown, spoken_seconds
from shortsmith.sources import source_digest
from shortsmith.storage import fingerprint

from .errors import user_errors
from ..partitions import videos_partitions
from ..resources.channels import ChannelsResource
from ..providers import provider_run
from ..resources.chains import ScriptWriters
from ..resources.storage import MediaStorage
from .common import MEDIA_BACKFILL, GROUP, SCRIPT, check_results, load_script, record_cost, resolve_video, stage_cost
from .trends import trending_topics


@dg.asset(
    partitions_def=videos_partitions,
    backfill_policy=MEDIA_BACKFILL,
    deps=[trending_topics],
    group_name=GROUP,
    kinds={"python"},
    description="A timed script: hook (<= 3 s), value promise, 4-7 body beats, call to action.",
    check_specs=[
        dg.AssetCheckSpec("script_fits_budget", asset="video_scripts", blocking=True,
                          description="Structure is complete and the estimated length is inside the channel's target."),
        dg.AssetCheckSpec("hook_within_3s", asset="video_scripts", blocking=True,
                          description="The hook can be spoken in at most 3 seconds."),
    ],
)
@user_errors
def video_scripts(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
                  script_writer: ScriptWriters):
    video = resolve_video(context.partition_key, channels, storage)
    store, partition, ch = video.store, video.partition, video.channel
    # A narrative from the inbox is the script's own words; otherwise the channel's script writer
    # chain writes it (providers.script, e.g. [openai, offline]).
    request = store.read_record("requests", partition) or {}
    narrative = request.get("narrative")
    seed = video.seed
    if request.get("fact_source"):  # `shortsmith video --source FILE|URL`
        seed = replace(seed or TopicSeed(topic=video.topic), source=request["fact_source"])
    fp = fingerprint("script-v1", video.topic, "narrative" if narrative else list(ch.providers.script), {
        "niche": ch.niche, "wpm": ch.words_per_minute, "min": ch.min_seconds, "max": ch.max_seconds,
        "tags": ch.tags, "cta": ch.call_to_action, "title": ch.title, "style": ch.style.name,
        # only a model reads the guidelines: editing them does not redo offline scripts
        "guidelines": ch.script_guidelines if {"openai", "local"} & set(ch.providers.script) else None,
    }, asdict(seed) if seed else None, source_digest(seed.source if seed else None), narrative)
    manifest = store.reusable(partition, SCRIPT, fp)
    reused = manifest is not None and manifest.get("checks_passed", False)
    run = provider_run(context, channels.config.pricing)
    if reused:
        script, _ = load_script(store, partition)
        context.log.info(f"reusing the script already written for {partition}")
        provider = manifest.get("provider", script.writer)
    else:
        if narrative:
            script = narrative_script(ch, narrative_from_dict(narrative), name=f"narrative of {partition}")
            provider = "narrative"
        else:
            outcome = run.chain("script", ch, script_writer,
                                lambda writer: writer.write(ch, video.topic, seed, run.calls))
            script, provider = outcome.value, outcome.provider
        problems = check_script(script)
        with store.write_stage(partition, SCRIPT, fp, {"topic": video.topic, "checks_passed": not problems,
                                                       "provider": provider, "cost": run.meter.as_dict()}) as w:
            write_json(w.path("script.json"), script)
            w.path("script.md").write_text(script_markdown(script), encoding="utf-8")
        manifest = store.require(partition, SCRIPT)
    problems = check_script(script)
    budget = [p for p in problems if not p.field.startswith("beats[0]")]
    hook_s = spoken_seconds(script.hook.narration, script.words_per_minute)
    checks = {
        "script_fits_budget": (not budget, "; ".join(f"{p.field}: {p.message}" for p in budget)
                               or f"{script.estimated_seconds:.1f} s within {script.min_seconds:.0f}-{script.max_seconds:.0f} s",
                               {"estimated_seconds": script.estimated_seconds}),
        "hook_within_3s": (hook_s <= HOOK_MAX_SECONDS,
                           f"hook takes about {hook_s:.1f} s to say (limit {HOOK_MAX_SECONDS:.0f} s)",
                           {"hook_seconds": round(hook_s, 2)}),
    }
    return dg.MaterializeResult(
        metadata={
            "title": script.title,
            "topic": video.topic,
            "topic_source": video.source,
            "script": dg.MetadataValue.md(script_markdown(script)),
            "beats": len(script.beats),
            "words": script.word_count,
            "estimated_seconds": script.estimated_seconds,
            "writer": script.writer,
            "facts_source": script.source or ("narrative" if narrative else "model"),
            "provider": provider,
            "reused": reused,
            **record_cost(context, channels, ch, "video_scripts", partition, run.meter),
            "stage_cost_usd": stage_cost(manifest)["total_usd"],
        },
        check_results=check_results(checks, "video_scripts"),
    )
