"""The flows of the audit coverage test: for each audited action, the steps a person takes in the
portal (or the command that does it) to cause it once, and the actions read from the code."""

from __future__ import annotations

import ast
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, RequestFactory, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from acknowledgements import publishing, reviews
from acknowledgements.models import PolicyReview
from bench.seeding.command import Command
from portal import letters, tasks, throttle
from portal.celery import app as celery_app
from portal.models import Notification, StaffImport, User
from portal.oidc import people as oidc_people
from portal.oidc.client import Refused
from requests import workflow
from requests.models import AuthorisationRequest
from requests.staff import changes as staff_changes
from requests.staff import lifecycle as staff_lifecycle
from requests.staff.models import StaffChange, StaffChangeTask
from tests.acknowledgements.factories import PolicyFactory
from tests.conftest import ROOT
from tests.factories import PASSWORD, UserFactory
from tests.requests.staff import mover_details, temporary_details
from tests.security.world import PDF, World

NEW_PASSWORD = "a-new-long-passphrase-for-spring"
RESET_PASSWORD = "a-reset-passphrase-for-autumn"
WRONG_PASSWORD = "not-the-password-at-all"
# The apps, and the benchmarks' seeding of a company at scale, which is audited like them.
APPS = ("portal", "acknowledgements", "requests", "bench")

# Audit actions built at run time, and every value they take.
DYNAMIC_ACTIONS = {
    'f"auth.password_{how}"': {
        "auth.password_changed",
        "auth.password_reset",
        "auth.password_set_from_letter",
    },
    'f"request.{action}"': {f"request.{a}" for a in workflow.TRANSITIONS}
    | {"request.submitted", "request.assigned", "request.authority_moved"},
}


def audited_actions() -> set[str]:
    """Every action passed to ``audit.record`` or ``audit.event`` in the portal's code."""
    found: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found |= _actions_in(path)
    return found


def _actions_in(path: Path) -> set[str]:
    found: set[str] = set()
    source = path.read_text()
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"record", "event"}
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "audit"
        ):
            continue
        action = next((k.value for k in node.keywords if k.arg == "action"), None)
        values = [action.body, action.orelse] if isinstance(action, ast.IfExp) else [action]
        for value in values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(value.value)
            else:
                text = ast.get_source_segment(source, value)
                assert text in DYNAMIC_ACTIONS, (
                    f"{path}: an audit action built as {text}; list its values in DYNAMIC_ACTIONS"
                )
                found |= DYNAMIC_ACTIONS[text]
    return found


# --- The flows ------------------------------------------------------------------------------
def signed_in(world: World, role_or_user: str | User) -> Client:
    user = world.users[role_or_user] if isinstance(role_or_user, str) else role_or_user
    client = Client()
    client.force_login(user)
    return client


def sign_in(client: Client, email: str, password: str):
    return client.post(reverse("login"), {"username": email, "password": password})


def request_in(world: World, state: str) -> AuthorisationRequest:
    """The employee's request (waiting for the budget holder), moved on to ``state``."""
    ar, it = world.team.request, world.users["it"]
    if state == "awaiting_budget":
        return ar
    steps = {
        "awaiting_it": [("budget_approve", world.team.budget_holder, "")],
        "more_info": [("budget_more_info", world.team.budget_holder, "Which edition?")],
        "approved": [("budget_approve", world.team.budget_holder, ""), ("approve", it, "")],
    }[state]
    for action, actor, note in steps:
        ar = workflow.perform(actor=actor, request=ar, action=action, note=note)
    return ar


def act(world: World, who: User, state: str, action: str, note: str = "") -> None:
    ar = request_in(world, state)
    response = signed_in(world, who).post(
        reverse("requests:act", args=[ar.pk]), {"action": action, "note": note}
    )
    assert response.status_code == 302


def _login(world: World) -> None:
    assert sign_in(Client(), world.team.employee.email, PASSWORD).status_code == 302


def _logout(world: World) -> None:
    assert signed_in(world, "employee").post(reverse("logout")).status_code == 302


def _login_failed(world: World) -> None:
    assert sign_in(Client(), world.team.employee.email, WRONG_PASSWORD).status_code == 200


def _locked_out(world: World) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, world.team.employee.email, WRONG_PASSWORD)
    assert response.status_code == 429


def _password_changed(world: World) -> None:
    response = signed_in(world, "employee").post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302


