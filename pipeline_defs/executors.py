"""The executor that runs a run's steps, chosen by configuration (SHORTSMITH_EXECUTOR).

- ``in_process`` (default): every step in the run's own process, as ``shortsmith video`` runs them;
  steps in the ``gpu`` pool still wait for its slots. On one machine the heavy steps take turns in
  that pool anyway, so a process per step only added its start (Python, Dagster and the models
  imported again for each of ten steps): 8 Shorts through the queue and daemon took 655 s with
  ``multiprocess`` and 530 s in process (``bench/bench_throughput.py``, 2 cores, same day).
- ``multiprocess``: one process per step on this machine, started with ``spawn`` (safe with
  threads, ONNX runtime and CUDA); a step that crashes its process leaves the run worker alive.
- ``celery``: steps become Celery tasks on a broker (RabbitMQ or Redis); workers listen on
  queues; heavy steps carry ``GPU_OP_TAGS`` and go to the ``gpu`` queue that only GPU nodes serve:
      dagster-celery worker start -A dagster_celery.app -y celery.yaml -q gpu        # GPU node
      dagster-celery worker start -A dagster_celery.app -y celery.yaml -q dagster    # CPU node
  Workers need the same code, the same DAGSTER_HOME instance (PostgreSQL) and shared media
  storage (S3/MinIO: SHORTSMITH_STORAGE=s3). Needs the ``celery`` extra (dagster-celery).
- ``k8s``: each step is a Kubernetes Job (dagster-k8s's k8s_job_executor); ``GPU_OP_TAGS``
  request ``nvidia.com/gpu`` and a GPU node selector/toleration. Needs the ``k8s`` extra.

Environment:
  SHORTSMITH_EXECUTOR              in_process | multiprocess | celery | k8s
  SHORTSMITH_MAX_CONCURRENT_STEPS  multiprocess: steps at once (default: CPU count)
  SHORTSMITH_CELERY_BROKER         e.g. pyamqp://guest:guest@rabbitmq:5672// or redis://redis:6379/0
  SHORTSMITH_CELERY_BACKEND        result backend (default rpc://; redis://... with Redis)
  SHORTSMITH_K8S_NAMESPACE, SHORTSMITH_K8S_IMAGE  (k8s; the image defaults to the run's image)
"""

from __future__ import annotations

import dagster as dg

from . import settings

GPU_QUEUE = "gpu"

# Op tags for steps that want the GPU (add to the @asset's op_tags next to pool="gpu"):
# the Celery queue served by GPU workers, and the Kubernetes resources of the step's pod.
GPU_OP_TAGS: dict = {
    "dagster-celery/queue": GPU_QUEUE,
    "dagster-k8s/config": {
        "container_config": {
            "resources": {
                "requests": {"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"},
                "limits": {"memory": "8Gi", "nvidia.com/gpu": "1"},
            },
        },
        "pod_spec_config": {
            "node_selector": {"nvidia.com/gpu.present": "true"},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        },
    },
}

EXECUTORS = ("in_process", "multiprocess", "celery", "k8s")


def _config_error(message: str, field: str, fix: str):
    from shortsmith.errors import ConfigError

    return ConfigError(message, field=field, fix=fix)


def executor_from_env(s: settings.ExecutorSettings | None = None) -> dg.ExecutorDefinition:
    """The executor SHORTSMITH_EXECUTOR names (see the module docstring)."""
    s = s or settings.load().executor
    kind = s.kind
    if kind == "multiprocess":
        config: dict = {"start_method": {"spawn": {}}}
        if s.max_concurrent:
            config["max_concurrent"] = s.max_concurrent
        return dg.multiprocess_executor.configured(config, name="multiprocess")
    if kind == "in_process":
        return dg.in_process_executor
    if kind == "celery":
        try:
            from dagster_celery import celery_executor
        except ImportError:
            raise _config_error("SHORTSMITH_EXECUTOR=celery but dagster-celery is not installed",
                                "SHORTSMITH_EXECUTOR", "pip install -e '.[celery]'") from None
        if not s.celery_broker_set:
            raise _config_error("SHORTSMITH_EXECUTOR=celery but no broker is configured",
                                "SHORTSMITH_CELERY_BROKER",
                                "set it to pyamqp://guest:guest@HOST:5672// (RabbitMQ) or redis://HOST:6379/0")
        return celery_executor.configured({
            "broker": {"env": "SHORTSMITH_CELERY_BROKER"},
            "backend": {"env": "SHORTSMITH_CELERY_BACKEND"} if s.celery_backend_set else "rpc://",
            "config_source": {"worker_prefetch_multiplier": 1, "task_acks_late": True},
        }, name="celery")
    if kind == "k8s":
        try:
            from dagster_k8s import k8s_job_executor
        except ImportError:
            raise _config_error("SHORTSMITH_EXECUTOR=k8s but dagster-k8s is not installed",
                                "SHORTSMITH_EXECUTOR", "pip install -e '.[k8s]'") from None
        config = {"max_concurrent": s.max_concurrent or 8}
        if s.k8s_namespace:
            config["job_namespace"] = s.k8s_namespace
        if s.k8s_image:
            config["job_image"] = s.k8s_image
        return k8s_job_executor.configured(config, name="k8s")
    raise _config_error(f"SHORTSMITH_EXECUTOR={kind!r} is not an executor", "SHORTSMITH_EXECUTOR",
                        f"use one of: {', '.join(EXECUTORS)}")
