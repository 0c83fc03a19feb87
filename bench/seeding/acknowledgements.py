"""The seed policy for the company: published a month ago, every active person assigned to it,
about 70% signed (real chain records, signed since publication, that ``verify_acknowledgements``
checks like any other), about 10% overdue and the rest due within three weeks.

Due dates for people still to sign are spread on purpose (some overdue, some due soon) so that
the status pages have a realistic mix to show.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from acknowledgements import chain, publishing, sealing, signing
from acknowledgements.models import Acknowledgement, Assignment, PolicyVersion
from bench.seeding.people import BATCH, Company, Person
from portal import permissions as roles
from portal.models import User

# The policy went out this long before the seed runs: signatures are spread since then, and
# staff who were there at publication had 21 days (publishing.DUE_AFTER_PUBLICATION) to sign.
PUBLISHED_AGO = timedelta(days=30)
SIGNED, OVERDUE, DUE = "signed", "overdue", "due"
STATUS_WEIGHTS = ((SIGNED, 70), (OVERDUE, 10), (DUE, 20))
# Documentation address ranges (RFC 5737) stand in for the offices' connections.
OFFICE_NETWORKS = ("192.0.2", "198.51.100", "203.0.113")
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36",
)

ToSign = list[tuple[datetime, Person, Assignment]]


@dataclass(frozen=True)
class Signatures:
    assigned: int
    signed: int
    overdue: int
    due: int


def seed_policy(now: datetime) -> PolicyVersion:
    """The seed policy's current version, dated back a month if nobody was asked to sign it."""
    version = publishing.load_seed_policy()
    if not version.acknowledgements.exists() and not version.assignments.exists():
        # A version nobody has been asked to sign yet: date its publication back, so that the
        # signatures have a month to be spread over and the 21 days for staff have run out.
        PolicyVersion.objects.filter(pk=version.pk).update(published_at=now - PUBLISHED_AGO)
        version.refresh_from_db()
    return version


def policy_reviewers(version: PolicyVersion) -> None:
    """The policy's reviewers are the holders of the reviewers' role, as in the design."""
    policy = version.policy
    if not policy.reviewers.exists():
        policy.reviewers.set(User.objects.filter(groups__name=roles.REVIEWERS_GROUP))


def sign_and_assign(company: Company, version: PolicyVersion) -> Signatures:
    """Every active person asked to sign ``version``; the signed ones' records in time order."""
    chain.lock_chain()
    last = Acknowledgement.objects.order_by("-sequence").only("sequence", "record_hash").first()
    assignments, to_sign = _assign(company, version, last)
    to_sign.sort(key=lambda item: (item[0], item[1].pk))
    _sign(company.rng, version, to_sign, last)
    Assignment.objects.bulk_create(assignments, batch_size=BATCH)
    overdue = sum(
        1 for a in assignments if a.acknowledgement_id is None and a.due_date < company.today
    )
    return Signatures(
        assigned=len(assignments),
        signed=len(to_sign),
        overdue=overdue,
        due=len(assignments) - len(to_sign) - overdue,
    )


def _assign(
    company: Company, version: PolicyVersion, last: Acknowledgement | None
) -> tuple[list[Assignment], ToSign]:
    """Each active person's assignment, and a moment of signing for those who will have signed."""
    rng = company.rng
    published_at = version.published_at
    # A new record never predates the chain's newest one: the chain grows in time order.
    floor = max(published_at, last.signed_at) if last else published_at
    due_for_staff = timezone.localdate(published_at) + publishing.DUE_AFTER_PUBLICATION
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    assignments: list[Assignment] = []
    to_sign: ToSign = []
    for person in company.people:
        if not person.active:
            continue
        status = rng.choices(statuses, weights=weights)[0]
        assignment = _assignment(company, person, version, status, due_for_staff)
        assignments.append(assignment)
        if status == SIGNED:
            earliest = max(floor, person.date_joined)
            offset = rng.random() * max(0.0, (company.now - earliest).total_seconds())
            to_sign.append((earliest + timedelta(seconds=offset), person, assignment))
    return assignments, to_sign


def _assignment(
    company: Company, person: Person, version: PolicyVersion, status: str, due_for_staff: date
) -> Assignment:
    published_at = version.published_at
    if person.date_joined > published_at:
        reason = Assignment.Reason.NEW_STARTER
        due = person.start_date + publishing.DUE_AFTER_START
        assigned_at = person.date_joined
    else:
        reason = Assignment.Reason.PUBLISHED
        assigned_at = published_at
        if status == DUE and due_for_staff <= company.today:
            # Given more time (leave, late to the directory): due within three weeks.
            due = company.today + timedelta(days=company.rng.randint(1, 21))
        else:
            due = due_for_staff
    return Assignment(
        user_id=person.pk,
        version=version,
        reason=reason,
        assigned_at=assigned_at,
        due_date=due,
    )


def _sign(
    rng: random.Random, version: PolicyVersion, to_sign: ToSign, last: Acknowledgement | None
) -> None:
    """The signature records, chained after ``last`` in batches, linked to their assignments."""
    sequence = last.sequence if last else 0
    prev_hash = last.record_hash if last else chain.GENESIS
    statement = signing.statement_for(version)
    for start in range(0, len(to_sign), BATCH):
        batch = to_sign[start : start + BATCH]
        records = []
        for signed_at, person, _ in batch:
            sequence += 1
            ack = Acknowledgement(
                sequence=sequence,
                user_id=person.pk,
                version=version,
                signer_email=person.email,
                signer_employee_number=person.employee_number,
                printed_name=f"{person.first_name} {person.last_name}",
                statement=statement,
                body_sha256=version.body_sha256,
                signed_at=signed_at,
                ip_address=f"{rng.choice(OFFICE_NETWORKS)}.{rng.randint(1, 254)}",
                user_agent=rng.choice(USER_AGENTS),
                auth_method=signing.AUTH_METHOD,
                prev_hash=prev_hash,
            )
            ack.record_hash = prev_hash = chain.hash_of(ack)
            ack.seal, ack.seal_key_id = sealing.seal(ack.record_hash)
            records.append(ack)
        Acknowledgement.objects.bulk_create(records)
        for ack, (_, _, assignment) in zip(records, batch, strict=True):
            assignment.acknowledgement_id = ack.pk
