from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from portal import typed


class Department(models.Model):
    name = models.CharField(max_length=120, unique=True)
    # Policy 4.11: paid downloads and subscriptions need the budget holder's prior authority.
    budget_holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="budgets_held",
    )
    # Who decides while the budget holder is away: from ``deputy_from`` to ``deputy_to``
    # inclusive (``portal.departments.authoriser`` is the one rule that reads these).
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="budgets_deputised",
    )
    deputy_from = models.DateField(null=True, blank=True)
    deputy_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deputy_from__isnull=True)
                | models.Q(deputy_to__isnull=True)
                | models.Q(deputy_to__gte=models.F("deputy_from")),
                name="department_deputy_dates_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(deputy__isnull=True)
                | models.Q(budget_holder__isnull=True)
                | ~models.Q(deputy=models.F("budget_holder")),
                name="department_deputy_not_holder",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        """The account a sign-in names: by e-mail address, or (no "@") by employee number, how
        staff without a work e-mail sign in."""
        name = typed.sign_in_name(username or "")
        if "@" in name or not name:
            # Addresses are stored in lower case, so the unique index serves sign-in.
            return self.get(email=name)
        return self.get(employee_number=name)

    def _create_user(self, email: str | None, password: str | None, **fields: object) -> User:
        if not email and not fields.get("employee_number"):
            raise ValueError("Users need an email address or an employee number.")
        user = self.model(email=typed.email(self.normalize_email(email)) or None, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class EmploymentType(models.TextChoices):
        PERMANENT = "permanent", "Permanent"
        FIXED_TERM = "fixed_term", "Fixed-term"
        TEMPORARY = "temporary", "Temporary"
        CONTRACTOR = "contractor", "Contractor"

    # None for staff without a work e-mail, who have an employee number instead: they sign in
    # with it, and what would be e-mailed to them is listed for their line manager.
    email = models.EmailField("email address", unique=True, null=True, blank=True)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    employee_number = models.CharField(max_length=32, unique=True, null=True, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    line_manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports"
    )
    employment_type = models.CharField(
        max_length=16, choices=EmploymentType.choices, default=EmploymentType.PERMANENT
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("Django admin access", default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Part of what a session is tied to, beside the password: a new value ends every session
    # (``portal.accounts.emails_changed`` sets one when the address changes). Empty until then,
    # which gives exactly Django's own session hash.
    session_stamp = models.CharField(max_length=64, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["last_name", "first_name"]
        # Staff lists are read in name order a page at a time, cut by the last row seen.
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="user_name_idx"),
            # HR's dashboard counts every active person by department and line manager: read
            # from this (PostgreSQL: an index-only scan of a few MB) instead of the whole table.
            models.Index(
                fields=["id"],
                include=["department", "line_manager", "end_date"],
                condition=models.Q(is_active=True),
                name="user_active_team_idx",
            ),
        ]
        constraints = [
            # Sign-in and the import treat addresses without regard to case; so does this.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            # Everyone can be told apart and can sign in: by address, or by employee number.
            models.CheckConstraint(
                condition=models.Q(email__isnull=False) | models.Q(employee_number__isnull=False),
                name="user_email_or_employee_number",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="user_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        if self.email:
            return f"{self.full_name} <{self.email}>"
        return f"{self.full_name} (employee {self.employee_number})"

    @property
    def sign_in_name(self) -> str:
        """What this person types to sign in: their address, else their employee number."""
        return self.email or self.employee_number or ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name

    def clean(self) -> None:
        super().clean()
        self.email = typed.email(self.__class__.objects.normalize_email(self.email)) or None
        self.employee_number = (self.employee_number or "").strip() or None
        if self.email is None and self.employee_number is None:
            raise ValidationError(
                {"employee_number": "Someone with no email address needs an employee number."}
            )
        self.first_name, self.last_name = (
            typed.stored(self.first_name),
            typed.stored(self.last_name),
        )
        if self.line_manager_id is not None and self.line_manager_id == self.pk:
            raise ValidationError({"line_manager": "Nobody can be their own line manager."})

    def get_session_auth_hash(self) -> str:
        return self._session_hash(secret=None)

    def get_session_auth_fallback_hash(self):  # type: ignore[no-untyped-def]
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=fallback_secret)

    def _session_hash(self, *, secret: str | None) -> str:
        # Django's HMAC of the password hash, with the stamp added: with no stamp it is the
        # same value, so sessions made before a stamp existed stay valid.
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            self.password + self.session_stamp,
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def set_password(self, raw_password: str | None) -> None:
        # Every way of changing a password (forms, admin, commands) passes through here, so
        # the password's age (policy 5.6) is always true.
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()


class FirstSignInLetter(models.Model):
    """A printed letter with a one-time code to choose a first password (``portal.letters``),
    for staff without a work e-mail. Only the code's keyed hash is kept. At most one letter per
    person is live: printing another voids it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_letters")
    code_hash = models.CharField(max_length=64)
    printed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(used_at__isnull=True, voided_at__isnull=True),
                name="letter_one_live_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"First sign-in letter for user {self.user_id} of {self.created_at:%Y-%m-%d}"


class PasswordHistory(models.Model):
    """Hashes of a user's recent passwords, so that reuse can be refused."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "password history"

    def __str__(self) -> str:
        return f"Password of user {self.user_id} set {self.created_at:%Y-%m-%d}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise TypeError(f"{self.model.__name__} rows are append-only and cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{self.model.__name__} rows are append-only and cannot be deleted.")


class AuditEvent(models.Model):
    """Who did what to which object, and when. Written by services, never changed."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise TypeError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only and cannot be deleted.")


class Notification(models.Model):
    """The outbox: one row per message, written with the change that causes it.

    The row is the recipient's in-portal inbox item from the moment it is committed; the e-mail
    copy is sent by ``portal.tasks.deliver_notification`` and, if that is missed, by the sweep.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Being sent"  # leased by a sweep: ``next_attempt_at`` ends the lease
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # The recipient has no e-mail address: the notice is in their inbox, and listed for
        # their line manager (or HR) in the next daily digest (``portal.digests``).
        INBOX = "inbox", "Inbox only"

    # Not yet sent: waiting for an attempt, or in a sweep's hands.
    WAITING = (Status.PENDING, Status.SENDING)

    # A portal user, whose inbox shows it; or none, for a message to an outside ``address``
    # (an auditor's mailbox) that is e-mailed only.
    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", null=True, blank=True
    )
    # Where the e-mail goes when it is not the recipient's current address: an outside
    # mailbox, or the address an account had (a notice of a changed address goes there).
    # A database default: the outbox's own INSERT statements name only the columns they fill.
    address = models.EmailField(blank=True, db_default="")
    kind = models.CharField(max_length=64)
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # For an inbox-only notice: the digest that listed it for the recipient's line manager.
    digest = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="listed"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(status="inbox", digest__isnull=True),
                name="notification_undigested_idx",
            ),
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="notification_waiting_idx",
            ),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            # The invitations page counts today's invitations every few seconds while they go
            # out (``portal.invitations.progress``): from this, not the whole outbox.
            models.Index(
                fields=["created_at"],
                include=["status", "recipient"],
                condition=models.Q(kind="portal-invitation"),
                name="notification_invitation_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(address=""),
                name="notification_has_addressee",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id or self.address}: {self.subject}"

    @property
    def to_email(self) -> str:
        return self.address or self.recipient.email or ""


