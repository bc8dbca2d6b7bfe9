"""What the studio shows of a video: read from the Dagster instance (runs, materializations, checks) and the
media store (stage manifests and files). Nothing here launches or changes anything."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRunStatus

# asset -> its folder in the media store (pipeline_defs/assets/common.py), in graph order
STAGES = [("video_scripts", "script"), ("voiceovers", "voice"), ("scene_images", "scenes"),
          ("captions", "captions"), ("music", "music"), ("assembled_videos", "video"),
          ("thumbnails", "thumbnail"), ("published_uploads", None)]
STAGE_NAMES = [a for a, _ in STAGES]
PARTITIONS = "videos"
ACTIVE = {DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
          DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING}
CHECK_EVENT = dg.DagsterEventType.ASSET_CHECK_EVALUATION


def _value(v):
    v = getattr(v, "value", v)
    return v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)


@dataclass
class Reader:
    instance: dg.DagsterInstance
    store: object  # shortsmith.storage.LocalMediaStore or S3MediaStore

    def partitions(self, channel: str | None = None) -> list[str]:
        keys = self.instance.get_dynamic_partitions(PARTITIONS)
        return [k for k in keys if channel is None or k.startswith(f"{channel}--")]

    def exists(self, partition: str) -> bool:
        return self.instance.has_dynamic_partition(PARTITIONS, partition)

    def runs(self, partition: str, limit: int = 10):
        return self.instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": partition}), limit=limit)

    def latest_meta(self, asset: str, partition: str) -> tuple[dict, float | None, str | None]:
        records = self.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition]), limit=1).records
        if not records:
            return {}, None, None
        mat = records[0].asset_materialization
        return ({k: _value(v) for k, v in (mat.metadata or {}).items()}, records[0].timestamp, records[0].run_id)

    def checks(self, runs) -> list[dict]:
        """The latest evaluation of each check across the partition's recent runs."""
        seen: dict[str, dict] = {}
        for run in runs:  # newest first
            for rec in self.instance.all_logs(run.run_id, of_type=CHECK_EVENT):
                data = rec.dagster_event.event_specific_data
                name = data.check_name
                if name in seen and seen[name]["_ts"] > rec.timestamp:
                    continue
                seen[name] = {"asset": data.asset_key.to_user_string(), "check": name, "passed": bool(data.passed),
                              "description": data.description or "", "_ts": rec.timestamp}
        return [{k: v for k, v in c.items() if k != "_ts"} for c in seen.values()]

    def files(self, partition: str, stage: str | None) -> dict[str, int]:
        if stage is None:
            return {}
        manifest = self.store.manifest(partition, stage) or {}
        return {name: int((info or {}).get("size", 0)) for name, info in (manifest.get("files") or {}).items()}

    def summary(self, partition: str, approval: dict | None = None, detail: bool = False) -> dict:
        """The video as the gallery and the API show it; ``detail`` adds stages, checks and runs."""
        channel = partition.split("--", 1)[0]
        runs = list(self.runs(partition, limit=10 if detail else 3))
        script_meta, _, _ = self.latest_meta("video_scripts", partition)
        request = self.store.read_record("requests", partition) or {}
        pub, pub_ts, _ = self.latest_meta("published_uploads", partition)
        stages, cost = [], 0.0
        for asset, folder in STAGES:
            meta, ts, run_id = self.latest_meta(asset, partition)
            cost += float(meta.get("cost_usd") or 0.0) if asset != "published_uploads" else 0.0
            if detail:
                stages.append({"stage": asset, "materialized": ts is not None, "at": ts, "run_id": run_id,
                               "reused": bool(meta.get("reused")), "provider": str(meta.get("provider") or ""),
                               "files": [{"name": n, "size_bytes": s,
                                          "url": f"/media/{partition}/{folder}/{n}"}
                                         for n, s in sorted(self.files(partition, folder).items())]})
        checks = self.checks(runs) if detail or runs else []
        state, why = self._state(runs, checks, pub, approval)
        thumb = self.files(partition, "thumbnail")
        url = str(pub.get("url") or "")
        out = {
            "partition": partition, "channel": channel,
            "title": str(script_meta.get("title") or request.get("topic") or partition.split("--", 1)[-1]),
            "topic": str(request.get("topic") or script_meta.get("topic") or ""),
            "state": state, "detail": why,
            # a local channel folder's file:// link opens in no browser: the API and pages give web links only
            "published_url": url if state == "published" and url.startswith(("http://", "https://")) else "",
            "deferred_until": str(pub.get("deferred_until") or "") if state == "deferred" else "",
            "cost_usd": round(cost, 6),
            "thumbnail_url": f"/media/{partition}/thumbnail/thumbnail.jpg" if "thumbnail.jpg" in thumb else "",
            "video_url": f"/media/{partition}/video/video.mp4" if "video.mp4" in self.files(partition, "video") else "",
            "review": (approval or {}).get("state", ""),
            "latest_run": ({"run_id": runs[0].run_id, "status": runs[0].status.value,
                            "source": runs[0].tags.get("shortsmith/source", "")} if runs else None),
        }
        if detail:
            out["stages"] = stages
            out["checks"] = checks
            out["runs"] = [{"run_id": r.run_id, "status": r.status.value, "source": r.tags.get("shortsmith/source", ""),
                            "assets": sorted(k.to_user_string() for k in (r.asset_selection or []))} for r in runs]
            out["note"] = (approval or {}).get("note", "")
        return out

    @staticmethod
    def _state(runs, checks, pub: dict, approval: dict | None) -> tuple[str, str]:
        if runs and runs[0].status in ACTIVE:
            return "making", f"run {runs[0].run_id[:8]} is {runs[0].status.value.lower()}"
        failed = [c for c in checks if not c["passed"]]
        if failed:
            return "checks_failed", "; ".join(f"{c['check']}: {c['description']}" for c in failed)
        status = pub.get("status")
        if approval and approval.get("state") == "rejected":
            return "rejected", approval.get("note") or "rejected in review"
        if status in ("published", "already_published"):
            where = str(pub.get("url") or "")
            return "published", (f"published to the local channel folder {pub.get('folder')}"
                                 if where.startswith("file://") else f"published: {where}")
        if status == "awaiting_approval":
            if approval and approval.get("state") == "approved":
                return "approved", "approved; publishing"
            return "awaiting_approval", "approve or reject it"
        if status == "deferred":
            return "deferred", str(pub.get("reason") or "")
        if runs and runs[0].status == DagsterRunStatus.FAILURE:
            return "failed", f"run {runs[0].run_id[:8]} failed"
        if runs and runs[0].status == DagsterRunStatus.CANCELED:
            return "canceled", f"run {runs[0].run_id[:8]} was canceled"
        return "not_started", "no run has finished it yet"

    def events_after(self, run_id: str, cursor: int) -> list[dict]:
        """The run's step events after ``cursor`` (an index into its log), as SSE payloads."""
        out = []
        for i, rec in enumerate(self.instance.all_logs(run_id)):
            if i < cursor:
                continue
            ev = rec.dagster_event
            msg = rec.user_message or ""
            if ev is None and not msg:
                continue
            out.append({"i": i, "at": rec.timestamp, "step": rec.step_key or "",
                        "event": ev.event_type_value if ev else "LOG", "message": msg[:500]})
        return out
