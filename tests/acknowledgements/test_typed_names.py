"""Names typed in another Unicode normal form are the same name (NFC, NFD, full-width letters).

"ë" can be one character (NFC) or "e" and a combining diaeresis (NFD): they look the same, and
whoever typed either is the person on file. What is stored is NFC, so the record and its hash do
not depend on the keyboard.
"""

from __future__ import annotations

import unicodedata
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from acknowledgements import signing
from acknowledgements.models import Acknowledgement
from portal import typed
from portal.models import User
from tests.acknowledgements.test_signing_service import sign
from tests.factories import PASSWORD, UserFactory

NAME = "Zoë Łukasz Wójcik"
NFD = unicodedata.normalize("NFD", NAME)


@pytest.fixture
def zoe(db: None, department) -> User:
    return UserFactory(
        email="zoe.wojcik@example.com",
        first_name="Zoë Łukasz",
        last_name="Wójcik",
        department=department,
    )


def test_the_nfd_form_really_differs() -> None:
    assert NFD != NAME and len(NFD) > len(NAME)


def test_a_name_typed_in_nfd_signs_and_is_stored_in_nfc(zoe, version) -> None:
    ack = sign(zoe, version, printed_name=f"  {NFD} ")

    stored = Acknowledgement.objects.get(pk=ack.pk)
    assert stored.printed_name == NAME
    assert unicodedata.is_normalized("NFC", stored.printed_name)


def test_the_chain_still_verifies_after_an_nfd_signature(zoe, employee, version) -> None:
    sign(zoe, version, printed_name=NFD)
    sign(employee, version)

    out = StringIO()
    call_command("verify_acknowledgements", stdout=out)
    assert "All 2 acknowledgements verified" in out.getvalue()


def test_full_width_letters_and_another_case_are_the_same_name(zoe, version) -> None:
    full_width = "".join(
        chr(ord(c) + 0xFEE0) if "A" <= c <= "Z" or "a" <= c <= "z" else c for c in NAME.upper()
    )
    assert full_width != NAME.upper()
    ack = sign(zoe, version, printed_name=full_width)
    assert ack.pk is not None


def test_another_name_is_still_refused(zoe, version) -> None:
    with pytest.raises(signing.SigningError, match="Type your full name"):
        sign(zoe, version, printed_name="Zoe Lukasz Wojcik")
    assert not Acknowledgement.objects.exists()


def test_a_name_on_file_in_nfd_matches_one_typed_in_nfc(version, department) -> None:
    # A directory exported in NFD before names were normalised on the way in.
    person = UserFactory(first_name=unicodedata.normalize("NFD", "Zoë"), last_name="Wójcik")
    assert sign(person, version, printed_name="Zoë Wójcik").pk is not None


def test_signing_through_the_page_with_an_nfd_name(client: Client, zoe, version) -> None:
    client.force_login(zoe)
    url = reverse("acknowledgements:sign", args=[version.policy.slug])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url,
        {"version": version.number, "printed_name": NFD, "password": PASSWORD, "agree": "on"},
    )
    assert Acknowledgement.objects.filter(user=zoe, printed_name=NAME).exists(), (
        response.content.decode()[:2000]
    )


def test_a_person_saved_with_an_nfd_name_is_kept_in_nfc(department) -> None:
    person = User(
        email="  Zoe.Wojcik@Example.com ",
        first_name=unicodedata.normalize("NFD", "Zoë"),
        last_name=unicodedata.normalize("NFD", "Wójcik"),
    )
    person.clean()
    assert (person.first_name, person.last_name) == ("Zoë", "Wójcik")
    assert person.email == "zoe.wojcik@example.com"


def test_comparable_folds_what_looks_the_same() -> None:
    assert typed.comparable(NFD) == typed.comparable(NAME.upper())
    assert typed.stored(f" {NFD}\t") == NAME


def test_a_directory_exported_in_nfd_finds_the_same_people(hr_user, zoe) -> None:
    from portal.staff_import import import_staff
    from tests.portal.test_staff_import import person, staff_csv

    row = person(
        zoe.employee_number,
        zoe.email,
        first_name=unicodedata.normalize("NFD", zoe.first_name),
        last_name=unicodedata.normalize("NFD", zoe.last_name),
        department=zoe.department.name,
        start_date=zoe.start_date.strftime("%d/%m/%Y"),
    )
    result = import_staff(actor=hr_user, data=staff_csv(row))

    assert (result.created, result.unchanged) == (0, 1)
    zoe.refresh_from_db()
    assert zoe.full_name == NAME
