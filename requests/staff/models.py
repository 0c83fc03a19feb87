"""The notices of starters, leavers and temporary workers, and IT's checklist for each.

They belong to the ``requests`` app: ``requests/models.py`` imports them so that Django finds them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.models import Department


class StaffChange(models.Model):
    """A notice to IT of a starter, a leaver or a temporary worker (policy 4.6 and 5.5).

    The person's details are copied onto the notice: a starter has no portal account until IT
    creates one, and a leaver's record must keep saying who left even if the account changes.
    """

    class Kind(models.TextChoices):
        STARTER = "starter", "Starter"
        LEAVER = "leaver", "Leaver"
        TEMPORARY = "temporary", "Temporary worker"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    class AccountAction(models.TextChoices):
        CREATED = "created", "Created from this notice"
        REACTIVATED = "reactivated", "A returner's account, reactivated with this notice's details"
        LINKED = "linked", "An active account, linked with its details unchanged"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff_changes",
        help_text="The portal account: a leaver's from the start, a starter's once IT creates it.",
    )
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    email = models.EmailField("email address")
    employee_number = models.CharField(max_length=32, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    line_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff_changes_managed",
    )
    job_title = models.CharField(max_length=150, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField("last working day or access end date", null=True, blank=True)
    systems = models.TextField("systems and access", blank=True)
    equipment = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    account_ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When the portal account was deactivated."
    )
    invitations_sent = models.PositiveSmallIntegerField(default=0)
    account_action = models.CharField(
        max_length=16,
        choices=AccountAction.choices,
        blank=True,
        help_text="What ticking the account task did. Only an account the notice created or "
        "reactivated ends on the notice's access end date.",
    )

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="staff_change_end_after_start",
            ),
            # One open notice of each kind per person; the service says so in plainer words.
            models.UniqueConstraint(
                fields=["kind", "email"],
                condition=models.Q(state="open"),
                name="staff_change_one_open_per_person",
                violation_error_message="There is already an open notice of this kind for this "
                "email address.",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "kind"], name="staff_change_state_idx"),
            models.Index(fields=["line_manager", "-submitted_at"], name="staff_change_manager_idx"),
            # Accounts to end: leavers and temporary workers past their end date.
            models.Index(fields=["kind", "end_date"], name="staff_change_end_idx"),
            models.Index(fields=["kind", "start_date"], name="staff_change_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.get_kind_display().lower()} {self.full_name}"

    @property
    def reference(self) -> str:
        return f"SC-{self.pk:06d}" if self.pk else "SC-(new)"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def governs_account(self) -> bool:
        """Whether the notice's end date is the account's: an account already active when it
        was linked keeps the directory's details, and its own end."""
        return self.account_action in (self.AccountAction.CREATED, self.AccountAction.REACTIVATED)


class StaffChangeTask(models.Model):
    """One item of IT's checklist for a notice, due on a date worked out from the notice."""

    class Kind(models.TextChoices):
        ACCOUNT_CREATED = "account_created", "Portal account created"
        EQUIPMENT_ISSUED = "equipment_issued", "Equipment issued"
        POLICY_SIGNED = "policy_signed", "Policy signed, then systems access given"
        TEMPORARY_ACCOUNT = "temporary_account", "Account created with an expiry date"
        ACCESS_REVOKED = "access_revoked", "Access revoked"
        EQUIPMENT_RETURNED = "equipment_returned", "Equipment returned"

    notice = models.ForeignKey(StaffChange, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    due_date = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["notice", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "kind"], name="staff_task_once_per_notice"),
        ]
        indexes = [
            # Overdue and upcoming open tasks, for the board and the reminders.
            models.Index(
                fields=["due_date"],
                condition=models.Q(completed_at__isnull=True),
                name="staff_task_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.notice_id}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None
