from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from acknowledgements import documents, signature_status
from portal.models import AppendOnlyQuerySet


class Policy(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    owner = models.CharField(max_length=120, default="IT Department")
    review_interval_months = models.PositiveSmallIntegerField(default=12)
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="policies_reviewed"
    )

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.title


class PublishedVersionChanged(Exception):
    """A published version's text or terms were about to change."""


class PolicyVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded"

    # Fixed once a version is published: what people signed must never move under them.
    FROZEN_FIELDS = (
        "policy_id",
        "number",
        "body",
        "body_sha256",
        "material_change",
        "reconfirmation",
    )

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField(help_text="Markdown, with numbered sections such as '## 4 Procedure'.")
    body_sha256 = models.CharField(max_length=64, editable=False)
    change_summary = models.TextField(blank=True)
    material_change = models.BooleanField(
        default=True, help_text="Material changes must be signed again by everyone."
    )
    reconfirmation = models.BooleanField(
        default=False,
        help_text="The same text as the version before, which everyone is asked to confirm "
        "again (an annual re-confirmation); the change summary says why.",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    effective_date = models.DateField(null=True, blank=True)
    next_review_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="version_number_unique"),
            models.UniqueConstraint(
                fields=["policy"],
                condition=models.Q(status="published"),
                name="one_published_version_per_policy",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.title}, version {self.number}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            stored = (
                PolicyVersion.objects.filter(pk=self.pk)
                .values("status", *self.FROZEN_FIELDS)
                .first()
            )
            if stored and stored["status"] != self.Status.DRAFT:
                changed = [f for f in self.FROZEN_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    raise PublishedVersionChanged(
                        f"{self} is {stored['status']}; its {', '.join(changed)} cannot change."
                    )
        self.body_sha256 = documents.body_sha256(self.body)
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"Version {self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def sections(self) -> list[documents.Section]:
        return documents.sections(self.body)


class Assignment(models.Model):
    """Who must sign which version, by when."""

    class Reason(models.TextChoices):
        PUBLISHED = "published", "New version published"
        NEW_STARTER = "new_starter", "New starter"

    class State(models.TextChoices):
        SIGNED = signature_status.SIGNED, signature_status.LABELS[signature_status.SIGNED]
        DUE = signature_status.DUE, signature_status.LABELS[signature_status.DUE]
        OVERDUE = signature_status.OVERDUE, signature_status.LABELS[signature_status.OVERDUE]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_assignments"
    )
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="assignments")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    assigned_at = models.DateTimeField(default=timezone.now)
    due_date = models.DateField()
    acknowledgement = models.OneToOneField(
        "Acknowledgement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignment",
    )

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="assignment_unique")
        ]
        indexes = [models.Index(fields=["version", "due_date"])]

    def __str__(self) -> str:
        return f"{self.user} must sign {self.version} by {self.due_date:%d/%m/%Y}"

    def state(self, today: date | None = None) -> str:
        return self.State(signature_status.status_of(self, today))


