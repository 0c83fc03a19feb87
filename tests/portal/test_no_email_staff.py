"""Staff without a work e-mail: held by employee number, signed in by it, given a printed first
sign-in letter, and reached through their inbox and their line manager's daily digest."""

from __future__ import annotations

import re
import zlib
from datetime import timedelta

import pytest
import segno
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from acknowledgements import publishing, reminders
from acknowledgements.models import Acknowledgement
from portal import digests, letters, outbox
from portal.models import AuditEvent, FirstSignInLetter, Notification, User
from tests.factories import PASSWORD, UserFactory
from tests.pdfs import extracted_text
from tests.portal.import_jobs_helpers import eager_imports, post_import

pytestmark = pytest.mark.django_db
__all__ = ["eager_imports"]  # a fixture, used by name

NEW_PASSWORD = "blue-kettle-morning-42"
LOGIN = reverse("login")
LETTER_PAGE = reverse("letter_password")
HEADER = (
    b"Employee number,First name,Last name,Email,Department,Job title,Line manager email,"
    b"Employment type,Start date,End date\r\n"
)


def print_url(person: User) -> str:
    return reverse("print_sign_in_letter", args=[person.pk])


def pdf_streams(pdf: bytes) -> str:
    """A PDF's content streams, inflated: the drawing operators."""
    parts = []
    # Not \r?\n before endstream: a compressed stream may itself end in a \r byte.
    for stream in re.findall(rb"stream\r?\n(.*?)\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            parts.append(stream.decode("latin-1"))
    return "\n".join(parts)


def code_on(pdf: bytes) -> str:
    match = re.search(r"Your one-time code: ([A-Z2-9]{5}-[A-Z2-9]{5})", extracted_text(pdf))
    assert match, "no code on the letter"
    return match.group(1)


@pytest.fixture
def carer(manager, department) -> User:
    """A care worker with no work e-mail, reporting to ``manager``, who has not signed in yet."""
    user = UserFactory(
        email=None,
        employee_number="C0042",
        first_name="Carys",
        last_name="Evans",
        department=department,
        line_manager=manager,
    )
    user.set_unusable_password()
    user.save()
    return user


def redeem(client: Client, number: str, code: str, password: str = NEW_PASSWORD):
    return client.post(
        LETTER_PAGE,
        {
            "employee_number": number,
            "code": code,
            "new_password1": password,
            "new_password2": password,
        },
    )


def sign_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


# --- The directory --------------------------------------------------------------------------
def test_people_without_an_address_are_held_by_employee_number(department):
    first = UserFactory(email=None, employee_number="N1")
    second = UserFactory(email=None, employee_number="N2")
    assert {first.pk, second.pk} == set(
        User.objects.filter(email__isnull=True).values_list("pk", flat=True)
    )
    assert str(first).endswith("(employee N1)")

    nobody = User(first_name="No", last_name="One", email="  ", employee_number="")
    with pytest.raises(ValidationError, match="needs an employee number"):
        nobody.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(first_name="No", last_name="One", email=None, employee_number=None)


@pytest.mark.usefixtures("eager_imports")
def test_the_import_takes_rows_without_an_address(client, hr_user, employee):
    client.force_login(hr_user)
    data = HEADER + (
        b"C100,Dewi,Price,,Residential Care,Carer,manager@example.com,Permanent,2024-01-15,\r\n"
        # Emma's address is left out of this export: she keeps it.
        + f"{employee.employee_number},Emma,Jones,,Residential Care,Support Worker,"
        "manager@example.com,Permanent,2024-01-15,\r\n".encode()
    )

    response = post_import(client, data)

    assert "Imported 2 people" in response.content.decode()
    dewi = User.objects.get(employee_number="C100")
    assert dewi.email is None
    assert dewi.line_manager.email == "manager@example.com"
    assert not dewi.has_usable_password()
    employee.refresh_from_db()
    assert employee.email == "employee@example.com"


# --- Sign-in by employee number ---------------------------------------------------------------
def test_sign_in_with_employee_number_and_password(carer):
    carer.set_password(NEW_PASSWORD)
    carer.save()
    client = Client()

    wrong = sign_in(client, "C0042", "not-the-password-at-all")
    assert b"That email address and password do not match our records." in wrong.content

    response = sign_in(client, " C0042 ", NEW_PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == carer.pk
    assert AuditEvent.objects.filter(action="auth.login", actor=carer).exists()


def test_lockout_counts_the_employee_number_typed(carer):
    carer.set_password(NEW_PASSWORD)
    carer.save()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "C0042", "not-the-password-at-all")

    response = sign_in(client, "C0042", NEW_PASSWORD)

    assert "_auth_user_id" not in client.session
    assert b"Too many attempts" in response.content
    assert AuditEvent.objects.filter(action="auth.locked_out", object_id=str(carer.pk)).exists()


# --- Letters: who may print -------------------------------------------------------------------
def test_the_line_manager_prints_a_letter_for_their_report(client, manager, carer):
    client.force_login(manager)

    response = client.post(print_url(carer))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = extracted_text(response.content)
    code = code_on(response.content)
    assert "Carys Evans" in text
    assert "Morgan Lee" in text  # whom to ask
    assert letters.letter_url(carer) in text
    (letter,) = FirstSignInLetter.objects.filter(user=carer)
    # Stored only as a keyed hash.
    assert letters.normalise_code(code) not in letter.code_hash
    assert letter.expires_at - letter.created_at == timedelta(days=14)
    event = AuditEvent.objects.get(action="user.letter_printed")
    assert (event.actor, event.object_id) == (manager, str(carer.pk))


def test_hr_prints_for_anyone(client, hr_user, carer):
    client.force_login(hr_user)
    assert client.post(print_url(carer)).status_code == 200


@pytest.mark.parametrize("who", ["employee", "outsider"])
def test_others_cannot_print_a_letter(client, request, who, carer):
    hostile = request.getfixturevalue(who)
    client.force_login(hostile)

    response = client.post(print_url(carer))

    assert response.status_code == 403
    assert not FirstSignInLetter.objects.exists()
    assert AuditEvent.objects.filter(action="auth.permission_denied", actor=hostile).exists()


def test_no_letter_for_someone_with_an_address_and_get_is_refused(client, hr_user, employee, carer):
    client.force_login(hr_user)
    assert client.post(print_url(employee)).status_code == 403
    assert client.get(print_url(carer)).status_code == 405
    assert client.post(reverse("print_sign_in_letter", args=[987654])).status_code == 404
    assert not FirstSignInLetter.objects.exists()


def test_a_new_letter_voids_the_old_one(client, manager, carer):
    client.force_login(manager)
    old_code = code_on(client.post(print_url(carer)).content)
    new_code = code_on(client.post(print_url(carer)).content)

    refused = redeem(Client(), "C0042", old_code)
    assert letters.REFUSED.split(".")[0] in refused.content.decode().replace("&#x27;", "'")
    assert FirstSignInLetter.objects.filter(user=carer, voided_at__isnull=True).count() == 1

    assert redeem(Client(), "C0042", new_code).status_code == 302


# --- Letters: using the code -------------------------------------------------------------------
def test_the_code_works_once_and_not_after_expiry(manager, carer):
    printed = letters.letter_print(actor=manager, person=carer)

    assert redeem(Client(), "C0042", printed.code.lower()).status_code == 302
    carer.refresh_from_db()
    assert carer.check_password(NEW_PASSWORD)
    again = redeem(Client(), "C0042", printed.code, "another-long-password-9")
    assert again.status_code == 200
    carer.refresh_from_db()
    assert carer.check_password(NEW_PASSWORD)

    later = letters.letter_print(actor=manager, person=carer)
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
        expired = redeem(Client(), "C0042", later.code, "another-long-password-9")
    assert expired.status_code == 200
    carer.refresh_from_db()
    assert carer.check_password(NEW_PASSWORD)
    reasons = list(
        AuditEvent.objects.filter(action="auth.letter_code_refused").values_list(
            "data__reason", flat=True
        )
    )
    assert sorted(reasons) == ["already used", "expired"]


def test_a_weak_password_leaves_the_letter_live(manager, carer):
    printed = letters.letter_print(actor=manager, person=carer)

    response = redeem(Client(), "C0042", printed.code, "password")

    assert response.status_code == 200
    assert FirstSignInLetter.objects.get(user=carer).used_at is None
    assert redeem(Client(), "C0042", printed.code).status_code == 302


def test_guessing_is_limited_per_employee_number(manager, carer):
    printed = letters.letter_print(actor=manager, person=carer)
    for _ in range(settings.LETTER_CODE_TRIES_PER_NUMBER_PER_HOUR):
        assert redeem(Client(), "C0042", "AAAAA-AAAAA").status_code == 200

    response = redeem(Client(), "C0042", printed.code)

    assert response.status_code == 200
    assert "Too many tries" in response.content.decode()
    assert FirstSignInLetter.objects.get(user=carer).used_at is None
    redeem(Client(), "C0042", printed.code)
    throttled = AuditEvent.objects.filter(
        action="auth.letter_code_refused", data__reason__startswith="too many tries"
    )
    assert throttled.count() == 1  # once a window, however long the guessing goes on


def test_bad_input_on_the_letter_page_is_not_an_error(carer):
    client = Client()
    assert client.get(LETTER_PAGE, {"number": "x" * 500}).status_code == 200
    assert client.post(LETTER_PAGE, {"employee_number": "\x00", "code": ""}).status_code == 200


# --- Notices and the digest -------------------------------------------------------------------
def test_notices_stay_in_the_inbox_and_go_to_the_managers_digest(manager, carer, hr_user):
    orphan = UserFactory(email=None, employee_number="C0099", first_name="Ola")
    with transaction.atomic():
        notices = [
            outbox.notify(
                recipient=person,
                kind="password-changed",
                dedupe_key=f"t:{person.pk}",
                context={"changed_at": timezone.now(), "how": "reset"},
            )
            for person in (carer, orphan)
        ]
    outbox.sweep_all()
    assert set(
        Notification.objects.filter(recipient__in=[carer, orphan]).values_list("status", flat=True)
    ) == {"inbox"}
    assert mail.outbox == []

    result = digests.daily_job(timezone.now())
    assert (result.found, result.notices) == (2, 2)
    assert digests.daily_job(timezone.now()).notices == 0  # safe to run twice

    to_manager = Notification.objects.get(kind=digests.DIGEST_KIND, recipient=manager)
    assert "Carys Evans (employee C0042)" in to_manager.body_text
    assert "Ola" not in to_manager.body_text
    to_hr = Notification.objects.get(kind=digests.DIGEST_KIND, recipient=hr_user)
    assert "(employee C0099)" in to_hr.body_text
    # Each notice is marked with the digest that listed it, so no later run lists it again.
    listed = Notification.objects.in_bulk([n.pk for n in notices])
    assert [listed[n.pk].digest for n in notices] == [to_manager, to_hr]


# --- Acceptance ----------------------------------------------------------------------------------
@pytest.mark.usefixtures("eager_imports")
def test_a_person_without_email_gets_in_signs_and_is_reached_through_the_manager(
    client, hr_user, manager, version
):
    client.force_login(hr_user)
    data = HEADER + (
        b"C777,Rhian,Morgan,,Residential Care,Carer,manager@example.com,Permanent,2024-01-15,\r\n"
    )
    post_import(client, data)
    rhian = User.objects.get(employee_number="C777")

    # Reminders to sign are hers, in her inbox; her manager's digest lists them.
    reminders.unsigned_job(timezone.now())
    outbox.sweep_all()
    reminder = Notification.objects.get(recipient=rhian, kind=reminders.SIGNER_KIND)
    assert reminder.status == Notification.Status.INBOX
    digests.daily_job(timezone.now())
    digest = Notification.objects.get(kind=digests.DIGEST_KIND, recipient=manager)
    assert reminder.subject in digest.body_text
    outbox.sweep_all()
    (sent,) = [m for m in mail.outbox if m.to == ["manager@example.com"]]
    assert reminder.subject in sent.body

    # Her manager prints her letter from her page; she sets a password with it.
    managers = Client()
    managers.force_login(manager)
    page = managers.get(reverse("acknowledgements:person", args=[rhian.pk]))
    assert print_url(rhian) in page.content.decode()
    code = code_on(managers.post(print_url(rhian)).content)
    hers = Client()
    assert redeem(hers, "C777", code).status_code == 302
    assert redeem(Client(), "C777", code).status_code == 200  # once only

    assert sign_in(hers, "C777", NEW_PASSWORD).status_code == 302
    response = hers.post(
        reverse("acknowledgements:sign", args=[publishing.SEED_SLUG]),
        {
            "version": version.number,
            "printed_name": "Rhian Morgan",
            "password": NEW_PASSWORD,
            "agree": "on",
        },
    )
    assert response.status_code == 302
    ack = Acknowledgement.objects.get(user=rhian)
    assert (ack.signer_email, ack.signer_employee_number) == ("", "C777")
    receipt = hers.get(reverse("acknowledgements:receipt", args=[ack.pk])).content.decode()
    assert "None (signs in with employee number)" in receipt
    assert "C777" in receipt
    pdf = hers.get(reverse("acknowledgements:receipt_pdf", args=[ack.pk]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")

    # HR's export lists her, with an empty address.
    export = client.get(reverse("acknowledgements:staff_export", args=[publishing.SEED_SLUG]))
    rows = b"".join(export.streaming_content).decode().splitlines()
    (line,) = [row for row in rows if "C777" in row]
    assert "Rhian" in line and "None" not in line


def test_the_qr_code_is_the_letter_pages_address(manager, carer):
    printed = letters.letter_print(actor=manager, person=carer)

    drawn = len(re.findall(r"re f\b", pdf_streams(printed.pdf)))

    matrix = segno.make(letters.letter_url(carer), error="m", micro=False).matrix
    assert drawn == sum(sum(1 for dark in row if dark) for row in matrix)
    assert letters.letter_url(carer).endswith("/accounts/letter/?number=C0042")


def test_an_account_with_a_role_is_left_to_an_administrator(client, hr_user, carer, superuser):
    carer.groups.add(Group.objects.get_or_create(name="IT")[0])
    client.force_login(hr_user)
    assert client.post(print_url(carer)).status_code == 403

    client.force_login(superuser)
    assert client.post(print_url(carer)).status_code == 200


def test_the_admin_adds_someone_with_an_employee_number_and_no_address(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:portal_user_add"),
        {
            "email": "",
            "employee_number": "C0500",
            "first_name": "Nia",
            "last_name": "Hughes",
            "usable_password": "false",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    nia = User.objects.get(employee_number="C0500")
    assert nia.email is None
    assert not nia.has_usable_password()

    refused = client.post(
        reverse("admin:portal_user_add"),
        {
            "email": "",
            "employee_number": "",
            "first_name": "No",
            "last_name": "One",
            "usable_password": "false",
        },
    )
    assert refused.status_code == 200
    assert "needs an employee number" in refused.content.decode()


def test_sign_in_from_a_throttled_address_still_lets_in_a_number_seen_there(carer, settings):
    carer.set_password(NEW_PASSWORD)
    carer.save()
    client = Client()
    assert sign_in(client, "C0042", NEW_PASSWORD).status_code == 302
    settings.SIGN_IN_FAILURES_PER_CLIENT = 2
    stranger = Client()
    for n in range(3):
        sign_in(stranger, f"nobody{n}@example.com", "not-the-password-at-all")

    assert sign_in(Client(), "C0042", NEW_PASSWORD).status_code == 302
    newcomer = UserFactory(email=None, employee_number="C0043")
    refused = sign_in(Client(), "C0043", PASSWORD)
    assert refused.status_code == 200
    assert "Signing in from your network is paused" in refused.content.decode()
    assert AuditEvent.objects.filter(action="auth.address_throttled", data__email="C0043").exists()
    assert newcomer.check_password(PASSWORD)
