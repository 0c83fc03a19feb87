"""Handing the outbox's work to the workers: a publish to the broker that never raises.

The tasks are named, not imported: ``portal.tasks`` calls into the outbox, and the outbox only
says which task to run. A signature by name runs as the task itself would be queued (or at
once, under ``task_always_eager``) when the task is loaded, and is sent by name when it is not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from portal.celery import app as celery_app

log = logging.getLogger(__name__)

# The tasks' names, which the tasks in ``portal.tasks`` are registered under.
DELIVER_TASK = "portal.tasks.deliver_notification"
SWEEP_TASK = "portal.tasks.sweep_outbox"
HELP_SWEEP_TASK = "portal.tasks.help_sweep_outbox"

# Whether the broker has failed during this thread's current request or task. A hung broker
# costs each publish its socket timeout; a request that writes several notices would wait once
# per notice. After one failure the rest are left to the sweep, without trying.
_broker = threading.local()


def broker_failed() -> bool:
    return getattr(_broker, "failed", False)


def forget_broker_failure(**kwargs: object) -> None:
    """A new request or task tries the broker afresh (connected to their start signals)."""
    _broker.failed = False


def connect_broker_resets() -> None:
    from celery.signals import task_prerun
    from django.core.signals import request_started

    request_started.connect(forget_broker_failure, dispatch_uid="outbox-broker-request")
    task_prerun.connect(forget_broker_failure, dispatch_uid="outbox-broker-task", weak=False)


def _queue(task_name: str, *args: object) -> None:
    celery_app.signature(task_name, args=args).apply_async()


def _publish(send: Callable[[], object]) -> bool:
    """Run ``send`` (a publish to the broker) unless the broker already failed in this request
    or task; False if it did not go. Never raises: the rows are safe in the database."""
    if broker_failed():
        return False
    try:
        send()
    except Exception:  # broker down, hung or misconfigured
        _broker.failed = True
        return False
    return True


def enqueue_sweep() -> None:
    """Ask a worker to send what is due now; never raises (beat sweeps every minute anyway)."""
    if not _publish(lambda: _queue(SWEEP_TASK)):
        log.warning("Broker unavailable; new notifications left for the next sweep")


def enqueue_delivery(notification_id: int) -> None:
    """Hand a notification to the worker; never raises, the sweep is the safety net."""
    if not _publish(lambda: _queue(DELIVER_TASK, notification_id)):
        log.warning("Broker unavailable; notification %s left for the sweep", notification_id)


def enqueue_sweep_helpers(count: int) -> None:
    """Ask ``count`` more workers to sweep alongside this one; never raises: without a broker
    this worker sends everything itself."""
    try:
        for _ in range(count):
            _queue(HELP_SWEEP_TASK)
    except Exception:  # broker gone: this worker sends everything itself
        log.warning("Broker unavailable; sweeping the whole outbox in one worker")
