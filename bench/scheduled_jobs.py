"""The scheduled jobs at scale: the daily scan over 100,000 people, and e-mailing 10,000 notices.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale \
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/scheduled_jobs.py

1. The company of ``bench/seed_scale.py`` (100,000 people; seeded when the database has none),
   made to owe every kind of notice: everyone's password set at some moment of the last 90 days
   (usable), 5,000 personal-use grants expiring over the next 30 days, and the reviewers of the
   seed policy, whose review is overdue. Then ``VACUUM ANALYZE``.
2. The daily scan: each daily job of ``CELERY_BEAT_SCHEDULE``, in the order of the day, run as a
   worker runs it (``scheduling.run_job``): find the recipients and claim their notices. Twice:
   on the first day the portal runs the jobs, with the outbox empty (every person's latest
   occasion is owed at once: the worst day), then on the next day (an ordinary day: only that
   day's occasions). Target: <= 10 s for the whole scan.
3. Sending: 10,000 pending notices e-mailed by the outbox sweep over SMTP to a local aiosmtpd
   server running as its own process (``bench/smtp_sink.py``), which counts what it accepts.
   Target: >= 500 e-mails per second.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import multiprocessing
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_scale")

from _setup import analyse, prepare_database, seed_company

from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.contrib.auth.hashers import make_password
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from acknowledgements.models import PersonalUseGrant
from portal import outbox, scheduling
from portal.models import Notification, User

SCAN_TARGET_S = 10.0
SEND_TARGET_PER_S = 500
SEND_COUNT = 10_000
GRANTS = 5_000
HERE = Path(__file__).resolve().parent


def daily_jobs() -> list[tuple[str, int, int]]:
    """The daily jobs of the beat schedule with their UK hour and minute, in the day's order."""
    jobs = [
        (name, next(iter(entry["schedule"].hour)), next(iter(entry["schedule"].minute)))
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if isinstance(entry["schedule"], crontab)
    ]
    return sorted(jobs, key=lambda job: (job[1], job[2]))


def owe_everything() -> None:
    """Make the company owe each kind of notice (idempotent)."""
    hashed = make_password("not-a-real-password-anyone-uses")
    with connection.cursor() as cursor:
        # Set at a moment of the last 90 days, spread evenly over people.
        cursor.execute(
            "UPDATE portal_user SET password = %s, password_changed_at = "
            "now() - (id %% 90) * interval '1 day' - (id %% 1440) * interval '1 minute'",
            [hashed],
        )
    if not PersonalUseGrant.objects.exists():
        today = timezone.localdate()
        people = (
            User.objects.filter(is_active=True, line_manager__isnull=False)
            .order_by("pk")
            .values_list("pk", "line_manager_id")[:GRANTS]
        )
        PersonalUseGrant.objects.bulk_create(
            PersonalUseGrant(
                employee_id=pk,
                granted_by_id=manager,
                email=True,
                expires_on=today + timedelta(days=n % 30),
                granted_at=timezone.now() - timedelta(days=60),
            )
            for n, (pk, manager) in enumerate(people)
        )
    analyse()


def scan(day_offset: int) -> list[tuple[str, float, int, int, int]]:
    """Each daily job at its time on today + ``day_offset``: (job, seconds, queries, found,
    notices)."""
    day = timezone.localdate() + timedelta(days=day_offset)
    rows = []
    for name, hour, minute in daily_jobs():
        moment = datetime.combine(day, clock(hour, minute), tzinfo=ZoneInfo("Europe/London"))
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            run = scheduling.run_job(name, now=moment)
            seconds = time.perf_counter() - started
        rows.append((name, seconds, len(queries), run.found, run.notices))
    return rows


