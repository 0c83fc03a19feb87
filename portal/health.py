"""The portal's health: is each part that its work depends on running?

Five checks, each a small ``Check`` (ok, and a short detail that names no host, address or
password):

- ``database``: a query answers;
- ``broker``: Redis answers a ping within a second (the demo's folder broker needs no server);
- ``worker``: some Celery worker answers a ping within ``HEALTH_WORKER_TIMEOUT_SECONDS``;
- ``beat``: the every-minute outbox sweep, which beat sends, has started within
  ``HEALTH_BEAT_WINDOW_SECONDS``;
- ``sweep``: the latest finished sweep did not fail (a failure before the run could be recorded
  is recorded as failed as well, by ``portal.scheduling``).

``/healthz`` (``portal.healthz``), the operations page and ``manage.py healthcheck`` all ask
``report``. Whichever of them notices first that beat has been silent for
``HEALTH_BEAT_ALERT_SECONDS`` e-mails IT through the outbox, keyed on the last sweep that ran,
so that however many processes notice at once each member of IT is told once per silence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal import outbox, permissions
from portal.celery import app as celery_app
from portal.models import JobRun

log = logging.getLogger(__name__)

SWEEP_JOB = "outbox-sweep"
BROKER_TIMEOUT_SECONDS = 1
BEAT_SILENT_KIND = "beat-silent"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    @property
    def title(self) -> str:
        return TITLES[self.name]


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "failing",
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in self.checks},
        }


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 2 * 3600:
        return f"{seconds // 60} minutes ago"
    return f"{seconds // 3600} hours ago"


# --- The checks -------------------------------------------------------------------------------
def database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check("database", True, "answers")


def broker() -> Check:
    url = celery_app.conf.broker_url or ""
    scheme = url.split(":", 1)[0]
    if scheme not in ("redis", "rediss"):
        # The demo's folder broker (or the tests' in-process one): no server to be down.
        return Check("broker", True, scheme or "none")
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except redis.RedisError:
        return Check("broker", False, "Redis does not answer")
    finally:
        client.close()
    return Check("broker", True, "Redis answers")


def worker() -> Check:
    timeout = settings.HEALTH_WORKER_TIMEOUT_SECONDS
    try:
        # limit=1: back as soon as one worker answers, else after the timeout.
        replies = celery_app.control.ping(timeout=timeout, limit=1)
    except Exception as exc:  # any broker failure: the ping cannot reach a worker
        log.warning("Health check: the worker ping could not be sent: %s", exc)
        return Check("worker", False, "the ping cannot be sent: the broker is unreachable")
    if not replies:
        return Check("worker", False, f"no worker answered within {timeout:g} s")
    return Check("worker", True, "a worker answers")


def last_scheduled_sweep() -> JobRun | None:
    """The newest outbox sweep that beat asked for ("Run now" does not show that beat runs)."""
    return (
        JobRun.objects.filter(job=SWEEP_JOB, trigger=JobRun.Trigger.SCHEDULE)
        .order_by("-started_at", "-id")
        .only("pk", "started_at")
        .first()
    )


def beat() -> Check:
    last = last_scheduled_sweep()
    window = settings.HEALTH_BEAT_WINDOW_SECONDS
    if last is None:
        return Check("beat", False, "the every-minute outbox sweep has never run")
    silent = (timezone.now() - last.started_at).total_seconds()
    if silent > window:
        return Check(
            "beat",
            False,
            f"the every-minute outbox sweep last started {_ago(silent)} "
            f"(expected within {window} s)",
        )
    return Check("beat", True, f"the outbox sweep last started {_ago(silent)}")


def sweep() -> Check:
    last = (
        JobRun.objects.filter(
            job=SWEEP_JOB, status__in=[JobRun.Status.SUCCEEDED, JobRun.Status.FAILED]
        )
        .order_by("-started_at", "-id")
        .only("status", "started_at")
        .first()
    )
    if last is None:
        return Check("sweep", True, "no sweep has finished yet")
    when = timezone.localtime(last.started_at).strftime("%H:%M:%S")
    if last.status == JobRun.Status.FAILED:
        return Check("sweep", False, f"the latest sweep (at {when}) failed: see Operations")
    return Check("sweep", True, f"the latest sweep (at {when}) succeeded")


CHECKS: dict[str, Callable[[], Check]] = {
    "database": database,
    "broker": broker,
    "worker": worker,
    "beat": beat,
    "sweep": sweep,
}
TITLES = {
    "database": "Database",
    "broker": "Message broker",
    "worker": "Worker",
    "beat": "Beat (the schedule)",
    "sweep": "Outbox sweep",
}


class UnknownCheck(ValueError):
    pass


def _run(name: str) -> Check:
    try:
        return CHECKS[name]()
    except Exception as exc:  # a check that cannot be made is a part that is down
        log.warning("Health check %s could not be made: %s", name, exc)
        return Check(name, False, f"could not be checked ({type(exc).__name__})")


def report(names: Iterable[str] = ()) -> Report:
    """The checks named (default: all), in their usual order. Asking for beat also e-mails IT
    if beat has been silent too long (``alert_if_beat_silent``)."""
    wanted = set(names) or set(CHECKS)
    unknown = sorted(wanted - set(CHECKS))
    if unknown:
        raise UnknownCheck(
            f"No such check: {', '.join(unknown)}. The checks are: {', '.join(CHECKS)}."
        )
    result = Report(tuple(_run(name) for name in CHECKS if name in wanted))
    if "beat" in wanted:
        try:
            alert_if_beat_silent()
        except Exception as exc:  # the report stands even when the alert cannot be queued now
            log.warning("Could not queue the silent beat alert: %s", exc)
    return result


# --- Beat silent: IT told once ----------------------------------------------------------------
def alert_if_beat_silent(now: datetime | None = None) -> None:
    """E-mail each member of IT that beat is silent, once per silence.

    The key names the last sweep beat sent: every process that notices the same silence
    claims the same keys, and the outbox keeps one notification per key. A new silence
    (after beat came back and stopped again) has a newer last sweep, so a new key.
    """
    last = last_scheduled_sweep()
    if last is None:
        return  # never ran: a new installation, shown as down but nothing to compare with
    now = now or timezone.now()
    silent = now - last.started_at
    if silent < timedelta(seconds=settings.HEALTH_BEAT_ALERT_SECONDS):
        return
    context = {
        "last_started": last.started_at,
        "silent_minutes": int(silent.total_seconds() // 60),
    }
    for member in permissions.it_staff().order_by("pk"):
        outbox.notify(
            recipient=member,
            kind=BEAT_SILENT_KIND,
            dedupe_key=f"{BEAT_SILENT_KIND}:{last.pk}:{member.pk}",
            context=context,
            link=reverse("operations"),
        )