def _password_reset(world: World) -> None:
    user = User.objects.get(pk=world.team.employee.pk)  # the token covers the last sign-in
    client = Client()
    link = reverse(
        "password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ],
    )
    form = client.get(link)  # Django swaps the token for a session value and redirects
    assert form.status_code == 302
    response = client.post(
        form["Location"], {"new_password1": RESET_PASSWORD, "new_password2": RESET_PASSWORD}
    )
    assert response.status_code == 302


def _no_email_carer(world: World) -> User:
    """A carer in the employee's team with no work e-mail."""
    return User.objects.filter(employee_number="W-CARER").first() or UserFactory(
        email=None,
        employee_number="W-CARER",
        line_manager=world.team.line_manager,
        department=world.team.department,
    )


def _letter_printed(world: World) -> None:
    carer = _no_email_carer(world)
    client = signed_in(world, world.team.line_manager)
    assert client.post(reverse("print_sign_in_letter", args=[carer.pk])).status_code == 200


def _letter_form(code: str) -> dict[str, str]:
    return {
        "employee_number": "W-CARER",
        "code": code,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }


def _letter_code_refused(world: World) -> None:
    _no_email_carer(world)
    response = Client().post(reverse("letter_password"), _letter_form("AAAAA-AAAAA"))
    assert response.status_code == 200


def _password_set_from_letter(world: World) -> None:
    printed = letters.letter_print(actor=world.users["hr"], person=_no_email_carer(world))
    response = Client().post(reverse("letter_password"), _letter_form(printed.code))
    assert response.status_code == 302


ISSUER = "https://login.example.org/tenant/v2.0"


def _organisation_claims(email: str) -> dict[str, object]:
    """Claims as the organisation's provider vouches for them, once ``portal.oidc.client`` has
    checked the token's signature, issuer, audience, expiry and nonce."""
    return {"iss": ISSUER, "sub": f"subject-of-{email}", "email": email, "email_verified": True}


@override_settings(OIDC_MATCH_CLAIM="email")
def _oidc_linked(world: World) -> None:
    employee = world.users["employee"]
    request = RequestFactory().get("/accounts/oidc/callback/")
    assert oidc_people.person_for(_organisation_claims(employee.email), request=request) == employee


@override_settings(OIDC_MATCH_CLAIM="email")
def _oidc_refused(world: World) -> None:
    request = RequestFactory().get("/accounts/oidc/callback/")
    try:
        oidc_people.person_for(_organisation_claims("nobody@elsewhere.example"), request=request)
    except Refused as refused:
        oidc_people.record_refusal(refused, request=request)
    else:
        raise AssertionError("a person the directory does not know was let in")


def _password_reset_requested(world: World) -> None:
    response = Client().post(reverse("password_reset"), {"email": world.team.employee.email})
    assert response.status_code == 302


def _password_reset_throttled(world: World) -> None:
    for _ in range(settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR):
        _password_reset_requested(world)
    _password_reset_requested(world)  # one more: no e-mail, the same page


def _address_throttled(world: World) -> None:
    limit = throttle.sign_in_failures_per_client()
    for n in range(limit.most - throttle.count(limit, "127.0.0.1")):
        assert sign_in(Client(), f"guess{n}@example.com", WRONG_PASSWORD).status_code == 200
    assert sign_in(Client(), "one.more@example.com", WRONG_PASSWORD).status_code == 200


@override_settings(RECEIPT_CHECKS_PER_CLIENT_PER_HOUR=2)
def _receipt_check_throttled(world: World) -> None:
    auditor = Client()  # signed out: anyone holding a receipt
    code = {"code": world.team.ack.receipt_code}
    for _ in range(throttle.receipt_checks_per_client().most):
        auditor.get(reverse("acknowledgements:verify"), code)
    assert auditor.get(reverse("acknowledgements:verify"), code).status_code == 429


def _not_found(world: World) -> None:
    others = Notification.objects.exclude(recipient=world.team.employee).first()
    pk = others.pk if others else 10**9
    assert signed_in(world, "employee").get(reverse("inbox_message", args=[pk])).status_code == 404


def _permission_denied(world: World) -> None:
    assert signed_in(world, "employee").get(reverse("audit_log")).status_code == 403


def _signed(world: World) -> None:
    manager = world.team.line_manager  # has not signed yet
    response = signed_in(world, manager).post(
        reverse("acknowledgements:sign", args=[world.slug]),
        {
            "version": world.version.number,
            "printed_name": manager.full_name,
            "password": PASSWORD,
            "agree": "on",
        },
    )
    assert response.status_code == 302


