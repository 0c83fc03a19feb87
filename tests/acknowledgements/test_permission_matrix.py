"""Who gets what from every page of the acknowledgements app: one table, every actor.

Each row is one request (a route, a method and the objects it names) and the outcome for each of
the actors below, in the order of ``ACTORS``. The outcomes follow the product rules in
``acknowledgements/permissions.py`` and the views: objects a person may not see are a 404, a page
their role does not include is a 403, and anyone signed out is sent to the sign-in page.

A guard test walks the URL configuration, so a new page in the app fails the suite until it has
rows here and its allowed methods are listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from acknowledgements import grants, publishing, questions, reviews
from acknowledgements.models import (
    Acknowledgement,
    PersonalUseGrant,
    PolicyReview,
    PolicyVersion,
    Question,
    ReviewOutcome,
)
from portal.models import AuditEvent, User
from tests.acknowledgements.factories import AcknowledgementFactory, PolicyFactory
from tests.factories import DepartmentFactory, UserFactory

NAMESPACE = "acknowledgements"
ACTORS = (
    "anonymous",
    "owner",  # the employee whose receipt, question and personal-use page these are
    "outsider",  # an employee in another team
    "other_manager",  # a line manager of someone else, in another department
    "line_manager",  # the owner's own line manager
    "hr",
    "it",
    "reviewer",  # a Policy reviewer
)
SIGNED_IN = ACTORS[1:]
MISSING = 999_999  # a key no object has

# Outcomes other than a status code: a redirect, named by where it goes (see World.target).
LOGIN = "login"
RECEIPT = "receipt"
EDIT_DRAFT = "edit_draft"
MANAGE_POLICY = "manage_policy"
PERSONAL_USE_PAGE = "team_personal_use"
STAFF_LIST = "staff_list"
SIGN_FORM = "sign"

Outcome = int | str
# Pages for people without an account: the only rows where someone signed out is not sent to
# sign in.
PUBLIC = {"verify"}
REFUSED = {LOGIN, 403, 404, 405}


@dataclass
class World:
    """The objects every row is about, made with the real services."""

    users: dict[str, User]
    version: PolicyVersion  # the published seed version, signed by the owner
    draft: PolicyVersion  # a draft of version 2
    ack: Acknowledgement  # the owner's signature
    question: Question  # the owner's question to their line manager
    review: PolicyReview  # the seed version's annual review, open, with the reviewer on it
    clients: dict[str, Client] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.version.policy.slug

    @property
    def owner(self) -> User:
        return self.users["owner"]

    def client_for(self, actor: str) -> Client:
        if actor not in self.clients:
            client = Client()
            if actor != "anonymous":
                client.force_login(self.users[actor])
            self.clients[actor] = client
        return self.clients[actor]

    def target(self, name: str) -> str:
        return {
            RECEIPT: reverse("acknowledgements:receipt", args=[self.ack.pk]),
            EDIT_DRAFT: reverse("acknowledgements:edit_draft", args=[self.slug, self.draft.number]),
            MANAGE_POLICY: reverse("acknowledgements:manage_policy", args=[self.slug]),
            PERSONAL_USE_PAGE: reverse("acknowledgements:team_personal_use", args=[self.owner.pk]),
            STAFF_LIST: reverse("acknowledgements:staff_list", args=[self.slug]),
            SIGN_FORM: reverse("acknowledgements:sign", args=[self.slug]),
        }[name]


Args = Callable[[World], list[object]]

# The objects each route names by default; a row can name others (a draft, something missing).
ROUTE_ARGS: dict[str, Args] = {
    "policy_list": lambda w: [],
    "policy_detail": lambda w: [w.slug],
    "version_detail": lambda w: [w.slug, w.version.number],
    "sign": lambda w: [w.slug],
    "sign_confirm": lambda w: [w.slug],
    "sign_complete": lambda w: [w.slug],
    "my_receipts": lambda w: [],
    "receipt": lambda w: [w.ack.pk],
    "receipt_pdf": lambda w: [w.ack.pk],
    "verify": lambda w: [],
    "manage_index": lambda w: [],
    "manage_policy": lambda w: [w.slug],
    "create_draft": lambda w: [w.slug],
    "reconfirm": lambda w: [w.slug],
    "edit_draft": lambda w: [w.slug, w.draft.number],
    "version_diff": lambda w: [w.slug, w.draft.number],
    "publish": lambda w: [w.slug, w.draft.number],
    "ask": lambda w: [w.slug],
    "questions": lambda w: [],
    "question": lambda w: [w.question.pk],
    "my_personal_use": lambda w: [],
    "all_personal_use": lambda w: [],
    "team_personal_use": lambda w: [w.owner.pk],
    "revoke_personal_use": lambda w: [w.owner.pk],
    "dashboard": lambda w: [],
    "staff_list": lambda w: [w.slug],
    "staff_export": lambda w: [w.slug],
    "person": lambda w: [w.owner.pk],
    "remind": lambda w: [w.slug, w.owner.pk],
    "remind_overdue": lambda w: [w.slug],
    "reviews": lambda w: [],
    "review": lambda w: [w.review.pk],
}

# The methods each view accepts; every other one is a 405.
ALLOWED_METHODS: dict[str, set[str]] = {
    "policy_list": {"GET"},
    "policy_detail": {"GET"},
    "version_detail": {"GET"},
    "sign": {"GET", "POST"},
    "sign_confirm": {"GET"},
    "sign_complete": {"GET"},
    "my_receipts": {"GET"},
    "receipt": {"GET"},
    "receipt_pdf": {"GET"},
    "verify": {"GET"},
    "manage_index": {"GET"},
    "manage_policy": {"GET"},
    "create_draft": {"POST"},
    "reconfirm": {"GET", "POST"},
    "edit_draft": {"GET", "POST"},
    "version_diff": {"GET"},
    "publish": {"GET", "POST"},
    "ask": {"GET", "POST"},
    "questions": {"GET"},
    "question": {"GET", "POST"},
    "my_personal_use": {"GET"},
    "all_personal_use": {"GET"},
    "team_personal_use": {"GET", "POST"},
    "revoke_personal_use": {"POST"},
    "dashboard": {"GET"},
    "staff_list": {"GET"},
    "staff_export": {"GET"},
    "person": {"GET"},
    "remind": {"POST"},
    "remind_overdue": {"GET", "POST"},
    "reviews": {"GET"},
    "review": {"GET", "POST"},
}


@dataclass(frozen=True)
class Row:
    route: str
    method: str
    expected: tuple[Outcome, ...]  # one outcome per actor, in the order of ACTORS
    label: str = ""
    args: Args | None = None
    data: Callable[[World], dict[str, str]] = lambda w: {}

    @property
    def id(self) -> str:
        return f"{self.route}-{self.method}" + (f"-{self.label}" if self.label else "")

    def url(self, world: World) -> str:
        args = (self.args or ROUTE_ARGS[self.route])(world)
        return reverse(f"{NAMESPACE}:{self.route}", args=args)


def everyone(outcome: Outcome) -> tuple[Outcome, ...]:
    """Signed out: to the sign-in page; signed in: ``outcome`` for all."""
    return (LOGIN, *[outcome] * len(SIGNED_IN))


def reviewers_only(outcome: Outcome) -> tuple[Outcome, ...]:
    """A Policy reviewers' page: ``outcome`` for a reviewer, 403 for every other role."""
    return (LOGIN, 403, 403, 403, 403, 403, 403, outcome)


