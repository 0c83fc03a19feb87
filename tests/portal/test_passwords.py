"""Policy 5.6: passwords have an age, are not reused, and every change is recorded and notified."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from portal import outbox
from portal.models import AuditEvent, Notification, User
from portal.validators import RecentPasswordValidator
from tests.factories import UserFactory

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
# Six passwords in the order they were used; the last one is current.
USED = [f"Lantern-orchard-{n}-kettle" for n in range(6)]
NEW_PASSWORD = "Meadow-quartz-violin-harbour"


def with_history(user: User, passwords: list[str]) -> User:
    for password in passwords:
        user.set_password(password)
        user.save()
    return user


def change_password(client, old: str, new: str):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_set_password_stamps_the_change(db) -> None:
    user = UserFactory()
    user.password_changed_at = LONG_AGO
    user.set_password(NEW_PASSWORD)
    assert user.password_changed_at > LONG_AGO
    assert timezone.is_aware(user.password_changed_at)


def test_every_change_moves_the_stamp(db) -> None:
    user = with_history(UserFactory(), USED[:1])
    user.refresh_from_db()
    first = user.password_changed_at
    assert first is not None
    User.objects.filter(pk=user.pk).update(password_changed_at=LONG_AGO)
    user.refresh_from_db()
    with_history(user, USED[1:2])
    user.refresh_from_db()
    assert user.password_changed_at > LONG_AGO


def test_history_keeps_only_the_last_five(db) -> None:
    assert settings.PASSWORD_HISTORY_SIZE == 5
    user = with_history(UserFactory(), USED)
    assert user.password_history.count() == 5


@pytest.mark.parametrize("password", USED[1:])
def test_each_of_the_last_five_passwords_is_refused(db, password: str) -> None:
    user = with_history(UserFactory(), USED)
    with pytest.raises(ValidationError) as refused:
        RecentPasswordValidator().validate(password, user)
    assert refused.value.error_list[0].code == "password_reused"


def test_the_sixth_oldest_password_may_be_used_again(db) -> None:
    user = with_history(UserFactory(), USED)
    RecentPasswordValidator().validate(USED[0], user)  # does not raise


def test_change_page_refuses_a_recent_password(client, db) -> None:
    user = with_history(UserFactory(), USED)
    client.force_login(user)
    before = User.objects.get(pk=user.pk)
    response = change_password(client, USED[-1], USED[2])
    assert response.status_code == 200
    assert b"You have used this password recently." in response.content
    after = User.objects.get(pk=user.pk)
    assert after.password == before.password
    assert after.password_changed_at == before.password_changed_at
    assert not AuditEvent.objects.filter(action="auth.password_changed").exists()
    assert not Notification.objects.filter(recipient=user).exists()


def test_change_page_accepts_the_sixth_oldest_password(client, db) -> None:
    user = with_history(UserFactory(), USED)
    client.force_login(user)
    response = change_password(client, USED[-1], USED[0])
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(USED[0])


def test_successful_change_is_audited_and_notified(client, employee, password) -> None:
    User.objects.filter(pk=employee.pk).update(password_changed_at=LONG_AGO)
    client.force_login(employee)
    response = change_password(client, password, NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")

    employee.refresh_from_db()
    assert employee.check_password(NEW_PASSWORD)
    assert employee.password_changed_at > LONG_AGO
    event = AuditEvent.objects.get(action="auth.password_changed")
    assert event.actor == employee
    assert event.object_id == str(employee.pk)
    notice = Notification.objects.get(recipient=employee)
    assert notice.kind == "password-changed"
    # Still signed in: the session follows the new password.
    assert client.get(reverse("home")).status_code == 200


def test_audit_never_holds_the_password(client, employee, password) -> None:
    client.force_login(employee)
    change_password(client, password, NEW_PASSWORD)
    events = list(AuditEvent.objects.values())
    assert events
    stored = json.dumps(events, default=str)
    for secret in (password, NEW_PASSWORD):
        assert secret not in stored
    employee.refresh_from_db()
    assert employee.password not in stored  # not even the hash


# --- "Forgotten your password?" for people from the staff directory ----------------------------
def _reset_links(client, email: str) -> list[str]:
    mail.outbox.clear()
    response = client.post(reverse("password_reset"), {"email": email})
    assert response.status_code == 302
    outbox.sweep()  # the link goes through the outbox
    return [line for m in mail.outbox for line in m.body.splitlines() if "/accounts/reset/" in line]


def test_an_imported_person_chooses_their_first_password_by_reset(client, db) -> None:
    person = UserFactory(email="new.starter@example.com")
    person.set_unusable_password()  # as the staff directory import creates people
    person.save()
    [link] = _reset_links(client, "New.Starter@example.com")
    path = link.strip()[link.strip().index("/accounts/reset/") :]
    form_page = client.get(path, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-first-Passw0rd-9", "new_password2": "a-first-Passw0rd-9"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("a-first-Passw0rd-9")


def test_a_closed_account_gets_no_reset_link(client, db) -> None:
    leaver = UserFactory(email="left@example.com", is_active=False)
    leaver.set_unusable_password()
    leaver.save()
    assert _reset_links(client, "left@example.com") == []
