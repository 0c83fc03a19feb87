"""Exactly one Celery beat: the first takes a lock in Redis, a second one refuses to start.

Two beats would send every scheduled notice twice. At start (Celery's ``beat_init`` signal) beat
sets a Redis key naming itself, with a time to live that a thread keeps renewing while it runs;
a beat that finds the key held logs who holds it and exits with status 1. A beat that stops
cleanly deletes the key; one that is killed leaves it to expire within ``LOCK_SECONDS``.
Without Redis (the demo's folder broker) there is one machine and one ``run_demo``: no lock.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import sys
import threading
from datetime import UTC, datetime

import redis
from django.conf import settings
from redis.lock import Lock

logger = logging.getLogger(__name__)

LOCK_NAME = "portal:celery-beat"
# A killed beat's lock lapses after this long; the holder renews it every third of it.
LOCK_SECONDS = 60


def holder_name() -> str:
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{socket.gethostname()} pid {os.getpid()} (started {started})"


def take_beat_lock(**_signal_kwargs: object) -> None:
    """``beat_init`` receiver: hold the lock for this process's life, or exit naming the holder."""
    if not settings.REDIS_URL:
        return
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
    me = holder_name()
    lock = Lock(client, LOCK_NAME, timeout=LOCK_SECONDS, thread_local=False)
    stopped = threading.Event()
    # Given back on the way out, however soon that is; a lock this beat does not hold is left.
    atexit.register(give_back, lock, stopped)
    if not lock.acquire(blocking=False, token=me):
        first = client.get(LOCK_NAME)
        named = first.decode() if first else "another beat (its lock has just lapsed; try again)"
        logger.critical(
            "Another Celery beat is already running: %s. Only one beat may run; this one stops.",
            named,
        )
        sys.exit(1)
    threading.Thread(target=keep_lock, args=(lock, stopped), daemon=True).start()
    logger.info("Beat lock taken by %s: no other beat can start while this one runs.", me)


def keep_lock(lock: Lock, stopped: threading.Event) -> None:
    """Renew the lock's time to live until the process stops; a lost lock stops this beat."""
    while not stopped.wait(LOCK_SECONDS / 3):
        try:
            lock.reacquire()
        except redis.exceptions.LockNotOwnedError:
            logger.critical("Beat lock %s lost to another beat: this beat stops.", LOCK_NAME)
            os._exit(1)
        except redis.exceptions.RedisError as exc:
            # Unreachable for a moment: the next renewal within the time to live keeps it.
            logger.warning("Beat lock not renewed (Redis: %s); retrying.", exc)


def give_back(lock: Lock, stopped: threading.Event) -> None:
    stopped.set()
    if lock.local.token is None:
        return  # never taken
    try:
        lock.release()
    except redis.exceptions.LockNotOwnedError:
        pass  # lapsed already, or taken by another beat
    except redis.exceptions.RedisError:
        logger.warning("Beat lock not released; it lapses within %s seconds.", LOCK_SECONDS)
