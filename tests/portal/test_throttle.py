"""The shared counters behind every limit: one row per limit, person and window, in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal import throttle
from portal.models import ThrottleWindow

HOURLY = throttle.Limit("test-hourly", most=3, seconds=3600)
TEN_PAST = datetime(2026, 3, 16, 9, 10, tzinfo=UTC)


def test_each_event_is_counted_in_its_window(db) -> None:
    assert throttle.count(HOURLY, "emma@example.com", now=TEN_PAST) == 0
    hits = [throttle.hit(HOURLY, "emma@example.com", now=TEN_PAST) for _ in range(4)]
    assert hits == [1, 2, 3, 4]
    assert throttle.count(HOURLY, "emma@example.com", now=TEN_PAST) == 4
    # Someone else, or another limit, counts on their own.
    assert throttle.hit(HOURLY, "morgan@example.com", now=TEN_PAST) == 1
    other = throttle.Limit("test-other", most=3, seconds=3600)
    assert throttle.hit(other, "emma@example.com", now=TEN_PAST) == 1


def test_windows_follow_the_clock(db) -> None:
    throttle.hit(HOURLY, "emma@example.com", now=TEN_PAST)
    last_second = TEN_PAST.replace(minute=59, second=59)
    assert throttle.hit(HOURLY, "emma@example.com", now=last_second) == 2
    next_hour = TEN_PAST.replace(hour=10, minute=0)
    assert throttle.count(HOURLY, "emma@example.com", now=next_hour) == 0
    assert throttle.hit(HOURLY, "emma@example.com", now=next_hour) == 1


def test_ended_windows_are_deleted_when_a_new_one_opens(db) -> None:
    throttle.hit(HOURLY, "emma@example.com", now=TEN_PAST)
    throttle.hit(HOURLY, "morgan@example.com", now=TEN_PAST)
    assert ThrottleWindow.objects.count() == 2
    throttle.hit(HOURLY, "emma@example.com", now=TEN_PAST + timedelta(hours=1))
    [row] = ThrottleWindow.objects.all()
    assert row.hits == 1
    assert row.expires_at == TEN_PAST.replace(hour=11, minute=0)


def test_the_table_holds_no_address(db) -> None:
    throttle.hit(HOURLY, "emma@example.com", now=TEN_PAST)
    throttle.hit(HOURLY, "192.0.2.7", now=TEN_PAST)
    keys = " ".join(ThrottleWindow.objects.values_list("key", flat=True))
    assert "emma" not in keys
    assert "192.0.2" not in keys
