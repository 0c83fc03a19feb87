"""Renewals in the register: software licences and paid subscriptions coming up for renewal.

Each active item of a renewed kind (``CatalogueItem.RENEWED_KINDS``) whose renewal date falls
within the next ``REMIND_DAYS_BEFORE`` is reminded to the budget holder of the department that
pays for it and to every active member of IT, once per renewal date per person:
``register-renewal:<item>:<renewal date>:<person>``. A run after a missed day still sends what
is owed (the window is "from today to 30 days ahead"), a second run sends nothing, and a renewal
date moved on a year is a new occasion, reminded again when it comes near.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from portal import departments, outbox
from portal import permissions as roles
from portal.models import User
from portal.scheduling import JobResult
from requests.models import CatalogueItem

REMIND_DAYS_BEFORE = timedelta(days=30)
KIND = "register-renewal"


def coming_up(today: date) -> QuerySet[CatalogueItem]:
    """Active licences and subscriptions renewing from ``today`` to 30 days ahead, soonest
    first, with who authorises the paying department's costs."""
    return (
        CatalogueItem.objects.filter(
            active=True,
            kind__in=CatalogueItem.RENEWED_KINDS,
            renewal_date__gte=today,
            renewal_date__lte=today + REMIND_DAYS_BEFORE,
        )
        .select_related("department__budget_holder", "department__deputy")
        .order_by("renewal_date", "pk")
    )


def _recipients(item: CatalogueItem, it: list[User], today: date) -> list[User]:
    """IT, and whoever authorises the paying department's costs that day: the budget holder, or
    the deputy within their dates."""
    people = {member.pk: member for member in it}
    holder = departments.authoriser(item.department, today)
    if holder is not None:
        people.setdefault(holder.pk, holder)
    return list(people.values())


def reminder_key(item: CatalogueItem, person: User) -> str:
    return f"{KIND}:{item.pk}:{item.renewal_date.isoformat()}:{person.pk}"


def renewals_job(now: datetime) -> JobResult:
    today = timezone.localdate(now)
    items = list(coming_up(today))
    if not items:
        return JobResult()
    it = list(roles.it_staff().exclude(end_date__lt=today).order_by("pk").distinct())
    notices = [
        outbox.Notice(
            recipient=person,
            kind=KIND,
            dedupe_key=reminder_key(item, person),
            context={
                "item_name": item.name,
                "kind_label": item.get_kind_display(),
                "renewal_date": item.renewal_date,
                "days_left": (item.renewal_date - today).days,
                "licence_count": item.licence_count,
                "department_name": item.department.name if item.department else "",
            },
            link=f"{reverse('requests:register')}?{urlencode({'q': item.name[:100]})}",
        )
        for item in items
        for person in _recipients(item, it, today)
    ]
    return JobResult(found=len(items), notices=outbox.notify_many(notices))
