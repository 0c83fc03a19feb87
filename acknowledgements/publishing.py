"""Policy versions and who must sign them: loading, drafting, publishing, assignments."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone

from acknowledgements import documents, signature_status
from acknowledgements.models import Acknowledgement, Assignment, Policy, PolicyVersion
from portal import audit
from portal.models import User

POLICY_DATA = Path(__file__).resolve().parent / "policy_data"
SEED_SLUG = "acceptable-use"
SEED_TITLE = "Acceptable Use of ICT Policy and Procedure"
SEED_RELEASED = date(2016, 3, 1)
SEED_NEXT_REVIEW = date(2018, 3, 1)
DUE_AFTER_PUBLICATION = timedelta(days=21)
DUE_AFTER_START = timedelta(days=7)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def split_title(text: str) -> tuple[str, str]:
    """A policy file's ``# Title`` line (or "") and its Markdown body without it."""
    lines = text.split("\n")
    title = ""
    if lines and lines[0].startswith("# "):
        title, lines = lines[0][2:].strip(), lines[1:]
    return title, documents.canonical_text("\n".join(lines))


def seed_body() -> str:
    """The seed policy's Markdown, without its title line (the title belongs to the Policy)."""
    return split_title((POLICY_DATA / "acceptable-use-v1.md").read_text(encoding="utf-8"))[1]


def current_version(policy: Policy) -> PolicyVersion | None:
    return policy.versions.filter(status=PolicyVersion.Status.PUBLISHED).first()


def baseline_versions(policy: Policy | OuterRef) -> QuerySet[PolicyVersion]:
    """The *baseline* of ``policy``, as a one-row queryset: its newest material version that is
    not a draft. Signing it, or anything later, is what counts.

    The one statement of the rule. Lazy, so that it can be a subquery; ``policy`` may be an
    ``OuterRef`` to the outer query's policy.
    """
    return (
        PolicyVersion.objects.filter(policy=policy, material_change=True)
        .exclude(status=PolicyVersion.Status.DRAFT)
        .order_by("-number")[:1]
    )


def baseline_version(policy: Policy) -> PolicyVersion | None:
    return baseline_versions(policy).first()


def baseline_number(policy: Policy) -> int:
    """The baseline's number (0 before any version is published)."""
    return baseline_versions(policy).values_list("number", flat=True).first() or 0


def load_seed_policy(*, actor: User | None = None) -> PolicyVersion:
    """Load the seed policy as version 1 (released March 2016); a second call changes nothing."""
    return load_policy(
        title=SEED_TITLE,
        body=seed_body(),
        released=SEED_RELEASED,
        next_review=SEED_NEXT_REVIEW,
        actor=actor,
        seed=True,
    )


@transaction.atomic
def load_policy(
    *,
    title: str,
    body: str,
    released: date,
    next_review: date,
    actor: User | None = None,
    seed: bool = False,
) -> PolicyVersion:
    """Load an organisation's Acceptable Use policy as version 1, published now; once it has a
    version 1, a second call changes nothing. Raises ``ValidationError`` for a body without
    numbered sections."""
    _check_body(body)
    policy, created = Policy.objects.get_or_create(
        slug=SEED_SLUG, defaults={"title": title, "owner": "IT Department"}
    )
    if created:
        audit.record(actor=actor, action="policy.created", obj=policy)
    existing = policy.versions.filter(number=1).first()
    if existing is not None:
        return existing
    version = PolicyVersion.objects.create(
        policy=policy,
        number=1,
        body=documents.canonical_text(body),
        change_summary="First release.",
        material_change=True,
        status=PolicyVersion.Status.PUBLISHED,
        effective_date=released,
        next_review_date=next_review,
        created_by=actor,
        # Released on its effective date (the seed policy: March 2016); published in the portal
        # now, which is when people start being asked to sign it.
        published_at=timezone.now(),
        published_by=actor,
    )
    audit.record(actor=actor, action="policy.version_published", obj=version, data={"seed": seed})
    return version


