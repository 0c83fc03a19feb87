"""Hypothesis types into every form, through the real pages, as the person the form is for.

Each test sends at least 200 examples (the "portal" profile in conftest.py): plausible values,
junk, and the classics (NUL bytes, huge numbers, impossible dates, markup, very long text).
Every answer keeps the rule in fuzzing.py: no server error, and the step either happened
completely or changed nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import strategies as st

from acknowledgements import chain, documents, grants, publishing
from acknowledgements.models import Acknowledgement, Assignment, PolicyVersion, Question
from portal.models import AuditEvent, Notification, User
from requests import workflow
from requests.models import AuthorisationRequest, CatalogueItem, Comment
from tests.factories import PASSWORD, UserFactory
from tests.security.fuzzing import (
    check_outcome,
    checkbox,
    choice,
    example,
    form,
    fuzz,
    last_event,
    near,
    text,
)
from tests.security.world import World, state

TODAY = date.today()
DATES = st.one_of(
    st.dates(min_value=date(1, 1, 1)).map(lambda d: d.isoformat()),
    st.dates(min_value=TODAY - timedelta(days=3), max_value=TODAY + timedelta(days=400)).map(
        lambda d: d.strftime("%d/%m/%Y")
    ),
    text(20),
)
AMOUNTS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "0", "12.50", "£1,299.99", "-5", "0.001", "100000000"]),
    text(20),
)
NUMBERS = st.one_of(st.integers().map(str), st.sampled_from(["", "1", "2", "0", "-1"]), text(10))
AXES_TABLES = frozenset({"axes.accessattempt", "axes.accessfailurelog", "axes.accesslog"})
THROTTLE_TABLES = frozenset({"portal.throttlewindow"})


def post(world_user: User | None, url: str, data: dict, **check: object) -> bool:
    with example(world_user) as client:
        before, since = state(), last_event()
        response = client.post(url, data)
        return check_outcome(response, before=before, since=since, **check)


def get(world_user: User | None, url: str, params: dict) -> None:
    """A page that only reads: no error, nothing recorded (the permission matrix shows that no
    GET changes a table, so the snapshots are left out here to keep the run short)."""
    with example(world_user) as client:
        since = last_event()
        response = client.get(url, params)
        assert response.status_code < 500, response.status_code
        assert not AuditEvent.objects.filter(pk__gt=since).exists()


# --- Signing in and passwords ----------------------------------------------------------------
@fuzz(data=form(username=choice("employee@residential.care.example"), password=text(80)))
def test_sign_in(world: World, data: dict) -> bool | None:
    with example(None) as client:
        before, since = state(), last_event()
        response = client.post(reverse("login"), data)
        done = check_outcome(
            response,
            before=before,
            since=since,
            done_when="auth.login",
            # failures are counted; last sign-in kept
            ignore=AXES_TABLES | THROTTLE_TABLES | {"portal.user"},
        )
        assert done == ("_auth_user_id" in client.session)
        return done


NEW = "a-new-long-passphrase-for-spring"


@fuzz(
    data=form(old_password=choice(PASSWORD), new_password1=choice(NEW), new_password2=choice(NEW))
)
def test_change_password(world: World, data: dict) -> bool | None:
    user = world.team.employee

    def changed() -> None:
        user.refresh_from_db()
        assert user.check_password(data["new_password1"])
        assert Notification.objects.filter(recipient=user, kind="password-changed").exists()

    return post(
        user,
        reverse("password_change"),
        data,
        done_when="auth.password_changed",
        check_done=changed,
    )


@fuzz(data=form(email=choice("employee@residential.care.example", "nobody@example.com")))
def test_ask_for_a_password_reset(world: World, data: dict) -> bool | None:
    # A known address gets its link through the outbox; any address counts towards the limits.
    def queued() -> None:
        assert Notification.objects.filter(kind="password-reset").exists()

    return post(
        None,
        reverse("password_reset"),
        data,
        done_when="auth.password_reset_requested",
        check_done=queued,
        ignore=THROTTLE_TABLES,
    )


@fuzz(data=form(new_password1=choice(NEW), new_password2=choice(NEW)))
def test_set_a_new_password_from_a_reset_link(world: World, data: dict) -> bool | None:
    user = User.objects.get(pk=world.team.employee.pk)
    link = reverse(
        "password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ],
    )
    with example(None) as client:
        form_page = client.get(link)
        assert form_page.status_code == 302
        before, since = state(), last_event()
        response = client.post(form_page["Location"], data)

        def reset() -> None:
            user.refresh_from_db()
            assert user.check_password(data["new_password1"])

        return check_outcome(
            response, before=before, since=since, done_when="auth.password_reset", check_done=reset
        )


# --- Signing and reading policies ------------------------------------------------------------
@fuzz(
    data=near(
        {"version": "1", "printed_name": "FULL NAME", "password": PASSWORD, "agree": "on"},
        version=choice("1", "2"),
        printed_name=choice("FULL NAME"),
        password=choice(PASSWORD),
        agree=checkbox(),
    )
)
def test_sign_the_policy(world: World, data: dict) -> bool | None:
    manager = world.team.line_manager  # has not signed yet
    if data.get("printed_name") == "FULL NAME":
        data["printed_name"] = manager.full_name

    def signed() -> None:
        ack = Acknowledgement.objects.get(user=manager, version=world.version)
        assert Assignment.objects.filter(acknowledgement=ack).count() == 1
        assert Notification.objects.filter(dedupe_key=f"receipt:{ack.pk}").exists()
        records = Acknowledgement.objects.order_by("sequence")
        bodies = dict(PolicyVersion.objects.values_list("pk", "body"))
        assert chain.verify(records.iterator(), bodies).ok

    # A wrong password counts towards the sign-in lockout, as on the sign-in page.
    return post(
        manager,
        reverse("acknowledgements:sign", args=[world.slug]),
        data,
        done_when="policy.signed",
        check_done=signed,
        ignore=AXES_TABLES,
    )


@fuzz(params=form(reference=text(250)))
def test_verify_a_receipt(world: World, params: dict) -> bool | None:
    get(world.team.employee, reverse("acknowledgements:verify"), params)


# --- Policy reviewers --------------------------------------------------------------------------
@fuzz(data=form(body=st.one_of(text(2000), st.just("SEED")), change_summary=text(500)))
def test_edit_a_draft(world: World, data: dict) -> bool | None:
    if data.get("body") == "SEED":
        data["body"] = world.version.body + "\n\nOne more sentence.\n"

    def saved() -> None:
        draft = PolicyVersion.objects.get(pk=world.draft.pk)
        assert draft.body == documents.canonical_text(data["body"])
        assert draft.change_summary == data.get("change_summary", "").strip()

    return post(
        world.users["reviewer"],
        reverse("acknowledgements:edit_draft", args=[world.slug, world.draft.number]),
        data,
        done_when="policy.draft_updated",
        check_done=saved,
    )


@fuzz(data=form(change=choice("material", "minor")))
def test_publish_a_version(world: World, data: dict) -> bool | None:
    def published() -> None:
        draft = PolicyVersion.objects.get(pk=world.draft.pk)
        assert draft.status == PolicyVersion.Status.PUBLISHED
        assert PolicyVersion.objects.get(pk=world.version.pk).status == "superseded"
        if data["change"] == "material":
            active = User.objects.filter(is_active=True).count()
            assert draft.assignments.count() == active

    return post(
        world.users["reviewer"],
        reverse("acknowledgements:publish", args=[world.slug, world.draft.number]),
        data,
        done_when="policy.version_published",
        check_done=published,
    )


# --- Questions and personal use ----------------------------------------------------------------
@fuzz(data=form(section=choice("", "5", "4.1", "99"), text=text(2500)))
def test_ask_a_question(world: World, data: dict) -> bool | None:
    employee = world.team.employee

    def asked() -> None:
        question = Question.objects.filter(asked_by=employee).latest("pk")
        assert question.text == data["text"].strip()
        assert Notification.objects.filter(recipient=world.team.line_manager).exists()

    return post(
        employee,
        reverse("acknowledgements:ask", args=[world.slug]),
        data,
        done_when="policy.question_asked",
        check_done=asked,
    )


@fuzz(data=form(answer=text(2500)))
def test_answer_a_question(world: World, data: dict) -> bool | None:
    def answered() -> None:
        question = Question.objects.get(pk=world.team.question.pk)
        assert question.answered_at is not None
        assert question.answer == data["answer"].strip()

    return post(
        world.team.line_manager,
        reverse("acknowledgements:question", args=[world.team.question.pk]),
        data,
        done_when="policy.question_answered",
        check_done=answered,
    )


@fuzz(
    data=form(
        email=checkbox(), internet=checkbox(), telephone=checkbox(), expires_on=DATES, note=text()
    )
)
def test_grant_personal_use(world: World, data: dict) -> bool | None:
    employee = world.team.employee

    def granted() -> None:
        grant = grants.current_grant_for(employee)
        assert grant is not None
        assert grant.granted_by == world.team.line_manager
        assert grant.note == data.get("note", "").strip()

    return post(
        world.team.line_manager,
        reverse("acknowledgements:team_personal_use", args=[employee.pk]),
        data,
        done_when="personal_use.granted",
        check_done=granted,
    )


@fuzz(data=form(note=text()))
def test_revoke_personal_use(world: World, data: dict) -> bool | None:
    employee = world.team.employee

    def revoked() -> None:
        assert grants.current_grant_for(employee) is None

    return post(
        world.team.line_manager,
        reverse("acknowledgements:revoke_personal_use", args=[employee.pk]),
        data,
        done_when="personal_use.revoked",
        check_done=revoked,
    )


# Whatever comes back, the reminder goes: the return address is only where to go afterwards.
@fuzz(data=form(back=st.one_of(text(), st.just("status=overdue&page=2"))), can_refuse=False)
def test_remind_a_report(world: World, data: dict) -> bool | None:
    report = User.objects.filter(email="unsigned.report@example.com").first() or UserFactory(
        email="unsigned.report@example.com",
        line_manager=world.team.line_manager,
        department=world.team.department,
    )
    publishing.assign_outstanding(policy=world.version.policy)

    def reminded() -> None:
        assert Notification.objects.filter(recipient=report, kind="policy-reminder").exists()

    return post(
        world.team.line_manager,
        reverse("acknowledgements:remind", args=[world.slug, report.pk]),
        data,
        done_when="policy.reminder_sent",
        check_done=reminded,
    )


@fuzz(
    params=form(
        q=text(80),
        status=choice("", "signed", "due", "overdue", "unassigned"),
        version=NUMBERS,
        department=NUMBERS,
        manager=NUMBERS,
        employment_type=choice("", "permanent", "contractor"),
        started_from=DATES,
        started_to=DATES,
        after=text(80),
        sort=text(20),
    )
)
def test_filter_and_export_signature_status(world: World, params: dict) -> bool | None:
    hr = world.users["hr"]
    get(hr, reverse("acknowledgements:staff_list", args=[world.slug]), params)
    with example(hr) as client:
        export = client.get(reverse("acknowledgements:staff_export", args=[world.slug]), params)
        assert export.status_code == 200
        b"".join(export.streaming_content)


@fuzz(params=form(sort=text(30), page=NUMBERS, department=NUMBERS, action=text(80)))
def test_lists_with_query_strings(world: World, params: dict) -> bool | None:
    hr = world.users["hr"]
    for name in (
        "acknowledgements:dashboard",
        "acknowledgements:all_personal_use",
        "audit_log",
        "inbox",
        "requests:mine",
    ):
        get(hr, reverse(name), params)


# --- IT requests -----------------------------------------------------------------------------
REQUEST_FIELDS = {
    "item": choice("Notepad++", "Microsoft Teams"),
    "vendor": text(),
    "version_or_model": text(),
    "link": choice("https://example.com/download", "ftp://example.com", "example.com"),
    "quantity": NUMBERS,
    "cost_one_off": AMOUNTS,
    "cost_recurring": AMOUNTS,
    "recurring_period": choice("", "monthly", "yearly"),
    "licence_type": text(),
    "justification": choice("For the rota."),
    "device": text(),
    "needed_by": DATES,
}
# Valid for every kind: each form takes the fields it has.
VALID_REQUEST = {
    "item": "Notepad++",
    "justification": "For the rota.",
    "quantity": "1",
    "link": "https://example.com/download",
    "cost_recurring": "9.99",
    "recurring_period": "monthly",
}
KINDS = ("software", "hardware", "download", "subscription")


@fuzz(
    kind=st.one_of(st.sampled_from(KINDS), st.from_regex(r"[a-z0-9._~-]{1,20}", fullmatch=True)),
    data=near(VALID_REQUEST, **REQUEST_FIELDS),
)
def test_make_a_request(world: World, kind: str, data: dict) -> bool | None:
    employee = world.team.employee

    def filed() -> None:
        ar = AuthorisationRequest.objects.filter(requester=employee).latest("pk")
        assert ar.item == data["item"].strip()
        assert ar.events.filter(action="submitted").count() == 1
        assert ar.state in {"awaiting_budget", "awaiting_it"}
        assert (ar.state == "awaiting_budget") == (ar.has_cost and ar.budget_approved_at is None)

    if kind not in KINDS:
        with example(employee) as client:
            assert client.post(reverse("requests:new", args=[kind]), data).status_code == 404
        return
    return post(
        employee,
        reverse("requests:new", args=[kind]),
        data,
        done_when="request.submitted",
        check_done=filed,
    )


@fuzz(data=near(VALID_REQUEST, **REQUEST_FIELDS))
def test_change_a_request_when_asked(world: World, data: dict) -> bool | None:
    employee = world.team.employee
    ar = world.team.request
    if ar.state != "more_info":
        ar = workflow.perform(
            actor=world.team.budget_holder, request=ar, action="budget_more_info", note="Which?"
        )
        world.team.request = ar

    def resubmitted() -> None:
        fresh = AuthorisationRequest.objects.get(pk=ar.pk)
        assert fresh.state != "more_info"
        assert fresh.item == data["item"].strip()
        assert fresh.events.filter(action="resubmit").count() == 1

    return post(
        employee,
        reverse("requests:edit", args=[ar.pk]),
        data,
        done_when="request.resubmit",
        check_done=resubmitted,
    )


@fuzz(
    who=st.sampled_from(["budget_holder", "employee", "it"]),
    data=form(
        action=choice(*workflow.TRANSITIONS),
        note=text(),
        conditions=text(),
        add_to_register=checkbox(),
    ),
)
def test_take_a_step_on_a_request(world: World, who: str, data: dict) -> bool | None:
    user = world.team.budget_holder if who == "budget_holder" else world.users[who]
    ar = world.team.request
    before_state = ar.state

    def moved() -> None:
        fresh = AuthorisationRequest.objects.get(pk=ar.pk)
        assert fresh.state != before_state
        assert fresh.events.filter(action=data["action"]).count() == 1

    return post(
        user,
        reverse("requests:act", args=[ar.pk]),
        data,
        done_when=f"request.{data.get('action')}",
        check_done=moved,
    )


@fuzz(who=st.sampled_from(["employee", "it"]), data=form(body=text(5100), internal=checkbox()))
def test_comment_on_a_request(world: World, who: str, data: dict) -> bool | None:
    user = world.users[who]

    def added() -> None:
        comment = Comment.objects.filter(author=user).latest("pk")
        assert comment.body == data["body"].strip()
        ticked = forms.CheckboxInput().value_from_datadict(data, {}, "internal")
        assert comment.internal == (who == "it" and ticked)

    return post(
        user,
        reverse("requests:comment", args=[world.team.request.pk]),
        data,
        done_when="request.commented",
        check_done=added,
    )


@fuzz(
    params=form(
        state=choice("", "awaiting_it", "all", "open"),
        kind=choice("", "software"),
        department=NUMBERS,
        assignee=choice("", "me", "none"),
        older_than=NUMBERS,
        after=text(80),
        q=text(80),
        withdrawn=checkbox(),
        page=NUMBERS,
    )
)
def test_search_the_queue_and_the_register(world: World, params: dict) -> bool | None:
    it = world.users["it"]
    get(it, reverse("requests:queue"), params)
    get(it, reverse("requests:register"), params)
    get(world.team.employee, reverse("requests:new", args=["software"]), params)


ITEM_FIELDS = {
    "name": choice("Zoom", "Microsoft Teams"),
    "kind": choice("software", "hardware", "download", "subscription"),
    "vendor": text(),
    "versions": text(),
    "notes": text(1000),
    "active": checkbox(),
}


@fuzz(data=form(**ITEM_FIELDS))
def test_add_to_the_register(world: World, data: dict) -> bool | None:
    def added() -> None:
        item = CatalogueItem.objects.latest("pk")
        assert item.name == " ".join(data["name"].split())

    return post(
        world.users["it"],
        reverse("requests:register_add"),
        data,
        done_when="catalogue.item_added",
        check_done=added,
    )


@fuzz(data=form(**ITEM_FIELDS))
def test_change_a_register_entry(world: World, data: dict) -> bool | None:
    def changed() -> None:
        item = CatalogueItem.objects.get(pk=world.item.pk)
        assert item.name == " ".join(data["name"].split())

    return post(
        world.users["it"],
        reverse("requests:register_edit", args=[world.item.pk]),
        data,
        done_when="catalogue.item_changed",
        check_done=changed,
    )


# --- The staff directory -----------------------------------------------------------------------
HEADER = (
    "Employee number,First name,Last name,Email,Department,Job title,Line manager email,"
    "Employment type,Start date,End date"
)
CSV_CELL = st.one_of(
    st.sampled_from(
        [
            "E900",
            "Nia",
            "Rees",
            "nia@example.com",
            "Day Services",
            "permanent",
            "2024-01-15",
            "15/01/2024",
            "",
        ]
    ),
    text(30),
)


@fuzz(
    rows=st.lists(st.lists(CSV_CELL, min_size=8, max_size=11), max_size=4),
    header=st.sampled_from([HEADER, HEADER.lower(), "", "a,b,c"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]),
)
def test_import_the_staff_directory(
    world: World, rows: list, header: str, encoding: str
) -> bool | None:
    lines = [header, *(",".join(cell.replace(",", " ") for cell in row) for row in rows)]
    try:
        content = "\r\n".join(lines).encode(encoding)
    except UnicodeEncodeError:
        content = "\r\n".join(lines).encode("utf-8", "replace")

    def imported() -> None:
        for user in User.objects.filter(employee_number__in=[r[0] for r in rows if r]):
            user.full_clean(exclude=["password"])  # every person imported is whole

    return post(
        world.users["hr"],
        reverse("staff_import"),
        {"file": SimpleUploadedFile("staff.csv", content, content_type="text/csv")},
        done_when="staff.imported",
        check_done=imported,
    )


# --- Starters, leavers and temporary workers ---------------------------------------------------
DEPARTMENT = "the team's department"  # stands for its id, which the world decides


def _with_department(world: World, data: dict) -> dict:
    if data.get("department") == DEPARTMENT:
        return {**data, "department": str(world.team.department.pk)}
    return data


def _notice_form(**extra: st.SearchStrategy) -> st.SearchStrategy[dict[str, object]]:
    return form(
        first_name=st.one_of(st.just("Sam"), text(200)),
        last_name=st.one_of(st.just("Taylor"), text(200)),
        email=choice("sam.taylor@example.com", "employee@residential.care.example"),
        employee_number=st.one_of(st.none(), text(40)),
        department=st.one_of(st.just(DEPARTMENT), st.none(), NUMBERS),
        job_title=st.one_of(st.none(), text(200)),
        start_date=DATES,
        systems=st.one_of(st.just("Care records, email"), text()),
        equipment=st.one_of(st.just("Phone"), text()),
        notes=text(),
        **extra,
    )


@fuzz(data=_notice_form())
def test_give_notice_of_a_starter(world: World, data: dict) -> bool | None:
    return post(
        world.team.line_manager,
        reverse("requests:staff_change_new", args=["starter"]),
        _with_department(world, data),
        done_when="staff_change.submitted",
    )


@fuzz(
    data=_notice_form(
        end_date=st.one_of(st.just((TODAY + timedelta(days=500)).isoformat()), DATES),
        line_manager_email=choice("manager@residential.care.example"),
    )
)
def test_give_notice_of_a_temporary_worker(world: World, data: dict) -> bool | None:
    return post(
        world.users["hr"],
        reverse("requests:staff_change_new", args=["temporary"]),
        _with_department(world, data),
        done_when="staff_change.submitted",
    )


@fuzz(data=form(end_date=DATES))
def test_extend_a_temporary_workers_access(world: World, data: dict) -> bool | None:
    return post(
        world.team.line_manager,
        reverse("requests:staff_change_extend", args=[world.team.notice.pk]),
        data,
        done_when="staff_change.extended",
    )


@fuzz(data=form(reason=text(2500)))
def test_cancel_a_notice(world: World, data: dict) -> bool | None:
    return post(
        world.team.line_manager,
        reverse("requests:staff_change_cancel", args=[world.team.notice.pk]),
        data,
        done_when="staff_change.cancelled",
    )


@fuzz(data=form(note=text(2500)))
def test_tick_off_a_checklist_task(world: World, data: dict) -> bool | None:
    notice = world.team.notice
    task = notice.tasks.order_by("pk")[0]
    return post(
        world.users["it"],
        reverse("requests:staff_change_task", args=[notice.pk, task.pk]),
        data,
        done_when="staff_change.task_completed",
    )


RETURNER = "the returner's account"


@fuzz(
    data=near(
        {"account": RETURNER, "reactivate": "yes", "same_person": "on", "note": "Checked."},
        account=st.one_of(NUMBERS, st.just(RETURNER)),
        reactivate=choice("yes", "no"),
        same_person=checkbox(),
        note=text(2500),
    )
)
def test_confirm_a_link_to_an_existing_account(world: World, data: dict) -> bool | None:
    notice = world.team.notice
    with example(world.users["it"]) as client:
        # Someone returning, who last reported to the manager who gave the notice.
        returner = UserFactory(
            email=notice.email,
            employee_number=None,
            is_active=False,
            line_manager=notice.submitted_by,
        )
        if data.get("account") == RETURNER:
            data = {**data, "account": str(returner.pk)}
        before, since = state(), last_event()
        response = client.post(reverse("requests:staff_change_link", args=[notice.pk]), data)
        return check_outcome(response, before=before, since=since, done_when="user.linked")


# --- The annual review ---------------------------------------------------------------------------
@fuzz(data=form(outcome=choice("no_change", "changes_needed"), notes=text(5000)))
def test_record_a_review_outcome(world: World, data: dict) -> bool | None:
    return post(
        world.users["reviewer"],
        reverse("acknowledgements:review", args=[world.review.pk]),
        data,
        done_when="policy.review_outcome",
    )
