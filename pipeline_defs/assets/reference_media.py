"""reference_media: a source (URL, page, s3:// object, local file) fetched into the media store, per reference.

The work is ``shortsmith.intake`` (URL safety, caps, retries, resume, commit when complete); this
asset resolves the partition's recorded source, keeps a per-host circuit breaker in the instance's
state table, and shows what was fetched. A reference fetched before (same source, same local file)
is reused.
"""

import dagster as dg

from shortsmith.ffmpeg import probe
from shortsmith.intake import ReferenceMedia
from shortsmith.intake.references import fetch_into_store
from shortsmith.resilience import CircuitBreaker

from ..partitions import references_partitions
from ..resources.storage import MediaStorage
from ..state import StateStore
from .errors import user_errors
from .stage import MEDIA_BACKFILL

CHECK = "playable_reference"


def _check(ref: ReferenceMedia) -> tuple[bool, str]:
    """The stored file is the one fetched (size) and still reads as media of the recorded length."""
    from pathlib import Path

    path = Path(ref.path)
    if not path.is_file() or path.stat().st_size != ref.size_bytes:
        return False, f"{path.name} is missing or not {ref.size_bytes} bytes"
    fmt = probe(path).get("format") or {}
    duration = float(fmt.get("duration") or 0)
    if abs(duration - ref.duration) > 0.5:
        return False, f"{path.name} reads as {duration:.1f} s, recorded {ref.duration:.1f} s"
    return True, f"{path.name}: {ref.content_type}, {duration:.1f} s"


@dg.asset(
    name="reference_media",
    partitions_def=references_partitions,
    backfill_policy=MEDIA_BACKFILL,
    group_name="references",
    kinds={"python"},
    pool="intake",
    description="A reference video or audio fetched safely into the media store (yt-dlp pages and sites, direct "
                "HTTP(S) media, s3:// objects, local files): title, duration, uploader, licence and sizes recorded.",
    check_specs=[dg.AssetCheckSpec(CHECK, asset="reference_media", blocking=True,
                                   description="The stored media is complete and reads as the recorded duration.")],
)
@user_errors
def reference_media(context: dg.AssetExecutionContext, storage: MediaStorage) -> dg.MaterializeResult:
    store = storage.store()
    breaker = CircuitBreaker(StateStore(context.instance))
    ref, reused = fetch_into_store(store, context.partition_key, breaker=breaker, log=context.log.info)
    passed, message = _check(ref)
    return dg.MaterializeResult(
        metadata={
            "source": ref.source,
            "title": ref.title,
            "duration_seconds": round(ref.duration, 2),
            "uploader": ref.uploader,
            "licence": ref.licence or "(none stated)",
            "rights": ref.rights or "(not declared)",
            "content_type": ref.content_type,
            "width": ref.width,
            "height": ref.height,
            "size_bytes": ref.size_bytes,
            "sha256": ref.sha256,
            "path": dg.MetadataValue.path(ref.path),
            "reused": reused,
        },
        check_results=[dg.AssetCheckResult(check_name=CHECK, passed=passed, description=message,
                                           severity=dg.AssetCheckSeverity.ERROR)],
    )
