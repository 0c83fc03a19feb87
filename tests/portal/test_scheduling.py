"""The job registry, the record of each run, and the schedule as settings state it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings

from portal import scheduling
from portal.models import JobRun
from portal.tasks import run_scheduled_job

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def job():
    """A job of the test's own, removed from the registry afterwards."""
    calls = []

    def run(now: datetime) -> scheduling.JobResult:
        calls.append(now)
        if getattr(run, "fail", False):
            raise RuntimeError("the mail merge broke")
        return scheduling.JobResult(found=3, notices=2, summary="Did a thing.")

    registered = scheduling.register(scheduling.Job("test-job", "Test job", "For tests.", run))
    yield registered, run, calls
    del scheduling.JOBS["test-job"]


def test_a_run_is_recorded_with_what_it_did(job) -> None:
    _, _, calls = job
    run = scheduling.run_job("test-job", now=NOW)

    assert calls == [NOW]
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED
    assert (run.found, run.notices, run.summary) == (3, 2, "Did a thing.")
    assert run.started_at == NOW
    assert run.finished_at is not None
    assert run.trigger == JobRun.Trigger.SCHEDULE


def test_a_failing_run_is_recorded_and_raised(job) -> None:
    _, runner, _ = job
    runner.fail = True

    with pytest.raises(RuntimeError, match="mail merge"):
        scheduling.run_job("test-job", now=NOW)

    run = JobRun.objects.get()
    assert run.status == JobRun.Status.FAILED
    assert run.error == "RuntimeError: the mail merge broke"
    assert run.finished_at is not None


def test_a_run_left_running_past_the_time_limit_is_marked_interrupted(job) -> None:
    limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    died = JobRun.objects.create(job="test-job", started_at=NOW - limit - timedelta(seconds=1))
    running = JobRun.objects.create(job="test-job", started_at=NOW - limit + timedelta(seconds=5))

    scheduling.run_job("test-job", now=NOW)

    died.refresh_from_db()
    running.refresh_from_db()
    assert died.status == JobRun.Status.INTERRUPTED
    assert running.status == JobRun.Status.RUNNING  # may still be going: left alone


def test_old_runs_are_pruned(job) -> None:
    old = JobRun.objects.create(
        job="test-job", started_at=NOW - scheduling.KEEP_RUNS - timedelta(hours=1)
    )
    recent = JobRun.objects.create(job="test-job", started_at=NOW - timedelta(days=2))

    scheduling.run_job("test-job", now=NOW)

    assert not JobRun.objects.filter(pk=old.pk).exists()
    assert JobRun.objects.filter(pk=recent.pk).exists()


def test_an_unknown_job_is_refused() -> None:
    with pytest.raises(scheduling.UnknownJob):
        scheduling.run_job("no-such-job", now=NOW)
    assert not JobRun.objects.exists()


def test_the_task_records_who_asked(job, it_user) -> None:
    run_scheduled_job.apply(args=["test-job", it_user.pk])
    run_scheduled_job.apply(args=["test-job"])

    manual, scheduled = JobRun.objects.order_by("pk")
    assert (manual.trigger, manual.requested_by) == (JobRun.Trigger.MANUAL, it_user)
    assert (scheduled.trigger, scheduled.requested_by) == (JobRun.Trigger.SCHEDULE, None)


def test_every_beat_entry_runs_a_registered_job_named_after_it() -> None:
    entries = settings.CELERY_BEAT_SCHEDULE
    assert set(entries) <= set(scheduling.JOBS)
    for name, entry in entries.items():
        if entry["task"] == "portal.tasks.run_scheduled_job":
            assert entry["args"] == [name]
    assert entries["outbox-sweep"] == {"task": "portal.tasks.sweep_outbox", "schedule": 60.0}
    # Every registered job is scheduled.
    assert set(scheduling.JOBS) == set(entries)


def test_no_daily_job_runs_in_the_hours_the_clocks_change() -> None:
    assert settings.CELERY_TIMEZONE == "Europe/London"
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        # An hourly job (the end of access) may skip or repeat an hour at a change: it catches up
        # on its next run and a repeat does nothing.
        if isinstance(schedule, crontab) and len(schedule.hour) < 24:
            assert not schedule.hour & {1, 2}, name


@pytest.mark.parametrize(
    ("schedule", "text"),
    [
        (60.0, "Every minute"),
        (crontab(hour=7, minute=0), "Every day at 07:00"),
        (crontab(hour=6, minute=30), "Every day at 06:30"),
        (crontab(hour=8, minute=0, day_of_week=1), "Monday at 08:00"),
        (crontab(minute=5), "Every hour at 05 minutes past"),
    ],
)
def test_schedules_read_as_people_say_them(schedule, text: str) -> None:
    assert scheduling.describe(schedule) == text


def test_the_schedule_text_of_each_job() -> None:
    assert scheduling.schedule_text("unsigned-policy") == "Every day at 07:00"
    assert scheduling.schedule_text("outbox-sweep") == "Every minute"
    assert scheduling.schedule_text("nothing") == "Not scheduled (run on demand)"
