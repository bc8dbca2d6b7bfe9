"""User-facing errors: a ShortsmithError in a step becomes a dg.Failure whose description is
the message itself (what is wrong, in which field, and the fix), so the Dagster UI and the
CLI show it first instead of a stack of framework frames."""

import functools

import dagster as dg

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

    return wrapper