def _submitted(world: World) -> None:
    response = signed_in(world, "employee").post(
        reverse("requests:new", args=["software"]),
        {"item": "Notepad", "justification": "Notes.", "quantity": "1"},
    )
    assert response.status_code == 302


def _edited_and_resubmitted(world: World) -> None:
    ar = request_in(world, "more_info")
    response = signed_in(world, "employee").post(
        reverse("requests:edit", args=[ar.pk]),
        {
            "item": ar.item,
            "vendor": ar.vendor,
            "quantity": "1",
            "cost_one_off": "120.00",
            "justification": "The professional edition, for the rota.",
        },
    )
    assert response.status_code == 302


def _authority_voided(world: World) -> None:
    ar = request_in(world, "awaiting_it")
    ar = workflow.perform(actor=world.users["it"], request=ar, action="more_info", note="Which?")
    response = signed_in(world, "employee").post(
        reverse("requests:edit", args=[ar.pk]),
        {
            "item": "Completely Different Product",
            "vendor": ar.vendor,
            "quantity": "1",
            "cost_one_off": "120.00",
            "justification": ar.justification,
        },
    )
    assert response.status_code == 302


def _assigned(world: World) -> None:
    ar = request_in(world, "awaiting_it")
    assert signed_in(world, "it").post(reverse("requests:assign", args=[ar.pk])).status_code == 302


def _commented(world: World) -> None:
    response = signed_in(world, "employee").post(
        reverse("requests:comment", args=[world.team.request.pk]), {"body": "Any news?"}
    )
    assert response.status_code == 302


def _attachment_added(world: World) -> None:
    response = signed_in(world, "employee").post(
        reverse("requests:upload", args=[world.team.request.pk]),
        {"file": SimpleUploadedFile("invoice.pdf", PDF)},
    )
    assert response.status_code == 302


def _item_added(world: World) -> None:
    response = signed_in(world, "it").post(
        reverse("requests:register_add"),
        {"name": "Zoom", "kind": "software", "vendor": "Zoom", "active": "on"},
    )
    assert response.status_code == 302


def _item_changed(world: World) -> None:
    response = signed_in(world, "it").post(
        reverse("requests:register_edit", args=[world.item.pk]),
        {"name": world.item.name, "kind": "software", "vendor": "Microsoft Ltd", "active": "on"},
    )
    assert response.status_code == 302


def _queue_exported(world: World) -> None:
    response = signed_in(world, "it").get(reverse("requests:queue_export"), {"q": "teams"})
    assert response.status_code == 200
    b"".join(response.streaming_content)


def _granted(world: World) -> None:
    response = signed_in(world, world.team.line_manager).post(
        reverse("acknowledgements:team_personal_use", args=[world.team.employee.pk]),
        {"internet": "on", "note": "At lunch."},
    )
    assert response.status_code == 302


def _revoked(world: World) -> None:
    response = signed_in(world, world.team.line_manager).post(
        reverse("acknowledgements:revoke_personal_use", args=[world.team.employee.pk]),
        {"note": "No longer needed."},
    )
    assert response.status_code == 302


def _question_asked(world: World) -> None:
    response = signed_in(world, "employee").post(
        reverse("acknowledgements:ask", args=[world.slug]),
        {"section": "5", "text": "Does this cover my own phone?"},
    )
    assert response.status_code == 302


def _question_answered(world: World) -> None:
    response = signed_in(world, world.team.line_manager).post(
        reverse("acknowledgements:question", args=[world.team.question.pk]),
        {"answer": "Yes, on the company network."},
    )
    assert response.status_code == 302


def _draft_created(world: World) -> None:
    other = PolicyFactory(slug="mobile-devices", title="Mobile Devices Policy")
    response = signed_in(world, "reviewer").post(
        reverse("acknowledgements:create_draft", args=[other.slug])
    )
    assert response.status_code == 302


def _draft_updated(world: World) -> None:
    response = signed_in(world, "reviewer").post(
        reverse("acknowledgements:edit_draft", args=[world.slug, world.draft.number]),
        {"body": world.version.body + "\n\nReviewed.\n", "change_summary": "A line added."},
    )
    assert response.status_code == 302


def _published(world: World) -> None:
    # A material change changes the text: the same text is asked again only on purpose.
    publishing.update_draft(
        actor=world.users["reviewer"],
        version=world.draft,
        body=world.version.body + "\n\nReviewed.\n",
        change_summary="A line added.",
    )
    response = signed_in(world, "reviewer").post(
        reverse("acknowledgements:publish", args=[world.slug, world.draft.number]),
        {"change": "material"},
    )
    assert response.status_code == 302


