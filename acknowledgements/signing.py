"""Signing a policy version: the contractual acknowledgement and its receipt notice."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from acknowledgements import chain, publishing, sealing
from acknowledgements.models import Acknowledgement, Assignment, PolicyVersion
from portal import audit, lockout, organisation, outbox
from portal import typed as typed_text
from portal.client import client_address
from portal.models import ExternalIdentity, User
from portal.oidc.sessions import Reauthentication, is_fresh

AUTH_METHOD = "password re-entered at signing"
# Said before the last attempt: the lockout pauses signing in, never the signing itself.
LAST_ATTEMPT = (
    "One attempt left: after one more wrong password, signing in to your account is paused for "
    "{pause}. That pauses signing in, not the signing: nothing is lost, the policy waits for "
    "your signature, and you can sign it once the pause is over. If you are not sure of your "
    "password, reset it instead of guessing."
)
NOT_CURRENT = "This version is no longer the current one. Please read and sign the current version."


class SigningError(Exception):
    """The signature was refused; the message says what the signer can do about it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AlreadySigned(SigningError):
    def __init__(self, acknowledgement: Acknowledgement) -> None:
        super().__init__("You have already signed this version; your receipt is below.")
        self.acknowledgement = acknowledgement


def statement_for(version: PolicyVersion) -> str:
    """The exact words the signer agrees to; stored verbatim in the record.

    The employer is the organisation the settings name (``portal.organisation``): the policy's
    own text is data, loaded with ``manage.py load_policy``, and names whoever wrote it.
    """
    return (
        f"I confirm that I have read and understood the {version.policy.title} "
        f"({version.label}), that I will comply with it, and that I understand and accept "
        f"that it forms part of my terms and conditions of employment with "
        f"{organisation.current().name}."
    )


def _same_name(typed: str, user: User) -> bool:
    # Compared in one normal form: a name typed in NFD ("e" + combining diaeresis) or with
    # full-width letters is the same name as the one on file.
    return bool(typed.strip()) and typed_text.comparable(typed) == typed_text.comparable(
        user.full_name
    )


def _attach_to_assignment(ack: Acknowledgement) -> None:
    """Every signature hangs off an assignment, so compliance counts and reminders agree.

    Someone who signs before being asked (a new starter ahead of the daily run) gets one now.
    """
    linked = Assignment.objects.filter(
        user=ack.user, version=ack.version, acknowledgement__isnull=True
    ).update(acknowledgement=ack)
    if linked:
        return
    # Someone who already holds a current requirement (signing a minor version they were not
    # asked to sign, say) keeps that one: one requirement per person per policy.
    if Assignment.objects.filter(
        user=ack.user,
        version__policy_id=ack.version.policy_id,
        version__number__gte=publishing.baseline_number(ack.version.policy),
    ).exists():
        return
    joined_later = ack.version.published_at and ack.user.date_joined > ack.version.published_at
    Assignment.objects.get_or_create(
        user=ack.user,
        version=ack.version,
        defaults={
            "reason": Assignment.Reason.NEW_STARTER
            if joined_later
            else Assignment.Reason.PUBLISHED,
            "due_date": timezone.localdate(ack.signed_at),
            "acknowledgement": ack,
        },
    )


def _check_open(user: User, version: PolicyVersion, status: str | None) -> None:
    """``version`` (in ``status``) can still be signed, and ``user`` has not signed it."""
    if status != PolicyVersion.Status.PUBLISHED:
        raise SigningError(NOT_CURRENT)
    existing = Acknowledgement.objects.filter(user=user, version=version).first()
    if existing is not None:
        raise AlreadySigned(existing)


STALE_REAUTHENTICATION = (
    "Confirming it is you at your organisation's sign-in was too long ago, or for someone else. "
    "Please confirm again. Nothing has been signed."
)


def lockout_warning(request: HttpRequest, user: User) -> str | None:
    """After a wrong password on the signing form: a warning when one attempt is left before
    signing in to the account is paused (the sign-in lockout, ``portal.lockout``)."""
    if lockout.attempts_left(request, user.sign_in_name) != 1:
        return None
    return LAST_ATTEMPT.format(pause=lockout.pause_text())


