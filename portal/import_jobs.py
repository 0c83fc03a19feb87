"""The staff directory imported in the background: the upload is checked and kept, a worker
imports it, and the page follows its progress.

One import at a time (the ``staffimport_one_live`` constraint). The worker holds a PostgreSQL
advisory lock while it imports: if the lock is free while a job still says it is running, the
worker died, its transaction was rolled back, and the job is marked interrupted (safe to run
again). The outcome is written in the import's own transaction, so a job says "Finished" if
and only if its rows were committed.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
from collections.abc import Iterator

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.utils import timezone

from portal import audit
from portal.celery import app as celery_app
from portal.models import StaffImport, User
from portal.staff_import import ImportFileError, ImportProgress, check_file, import_staff
from portal.staff_import import problem_rows as file_problem_rows

log = logging.getLogger(__name__)

# The task's name (``portal.tasks``): queued by name, as the outbox queues its own.
IMPORT_TASK = "portal.tasks.import_staff_file"
_LOCK_KEY = 0x5749_4D50  # the advisory lock held by the worker importing
_PROGRESS_SQL = (
    "UPDATE portal_staffimport SET rows_total = %s, rows_read = %s, rows_done = %s, "
    "created = %s, updated = %s, refused = %s, held = %s WHERE id = %s"
)


class ImportBusy(Exception):
    """Another import is waiting or running."""

    def __init__(self, live: StaffImport) -> None:
        super().__init__("Another import is waiting or running.")
        self.live = live


def _lock_is_free() -> bool:
    """Whether no worker is importing now (takes the lock and gives it straight back)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])
    return True


def notice_interrupted(job: StaffImport) -> StaffImport:
    """Mark ``job`` interrupted if it says it is running but no worker is importing."""
    if job.status == StaffImport.Status.RUNNING and _lock_is_free():
        StaffImport.objects.filter(pk=job.pk, status=StaffImport.Status.RUNNING).update(
            status=StaffImport.Status.INTERRUPTED,
            finished_at=timezone.now(),
            message="The import stopped before it finished (the worker stopped), and "
            "nothing from it was kept. Upload the file again to import it.",
        )
        job.refresh_from_db()
    return job


def start_import(*, actor: User, filename: str, data: bytes) -> StaffImport:
    """Check the upload, keep it and queue its import; raises ``ImportFileError`` for a file
    that cannot be imported and ``ImportBusy`` while another import is waiting or running."""
    check_file(data)
    live = StaffImport.objects.filter(live=True).first()
    if live is not None and notice_interrupted(live).live:
        raise ImportBusy(live)
    try:
        with transaction.atomic():
            job = StaffImport.objects.create(owner=actor, filename=filename[:255], data=data)
            audit.record(actor=actor, action="staff.import_queued", obj=job)
            transaction.on_commit(lambda: _queue(job.pk))
    except IntegrityError:
        raise ImportBusy(StaffImport.objects.get(live=True)) from None
    return job


def _queue(job_id: int) -> None:
    try:
        celery_app.signature(IMPORT_TASK, args=(job_id,)).apply_async()
    except Exception:  # broker down: the job waits, and HR may cancel it
        log.warning("Broker unavailable; staff import %s left waiting", job_id)


def cancel_waiting(*, actor: User, job: StaffImport) -> bool:
    """Cancel an import no worker has started (the broker was down, say); False if started."""
    with transaction.atomic():
        cancelled = StaffImport.objects.filter(pk=job.pk, status=StaffImport.Status.QUEUED).update(
            status=StaffImport.Status.FAILED,
            finished_at=timezone.now(),
            message=f"Cancelled by {actor.email} before it started; nothing was imported.",
        )
        if cancelled:
            audit.record(actor=actor, action="staff.import_cancelled", obj=job)
    return bool(cancelled)


class _ProgressWriter:
    """Writes the import's progress on a connection of its own, outside the import's
    transaction, so that the page sees it while the import runs. Best effort: a failed write
    is logged and the import goes on."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        self.live = connection.vendor == "postgresql"

    def __call__(self, state: ImportProgress) -> None:
        if not self.live:
            return
        try:
            with self.side.cursor() as cursor:
                cursor.execute(
                    _PROGRESS_SQL,
                    [
                        state.total,
                        state.read,
                        state.done,
                        state.created,
                        state.updated,
                        state.refused,
                        state.held,
                        self.job_id,
                    ],
                )
        except DatabaseError:
            log.warning("Could not write the progress of staff import %s", self.job_id)

    def close(self) -> None:
        self.side.close()


def run_import(job_id: int) -> str:
    """The worker's side: import the job's file once; the job's status afterwards."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
            if not cursor.fetchone()[0]:
                # Another worker is importing: this is a redelivered message for its job.
                return "busy"
    try:
        return _claim_and_import(job_id)
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


def _claim_and_import(job_id: int) -> str:
    claimed = StaffImport.objects.filter(pk=job_id, status=StaffImport.Status.QUEUED).update(
        status=StaffImport.Status.RUNNING, started_at=timezone.now()
    )
    job = StaffImport.objects.select_related("owner").get(pk=job_id)
    if not claimed:
        # Running but no one holds the lock: a worker died with it, and its message came back.
        return notice_interrupted(job).status
    writer = _ProgressWriter(job_id)
    try:
        _import(job, writer)
    except ImportFileError as exc:
        _finish(job, StaffImport.Status.REFUSED, f"{exc} Nothing was imported.")
    except Exception:
        log.exception("Staff import %s failed", job_id)
        _finish(
            job,
            StaffImport.Status.FAILED,
            "The import failed and nothing from it was kept. Try again; if it fails again, "
            "ask IT to look at the server's log.",
        )
    finally:
        writer.close()
    return job.status


def _import(job: StaffImport, writer: _ProgressWriter) -> None:
    with transaction.atomic():
        result = import_staff(
            actor=job.owner,
            data=bytes(job.data),
            source="upload",
            progress=writer,
        )
        problems = [{"line": e.line, "message": e.message, "held": False} for e in result.errors]
        problems += [{"line": e.line, "message": e.message, "held": True} for e in result.held]
        job.problems = sorted(problems, key=lambda p: p["line"])
        job.created, job.updated, job.unchanged = result.created, result.updated, result.unchanged
        job.refused, job.held = len(result.errors), len(result.held)
        job.rows_total = job.rows_read = job.rows_done = result.imported + job.refused + job.held
        job.status, job.finished_at = StaffImport.Status.DONE, timezone.now()
        job.save()


def _finish(job: StaffImport, status: str, message: str) -> None:
    StaffImport.objects.filter(pk=job.pk).update(
        status=status, finished_at=timezone.now(), message=message
    )
    job.refresh_from_db()


def problem_report(job: StaffImport, *, batch: int = 500) -> Iterator[str]:
    """The report of the rows not imported, as CSV text a batch of lines at a time: each row as
    it was in the file, with its line and every problem found in it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = _problem_rows(job)
    buffer.write("\ufeff")  # so that spreadsheets read the file as UTF-8
    while True:
        lines = list(itertools.islice(rows, batch))
        if not lines:
            return
        writer.writerows(lines)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _problem_rows(job: StaffImport) -> Iterator[list[str]]:
    problems: dict[int, list[str]] = {}
    for problem in job.problems:
        message = problem["message"]
        if problem["held"]:
            message = f"left for an administrator: {message}"
        problems.setdefault(problem["line"], []).append(message)
    return file_problem_rows(bytes(job.data), {k: "; ".join(v) for k, v in problems.items()})
