"""Exactly one Celery beat: real ``celery -A portal beat`` processes on the test Redis.

The first beat takes the lock (portal.beat_lock); a second exits with status 1 naming the first,
which keeps running; once the first has stopped, a new beat starts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from portal.beat_lock import LOCK_NAME
from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 60.0
LOCK_TAKEN = "Beat lock taken by"


class BeatProcess:
    """``celery beat`` in its own process, with its own schedule file; its output is kept."""

    def __init__(self, redis_url: str, schedule: Path) -> None:
        self.lines: list[str] = []
        self.locked = threading.Event()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "beat",
                "--loglevel=INFO",
                f"--schedule={schedule}",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "REDIS_URL": redis_url,
                "PYTHONPATH": str(ROOT),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if LOCK_TAKEN in line:
                self.locked.set()

    def wait_until_locked(self) -> None:
        assert self.locked.wait(DEADLINE), "beat did not take the lock:\n" + self.log()

    def wait_for_exit(self) -> int:
        status = self.process.wait(timeout=DEADLINE)
        self.reader.join(timeout=DEADLINE)
        return status

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)

    def log(self) -> str:
        return "\n".join(self.lines)


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
