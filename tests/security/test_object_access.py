"""Object by object: nobody reaches another person's records by changing a number in the address.

Every URL that names an object (detail, edit, approve, download, export ...) is tried by the
people of another department, the employee, their line manager and their budget holder, on
the first department's objects, and the other way round. Each try sends what a real use of the
page would send, so a missing check would do the thing rather than fail on an empty form. The
answer is always a 403 or a 404, and nothing changes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from portal.models import AuditEvent, StaffImport, User
from tests.security.urls import routes
from tests.security.world import PDF, Team, World, changed_tables, state

ATTACKERS = ("employee", "line_manager", "budget_holder")


@dataclass(frozen=True)
class ObjectUrl:
    args: Callable[[World, Team], list[object]]
    get: bool = True
    post: Callable[[World, Team], dict[str, object]] | None = None


def _grant(w: World, t: Team) -> dict[str, object]:
    return {"email": "on", "internet": "on", "note": "Granted."}


def _request_form(w: World, t: Team) -> dict[str, object]:
    return {
        "item": "Changed by someone else",
        "justification": "Changed.",
        "quantity": "1",
    }


def _staff_import(w: World) -> StaffImport:
    """A waiting import of the directory, uploaded by HR (one at a time: the same one each try)."""
    job = StaffImport.objects.filter(live=True).first()
    return job or StaffImport.objects.create(owner=w.users["hr"], filename="staff.csv", data=b"")


OBJECT_URLS: dict[str, ObjectUrl] = {
    "inbox_message": ObjectUrl(lambda w, t: [t.notification.pk]),
    "acknowledgements:receipt": ObjectUrl(lambda w, t: [t.ack.pk]),
    "acknowledgements:receipt_pdf": ObjectUrl(lambda w, t: [t.ack.pk]),
    "acknowledgements:question": ObjectUrl(
        lambda w, t: [t.question.pk], post=lambda w, t: {"answer": "Yes, at lunch."}
    ),
    "acknowledgements:team_personal_use": ObjectUrl(lambda w, t: [t.employee.pk], post=_grant),
    "acknowledgements:revoke_personal_use": ObjectUrl(
        lambda w, t: [t.employee.pk], get=False, post=lambda w, t: {"note": "Revoked."}
    ),
    "acknowledgements:person": ObjectUrl(lambda w, t: [t.employee.pk]),
    # A first sign-in letter: only HR, or the person's own line manager, prints one.
    "print_sign_in_letter": ObjectUrl(
        lambda w, t: [t.employee.pk], get=False, post=lambda w, t: {}
    ),
    "acknowledgements:remind": ObjectUrl(
        lambda w, t: [w.slug, t.employee.pk], get=False, post=lambda w, t: {}
    ),
    "requests:detail": ObjectUrl(lambda w, t: [t.request.pk]),
    "requests:edit": ObjectUrl(lambda w, t: [t.request.pk], post=_request_form),
    "requests:act": ObjectUrl(
        lambda w, t: [t.request.pk], get=False, post=lambda w, t: {"action": "budget_approve"}
    ),
    "requests:assign": ObjectUrl(lambda w, t: [t.request.pk], get=False, post=lambda w, t: {}),
    "requests:comment": ObjectUrl(
        lambda w, t: [t.request.pk], get=False, post=lambda w, t: {"body": "Let me in."}
    ),
    "requests:upload": ObjectUrl(
        lambda w, t: [t.request.pk],
        get=False,
        post=lambda w, t: {"file": SimpleUploadedFile("mine.pdf", PDF)},
    ),
    "requests:download": ObjectUrl(lambda w, t: [t.attachment.pk]),
    # Another department's starters-and-leavers notice: nothing of it reachable by its number.
    "requests:staff_change": ObjectUrl(lambda w, t: [t.notice.pk]),
    "requests:staff_change_task": ObjectUrl(
        lambda w, t: [t.notice.pk, t.notice.tasks.order_by("pk")[0].pk],
        get=False,
        post=lambda w, t: {"note": "Done."},
    ),
    "requests:staff_change_link": ObjectUrl(
        lambda w, t: [t.notice.pk],
        post=lambda w, t: {"account": t.employee.pk, "reactivate": "no", "same_person": "on"},
    ),
    "requests:staff_change_extend": ObjectUrl(
        lambda w, t: [t.notice.pk], get=False, post=lambda w, t: {"end_date": "2099-01-01"}
    ),
    "requests:staff_change_cancel": ObjectUrl(
        lambda w, t: [t.notice.pk], get=False, post=lambda w, t: {"reason": "Not needed."}
    ),
    "requests:staff_change_invite": ObjectUrl(
        lambda w, t: [t.notice.pk], get=False, post=lambda w, t: {}
    ),
    # HR's staff imports: the file, its report and its cancelling are HR's alone.
    "staff_import_job": ObjectUrl(lambda w, t: [_staff_import(w).pk]),
    "staff_import_problems": ObjectUrl(lambda w, t: [_staff_import(w).pk]),
    "staff_import_cancel": ObjectUrl(
        lambda w, t: [_staff_import(w).pk], get=False, post=lambda w, t: {}
    ),
    # A department's budget holder and history are HR's alone, whoever's department it is.
    "department_edit": ObjectUrl(
        lambda w, t: [t.department.pk],
        post=lambda w, t: {"name": "Taken over", "budget_holder": t.employee.email},
    ),
    "department_history": ObjectUrl(lambda w, t: [t.department.pk]),
    # IT's operations and the annual review are for their roles only (the matrix covers them).
    "retry_notification": ObjectUrl(
        lambda w, t: [t.notification.pk], get=False, post=lambda w, t: {}
    ),
    "acknowledgements:review": ObjectUrl(
        lambda w, t: [w.review.pk], post=lambda w, t: {"outcome": "no_change", "notes": "Fine."}
    ),
}
# Routes with an argument that is not someone's own record: a policy version is the same for all,
# the register of authorised items is IT's (the permission matrix covers both), and a kind of
# request is a form.
NOT_OWNED = {"acknowledgements:version_detail", "acknowledgements:edit_draft",
             "acknowledgements:version_diff", "acknowledgements:publish",
             "requests:register_edit", "requests:new",
             # a kind of notice is a form; a job's name is IT's (the matrix covers it)
             "requests:staff_change_new", "run_job"}  # fmt: skip


def test_every_url_that_names_an_object_is_tried() -> None:
    named = {
        route.name
        for route in routes()
        if not route.is_admin and "%(" in route.template and "slug" not in route.template
    } | {route.name for route in routes() if "user_id" in route.template}
    named -= {"password_reset_confirm"}  # a token, checked by Django itself
    missing = named - set(OBJECT_URLS) - NOT_OWNED
    assert not missing, f"Add these to OBJECT_URLS in {__file__}: {sorted(missing)}"
    assert set(OBJECT_URLS) <= {route.name for route in routes()}


def _tries(world: World) -> list[tuple[str, str, str, str, dict[str, object] | None]]:
    tries = []
    for owner, other in ((world.team, world.strangers), (world.strangers, world.team)):
        for name, spec in OBJECT_URLS.items():
            path = reverse(name, args=spec.args(world, owner))
            for attacker in ATTACKERS:
                who = getattr(other, attacker)
                if spec.get:
                    tries.append((name, who.email, "GET", path, None))
                if spec.post is not None:
                    tries.append((name, who.email, "POST", path, spec.post(world, owner)))
    return tries


def test_nobody_reaches_another_departments_objects(world: World) -> None:
    tries = _tries(world)
    clients = {}
    for _, email, *_ in tries:
        if email not in clients:
            clients[email] = Client()
            clients[email].force_login(User.objects.get(email=email))
    reached = []
    before = state()
    events = AuditEvent.objects.count()
    for name, email, method, path, data in tries:
        client = clients[email]
        response = client.get(path) if method == "GET" else client.post(path, data)
        if response.status_code not in (403, 404):
            reached.append(f"{method} {path} ({name}) by {email}: {response.status_code}")
    assert len(tries) > 100
    assert not reached, "\n".join(reached)
    # Nothing changed but the count of audited 404s (portal.throttle).
    assert changed_tables(before, state()) in ([], ["portal.throttlewindow"])
    # Only the refusals were recorded: 403s, and (a limited number of) 404s.
    assert set(AuditEvent.objects.order_by("pk")[events:].values_list("action", flat=True)) <= {
        "auth.permission_denied",
        "auth.not_found",
    }


def _csv_emails(response) -> set[str]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    return {value for row in rows for value in row.values() if "@" in (value or "")}


def test_a_line_managers_export_and_list_hold_only_their_own_reports(world: World, client):
    client.force_login(world.strangers.line_manager)
    export = client.get(reverse("acknowledgements:staff_export", args=[world.slug]))
    assert export.status_code == 200
    emails = _csv_emails(export)
    assert world.strangers.employee.email in emails  # the check below can see a row
    assert world.team.employee.email not in emails

    page = client.get(reverse("acknowledgements:staff_list", args=[world.slug])).content.decode()
    assert world.strangers.employee.email in page
    assert world.team.employee.email not in page


@pytest.mark.parametrize(
    ("route", "link"),
    [
        ("inbox", lambda t: reverse("inbox_message", args=[t.notification.pk])),
        (
            "acknowledgements:my_receipts",
            lambda t: reverse("acknowledgements:receipt", args=[t.ack.pk]),
        ),
        ("requests:mine", lambda t: reverse("requests:detail", args=[t.request.pk])),
        (
            "acknowledgements:questions",
            lambda t: reverse("acknowledgements:question", args=[t.question.pk]),
        ),
    ],
)
def test_own_lists_link_only_to_ones_own(world: World, client, route: str, link) -> None:
    client.force_login(world.strangers.employee)
    text = client.get(reverse(route)).content.decode()
    assert f'href="{link(world.strangers)}"' in text
    assert f'href="{link(world.team)}"' not in text


def test_a_budget_holder_sees_only_their_departments_approvals(world: World, client) -> None:
    client.force_login(world.strangers.budget_holder)
    text = client.get(reverse("requests:approvals")).content.decode()
    assert world.strangers.request.reference in text
    assert world.team.request.reference not in text
