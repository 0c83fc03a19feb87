"""HR reminds the overdue people of a policy: everyone overdue, or those a filter of the
drill-down shows (a department, a line manager's team, people with no line manager ...).

The people reminded are the overdue among exactly those the staff list shows HR for the same
filters (``staff_status.staff``): the filter is applied on the server, again when the reminders
are claimed, so nothing reaches anyone outside it. Only HR may do this.

A reminder is claimed in the outbox under the same key as a line manager's reminder
(``staff_status.reminder_key``: one per person's requirement per day), so a person is reminded
at most once a day, whether by their manager, by HR, or by HR twice.

HR sees how many reminders will go before confirming (``preview``). Confirming audits the batch
once with that count and hands the work to a worker (``request_reminders``); the worker claims
the notices (``remind_overdue``), and the outbox sends them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from acknowledgements import signature_status, staff_status
from acknowledgements.models import Policy, PolicyVersion
from portal import audit, invitations, outbox
from portal import permissions as roles
from portal.celery import app as celery_app
from portal.models import User

log = logging.getLogger(__name__)

# The task that claims the reminders, by name: ``acknowledgements.tasks`` calls in here.
REMIND_TASK = "acknowledgements.tasks.remind_overdue"
REQUESTED = "policy.overdue_reminders_requested"  # the audit action of HR's confirmation


def may_remind_overdue(user: User) -> bool:
    return roles.is_hr(user)


def overdue(
    actor: User, policy: Policy, filters: staff_status.Filters, today: date | None = None
) -> QuerySet[User]:
    """The overdue among the people ``filters`` shows ``actor`` on the staff list."""
    narrowed = replace(filters, status=signature_status.OVERDUE)
    people = staff_status.staff(actor, policy, narrowed, today)
    if not may_remind_overdue(actor) or filters.status not in ("", signature_status.OVERDUE):
        return people.none()
    return people


def _rows(people: QuerySet[User]) -> list[dict[str, Any]]:
    return list(
        people.values(
            "pk",
            "first_name",
            "email",
            "last_login",
            "requirement_id",
            "due_date",
            "version_number",
        )
    )


def _key(row: dict[str, Any], today: date) -> str:
    return staff_status.reminder_key_for(row["requirement_id"], today)


@dataclass(frozen=True)
class Preview:
    overdue: int  # the overdue people the filter shows
    reminded_today: int  # of whom already reminded today (by HR or their manager)

    @property
    def to_send(self) -> int:
        return self.overdue - self.reminded_today


def preview(
    actor: User, policy: Policy, filters: staff_status.Filters, today: date | None = None
) -> Preview:
    """How many reminders confirming would send: three queries, however many people."""
    today = signature_status.local_today(today)
    rows = _rows(overdue(actor, policy, filters, today))
    claimed = outbox.claimed_keys(_key(row, today) for row in rows)
    return Preview(overdue=len(rows), reminded_today=len(claimed))


def request_reminders(
    *,
    actor: User,
    policy: Policy,
    filters: staff_status.Filters,
    request: HttpRequest | None = None,
) -> Preview:
    """HR's confirmation: audit the batch once with its count, and hand it to a worker.

    If the broker cannot be reached, the reminders are claimed here instead: nobody is left
    unreminded because Redis was down.
    """
    found = preview(actor, policy, filters)
    audit.record(
        actor=actor,
        action="policy.overdue_reminders_requested",
        obj=policy,
        data={"filters": filters.as_data(), "overdue": found.overdue, "to_send": found.to_send},
        request=request,
    )
    if found.to_send:
        args = (actor.pk, policy.pk, filters.as_data())
        try:
            celery_app.signature(REMIND_TASK, args=args).apply_async()
        except Exception:  # broker down, hung or misconfigured
            log.warning("Broker unavailable; claiming the reminders in the request")
            remind_overdue(actor=actor, policy=policy, filters=filters)
    return found


def remind_overdue(
    *,
    actor: User,
    policy: Policy,
    filters: staff_status.Filters,
    today: date | None = None,
) -> int:
    """Claim today's reminder for each overdue person the filter shows ``actor``; returns how
    many were claimed now. Safe to run twice: a key already claimed is skipped."""
    today = signature_status.local_today(today)
    rows = _rows(overdue(actor, policy, filters, today))
    free = outbox.unclaimed(_key(row, today) for row in rows)
    versions = {v.number: v for v in PolicyVersion.objects.filter(policy=policy)}
    link = reverse("acknowledgements:policy_detail", args=[policy.slug])
    notices = [
        outbox.Notice(
            recipient=outbox.Recipient(row["pk"], row["first_name"], row["email"]),
            kind=staff_status.REMINDER_KIND,
            dedupe_key=_key(row, today),
            context={
                "policy": policy,
                "version": versions.get(row["version_number"]),
                "due_date": row["due_date"],
                "overdue": True,
                **invitations.getting_in(row["last_login"]),
            },
            link=link,
        )
        for row in rows
        if _key(row, today) in free
    ]
    return outbox.notify_many(notices)


def _people(count: int) -> str:
    return f"{count} person" if count == 1 else f"{count} people"


def queued_message(found: Preview) -> str:
    return (
        f"Reminding {_people(found.to_send)}: the reminders are queued and go out in the next "
        "few minutes. Nobody gets more than one reminder a day."
    )


def nothing_message(found: Preview) -> str:
    if not found.overdue:
        return "Nobody among these people is overdue: no reminder was sent."
    return (
        f"All {_people(found.overdue)} overdue here have been reminded today already: no "
        "reminder was sent. You can remind them again tomorrow."
    )


def filters_from_data(data: dict[str, Any]) -> staff_status.Filters:
    """The filters ``Filters.as_data`` wrote, as the worker receives them."""
    dates = {"started_from", "started_to"}
    known = {name: value for name, value in data.items() if name in _FILTER_FIELDS}
    return staff_status.Filters(
        **{
            name: date.fromisoformat(value) if name in dates else value
            for name, value in known.items()
        }
    )


_FILTER_FIELDS = set(staff_status.Filters.__dataclass_fields__)
