"""The organisation the portal serves: its name, contacts and brand, read from settings.

Pages have it as ``organisation`` (``portal.context_processors.organisation``), e-mails as the
same name (``portal.outbox``), and the receipt and letter PDFs call ``current()``. ``DEMO`` is the
seed company of the policy in ``acknowledgements/policy_data``: the settings' defaults while
DJANGO_DEBUG is on, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.templatetags.static import static

# The portal's own blue: white text on it has a contrast of 6.4:1.
DEFAULT_BRAND_COLOUR = "#0a58ca"


def _either(*ways: str) -> str:
    return " or ".join(way for way in ways if way)


@dataclass(frozen=True)
class Organisation:
    name: str
    short_name: str
    it_helpline_email: str = ""
    it_helpline_phone: str = ""
    hr_contact_name: str = "HR"
    hr_contact_email: str = ""
    hr_contact_phone: str = ""
    logo: str = ""  # a static file's path, such as "portal/logo.svg"
    brand_colour: str = DEFAULT_BRAND_COLOUR
    sender: str = ""  # the From: of its e-mails, when DEFAULT_FROM_EMAIL is not set

    @property
    def it_helpline(self) -> str:
        """How to reach the IT helpline, as a sentence gives it: "it@… or 0161 …"."""
        return _either(self.it_helpline_email, self.it_helpline_phone)

    @property
    def hr_reach(self) -> str:
        """How to reach HR: "hr@… or 0161 …", or "" when neither is set."""
        return _either(self.hr_contact_email, self.hr_contact_phone)

    @property
    def hr_contact(self) -> str:
        """Who HR is and how to reach them: "Human Resources (hr@… or 0161 …)"."""
        return (
            f"{self.hr_contact_name} ({self.hr_reach})" if self.hr_reach else self.hr_contact_name
        )

    @property
    def logo_url(self) -> str:
        """The logo's address on this portal, or "" when there is none."""
        return static(self.logo) if self.logo else ""

    @property
    def logo_absolute_url(self) -> str:
        """The logo's full address, for e-mails read away from the portal."""
        return f"{settings.PORTAL_BASE_URL}{self.logo_url}" if self.logo else ""


DEMO = Organisation(
    name="CareTech Community Services",
    short_name="CareTech",
    it_helpline_email="it.helpdesk@caretech.example",
    it_helpline_phone="0161 496 0000",
    hr_contact_name="Human Resources",
    hr_contact_email="hr@caretech.example",
    hr_contact_phone="0161 496 0001",
    sender="IT Department <it-portal@caretech.example>",
)


def current() -> Organisation:
    """The organisation as the settings describe it now."""
    return Organisation(
        name=settings.ORG_NAME,
        short_name=settings.ORG_SHORT_NAME,
        it_helpline_email=settings.IT_HELPLINE_EMAIL,
        it_helpline_phone=settings.IT_HELPLINE_PHONE,
        hr_contact_name=settings.HR_CONTACT_NAME,
        hr_contact_email=settings.HR_CONTACT_EMAIL,
        hr_contact_phone=settings.HR_CONTACT_PHONE,
        logo=settings.ORG_LOGO,
        brand_colour=settings.BRAND_COLOUR,
    )
