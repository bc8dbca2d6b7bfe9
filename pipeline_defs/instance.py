"""Opening the local Dagster instance safely: creation and migration under one file lock.

Dagster creates and stamps a fresh SQLite instance's databases on first open; two processes doing
it at once can leave two ``alembic_version`` rows, after which every command fails ("more than one
head"). Every entry point (the CLI, ``make demo``, ``make dev`` and any dagster command started
through ``python -m pipeline_defs.instance``) opens the instance first under
``$DAGSTER_HOME/.instance.lock``; once created, later opens change nothing and need no lock.

    python -m pipeline_defs.instance dagster dev -w workspace.yaml   # initialise, then run it
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from shortsmith.errors import ConfigError

from . import settings

LOCK_WAIT_S = 120.0


def ensure_dagster_home() -> Path:
    """Use $DAGSTER_HOME, or a project-local one that uses the project's dagster.yaml."""
    if os.environ.get("DAGSTER_HOME"):
        home = Path(os.environ["DAGSTER_HOME"])
    else:
        home = settings.home() / "dagster_home"
        os.environ["DAGSTER_HOME"] = str(home)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the Dagster instance folder {home}: {exc.strerror}", field="DAGSTER_HOME",
                          fix="point DAGSTER_HOME at a writable folder (or free disk space)") from None
    link = home / "dagster.yaml"
    source = settings.PROJECT_ROOT / "dagster.yaml"
    if not link.exists() and source.is_file():
        try:
            link.symlink_to(source)
        except FileExistsError:
            pass  # another command made it at the same moment
    return home


@contextmanager
def instance_lock(home: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """An exclusive lock on the instance folder, waited for in short sleeps (SIGTERM/Ctrl-C still work)."""
    try:
        fd = os.open(home / ".instance.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ConfigError(f"cannot write in the Dagster instance folder {home}: {exc.strerror}",
                          field="DAGSTER_HOME", fix="make the folder writable, or point DAGSTER_HOME elsewhere") from None
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ConfigError(f"another command has held {home / '.instance.lock'} for over {wait_s:.0f} s",
                                      field="DAGSTER_HOME", fix="wait for it to finish, or stop it") from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _is_broken_instance(exc: BaseException) -> bool:
    text = str(exc)
    return "more than one head" in text or "alembic_version" in text


def open_instance():
    """The instance at $DAGSTER_HOME, created and migrated under the instance lock."""
    import dagster as dg

    home = ensure_dagster_home()
    with instance_lock(home):
        try:
            instance = dg.DagsterInstance.get()
            # touch every storage now, while holding the lock: each creates its tables on first use
            instance.run_storage, instance.event_log_storage, instance.schedule_storage  # noqa: B018
            instance.get_dynamic_partitions("videos")
        except Exception as exc:  # re-raised with its fix
            if _is_broken_instance(exc):
                raise ConfigError(f"the Dagster instance at {home} has a broken schema ({str(exc)[:160]})",
                                  field="DAGSTER_HOME",
                                  fix=f"run `dagster instance migrate` with DAGSTER_HOME={home}; if that fails, "
                                      f"move {home}/history aside (runs are lost, media stays) and run again") from None
            if "disk I/O error" in str(exc) or "unable to open database" in str(exc) or "readonly" in str(exc):
                raise ConfigError(f"the Dagster instance at {home} cannot be opened ({str(exc)[:160]})",
                                  field="DAGSTER_HOME",
                                  fix="free disk space and make the folder writable, or point DAGSTER_HOME elsewhere"
                                  ) from None
            raise
        from .state import StateStore

        StateStore(instance)  # the project's table, created once under the same lock
    return instance


def main(argv: list[str]) -> int:
    """Initialise the instance under the lock, then replace this process with ``argv`` (if given)."""
    try:
        open_instance().dispose()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if argv:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execvp(argv[0], argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