class JobRun(models.Model):
    """One run of a scheduled job (``portal.scheduling``): when, who asked, and what it did."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        # The worker died mid-run (a run cannot outlive the task's hard time limit).
        INTERRUPTED = "interrupted", "Interrupted"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Run now"

    job = models.CharField(max_length=64)
    trigger = models.CharField(max_length=8, choices=Trigger.choices, default=Trigger.SCHEDULE)
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    found = models.PositiveIntegerField(default=0)
    notices = models.PositiveIntegerField(default=0)
    summary = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["job", "-started_at"], name="jobrun_latest_idx")]

    def __str__(self) -> str:
        return f"{self.job} at {self.started_at:%Y-%m-%d %H:%M}: {self.status}"

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class ThrottleWindow(models.Model):
    """How often one thing happened in one window of time: the counters of ``portal.throttle``.

    In the database, so that every web process on every host counts against the same limit.
    ``key`` names the limit, whom it counts (a keyed hash, never the address itself) and the
    window; a row is deleted once its window has ended.
    """

    key = models.CharField(max_length=100, unique=True)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"


class FormSubmission(models.Model):
    """A creating form's one-time token, claimed by the first post that carries it.

    The claim is inserted in the same transaction as what the form creates, so a double click,
    a resubmit after going back, or ten posts at once make one thing: the others find the claim
    and are sent where the first was (``portal.idempotency``).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=80)
    path = models.CharField(max_length=300)
    result_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="formsubmission_once"),
        ]
        indexes = [models.Index(fields=["created_at"], name="formsubmission_age_idx")]

    def __str__(self) -> str:
        return f"{self.path} by {self.user_id}"


class ExternalIdentity(models.Model):
    """A person's account at the organisation's OpenID provider (``portal.oidc``).

    Linked at their first organisation sign-in; later sign-ins find the person by the provider's
    subject, never again by e-mail, so a changed address does not make a second person.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(default=timezone.now)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="externalidentity_once"),
            # One account per person at each provider.
            models.UniqueConstraint(
                fields=["issuer", "user"], name="externalidentity_one_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class StaffImport(models.Model):
    """One upload of the staff directory and what importing it did (``portal.import_jobs``).

    The file is kept with the job: the worker imports it, and the report of refused rows is
    made from it. Counts are written as the worker goes, a chunk of rows at a time.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Finished"
        REFUSED = "refused", "File refused"
        FAILED = "failed", "Failed"
        # The worker stopped mid-import; the import's transaction was rolled back.
        INTERRUPTED = "interrupted", "Interrupted"

    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    data = models.BinaryField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    # True while queued or running, else null, worked out by the database from the status: the
    # constraint below allows one such import at a time.
    live = models.GeneratedField(
        expression=models.Case(
            models.When(status__in=["queued", "running"], then=models.Value(True)),
            default=models.Value(None),
            output_field=models.BooleanField(null=True),
        ),
        output_field=models.BooleanField(null=True),
        db_persist=True,
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    # [{"line": n, "message": "...", "held": bool}, ...] once finished, by line.
    problems = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["live"], condition=models.Q(live=True), name="staffimport_one_live"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status not in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        """How far the import has gone: reading is the first tenth, writing the rest."""
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        read = self.rows_read / self.rows_total
        done = self.rows_done / self.rows_total
        return min(99, int(10 * read + 90 * done))
