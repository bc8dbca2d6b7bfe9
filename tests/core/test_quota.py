"""Channel-local days, daily caps, publish windows and topic cooldown."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from shortsmith.config import load_channels
from shortsmith.quota import (in_publish_window, local_day, next_local_midnight, publish_decision,
                              recent_days, remaining)

from tests.conftest import ROOT

CH = load_channels(ROOT / "channels.yaml").get("curious-minds")


def test_local_day_follows_the_channel_timezone():
    late_utc = datetime(2025, 3, 11, 3, 30, tzinfo=timezone.utc)  # 23:30 on the 10th in New York
    assert local_day(late_utc, "America/New_York") == date(2025, 3, 10)
    assert local_day(late_utc, "Asia/Tokyo") == date(2025, 3, 11)
    assert local_day(datetime(2025, 3, 11, 3, 30), "UTC") == date(2025, 3, 11)  # naive means UTC
    midnight = next_local_midnight(late_utc, "America/New_York")
    assert midnight.isoformat() == "2025-03-11T00:00:00-04:00"


def test_remaining_never_negative_and_counts_pending():
    assert remaining(3, 1, 1) == 1
    assert remaining(2, 2, 1) == 0
    assert remaining(0, 0, 0) == 0


def test_recent_days_counts_back_from_today():
    today = date(2025, 3, 30)
    assert recent_days(today, 3) == [date(2025, 3, 30), date(2025, 3, 29), date(2025, 3, 28)]


def test_publish_decision_defers_at_the_cap_until_local_midnight():
    ch = replace(CH, timezone="America/New_York", videos_per_day=2)
    now = datetime(2025, 6, 1, 15, 0, tzinfo=timezone.utc)  # 11:00 in New York
    assert publish_decision(now, ch, 1).publish
    d = publish_decision(now, ch, 2)
    assert not d.publish
    assert d.until == datetime(2025, 6, 2, 0, 0, tzinfo=ZoneInfo("America/New_York"))
    assert "2 of 2" in d.reason and "deferred until 2025-06-02T00:00:00-04:00" in d.reason


def test_publish_window_defers_to_the_next_window_start():
    ch = replace(CH, timezone="Europe/Berlin", publish_window=("09:00", "21:00"), videos_per_day=3)
    early = datetime(2025, 1, 15, 6, 0, tzinfo=timezone.utc)  # 07:00 in Berlin
    assert not in_publish_window(early, ch)
    d = publish_decision(early, ch, 0)
    assert not d.publish and d.until.isoformat() == "2025-01-15T09:00:00+01:00"
    assert "outside" in d.reason
    # at the cap, the next try is the next day's window start, not midnight
    noon = datetime(2025, 1, 15, 11, 0, tzinfo=timezone.utc)
    d = publish_decision(noon, ch, 3)
    assert d.until.isoformat() == "2025-01-16T09:00:00+01:00"
    overnight = replace(ch, publish_window=("22:00", "02:00"))
    assert in_publish_window(datetime(2025, 1, 15, 0, 30, tzinfo=timezone.utc), overnight)  # 01:30 local
    assert not in_publish_window(noon, overnight)
    # the default window is the whole day
    assert in_publish_window(datetime(2025, 1, 15, 23, 59, 50, tzinfo=timezone.utc), replace(CH, timezone="UTC"))
