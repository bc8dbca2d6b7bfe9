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



defs = dg.Definitions(assets=[heavy_step, light_step],
                      jobs=[dg.define_asset_job("celery_probe", selection=[heavy_step, light_step])],
                      executor=executor_from_env())