# fmt: off
MATRIX: list[Row] = [
    # --- Reading and signing: every signed-in person; drafts only for reviewers ---------------
    Row("policy_list", "GET", everyone(200)),
    Row("policy_detail", "GET", everyone(200)),
    Row("policy_detail", "GET", everyone(404), "unknown policy", lambda w: ["no-such-policy"]),
    Row("version_detail", "GET", everyone(200), "published"),
    Row("version_detail", "GET", (LOGIN, 404, 404, 404, 404, 404, 404, 200), "draft",
        lambda w: [w.slug, w.draft.number]),
    Row("version_detail", "GET", everyone(404), "missing", lambda w: [w.slug, MISSING]),
    # The owner has signed already and is shown their receipt instead of the form.
    Row("sign", "GET", (LOGIN, RECEIPT, 200, 200, 200, 200, 200, 200)),
    # An empty form signs nothing for anyone: the form is shown again with its errors.
    Row("sign", "POST", everyone(200), "empty form"),
    # The organisation sign-in's steps: with no name typed and no confirmation at the provider
    # in this session, back to the form, and nothing signed.
    Row("sign_confirm", "GET", everyone(SIGN_FORM)),
    Row("sign_complete", "GET", everyone(SIGN_FORM)),
    # --- Receipts: the signer, their line manager and HR ---------------------------------------
    #                         anon   owner outsdr o.mgr l.mgr hr   it   reviewer
    Row("my_receipts", "GET", everyone(200)),
    Row("receipt", "GET",     (LOGIN, 200,  404,  404,  200, 200, 404, 404)),
    Row("receipt_pdf", "GET", (LOGIN, 200,  404,  404,  200, 200, 404, 404)),
    Row("receipt", "GET", everyone(404), "missing", lambda w: [MISSING]),
    Row("receipt_pdf", "GET", everyone(404), "missing", lambda w: [MISSING]),
    # Checking a receipt needs no account: anyone holding one, whether or not they may open it.
    Row("verify", "GET", (200,) * len(ACTORS), "blank"),
    Row("verify", "GET", (200,) * len(ACTORS), "a receipt code",
        data=lambda w: {"reference": w.ack.receipt_code}),
    Row("verify", "GET", (200,) * len(ACTORS), "a receipt's QR address",
        data=lambda w: {"code": w.ack.receipt_code}),
    # --- New versions: Policy reviewers only (the role is checked before the lookup) -----------
    Row("manage_index", "GET", reviewers_only(200)),
    Row("manage_policy", "GET", reviewers_only(200)),
    Row("manage_policy", "GET", reviewers_only(404), "unknown policy",
        lambda w: ["no-such-policy"]),
    # There is a draft already, so a reviewer is taken to it rather than given a second one.
    Row("create_draft", "POST", reviewers_only(EDIT_DRAFT)),
    # Asking everyone to confirm the same text again: the count and a form; an empty form
    # asks nobody.
    Row("reconfirm", "GET", reviewers_only(200)),
    Row("reconfirm", "POST", reviewers_only(200), "empty form"),
    Row("reconfirm", "GET", reviewers_only(404), "unknown policy", lambda w: ["no-such-policy"]),
    Row("edit_draft", "GET", reviewers_only(200)),
    Row("edit_draft", "POST", reviewers_only(200), "empty form"),
    Row("edit_draft", "GET", reviewers_only(MANAGE_POLICY), "published version",
        lambda w: [w.slug, w.version.number]),
    Row("edit_draft", "GET", reviewers_only(404), "missing", lambda w: [w.slug, MISSING]),
    Row("version_diff", "GET", reviewers_only(200)),
    Row("version_diff", "GET", reviewers_only(404), "missing", lambda w: [w.slug, MISSING]),
    Row("publish", "GET", reviewers_only(200)),
    Row("publish", "POST", reviewers_only(200), "empty form"),
    Row("publish", "GET", reviewers_only(MANAGE_POLICY), "published version",
        lambda w: [w.slug, w.version.number]),
    # --- Questions: the asker and the manager asked ------------------------------------------
    Row("ask", "GET", everyone(200)),
    Row("ask", "POST", everyone(200), "empty form"),
    Row("ask", "GET", everyone(404), "unknown policy", lambda w: ["no-such-policy"]),
    Row("questions", "GET", everyone(200)),
    #                      anon   owner outsdr o.mgr l.mgr hr   it   reviewer
    Row("question", "GET", (LOGIN, 200,  404,  404,  200, 404, 404, 404)),
    # Only the manager asked may answer; the asker may read but not answer.
    Row("question", "POST", (LOGIN, 403, 404,  404,  200, 404, 404, 404), "empty answer"),
    Row("question", "GET", everyone(404), "missing", lambda w: [MISSING]),
    # --- Personal use: the line manager decides, HR reads, everyone sees their own -----------
    Row("my_personal_use", "GET", everyone(200)),
    #                              anon   owner outsdr o.mgr l.mgr hr   it   reviewer
    Row("all_personal_use", "GET", (LOGIN, 403, 403,  403,  403, 200, 403, 403)),
    Row("team_personal_use", "GET", (LOGIN, 404, 404, 404,  200, 200, 404, 404)),
    Row("team_personal_use", "POST", (LOGIN, 404, 404, 404, 200, 403, 404, 404), "empty form"),
    Row("team_personal_use", "GET", everyone(404), "missing", lambda w: [MISSING]),
    Row("revoke_personal_use", "POST",
        (LOGIN, 404, 404, 404, PERSONAL_USE_PAGE, 403, 404, 404)),
    Row("revoke_personal_use", "POST", everyone(404), "missing", lambda w: [MISSING]),
    # --- Signature status: HR sees everyone, a line manager their own reports ----------------
    #                          anon   owner outsdr o.mgr l.mgr hr   it   reviewer
    Row("dashboard", "GET",    (LOGIN, 403, 403,  403,  403, 200, 403, 403)),
    Row("staff_list", "GET",   (LOGIN, 403, 403,  200,  200, 200, 403, 403)),
    Row("staff_list", "GET",   (LOGIN, 403, 403,  404,  404, 404, 403, 403), "unknown policy",
        lambda w: ["no-such-policy"]),
    Row("staff_export", "GET", (LOGIN, 403, 403,  200,  200, 200, 403, 403)),
    Row("staff_export", "GET", (LOGIN, 403, 403,  404,  404, 404, 403, 403), "unknown policy",
        lambda w: ["no-such-policy"]),
    Row("person", "GET",       (LOGIN, 404, 404,  404,  200, 200, 404, 404)),
    Row("person", "GET", everyone(404), "missing", lambda w: [MISSING]),
    # The owner has signed, so their manager is told there is nothing to remind them about.
    Row("remind", "POST",      (LOGIN, 404, 404,  404,  STAFF_LIST, 404, 404, 404)),
    Row("remind", "POST", everyone(404), "missing", lambda w: [w.slug, MISSING]),
    Row("remind", "POST", everyone(404), "unknown policy",
        lambda w: ["no-such-policy", w.owner.pk]),
    # HR reminds the overdue people of a whole group; nobody is overdue here, so nothing goes.
    Row("remind_overdue", "GET",  (LOGIN, 403, 403,  403,  403, 200, 403, 403)),
    Row("remind_overdue", "POST", (LOGIN, 403, 403,  403,  403, STAFF_LIST, 403, 403)),
    Row("remind_overdue", "GET",  (LOGIN, 403, 403,  403,  403, 404, 403, 403), "unknown policy",
        lambda w: ["no-such-policy"]),
    # --- The annual review: Policy reviewers only ---------------------------------------------
    Row("reviews", "GET", reviewers_only(200)),
    Row("review", "GET", reviewers_only(200)),
    Row("review", "POST", reviewers_only(200), "empty form"),
    Row("review", "GET", reviewers_only(404), "missing", lambda w: [MISSING]),
]
# fmt: on


