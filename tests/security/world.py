"""A small company with one object of every kind, made with the real services.

Every security test asks for its pages with these people and objects: the employee owns them,
and a second team in another department ("strangers") owns a matching set, so that each page can
be tried by someone who must not reach it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import cache

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from acknowledgements import grants, publishing, questions, reviews
from acknowledgements.models import (
    Acknowledgement,
    PersonalUseGrant,
    PolicyReview,
    PolicyVersion,
    Question,
)
from portal import permissions
from portal.models import Department, Notification, StaffImport, User
from requests import attachments, catalogue, comments, workflow
from requests.models import (
    Attachment,
    AuthorisationRequest,
    CatalogueItem,
    Comment,
    Kind,
    StaffChange,
)
from requests.staff import changes as staff_changes
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.factories import PASSWORD, DepartmentFactory, UserFactory
from tests.requests.staff import temporary_details

# The roles every page is tried as, in the order the tables list them.
ROLES = (
    "anonymous",
    "employee",  # owns the objects below
    "line_manager",  # the employee's own line manager
    "budget_holder",  # the budget holder of the employee's department
    "hr",
    "it",
    "reviewer",  # a Policy reviewer
    "admin",  # a superuser
)
SIGNED_IN = ROLES[1:]

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass
class Team:
    """One department's people and the objects its employee owns."""

    employee: User
    line_manager: User
    budget_holder: User
    department: Department
    ack: Acknowledgement
    question: Question
    grant: PersonalUseGrant
    notification: Notification
    request: AuthorisationRequest
    comment: Comment
    attachment: Attachment
    notice: StaffChange  # a temporary worker the line manager told IT about


@dataclass(repr=False)
class World:
    users: dict[str, User]  # by role; "anonymous" has none
    team: Team  # the employee's
    strangers: Team  # another department's, for object-level checks
    version: PolicyVersion  # the published seed version
    draft: PolicyVersion  # a draft of the next version
    item: CatalogueItem
    review: PolicyReview  # the seed policy's annual review, open (and overdue)
    staff_import: StaffImport  # HR's finished import of the staff directory
    clients: dict[str, Client] = field(default_factory=dict)

    def __repr__(self) -> str:
        return "World(the security tests' company)"

    @property
    def slug(self) -> str:
        return self.version.policy.slug

    def client_for(self, role: str, **options: object) -> Client:
        """A signed-in client for ``role``; one per role unless ``options`` ask for another."""
        if options or role not in self.clients:
            client = Client(**options)
            if role != "anonymous":
                client.force_login(self.users[role])
            if options:
                return client
            self.clients[role] = client
        return self.clients[role]


def _team(name: str, *, version: PolicyVersion) -> Team:
    department = DepartmentFactory(name=name)
    slug = name.lower().replace(" ", ".")
    line_manager = UserFactory(email=f"manager@{slug}.example", department=department)
    budget_holder = UserFactory(email=f"budget@{slug}.example", department=department)
    department.budget_holder = budget_holder
    department.save()
    employee = UserFactory(
        email=f"employee@{slug}.example", department=department, line_manager=line_manager
    )
    publishing.assign_outstanding(policy=version.policy)
    question = questions.asks_question(
        asker=employee, version=version, section="4.1", text="May I read my own email at lunch?"
    )
    ack = AcknowledgementFactory(user=employee, version=version)
    grant = grants.grant_personal_use(
        manager=line_manager,
        employee=employee,
        email=True,
        internet=False,
        telephone=False,
        expires_on=None,
        note="",
    )
    # A request with a cost, so that it waits for the budget holder.
    request = workflow.submit(
        requester=employee,
        request=AuthorisationRequest(
            kind=Kind.SOFTWARE,
            item=f"Rota planner for {name}",
            vendor="Example Ltd",
            quantity=1,
            cost_one_off=Decimal("120.00"),
            justification="Planning the rota for the team.",
        ),
    )
    comment = comments.add_comment(author=employee, request=request, body="The quote is attached.")
    attachment = attachments.add_attachment(
        uploader=employee,
        request=request,
        upload=SimpleUploadedFile("quote.pdf", PDF, content_type="application/pdf"),
    )
    notification = Notification.objects.filter(recipient=employee).order_by("pk").first()
    assert notification is not None  # the receipt of the signature, at least
    today = timezone.localdate()
    notice = staff_changes.submit_notice(
        actor=line_manager,
        details=temporary_details(
            department,
            line_manager,
            email=f"temp@{slug}.example",
            start_date=today + timedelta(days=7),
            end_date=today + timedelta(days=60),
        ),
    )
    return Team(
        employee=employee,
        line_manager=line_manager,
        budget_holder=budget_holder,
        department=department,
        ack=ack,
        question=question,
        grant=grant,
        notification=notification,
        request=request,
        comment=comment,
        attachment=attachment,
        notice=notice,
    )


