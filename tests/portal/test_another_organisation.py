"""Another organisation's portal: with its settings, every e-mail, every page in each role's menu,
the signing statement, the receipt and the first sign-in letter name it and give its contacts,
and nothing of the demo's seed company is left."""

from __future__ import annotations

import io
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.shortcuts import render
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from acknowledgements import publishing
from acknowledgements.models import Acknowledgement, PolicyVersion
from portal import organisation, outbox
from portal.models import Notification, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

EMAILS = Path(django_settings.BASE_DIR) / "templates" / "emails"
KINDS = sorted(path.name.removesuffix("-subject.txt") for path in EMAILS.glob("*-subject.txt"))
# The witness's text is the chain's head alone, as an auditor's tools read it; its HTML is signed.
TEXT_ALONE = {"signature-witness"}
# What a template needs to render at all (a filter's argument); the rest may stay empty.
NEEDED = {"old_email": "old.address@example.com"}

NORTHWIND = {
    "ORG_NAME": "Northwind Home Care",
    "ORG_SHORT_NAME": "Northwind",
    "IT_HELPLINE_EMAIL": "it.help@northwind.example",
    "IT_HELPLINE_PHONE": "020 7946 0999",
    "HR_CONTACT_NAME": "People Team",
    "HR_CONTACT_EMAIL": "people@northwind.example",
    "HR_CONTACT_PHONE": "020 7946 0998",
    "ORG_LOGO": "portal/favicon.svg",
    "BRAND_COLOUR": "#1d4b2c",
}
NORTHWIND_POLICY = """# Acceptable Use of IT Policy

## 1 Purpose

Northwind Home Care lends its staff computers and phones for their work.

## 2 Passwords

Keep your password to yourself, and tell the IT helpline if someone else may know it.
"""


def seed_traces() -> list[str]:
    """What would betray the seed company: its names and contacts, as the demo settings hold."""
    seed = organisation.DEMO
    return [
        seed.name,
        seed.short_name,
        seed.it_helpline_email,
        seed.it_helpline_phone,
        seed.hr_contact_email,
        seed.hr_contact_phone,
    ]


def assert_no_seed_company(text: str, where: str) -> None:
    for trace in seed_traces():
        assert trace.lower() not in text.lower(), f"{where} says {trace!r}"


@pytest.fixture
def northwind(settings, tmp_path) -> organisation.Organisation:
    for name, value in NORTHWIND.items():
        setattr(settings, name, value)
    path = tmp_path / "policy.md"
    path.write_text(NORTHWIND_POLICY, encoding="utf-8")
    call_command("load_policy", str(path), stdout=StringIO())
    return organisation.current()


def test_the_seed_company_is_not_the_one_these_tests_configure(northwind) -> None:
    assert northwind.name != organisation.DEMO.name
    assert [trace for trace in seed_traces() if trace] == seed_traces()


# --- E-mails ------------------------------------------------------------------------------------
def test_there_are_e_mails_to_check() -> None:
    assert len(KINDS) >= 30
    assert {"portal-invitation", "policy-unsigned", "request-update"} <= set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_every_e_mail_names_the_organisation_and_its_helpline(northwind, employee, kind) -> None:
    one = outbox.notify(
        recipient=employee, kind=kind, dedupe_key=f"one:{kind}", context=NEEDED, link="/"
    )
    outbox.notify_many([outbox.Notice(employee, kind, f"many:{kind}", NEEDED, "/")])
    many = Notification.objects.get(dedupe_key=f"many:{kind}")

    for notice in (one, many):
        for part, text in [
            ("subject", notice.subject),
            ("text", notice.body_text),
            ("HTML", notice.body_html),
        ]:
            assert_no_seed_company(text, f"{kind} ({part})")
        if kind not in TEXT_ALONE:
            assert f"{northwind.name} · IT Department" in notice.body_text, kind
            assert f"IT helpline: {northwind.it_helpline}" in notice.body_text, kind
        assert f"{northwind.name} · IT Department" in notice.body_html, kind
        assert northwind.brand_colour in notice.body_html, kind


def test_e_mails_show_the_logo_from_the_portal(northwind, employee) -> None:
    notice = outbox.notify(recipient=employee, kind="policy-reminder", dedupe_key="logo")
    logo = f"{django_settings.PORTAL_BASE_URL}/static/portal/favicon.svg"
    assert f'<img src="{logo}" alt="Northwind Home Care" height="40">' in notice.body_html


def test_the_welcome_e_mail_names_the_organisation_in_its_subject(northwind, employee) -> None:
    notice = outbox.notify(recipient=employee, kind="sign-in-invitation", dedupe_key="welcome")
    assert notice.subject.startswith("Welcome to Northwind: ")


def test_the_invitation_says_who_uses_the_portal(northwind, employee) -> None:
    notice = outbox.notify(recipient=employee, kind="portal-invitation", dedupe_key="invited")
    assert "Northwind Home Care uses the Acceptable Use Portal" in notice.body_text