@pytest.fixture
def world(db: None, employee, manager, outsider, hr_user, it_user, reviewer) -> World:
    version = publishing.load_seed_policy()
    # A line manager with a report of their own, in another department: not the owner's manager.
    other_manager = UserFactory(
        email="manager.elsewhere@example.com",
        department=DepartmentFactory(name="Supported Living"),
    )
    UserFactory(line_manager=other_manager, department=other_manager.department)
    publishing.assign_outstanding(policy=version.policy)
    # Asked before signing, as the policy intends; the signature is then the owner's receipt.
    question = questions.asks_question(
        asker=employee, version=version, section="4.1", text="May I read my own email at lunch?"
    )
    ack = AcknowledgementFactory(user=employee, version=version)
    grants.grant_personal_use(
        manager=manager,
        employee=employee,
        email=True,
        internet=False,
        telephone=False,
        expires_on=None,
        note="",
    )
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    # The seed version's review date (March 2018) is long past: its review opens at once.
    (review,) = reviews.open_due_reviews()
    users = {
        "owner": employee,
        "outsider": outsider,
        "other_manager": other_manager,
        "line_manager": manager,
        "hr": hr_user,
        "it": it_user,
        "reviewer": reviewer,
    }
    return World(
        users=users, version=version, draft=draft, ack=ack, question=question, review=review
    )


