"""The review gate's pieces without a render: channels.yaml's review key, the gate's answer, and
exactly-once decisions under concurrent approvals."""

from __future__ import annotations

import threading

import dagster as dg
import pytest

from tests.conftest import write_channels
from pipeline_defs.approval import AWAITING, hold_for_review
from shortsmith.config import load_channels
from shortsmith.errors import ConfigError
from studio import db

KEY = "curious-minds--why-cats-purr"


def test_review_key_is_checked_and_named(workdir):
    assert load_channels(str(workdir / "channels.yaml")).get("curious-minds").review == "auto"
    path = write_channels(workdir / "required.yaml", review="required")
    assert load_channels(str(path)).get("curious-minds").review == "required"
    with pytest.raises(ConfigError) as err:
        load_channels(str(write_channels(workdir / "bad.yaml", review="sometimes")))
    assert err.value.field.endswith(".review") and "required" in err.value.fix


def test_the_gate_holds_until_approved_and_never_holds_a_published_video(workdir):
    channel = load_channels(str(write_channels(workdir / "c.yaml", review="required"))).get("curious-minds")
    auto = load_channels(str(workdir / "channels.yaml")).get("curious-minds")
    context = dg.build_asset_context()
    assert hold_for_review(context, auto, KEY, already_published=False) is None
    held = hold_for_review(context, channel, KEY, already_published=False)
    assert held.metadata["status"] == AWAITING and db.approval(KEY)["state"] == "awaiting"
    assert hold_for_review(context, channel, "curious-minds--old", already_published=True) is None
    assert db.decide(KEY, "approved", by="test")
    assert hold_for_review(context, channel, KEY, already_published=False) is None  # approved: publish
    assert db.approval(KEY)["state"] == "approved"


def test_concurrent_approvals_only_one_wins(workdir):
    db.mark_awaiting(KEY, "curious-minds")
    wins, barrier = [], threading.Barrier(8)

    def approve():
        barrier.wait()
        wins.append(db.decide(KEY, "approved", by="race"))

    threads = [threading.Thread(target=approve) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(wins) == [False] * 7 + [True]
    assert not db.decide(KEY, "rejected", by="late")  # decided: a late rejection changes nothing
    assert db.approval(KEY)["state"] == "approved"