def _check_body(body: str) -> None:
    problems = documents.validate_body(body)
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def create_draft(*, actor: User, policy: Policy) -> PolicyVersion:
    """A new draft starting from the current text; at most one draft per policy at a time."""
    draft = policy.versions.filter(status=PolicyVersion.Status.DRAFT).first()
    if draft is not None:
        return draft
    Policy.objects.select_for_update().get(pk=policy.pk)
    current = current_version(policy)
    number = (policy.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = PolicyVersion.objects.create(
        policy=policy,
        number=number,
        body=current.body if current else "",
        created_by=actor,
    )
    audit.record(actor=actor, action="policy.draft_created", obj=draft)
    return draft


@transaction.atomic
def update_draft(
    *, actor: User, version: PolicyVersion, body: str, change_summary: str
) -> PolicyVersion:
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_draft:
        raise ValidationError("Only a draft can be edited; published versions never change.")
    _check_body(body)
    version.body = documents.canonical_text(body)
    version.change_summary = change_summary.strip()
    version.save()
    audit.record(actor=actor, action="policy.draft_updated", obj=version)
    return version


UNCHANGED = (
    "The text of this draft is identical to the current version, so it cannot be published as a "
    "material change: everyone would be asked to sign the same text again by mistake. To ask "
    "everyone to confirm the same text again on purpose (an annual re-confirmation), use "
    "“Ask everyone to confirm again” on the policy's page."
)
RECONFIRM_CHANGED = (
    "The draft of {label} changes the text: publish it as a material change (everyone signs "
    "it again), or take the changes out of the draft to ask everyone to confirm the current "
    "text again."
)


def is_unchanged(version: PolicyVersion, current: PolicyVersion | None) -> bool:
    """Whether ``version``'s text is the current version's, to the character."""
    return current is not None and documents.body_sha256(version.body) == current.body_sha256


@transaction.atomic
def publish(
    *,
    actor: User,
    version: PolicyVersion,
    material: bool,
    today: date | None = None,
    reconfirmation: bool = False,
) -> PolicyVersion:
    """Make a draft the current version.

    Material: everyone active must sign it within 21 days. Minor: nobody re-signs; people who
    had not yet signed the previous version are asked to sign this one instead, by the same date.
    A draft whose text is the current version's is never a material change, unless it is a
    deliberate re-confirmation (``reconfirm``).
    """
    today = today or timezone.localdate()
    policy = Policy.objects.select_for_update().get(pk=version.policy_id)
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_draft:
        raise ValidationError("This version has already been published.")
    _check_body(version.body)
    if not material and not version.change_summary:
        raise ValidationError("Say what changed: a minor version shows its change summary.")
    previous = current_version(policy)
    if material and not reconfirmation and is_unchanged(version, previous):
        raise ValidationError(UNCHANGED)
    if previous is not None:
        previous.status = PolicyVersion.Status.SUPERSEDED
        previous.save(update_fields=["status"])
    version.status = PolicyVersion.Status.PUBLISHED
    version.material_change = material
    version.reconfirmation = reconfirmation
    version.effective_date = today
    version.next_review_date = add_months(today, policy.review_interval_months)
    version.published_at = timezone.now()
    version.published_by = actor
    version.save()
    if material:
        assigned = assign_outstanding(
            policy=policy, today=today, due_for_staff=today + DUE_AFTER_PUBLICATION
        )
    else:
        assigned = 0
        if previous is not None:
            Assignment.objects.filter(signature_status.unsigned_q(), version=previous).update(
                version=version
            )
    audit.record(
        actor=actor,
        action="policy.reconfirmation_requested" if reconfirmation else "policy.version_published",
        obj=version,
        data={"material": material, "assigned": assigned},
    )
    return version


def reconfirmation_count(today: date | None = None) -> int:
    """How many people a re-confirmation asks: everyone active (``assign_outstanding``)."""
    today = today or timezone.localdate()
    return User.objects.filter(is_active=True).exclude(end_date__lt=today).count()


@transaction.atomic
def reconfirm(
    *, actor: User, policy: Policy, reason: str, today: date | None = None
) -> PolicyVersion:
    """Ask everyone to confirm the current text again: a new version with the same text,
    ``reconfirmation`` set and ``reason`` as its change summary, which everyone signs within 21
    days. An open draft with the same text becomes that version; one that changes the text is
    for publishing as a material change instead."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why everyone is asked again: they are told it.")
    Policy.objects.select_for_update().get(pk=policy.pk)
    current = current_version(policy)
    if current is None:
        raise ValidationError("This policy has no current version to confirm.")
    draft = create_draft(actor=actor, policy=policy)
    if not is_unchanged(draft, current):
        raise ValidationError(RECONFIRM_CHANGED.format(label=draft.label.lower()))
    draft.change_summary = reason
    draft.save(update_fields=["change_summary"])
    return publish(actor=actor, version=draft, material=True, today=today, reconfirmation=True)


def assign_outstanding(
    *,
    policy: Policy,
    today: date | None = None,
    user_ids: Iterable[int] | None = None,
    due_for_staff: date | None = None,
) -> int:
    """Give every active person who has nothing to sign for ``policy`` an assignment.

    People who had an account when the version was published in the portal have until
    ``due_for_staff`` (21 days from publication, and never less than 7 from today); people whose
    account came later are new starters, with 7 days from their start date. Idempotent (run on
    publication, after a directory import and daily): anyone holding an assignment for the
    current material version, or a later one, is left alone.
    """
    today = today or timezone.localdate()
    version = current_version(policy)
    if version is None:
        return 0
    published_at = version.published_at or timezone.now()
    if due_for_staff is None:
        due_for_staff = max(
            timezone.localdate(published_at) + DUE_AFTER_PUBLICATION, today + DUE_AFTER_START
        )
    baseline = baseline_number(policy)
    covered = Assignment.objects.filter(
        user=OuterRef("pk"), version__policy=policy, version__number__gte=baseline
    )
    signed = Acknowledgement.objects.filter(
        user=OuterRef("pk"), version__policy=policy, version__number__gte=baseline
    )
    people = (
        User.objects.filter(is_active=True)
        .exclude(end_date__lt=today)  # leavers drop off; their records stay
        .exclude(Exists(covered))
        .exclude(Exists(signed))
    )
    if user_ids is not None:
        people = people.filter(pk__in=list(user_ids))
    new = []
    rows = people.values_list("pk", "start_date", "date_joined").iterator(chunk_size=2000)
    for user_id, start, joined in rows:
        if joined > published_at:
            reason = Assignment.Reason.NEW_STARTER
            due = max(start or today, today) + DUE_AFTER_START
        else:
            reason, due = Assignment.Reason.PUBLISHED, due_for_staff
        new.append(Assignment(user_id=user_id, version=version, reason=reason, due_date=due))
    Assignment.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    return len(new)


def assign_all_policies(*, today: date | None = None, user_ids: Iterable[int] | None = None) -> int:
    ids = list(user_ids) if user_ids is not None else None
    return sum(
        assign_outstanding(policy=policy, today=today, user_ids=ids)
        for policy in Policy.objects.all()
    )