# --- Pages --------------------------------------------------------------------------------------
ADMIN = reverse("admin:index")
ROLES = ["employee", "manager", "it_user", "hr_user", "reviewer", "superuser"]


def menu_of(client: Client) -> list[str]:
    home = client.get(reverse("home"))
    assert home.status_code == 200
    return [item.url for item in home.context["nav_items"]]


def assert_branded(html: str, where: str, org: organisation.Organisation) -> None:
    assert_no_seed_company(html, where)
    assert f"· {org.name}</title>" in html, where
    assert f"{org.name} · IT Department · IT helpline: {org.it_helpline}" in html, where
    assert f"{reverse('brand_css')}?{org.brand_colour[1:]}" in html, where
    assert f'<img src="{org.logo_url}" alt="{org.name}"' in html, where


@pytest.mark.parametrize("role", ROLES)
def test_every_page_in_each_roles_menu_names_the_organisation(northwind, request, role) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(role))
    pages = menu_of(client)
    assert len(pages) >= 3, role

    for url in pages:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        if url.startswith(ADMIN):  # Django's own pages, which name the portal only
            assert_no_seed_company(response.content.decode(), url)
        else:
            assert_branded(response.content.decode(), f"{role}: {url}", northwind)


def test_pages_before_signing_in_name_the_organisation(northwind) -> None:
    client = Client()
    for name in ("login", "password_reset", "letter_password", "acknowledgements:verify"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert_branded(response.content.decode(), name, northwind)


def test_the_brand_stylesheet_is_the_organisations_colour(northwind) -> None:
    response = Client().get(reverse("brand_css"))
    assert response["Content-Type"] == "text/css"
    assert response.content.decode() == ":root { --portal-brand: #1d4b2c; }\n"


@pytest.mark.parametrize(
    ("reason", "contact"),
    [
        ("unknown_person", "ask <strong>HR</strong> (people@northwind.example or 020 7946 0998)"),
        ("left", "ask <strong>HR</strong> (people@northwind.example or 020 7946 0998)"),
        ("bad_state", "Desk</strong> (it.help@northwind.example or 020 7946 0999)"),
    ],
)
def test_a_refused_work_account_sign_in_gives_the_contacts(
    northwind, rf, reason: str, contact: str
) -> None:
    request = rf.get("/accounts/oidc/callback/")
    request.user = AnonymousUser()

    html = render(request, "portal/oidc_refused.html", {"reason": reason}).content.decode()

    assert contact in html
    assert_branded(html, reason, northwind)


# --- Signing, the receipt and the letter --------------------------------------------------------
def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def sign(client: Client, person: User) -> Acknowledgement:
    version = PolicyVersion.objects.get()
    response = client.post(
        reverse("acknowledgements:sign", args=[publishing.SEED_SLUG]),
        {
            "version": version.number,
            "printed_name": person.full_name,
            "password": PASSWORD,
            "agree": "on",
        },
    )
    assert response.status_code == 302
    return Acknowledgement.objects.get(user=person)


def test_the_signer_agrees_to_terms_of_employment_with_the_organisation(
    northwind, employee
) -> None:
    client = Client()
    client.force_login(employee)
    page = client.get(reverse("acknowledgements:sign", args=[publishing.SEED_SLUG]))
    assert "terms and conditions of employment with Northwind Home Care." in page.content.decode()

    ack = sign(client, employee)

    assert ack.statement.endswith("terms and conditions of employment with Northwind Home Care.")
    receipt = client.get(reverse("acknowledgements:receipt", args=[ack.pk]))
    assert_branded(receipt.content.decode(), "receipt", northwind)


def test_the_receipt_pdf_names_the_organisation(northwind, employee) -> None:
    client = Client()
    client.force_login(employee)
    ack = sign(client, employee)

    pdf = client.get(reverse("acknowledgements:receipt_pdf", args=[ack.pk])).content

    text = pdf_text(pdf)
    assert text.startswith("Northwind Home Care\n")
    assert "employment with Northwind Home Care" in re.sub(r"\s+", " ", text)
    assert_no_seed_company(text, "receipt PDF")
    assert PdfReader(io.BytesIO(pdf)).metadata.author == "Northwind Home Care"


def test_the_first_sign_in_letter_names_the_organisation_and_hr(northwind, manager) -> None:
    carer = UserFactory(email=None, employee_number="C0042", line_manager=manager)
    client = Client()
    client.force_login(manager)

    pdf = client.post(reverse("print_sign_in_letter", args=[carer.pk])).content

    text = re.sub(r"\s+", " ", pdf_text(pdf))
    assert text.startswith("Northwind Home Care ")
    assert "sign the policies of Northwind Home Care." in text
    assert "or People Team (people@northwind.example or 020 7946 0998)." in text
    assert_no_seed_company(text, "letter PDF")
