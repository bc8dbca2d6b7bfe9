"""A run that holds a slot of the ``gpu`` pool and sleeps: the process the dead-run tests kill -9."""

import socket
import sys
import time

import dagster as dg


@dg.asset(pool="gpu")
def slow_step(context):
    print("started", flush=True)
    time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 120)


if __name__ == "__main__":
    with dg.DagsterInstance.get() as instance:
        dg.materialize([slow_step], instance=instance, tags={"shortsmith/host": socket.gethostname()})
