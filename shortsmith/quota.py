"""Daily caps, channel-local days, publishing windows and topic cooldown (no Dagster).

A channel's day is its own local calendar day (``Channel.timezone``): a cap of three
videos a day means three uploads between two local midnights, whatever the server's
clock says. Every function takes ``now`` explicitly so it can be tested at any instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from .config import Channel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(now: datetime) -> datetime:
    # A naive datetime is taken to be UTC (Dagster hands schedules aware datetimes).
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def local_now(now: datetime, tz: str) -> datetime:
    return _aware(now).astimezone(ZoneInfo(tz))


def local_day(now: datetime, tz: str) -> date:
    """The channel's calendar day at ``now``."""
    return local_now(now, tz).date()


def next_local_midnight(now: datetime, tz: str) -> datetime:
    """The start of the channel's next day, as an aware datetime in the channel's zone."""
    zone = ZoneInfo(tz)
    tomorrow = local_day(now, tz) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0), tzinfo=zone)


def recent_days(today: date, days: int) -> list[date]:
    """``today`` and the ``days - 1`` days before it (a cooldown of N days covers N calendar days)."""
    return [today - timedelta(days=i) for i in range(max(0, days))]


def remaining(cap: int, published_today: int, pending_today: int) -> int:
    """How many more videos may be requested today: never negative."""
    return max(0, cap - published_today - pending_today)


def _hhmm(value: str) -> time:
    h, m = value.split(":")
    return time(int(h), int(m))


def in_publish_window(now: datetime, channel: Channel) -> bool:
    start, end = (_hhmm(v) for v in channel.publish_window)
    t = local_now(now, channel.timezone).time().replace(second=0, microsecond=0)
    if start <= end:
        return start <= t <= end
    return t >= start or t <= end  # a window across midnight, e.g. 22:00-02:00


def next_window_start(now: datetime, channel: Channel) -> datetime:
    start = _hhmm(channel.publish_window[0])
    local = local_now(now, channel.timezone)
    candidate = datetime.combine(local.date(), start, tzinfo=ZoneInfo(channel.timezone))
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), start, tzinfo=ZoneInfo(channel.timezone))
    return candidate


@dataclass(frozen=True)
class PublishDecision:
    publish: bool
    reason: str
    until: datetime | None = None  # when to try again (channel-local, aware)


def publish_decision(now: datetime, channel: Channel, published_today: int) -> PublishDecision:
    """May a NEW video of this channel go out at ``now``, given what was published today?"""
    day = local_day(now, channel.timezone)
    if published_today >= channel.videos_per_day:
        until = next_local_midnight(now, channel.timezone)
        if not in_publish_window(until, channel):
            until = next_window_start(until, channel)
        return PublishDecision(
            False,
            f"{channel.name} has published {published_today} of {channel.videos_per_day} video(s) on {day} "
            f"({channel.timezone}); deferred until {until.isoformat()}",
            until,
        )
    if not in_publish_window(now, channel):
        until = next_window_start(now, channel)
        return PublishDecision(
            False,
            f"{local_now(now, channel.timezone):%H:%M} is outside {channel.name}'s publish window "
            f"{channel.publish_window[0]}-{channel.publish_window[1]} ({channel.timezone}); "
            f"deferred until {until.isoformat()}",
            until,
        )
    return PublishDecision(True, f"{published_today + 1} of {channel.videos_per_day} on {day}")
