"""The machine's own failures (a full disk, a read-only folder, a broken database) as errors that
name the cause and the fix, instead of a traceback ending in ``OSError`` or ``disk I/O error``."""

from __future__ import annotations

import errno
from pathlib import Path

from .errors import ShortsmithError

FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
_SQLITE_FULL = ("database or disk is full", "disk i/o error")
_SQLITE_READ_ONLY = ("attempt to write a readonly database", "unable to open database file", "readonly database")


class EnvironmentProblem(ShortsmithError):
    """The disk, the file system or the instance's database failed, not the content."""


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
        if isinstance(orig, BaseException):
            yield orig
        exc = exc.__cause__ or exc.__context__


def environment_error(exc: BaseException) -> EnvironmentProblem | None:
    """The environment problem behind ``exc`` (anywhere in its chain), or None if it is not one."""
    for e in _chain(exc):
        if isinstance(e, EnvironmentProblem):
            return e
        if isinstance(e, OSError) and e.errno in FULL:
            where = f" writing {e.filename}" if e.filename else ""
            return EnvironmentProblem(f"the disk is full (No space left on device{where})", field="disk",
                                      fix="free disk space (or point SHORTSMITH_HOME / SHORTSMITH_MEDIA / "
                                          "DAGSTER_HOME at a larger disk), then run the same command again")
        if isinstance(e, OSError) and e.errno in READ_ONLY and e.filename:
            why = "read-only" if e.errno == errno.EROFS else "not writable (permission denied)"
            path = Path(str(e.filename))
            return EnvironmentProblem(f"the folder {path.parent} is {why} (could not write {path.name})",
                                      field="folders",
                                      fix="make the folder writable, or point SHORTSMITH_HOME (media, channel) "
                                          "and DAGSTER_HOME at a writable folder")
        text = str(e).lower()
        if type(e).__name__ == "OperationalError" and any(m in text for m in _SQLITE_FULL):
            return EnvironmentProblem(f"the Dagster instance's database could not be written ({str(e)[:120]})",
                                      field="DAGSTER_HOME",
                                      fix="free disk space on the drive holding DAGSTER_HOME, then run again")
        if type(e).__name__ == "OperationalError" and any(m in text for m in _SQLITE_READ_ONLY):
            return EnvironmentProblem(f"the Dagster instance's database is read-only or missing ({str(e)[:120]})",
                                      field="DAGSTER_HOME",
                                      fix="make DAGSTER_HOME writable (or point it at a writable folder)")
    return None
