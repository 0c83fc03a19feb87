"""Mover notices as every role, GET and POST: the form, a real notice posted, the notice's page
and its cancelling. The routes are the notices' own (``staff_change_new`` with the kind
"mover"), so the matrix's one row per route is completed here for this kind."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from requests.staff import changes as staff_changes
from requests.staff.models import StaffChange
from tests.requests.staff import mover_details
from tests.security.test_permission_matrix import REDIRECT, only, outcome, signed_in
from tests.security.world import ROLES, World

NEW = reverse("requests:staff_change_new", args=["mover"])


def check(world: World, method: str, path: str, expected: dict, data: dict | None = None):
    wrong = []
    for role in ROLES:
        client = world.client_for(role, raise_request_exception=False)
        response = client.get(path) if method == "GET" else client.post(path, data or {})
        got = outcome(response)
        if got != expected[role]:
            wrong.append(f"{method} {path} as {role}: expected {expected[role]}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_the_mover_form_as_every_role(world: World) -> None:
    check(world, "GET", NEW, only(200, "hr", "line_manager"))
    check(world, "POST", NEW, only(200, "hr", "line_manager"))  # empty: shown again


def test_a_real_mover_notice_as_every_role(world: World) -> None:
    """Each role tries to move the employee to the other team's manager. Only HR and the
    employee's own line manager get through; every other attempt leaves nothing behind."""
    person, other = world.team.employee, world.strangers.line_manager
    data = {
        "mover": person.email,
        "effective_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "new_line_manager": other.email,
    }
    expected = only(REDIRECT, "hr", "line_manager")
    wrong = []
    for role in ROLES:
        client = world.client_for(role, raise_request_exception=False)
        got = outcome(client.post(NEW, data))
        made = StaffChange.objects.filter(kind=StaffChange.Kind.MOVER, state="open")
        if got != expected[role] or made.count() != (1 if got == REDIRECT else 0):
            wrong.append(f"{role}: {got}, {made.count()} notice(s)")
        for notice in made:  # the next role starts again from nothing
            staff_changes.cancel_notice(actor=world.users["hr"], notice=notice, reason="Test")
    assert not wrong, wrong
    person.refresh_from_db()
    assert person.line_manager == world.team.line_manager  # the date has not come


def test_a_manager_cannot_move_the_other_teams_people(world: World) -> None:
    client = world.client_for("line_manager", raise_request_exception=False)
    response = client.post(
        NEW,
        {
            "mover": world.strangers.employee.email,
            "effective_date": timezone.localdate().isoformat(),
            "new_line_manager": world.team.line_manager.email,
        },
    )
    assert response.status_code == 200
    assert "only for your own team" in response.content.decode()
    assert not StaffChange.objects.filter(kind=StaffChange.Kind.MOVER).exists()
    world.strangers.employee.refresh_from_db()
    assert world.strangers.employee.line_manager == world.strangers.line_manager


def test_a_mover_notice_and_its_cancelling_as_every_role(world: World) -> None:
    notice = staff_changes.submit_notice(
        actor=world.users["line_manager"],
        details=mover_details(
            world.team.employee,
            effective_date=timezone.localdate() + timedelta(days=14),
            job_title="Team Leader",
        ),
    )
    page = reverse("requests:staff_change", args=[notice.pk])
    check(world, "GET", page, signed_in(404, line_manager=200, hr=200, it=200))
    cancel = reverse("requests:staff_change_cancel", args=[notice.pk])
    check(world, "GET", cancel, signed_in(405))
    # An empty reason is shown again to those who may cancel.
    check(world, "POST", cancel, signed_in(404, line_manager=200, hr=200, it=403))
    notice.refresh_from_db()
    assert notice.is_open