def check_printed_name(user: User, printed_name: str) -> None:
    if not _same_name(printed_name, user):
        raise SigningError(
            f"Type your full name as it appears on your record: {user.full_name}.",
            field="printed_name",
        )


def _check_signer(
    user: User,
    printed_name: str,
    *,
    password: str | None,
    reauthentication: Reauthentication | None,
    request: HttpRequest,
) -> None:
    """The signer proved it is them: their password typed again, or, for a session that came
    from the organisation's sign-in, a fresh re-authentication there as the same person."""
    if reauthentication is not None:
        linked = ExternalIdentity.objects.filter(
            user=user, issuer=reauthentication.issuer, subject=reauthentication.subject
        ).exists()
        if not linked or not is_fresh(reauthentication):
            raise SigningError(STALE_REAUTHENTICATION)
    elif (
        password is None
        or authenticate(request, username=user.sign_in_name, password=password) != user
    ):
        raise SigningError("That password is not right. Nothing has been signed.", field="password")
    check_printed_name(user, printed_name)


def _lock_status(version: PolicyVersion) -> str | None:
    # The caller's copy may be stale: a new version can be published while the form is open.
    # The row lock makes publishing wait for this signature, or this see its result.
    return (
        PolicyVersion.objects.select_for_update(no_key=True)
        .filter(pk=version.pk)
        .values_list("status", flat=True)
        .first()
    )


def _new_record(
    *,
    user: User,
    version: PolicyVersion,
    printed_name: str,
    auth_method: str,
    request: HttpRequest,
) -> Acknowledgement:
    """The next record of the chain (whose lock the caller holds): hashed, sealed and saved."""
    last = Acknowledgement.objects.order_by("-sequence").only("sequence", "record_hash").first()
    ack = Acknowledgement(
        sequence=(last.sequence + 1) if last else 1,
        user=user,
        version=version,
        signer_email=user.email or "",
        signer_employee_number=user.employee_number or "",
        # Kept in NFC, so the record (and its hash) does not depend on how a keyboard composed
        # the letters.
        printed_name=typed_text.stored(printed_name),
        statement=statement_for(version),
        body_sha256=version.body_sha256,
        signed_at=timezone.now(),
        ip_address=client_address(request),
        user_agent=request.headers.get("User-Agent", "")[:512],
        auth_method=auth_method,
        prev_hash=last.record_hash if last else chain.GENESIS,
    )
    ack.record_hash = chain.hash_of(ack)
    # Sealed before the INSERT: the row can never be changed afterwards.
    ack.seal, ack.seal_key_id = sealing.seal(ack.record_hash)
    ack.save()
    return ack


def sign(
    *,
    user: User,
    version: PolicyVersion,
    printed_name: str,
    password: str | None = None,
    reauthentication: Reauthentication | None = None,
    request: HttpRequest,
) -> Acknowledgement:
    """Record ``user``'s signature of ``version`` exactly once.

    The password goes through ``authenticate`` so that wrong guesses count towards the sign-in
    lockout, exactly as they would on the sign-in page. A person signed in through the
    organisation's provider gives its re-authentication instead, and the record says so.
    """
    _check_open(user, version, version.status)
    _check_signer(
        user,
        printed_name,
        password=password,
        reauthentication=reauthentication,
        request=request,
    )
    auth_method = reauthentication.describe() if reauthentication else AUTH_METHOD
    try:
        with transaction.atomic():
            chain.lock_chain()
            _check_open(user, version, _lock_status(version))
            ack = _new_record(
                user=user,
                version=version,
                printed_name=printed_name,
                auth_method=auth_method,
                request=request,
            )
            _attach_to_assignment(ack)
            audit.record(
                actor=user,
                action="policy.signed",
                obj=ack,
                data={"version": version.pk, "record_hash": ack.record_hash},
                request=request,
            )
            outbox.notify(
                recipient=user,
                kind="acknowledgement-receipt",
                dedupe_key=f"receipt:{ack.pk}",
                context={"ack": ack, "version": version},
                link=reverse("acknowledgements:receipt", args=[ack.pk]),
            )
    except IntegrityError:
        # A second tab or double submit that got past the check on a backend without the lock.
        existing = Acknowledgement.objects.filter(user=user, version=version).first()
        if existing is None:
            raise
        raise AlreadySigned(existing) from None
    return ack
