"""The studio's own tables: review decisions per video and hashed API keys (SQLAlchemy Core).

The database is ``SHORTSMITH_STUDIO_DB`` (an SQLAlchemy URL; the compose stack points it at the
instance's PostgreSQL), default ``sqlite:///$SHORTSMITH_HOME/studio.sqlite``. The studio and the
runs' ``published_uploads`` step both use it, so every change is one transaction and the state
changes that must happen once (awaiting -> approved) are conditional UPDATEs.
This module imports neither Dagster nor the web framework: the pipeline's approval gate uses it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa

DB_ENV = "SHORTSMITH_STUDIO_DB"
KEY_PREFIX = "ssk_"

metadata = sa.MetaData()

approvals = sa.Table(
    "shortsmith_approvals", metadata,
    sa.Column("partition", sa.String(255), primary_key=True),
    sa.Column("channel", sa.String(100), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),  # awaiting | approved | rejected
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("stages", sa.Text, nullable=False, default="[]"),  # JSON list: stages a rejection re-renders
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Column("decided_by", sa.String(100), nullable=False, default=""),
    sa.Column("run_id", sa.String(64), nullable=False, default=""),  # the run the decision launched
)

api_keys = sa.Table(
    "shortsmith_api_keys", metadata,
    sa.Column("id", sa.String(16), primary_key=True),  # public: shown in listings and logs
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),  # sha256 of the secret part; the key is never stored
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("revoked_at", sa.String(40), nullable=True),
)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_url() -> str:
    home = Path(os.environ.get("SHORTSMITH_HOME") or Path(__file__).resolve().parents[1] / ".shortsmith")
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'studio.sqlite'}"


@lru_cache(maxsize=8)
def _engine_for(url: str) -> sa.Engine:
    kwargs = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    engine = sa.create_engine(url, **kwargs)
    metadata.create_all(engine)
    return engine


def engine(url: str | None = None) -> sa.Engine:
    return _engine_for(url or os.environ.get(DB_ENV) or default_url())


# -- review decisions ----------------------------------------------------------------------
def approval(partition: str, url: str | None = None) -> dict | None:
    with engine(url).connect() as conn:
        row = conn.execute(sa.select(approvals).where(approvals.c.partition == partition)).mappings().first()
    if row is None:
        return None
    out = dict(row)
    out["stages"] = json.loads(out["stages"] or "[]")
    return out


def all_approvals(url: str | None = None) -> dict[str, dict]:
    with engine(url).connect() as conn:
        rows = conn.execute(sa.select(approvals)).mappings().all()
    return {r["partition"]: {**dict(r), "stages": json.loads(r["stages"] or "[]")} for r in rows}


def mark_awaiting(partition: str, channel: str, url: str | None = None) -> str:
    """Record that a finished video waits for review; returns the state now stored.

    An approval already given is kept (the publish goes ahead); anything else becomes awaiting.
    """
    with engine(url).begin() as conn:
        row = conn.execute(sa.select(approvals.c.state).where(approvals.c.partition == partition)).first()
        if row is None:
            conn.execute(approvals.insert().values(partition=partition, channel=channel, state="awaiting", note="",
                                                   stages="[]", updated_at=now_iso(), decided_by="", run_id=""))
            return "awaiting"
        if row.state == "approved":
            return "approved"
        conn.execute(approvals.update().where(approvals.c.partition == partition)
                     .values(state="awaiting", updated_at=now_iso()))
        return "awaiting"


def decide(partition: str, state: str, *, by: str, note: str = "", stages: list[str] | None = None,
           url: str | None = None) -> bool:
    """awaiting -> approved|rejected in one conditional UPDATE; False when it was not awaiting.

    Only one of two concurrent approvals wins, which is what makes "published exactly once" hold
    on the studio's side (the publisher's own records hold it on the upload's side).
    """
    assert state in ("approved", "rejected")
    with engine(url).begin() as conn:
        result = conn.execute(
            approvals.update()
            .where(approvals.c.partition == partition, approvals.c.state == "awaiting")
            .values(state=state, note=note, stages=json.dumps(stages or []), updated_at=now_iso(), decided_by=by))
        return result.rowcount == 1


def set_run(partition: str, run_id: str, url: str | None = None) -> None:
    with engine(url).begin() as conn:
        conn.execute(approvals.update().where(approvals.c.partition == partition).values(run_id=run_id))


# -- API keys --------------------------------------------------------------------------------
def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(name: str, url: str | None = None) -> tuple[str, str]:
    """A new key: returns (key id, the full key). The full key is shown once and never stored."""
    key_id = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with engine(url).begin() as conn:
        conn.execute(api_keys.insert().values(id=key_id, name=name, digest=_digest(secret), created_at=now_iso(),
                                              revoked_at=None))
    return key_id, f"{KEY_PREFIX}{key_id}_{secret}"


def revoke_key(key_id: str, url: str | None = None) -> bool:
    with engine(url).begin() as conn:
        result = conn.execute(api_keys.update().where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                              .values(revoked_at=now_iso()))
        return result.rowcount == 1


def list_keys(url: str | None = None) -> list[dict]:
    with engine(url).connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(api_keys.c.id, api_keys.c.name, api_keys.c.created_at,
                                                        api_keys.c.revoked_at).order_by(api_keys.c.created_at))
                .mappings()]


def verify_key(presented: str, url: str | None = None) -> tuple[str | None, str]:
    """(key id, "") for a valid key, else (None, why) naming what is wrong without echoing the key."""
    if not presented.startswith(KEY_PREFIX) or presented.count("_") < 2:
        return None, "the X-API-Key header is not a Shortsmith key (they start with 'ssk_')"
    key_id, secret = presented[len(KEY_PREFIX):].split("_", 1)
    with engine(url).connect() as conn:
        row = conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).mappings().first()
    if row is None or not hmac.compare_digest(row["digest"], _digest(secret)):
        return None, "the X-API-Key is not valid"
    if row["revoked_at"]:
        return None, f"the X-API-Key {key_id} was revoked at {row['revoked_at']}"
    return key_id, ""