def _reconfirmed(world: World) -> None:
    response = signed_in(world, "reviewer").post(
        reverse("acknowledgements:reconfirm", args=[world.slug]),
        {"reason": "Confirmed each year after the review.", "confirm": "on"},
    )
    assert response.status_code == 302


def _hr_imports(world: World, lines: list[str]) -> StaffImport:
    """HR uploads ``lines`` on the page, and the import's task runs as soon as it is queued."""
    import portal.tasks  # noqa: F401  (registers the task, so that it runs rather than is sent)

    celery_app.conf.task_always_eager = True
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = signed_in(world, "hr").post(
                reverse("staff_import"),
                {"file": SimpleUploadedFile("staff.csv", "\r\n".join(lines).encode())},
            )
    finally:
        celery_app.conf.task_always_eager = False
    assert response.status_code == 302
    job = StaffImport.objects.latest("pk")
    assert job.status == StaffImport.Status.DONE
    return job


def _email_changed(world: World) -> None:
    person = world.strangers.employee
    lines = [
        "Employee number,First name,Last name,Email,Department,Job title,Line manager email,"
        "Employment type,Start date,End date",
        f"{person.employee_number},{person.first_name},{person.last_name},new.address@example.com,"
        f"{person.department.name},{person.job_title},"
        f"{person.line_manager.email if person.line_manager else ''},"
        f"{person.employment_type},{person.start_date.isoformat()},",
    ]
    assert _hr_imports(world, lines).problems == []


def _import_held(world: World) -> None:
    admin = world.users["admin"]
    lines = [
        "Employee number,First name,Last name,Email,Department,Job title,Line manager email,"
        "Employment type,Start date,End date",
        f"{admin.employee_number},{admin.first_name},{admin.last_name},hr.reads@example.com,"
        f"Residential Care,,,permanent,2024-01-15,",
    ]
    assert [p["line"] for p in _hr_imports(world, lines).problems if p["held"]] == [2]


def _exported(world: World) -> None:
    response = signed_in(world, "hr").get(
        reverse("acknowledgements:staff_export", args=[world.slug])
    )
    assert response.status_code == 200
    b"".join(response.streaming_content)


def _reminded(world: World) -> None:
    report = UserFactory(line_manager=world.team.line_manager, department=world.team.department)
    publishing.assign_outstanding(policy=world.version.policy)
    response = signed_in(world, world.team.line_manager).post(
        reverse("acknowledgements:remind", args=[world.slug, report.pk])
    )
    assert response.status_code == 302


def _overdue_reminded(world: World) -> None:
    response = signed_in(world, "hr").post(
        reverse("acknowledgements:remind_overdue", args=[world.slug]),
        {"department": str(world.team.department.pk)},
    )
    assert response.status_code == 302


def _staff_imported(world: World) -> None:
    def row(user: User, *, job_title: str, manager: User | None) -> str:
        return (
            f"{user.employee_number},{user.first_name},{user.last_name},{user.email},"
            f"{user.department.name},{job_title},{manager.email if manager else ''},"
            f"{user.employment_type},{user.start_date.isoformat()},"
        )

    strangers = world.strangers
    lines = [
        "Employee number,First name,Last name,Email,Department,Job title,Line manager email,"
        "Employment type,Start date,End date",
        # A new person in a new department.
        "E900,Nia,Rees,nia.rees@example.com,Day Services,Cook,,permanent,2024-01-15,",
        # A new job title, and nothing else.
        row(strangers.employee, job_title="Senior Support Worker", manager=strangers.line_manager),
        # A new line manager, and nothing else.
        row(strangers.budget_holder, job_title="Support Worker", manager=strangers.line_manager),
    ]
    assert [p for p in _hr_imports(world, lines).problems if not p["held"]] == []


def _import_cancelled(world: World) -> None:
    hr = world.users["hr"]
    waiting = StaffImport.objects.create(owner=hr, filename="staff.csv", data=b"")
    response = signed_in(world, "hr").post(reverse("staff_import_cancel", args=[waiting.pk]))
    assert response.status_code == 302


def _invitations_requested(world: World) -> None:
    UserFactory(last_login=None, department=world.team.department)
    response = signed_in(world, "hr").post(reverse("invite_staff"))
    assert response.status_code == 302


def _invited(world: World) -> None:
    # What the worker runs for the request above: it claims the invitations.
    UserFactory(last_login=None, department=world.team.department)
    tasks.invite_staff(world.users["hr"].pk)


