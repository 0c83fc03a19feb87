"""Exactly one Celery beat: real ``celery -A portal beat`` processes on the test Redis.

The first beat takes the lock (portal.beat_lock); a second exits with status 1 naming the first,
which keeps running; once the first has stopped, a new beat starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from portal.beat_lock import LOCK_NAME
from portal.celery import app as celery_app
from tests.integration.processes import LOCK_TAKEN, BeatProcess


@pytest.fixture
def beats(redis_url: str, tmp_path: Path) -> Iterator[Callable[[], BeatProcess]]:
    client = redis.Redis.from_url(redis_url)
    client.delete(LOCK_NAME)
    started: list[BeatProcess] = []

    def start() -> BeatProcess:
        beat = BeatProcess(redis_url, tmp_path / f"schedule-{len(started)}")
        started.append(beat)
        return beat

    yield start
    for beat in started:
        beat.stop()
    client.delete(LOCK_NAME)
    # Anything a beat sent while it ran is not for the next test's worker.
    celery_app.control.purge()


def test_a_second_beat_exits_naming_the_first_which_keeps_running(beats) -> None:
    first = beats()
    first.wait_until_locked()

    second = beats()
    status = second.wait_for_exit()

    assert status == 1
    assert "Another Celery beat is already running" in second.log()
    assert f"pid {first.process.pid} " in second.log()
    assert first.process.poll() is None
    assert LOCK_TAKEN not in second.log()


def test_once_the_first_beat_stops_a_new_one_starts(beats, redis_url: str) -> None:
    first = beats()
    first.wait_until_locked()
    first.stop()
    assert first.process.returncode == 0, first.log()
    assert redis.Redis.from_url(redis_url).get(LOCK_NAME) is None

    replacement = beats()
    replacement.wait_until_locked()

    holder = redis.Redis.from_url(redis_url).get(LOCK_NAME).decode()
    assert f"pid {replacement.process.pid} " in holder
    assert replacement.process.poll() is None
