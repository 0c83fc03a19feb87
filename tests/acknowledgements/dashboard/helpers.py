"""Assignments, signatures in bulk and SVG reading for the dashboard's tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from acknowledgements import chain, sealing, signing
from acknowledgements.models import Acknowledgement, Assignment, Policy, PolicyVersion
from portal.models import Department, User
from tests.acknowledgements.factories import PolicyVersionFactory

SVG = "{http://www.w3.org/2000/svg}"


def parse_svg(markup: str) -> ET.Element:
    """Parse a chart the portal drew itself (fails on anything that is not well-formed XML)."""
    return ET.fromstring(markup)  # noqa: S314  (our own output, not untrusted input)


def assign(user: User, version: PolicyVersion, due: date) -> Assignment:
    return Assignment.objects.create(
        user=user, version=version, reason=Assignment.Reason.PUBLISHED, due_date=due
    )


def _publish_next(policy: Policy, *, number: int, material: bool, days_ago: int) -> PolicyVersion:
    PolicyVersion.objects.filter(policy=policy, status=PolicyVersion.Status.PUBLISHED).update(
        status=PolicyVersion.Status.SUPERSEDED
    )
    published = timezone.now() - timedelta(days=days_ago)
    return PolicyVersionFactory(
        policy=policy,
        number=number,
        material_change=material,
        status=PolicyVersion.Status.PUBLISHED,
        effective_date=timezone.localdate(published),
        published_at=published,
    )


@dataclass
class Company:
    """Eleven people who count and two who do not.

    The policy has a material version 1, a material version 2 (the baseline) and a minor
    version 3 (current). Signing version 2 or 3 counts; signing only version 1 does not.
    """

    policy: Policy
    v1: PolicyVersion
    v2: PolicyVersion
    v3: PolicyVersion
    care: Department
    finance: Department
    alice: User  # manages the Care team and Bob; in Care, no manager of her own
    bob: User  # manages part of Finance
    people: dict[str, User]


def _bulk_sign(users: list[User], version: PolicyVersion, *, signed_at=None) -> None:
    """Signatures for many people at once, chained exactly as ``signing.sign`` chains them.

    A handful of signatures go through the real service in the tests above; building a
    thousand that way would take minutes, so here the same record is written in bulk, each
    one hashed over the previous, and linked to its assignment as the service links it.
    """
    signed_at = signed_at or timezone.now()
    last = Acknowledgement.objects.order_by("-sequence").first()
    sequence, prev = (last.sequence, last.record_hash) if last else (0, chain.GENESIS)
    records = []
    for user in users:
        sequence += 1
        ack = Acknowledgement(
            sequence=sequence,
            user=user,
            version=version,
            signer_email=user.email,
            signer_employee_number=user.employee_number or "",
            printed_name=user.full_name,
            statement=signing.statement_for(version),
            body_sha256=version.body_sha256,
            signed_at=signed_at,
            ip_address="192.0.2.10",
            user_agent="pytest",
            auth_method=signing.AUTH_METHOD,
            prev_hash=prev,
        )
        ack.record_hash = prev = chain.hash_of(ack)
        ack.seal, ack.seal_key_id = sealing.seal(ack.record_hash)
        records.append(ack)
    Acknowledgement.objects.bulk_create(records, batch_size=500)
    by_user = dict(
        Acknowledgement.objects.filter(version=version, user__in=users).values_list("user_id", "pk")
    )
    Assignment.objects.bulk_create(
        [
            Assignment(
                user=user,
                version=version,
                reason=Assignment.Reason.PUBLISHED,
                due_date=timezone.localdate(signed_at),
                acknowledgement_id=by_user[user.pk],
            )
            for user in users
        ],
        batch_size=500,
    )
