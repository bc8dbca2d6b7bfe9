"""The project's shared state: one small table (``shortsmith_state``) in the Dagster instance's database.

Ledgers, YouTube quota, daily caps, circuit breakers and costs are small JSON values by key.
Every change is one database transaction that locks the row(s) it touches (``BEGIN IMMEDIATE``
on SQLite, ``SELECT ... FOR UPDATE`` on PostgreSQL), so a read-modify-write from any number of
processes (run workers, the daemon's sensors, the CLI) never loses an update and a limit checked
inside the transaction is never exceeded, with or without Dagster pools.

The table lives next to Dagster's own run storage (``history/runs.db`` locally, the instance's
PostgreSQL database in production), so it is backed up with the instance. On first use it is
filled from the ``shortsmith/...`` keys earlier versions kept in Dagster's ``kvs`` table.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

TABLE = "shortsmith_state"
LEGACY_PREFIX = "shortsmith/"
SQLITE_BUSY_S = 60.0  # a writer waits this long for another's transaction before a clear error

_ENGINES: dict[str, sa.Engine] = {}
_READY: set[str] = set()
_PROCESS_LOCK = threading.RLock()  # in-memory instances: one process, so a lock is the transaction


def _dumps(value: dict) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _loads(text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _sqlite_engine(url: str) -> sa.Engine:
    """SQLite with transactions we open ourselves: ``BEGIN IMMEDIATE`` takes the write lock up front."""
    engine = sa.create_engine(url, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_S})

    @sa.event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # let SQLAlchemy's begin below be the only BEGIN

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def database_url(instance) -> str | None:
    """The SQLAlchemy URL of the instance's run storage database; None for an in-memory instance."""
    storage = instance.run_storage
    url = getattr(storage, "postgres_url", None) or getattr(storage, "mysql_url", None)
    if url:
        return url
    conn_string = getattr(storage, "_conn_string", None)
    if conn_string and ":memory:" not in conn_string and "mode=memory" not in conn_string:
        return conn_string
    return None


class StateStore:
    """JSON dicts by key in ``shortsmith_state``; ``update`` is one locked transaction."""

    def __init__(self, instance):
        self._instance = instance
        self._url = database_url(instance)
        if self._url is None:  # ephemeral instance: Dagster's own in-memory engine, one process
            self._engine = instance.run_storage._engine
            self._dialect = "memory"
        else:
            with _PROCESS_LOCK:
                if self._url not in _ENGINES:
                    _ENGINES[self._url] = (_sqlite_engine(self._url) if self._url.startswith("sqlite")
                                           else sa.create_engine(self._url, poolclass=NullPool))
            self._engine = _ENGINES[self._url]
            self._dialect = self._engine.dialect.name
        self._ensure_table()

    # -- schema ----------------------------------------------------------------------
    def _ensure_table(self) -> None:
        key = self._url or f"memory:{id(self._engine)}"
        if key in _READY:
            return
        with self._transaction() as conn:
            if self._dialect == "postgresql":  # concurrent CREATE TABLE IF NOT EXISTS can still collide
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:t))"), {"t": TABLE})
            exists = sa.inspect(conn).has_table(TABLE)
            if not exists:
                conn.execute(sa.text(f"CREATE TABLE {TABLE} (key VARCHAR(512) PRIMARY KEY, value TEXT NOT NULL)"))
                if sa.inspect(conn).has_table("kvs"):  # earlier versions kept these as Dagster cursor values
                    conn.execute(sa.text(
                        f"INSERT INTO {TABLE} (key, value) SELECT key, value FROM kvs "
                        f"WHERE key LIKE :prefix AND value IS NOT NULL ON CONFLICT (key) DO NOTHING"),
                        {"prefix": LEGACY_PREFIX + "%"})
        _READY.add(key)

    @contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        if self._dialect == "memory":
            with _PROCESS_LOCK, self._engine.connect() as conn, conn.begin():
                yield conn
            return
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def _lock_rows(self, conn: sa.Connection, keys: list[str]) -> dict[str, dict]:
        if not keys:
            return {}
        if self._dialect == "postgresql":  # create missing rows first so FOR UPDATE has something to lock
            conn.execute(sa.text(f"INSERT INTO {TABLE} (key, value) VALUES (:k, '{{}}') ON CONFLICT (key) DO NOTHING"),
                         [{"k": k} for k in sorted(keys)])
            rows = conn.execute(sa.text(f"SELECT key, value FROM {TABLE} WHERE key IN :keys ORDER BY key FOR UPDATE")
                                .bindparams(sa.bindparam("keys", expanding=True)), {"keys": sorted(keys)})
        else:  # SQLite: BEGIN IMMEDIATE already holds the database's write lock
            rows = conn.execute(sa.text(f"SELECT key, value FROM {TABLE} WHERE key IN :keys")
                                .bindparams(sa.bindparam("keys", expanding=True)), {"keys": sorted(keys)})
        return {k: _loads(v) for k, v in rows}

    @staticmethod
    def _write(conn: sa.Connection, values: dict[str, dict]) -> None:
        if values:
            conn.execute(sa.text(f"INSERT INTO {TABLE} (key, value) VALUES (:k, :v) "
                                 f"ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
                         [{"k": k, "v": _dumps(v)} for k, v in values.items()])

    # -- reading ---------------------------------------------------------------------
    def get_many(self, keys: list[str]) -> dict[str, dict]:
        """The stored values of these keys (missing keys are left out)."""
        if not keys:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(sa.text(f"SELECT key, value FROM {TABLE} WHERE key IN :keys")
                                .bindparams(sa.bindparam("keys", expanding=True)), {"keys": sorted(set(keys))})
            return {k: _loads(v) for k, v in rows}

    def get(self, key: str) -> dict:
        return self.get_many([key]).get(key, {})

    def keys(self, prefix: str) -> list[str]:
        with self._engine.connect() as conn:
            return [r[0] for r in conn.execute(sa.text(f"SELECT key FROM {TABLE} WHERE key LIKE :p ORDER BY key"),
                                               {"p": prefix + "%"})]

    # -- writing ---------------------------------------------------------------------
    def set(self, key: str, value: dict) -> None:
        with self._transaction() as conn:
            self._write(conn, {key: value})

    def update_many(self, keys: list[str], fn: Callable[[dict[str, dict]], dict[str, dict] | None]) -> dict[str, dict]:
        """Call ``fn`` with the current values of ``keys`` (missing ones as ``{}``), holding their locks;
        it may change the dicts in place or return replacements. Written in the same transaction."""
        with self._transaction() as conn:
            current = self._lock_rows(conn, keys)
            values = {k: current.get(k, {}) for k in keys}
            new = fn(values)
            values = values if new is None else {**values, **new}
            self._write(conn, values)
            return values

    def update(self, key: str, fn: Callable[[dict], dict | None]) -> dict:
        """Apply ``fn`` to the current value (in place or by returning a new one) in one locked transaction."""
        def one(values: dict[str, dict]):
            new = fn(values[key])
            return None if new is None else {key: new}
        return self.update_many([key], one)[key]

    def add_within(self, key: str, field: str, amount: float, limit: float | None = None) -> float | None:
        """Add ``amount`` to the number ``field`` of ``key`` if the result stays within ``limit``.

        Returns the new total, or None (nothing added) when it would pass the limit."""
        out: list[float | None] = [None]

        def add(value: dict) -> dict:
            total = float(value.get(field, 0)) + amount
            if limit is not None and total > limit:
                return value
            value[field] = int(total) if float(total).is_integer() and isinstance(amount, int) else total
            out[0] = value[field]
            return value
        self.update(key, add)
        return out[0]
