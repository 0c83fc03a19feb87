"""The daily digest for staff without a work e-mail.

A notice to someone with no address cannot be e-mailed: the outbox keeps it in their inbox
(status ``inbox``). So that nobody is silently unreachable, this job lists each such notice
for the person's line manager, or for HR when they have no manager who can be e-mailed, in one
e-mail a day. Each notice is listed once (its ``digest`` is set in the same transaction), so a
second run, or two at once, list nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal import outbox, permissions
from portal.models import Notification, User
from portal.scheduling import JobResult

DIGEST_KIND = "no-email-digest"


def _readers(person: User, hr: list[User]) -> list[User]:
    manager = person.line_manager
    if manager is not None and manager.is_active and manager.email:
        return [manager]
    return hr


def _waiting() -> list[Notification]:
    return list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=Notification.Status.INBOX, digest__isnull=True)
        .select_related("recipient", "recipient__line_manager")
        .order_by("recipient__last_name", "recipient__first_name", "recipient_id", "id")
    )


def daily_job(now: datetime) -> JobResult:
    """List every inbox-only notice not yet listed for whoever reads it for its recipient."""
    with transaction.atomic():
        waiting = _waiting()
        hr = list(permissions.hr_staff().exclude(email__isnull=True).order_by("pk"))
        for_reader: dict[int, list[Notification]] = defaultdict(list)
        readers: dict[int, User] = {}
        for notification in waiting:
            for reader in _readers(notification.recipient, hr):
                readers[reader.pk] = reader
                for_reader[reader.pk].append(notification)
        digest_of: dict[int, Notification] = {}
        for pk, items in for_reader.items():
            digest = _send_digest(readers[pk], items, now)
            for item in items:
                digest_of.setdefault(item.pk, digest)
        for item_pk, digest in digest_of.items():
            Notification.objects.filter(pk=item_pk).update(digest=digest)
    unlisted = len(waiting) - len(digest_of)
    summary = f"{len(digest_of)} notices listed for {len(for_reader)} people"
    if unlisted:
        summary += f"; {unlisted} have nobody to list them for (no manager with email, no HR)"
    return JobResult(found=len(waiting), notices=len(for_reader), summary=summary)


def _send_digest(reader: User, items: list[Notification], now: datetime) -> Notification:
    people: dict[int, dict[str, object]] = {}
    for item in items:
        person = item.recipient
        entry = people.setdefault(
            person.pk,
            {"name": person.full_name, "number": person.employee_number, "notices": []},
        )
        entry["notices"].append({"subject": item.subject, "created_at": item.created_at})
    return outbox.notify(
        recipient=reader,
        kind=DIGEST_KIND,
        # The newest notice listed: a later run lists only newer ones, under a new key.
        dedupe_key=f"{DIGEST_KIND}:{reader.pk}:{max(i.pk for i in items)}",
        context={
            "people": list(people.values()),
            "count": len(items),
            "day": timezone.localdate(now),
        },
        link=reverse("inbox"),
    )
