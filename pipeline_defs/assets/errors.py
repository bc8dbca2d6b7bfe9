"""User-facing errors: a ShortsmithError in a step becomes a dg.Failure whose description is
the message itself (what is wrong, in which field, and the fix), so the Dagster UI and the
CLI show it first instead of a stack of framework frames."""

import functools

import dagster as dg

from shortsmith.enverrors import environment_error
from shortsmith.errors import ShortsmithError


def user_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ShortsmithError as exc:
            raise dg.Failure(
                description=str(exc),
                metadata={"error": type(exc).__name__, "field": exc.field or "", "fix": exc.fix or ""},
                allow_retries=False,
            ) from exc
        except OSError as exc:  # a full disk or read-only folder: say so, not a stack of frames
            problem = environment_error(exc)
            if problem is None:
                raise
            raise dg.Failure(description=str(problem), allow_retries=False,
                             metadata={"error": type(exc).__name__, "field": problem.field or "",
                                       "fix": problem.fix or ""}) from exc

    return wrapper
