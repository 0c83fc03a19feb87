"""Sessions: a new key whenever the password is proven, and a deactivated person's session ends."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from acknowledgements.models import Acknowledgement
from portal.models import User
from tests.factories import PASSWORD
from tests.security.world import World


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def signed_in_with_password(user: User) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_session_key_changes_at_sign_in(world: World) -> None:
    client = Client()
    client.get(reverse("login"))
    session = client.session
    session["visited"] = True
    session.save()
    before = session_key(client)

    client.post(reverse("login"), {"username": world.team.employee.email, "password": PASSWORD})

    assert session_key(client) != before
    assert not SessionStore().exists(before)


def test_the_session_key_changes_when_the_password_is_entered_to_sign(world: World) -> None:
    manager = world.team.line_manager  # has not signed yet
    client = signed_in_with_password(manager)
    before = session_key(client)

    response = client.post(
        reverse("acknowledgements:sign", args=[world.slug]),
        {
            "version": world.version.number,
            "printed_name": manager.full_name,
            "password": PASSWORD,
            "agree": "on",
        },
    )

    assert response.status_code == 302
    assert Acknowledgement.objects.filter(user=manager, version=world.version).exists()
    assert session_key(client) != before
    assert not SessionStore().exists(before)  # the old key signs nobody in any more
    assert client.get(reverse("home")).context["user"] == manager  # still signed in


def test_a_wrong_password_at_signing_keeps_the_session_as_it_was(world: World) -> None:
    manager = world.team.line_manager
    client = signed_in_with_password(manager)
    before = session_key(client)

    response = client.post(
        reverse("acknowledgements:sign", args=[world.slug]),
        {
            "version": world.version.number,
            "printed_name": manager.full_name,
            "password": "not-the-password",
            "agree": "on",
        },
    )

    assert response.status_code == 200
    assert session_key(client) == before


def test_a_deactivated_persons_live_session_is_refused_at_the_next_request(world: World) -> None:
    employee = world.team.employee
    client = signed_in_with_password(employee)
    assert client.get(reverse("home")).status_code == 200

    # As the leaver's end date, or HR in the admin, would do it.
    User.objects.filter(pk=employee.pk).update(is_active=False)

    page = client.get(reverse("acknowledgements:receipt", args=[world.team.ack.pk]))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("login"))
    post = client.post(
        reverse("requests:comment", args=[world.team.request.pk]), {"body": "Still here?"}
    )
    assert post.status_code == 302
    assert post["Location"].startswith(reverse("login"))
    assert not world.team.request.comments.filter(body="Still here?").exists()


def test_a_password_change_ends_the_persons_other_sessions(world: World) -> None:
    employee = world.team.employee
    elsewhere = signed_in_with_password(employee)
    here = signed_in_with_password(employee)
    new = "a-new-long-passphrase-for-spring"

    response = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 302
    assert here.get(reverse("home")).status_code == 200  # the one that changed it stays in
    assert elsewhere.get(reverse("home")).status_code == 302  # the other one is signed out
