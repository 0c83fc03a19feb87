"""Launch-day invitations: 10,000 imported people invited by one request, then e-mailed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_invite \
    .venv/bin/python bench/invitations.py [--people 10000]

Not a test. Uses (and creates if missing) the database named by DATABASE_URL.

1. Seeds ``--people`` imported people, as the staff import leaves them: no usable password,
   never signed in (seeded once: a re-run reuses them), and one HR person.
2. Queuing: HR's one POST to "Invite everyone who cannot sign in yet", through Django's test
   client with production settings (the session, the role check, the whole view), then the
   worker's task it starts (run in this process, as the worker runs it), which claims every
   invitation in the outbox. Each run starts from an outbox with no invitations, so each claims
   every one. The median of 5 runs after one warm-up, and the query counts of one more, at
   ``--people`` and at a tenth of it. Target: all claimed < 5 s after the click for 10,000.
3. Sending: those invitations e-mailed by the outbox sweep (with each one-time link made as it
   is sent) to a local aiosmtpd server in its own process (``bench/smtp_sink.py``), by one sweep
   and by ``OUTBOX_SWEEPERS`` at once, as ``bench/scheduled_jobs.py`` measures the other notices.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_invite")

from _setup import analyse, prepare_database

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal import invitations, permissions, tasks
from portal.celery import app as celery_app
from portal.models import Department, Notification, User

QUEUE_TARGET_S = 5.0
DOMAIN = "invite.bench.example"
HR_EMAIL = f"hr@{DOMAIN}"


def seed(people: int) -> User:
    """``people`` imported people who cannot sign in yet, and an HR person (idempotent)."""
    have = User.objects.filter(email__endswith=f"@{DOMAIN}").exclude(email=HR_EMAIL).count()
    department, _ = Department.objects.get_or_create(name="Residential Care")
    unusable = make_password(None)  # as the import leaves them: a password nobody can use
    if have < people:
        User.objects.bulk_create(
            [
                User(
                    email=f"carer{n}@{DOMAIN}",
                    first_name=f"Carer{n}",
                    last_name="Bench",
                    employee_number=f"INV{n:07d}",
                    department=department,
                    start_date=date(2026, 1, 5),
                    password=unusable,
                )
                for n in range(have, people)
            ],
            batch_size=2000,
        )
    hr, created = User.objects.get_or_create(
        email=HR_EMAIL, defaults={"first_name": "Harriet", "last_name": "Bench"}
    )
    if created:
        hr.set_password("not-a-real-password-anyone-uses")
        hr.save()
        hr.groups.add(Group.objects.get_or_create(name=permissions.HR_GROUP)[0])
    # HR has signed in (they are at the page), so is not invited.
    User.objects.filter(pk=hr.pk).update(last_login=timezone.now())
    # Anyone else in this database (another benchmark's company) is left out of the count.
    User.objects.exclude(email__endswith=f"@{DOMAIN}").update(last_login=timezone.now())
    return hr


def only(people: int) -> None:
    """Exactly the first ``people`` seeded people cannot sign in yet."""
    seeded = User.objects.filter(email__endswith=f"@{DOMAIN}").exclude(email=HR_EMAIL)
    seeded.update(last_login=timezone.now())
    keep = seeded.order_by("pk").values_list("pk", flat=True)[:people]
    User.objects.filter(pk__in=list(keep)).update(last_login=None)


def queue_once(client: Client, hr: User) -> tuple[float, float]:
    """HR's request, then the worker's task it starts (run here, in this process): seconds each."""
    Notification.objects.filter(kind=invitations.KIND).delete()
    started = time.perf_counter()
    response = client.post(reverse("invite_staff"))
    asked = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    started = time.perf_counter()
    tasks.invite_staff(hr.pk)
    return asked, time.perf_counter() - started


def queuing(client: Client, hr: User, people: int) -> tuple[float, float, int, int]:
    """For ``people``: the request's median seconds, the median seconds until every invitation
    is claimed (request and task), the request's queries and the task's."""
    only(people)
    queue_once(client, hr)  # warm
    runs = [queue_once(client, hr) for _ in range(5)]
    celery_app.control.purge()  # the tasks the requests queued: run above, in this process
    Notification.objects.filter(kind=invitations.KIND).delete()
    with CaptureQueriesContext(connection) as asked:
        client.post(reverse("invite_staff"))
    with CaptureQueriesContext(connection) as claimed:
        tasks.invite_staff(hr.pk)
    celery_app.control.purge()
    count = Notification.objects.filter(kind=invitations.KIND).count()
    assert count == people, (count, people)
    return (
        statistics.median(a for a, _ in runs),
        statistics.median(a + c for a, c in runs),
        len(asked),
        len(claimed),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    prepare_database()
    hr = seed(args.people)
    analyse()
    client = Client()
    client.force_login(hr)
    print(
        f"\nQueuing: one POST by HR, then the task it starts ({settings.OUTBOX_CLAIM_BATCH} claims "
        f"per INSERT); load average {os.getloadavg()[0]:.2f}"
    )
    print("| people | request | request + task: all claimed | queries: request / task | target |")
    print("|---|---|---|---|---|")
    for people in (args.people // 10, args.people):
        request, claimed, asked, task = queuing(client, hr, people)
        verdict = "met" if claimed < QUEUE_TARGET_S else "MISSED"
        print(
            f"| {people:,} | {request * 1000:.0f} ms | {claimed:.2f} s | {asked} / {task} | "
            f"< {QUEUE_TARGET_S:.0f} s ({verdict}) |"
        )
    sys.stdout.flush()
    send(args.people)


def send(people: int) -> None:
    """The invitations e-mailed by the sweep, with the one-time link made per message."""
    from scheduled_jobs import free_port, send_with, use_smtp

    Notification.objects.exclude(kind=invitations.KIND).delete()
    port = free_port()
    use_smtp(port)
    print(f"\nSending {people:,} invitations to a local aiosmtpd server")
    print("| sweeps at once | time | per second | server accepted |")
    print("|---|---|---|---|")
    for sweepers in sorted({1, settings.OUTBOX_SWEEPERS}):
        seconds, sent, received = send_with(sweepers, port)
        print(f"| {sweepers} | {seconds:.2f} s | {sent / seconds:,.0f} | {received:,} |")
        assert received == sent == people, (received, sent)


if __name__ == "__main__":
    main()
