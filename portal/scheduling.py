"""Scheduled jobs: one registry, one way to run a job, one record of every run.

Each app registers its jobs in ``AppConfig.ready()``::

    scheduling.register(scheduling.Job(
        name="policy-reviews", title="Annual policy reviews",
        description="Opens reviews 60 days ahead and reminds reviewers.",
        run=reviews.daily_job,
    ))

and gives it a time in ``CELERY_BEAT_SCHEDULE`` (settings), which sends
``portal.tasks.run_scheduled_job`` with the job's name. A job is a function of the moment it runs
for (``now``, aware): it works out the London date itself, finds what is owed with set-based
queries, claims each notice through the outbox's ``dedupe_key`` and returns a ``JobResult``.
Because every notice is claimed by key, a job run twice, two runs at once, or a run after a
missed day, sends nothing twice.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from celery.schedules import crontab, schedule
from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection
from django.utils import timezone

from portal.models import JobRun, User

log = logging.getLogger(__name__)

# Runs are kept this long for the operations page; older ones are pruned as each job runs.
KEEP_RUNS = timedelta(days=30)


@dataclass(frozen=True)
class JobResult:
    found: int = 0  # the people or things the job looked at and found something owed to
    notices: int = 0  # new notices claimed in the outbox by this run
    summary: str = ""  # what else it did, in words (reviews opened, grants ended ...)


@dataclass(frozen=True)
class Job:
    name: str
    title: str
    description: str
    run: Callable[[datetime], JobResult]


JOBS: dict[str, Job] = {}


class UnknownJob(KeyError):
    pass


def register(job: Job) -> Job:
    JOBS[job.name] = job
    return job


def get(name: str) -> Job:
    try:
        return JOBS[name]
    except KeyError:
        raise UnknownJob(name) from None


def _interrupt_stale(name: str, now: datetime) -> None:
    # A run still "running" after the task's hard time limit died with its worker.
    limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    JobRun.objects.filter(
        job=name, status=JobRun.Status.RUNNING, started_at__lt=now - limit
    ).update(status=JobRun.Status.INTERRUPTED, error="The worker stopped during the run.")


def run_job(
    name: str,
    *,
    now: datetime | None = None,
    trigger: str = JobRun.Trigger.SCHEDULE,
    requested_by: User | None = None,
) -> JobRun:
    """Run job ``name`` for the moment ``now`` (default: now) and record the run.

    An exception in the job, or in recording it, is recorded on the run as a failure
    (``_record_failure``) and raised again, so the worker logs it.
    """
    job = get(name)
    now = now or timezone.now()
    run = JobRun(job=name, trigger=trigger, requested_by=requested_by, started_at=now)
    try:
        _record_unrecorded()
        _interrupt_stale(name, now)
        JobRun.objects.filter(job=name, started_at__lt=now - KEEP_RUNS).delete()
        run.save()
        result = job.run(now)
        run.status = JobRun.Status.SUCCEEDED
        run.found = result.found
        run.notices = result.notices
        run.summary = result.summary[:300]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "found", "notices", "summary", "finished_at"])
    except Exception as exc:
        log.exception("Scheduled job %s failed", name)
        _record_failure(run, exc)
        raise
    return run


# --- Failures the database could not take at the time -------------------------------------------
# A run that fails because the database is away (restarting, say) cannot be recorded then. It
# waits here, oldest first, and this process's next run of any job writes it before anything
# else, so the operations page shows the outage as failed runs. A process that stops before the
# database returns takes these with it; its log names each one. At most a day of every-minute
# sweeps is kept.
_UNRECORDED: deque[JobRun] = deque(maxlen=24 * 60)
_unrecorded_lock = threading.Lock()
# InterfaceError ("connection already closed") is not a DatabaseError.
_DATABASE_AWAY = (DatabaseError, InterfaceError)


def _record_failure(run: JobRun, exc: Exception) -> None:
    """Record ``run`` as failed with ``exc``: on this connection, else on a fresh one (the
    database may have restarted under this one), else once the database is back."""
    run.status = JobRun.Status.FAILED
    run.error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
    run.finished_at = timezone.now()
    for attempt in (1, 2):
        try:
            _write_failure(run)
            return
        except _DATABASE_AWAY:
            if attempt == 2 or connection.in_atomic_block:
                break
            with contextlib.suppress(*_DATABASE_AWAY):
                connection.close()
    log.error(
        "Could not record the failed run of %s started at %s; it is recorded once the database "
        "is back",
        run.job,
        run.started_at.isoformat(),
    )
    with _unrecorded_lock:
        _UNRECORDED.append(run)


def _write_failure(run: JobRun) -> None:
    """Write failed ``run`` over its own row, or as a new row when it has none. Writing it
    twice changes nothing, and no row of it is left running."""
    fields = {"status": run.status, "error": run.error, "finished_at": run.finished_at}
    if run.pk is not None:
        JobRun.objects.filter(pk=run.pk).update(**fields)
        return
    same = JobRun.objects.filter(job=run.job, started_at=run.started_at)
    # An insert whose answer was lost with the connection may have been committed all the same.
    if same.filter(status=JobRun.Status.RUNNING).update(**fields):
        return
    if not same.filter(status=JobRun.Status.FAILED).exists():
        run.save(force_insert=True)


def _record_unrecorded() -> None:
    """Write the failures this process could not record while the database was away; if it
    is still away, this raises and they stay owed."""
    with _unrecorded_lock:
        while _UNRECORDED:
            _write_failure(_UNRECORDED[0])
            _UNRECORDED.popleft()


# --- The schedule, as people read it -------------------------------------------------------------
def beat_entry(name: str) -> dict[str, Any] | None:
    """The ``CELERY_BEAT_SCHEDULE`` entry that runs job ``name`` (entries are named after their
    jobs), if there is one."""
    return settings.CELERY_BEAT_SCHEDULE.get(name)


def _two(values: set[int]) -> str:
    return ", ".join(f"{v:02d}" for v in sorted(values))


def describe(when: Any) -> str:
    """'Every day at 07:00', 'Every minute' ... for a Celery schedule (UK time)."""
    if isinstance(when, int | float | timedelta):
        seconds = when.total_seconds() if isinstance(when, timedelta) else float(when)
        return "Every minute" if seconds == 60 else f"Every {seconds:g} seconds"
    if isinstance(when, schedule) and not isinstance(when, crontab):
        return describe(when.run_every)
    if isinstance(when, crontab):
        hours, minutes = when.hour, when.minute
        if len(hours) == 1 and len(minutes) == 1:
            time = f"{_two(hours)}:{_two(minutes)}"
            if len(when.day_of_week) == 7:
                return f"Every day at {time}"
            days = ", ".join(
                ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")[d]
                for d in sorted(when.day_of_week)
            )
            return f"{days} at {time}"
        if len(hours) == 24 and len(minutes) == 1:
            return f"Every hour at {_two(minutes)} minutes past"
        return f"At minute {_two(minutes)} of hour {_two(hours)}"
    return str(when)


def schedule_text(name: str) -> str:
    entry = beat_entry(name)
    return describe(entry["schedule"]) if entry else "Not scheduled (run on demand)"


def local_date(now: datetime) -> date:
    """The UK date of ``now``: what every daily job means by "today"."""
    return timezone.localdate(now)