def _state() -> tuple[object, ...]:
    """Everything the app's forms can change, to show that an empty form changed none of it."""
    return (
        list(Acknowledgement.objects.values_list("pk", flat=True)),
        list(Question.objects.values_list("pk", "answered_at")),
        list(PersonalUseGrant.objects.values_list("pk", "revoked_at")),
        list(PolicyVersion.objects.values_list("pk", "status", "body_sha256", "change_summary")),
        list(ReviewOutcome.objects.values_list("pk", "outcome", "recorded_at")),
        AuditEvent.objects.exclude(
            action__in=["auth.permission_denied", "auth.not_found"]
        ).count(),  # refusals (403 and 404) are recorded
    )


def _outcome(world: World, response, expected: Outcome) -> Outcome:
    """What happened, in the table's terms: a status, or where a redirect went."""
    if response.status_code != 302:
        return response.status_code
    location = response["Location"]
    if location.startswith(reverse("login") + "?next="):
        return LOGIN
    if isinstance(expected, str) and expected != LOGIN and location == world.target(expected):
        return expected
    return f"302 to {location}"


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.id)
def test_permission_matrix(world: World, row: Row) -> None:
    url = row.url(world)
    data = row.data(world)
    clients = {actor: world.client_for(actor) for actor in ACTORS}  # signed in beforehand
    expected = dict(zip(ACTORS, row.expected, strict=True))
    actual: dict[str, Outcome] = {}
    changed_by = []
    for actor in ACTORS:
        send = clients[actor].get if row.method == "GET" else clients[actor].post
        before = _state()
        actual[actor] = _outcome(world, send(url, data), expected[actor])
        # A refused request, or an empty form, leaves everything as it was.
        if (actual[actor] in REFUSED or row.label.startswith("empty")) and _state() != before:
            changed_by.append(actor)

    wrong = {
        actor: f"expected {expected[actor]}, got {actual[actor]}"
        for actor in ACTORS
        if actual[actor] != expected[actor]
    }
    assert not wrong, f"{row.method} {url}: {wrong}"
    assert not changed_by, f"{row.method} {url} changed something for {changed_by}"