def _scale_seeded(world: World) -> None:
    call_command(Command(), employees=20, force_add=True, stdout=io.StringIO())


# --- Operations, the annual review, starters and leavers ---------------------------------------
def _job_run(world: World) -> None:
    signed_in(world, "it").post(reverse("run_job", args=["staff-temporary-ending"]))


def _notification_retried(world: World) -> None:
    notification = world.team.notification
    Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.FAILED)
    signed_in(world, "it").post(reverse("retry_notification", args=[notification.pk]))


def _all_retried(world: World) -> None:
    signed_in(world, "it").post(reverse("retry_failed"))


def _review_outcome(world: World) -> None:
    # The only reviewer's outcome also completes the review.
    reviews.record_outcome(
        reviewer=world.users["reviewer"],
        review=world.review,
        outcome=PolicyReview.Result.NO_CHANGE,
        notes="Still right for the company.",
    )


def _review_opened(world: World) -> None:
    _review_outcome(world)  # the next review date is now a year away
    world.version.refresh_from_db()
    reviews.open_due_reviews(today=world.version.next_review_date - timedelta(days=30))


def _notice(world: World) -> StaffChange:
    return StaffChange.objects.get(pk=world.team.notice.pk)


def _tick(world: World, kind: str) -> None:
    notice = _notice(world)
    staff_changes.complete_task(actor=world.users["it"], task=notice.tasks.get(kind=kind))


def _notice_submitted(world: World) -> None:
    staff_changes.submit_notice(
        actor=world.users["hr"],
        details=temporary_details(
            world.team.department,
            world.team.line_manager,
            email="another.temp@example.com",
            start_date=timezone.localdate() + timedelta(days=3),
            end_date=timezone.localdate() + timedelta(days=30),
        ),
    )


def _account_made(world: World) -> None:
    _tick(world, StaffChangeTask.Kind.TEMPORARY_ACCOUNT)


def _account_linked(world: World) -> None:
    notice = _notice(world)
    # Someone returning, who last reported to the manager giving the notice.
    returner = UserFactory(email=notice.email, is_active=False, line_manager=notice.submitted_by)
    staff_changes.complete_task(
        actor=world.users["it"],
        task=notice.tasks.get(kind=StaffChangeTask.Kind.TEMPORARY_ACCOUNT),
        confirmation=staff_lifecycle.LinkConfirmation(account=returner.pk, reactivate=True),
    )


def _notice_closed(world: World) -> None:
    _account_made(world)
    _tick(world, StaffChangeTask.Kind.ACCESS_REVOKED)


def _notice_extended(world: World) -> None:
    notice = _notice(world)
    staff_changes.extend_access(
        actor=world.team.line_manager,
        notice=notice,
        end_date=notice.end_date + timedelta(days=14),
    )


def _notice_cancelled(world: World) -> None:
    staff_changes.cancel_notice(
        actor=world.team.line_manager, notice=_notice(world), reason="Given twice."
    )


def _moved(world: World) -> None:
    """HR moves the employee to the other team's manager, from today: the directory changes at
    once (and the old manager's personal-use grant ends with it)."""
    staff_changes.submit_notice(
        actor=world.users["hr"],
        details=mover_details(
            world.team.employee,
            effective_date=timezone.localdate(),
            new_line_manager=world.strangers.line_manager.email,
        ),
    )


def _deactivated(world: World) -> None:
    notice = _notice(world)
    _account_made(world)
    staff_lifecycle.end_expired_access(
        now=timezone.now() + timedelta(days=(notice.end_date - timezone.localdate()).days + 2)
    )


def _department_form(world: World, **changes: str) -> None:
    department = world.team.department
    data = {"name": department.name, "budget_holder": world.team.budget_holder.email, **changes}
    response = signed_in(world, "hr").post(reverse("department_edit", args=[department.pk]), data)
    assert response.status_code == 302


def _department_renamed(world: World) -> None:
    _department_form(world, name="Residential and Day Care")


def _budget_holder_changed(world: World) -> None:
    _department_form(world, budget_holder=world.team.line_manager.email)


def _deputy_changed(world: World) -> None:
    today = timezone.localdate()
    _department_form(
        world,
        deputy=world.team.line_manager.email,
        deputy_from=today.isoformat(),
        deputy_to=(today + timedelta(days=5)).isoformat(),
    )


