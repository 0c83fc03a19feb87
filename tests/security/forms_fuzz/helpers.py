"""What Hypothesis types into the forms, and how it posts them."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from portal.models import AuditEvent, User
from tests.security.fuzzing import check_outcome, example, last_event, text
from tests.security.world import state

TODAY = date.today()
DATES = st.one_of(
    st.dates(min_value=date(1, 1, 1)).map(lambda d: d.isoformat()),
    st.dates(min_value=TODAY - timedelta(days=3), max_value=TODAY + timedelta(days=400)).map(
        lambda d: d.strftime("%d/%m/%Y")
    ),
    text(20),
)


NUMBERS = st.one_of(st.integers().map(str), st.sampled_from(["", "1", "2", "0", "-1"]), text(10))
AXES_TABLES = frozenset({"axes.accessattempt", "axes.accessfailurelog", "axes.accesslog"})


def post(world_user: User | None, url: str, data: dict, **check: object) -> bool:
    with example(world_user) as client:
        before, since = state(), last_event()
        response = client.post(url, data)
        return check_outcome(response, before=before, since=since, **check)


def get(world_user: User | None, url: str, params: dict) -> None:
    """A page that only reads: no error, nothing recorded (the permission matrix shows that no
    GET changes a table, so the snapshots are left out here to keep the run short)."""
    with example(world_user) as client:
        since = last_event()
        response = client.get(url, params)
        assert response.status_code < 500, response.status_code
        assert not AuditEvent.objects.filter(pk__gt=since).exists()
