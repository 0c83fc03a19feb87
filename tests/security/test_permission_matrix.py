"""Who gets what from every URL the portal serves: GET and POST, as every role.

The URL patterns come from the resolver, so a new page fails this file until it has an
expectation here. Each app has its own table below: a new page is one entry in its app's
table (or a new table added to ``EXPECTATIONS``), naming what each role gets and the objects the
URL needs from the world (``tests/security/world.py``). The Django admin is one group,
``admin_expectation``: superusers only, whatever models it shows.

Outcomes: an HTTP status, or where a redirect goes (the sign-in page, the admin's sign-in page,
or anywhere else). POSTs send an empty form: enough to show who gets past the permission check,
never enough to change anything but the few one-click actions (marked "one click").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.test import Client
from django.urls import reverse

from portal.models import AuditEvent
from tests.security.report import SUMMARY
from tests.security.urls import Route, admin_path, routes
from tests.security.world import ROLES, SIGNED_IN, World, changed_tables, state

LOGIN = "sign-in page"
ADMIN_LOGIN = "admin sign-in page"
REDIRECT = "redirect"  # anywhere but a sign-in page: the step's own next page
# The admin sends someone who is not staff from its sign-out address to its front page.
ADMIN_INDEX = "admin front page"
REFUSED = {LOGIN, ADMIN_LOGIN, ADMIN_INDEX, 403, 404, 405}

Outcome = int | str
Cells = dict[str, Outcome]  # role -> outcome
Args = Callable[[World], list[object]]


def signed_in(default: Outcome, **roles: Outcome) -> Cells:
    """Signed out: sent to sign in. Signed in: ``default``, except the roles named."""
    unknown = set(roles) - set(SIGNED_IN)
    assert not unknown, f"no such role: {unknown}"
    return {"anonymous": LOGIN, **{role: roles.get(role, default) for role in SIGNED_IN}}


def public(default: Outcome, **roles: Outcome) -> Cells:
    """A page open to all: ``default`` for everyone, signed out too, except the roles named."""
    anonymous = roles.pop("anonymous", default)
    return {**signed_in(default, **roles), "anonymous": anonymous}


def no_args(world: World) -> list[object]:
    return []


NOT_ALLOWED = signed_in(405)


@dataclass(frozen=True)
class Expect:
    get: Cells
    post: Cells = field(default_factory=lambda: NOT_ALLOWED)
    args: Args = no_args


def owned(*others: str) -> Cells:
    """The employee's own object: 200 for them and the roles named, 404 for everyone else."""
    return signed_in(404, employee=200, **dict.fromkeys(others, 200))


def only(outcome: Outcome, *roles: str, others: Outcome = 403) -> Cells:
    """A page for some roles: ``outcome`` for them, ``others`` (a 403) for the rest."""
    return signed_in(others, **dict.fromkeys(roles, outcome))