def print_scan(title: str, rows: list[tuple[str, float, int, int, int]]) -> float:
    total = sum(row[1] for row in rows)
    print(
        f"\n{title}: {total:.2f} s (target <= {SCAN_TARGET_S:.0f} s: "
        f"{'met' if total <= SCAN_TARGET_S else 'MISSED'})"
    )
    print("| job | time | queries | found | new notices |")
    print("|---|---|---|---|---|")
    for name, seconds, queries, found, notices in rows:
        print(f"| {name} | {seconds:.2f} s | {queries} | {found:,} | {notices:,} |")
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def use_smtp(port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def _sweep() -> None:
    connections.close_all()  # a connection of its own, as a separate worker has
    outbox.sweep(limit=SEND_COUNT)
    connections.close_all()


def _raw_sender(port: int, count: int, message: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        for _ in range(count):
            client.sendmail("it-portal@example.com", ["someone@example.com"], message)


def run_against_sink(port: int, jobs: list[tuple[Callable[..., None], tuple]]) -> tuple[float, int]:
    """Start the SMTP server (``bench/smtp_sink.py``) in its own process, run each job in a
    forked process of its own, all at once: (seconds until the last ends, messages the server
    accepted)."""
    count_file = Path(tempfile.mkdtemp()) / "count"
    sink = subprocess.Popen(  # noqa: S603 (our own script, with our own arguments)
        [sys.executable, str(HERE / "smtp_sink.py"), str(port), str(count_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout.readline().strip() == "ready"
        connections.close_all()  # each forked process opens its own
        fork = multiprocessing.get_context("fork")
        processes = [fork.Process(target=target, args=args) for target, args in jobs]
        started = time.perf_counter()
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        seconds = time.perf_counter() - started
    finally:
        sink.terminate()
        sink.wait(timeout=30)
    return seconds, int(count_file.read_text())


def sink_ceiling(parts: int, port: int) -> float:
    """What the SMTP server takes from ``parts`` plain smtplib clients sending one ready-made
    message over and over: no database and no message building, the most any sender could
    reach on this machine at this moment. Messages per second."""
    sample = Notification.objects.order_by("pk").first()
    message = mail.EmailMultiAlternatives(
        sample.subject, sample.body_text, to=["someone@example.com"]
    )
    message.attach_alternative(sample.body_html, "text/html")
    raw = message.message().as_bytes(linesep="\r\n")
    seconds, accepted = run_against_sink(
        port, [(_raw_sender, (port, SEND_COUNT // parts, raw)) for _ in range(parts)]
    )
    return accepted / seconds


def send_with(sweepers: int, port: int) -> tuple[float, int, int]:
    """All pending notices sent by ``sweepers`` sweeps at once, as ``outbox.sweep_all`` starts
    them for a backlog: (seconds, sent, accepted by the server)."""
    Notification.objects.update(
        status=Notification.Status.PENDING, attempts=0, sent_at=None, next_attempt_at=timezone.now()
    )
    seconds, accepted = run_against_sink(port, [(_sweep, ()) for _ in range(sweepers)])
    sent = Notification.objects.filter(status=Notification.Status.SENT).count()
    return seconds, sent, accepted


def send() -> None:
    """E-mail ``SEND_COUNT`` pending notices through the sweep to a local SMTP server."""
    port = free_port()
    use_smtp(port)
    # The password-age job's own notices (about 15,000 on the first day), the first 10,000 kept.
    Notification.objects.all().delete()
    scheduling.run_job("password-age")
    keep = Notification.objects.order_by("pk").values_list("pk", flat=True)[SEND_COUNT - 1]
    Notification.objects.filter(pk__gt=keep).delete()
    print(
        f"\nSending {SEND_COUNT:,} e-mails (multipart text and HTML, about 2 KB each) to a local "
        f"aiosmtpd server; a new connection every {settings.OUTBOX_MESSAGES_PER_CONNECTION} "
        "messages per sweeper."
    )
    print("| sweeps at once (one connection each) | time | per second | target | server accepted |")
    print("|---|---|---|---|---|")
    for sweepers in sorted({1, settings.OUTBOX_SWEEPERS}):
        seconds, sent, received = send_with(sweepers, port)
        rate = sent / seconds
        verdict = "met" if rate >= SEND_TARGET_PER_S else "MISSED"
        print(
            f"| {sweepers} | {seconds:.2f} s | {rate:,.0f} | >= {SEND_TARGET_PER_S} ({verdict}) | "
            f"{received:,} |"
        )
        assert received == sent == SEND_COUNT, (received, sent)
    connections.close_all()
    for parts in sorted({1, settings.OUTBOX_SWEEPERS}):
        print(
            f"| the server's ceiling: {parts} plain smtplib client(s), one ready-made message, "
            f"no database | | {sink_ceiling(parts, port):,.0f} | | |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["all", "scan", "send"], default="all")
    args = parser.parse_args()
    prepare_database()
    seed_company(100_000)
    owe_everything()
    Notification.objects.all().delete()
    print(
        f"{User.objects.count():,} people, {User.objects.filter(is_active=True).count():,} "
        "active; outbox empty."
    )
    if args.part in ("all", "scan"):
        print_scan("Daily scan, first day (everything owed at once)", scan(0))
        print_scan("Daily scan, the next day", scan(1))
    if args.part in ("all", "send"):
        send()


if __name__ == "__main__":
    main()
