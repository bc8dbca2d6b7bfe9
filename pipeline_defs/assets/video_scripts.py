"""video_scripts: the structured script of each video (hook, promise, body beats, call to action)."""

from dataclasses import asdict, replace

import dagster as dg

from shortsmith.config import TopicSeed
from shortsmith.model import write_json
from shortsmith.narrative import narrative_from_dict, narrative_script
from shortsmith.script import HOOK_MAX_SECONDS, check_script, hook_rule_applies, script_markdown, spoken_seconds
from shortsmith.sources import source_digest

from ..resources.channels import ChannelsResource
from ..resources.script_writer import ScriptWriters
from ..resources.storage import MediaStorage
from .clip_stages import clip_of, clip_script_result
from .stage import SCRIPT, StageStep, stage_asset
from .trending_topics import trending_topics


@stage_asset(
    SCRIPT,
    deps=[trending_topics],
    kinds={"python"},
    description="A timed script: hook (<= 3 s), value promise, 4-7 body beats, call to action.",
    checks={
        "script_fits_budget": "Structure is complete and the estimated length is inside the channel's target.",
        "hook_within_3s": "The hook can be spoken in at most 3 seconds.",
    },
)
def video_scripts(context: dg.AssetExecutionContext, channels: ChannelsResource, storage: MediaStorage,
                  script_writer: ScriptWriters):
    step = StageStep(context, channels, storage, SCRIPT)
    if (clip := clip_of(step)) is not None:  # a clip of a reference: its script is the transcript's (issue 14)
        return clip_script_result(step, clip)
    video, ch = step.video, step.channel
    # A narrative from the inbox is the script's own words; otherwise the channel's script writer
    # chain writes it (providers.script, e.g. [openai, offline]).
    request = step.store.read_record("requests", step.partition) or {}
    narrative = request.get("narrative")
    seed = video.seed
    if request.get("fact_source"):  # `shortsmith video --source FILE|URL`
        seed = replace(seed or TopicSeed(topic=video.topic), source=request["fact_source"])
    inputs = (video.topic, "narrative" if narrative else list(ch.providers.script), {
        "niche": ch.niche, "wpm": ch.words_per_minute, "min": ch.min_seconds, "max": ch.max_seconds,
        "tags": ch.tags, "cta": ch.call_to_action, "title": ch.title, "style": ch.style.name,
        # only a model reads the guidelines: editing them does not redo offline scripts
        "guidelines": ch.script_guidelines if {"openai", "local"} & set(ch.providers.script) else None,
    }, asdict(seed) if seed else None, source_digest(seed.source if seed else None), narrative)
    if step.reuse(*inputs, complete=lambda manifest: manifest.get("checks_passed", False), what="script"):
        script, manifest = step.script()
        provider = manifest.get("provider", script.writer)
    else:
        if narrative:
            script = narrative_script(ch, narrative_from_dict(narrative), name=f"narrative of {step.partition}")
            provider = "narrative"
        else:
            run = step.run
            outcome = run.chain("script", ch, script_writer,
                                lambda writer: writer.write(ch, video.topic, seed, run.calls))
            script, provider = outcome.value, outcome.provider
        with step.write({"topic": video.topic, "checks_passed": not check_script(script), "provider": provider}) as w:
            write_json(w.path("script.json"), script)
            w.path("script.md").write_text(script_markdown(script), encoding="utf-8")
    problems = check_script(script)
    budget = [p for p in problems if not p.field.startswith("beats[0]")]
    hook_s = spoken_seconds(script.hook.narration, script.words_per_minute)
    checks = {
        "script_fits_budget": (not budget, "; ".join(f"{p.field}: {p.message}" for p in budget)
                               or f"{script.estimated_seconds:.1f} s within {script.min_seconds:.0f}-{script.max_seconds:.0f} s",
                               {"estimated_seconds": script.estimated_seconds}),
        "hook_within_3s": (hook_s <= HOOK_MAX_SECONDS or not hook_rule_applies(script),
                           f"hook takes about {hook_s:.1f} s to say (limit {HOOK_MAX_SECONDS:.0f} s)",
                           {"hook_seconds": round(hook_s, 2)}),
    }
    return step.result({
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
    }, checks)
