"""The small company of the calendar test and its four hundred days: the people, what happens to
them and when, and the notices the rules give them (``Series``, the oracle's input)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.test import RequestFactory

from acknowledgements import grants, publishing, reviews, signing
from acknowledgements.models import Assignment, PersonalUseGrant, PolicyReview, PolicyVersion
from portal import accounts
from portal import permissions as roles
from portal.models import User
from tests.factories import PASSWORD, DepartmentFactory
from tests.scheduling.calendar import LONDON, Calendar, Series, at, days_from

START = date(2026, 1, 5)  # a Monday
DAYS = 400
SPRING_FORWARD = date(2026, 3, 29)
FALL_BACK = date(2026, 10, 25)
OUTAGES = (
    set(days_from(date(2026, 3, 1), 7))  # covers a Monday and a due-7 reminder
    | set(days_from(date(2026, 4, 18), 3))  # a starter's due-7 reminder, and a Monday
    | set(days_from(date(2026, 5, 10), 7))  # two overdue reminders in a row
)
DOUBLED = {date(2026, 2, 10), FALL_BACK}

# The rules, in days.
DUE_AFTER_PUBLICATION = 21
DUE_AFTER_START = 7
MAX_AGE = timedelta(days=90)
NEW_PASSWORD = "Quartz-meadow-harbour-{}"

SCHEDULED_KINDS = {
    "policy-unsigned",
    "policy-unsigned-manager",
    "policy-weekly-summary",
    "policy-review-reminder",
    "password-expiring",
    "personal-use-expiring",
    "signature-witness",
}
# The auditor's mailbox, outside the company, that gets the signature chain's head every day.
AUDITOR = "auditor@audit.example"

# When each person signs each version (UK time); absent: never.
SIGNS_V1 = {
    "rowan": at(date(2026, 1, 6), 9),
    "hannah": at(date(2026, 1, 6), 9),
    "harriet": at(date(2026, 1, 6), 9),
    "ivan": at(date(2026, 1, 6), 9),
    "morgan": at(date(2026, 1, 6), 9),
    "emma": at(date(2026, 1, 7), 10),
    "ben": at(date(2026, 1, 22), 10),  # after the 7-day reminder
    "ella": at(date(2026, 1, 26), 12),  # on the due date, after that morning's reminder
    "dylan": at(date(2026, 2, 6), 10),  # 11 days late: the manager has been told
}
V2_PUBLISHED = at(date(2026, 2, 20), 10)
SIGNS_V2 = {
    "rowan": at(date(2026, 2, 21), 9),
    "hannah": at(date(2026, 2, 21), 9),
    "harriet": at(date(2026, 2, 21), 9),
    "ivan": at(date(2026, 2, 21), 9),
    "morgan": at(date(2026, 2, 21), 9),
    "ella": at(date(2026, 2, 23), 10),
    "emma": at(date(2026, 3, 10), 10),  # her 7-day reminder fell in an outage: sent late
    "dylan": at(date(2026, 3, 13), 12),  # on the due date
    "george": at(date(2026, 4, 27), 10),  # a starter, on his due date
}
GEORGE_JOINS = at(date(2026, 4, 15), 10)
GEORGE_STARTS = date(2026, 4, 20)
CHLOE_LEAVES = date(2026, 6, 30)  # her last day
PASSWORD_CHANGES = {
    "ben": [at(date(2026, 3, 25), 10)],
    # Just after midnight in summer time: 23:30 UTC the day before, so her password is too old
    # on 7 November (winter time), not the 8th.
    "emma": [at(date(2026, 3, 30), 9), at(date(2026, 8, 10), 0, 30)],
}
REVIEW_OUTCOMES = {  # the seed version's review: the last outcome completes it
    "rowan": (at(date(2026, 1, 15), 11), "no_change"),
    "hannah": (at(date(2026, 1, 19), 11), "no_change"),
    "ivan": (at(date(2026, 1, 25), 11), "changes_needed"),
}
# Version 2's review is due a year after its publication and opens 60 days before.
REVIEW_2_DATE = date(2027, 2, 20)
REVIEW_2_OUTCOMES = {"rowan": (at(date(2027, 1, 25), 11), "no_change")}
# (employee, facility, granted, expires, revoked)
GRANTS = (
    ("emma", "email", at(date(2026, 2, 2), 10), date(2026, 5, 31), None),
    ("dylan", "internet", at(date(2026, 7, 1), 10), date(2026, 7, 5), None),  # too short to warn
    ("ben", "telephone", at(date(2026, 9, 1), 10), date(2026, 10, 30), at(date(2026, 10, 20), 16)),
    ("ella", "email", at(date(2026, 10, 1), 10), date(2026, 10, 31), None),
)
STAFF = ("emma", "ben", "chloe", "dylan", "ella", "farah")
REVIEWERS = ("rowan", "hannah", "ivan")
HR = ("hannah", "harriet")
EVERYONE = ("rowan", "hannah", "harriet", "ivan", "morgan", *STAFF)


def email(name: str) -> str:
    return f"{name}@example.com"


class Company:
    """The people and the actions the calendar performs on them."""

    def __init__(self) -> None:
        self.people: dict[str, User] = {}
        self.grants: dict[str, PersonalUseGrant] = {}

    def person(self, name: str) -> User:
        return User.objects.get(email=email(name))

    def hire(self, name: str, *, manager: str | None = None, start: date = date(2020, 4, 1)):
        user = User.objects.create_user(
            email(name),
            PASSWORD,
            first_name=name.title(),
            last_name="Example",
            department=DepartmentFactory(name="Residential Care"),
            line_manager=self.person(manager) if manager else None,
            start_date=start,
            end_date=CHLOE_LEAVES if name == "chloe" else None,
        )
        self.people[name] = user
        return user

    def set_up(self) -> None:
        for name in ("rowan", "hannah", "harriet", "ivan", "morgan"):
            self.hire(name)
        for name in STAFF:
            self.hire(name, manager=None if name == "farah" else "morgan")
        for name in REVIEWERS:
            self.person(name).groups.add(roles_group(roles.REVIEWERS_GROUP))
        for name in HR:
            self.person(name).groups.add(roles_group(roles.HR_GROUP))
        self.person("ivan").groups.add(roles_group(roles.IT_GROUP))
        publishing.load_seed_policy()

    def sign(self, name: str, number: int) -> None:
        version = PolicyVersion.objects.get(number=number)
        request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.10")
        signing.sign(
            user=self.person(name),
            version=version,
            printed_name=self.person(name).full_name,
            password=PASSWORD,
            request=request,
        )

    def change_password(self, name: str, n: int) -> None:
        user = self.person(name)
        user.set_password(NEW_PASSWORD.format(n))
        user.save()
        accounts.password_changed(user=user, how="changed")

    def record(self, name: str, outcome: str) -> None:
        review = PolicyReview.objects.get(status=PolicyReview.Status.OPEN)
        reviews.record_outcome(
            reviewer=self.person(name), review=review, outcome=outcome, notes="Section 5.6."
        )

    def publish_v2(self) -> None:
        rowan = self.person("rowan")
        draft = publishing.create_draft(actor=rowan, policy=PolicyVersion.objects.get().policy)
        publishing.update_draft(
            actor=rowan,
            version=draft,
            body=draft.body.replace("every 3 months", "every three months"),
            change_summary="Password changes, as the review asked.",
        )
        publishing.publish(actor=rowan, version=draft, material=True)

    def grant(self, name: str, facility: str, expires: date) -> None:
        self.grants[name] = grants.grant_personal_use(
            manager=self.person("morgan"),
            employee=self.person(name),
            email=facility == "email",
            internet=facility == "internet",
            telephone=facility == "telephone",
            expires_on=expires,
            note="",
        )

    def revoke(self, name: str) -> None:
        grants.revoke_personal_use(
            manager=self.person("morgan"), employee=self.person(name), note="No longer needed."
        )

    def deactivate(self, name: str) -> None:
        User.objects.filter(email=email(name)).update(is_active=False)


def roles_group(name: str):
    from django.contrib.auth.models import Group

    return Group.objects.get_or_create(name=name)[0]


def build_calendar(company: Company) -> Calendar:
    calendar = Calendar(START, DAYS, outages=OUTAGES, doubled=DOUBLED)
    calendar.on(at(START, 4), company.set_up)
    for name, moment in SIGNS_V1.items():
        calendar.on(moment, lambda name=name: company.sign(name, 1))
    for name, moment in SIGNS_V2.items():
        calendar.on(moment, lambda name=name: company.sign(name, 2))
    for name, (moment, outcome) in REVIEW_OUTCOMES.items():
        calendar.on(moment, lambda name=name, outcome=outcome: company.record(name, outcome))
    for name, (moment, outcome) in REVIEW_2_OUTCOMES.items():
        calendar.on(moment, lambda name=name, outcome=outcome: company.record(name, outcome))
    calendar.on(V2_PUBLISHED, company.publish_v2)
    calendar.on(GEORGE_JOINS, lambda: company.hire("george", manager="morgan", start=GEORGE_STARTS))
    calendar.on(at(CHLOE_LEAVES + timedelta(days=1), 5, 30), lambda: company.deactivate("chloe"))
    for name, moments in PASSWORD_CHANGES.items():
        for n, moment in enumerate(moments):
            calendar.on(moment, lambda name=name, n=n: company.change_password(name, n))
    for name, facility, granted, expires, revoked in GRANTS:
        calendar.on(granted, lambda n=name, f=facility, e=expires: company.grant(n, f, e))
        if revoked:
            calendar.on(revoked, lambda name=name: company.revoke(name))
    return calendar


# --- The rules, as series of notices ----------------------------------------------------------
def before(moment: datetime | None) -> callable:
    return lambda now: moment is None or now < moment


def every(start: date, step: int, end: date) -> list[date]:
    found, day = [], start
    while day <= end:
        found.append(day)
        day += timedelta(days=step)
    return found


def still_here(name: str) -> callable:
    return lambda now: name != "chloe" or now.astimezone(LONDON).date() <= CHLOE_LEAVES


def unsigned_series(
    name: str, number: int, assigned: datetime, due: date, signed: datetime | None, end: date
) -> list[Series]:
    """Reminders on assignment, 7 and 1 days before, on the day, then every 3 days; the manager
    told at 7 days overdue."""
    assigned_on = assigned.astimezone(LONDON).date()
    occasions = [(assigned_on, "assigned")] + [
        (day, label)
        for day, label in [
            (due - timedelta(days=7), "due-7"),
            (due - timedelta(days=1), "due-1"),
            (due, "due"),
            *[(day, f"overdue-{(day - due).days}") for day in every(due + timedelta(3), 3, end)],
        ]
        if day > assigned_on
    ]
    superseded = V2_PUBLISHED if number == 1 else None
    here = still_here(name)

    def live(now: datetime) -> bool:
        return now >= assigned and before(signed)(now) and before(superseded)(now) and here(now)

    def key(label: str, suffix: str = "") -> str:
        pk = Assignment.objects.get(user__email=email(name), version__number=number).pk
        return f"unsigned-manager:{pk}" if suffix else f"unsigned:{pk}:{label}"

    found = [Series("unsigned-policy", email(name), key, occasions, live)]
    if name != "farah":  # farah has no line manager
        found.append(
            Series(
                "unsigned-policy",
                email("morgan"),
                lambda label: key(label, "manager"),
                [(due + timedelta(days=7), "manager")],
                live,
            )
        )
    return found


def password_series(name: str, created: datetime, end: date) -> list[Series]:
    changes = [created, *PASSWORD_CHANGES.get(name, [])]
    found = []
    for n, changed in enumerate(changes):
        replaced = changes[n + 1] if n + 1 < len(changes) else None
        # 90 days of 24 hours: aware arithmetic in London time would add wall-clock days.
        expiry = (changed.astimezone(UTC) + MAX_AGE).astimezone(LONDON).date()
        stamp = int(changed.timestamp())
        occasions = [(expiry - timedelta(days=days), f"{days}") for days in (14, 7, 1)]

        here = still_here(name)

        def live(now: datetime, replaced=replaced, expiry=expiry, here=here) -> bool:
            return before(replaced)(now) and now.astimezone(LONDON).date() < expiry and here(now)

        found.append(
            Series(
                "password-age",
                email(name),
                lambda label, name=name, stamp=stamp: (
                    f"password-age:{User.objects.get(email=email(name)).pk}:{stamp}:{label}"
                ),
                occasions,
                live,
            )
        )
    return found


def review_series(review_date: date, opened: date, outcomes: dict, end: date) -> list[Series]:
    occasions = [(review_date - timedelta(days=d), f"before-{d}") for d in (60, 30, 7)] + [
        (day, f"overdue-{(day - review_date).days}")
        for day in every(review_date + timedelta(days=7), 7, end)
    ]
    found = []
    for name in REVIEWERS:
        recorded = outcomes.get(name, (None,))[0]
        closed = max(moment for moment, _ in outcomes.values()) if len(outcomes) == 3 else None

        def key(label: str, name: str = name) -> str:
            review = PolicyReview.objects.get(review_date=review_date)
            pk = User.objects.get(email=email(name)).pk
            return f"review:{review.pk}:{pk}:{label}"

        def live(now: datetime, recorded=recorded, closed=closed) -> bool:
            return (
                now.astimezone(LONDON).date() >= opened
                and before(recorded)(now)
                and before(closed)(now)
            )

        found.append(Series("policy-reviews", email(name), key, occasions, live))
    return found


def summary_series(end: date) -> list[Series]:
    mondays = every(START, 7, end)
    return [
        Series(
            "hr-weekly-summary",
            email(name),
            lambda label, name=name: f"hr-summary:{label}:{User.objects.get(email=email(name)).pk}",
            [(monday, monday.isoformat()) for monday in mondays],
        )
        for name in HR
    ]


def witness_series(end: date) -> list[Series]:
    # The head is witnessed every morning once there is one: from the day after the first
    # signatures. A day beat missed has no witness of its own (the next one covers it).
    first = min(moment.astimezone(LONDON).date() for moment in SIGNS_V1.values())
    return [
        Series(
            "signature-witness",
            AUDITOR,
            lambda label: f"witness:{label}:{AUDITOR}",
            [(day, day.isoformat()) for day in every(first + timedelta(days=1), 1, end)],
        )
    ]


def grant_pk(name: str, expires: date) -> int:
    return PersonalUseGrant.objects.get(employee__email=email(name), expires_on=expires).pk


def grant_series(end: date) -> list[Series]:
    found = []
    for name, _facility, granted, expires, revoked in GRANTS:
        occasion = expires - timedelta(days=7)
        if granted.astimezone(LONDON).date() > occasion:
            continue  # a grant shorter than the notice needs no warning

        def live(now: datetime, expires=expires, revoked=revoked) -> bool:
            return before(revoked)(now) and now.astimezone(LONDON).date() <= expires

        for to in (name, "morgan"):
            found.append(
                Series(
                    "personal-use-expiry",
                    email(to),
                    lambda label, name=name, expires=expires, to=to: (
                        f"personal-use-expiring:{grant_pk(name, expires)}:"
                        f"{User.objects.get(email=email(to)).pk}"
                    ),
                    [(occasion, "expiring")],
                    live,
                )
            )
    return found


def scheduled_series(calendar: Calendar) -> list[Series]:
    end = calendar.end
    v1_assigned = at(START, 5)  # by the first morning's assignment job
    v1_due = START + timedelta(days=DUE_AFTER_PUBLICATION)
    v2_due = V2_PUBLISHED.date() + timedelta(days=DUE_AFTER_PUBLICATION)
    series = []
    for name in EVERYONE:
        series += unsigned_series(name, 1, v1_assigned, v1_due, SIGNS_V1.get(name), end)
        if name != "chloe" or V2_PUBLISHED.date() <= CHLOE_LEAVES:
            series += unsigned_series(name, 2, V2_PUBLISHED, v2_due, SIGNS_V2.get(name), end)
        series += password_series(name, at(START, 4), end)
    # The starter: his account is made before his first day; the next morning's job asks him to
    # sign within 7 days of starting.
    george_assigned = at(GEORGE_JOINS.date() + timedelta(days=1), 5)
    series += unsigned_series(
        "george",
        2,
        george_assigned,
        GEORGE_STARTS + timedelta(DUE_AFTER_START),
        SIGNS_V2["george"],
        end,
    )
    series += password_series("george", GEORGE_JOINS, end)
    series += review_series(date(2018, 3, 1), START, REVIEW_OUTCOMES, end)
    series += review_series(
        REVIEW_2_DATE, REVIEW_2_DATE - timedelta(days=60), REVIEW_2_OUTCOMES, end
    )
    series += summary_series(end)
    series += grant_series(end)
    series += witness_series(end)
    return series
