"""Scheduled notices about unsigned policies: the signer, their line manager and HR.

For an unsigned assignment of the current version, assigned on day A and due on day D, the
signer is reminded on assignment (A), 7 and 1 days before D, on D, then every 3 days while it is
overdue (D+3, D+6 ...). A reminder that would fall on or before A is covered by the one on
assignment. Once a signature is 7 days overdue the line manager is told, once. HR gets a weekly
summary with the numbers and a link to the dashboard.

Each notice is claimed in the outbox by a key naming its occasion
(``unsigned:<assignment>:<occasion>``, ``unsigned-manager:<assignment>``,
``hr-summary:<monday>:<person>``), so the job can run any number of times a day. A day it missed
is made up the next time with the latest reminder owed, not a backlog. Reminders stop once the
person signs, leaves, or a new material version replaces what they were asked to sign.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from acknowledgements import compliance, selectors, signature_status
from acknowledgements.models import Assignment, PolicyVersion
from portal import invitations, outbox
from portal import permissions as roles
from portal.scheduling import JobResult

DAYS_BEFORE = (7, 1)
OVERDUE_EVERY = 3  # days
TELL_MANAGER_AFTER = 7  # days overdue
SIGNER_KIND = "policy-unsigned"
MANAGER_KIND = "policy-unsigned-manager"
SUMMARY_KIND = "policy-weekly-summary"


def reminder_owed(assigned_on: date, due: date, today: date) -> str | None:
    """The latest reminder owed by ``today``: 'assigned', 'due-7', 'due-1', 'due' or
    'overdue-<days>'; None before the assignment."""
    if today < assigned_on:
        return None
    overdue_days = signature_status.days_overdue(due, today)
    if overdue_days >= 0:
        days = overdue_days // OVERDUE_EVERY * OVERDUE_EVERY
        occasion, label = due + timedelta(days=days), (f"overdue-{days}" if days else "due")
    else:
        before = [d for d in DAYS_BEFORE if today >= due - timedelta(days=d)]
        if not before:
            return "assigned"
        days = min(before)
        occasion, label = due - timedelta(days=days), f"due-{days}"
    # A reminder on or before the day of the assignment is the assignment's own notice.
    return label if occasion > assigned_on else "assigned"


def manager_owed(due: date, today: date) -> bool:
    return signature_status.days_overdue(due, today) >= TELL_MANAGER_AFTER


def _unsigned(today: date):
    """Every unsigned assignment of a current version, of people still here, assigned by
    ``today``: one query, with what the notices need."""
    end_of_today = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    return (
        Assignment.objects.filter(
            signature_status.unsigned_q(),
            version__status=PolicyVersion.Status.PUBLISHED,
            user__is_active=True,
            assigned_at__lt=end_of_today,
        )
        .exclude(user__end_date__lt=today)
        .values(
            "pk",
            "due_date",
            "assigned_at",
            "user_id",
            "user__first_name",
            "user__last_name",
            "user__email",
            "user__last_login",
            "user__line_manager_id",
            "user__line_manager__first_name",
            "user__line_manager__email",
            "user__line_manager__is_active",
            "version__number",
            "version__reconfirmation",
            "version__change_summary",
            "version__policy__title",
            "version__policy__slug",
        )
        .order_by("pk")
    )


# (key, row, occasion): a reminder to the signer, or (occasion None) a notice to their manager.
Owed = tuple[str, dict, str | None]


def unsigned_job(now: datetime) -> JobResult:
    """Claim today's reminders to signers and notices to line managers.

    Most people owe nothing new on a given day (their latest occasion was claimed already), so
    the keys are worked out for everyone first, and notices built only for the free ones.
    """
    today = timezone.localdate(now)
    owed, found = _owed(today)
    free = outbox.unclaimed(key for key, _, _ in owed)
    notices = _notices([item for item in owed if item[0] in free], today)
    return JobResult(found=found, notices=outbox.notify_many(notices))


def _owed(today: date) -> tuple[list[Owed], int]:
    """Every notice owed today, claimed or not, and how many assignments owe one."""
    london = timezone.get_current_timezone()
    owed: list[Owed] = []
    found = 0
    for row in _unsigned(today):
        assigned_on = row["assigned_at"].astimezone(london).date()
        occasion = reminder_owed(assigned_on, row["due_date"], today)
        if occasion is not None:
            owed.append((f"unsigned:{row['pk']}:{occasion}", row, occasion))
        tell_manager = (
            manager_owed(row["due_date"], today)
            and row["user__line_manager_id"] is not None
            and row["user__line_manager__is_active"]
        )
        if tell_manager:
            owed.append((f"unsigned-manager:{row['pk']}", row, None))
        found += occasion is not None or tell_manager
    return owed, found


def _notices(owed: list[Owed], today: date) -> list[outbox.Notice]:
    policy_links: dict[str, str] = {}
    person_link = outbox.links_to("acknowledgements:person")
    notices = []
    for key, row, occasion in owed:
        due = row["due_date"]
        context = {
            "policy_title": row["version__policy__title"],
            "version_label": f"Version {row['version__number']}",
            "due_date": due,
            "days_left": (due - today).days,
            "days_overdue": signature_status.days_overdue(due, today),
        }
        if occasion is None:
            notices.append(_manager_notice(key, row, context, person_link(row["user_id"])))
            continue
        slug = row["version__policy__slug"]
        if slug not in policy_links:
            policy_links[slug] = reverse("acknowledgements:policy_detail", args=[slug])
        notices.append(
            outbox.Notice(
                recipient=outbox.Recipient(
                    row["user_id"], row["user__first_name"], row["user__email"]
                ),
                kind=SIGNER_KIND,
                dedupe_key=key,
                context={
                    **context,
                    **_reconfirmation(row),
                    "occasion": occasion,
                    **invitations.getting_in(row["user__last_login"]),
                },
                link=policy_links[slug],
            )
        )
    return notices


def _reconfirmation(row: dict) -> dict:
    """What a notice adds when the version is the same text asked again: that, and why."""
    if not row["version__reconfirmation"]:
        return {}
    return {"reconfirmation": True, "reason": row["version__change_summary"]}


def _manager_notice(key: str, row: dict, context: dict, link: str) -> outbox.Notice:
    return outbox.Notice(
        recipient=outbox.Recipient(
            row["user__line_manager_id"],
            row["user__line_manager__first_name"],
            row["user__line_manager__email"],
        ),
        kind=MANAGER_KIND,
        dedupe_key=key,
        context=context,
        link=link,
        personal={"person_name": f"{row['user__first_name']} {row['user__last_name']}"},
    )


# --- HR's weekly summary ----------------------------------------------------------------------
def week_of(today: date) -> date:
    """The Monday of ``today``'s week: the summary's occasion."""
    return today - timedelta(days=today.weekday())


def weekly_summary_job(now: datetime) -> JobResult:
    """Claim this week's summary for each member of HR (sent Monday, or the first run after)."""
    today = timezone.localdate(now)
    monday = week_of(today)
    policies = [
        {"title": policy.title, "totals": compliance.totals(policy, today)}
        for policy in selectors.published_policies().order_by("title")
    ]
    hr = roles.hr_staff().exclude(end_date__lt=today).only("pk", "first_name", "email").distinct()
    notices = [
        outbox.Notice(
            recipient=person,
            kind=SUMMARY_KIND,
            dedupe_key=f"hr-summary:{monday.isoformat()}:{person.pk}",
            context={"policies": policies, "week_of": monday, "today": today},
            link=reverse("acknowledgements:dashboard"),
        )
        for person in hr
    ]
    return JobResult(found=len(notices), notices=outbox.notify_many(notices))
