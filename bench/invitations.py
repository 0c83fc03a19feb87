"""Launch-day invitations: 10,000 imported people invited by one request, then e-mailed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_invite \
    .venv/bin/python bench/invitations.py [--people 10000]

Not a test. Uses (and creates if missing) the database named by DATABASE_URL.

1. Seeds ``--people`` imported people, as the staff import leaves them: no usable password,
   never signed in (seeded once: a re-run reuses them), and one HR person.
2. Queuing: HR's one POST to "Invite everyone who cannot sign in yet", through Django's test
   client with production settings (the session, the role check, the whole view). Each run
   starts from an outbox with no invitations, so each claims every one. The median of 5 runs
   after one warm-up, and the query count of one more, at ``--people`` and at a tenth of it.
   Target: < 5 s for 10,000.
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

from portal import invitations, permissions
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


def queue_once(client: Client) -> float:
    Notification.objects.filter(kind=invitations.KIND).delete()
    started = time.perf_counter()
    response = client.post(reverse("invite_staff"))
    seconds = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    return seconds


def queuing(client: Client, people: int) -> tuple[float, float, int]:
    """(median s, slowest s, queries) of HR's one request, for ``people``."""
    only(people)
    queue_once(client)  # warm
    timings = [queue_once(client) for _ in range(5)]
    Notification.objects.filter(kind=invitations.KIND).delete()
    with CaptureQueriesContext(connection) as queries:
        client.post(reverse("invite_staff"))
    claimed = Notification.objects.filter(kind=invitations.KIND).count()
    assert claimed == people, (claimed, people)
    return statistics.median(timings), max(timings), len(queries)


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
        f"\nQueuing: one POST by HR, {settings.OUTBOX_CLAIM_BATCH} claims per INSERT "
        f"(load average {os.getloadavg()[0]:.2f})"
    )
    print("| people | median | slowest of 5 | queries | target |")
    print("|---|---|---|---|---|")
    for people in (args.people // 10, args.people):
        median, slowest, queries = queuing(client, people)
        verdict = "met" if slowest < QUEUE_TARGET_S else "MISSED"
        print(
            f"| {people:,} | {median:.2f} s | {slowest:.2f} s | {queries} | "
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
