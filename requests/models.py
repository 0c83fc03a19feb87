from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from portal.models import Department


class Kind(models.TextChoices):
    SOFTWARE = "software", "Software"
    HARDWARE = "hardware", "Hardware"
    DOWNLOAD = "download", "Internet download"
    SUBSCRIPTION = "subscription", "Paid Internet subscription"


def make_reference(prefix: str, pk: int | None) -> str:
    """A record's reference as people quote it (``AR-000123``), or ``AR-(new)`` before it is
    saved."""
    return f"{prefix}-{pk:06d}" if pk else f"{prefix}-(new)"


class CatalogueItem(models.Model):
    """The register of software and hardware IT has authorised (policy 4.6, 5.3)."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    vendor = models.CharField(max_length=200, blank=True)
    versions = models.CharField("versions or models", max_length=200, blank=True)
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["kind", "active"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class AuthorisationRequest(models.Model):
    class State(models.TextChoices):
        AWAITING_BUDGET_HOLDER = "awaiting_budget", "Awaiting budget holder"
        AWAITING_IT = "awaiting_it", "Awaiting IT"
        MORE_INFO = "more_info", "More information needed"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        FULFILLED = "fulfilled", "Fulfilled"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN_STATES = (State.AWAITING_BUDGET_HOLDER, State.AWAITING_IT, State.MORE_INFO)

    # What a cost's authority is given for: what is bought, from whom, how many, at what price
    # and how often. A change to any of them after authority voids it; the justification, device
    # and date do not change what is paid for.
    AUTHORITY_TERMS = (
        ("item", "Item"),
        ("vendor", "Vendor"),
        ("version_or_model", "Version or model"),
        ("link", "Link"),
        ("quantity", "Quantity"),
        ("licence_type", "Licence or plan"),
        ("cost_one_off", "One-off cost"),
        ("cost_recurring", "Recurring cost"),
        ("recurring_period", "How often the recurring cost is paid"),
    )

    class Period(models.TextChoices):
        NONE = "", "No recurring cost"
        MONTHLY = "monthly", "Monthly"
        YEARLY = "yearly", "Yearly"

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authorisation_requests"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    item = models.CharField("item", max_length=200)
    vendor = models.CharField(max_length=200, blank=True)
    version_or_model = models.CharField("version or model", max_length=200, blank=True)
    link = models.URLField(max_length=500, blank=True)
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    cost_one_off = models.DecimalField(
        "one-off cost (£)",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    cost_recurring = models.DecimalField(
        "recurring cost (£)",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    recurring_period = models.CharField(
        max_length=8, choices=Period.choices, default=Period.NONE, blank=True
    )
    licence_type = models.CharField(max_length=120, blank=True)
    justification = models.TextField("business justification")
    device = models.CharField("device or asset tag", max_length=120, blank=True)
    needed_by = models.DateField(null=True, blank=True)

    state = models.CharField(max_length=16, choices=State.choices)
    catalogue_match = models.ForeignKey(
        CatalogueItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    fast_tracked = models.BooleanField(default=False)
    budget_holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who is asked to authorise the cost: the department's budget holder, or for "
        "the budget holder's own request above the self-authority limit, their line manager "
        "(none: HR).",
    )
    second_authority = models.BooleanField(
        default=False,
        help_text="The budget holder's own request above the limit: someone else authorises it.",
    )
    budget_approved_at = models.DateTimeField(null=True, blank=True)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the cost was last authorised for (``authority_terms``), kept after a change voids the
    # authority so that whoever authorises it again sees what changed.
    authorised_terms = models.JSONField(default=dict, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    conditions = models.TextField(blank=True)
    decision_reason = models.TextField(blank=True)
    fulfilment_note = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cost_one_off__gte=0) & models.Q(cost_recurring__gte=0),
                name="request_costs_not_negative",
            ),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="request_quantity"),
        ]
        indexes = [
            # The IT queue: state filter, oldest first, keyset on (submitted_at, id).
            models.Index(fields=["state", "submitted_at", "id"], name="request_queue_idx"),
            models.Index(fields=["submitted_at", "id"], name="request_age_idx"),
            models.Index(fields=["budget_holder", "state"], name="request_budget_idx"),
            models.Index(fields=["requester", "-submitted_at"], name="request_mine_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.item}"

    @property
    def reference(self) -> str:
        return make_reference("AR", self.pk)

    @property
    def has_cost(self) -> bool:
        return self.cost_one_off > 0 or self.cost_recurring > 0

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def first_year_cost(self) -> Decimal:
        """The one-off cost plus a year of the recurring cost (monthly unless said yearly)."""
        periods = 1 if self.recurring_period == self.Period.YEARLY else 12
        return self.cost_one_off + self.cost_recurring * periods

    def authority_terms(self) -> dict[str, str]:
        """The terms a cost's authority covers, as text that compares exactly."""
        terms = {}
        for name, _label in self.AUTHORITY_TERMS:
            value = getattr(self, name)
            if isinstance(value, Decimal):
                value = value.quantize(Decimal("0.01"))
            terms[name] = "" if value is None else str(value)
        return terms

    @property
    def authority_holds(self) -> bool:
        """Whether the cost is authorised for the request as it stands now."""
        return self.budget_approved_at is not None and self.authorised_terms == (
            self.authority_terms()
        )

    def authority_changes(self) -> list[tuple[str, str, str]]:
        """(what, as authorised, now) for each term changed since the cost was last authorised."""
        if not self.authorised_terms:
            return []
        now = self.authority_terms()
        return [
            (label, self._term_text(name, self.authorised_terms.get(name, "")),
             self._term_text(name, now[name]))
            for name, label in self.AUTHORITY_TERMS
            if self.authorised_terms.get(name, "") != now[name]
        ]  # fmt: skip

    def _term_text(self, name: str, value: str) -> str:
        if name.startswith("cost_"):
            return f"£{Decimal(value or 0):,.2f}"
        if name == "recurring_period":
            return str(self.Period(value).label) if value in self.Period.values else value
        return value or "(none)"


class RequestEvent(models.Model):
    """The request's history: every transition and who made it."""

    request = models.ForeignKey(
        AuthorisationRequest, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action}: {self.from_state} -> {self.to_state}"


class Comment(models.Model):
    request = models.ForeignKey(
        AuthorisationRequest, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    internal = models.BooleanField(
        default=False, help_text="Only the IT Department sees internal comments."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment by {self.author_id} on {self.request_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is generated; the uploader's name is kept only as data.
    return f"requests/{instance.request_id}/{instance.token}"


class Attachment(models.Model):
    request = models.ForeignKey(
        AuthorisationRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


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
        return make_reference("SC", self.pk)

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
