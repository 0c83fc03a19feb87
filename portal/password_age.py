"""Password age (policy 5.6: passwords are changed every 3 months).

A password is too old ``PASSWORD_MAX_AGE_DAYS`` days (of 24 hours) after it was set. Its owner is
told 14, 7 and 1 days before (``daily_job``); once it is too old, every request goes to the
change-password page until it is changed (``PasswordAgeMiddleware``). ``PASSWORD_MAX_AGE_DAYS =
0`` turns both off: current guidance (NCSC, NIST SP 800-63B, OWASP ASVS) advises against forced
rotation, and the policy's annual review is where the company decides.

Each notice is claimed as ``password-age:<user>:<when the password was set>:<days before>``, so a
new password starts a new series and the old one's notices stop. A day the job missed is made
up: the latest notice owed and not yet sent goes out, never a backlog.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from portal import outbox
from portal.models import User
from portal.scheduling import JobResult

# ``has_portal_password`` as a query condition, as Django's ``is_password_usable`` decides it:
# the hash of an unusable password starts with "!".
PORTAL_PASSWORD = ~Q(password__startswith=UNUSABLE_PASSWORD_PREFIX)
NOTICE_DAYS = (14, 7, 1)  # days before the password is too old
KIND = "password-expiring"
# "5 April 2026 at 05:00": the day in Django's date format, the time after it.
_EXPIRY_DAY_FORMAT, _EXPIRY_TIME_FORMAT = "j F Y", " at %H:%M"
# Pages someone with a password that is too old can still use.
ALLOWED_VIEWS = frozenset(
    {
        "password_change",
        "password_change_done",
        "logout",
        "login",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "healthz",
    }
)


def max_age() -> timedelta | None:
    days = settings.PASSWORD_MAX_AGE_DAYS
    return timedelta(days=days) if days else None


def expires_at(changed_at: datetime | None) -> datetime | None:
    """When a password set at ``changed_at`` becomes too old (None: it never does)."""
    age = max_age()
    if age is None or changed_at is None:
        return None
    return changed_at.astimezone(UTC) + age


def has_portal_password(user: User) -> bool:
    """Whether the password rules apply to ``user``: only to a usable portal password. Someone
    who only signs in through the organisation's own sign-in has none to change."""
    return user.has_usable_password()


def is_too_old(user: User, now: datetime | None = None) -> bool:
    if not has_portal_password(user):
        return False
    expiry = expires_at(getattr(user, "password_changed_at", None))
    return expiry is not None and (now or timezone.now()) >= expiry


def notice_owed(expiry_day: date, today: date) -> int | None:
    """The latest notice owed by ``today`` (14, 7 or 1 days before), or None."""
    days_left = (expiry_day - today).days
    if days_left <= 0:
        return None
    due = [days for days in NOTICE_DAYS if days_left <= days]
    return min(due) if due else None


def _local_midnight(day: date) -> datetime:
    # In UTC: arithmetic on a London datetime would add wall-clock days, an hour out across a
    # clock change.
    return timezone.make_aware(datetime.combine(day, time.min)).astimezone(UTC)


def _expiry_texts() -> Callable[[datetime], str]:
    """The local time of each of thousands of moments, in words: Django's formatting of the
    day runs once per day (a run's notices fall on a fortnight of days), and the time is written
    after it."""
    days: dict[date, str] = {}

    def text(moment: datetime) -> str:
        local = timezone.localtime(moment)
        day = local.date()
        if day not in days:
            days[day] = date_format(day, _EXPIRY_DAY_FORMAT)
        return days[day] + local.strftime(_EXPIRY_TIME_FORMAT)

    return text


def daily_job(now: datetime) -> JobResult:
    """Claim the password age notices owed today, for everyone at once."""
    age = max_age()
    if age is None:
        return JobResult(summary="Password expiry is turned off (PASSWORD_MAX_AGE_DAYS = 0).")
    today = timezone.localdate(now)
    longest = max(NOTICE_DAYS)
    # Passwords that become too old between tomorrow and ``longest`` days from now (London).
    people = (
        User.objects.filter(
            is_active=True,
            password_changed_at__gte=_local_midnight(today + timedelta(days=1)) - age,
            password_changed_at__lt=_local_midnight(today + timedelta(days=longest + 1)) - age,
        )
        .exclude(end_date__lt=today)
        .filter(PORTAL_PASSWORD)
        .values_list("pk", "first_name", "email", "password_changed_at")
    )
    owed = []
    for pk, first_name, email, changed_at in people:
        expiry = expires_at(changed_at)
        days = notice_owed(timezone.localdate(expiry), today)
        if days is not None:
            key = f"password-age:{pk}:{int(changed_at.timestamp())}:{days}"
            owed.append((key, outbox.Recipient(pk, first_name, email), expiry))
    # Most were told already: notices are built only for the keys still free.
    free = outbox.unclaimed(key for key, _, _ in owed)
    link = reverse("password_change")
    expiry_text = _expiry_texts()
    notices = [
        outbox.Notice(
            recipient=recipient,
            kind=KIND,
            dedupe_key=key,
            context={
                "days_left": (timezone.localdate(expiry) - today).days,
                "max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
            },
            link=link,
            # The moment is each person's own; the rest of the message is shared.
            personal={"expires_text": expiry_text(expiry)},
        )
        for key, recipient, expiry in owed
        if key in free
    ]
    return JobResult(found=len(owed), notices=outbox.notify_many(notices))


class PasswordAgeMiddleware:
    """Once a password is too old, every page but the password pages goes to the change page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not is_too_old(user):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in ALLOWED_VIEWS and not match.namespace:
            return None
        messages.warning(
            request,
            f"Your password is more than {settings.PASSWORD_MAX_AGE_DAYS} days old. Policy 5.6 "
            "asks everyone to change their password every three months: choose a new one to "
            "carry on.",
        )
        return redirect("password_change")