class Acknowledgement(models.Model):
    """A signature: exactly what was agreed to, by whom, when and from where. Never changed.

    ``record_hash`` covers every field below and the previous record's hash, so altering or
    removing any record breaks the chain from that point (``verify_acknowledgements``).
    ``seal`` is an Ed25519 signature of the record hash by the key ``seal_key_id`` names
    (``acknowledgements.sealing``), made before the row is written: only the holder of that key,
    never the database, can make a record that verifies.
    """

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    signer_email = models.EmailField(blank=True)  # blank: staff without a work e-mail
    signer_employee_number = models.CharField(max_length=32, blank=True)
    printed_name = models.CharField(max_length=300)
    statement = models.TextField()
    body_sha256 = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    auth_method = models.CharField(max_length=400)
    prev_hash = models.CharField(max_length=64)
    record_hash = models.CharField(max_length=64, unique=True)
    seal = models.CharField(max_length=100, blank=True)  # base64; blank: signed before sealing
    seal_key_id = models.CharField(max_length=16, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="acknowledgement_unique")
        ]
        indexes = [
            # Signatures per day since publication: read from the index alone.
            models.Index(fields=["version", "signed_at"], name="acknowledgement_day_idx"),
            # When each sealing key was first used, for the Verify page's list of keys.
            models.Index(fields=["seal_key_id", "sequence"], name="acknowledgement_seal_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.printed_name} signed {self.version} on {self.signed_at:%d/%m/%Y}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise TypeError("Acknowledgements are permanent records and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("Acknowledgements are permanent records and cannot be deleted.")

    @property
    def receipt_code(self) -> str:
        """The short code printed on receipts: the start of the record hash, grouped."""
        head = self.record_hash[:16].upper()
        return "-".join(head[i : i + 4] for i in range(0, 16, 4))


class Question(models.Model):
    """A question to one's line manager about the policy before signing (policy section 2)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="questions")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_questions"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="questions_to_answer"
    )
    section = models.CharField(max_length=16, blank=True)
    text = models.TextField()
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["asked_at", "pk"]
        indexes = [models.Index(fields=["manager", "answered_at"])]

    def __str__(self) -> str:
        return f"Question from {self.asked_by} about section {self.section or 'the policy'}"


class PersonalUseGrant(models.Model):
    """A line manager's discretion (policy 4.1 and 5.1): occasional personal use, no costs.

    A change is a revocation of the current grant plus a new grant, so the history is complete.
    """

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="personal_use_grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    email = models.BooleanField("email", default=False)
    internet = models.BooleanField("Internet", default=False)
    telephone = models.BooleanField("telephone and fax", default=False)
    note = models.TextField(blank=True)
    expires_on = models.DateField(null=True, blank=True)
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_open_grant_per_employee",
            ),
            models.CheckConstraint(
                condition=models.Q(email=True) | models.Q(internet=True) | models.Q(telephone=True),
                name="grant_covers_something",
            ),
        ]

    def __str__(self) -> str:
        return f"Personal use for {self.employee}: {', '.join(self.facilities) or 'none'}"

    @property
    def facilities(self) -> list[str]:
        return [
            label
            for flag, label in (
                (self.email, "email"),
                (self.internet, "Internet"),
                (self.telephone, "telephone and fax"),
            )
            if flag
        ]

    def is_current(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.revoked_at is None and (self.expires_on is None or self.expires_on >= today)


class PolicyReview(models.Model):
    """One annual review of a policy (policy section 3: the IT Department with the Company
    Secretary and the HR Director). Opened 60 days before the review date; each reviewer
    records an outcome; the last one completes it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"

    class Result(models.TextChoices):
        NO_CHANGE = "no_change", "No change"
        CHANGES_NEEDED = "changes_needed", "Changes needed"

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="reviews")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="reviews")
    review_date = models.DateField(help_text="The next review date this review was opened for.")
    opened_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    result = models.CharField(max_length=16, choices=Result.choices, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    next_review_date = models.DateField(
        null=True, blank=True, help_text="Set when the review found no change was needed."
    )

    class Meta:
        ordering = ["-review_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "review_date"], name="one_review_per_cycle")
        ]

    def __str__(self) -> str:
        return f"Review of the {self.policy.title} due {self.review_date:%d/%m/%Y}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def is_overdue(self, today: date | None = None) -> bool:
        return self.is_open and (today or timezone.localdate()) > self.review_date


class ReviewOutcome(models.Model):
    """A reviewer's conclusion in one review; blank until they record it."""

    review = models.ForeignKey(PolicyReview, on_delete=models.PROTECT, related_name="outcomes")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_outcomes"
    )
    outcome = models.CharField(max_length=16, choices=PolicyReview.Result.choices, blank=True)
    notes = models.TextField(blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["review", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "reviewer"], name="one_outcome_per_reviewer")
        ]
        indexes = [models.Index(fields=["reviewer", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.review}: {self.get_outcome_display() or 'awaited'}"

    @property
    def is_recorded(self) -> bool:
        return bool(self.outcome)