# --- portal/ ---------------------------------------------------------------------------------
PORTAL: dict[str, Expect] = {
    "home": Expect(get=signed_in(200)),
    "inbox": Expect(get=signed_in(200)),
    "inbox_message": Expect(get=owned(), args=lambda w: [w.team.notification.pk]),
    "inbox_mark_all_read": Expect(get=NOT_ALLOWED, post=signed_in(REDIRECT)),  # one click
    "team": Expect(get=only(200, "line_manager")),
    "staff_import": Expect(get=only(200, "hr"), post=only(200, "hr")),
    # Any HR member may follow an import and download its report: the directory is theirs.
    "staff_import_job": Expect(get=only(200, "hr"), args=lambda w: [w.staff_import.pk]),
    "staff_import_problems": Expect(get=only(200, "hr"), args=lambda w: [w.staff_import.pk]),
    "staff_import_cancel": Expect(
        get=NOT_ALLOWED, post=only(REDIRECT, "hr"), args=lambda w: [w.staff_import.pk]
    ),
    "audit_log": Expect(get=only(200, "hr", "it")),
    # Departments, budget holders and deputies: HR's. An empty form is shown again to correct.
    "departments": Expect(get=only(200, "hr")),
    "department_add": Expect(get=only(200, "hr"), post=only(200, "hr")),
    "department_edit": Expect(
        get=only(200, "hr"), post=only(200, "hr"), args=lambda w: [w.team.department.pk]
    ),
    "department_history": Expect(get=only(200, "hr"), args=lambda w: [w.team.department.pk]),
    # The health report, to anyone: "failing" (503) here, where no worker or beat runs.
    "healthz": Expect(get=public(503), post=public(405)),
    # The organisation's colour, a stylesheet every page links to, signed in or not.
    "brand_css": Expect(get=public(200), post=public(405)),
    # Someone signed in is sent on from the sign-in page, whatever they send it.
    "login": Expect(get=public(REDIRECT, anonymous=200), post=public(REDIRECT, anonymous=200)),
    "logout": Expect(get=signed_in(405), post=signed_in(REDIRECT)),
    "password_change": Expect(get=signed_in(200), post=signed_in(200)),
    "password_change_done": Expect(get=signed_in(200)),
    "password_reset": Expect(get=public(200), post=public(200)),
    "password_reset_done": Expect(get=public(200), post=public(405)),
    # A link with a token that is not valid: the page says so, to anyone.
    "password_reset_confirm": Expect(
        get=public(200), post=public(200), args=lambda w: ["MQ", "not-a-token"]
    ),
    "password_reset_complete": Expect(get=public(200), post=public(405)),
    # A first sign-in letter's code: a wrong one is refused on the page, to anyone.
    "letter_password": Expect(get=public(200), post=public(200)),
    # Letters are printed only for people with no e-mail address: for the employee, who has
    # one, it is refused to everyone (HR and line managers printing for a report:
    # tests/portal/test_no_email_staff.py).
    "print_sign_in_letter": Expect(
        get=signed_in(405), post=signed_in(403), args=lambda w: [w.team.employee.pk]
    ),
    # IT's operations page; each action is one click and returns to the page.
    "operations": Expect(get=only(200, "it", "admin")),
    "run_job": Expect(
        get=NOT_ALLOWED,
        post=only(REDIRECT, "it", "admin"),
        args=lambda w: ["staff-temporary-ending"],
    ),
    "retry_notification": Expect(
        get=NOT_ALLOWED,
        post=only(REDIRECT, "it", "admin"),
        args=lambda w: [w.team.notification.pk],
    ),
    "retry_failed": Expect(get=NOT_ALLOWED, post=only(REDIRECT, "it", "admin")),
    # Inviting everyone who cannot sign in yet: HR and IT. One click, back to the page.
    "invitations": Expect(get=only(200, "hr", "it")),
    "invite_staff": Expect(get=NOT_ALLOWED, post=only(REDIRECT, "hr", "it")),
    "invitation_progress": Expect(get=only(200, "hr", "it")),
}

