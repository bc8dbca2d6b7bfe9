"""Starting and stopping work through Dagster's own GraphQL API, never around Dagster.

With ``SHORTSMITH_DAGSTER_URL`` (a running dagster-webserver, e.g. http://127.0.0.1:3000) the mutations
go to its /graphql endpoint; otherwise they run in-process against the workspace (workspace.yaml),
as ``dagster-graphql -w`` does. Either way the instance's run coordinator queues the run and the
daemon (``make dev`` or the compose stack) launches it, exactly as a click in the Dagster UI would.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import httpx

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on UnauthorizedError { message }
    ... on PipelineNotFoundError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on InvalidOutputError { invalidOutputName }
    ... on RunConflict { message }
    ... on ConflictingExecutionParamsError { message }
    ... on PresetNotFoundError { message }
    ... on NoModeProvidedError { message }
  }
}"""

TERMINATE = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId) {
    __typename
    ... on TerminateRunSuccess { run { runId status } }
    ... on TerminateRunFailure { message }
    ... on RunNotFoundError { message }
    ... on UnauthorizedError { message }
    ... on PythonError { message }
  }
}"""

LOCATION, REPOSITORY, JOB = "shortsmith", "__repository__", "make_video"


class LaunchError(Exception):
    pass


class Launcher:
    def __init__(self, instance, workspace: Path, url: str | None = None):
        self.instance = instance
        self.workspace = workspace
        self.url = (url or os.environ.get("SHORTSMITH_DAGSTER_URL") or "").rstrip("/")
        self._context = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"Dagster GraphQL at {self.url}/graphql" if self.url else f"in-process Dagster GraphQL ({self.workspace})"

    def _workspace_context(self):
        from dagster._core.workspace.context import WorkspaceProcessContext
        from dagster._core.workspace.load_target import WorkspaceFileTarget

        with self._lock:
            if self._context is None:
                self._context = WorkspaceProcessContext(
                    self.instance, WorkspaceFileTarget(paths=[str(self.workspace)]), read_only=False)
            return self._context

    def close(self) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = None

    def execute(self, query: str, variables: dict) -> dict:
        if self.url:
            resp = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=60)
            resp.raise_for_status()
            body = resp.json()
        else:
            from dagster_graphql.cli import execute_query

            body = execute_query(self._workspace_context(), query, variables)
        if body.get("errors"):
            raise LaunchError("; ".join(e.get("message", "") for e in body["errors"])[:1000])
        return body["data"]

    def launch(self, partition: str, assets: list[str], tags: dict[str, str]) -> str:
        """Launch ``make_video`` for one partition over the given assets; returns the run id."""
        params = {
            "selector": {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "jobName": JOB,
                         "assetSelection": [{"path": [a]} for a in assets]},
            "executionMetadata": {"tags": [{"key": k, "value": v}
                                           for k, v in {**tags, "dagster/partition": partition}.items()]},
            "runConfigData": {},
        }
        out = self.execute(LAUNCH, {"params": params})["launchRun"]
        if out["__typename"] != "LaunchRunSuccess":
            detail = out.get("message") or out.get("errors") or out
            raise LaunchError(f"Dagster did not launch the run ({out['__typename']}): {detail}"[:1000])
        return out["run"]["runId"]

    def terminate(self, run_id: str) -> str:
        out = self.execute(TERMINATE, {"runId": run_id})["terminateRun"]
        if out["__typename"] != "TerminateRunSuccess":
            raise LaunchError(out.get("message") or out["__typename"])
        return out["run"]["status"]
