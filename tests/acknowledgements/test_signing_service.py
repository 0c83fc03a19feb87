"""The signing service: what a signature records, and every way it refuses to record one."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import timezone

from acknowledgements import chain, publishing, selectors, signing
from acknowledgements.models import Acknowledgement, Assignment, PolicyVersion
from portal.models import AuditEvent, Notification
from tests.factories import PASSWORD, UserFactory

OFFICE_IP = "192.0.2.10"
HOME_IP = "198.51.100.7"
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"


def edit_text(draft, actor) -> None:
    """A material change changes the text: the same text cannot be published as one."""
    body = draft.body + "\n\nA sentence added.\n"
    publishing.update_draft(actor=actor, version=draft, body=body, change_summary="Added.")


def signing_request(ip: str = OFFICE_IP) -> HttpRequest:
    return RequestFactory().post(
        "/policies/acceptable-use/sign/", REMOTE_ADDR=ip, HTTP_USER_AGENT=BROWSER
    )


def sign(user, version, *, printed_name=None, password=PASSWORD, ip=OFFICE_IP):
    return signing.sign(
        user=user,
        version=version,
        printed_name=user.full_name if printed_name is None else printed_name,
        password=password,
        request=signing_request(ip),
    )


def nothing_recorded(user, version) -> bool:
    return (
        not Acknowledgement.objects.filter(user=user, version=version).exists()
        and not AuditEvent.objects.filter(action="policy.signed", actor=user).exists()
        and not Notification.objects.filter(recipient=user, kind="acknowledgement-receipt").exists()
        and not Assignment.objects.filter(user=user, acknowledgement__isnull=False).exists()
    )


# --- What a signature records ---------------------------------------------------------------


def test_signature_records_the_evidence(employee, version, assigned):
    before = timezone.now()

    ack = sign(employee, version, printed_name="  Emma \t  Jones ")

    after = timezone.now()
    stored = Acknowledgement.objects.get(pk=ack.pk)
    assert stored.user == employee
    assert stored.version == version
    assert stored.signer_email == "employee@example.com"
    assert stored.signer_employee_number == employee.employee_number
    assert stored.printed_name == "Emma Jones"
    assert stored.statement == signing.statement_for(version)
    assert "forms part of my terms and conditions of employment" in stored.statement
    assert "Acceptable Use of ICT Policy and Procedure (Version 1)" in stored.statement
    assert stored.body_sha256 == version.body_sha256
    assert len(stored.body_sha256) == 64
    assert stored.signed_at.utcoffset() == timedelta(0)
    assert before <= stored.signed_at <= after
    assert stored.ip_address == OFFICE_IP
    assert stored.user_agent == BROWSER
    assert stored.auth_method == signing.AUTH_METHOD
    assert stored.sequence == 1
    assert stored.prev_hash == chain.GENESIS
    assert stored.record_hash == chain.hash_of(stored)
    assert stored.record_hash == ack.record_hash


def test_printed_name_keeps_the_case_typed(employee, version):
    ack = sign(employee, version, printed_name="emma   JONES")

    assert Acknowledgement.objects.get(pk=ack.pk).printed_name == "emma JONES"


def test_each_signature_extends_the_chain(employee, manager, outsider, version):
    first = sign(employee, version)
    second = sign(manager, version)
    third = sign(outsider, version)

    records = list(Acknowledgement.objects.order_by("sequence"))
    assert [r.pk for r in records] == [first.pk, second.pk, third.pk]
    assert [r.sequence for r in records] == [1, 2, 3]
    assert records[0].prev_hash == chain.GENESIS
    assert records[1].prev_hash == records[0].record_hash
    assert records[2].prev_hash == records[1].record_hash
    assert all(r.record_hash == chain.hash_of(r) for r in records)
    assert len({r.record_hash for r in records}) == 3


def test_signing_links_the_assignment(employee, version, assigned):
    assert assigned.state() == Assignment.State.DUE

    ack = sign(employee, version)

    assigned.refresh_from_db()
    assert assigned.acknowledgement == ack
    assert assigned.state() == Assignment.State.SIGNED


def test_signing_writes_one_audit_event(employee, version):
    ack = sign(employee, version)

    event = AuditEvent.objects.get(action="policy.signed")
    assert event.actor == employee
    assert event.object_type == "acknowledgements.acknowledgement"
    assert event.object_id == str(ack.pk)
    assert event.ip_address == OFFICE_IP
    assert event.data == {"version": version.pk, "record_hash": ack.record_hash}


def test_signing_queues_one_receipt(employee, version, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        ack = sign(employee, version)

    receipt = Notification.objects.get(recipient=employee)
    assert receipt.kind == "acknowledgement-receipt"
    assert receipt.dedupe_key == f"receipt:{ack.pk}"
    assert ack.record_hash in receipt.body_text
    assert ack.receipt_code in receipt.body_html
    assert "Emma Jones" in receipt.body_text
    assert len(callbacks) == 1  # delivery is queued once, after commit


# --- Password re-entry ------------------------------------------------------------------------


def test_wrong_password_records_nothing(employee, version, assigned):
    with pytest.raises(signing.SigningError) as refused:
        sign(employee, version, password="not-my-password")

    assert refused.value.field == "password"
    assert "Nothing has been signed" in str(refused.value)
    assert nothing_recorded(employee, version)


def test_wrong_password_counts_towards_the_sign_in_lockout(employee, version):
    with pytest.raises(signing.SigningError):
        sign(employee, version, password="not-my-password")

    # django-axes' database handler keeps one AccessAttempt per (username, address, agent) and
    # counts the failures on it (AccessFailureLog is off unless AXES_ENABLE_ACCESS_FAILURE_LOG).
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "employee@example.com"
    assert attempt.ip_address == OFFICE_IP
    assert attempt.failures_since_start == 1
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 1


def test_one_failure_short_of_the_limit_can_still_sign(employee, version):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        with pytest.raises(signing.SigningError):
            sign(employee, version, password="not-my-password")

    ack = sign(employee, version)

    assert Acknowledgement.objects.get(user=employee) == ack


def test_after_the_failure_limit_even_the_right_password_is_refused(employee, version):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        with pytest.raises(signing.SigningError):
            sign(employee, version, password="not-my-password")

    request = signing_request()
    with pytest.raises(signing.SigningError) as refused:
        signing.sign(
            user=employee,
            version=version,
            printed_name="Emma Jones",
            password=PASSWORD,
            request=request,
        )

    assert refused.value.field == "password"
    # The flag AxesMiddleware turns into the "Too many attempts" page.
    assert request.axes_locked_out is True
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()
    assert nothing_recorded(employee, version)


def test_lockout_is_per_address(employee, version):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        with pytest.raises(signing.SigningError):
            sign(employee, version, password="not-my-password", ip=OFFICE_IP)

    ack = sign(employee, version, ip=HOME_IP)

    assert ack.ip_address == HOME_IP


def test_someone_elses_password_is_refused(employee, manager, version):
    manager.set_password("the-managers-own-password")
    manager.save()

    with pytest.raises(signing.SigningError) as refused:
        sign(employee, version, password="the-managers-own-password")

    assert refused.value.field == "password"
    assert nothing_recorded(employee, version)


# --- The printed name -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["Emma Jones", "emma jones", "EMMA JONES", " Emma   Jones ", "Emma\tJones"]
)
def test_name_differing_only_in_case_or_spacing_is_accepted(employee, version, typed):
    ack = sign(employee, version, printed_name=typed)

    assert ack.printed_name == " ".join(typed.split())


@pytest.mark.parametrize("typed", ["Emma Smith", "Emma", "EmmaJones", "Jones Emma", "", "   "])
def test_a_different_name_records_nothing(employee, version, assigned, typed):
    with pytest.raises(signing.SigningError) as refused:
        sign(employee, version, printed_name=typed)

    assert refused.value.field == "printed_name"
    assert "Emma Jones" in str(refused.value)
    assert nothing_recorded(employee, version)


# --- Which versions can be signed -------------------------------------------------------------


def test_a_draft_cannot_be_signed(employee, reviewer, version):
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)

    with pytest.raises(signing.SigningError) as refused:
        sign(employee, draft)

    assert refused.value.field is None
    assert nothing_recorded(employee, draft)


def test_a_superseded_version_cannot_be_signed(employee, reviewer, version):
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    edit_text(draft, reviewer)
    publishing.publish(actor=reviewer, version=draft, material=True)
    version.refresh_from_db()
    assert version.status == PolicyVersion.Status.SUPERSEDED

    with pytest.raises(signing.SigningError, match="no longer the current one"):
        sign(employee, version)

    assert nothing_recorded(employee, version)


def test_a_version_superseded_while_the_form_was_open_cannot_be_signed(employee, reviewer, version):
    # ``version`` was loaded as published (the signing page was shown); a new version is
    # published before the form comes back.
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    edit_text(draft, reviewer)
    publishing.publish(actor=reviewer, version=draft, material=True)
    assert version.status == PolicyVersion.Status.PUBLISHED  # the stale copy

    with pytest.raises(signing.SigningError, match="no longer the current one"):
        sign(employee, version)

    assert nothing_recorded(employee, version)


# --- Exactly once -----------------------------------------------------------------------------


def test_signing_twice_is_already_signed(employee, version):
    first = sign(employee, version)

    with pytest.raises(signing.AlreadySigned) as again:
        sign(employee, version)

    assert again.value.acknowledgement == first
    assert Acknowledgement.objects.filter(user=employee).count() == 1
    assert AuditEvent.objects.filter(action="policy.signed").count() == 1
    assert Notification.objects.filter(kind="acknowledgement-receipt").count() == 1


def test_already_signed_does_not_cost_a_password_attempt(employee, version):
    sign(employee, version)

    with pytest.raises(signing.AlreadySigned):
        sign(employee, version, password="not-my-password")

    assert not AccessAttempt.objects.exists()


def test_a_new_version_is_signed_separately(employee, reviewer, version):
    first = sign(employee, version)
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    edit_text(draft, reviewer)
    second_version = publishing.publish(actor=reviewer, version=draft, material=True)

    second = sign(employee, second_version)

    assert second.version == second_version
    assert second.prev_hash == first.record_hash
    assert second.statement == signing.statement_for(second_version)
    assert "(Version 2)" in second.statement


def test_a_starter_signs_with_no_employee_number(version):
    starter = UserFactory(first_name="Sam", last_name="Patel", employee_number=None)

    ack = sign(starter, version)

    stored = Acknowledgement.objects.get(pk=ack.pk)
    assert stored.signer_employee_number == ""
    assert stored.record_hash == chain.hash_of(stored)


@pytest.mark.parametrize(
    ("remote_addr", "stored_as"),
    [
        ("2001:db8::7", "2001:db8::7"),
        ("2001:DB8:0:0:0:0:0:7", "2001:db8::7"),
        ("::ffff:192.0.2.10", "::ffff:192.0.2.10"),
    ],
)
def test_the_hash_covers_the_address_as_stored(employee, version, remote_addr, stored_as):
    ack = sign(employee, version, ip=remote_addr)

    stored = Acknowledgement.objects.get(pk=ack.pk)
    assert stored.ip_address == stored_as
    assert stored.record_hash == chain.hash_of(stored)


PROXY = "10.0.0.2"


@pytest.mark.parametrize(
    ("remote_addr", "forwarded", "stored_as"),
    [
        (PROXY, f"203.0.113.66, {HOME_IP}", HOME_IP),
        (PROXY, "2001:DB8:0:0:0:0:0:7", "2001:db8::7"),
        (PROXY, "not-an-address", PROXY),
        # Straight to the web server, the header is the signer's own claim.
        (OFFICE_IP, HOME_IP, OFFICE_IP),
    ],
)
def test_behind_the_proxy_the_signature_records_the_signer(
    settings, employee, version, remote_addr, forwarded, stored_as
):
    settings.PORTAL_TRUSTED_PROXIES = (ipaddress.ip_network(PROXY),)
    request = RequestFactory().post(
        "/", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR=forwarded, HTTP_USER_AGENT=BROWSER
    )

    ack = signing.sign(
        user=employee,
        version=version,
        printed_name=employee.full_name,
        password=PASSWORD,
        request=request,
    )

    stored = Acknowledgement.objects.get(pk=ack.pk)
    assert stored.ip_address == stored_as
    assert stored.record_hash == chain.hash_of(stored)
    event = AuditEvent.objects.get(action="policy.signed", actor=employee)
    assert event.ip_address == stored_as


def test_the_hash_covers_a_long_user_agent_as_stored(employee, version):
    request = RequestFactory().post(
        "/", REMOTE_ADDR=OFFICE_IP, HTTP_USER_AGENT="Navigateur-é " + "x" * 600
    )

    ack = signing.sign(
        user=employee,
        version=version,
        printed_name="Emma Jones",
        password=PASSWORD,
        request=request,
    )

    stored = Acknowledgement.objects.get(pk=ack.pk)
    assert len(stored.user_agent) == 512
    assert stored.user_agent.startswith("Navigateur-é ")
    assert stored.record_hash == chain.hash_of(stored)


def test_a_request_without_address_or_agent_still_hashes_consistently(employee, version):
    request = RequestFactory().post("/")
    request.META.pop("REMOTE_ADDR", None)

    ack = signing.sign(
        user=employee,
        version=version,
        printed_name="Emma Jones",
        password=PASSWORD,
        request=request,
    )

    stored = Acknowledgement.objects.get(pk=ack.pk)
    assert stored.ip_address is None
    assert stored.user_agent == ""
    assert stored.record_hash == chain.hash_of(stored)


def test_signing_before_being_asked_leaves_nothing_outstanding(db):
    version = publishing.load_seed_policy()
    newcomer = UserFactory()  # signs before any assignment run has reached them
    assert not Assignment.objects.filter(user=newcomer).exists()

    ack = signing.sign(
        user=newcomer,
        version=version,
        printed_name=newcomer.full_name,
        password=PASSWORD,
        request=RequestFactory().post("/", REMOTE_ADDR="192.0.2.10"),
    )

    assignment = Assignment.objects.get(user=newcomer, version=version)
    assert assignment.acknowledgement == ack
    assert publishing.assign_outstanding(policy=version.policy) == 0
    assert not selectors.outstanding_for(newcomer).exists()