# --- acknowledgements/ -----------------------------------------------------------------------
ACKNOWLEDGEMENTS: dict[str, Expect] = {
    "policy_list": Expect(get=signed_in(200)),
    "policy_detail": Expect(get=signed_in(200), args=lambda w: [w.slug]),
    "version_detail": Expect(get=signed_in(200), args=lambda w: [w.slug, w.version.number]),
    # The employee has signed and is shown their receipt; an empty form signs nothing.
    "sign": Expect(
        get=signed_in(200, employee=REDIRECT), post=signed_in(200), args=lambda w: [w.slug]
    ),
    # Steps of signing after organisation sign-in: with nothing under way, back to the form.
    "sign_confirm": Expect(get=signed_in(REDIRECT), args=lambda w: [w.slug]),
    "sign_complete": Expect(get=signed_in(REDIRECT), args=lambda w: [w.slug]),
    "my_receipts": Expect(get=signed_in(200)),
    "receipt": Expect(get=owned("line_manager", "hr"), args=lambda w: [w.team.ack.pk]),
    "receipt_pdf": Expect(get=owned("line_manager", "hr"), args=lambda w: [w.team.ack.pk]),
    # Open to anyone holding a receipt.
    "verify": Expect(get=public(200), post=public(405)),
    "manage_index": Expect(get=only(200, "reviewer")),
    "manage_policy": Expect(get=only(200, "reviewer"), args=lambda w: [w.slug]),
    # There is a draft already: a reviewer is taken to it.
    "create_draft": Expect(
        get=NOT_ALLOWED, post=only(REDIRECT, "reviewer"), args=lambda w: [w.slug]
    ),
    "edit_draft": Expect(
        get=only(200, "reviewer"),
        post=only(200, "reviewer"),
        args=lambda w: [w.slug, w.draft.number],
    ),
    "version_diff": Expect(get=only(200, "reviewer"), args=lambda w: [w.slug, w.draft.number]),
    # Asking everyone to confirm the same text again (an empty form asks nobody).
    "reconfirm": Expect(
        get=only(200, "reviewer"), post=only(200, "reviewer"), args=lambda w: [w.slug]
    ),
    "publish": Expect(
        get=only(200, "reviewer"),
        post=only(200, "reviewer"),
        args=lambda w: [w.slug, w.draft.number],
    ),
    "ask": Expect(get=signed_in(200), post=signed_in(200), args=lambda w: [w.slug]),
    "questions": Expect(get=signed_in(200)),
    # The asker reads; only the manager asked may answer.
    "question": Expect(
        get=owned("line_manager"),
        post=signed_in(404, employee=403, line_manager=200),
        args=lambda w: [w.team.question.pk],
    ),
    "my_personal_use": Expect(get=signed_in(200)),
    "all_personal_use": Expect(get=only(200, "hr")),
    # The line manager decides; HR reads; the employee has their own page.
    "team_personal_use": Expect(
        get=signed_in(404, line_manager=200, hr=200),
        post=signed_in(404, line_manager=200, hr=403),
        args=lambda w: [w.team.employee.pk],
    ),
    "revoke_personal_use": Expect(  # one click
        get=NOT_ALLOWED,
        post=signed_in(404, line_manager=REDIRECT, hr=403),
        args=lambda w: [w.team.employee.pk],
    ),
    "dashboard": Expect(get=only(200, "hr")),
    "staff_list": Expect(get=only(200, "hr", "line_manager"), args=lambda w: [w.slug]),
    "staff_export": Expect(get=only(200, "hr", "line_manager"), args=lambda w: [w.slug]),
    "person": Expect(
        get=signed_in(404, line_manager=200, hr=200), args=lambda w: [w.team.employee.pk]
    ),
    # The employee has signed: their manager is told there is nothing to remind them of.
    "remind": Expect(
        get=NOT_ALLOWED,
        post=signed_in(404, line_manager=REDIRECT),
        args=lambda w: [w.slug, w.team.employee.pk],
    ),
    # HR reminds the overdue people a filter shows: the count, then the confirmation.
    "remind_overdue": Expect(
        get=only(200, "hr"), post=only(REDIRECT, "hr"), args=lambda w: [w.slug]
    ),
    # The annual review: reviewers record an outcome (an empty form is shown again).
    "reviews": Expect(get=only(200, "reviewer")),
    "review": Expect(
        get=only(200, "reviewer"), post=only(200, "reviewer"), args=lambda w: [w.review.pk]
    ),
}

