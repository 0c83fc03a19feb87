"""The notices of starters, leavers and temporary workers, and IT's checklist for each.

They belong to the ``requests`` app: ``requests/models.py`` imports them so that Django finds them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.models import Department
from requests.references import make_reference


class StaffChange(models.Model):
    """A notice to IT of a starter, a leaver, a temporary worker or a mover (policy 4.6, 5.5).

    The person's details are copied onto the notice: a starter has no portal account until IT
    creates one, and a leaver's record must keep saying who left even if the account changes.
    A mover changes department, line manager or job title: ``department``, ``line_manager`` and
    ``job_title`` are where they go, ``old_*`` where they were, and the directory changes on
    ``effective_date`` (``directory_updated_at`` says when it did). A starter without a work
    e-mail has an employee number instead.
    """

    class Kind(models.TextChoices):
        STARTER = "starter", "Starter"
        LEAVER = "leaver", "Leaver"
        TEMPORARY = "temporary", "Temporary worker"
        MOVER = "mover", "Mover"

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
    email = models.EmailField("email address", blank=True)
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
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for a mover notice raised by a staff import run at the server.",
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    account_ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When the portal account was deactivated."
    )
    invitations_sent = models.PositiveSmallIntegerField(default=0)
    effective_date = models.DateField(
        null=True, blank=True, help_text="A mover's: the day their new place takes effect."
    )
    old_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    old_line_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    old_job_title = models.CharField(max_length=150, blank=True)
    directory_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="When a mover's new place was put in the directory."
    )
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
            # A mover may have several (a move done, IT still at work, and the next one).
            models.UniqueConstraint(
                fields=["kind", "email"],
                condition=models.Q(state="open") & ~models.Q(kind="mover") & ~models.Q(email=""),
                name="staff_change_one_open_per_person",
                violation_error_message="There is already an open notice of this kind for this "
                "email address.",
            ),
            models.UniqueConstraint(
                fields=["kind", "employee_number"],
                condition=models.Q(state="open")
                & ~models.Q(kind="mover")
                & ~models.Q(employee_number=""),
                name="staff_change_one_open_per_number",
                violation_error_message="There is already an open notice of this kind for this "
                "employee number.",
            ),
            # One move waiting for its effective date per person.
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(kind="mover", state="open", directory_updated_at__isnull=True),
                name="staff_change_one_pending_move",
                violation_error_message="There is already a move waiting for its date for "
                "this person.",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="mover")
                | (models.Q(person__isnull=False) & models.Q(effective_date__isnull=False)),
                name="staff_change_mover_has_person_and_date",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "kind"], name="staff_change_state_idx"),
            models.Index(fields=["line_manager", "-submitted_at"], name="staff_change_manager_idx"),
            # Accounts to end: leavers and temporary workers past their end date.
            models.Index(fields=["kind", "end_date"], name="staff_change_end_idx"),
            models.Index(fields=["kind", "start_date"], name="staff_change_start_idx"),
            # Moves whose date has come and that are not in the directory yet.
            models.Index(
                fields=["effective_date"],
                condition=models.Q(kind="mover", state="open", directory_updated_at__isnull=True),
                name="staff_change_move_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.get_kind_display().lower()} {self.full_name}"

    @property
    def reference(self) -> str:
        return make_reference("SC", self.pk)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_mover(self) -> bool:
        return self.kind == self.Kind.MOVER

    @property
    def move_pending(self) -> bool:
        """A mover whose new place is not in the directory yet."""
        return self.is_mover and self.directory_updated_at is None

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
        ACCESS_GRANTED = "access_granted", "Access for the new role granted"
        ACCESS_REMOVED = "access_removed", "Access no longer needed removed"
        EQUIPMENT_MOVED = "equipment_moved", "Equipment moved or returned"
        DIRECTORY_UPDATED = (
            "directory_updated",
            "Line manager, department and budget holder updated in the directory",
        )

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
