"""First sign-in letters: how staff without a work e-mail choose their first password.

HR, or the person's line manager, prints a letter (a PDF) with the person's name, a short
one-time code, a QR code to the page where the code is used, when it expires and whom to ask.
Only a keyed hash of the code is kept. A person has at most one live letter: printing another
voids the one before. The code works once, for ``LETTER_DAYS`` days, and tries at it are
limited per employee number and per client address (``portal.throttle``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlencode

from portal import accounts, audit, fonts, organisation, outbox, permissions, qr, throttle
from portal.client import client_address
from portal.models import FirstSignInLetter, User

LETTER_DAYS = 14
# No 0/O or 1/I: the code is read off paper and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 50 bits: far beyond what the limits on tries let anyone guess
REFUSED = (
    "That employee number and code do not match a letter that can still be used. Check both, "
    "or ask your line manager or HR for a new letter."
)
THROTTLED = (
    "Too many tries with that employee number or from your network. Try again in an hour, or "
    "ask your line manager or HR for a new letter."
)


class LetterRefused(Exception):
    """The code cannot be used: wrong, used, voided, expired, or too many tries."""


@dataclass(frozen=True)
class PrintedLetter:
    letter: FirstSignInLetter
    code: str  # shown once, on the letter; never stored
    pdf: bytes


def normalise_code(code: str) -> str:
    """A code as typed ("abcde-fghjk", with spaces or not) in the form it was made."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _hash(code: str) -> str:
    return salted_hmac("portal.letters", normalise_code(code), algorithm="sha256").hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def may_print(actor: User, person: User) -> bool:
    """HR may print a letter for anyone, a line manager for their own direct reports only.

    A letter sets the account's password, so an account that runs the portal (a role) is an
    administrator's to open, as the staff import leaves it to one."""
    if permissions.holds_role(person) and not permissions.can_use_admin(actor):
        return False
    return (
        permissions.is_hr(actor)
        or permissions.manages(actor, person)
        or permissions.can_use_admin(actor)
    )


def letter_url(person: User) -> str:
    """The page where the code is used, with the person's employee number filled in."""
    query = urlencode({"number": person.employee_number or ""})
    return outbox.absolute_url(f"{reverse('letter_password')}?{query}")


def letter_print(*, actor: User, person: User, request: HttpRequest | None = None) -> PrintedLetter:
    """Make ``person`` a new letter, voiding any live one, and return it with its PDF.

    Only for people with no e-mail address (the others use "Forgotten your password?") and an
    active account; raises ``PermissionDenied`` otherwise, or if ``actor`` may not print it.
    """
    if not may_print(actor, person):
        raise PermissionDenied("Only HR or the person's line manager can print their letter.")
    if person.email or not person.is_active or not person.employee_number:
        raise PermissionDenied(
            "Letters are for active staff with an employee number and no email address."
        )
    code = _new_code()
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=person.pk).first()  # one print at a time
        voided = FirstSignInLetter.objects.filter(
            user=person, used_at__isnull=True, voided_at__isnull=True
        ).update(voided_at=now)
        letter = FirstSignInLetter.objects.create(
            user=person,
            code_hash=_hash(code),
            printed_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=LETTER_DAYS),
        )
        audit.record(
            actor=actor,
            action="user.letter_printed",
            obj=person,
            data={
                "letter": letter.pk,
                "voided": voided,
                "expires_at": letter.expires_at.isoformat(),
            },
            request=request,
        )
    return PrintedLetter(letter=letter, code=code, pdf=build_pdf(person, code, letter, actor))


def _limits() -> tuple[throttle.Limit, throttle.Limit]:
    return (
        throttle.Limit("letter-number", settings.LETTER_CODE_TRIES_PER_NUMBER_PER_HOUR, 3600),
        throttle.Limit("letter-client", settings.LETTER_CODE_TRIES_PER_CLIENT_PER_HOUR, 3600),
    )


def _refuse(number: str, reason: str, request: HttpRequest | None, message: str) -> None:
    audit.record(
        actor=None,
        action="auth.letter_code_refused",
        data={"employee_number": number[:32], "reason": reason},
        request=request,
    )
    raise LetterRefused(message)


