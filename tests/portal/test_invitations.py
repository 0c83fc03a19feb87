"""Inviting everyone who cannot sign in yet: who is invited, once a day, in the portal's own words,
and only by HR or IT."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal import invitations, outbox, tasks
from portal.models import AuditEvent, Notification, User
from tests.factories import UserFactory
from tests.portal.import_jobs_helpers import eager_imports, post_import
from tests.portal.test_outbox import queued_tasks  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

BASE_URL = "https://aup.northwind-care.example"

__all__ = ["eager_imports"]  # a fixture, used by name


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.PORTAL_BASE_URL = BASE_URL
    settings.OIDC_ENABLED = False


def never_signed_in(**fields: object) -> User:
    return UserFactory(last_login=None, **fields)


def signed_in(user: User) -> User:
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return user


def run_invitations(take) -> int:
    """Run the invitation tasks the requests queued, as a worker would; how many there were."""
    queued = [args for name, args in take() if name == invitations.INVITE_TASK]
    for args in queued:
        tasks.invite_staff(*args)
    return len(queued)


def invited() -> set[str]:
    return set(
        Notification.objects.filter(kind=invitations.KIND).values_list(
            "recipient__email", flat=True
        )
    )


# --- Who is invited ---------------------------------------------------------------------------
def test_only_people_who_never_signed_in_and_are_still_here_are_invited(hr_user) -> None:
    today = timezone.localdate()
    waiting = never_signed_in(email="waiting@example.com")
    last_day_ahead = never_signed_in(email="leaving.soon@example.com", end_date=today)
    signed_in(UserFactory(email="been.in@example.com"))
    never_signed_in(email="closed@example.com", is_active=False)
    never_signed_in(email="gone@example.com", end_date=today - timedelta(days=1))
    signed_in(hr_user)

    result = invitations.invite_everyone(actor=hr_user)

    assert invited() == {waiting.email, last_day_ahead.email}
    assert result == invitations.Invited(people=2, queued=2)
    assert set(invitations.cannot_sign_in_yet()) == {waiting, last_day_ahead}


def test_inviting_twice_in_a_day_sends_nothing_twice_and_the_next_day_sends_again(
    hr_user, it_user
) -> None:
    signed_in(hr_user)
    signed_in(it_user)
    person = never_signed_in(email="carer@example.com")
    today = timezone.now()

    first = invitations.invite_everyone(actor=hr_user, now=today)
    second = invitations.invite_everyone(actor=it_user, now=today)
    assert (first.queued, second.queued) == (1, 0)
    assert Notification.objects.filter(recipient=person).count() == 1

    tomorrow = invitations.invite_everyone(actor=hr_user, now=today + timedelta(days=1))
    assert tomorrow.queued == 1
    assert Notification.objects.filter(recipient=person).count() == 2
    events = AuditEvent.objects.filter(action="staff.invited").order_by("pk")
    assert [e.data["queued"] for e in events] == [1, 0, 1]
    assert [e.actor for e in events] == [hr_user, it_user, hr_user]


# --- What the invitation says ------------------------------------------------------------------
def test_the_invitation_is_branded_and_its_link_is_made_when_it_is_sent(
    client, settings, hr_user
) -> None:
    signed_in(hr_user)
    person = never_signed_in(email="carer@example.com", first_name="Aoife")
    invitations.invite_everyone(actor=hr_user)

    stored = Notification.objects.get(recipient=person)
    assert outbox.SECRET_PLACEHOLDER in stored.body_text
    assert not re.search(r"/accounts/reset/[^/\s]+/[^/\s]+/", stored.body_text + stored.body_html)

    outbox.sweep()
    [message] = mail.outbox
    assert message.to == [person.email]
    assert message.subject == "Choose your password for the Acceptable Use Portal"
    assert message.body.startswith("Dear Aoife,")
    assert settings.ORG_NAME in message.body
    assert f"Sign in at {BASE_URL}/accounts/login/" in message.body
    [link] = re.findall(rf"{re.escape(BASE_URL)}/accounts/reset/\S+/", message.body)
    assert f'href="{link}"' in message.alternatives[0].content

    form = client.get(link.removeprefix(BASE_URL), follow=True)
    chosen = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Quiet-harbour-lantern-88", "new_password2": "Quiet-harbour-lantern-88"},
    )
    assert chosen["Location"] == reverse("password_reset_complete")
    person.refresh_from_db()
    assert person.check_password("Quiet-harbour-lantern-88")


def test_with_organisation_sign_in_the_invitation_says_to_use_the_work_account(
    settings, hr_user
) -> None:
    settings.OIDC_ENABLED = True
    settings.OIDC_BUTTON_LABEL = "Sign in with your Northwind account"
    signed_in(hr_user)
    person = never_signed_in(email="carer@example.com")
    invitations.invite_everyone(actor=hr_user)

    outbox.sweep()
    [message] = mail.outbox
    assert message.to == [person.email]
    assert message.subject == "Sign in to the Acceptable Use Portal with your work account"
    assert 'with "Sign in with your Northwind account"' in message.body
    assert "You do not need a separate password" in message.body
    assert not re.search(r"/accounts/reset/[^/\s]+/[^/\s]+/", message.body)
    assert "Choose your password" not in message.alternatives[0].content


# --- The page, and who may use it ---------------------------------------------------------------
@pytest.mark.parametrize("role", ["hr_user", "it_user"])
def test_hr_and_it_invite_from_the_page_and_see_the_counts(
    client,
    request,
    role,
    queued_tasks,  # noqa: F811
) -> None:
    actor = request.getfixturevalue(role)
    never_signed_in(email="one@example.com")
    never_signed_in(email="two@example.com")
    client.force_login(actor)

    page = client.get(reverse("invitations"))
    assert page.status_code == 200
    assert b"Invite 2 people" in page.content
    assert b'http-equiv="refresh"' not in page.content

    response = client.post(reverse("invite_staff"), follow=True)
    assert response.redirect_chain == [(reverse("invitations"), 302)]
    assert "Inviting 2 people: the counts below update as the invitations are sent." in [
        str(m) for m in response.context["messages"]
    ]
    # A worker is to claim them: the page says so and refreshes itself.
    assert b'data-testid="preparing"' in response.content
    assert b'http-equiv="refresh"' in response.content
    assert b'src="/static/portal/invitations.js"' in response.content
    assert AuditEvent.objects.get(action=invitations.REQUESTED).data == {"people": 2}

    assert run_invitations(queued_tasks) == 1
    assert invited() == {"one@example.com", "two@example.com"}
    waiting = client.get(reverse("invitations"))
    assert b'data-testid="preparing"' not in waiting.content
    assert b'<strong data-count="waiting">2</strong>' in waiting.content
    assert b'http-equiv="refresh"' in waiting.content

    again = client.post(reverse("invite_staff"), follow=True)
    [note] = again.context["messages"]
    assert "Nobody is waiting for an invitation" in str(note)
    assert run_invitations(queued_tasks) == 0


def test_the_counts_follow_the_outbox(client, hr_user) -> None:
    client.force_login(hr_user)
    for n in range(4):
        never_signed_in(email=f"p{n}@example.com")
    invitations.invite_everyone(actor=hr_user)
    notes = Notification.objects.filter(kind=invitations.KIND).order_by("pk")
    Notification.objects.filter(pk=notes[0].pk).update(status=Notification.Status.SENT)
    Notification.objects.filter(pk=notes[1].pk).update(status=Notification.Status.FAILED)
    never_signed_in(email="late@example.com")  # imported after the invitations went out

    data = client.get(reverse("invitation_progress")).json()
    assert data == {
        "sent": 1,
        "waiting": 2,
        "failed": 1,
        "total": 4,
        "not_invited": 1,
        "preparing": False,
    }

    page = client.get(reverse("invitations")).content.decode()
    assert '<strong data-count="sent">1</strong>' in page
    assert '<strong data-count="waiting">2</strong>' in page
    assert '<strong data-count="failed">1</strong>' in page
    assert "Invite 1 person" in page


@pytest.mark.parametrize("role", ["employee", "manager"])
def test_an_employee_or_manager_cannot_invite(
    client,
    request,
    role,
    hr_user,
    queued_tasks,  # noqa: F811
) -> None:
    actor = request.getfixturevalue(role)
    never_signed_in(email="waiting@example.com")
    client.force_login(actor)

    assert client.post(reverse("invite_staff")).status_code == 403
    assert client.get(reverse("invitations")).status_code == 403
    assert client.get(reverse("invitation_progress")).status_code == 403
    assert queued_tasks() == []
    assert not Notification.objects.filter(kind=invitations.KIND).exists()
    assert not AuditEvent.objects.filter(action__startswith="staff.invit").exists()
    refusals = AuditEvent.objects.filter(action="auth.permission_denied", actor=actor)
    assert refusals.count() == 3


def test_inviting_is_a_post(client, hr_user) -> None:
    client.force_login(hr_user)
    assert client.get(reverse("invite_staff")).status_code == 405
    assert client.post(reverse("invitation_progress")).status_code == 405


def test_signed_out_is_sent_to_sign_in(client) -> None:
    response = client.post(reverse("invite_staff"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("people", [3, 600])
def test_the_queuing_request_does_not_grow_with_the_number_of_people(
    client,
    hr_user,
    people: int,
    queued_tasks,  # noqa: F811
) -> None:
    """The same queries for 3 people and for 600 (more than a claim batch): the request counts
    them and hands the claiming to a worker."""
    client.force_login(hr_user)
    UserFactory.create_batch(people, last_login=None)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("invite_staff"))
    assert response.status_code == 302
    assert len(queries) == QUERIES_TO_ASK, [q["sql"][:80] for q in queries.captured_queries]
    assert run_invitations(queued_tasks) == 1
    assert Notification.objects.filter(kind=invitations.KIND).count() == people


@pytest.mark.parametrize("people", [3, 300])
def test_the_page_costs_the_same_queries_however_many_are_waiting(client, hr_user, people) -> None:
    client.force_login(hr_user)
    UserFactory.create_batch(people, last_login=None)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("invitations"))
    assert response.status_code == 200
    assert f'<strong data-count="not_invited">{people}</strong>' in response.content.decode()
    assert len(queries) == QUERIES_TO_SHOW, [q["sql"][:80] for q in queries.captured_queries]


# Session, user and role check; today's invitations by status, whether a worker is preparing
# them and who has none (``invitations.progress``); the menu (line manager? budget holder?) and
# the unread count; the session's last activity saved (savepoint, update, release).
QUERIES_TO_SHOW = 12


# Session, user and role check; how many have no invitation today; the audit event; the session
# saved with the message for the next page (savepoint, update, release).
QUERIES_TO_ASK = 8


# --- Where HR finds it --------------------------------------------------------------------------
@pytest.mark.usefixtures("eager_imports")
def test_the_import_result_and_the_staff_list_lead_to_the_invitations(
    client, hr_user, manager, employee, version
) -> None:
    client.force_login(hr_user)
    csv = (
        b"Employee number,First name,Last name,Email,Department,Job title,Line manager email,"
        b"Employment type,Start date,End date\r\n"
        b"E100,Nia,Evans,nia.evans@example.com,Residential Care,Carer,,Permanent,2026-01-05,\r\n"
    )
    result = post_import(client, csv)
    assert b'data-testid="invite-after-import"' in result.content
    assert reverse("invitations").encode() in result.content

    slug = version.policy.slug
    staff_list = client.get(reverse("acknowledgements:staff_list", args=[slug]))
    assert b'data-testid="invite-link"' in staff_list.content
    client.force_login(manager)
    managers_list = client.get(reverse("acknowledgements:staff_list", args=[slug]))
    assert managers_list.status_code == 200
    assert b'data-testid="invite-link"' not in managers_list.content


def test_someone_is_invited_until_their_last_day(db) -> None:
    person = never_signed_in(end_date=date(2030, 1, 1), start_date=date(2024, 1, 1))
    assert person in invitations.cannot_sign_in_yet(date(2029, 12, 31))
    assert person not in invitations.cannot_sign_in_yet(date(2030, 1, 2))