@pytest.mark.parametrize("route", sorted(ALLOWED_METHODS))
def test_wrong_method_is_405_for_everyone_signed_in(world: World, route: str) -> None:
    url = reverse(f"{NAMESPACE}:{route}", args=ROUTE_ARGS[route](world))
    allowed = ALLOWED_METHODS[route]
    wrong = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m not in allowed]
    assert wrong
    for actor in SIGNED_IN:
        client = world.client_for(actor)
        for method in wrong:
            response = client.generic(method, url)
            assert response.status_code == 405, (actor, method, url)
            assert set(response["Allow"].split(", ")) == allowed, (actor, method, url)


def test_wrong_method_changes_nothing(world: World) -> None:
    """A GET or PUT to an endpoint that changes things is refused before anything happens."""
    reviewer, manager = world.client_for("reviewer"), world.client_for("line_manager")
    undrafted = PolicyFactory(slug="mobile-devices", title="Mobile Devices Policy")

    create_draft = reverse("acknowledgements:create_draft", args=[undrafted.slug])
    publish = reverse("acknowledgements:publish", args=[world.slug, world.draft.number])
    revoke = reverse("acknowledgements:revoke_personal_use", args=[world.owner.pk])
    assert reviewer.get(create_draft).status_code == 405
    assert reviewer.put(publish, {"change": "material"}).status_code == 405
    assert manager.get(revoke).status_code == 405

    assert not undrafted.versions.exists()
    world.draft.refresh_from_db()
    assert world.draft.is_draft
    assert grants.current_grant_for(world.owner) is not None


def _named_patterns(
    patterns: list[URLPattern | URLResolver], namespace: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespace, pattern.namespace) if pattern.namespace else namespace
            yield from _named_patterns(pattern.url_patterns, inner)
        else:
            yield namespace, pattern


def test_every_route_of_the_app_is_in_the_matrix() -> None:
    routes = [
        pattern
        for namespace, pattern in _named_patterns(get_resolver().url_patterns)
        if NAMESPACE in namespace
    ]
    unnamed = [str(pattern.pattern) for pattern in routes if not pattern.name]
    names = {pattern.name for pattern in routes}

    assert len(routes) > 20  # the walk really found the app's routes
    assert not unnamed, f"name these routes so that the matrix can cover them: {unnamed}"
    assert names - {row.route for row in MATRIX} == set(), "routes missing from MATRIX"
    assert names - set(ALLOWED_METHODS) == set(), "routes missing from ALLOWED_METHODS"
    assert names - set(ROUTE_ARGS) == set(), "routes missing from ROUTE_ARGS"
    # And no row is about a route that no longer exists.
    assert {row.route for row in MATRIX} | set(ALLOWED_METHODS) | set(ROUTE_ARGS) <= names


def test_every_row_has_an_outcome_for_every_actor_and_an_allowed_method() -> None:
    for row in MATRIX:
        assert len(row.expected) == len(ACTORS), row.id
        assert row.expected[0] == (200 if row.route in PUBLIC else LOGIN), row.id
        assert row.method in ALLOWED_METHODS[row.route], row.id
    # Each route is checked with each of its methods at least once.
    covered = {(row.route, row.method) for row in MATRIX}
    wanted = {(route, method) for route, methods in ALLOWED_METHODS.items() for method in methods}
    assert wanted - covered == set()