def _live_letter(number: str, code: str, now: datetime) -> tuple[FirstSignInLetter | None, str]:
    """The person's live letter, locked, if ``code`` is its code; else None and why not."""
    letter = (
        FirstSignInLetter.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(user__employee_number=number, user__is_active=True, user__email__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if letter is None:
        return None, "no letter"
    if not constant_time_compare(letter.code_hash, _hash(code)):
        return None, "wrong code"
    if letter.used_at is not None:
        return None, "already used"
    if letter.voided_at is not None:
        return None, "voided by a newer letter"
    if letter.expires_at <= now:
        return None, "expired"
    return letter, ""


def letter_redeem(
    *, employee_number: str, code: str, password: str, request: HttpRequest | None = None
) -> User:
    """Set the password of the person whose live letter has ``code``; the letter is then used.

    Raises ``LetterRefused`` (audited) for a code that cannot be used or too many tries, and
    the password validators' ``ValidationError`` for a password they refuse (the letter is then
    still live).
    """
    number = (employee_number or "").strip()
    for limit, who in zip(_limits(), (number, client_address(request) or ""), strict=True):
        hits = throttle.hit(limit, who)
        if hits == limit.most + 1:  # the first refusal of the window is audited, not each
            _refuse(number, f"too many tries ({limit.name})", request, THROTTLED)
        if hits > limit.most:
            raise LetterRefused(THROTTLED)
    now = timezone.now()
    with transaction.atomic():
        letter, why = _live_letter(number, code, now)
        if letter is not None:
            user = letter.user
            password_validation.validate_password(password, user)
            user.set_password(password)
            user.save(update_fields=["password", "password_changed_at"])
            letter.used_at = now
            letter.save(update_fields=["used_at"])
            accounts.password_changed(user=user, how="set_from_letter", request=request)
            return user
    _refuse(number, why, request, REFUSED)
    raise AssertionError("unreachable")  # pragma: no cover


# --- The PDF ---------------------------------------------------------------------------------


def _who_to_ask(person: User, hr: str) -> str:
    manager = person.line_manager
    if manager is not None and manager.is_active:
        return f"your line manager, {manager.full_name}, or {hr}"
    return hr


def build_pdf(person: User, code: str, letter: FirstSignInLetter, actor: User) -> bytes:
    """The letter as a PDF; names print as typed, in any script (``portal.fonts``)."""
    org = organisation.current()
    expires = dateformat.format(timezone.localtime(letter.expires_at), "j F Y, H:i")
    printed = dateformat.format(timezone.localtime(letter.created_at), "j F Y")
    heading = f"Welcome to the Acceptable Use Portal, {person.full_name}"
    lines = (
        "This letter lets you choose your password for the portal, where you read and sign the "
        f"policies of {org.name}. Keep it private: the code below is for you alone.",
        f"Your employee number: {person.employee_number}",
        f"Your one-time code: {shown_code(code)}",
        f"The code works once, until {expires} (UK time).",
        "Scan the QR code with a phone, or go to the address below, and type your employee "
        "number and the code, then choose a password. After that, sign in with your employee "
        "number and that password.",
        letter_url(person),
        f"Questions, or a lost or expired letter: ask {_who_to_ask(person, org.hr_contact)}.",
        f"Printed by {actor.full_name} on {printed}. A new letter stops this one working.",
    )
    pdf = fonts.PortalPDF(format="A4")
    fonts.prepare(pdf, [org.name, heading, *lines])
    pdf.set_title("First sign-in letter")
    pdf.set_author(org.name)
    pdf.add_page()
    pdf.set_font(fonts.SANS, size=10)
    pdf.set_text_color(80, 80, 80)
    pdf.multi_cell(0, 6, org.name)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    pdf.set_font(fonts.SANS, style="B", size=18)
    pdf.multi_cell(0, 10, heading)
    pdf.ln(4)
    pdf.set_font(fonts.SANS, size=11)
    for line in lines:
        pdf.multi_cell(0, 7, line)
        pdf.ln(2)
    qr.draw(pdf, letter_url(person), x=pdf.l_margin, y=pdf.get_y() + 4, size=50)
    return bytes(pdf.output())