def build_world() -> World:
    version = publishing.load_seed_policy()
    it_user = UserFactory(
        email="it@example.com",
        groups=[permissions.IT_GROUP],
        department=DepartmentFactory(name="IT Department"),
    )
    hr_user = UserFactory(
        email="hr@example.com",
        groups=[permissions.HR_GROUP],
        department=DepartmentFactory(name="Human Resources"),
    )
    reviewer = UserFactory(email="reviewer@example.com", groups=[permissions.REVIEWERS_GROUP])
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    team = _team("Residential Care", version=version)
    strangers = _team("Community Support", version=version)
    item = catalogue.save_item(
        actor=it_user,
        item=CatalogueItem(name="Microsoft Teams", kind=Kind.SOFTWARE, vendor="Microsoft"),
    )
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    [review] = reviews.open_due_reviews()  # the seed policy's, due since March 2018
    # A failed sign-in, so that the sign-in records have a row each for the admin's pages.
    Client().post("/accounts/login/", {"username": team.employee.email, "password": "wrong"})
    Client().post("/accounts/login/", {"username": team.employee.email, "password": PASSWORD})
    users = {
        "employee": team.employee,
        "line_manager": team.line_manager,
        "budget_holder": team.budget_holder,
        "hr": hr_user,
        "it": it_user,
        "reviewer": reviewer,
        "admin": admin,
    }
    return World(
        users=users,
        team=team,
        strangers=strangers,
        version=version,
        draft=draft,
        item=item,
        review=review,
        staff_import=StaffImport.objects.create(
            owner=hr_user,
            filename="staff.csv",
            data=b"Employee number,First name,Last name,Email\r\n",
            status=StaffImport.Status.DONE,
        ),
    )


# --- What "the state" is, for checks that a request changed nothing ------------------------------
# Not state: the session (every request refreshes its expiry) and the audit trail, which records
# some reads on purpose (an export, a refusal) and is checked on its own where that matters.
# A creating form's one-time token (portal.idempotency) is bookkeeping of the post itself, like
# the session: a refused post that redirects keeps its claim, and nothing else changes.
NOT_STATE = {"sessions.session", "portal.auditevent", "portal.formsubmission"}
# Opening an inbox message marks it read, as any mail client does; nothing else about it changes.
IGNORED_FIELDS = {"portal.notification": {"read_at"}}


@cache
def _queries() -> list[tuple[str, str]]:
    quote = connection.ops.quote_name
    found = []
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in NOT_STATE:
            continue
        ignored = IGNORED_FIELDS.get(label, set())
        columns = ", ".join(
            quote(f.column) for f in model._meta.concrete_fields if f.name not in ignored
        )
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        found.append((label, f"SELECT {columns} FROM {table} ORDER BY {pk}"))  # noqa: S608
    return found


def state() -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table the portal keeps, as plain values.

    Plain SQL rather than the ORM: the checks take a snapshot after every request.
    """
    snapshot: dict[str, list[tuple[object, ...]]] = {}
    with connection.cursor() as cursor:
        for label, sql in _queries():
            cursor.execute(sql)
            snapshot[label] = cursor.fetchall()
    return snapshot


def changed_tables(before: dict[str, list], after: dict[str, list]) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))
