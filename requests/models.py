from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat, Upper
from django.utils import timezone

from portal.models import Department
from requests.references import make_reference

# The staff wing's models live beside its code; importing them here registers them with this app.
from requests.staff.models import StaffChange, StaffChangeTask  # noqa: F401


class Kind(models.TextChoices):
    SOFTWARE = "software", "Software"
    HARDWARE = "hardware", "Hardware"
    DOWNLOAD = "download", "Internet download"
    SUBSCRIPTION = "subscription", "Paid Internet subscription"


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
    # The approved request that put the item in the register, when one did; its approval is
    # when the item was authorised (``created_at``).
    source_request = models.ForeignKey(
        "AuthorisationRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="authorised by request",
    )
    # Software licences and paid subscriptions: how many are held, and when they renew. The
    # department pays: its budget holder is reminded of a renewal with IT (``renewals``).
    licence_count = models.PositiveIntegerField(
        "licences held", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    renewal_date = models.DateField("renews on", null=True, blank=True)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="paid for by",
    )

    # Only these kinds are licensed or renewed.
    RENEWED_KINDS = (Kind.SOFTWARE, Kind.SUBSCRIPTION)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["kind", "active"]),
            models.Index(fields=["renewal_date"], name="catalogue_renewal_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(licence_count__isnull=True) | models.Q(licence_count__gte=1),
                name="catalogue_licence_count",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def source_reference(self) -> str:
        return make_reference("AR", self.source_request_id) if self.source_request_id else ""

    def clean(self) -> None:
        if self.kind and self.kind not in self.RENEWED_KINDS:
            wrong = {
                name: "Only software and paid subscriptions have licences or a renewal date."
                for name in ("licence_count", "renewal_date")
                if getattr(self, name) is not None
            }
            if wrong:
                raise ValidationError(wrong)


def _cost_field(verbose_name: str) -> models.DecimalField:
    """A sum in pounds and pence, never negative, nothing when not given."""
    return models.DecimalField(
        verbose_name,
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )


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
    cost_one_off = _cost_field("one-off cost (£)")
    cost_recurring = _cost_field("recurring cost (£)")
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
    # What the IT queue's search reads (``requests.queue``): the item, vendor and version in
    # capitals, kept by the database. One comparison a row instead of three, each without a
    # function call: the search stays within the queue's time at 50,000 requests.
    search_text = models.GeneratedField(
        expression=Upper(Concat("item", Value(" "), "vendor", Value(" "), "version_or_model")),
        output_field=models.TextField(),
        db_persist=True,
    )

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
