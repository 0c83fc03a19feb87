"""A calendar that runs the scheduled jobs day by day under a fixed clock, and an oracle that
says, from the rules alone, which notices the days should have produced.

``Calendar`` walks the days. On each one it runs the events the test put on it (someone signs,
changes a password, leaves ...) and every job of ``CELERY_BEAT_SCHEDULE`` at the UK time beat
would run it, each under ``time_machine`` fixed at that moment, then sweeps the outbox. Days in
``outages`` run no job at all (beat was down); days in ``doubled`` run every job twice (two beats,
or a run by hand). A job added to the schedule is run by the calendar without any change here.

``Series`` states one run of notices from the rules: who gets it, the occasions (date and label)
and when it is live (the person has not signed, has not changed their password ...).
``expected`` then replays the days the way the rules read: on each day beat ran, a live series
owes its latest occasion on or before that day, once. It counts days rather than doing the
arithmetic the jobs do, so the two are independent statements of the same rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from portal import outbox, scheduling
from portal.models import Notification

LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` UK time on ``day``, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def days_from(start: date, count: int) -> list[date]:
    return [start + timedelta(days=n) for n in range(count)]


def job_times() -> dict[str, tuple[int, int]]:
    """Each daily (or hourly) job of the beat schedule and its UK time (hour, minute)."""
    found = {}
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        when = entry["schedule"]
        if not isinstance(when, crontab):
            continue  # the outbox sweep: the calendar sweeps after every job instead
        assert len(when.minute) == 1, f"{name}: one time an hour at most, please"
        if len(when.hour) == 24:
            # An hourly job (the end of access) owes its work from midnight: the calendar runs it
            # at its first time of the day, which is when anything it does falls due.
            when = crontab(hour=min(when.hour), minute=next(iter(when.minute)))
        assert len(when.hour) == 1, f"{name}: one time a day, or every hour, please"
        assert len(when.day_of_week) == 7, f"{name}: the calendar runs daily jobs only"
        assert entry["args"] == [name], f"{name}: beat entries are named after their job"
        found[name] = (next(iter(when.hour)), next(iter(when.minute)))
    return found


@dataclass
class Calendar:
    start: date
    days: int
    outages: set[date] = field(default_factory=set)
    doubled: set[date] = field(default_factory=set)
    events: dict[date, list[tuple[datetime, Callable[[], object]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    runs: int = 0
    emails: int = 0  # how many e-mails the sweeps sent, counted by the test

    @property
    def dates(self) -> list[date]:
        return days_from(self.start, self.days)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def on(self, moment: datetime, action: Callable[[], object]) -> None:
        """Do ``action`` at ``moment`` (aware), with the clock fixed there."""
        assert self.start <= moment.astimezone(LONDON).date() <= self.end
        self.events[moment.astimezone(LONDON).date()].append((moment, action))

    def job_moment(self, day: date, job: str) -> datetime:
        hour, minute = job_times()[job]
        return at(day, hour, minute)

    def beat_ran(self, day: date) -> bool:
        return day not in self.outages

    def run(self) -> None:
        times = job_times()
        for day in self.dates:
            todo: list[tuple[datetime, int, object]] = [
                (moment, 0, action) for moment, action in self.events.get(day, [])
            ]
            if self.beat_ran(day):
                repeats = 2 if day in self.doubled else 1
                for name in times:
                    for _ in range(repeats):
                        todo.append((self.job_moment(day, name), 1, name))
            for moment, kind, what in sorted(todo, key=lambda item: (item[0], item[1])):
                with time_machine.travel(moment, tick=False):
                    if kind == 0:
                        what()
                    else:
                        scheduling.run_job(what, now=moment)
                        self.runs += 1
                        outbox.sweep()


Sent = tuple[date, str, str]  # (UK date it was claimed, dedupe key, the address it went to)


def sent(kinds: Iterable[str]) -> set[Sent]:
    """Every notice of ``kinds`` in the outbox, with the UK date it was claimed."""
    return {
        (timezone.localdate(n.created_at), n.dedupe_key, n.to_email)
        for n in Notification.objects.filter(kind__in=list(kinds)).select_related("recipient")
    }


@dataclass
class Series:
    """A run of notices to one person, as the rules state it."""

    job: str
    to: str  # the recipient's email
    key: Callable[[str], str]  # occasion label -> dedupe key (called after the run)
    occasions: list[tuple[date, str]]
    live: Callable[[datetime], bool] = lambda moment: True


def expected(calendar: Calendar, series: Iterable[Series]) -> set[Sent]:
    """What the rules say was sent: on each day beat ran, a live series owes its latest
    occasion on or before that day, unless that occasion was sent already."""
    found: set[Sent] = set()
    for one in series:
        done: set[str] = set()
        for day in calendar.dates:
            if not calendar.beat_ran(day) or not one.live(calendar.job_moment(day, one.job)):
                continue
            owed = [occasion for occasion in one.occasions if occasion[0] <= day]
            if not owed:
                continue
            label = max(owed)[1]
            if label not in done:
                done.add(label)
                found.add((day, one.key(label), one.to))
    return found