FLOWS: dict[str, Callable[[World], None]] = {
    "auth.login": _login,
    "auth.logout": _logout,
    "auth.oidc_linked": _oidc_linked,
    "auth.oidc_refused": _oidc_refused,
    "auth.login_failed": _login_failed,
    "auth.locked_out": _locked_out,
    "auth.password_changed": _password_changed,
    "auth.password_reset": _password_reset,
    "auth.password_set_from_letter": _password_set_from_letter,
    "auth.letter_code_refused": _letter_code_refused,
    "user.letter_printed": _letter_printed,
    "auth.permission_denied": _permission_denied,
    "auth.password_reset_requested": _password_reset_requested,
    "auth.password_reset_throttled": _password_reset_throttled,
    "auth.address_throttled": _address_throttled,
    "auth.not_found": _not_found,
    "receipt.check_throttled": _receipt_check_throttled,
    "policy.signed": _signed,
    "request.submitted": _submitted,
    "request.budget_approve": lambda w: act(w, w.team.budget_holder, "awaiting_budget",
                                            "budget_approve"),
    "request.budget_reject": lambda w: act(w, w.team.budget_holder, "awaiting_budget",
                                           "budget_reject", "Not this year."),
    "request.budget_more_info": lambda w: act(w, w.team.budget_holder, "awaiting_budget",
                                              "budget_more_info", "Which edition?"),
    "request.approve": lambda w: act(w, w.users["it"], "awaiting_it", "approve"),
    "request.reject": lambda w: act(w, w.users["it"], "awaiting_it", "reject", "Unsupported."),
    "request.more_info": lambda w: act(w, w.users["it"], "awaiting_it", "more_info", "Why?"),
    "request.resubmit": lambda w: act(w, w.team.employee, "more_info", "resubmit"),
    "request.edited": _edited_and_resubmitted,
    "request.authority_voided": _authority_voided,
    "request.withdraw": lambda w: act(w, w.team.employee, "awaiting_budget", "withdraw"),
    "request.fulfil": lambda w: act(w, w.users["it"], "approved", "fulfil", "Installed."),
    "request.assigned": _assigned,
    "request.commented": _commented,
    "request.attachment_added": _attachment_added,
    "catalogue.item_added": _item_added,
    "catalogue.item_changed": _item_changed,
    "personal_use.granted": _granted,
    "personal_use.revoked": _revoked,
    "policy.question_asked": _question_asked,
    "policy.question_answered": _question_answered,
    "policy.draft_created": _draft_created,
    "policy.draft_updated": _draft_updated,
    "policy.version_published": _published,
    "policy.reconfirmation_requested": _reconfirmed,
    "policy.status_exported": _exported,
    "request.queue_exported": _queue_exported,
    "policy.reminder_sent": _reminded,
    "policy.overdue_reminders_requested": _overdue_reminded,
    "staff.imported": _staff_imported,
    "staff.invitations_requested": _invitations_requested,
    "staff.invited": _invited,
    "staff.import_queued": _staff_imported,
    "staff.import_cancelled": _import_cancelled,
    "user.imported": _staff_imported,
    "user.updated": _staff_imported,
    "user.line_manager_changed": _staff_imported,
    "department.created": _staff_imported,
    "department.renamed": _department_renamed,
    "department.budget_holder_changed": _budget_holder_changed,
    "department.deputy_changed": _deputy_changed,
    # The employee's cost, waiting for the budget holder, goes to the deputy deciding from today.
    "request.authority_moved": _deputy_changed,
    "user.email_changed": _email_changed,
    "user.import_held": _import_held,
    "people.scale_seeded": _scale_seeded,
    "job.run_requested": _job_run,
    "notification.retried": _notification_retried,
    "notification.retried_all": _all_retried,
    "policy.review_outcome": _review_outcome,
    "policy.review_completed": _review_outcome,
    "policy.review_opened": _review_opened,
    "staff_change.submitted": _notice_submitted,
    "staff_change.task_completed": _account_made,
    "staff_change.invitation_sent": _account_made,
    "staff_change.closed": _notice_closed,
    "staff_change.extended": _notice_extended,
    "staff_change.cancelled": _notice_cancelled,
    "staff_change.moved": _moved,
    "user.created": _account_made,
    "user.linked": _account_linked,
    "user.deactivated": _deactivated,
}  # fmt: skip


# The flows that type a password.
PASSWORD_FLOWS = (
    _login,
    _login_failed,
    _locked_out,
    _password_changed,
    _password_reset,
    _password_set_from_letter,
    _letter_code_refused,
    _signed,
    _logout,
)
