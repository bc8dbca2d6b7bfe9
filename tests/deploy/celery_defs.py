"""A small code location for the Celery test: one step on the gpu queue, one on the default queue."""

import os
import socket

import dagster as dg

from pipeline_defs.executors import GPU_OP_TAGS, executor_from_env


def _where() -> dict:
    return {"role": os.environ.get("SHORTSMITH_WORKER_ROLE", "run-worker"), "pid": os.getpid(),
            "host": socket.gethostname()}


@dg.asset(pool="gpu", op_tags=GPU_OP_TAGS)
def heavy_step() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_where())


@dg.asset(deps=[heavy_step])
def light_step() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_where())



def probe_job():
    """Built at call time, so the executor follows the environment the test (or worker) set."""
    return dg.Definitions(assets=[heavy_step, light_step],
                          jobs=[dg.define_asset_job("celery_probe", selection=[heavy_step, light_step])],
                          executor=executor_from_env()).resolve_job_def("celery_probe")


def make_video_job():
    """The real make_video job, built from the environment at call time (SHORTSMITH_EXECUTOR=celery,
    SHORTSMITH_STORAGE=s3, ...) in the test process and in every worker alike."""
    from pipeline_defs.assets import ALL_ASSETS
    from pipeline_defs.definitions import location_resources
    from pipeline_defs.jobs import make_video_job as job

    return dg.Definitions(assets=ALL_ASSETS, jobs=[job], resources=location_resources(),
                          executor=executor_from_env()).resolve_job_def("make_video")