# --- requests/ -------------------------------------------------------------------------------
# The employee's request has a cost and waits for their budget holder; IT sees every request.
SEES_REQUEST = ("budget_holder", "it")
REQUESTS: dict[str, Expect] = {
    "mine": Expect(get=signed_in(200)),
    "choose_kind": Expect(get=signed_in(200)),
    "new": Expect(get=signed_in(200), post=signed_in(200), args=lambda w: ["software"]),
    # Only while more information is asked; the budget holder and IT may see it but not edit.
    "edit": Expect(
        get=signed_in(404, employee=REDIRECT, budget_holder=403, it=403),
        post=signed_in(404, employee=REDIRECT, budget_holder=403, it=403),
        args=lambda w: [w.team.request.pk],
    ),
    "detail": Expect(get=owned(*SEES_REQUEST), args=lambda w: [w.team.request.pk]),
    # An empty step is refused with a message on the request's page; IT takes the request.
    "act": Expect(
        get=NOT_ALLOWED,
        post=signed_in(404, employee=REDIRECT, budget_holder=REDIRECT, it=REDIRECT),
        args=lambda w: [w.team.request.pk],
    ),
    "assign": Expect(  # one click
        get=NOT_ALLOWED,
        post=signed_in(404, employee=REDIRECT, budget_holder=REDIRECT, it=REDIRECT),
        args=lambda w: [w.team.request.pk],
    ),
    "comment": Expect(
        get=NOT_ALLOWED, post=owned(*SEES_REQUEST), args=lambda w: [w.team.request.pk]
    ),
    "upload": Expect(
        get=NOT_ALLOWED,
        post=signed_in(404, employee=REDIRECT, budget_holder=REDIRECT, it=REDIRECT),
        args=lambda w: [w.team.request.pk],
    ),
    "download": Expect(get=owned(*SEES_REQUEST), args=lambda w: [w.team.attachment.pk]),
    "approvals": Expect(get=only(200, "budget_holder")),
    "queue": Expect(get=only(200, "it")),
    "waiting_for_budget_holder": Expect(get=only(200, "hr")),
    "queue_export": Expect(get=only(200, "it")),  # recorded: an export of people's requests
    "register": Expect(get=signed_in(200)),
    "register_add": Expect(get=only(200, "it"), post=only(200, "it")),
    "register_edit": Expect(get=only(200, "it"), post=only(200, "it"), args=lambda w: [w.item.pk]),
    # Starters, leavers and temporary workers: HR and line managers give notice, IT works the
    # checklist. The notice is the line manager's, about a temporary worker in their team.
    "staff_changes": Expect(get=only(200, "hr", "line_manager", "it")),
    "staff_change_kind": Expect(get=only(200, "hr", "line_manager")),
    "staff_change_new": Expect(
        get=only(200, "hr", "line_manager"),
        post=only(200, "hr", "line_manager"),
        args=lambda w: ["starter"],
    ),
    "staff_change": Expect(
        get=signed_in(404, line_manager=200, hr=200, it=200), args=lambda w: [w.team.notice.pk]
    ),
    "staff_change_task": Expect(
        get=NOT_ALLOWED,
        post=signed_in(404, it=REDIRECT, line_manager=403, hr=403),
        args=lambda w: [w.team.notice.pk, w.team.notice.tasks.order_by("pk")[0].pk],
    ),
    # No account in the directory has the notice's address: IT is sent back to the notice.
    "staff_change_link": Expect(
        get=signed_in(404, it=REDIRECT, line_manager=403, hr=403),
        post=signed_in(404, it=REDIRECT, line_manager=403, hr=403),
        args=lambda w: [w.team.notice.pk],
    ),
    "staff_change_extend": Expect(  # an empty form is shown again with what is missing
        get=NOT_ALLOWED,
        post=signed_in(404, line_manager=200, hr=200, it=403),
        args=lambda w: [w.team.notice.pk],
    ),
    "staff_change_cancel": Expect(  # an empty form is shown again with what is missing
        get=NOT_ALLOWED,
        post=signed_in(404, line_manager=200, hr=200, it=403),
        args=lambda w: [w.team.notice.pk],
    ),
    "staff_change_invite": Expect(
        get=NOT_ALLOWED,
        post=signed_in(404, it=REDIRECT, line_manager=403, hr=403),
        args=lambda w: [w.team.notice.pk],
    ),
    "staff_board": Expect(get=only(200, "it")),
}

# One table per app, by the namespace its URLs use ("" for the portal's own).
# Organisation sign-in: not configured in these tests, so there is nothing to reach.
OIDC: dict[str, Expect] = {
    "start": Expect(get=public(404), post=public(405)),
    "callback": Expect(get=public(404), post=public(405)),
    "reauthenticate": Expect(get=signed_in(404)),
}

EXPECTATIONS: dict[str, dict[str, Expect]] = {
    "": PORTAL,
    "oidc": OIDC,
    "acknowledgements": ACKNOWLEDGEMENTS,
    "requests": REQUESTS,
}


def admin_expectation(route: Route) -> Expect:
    """The Django admin: superusers only. Anyone else signed in is sent to its sign-in page."""
    name = route.name.removeprefix("admin:")
    if name == "login":
        # Its own sign-in form: shown to anyone; a superuser is sent on to the admin.
        return Expect(get=public(200, admin=ADMIN_INDEX), post=public(200))
    if name == "logout":
        # Someone who is not staff is sent to the admin's front page, still signed in.
        return Expect(
            get={**signed_in(ADMIN_INDEX, admin=405), "anonymous": SIGN_IN},
            post={**signed_in(ADMIN_INDEX, admin=REDIRECT), "anonymous": SIGN_IN},
        )
    superuser_only = {**signed_in(ADMIN_LOGIN, admin=SUPERUSER), "anonymous": SIGN_IN}
    return Expect(get=superuser_only, post=superuser_only)


# Signed out, the admin's own pages send people to its sign-in page, its models' pages to the
# portal's: either will do.
SIGN_IN = "a sign-in page"
# A superuser in the admin: past the admin's own door, so not sent to sign in and no error.
# What each model's page then allows (read-only records refuse changes) is the admin's business.
SUPERUSER = "past the admin's sign-in"


def expectation_for(route: Route) -> Expect | None:
    if route.is_admin:
        return admin_expectation(route)
    name = route.name.split(":")[-1]
    return EXPECTATIONS.get(route.namespace, {}).get(name)


def path_for(route: Route, expect: Expect, world: World) -> str:
    if route.is_admin:
        return admin_path(route)
    return reverse(route.name, args=expect.args(world))


