"""The sign page: what is agreed to, every refusal, double submits and the sign-in lockout."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from acknowledgements import publishing, signing
from acknowledgements.forms.signing import AGREE_LABEL
from acknowledgements.models import Acknowledgement, Assignment, PolicyVersion
from portal.models import AuditEvent, Notification, User
from tests.acknowledgements.factories import (
    AcknowledgementFactory,
    PolicyFactory,
    PolicyVersionFactory,
)
from tests.acknowledgements.helpers import receipt_url
from tests.factories import PASSWORD, UserFactory
from tests.helpers import messages_of, signed_in

SIGN_URL = reverse("acknowledgements:sign", args=[publishing.SEED_SLUG])
DETAIL_URL = reverse("acknowledgements:policy_detail", args=[publishing.SEED_SLUG])
LOCKED_OUT = b"Too many attempts"
RECEIPT_KIND = "acknowledgement-receipt"


def form_data(
    user: User,
    *,
    version: int = 1,
    name: str | None = None,
    password: str = PASSWORD,
    agree: bool = True,
) -> dict[str, object]:
    data: dict[str, object] = {
        "version": version,
        "printed_name": user.full_name if name is None else name,
        "password": password,
    }
    if agree:
        data["agree"] = "on"
    return data


def nothing_recorded(user: User) -> bool:
    return (
        not Acknowledgement.objects.filter(user=user).exists()
        and not Notification.objects.filter(recipient=user, kind=RECEIPT_KIND).exists()
        and not AuditEvent.objects.filter(action="policy.signed").exists()
    )


def publish_new_version(actor: User, policy, note: str) -> PolicyVersion:
    draft = publishing.create_draft(actor=actor, policy=policy)
    body = draft.body.replace("and does not incur costs.", f"and does not incur costs. {note}")
    publishing.update_draft(actor=actor, version=draft, body=body, change_summary=note)
    return publishing.publish(actor=actor, version=draft, material=True)


# --- Who may use the page ---------------------------------------------------------------------
def test_sign_page_needs_sign_in(client, employee, assigned) -> None:
    response = client.get(SIGN_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

    response = client.post(SIGN_URL, form_data(employee))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert nothing_recorded(employee)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_sign_page_answers_only_get_and_post(client, employee, assigned, method) -> None:
    response = getattr(signed_in(client, employee), method)(SIGN_URL)
    assert response.status_code == 405
    assert nothing_recorded(employee)


def test_unknown_policy_is_not_found(client, employee, version) -> None:
    url = reverse("acknowledgements:sign", args=["no-such-policy"])
    assert signed_in(client, employee).get(url).status_code == 404
    assert client.post(url, form_data(employee)).status_code == 404


def test_policy_without_a_published_version_is_not_found(client, employee) -> None:
    draft = PolicyVersionFactory(policy=PolicyFactory(slug="social-media"))
    url = reverse("acknowledgements:sign", args=[draft.policy.slug])
    assert signed_in(client, employee).get(url).status_code == 404
    assert client.post(url, form_data(employee, version=draft.number)).status_code == 404
    assert nothing_recorded(employee)


@pytest.mark.parametrize("who", ["hr_user", "it_user", "reviewer", "manager"])
def test_every_role_signs_for_themselves(client, request, version, who) -> None:
    person = request.getfixturevalue(who)
    response = signed_in(client, person).post(SIGN_URL, form_data(person))
    ack = Acknowledgement.objects.get(user=person)
    assert response.status_code == 302
    assert response["Location"] == receipt_url(ack)


# --- What the page shows ----------------------------------------------------------------------
def test_sign_page_shows_what_is_agreed_to(client, employee, version, assigned) -> None:
    response = signed_in(client, employee).get(SIGN_URL)
    assert response.status_code == 200
    text = response.content.decode()
    statement = signing.statement_for(version)
    assert f'data-testid="statement">{escape(statement)}</blockquote>' in text
    assert "Version 1" in text
    assert f'data-testid="body-hash">{version.body_sha256}</code>' in text
    assert f"Due by {assigned.due_date:%-d %B %Y}" in text
    form = response.context["form"]
    assert form["printed_name"].label == "Your full name"
    assert form["printed_name"].help_text == "As it appears on your record."
    assert form["password"].label == "Password"
    assert form["agree"].label == AGREE_LABEL
    assert form["agree"].field.required
    assert "Your full name" in text
    assert "As it appears on your record." in text
    assert AGREE_LABEL in text
    assert 'type="password"' in text
    assert form.initial == {"version": 1}


def test_sign_page_after_signing_goes_to_the_receipt(client, employee, assigned) -> None:
    ack = AcknowledgementFactory(user=employee, version=assigned.version)
    response = signed_in(client, employee).get(SIGN_URL)
    assert response.status_code == 302
    assert response["Location"] == receipt_url(ack)
    assert messages_of(response) == ["You had already signed this version. Your receipt is below."]


# --- Signing ----------------------------------------------------------------------------------
def test_signing_records_once_and_shows_the_receipt(client, employee, version, assigned) -> None:
    response = signed_in(client, employee).post(
        SIGN_URL, form_data(employee, name="  emma   jones ")
    )

    ack = Acknowledgement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == receipt_url(ack)
    assert ack.user == employee
    assert ack.version == version
    assert ack.printed_name == "emma jones"
    assert ack.statement == signing.statement_for(version)
    assert ack.ip_address == "127.0.0.1"
    assigned.refresh_from_db()
    assert assigned.acknowledgement == ack
    assert messages_of(response) == [
        "Thank you: you have signed the Acceptable Use of ICT Policy and Procedure, Version 1. "
        "This is your receipt; a copy has been sent to your inbox."
    ]
    assert client.get(response["Location"]).status_code == 200


def test_signing_queues_exactly_one_receipt_notification(client, employee, assigned) -> None:
    signed_in(client, employee).post(SIGN_URL, form_data(employee))

    ack = Acknowledgement.objects.get(user=employee)
    receipts = Notification.objects.filter(kind=RECEIPT_KIND)
    assert receipts.count() == 1
    receipt = receipts.get()
    assert receipt.recipient == employee
    assert receipt.link == receipt_url(ack)
    assert ack.record_hash in receipt.body_text


def test_a_name_with_accents_and_a_curly_apostrophe_signs(client, version) -> None:
    name = "Zo\u00eb O\u2019Brien"  # typed with a curly apostrophe (U+2019)
    zoe = UserFactory(first_name="Zo\u00eb", last_name="O\u2019Brien")
    response = signed_in(client, zoe).post(SIGN_URL, form_data(zoe, name=name))
    ack = Acknowledgement.objects.get(user=zoe)
    assert response["Location"] == receipt_url(ack)
    assert ack.printed_name == name


def test_someone_without_an_assignment_may_sign(client, outsider, version) -> None:
    assert not Assignment.objects.filter(user=outsider).exists()  # e.g. a new starter

    response = signed_in(client, outsider).post(SIGN_URL, form_data(outsider))

    ack = Acknowledgement.objects.get(user=outsider)
    assert response["Location"] == receipt_url(ack)
    assert ack.version == version


# --- Refusals: nothing is recorded ------------------------------------------------------------
def test_wrong_password_records_nothing(client, employee, assigned) -> None:
    response = signed_in(client, employee).post(
        SIGN_URL, form_data(employee, password="not-my-password")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password"] == [
        "That password is not right. Nothing has been signed."
    ]
    assert nothing_recorded(employee)
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.data == {"email": employee.email}
    assigned.refresh_from_db()
    assert assigned.acknowledgement is None


def test_wrong_name_records_nothing(client, employee, assigned) -> None:
    response = signed_in(client, employee).post(SIGN_URL, form_data(employee, name="Emma Smith"))

    assert response.status_code == 200
    assert response.context["form"].errors["printed_name"] == [
        "Type your full name as it appears on your record: Emma Jones."
    ]
    assert nothing_recorded(employee)


def test_the_box_must_be_ticked(client, employee, assigned) -> None:
    response = signed_in(client, employee).post(SIGN_URL, form_data(employee, agree=False))

    assert response.status_code == 200
    assert response.context["form"].errors["agree"] == [
        "Tick the box to confirm that you have read the policy and agree."
    ]
    assert nothing_recorded(employee)
    # Not even the password was tried: nothing counts towards the lockout.
    assert not AuditEvent.objects.filter(action="auth.login_failed").exists()


def test_empty_form_is_a_form_error(client, employee, assigned) -> None:
    response = signed_in(client, employee).post(SIGN_URL, {})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"printed_name", "password", "agree", "version"} <= set(errors)
    assert nothing_recorded(employee)


def test_a_version_published_while_reading_is_read_first(
    client, employee, reviewer, assigned
) -> None:
    signed_in(client, employee).get(SIGN_URL)
    publish_new_version(reviewer, assigned.version.policy, "Costs include printing.")

    response = client.post(SIGN_URL, form_data(employee, version=1))

    assert response.status_code == 302
    assert response["Location"] == DETAIL_URL
    assert "Nothing has been signed." in messages_of(response)[0]
    assert nothing_recorded(employee)


# --- Double submit, second tab ----------------------------------------------------------------
def test_double_submit_records_once(client, employee, assigned) -> None:
    signed_in(client, employee)
    first = client.post(SIGN_URL, form_data(employee))
    second = client.post(SIGN_URL, form_data(employee))

    ack = Acknowledgement.objects.get(user=employee)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == receipt_url(ack)
    assert "You had already signed this version. Your receipt is below." in messages_of(second)
    assert Notification.objects.filter(kind=RECEIPT_KIND).count() == 1
    assert AuditEvent.objects.filter(action="policy.signed").count() == 1


def test_second_tab_with_a_wrong_password_still_goes_to_the_receipt(
    client, employee, assigned
) -> None:
    ack = AcknowledgementFactory(user=employee, version=assigned.version)
    other_tab = signed_in(Client(), employee)

    response = other_tab.post(SIGN_URL, form_data(employee, password="typo"))

    assert response.status_code == 302
    assert response["Location"] == receipt_url(ack)
    assert Acknowledgement.objects.filter(user=employee).count() == 1


# --- Lockout ----------------------------------------------------------------------------------
def test_repeated_wrong_passwords_lock_the_account(client, employee, assigned) -> None:
    signed_in(client, employee)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(SIGN_URL, form_data(employee, password="not-my-password"))
        assert response.status_code == 200

    locked = client.post(SIGN_URL, form_data(employee, password="not-my-password"))

    assert locked.status_code == 429
    assert LOCKED_OUT in locked.content
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    assert AuditEvent.objects.filter(action="auth.locked_out", object_id=str(employee.pk)).exists()

    # While the lock lasts, the right password is refused here and on the sign-in page.
    again = client.post(SIGN_URL, form_data(employee))
    assert again.status_code == 429
    sign_in = Client().post(reverse("login"), {"username": employee.email, "password": PASSWORD})
    assert sign_in.status_code == 429
    assert LOCKED_OUT in sign_in.content
    assert nothing_recorded(employee)


# --- Query counts -----------------------------------------------------------------------------
@pytest.mark.parametrize(("others", "superseded"), [(5, 1), (30, 4)])
def test_signing_queries_do_not_grow(
    client, django_assert_max_num_queries, employee, reviewer, version, others, superseded
) -> None:
    colleagues = UserFactory.create_batch(others, line_manager=employee.line_manager)
    publishing.assign_outstanding(policy=version.policy)
    for person in [employee, *colleagues[:3]]:
        AcknowledgementFactory(user=person, version=version)
    current = version
    for n in range(superseded):
        current = publish_new_version(reviewer, version.policy, f"Note {n}.")
    assert PolicyVersion.objects.filter(status="superseded").count() == superseded
    assert Assignment.objects.filter(version=current).count() > others
    signed_in(client, employee)

    # 6 of them give the session a new key once the password is proven (PostgreSQL's count).
    with django_assert_max_num_queries(29):
        response = client.post(SIGN_URL, form_data(employee, version=current.number))

    ack = Acknowledgement.objects.get(user=employee, version=current)
    assert response["Location"] == receipt_url(ack)