def outcome(response) -> Outcome:
    if response.status_code not in (301, 302):
        return response.status_code
    target = urlsplit(response["Location"])
    if "next=" in target.query and target.path == reverse("login"):
        return LOGIN
    if "next=" in target.query and target.path == reverse("admin:login"):
        return ADMIN_LOGIN
    if target.path == reverse("admin:index"):
        return ADMIN_INDEX
    return REDIRECT


def matches(expected: Outcome, actual: Outcome) -> bool:
    if expected == SIGN_IN:
        return actual in {LOGIN, ADMIN_LOGIN}
    if expected == SUPERUSER:
        return actual not in {LOGIN, ADMIN_LOGIN} and not (
            isinstance(actual, int) and actual >= 500
        )
    return expected == actual


# Requests that end the session they are sent with; they get a client of their own.
SIGNS_OUT = {"logout", "admin:logout"}
# Reads that are recorded on purpose: a refusal (403 or 404), and an export of people's records.
AUDITED_READS = {
    "auth.permission_denied",
    "auth.not_found",
    "policy.status_exported",
    "request.queue_exported",
}
# The count of audited 404s (portal.throttle) changes with each 404.
COUNTERS = {"portal.throttlewindow"}


def test_every_url_has_an_expectation() -> None:
    missing = [
        f"{route.name} ({route.template})" for route in routes() if expectation_for(route) is None
    ]
    assert not missing, (
        "No permission expectation for these URLs; add each to its app's table in "
        f"tests/security/test_permission_matrix.py: {missing}"
    )


def test_no_expectation_for_a_url_that_does_not_exist() -> None:
    known = {(route.namespace, route.name.split(":")[-1]) for route in routes()}
    stale = [
        f"{namespace}:{name}".lstrip(":")
        for namespace, table in EXPECTATIONS.items()
        for name in table
        if (namespace, name) not in known
    ]
    assert not stale, f"Expectations for URLs that no longer exist: {stale}"


def test_permission_matrix(world: World) -> None:
    clients: dict[str, Client] = {}

    def client_for(role: str, route: Route) -> Client:
        if route.name in SIGNS_OUT:
            return world.client_for(role, raise_request_exception=False)
        if role not in clients:
            clients[role] = world.client_for(role, raise_request_exception=False)
        return clients[role]

    for role in ROLES:
        client_for(role, routes()[0])  # every sign-in happens before the first snapshot

    cells, unexpected, wrong, changed = 0, [], [], []
    all_routes = routes()
    before = state()
    # Every GET first, then every POST: the one-click POSTs change the world for what follows.
    for method in ("GET", "POST"):
        for route in all_routes:
            expect = expectation_for(route)
            assert expect is not None, f"no expectation for {route.name}"
            path = path_for(route, expect, world)
            cells_for = expect.get if method == "GET" else expect.post
            for role in ROLES:
                client = client_for(role, route)
                if route.name in SIGNS_OUT:
                    before = state()  # after its sign-in, which is not the page's doing
                last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True)
                last_event = last_event.first() or 0
                response = client.get(path) if method == "GET" else client.post(path, {})
                actual, expected = outcome(response), cells_for[role]
                cells += 1
                where = f"{method} {path} ({route.name}) as {role}"
                if not matches(expected, actual):
                    if (expected in REFUSED or expected == SIGN_IN) and actual not in REFUSED:
                        unexpected.append(f"{where}: expected {expected}, got {actual}")
                    else:
                        wrong.append(f"{where}: expected {expected}, got {actual}")
                if method == "GET" or actual in REFUSED:
                    after = state()
                    tables = [t for t in changed_tables(before, after) if t not in COUNTERS]
                    events = set(
                        AuditEvent.objects.filter(pk__gt=last_event).values_list(
                            "action", flat=True
                        )
                    )
                    if tables or events - AUDITED_READS:
                        changed.append(f"{where} changed {tables} {events - AUDITED_READS}")
                    before = after
                else:
                    before = state()

    line = (
        f"permission matrix: {cells} cells ({len(all_routes)} URL patterns x GET, POST x "
        f"{len(ROLES)} roles), {len(unexpected)} unexpected successes, "
        f"{len(wrong)} other mismatches, {len(changed)} GETs or refusals that changed state"
    )
    SUMMARY.append(line)
    print(line)
    assert cells == len(all_routes) * 2 * len(ROLES)
    assert not (unexpected or wrong or changed), "\n".join(
        [
            "Unexpected successes:",
            *unexpected,
            "Outcomes other than expected:",
            *wrong,
            "A GET or a refused request changed state:",
            *changed,
        ]
    )
