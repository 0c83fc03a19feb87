"""Starters, leavers and temporary workers: HR's and managers' notices, IT's board and checklist.

Employees see none of it (403). A notice the viewer may not see is a 404: IT and HR see every
notice, a manager those for their own reports. Only IT ticks off tasks.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import permissions as roles
from portal.idempotency import once
from requests import permissions, staff_changes, staff_checklist, staff_lifecycle, staff_selectors
from requests.forms_staff import (
    FORMS,
    CancelForm,
    ExtendForm,
    LinkForm,
    ListFilterForm,
    TaskForm,
)
from requests.models import StaffChange, StaffChangeTask

PAGE_SIZE = 50
KIND_INTROS = {
    StaffChange.Kind.STARTER: "Someone joining: IT prepares their account and equipment before "
    "their first day, and they sign the policy within 7 days of starting.",
    StaffChange.Kind.LEAVER: "Someone leaving: IT removes their access on their last day and "
    "collects their equipment within 5 working days.",
    StaffChange.Kind.TEMPORARY: "Agency or temporary staff who need IT systems: their account "
    "ends by itself on the access end date, unless you extend it.",
}


TASK_LABELS = dict(StaffChangeTask.Kind.choices)


def _describe(event) -> str:  # an AuditEvent of the notice
    data = event.data or {}
    if event.action == "staff_change.task_completed":
        label = f"Ticked off: {TASK_LABELS.get(data.get('task'), data.get('task'))}"
        return label + (" (override: policy not signed)" if data.get("override") else "")
    if event.action == "staff_change.extended":
        return f"Access extended from {data.get('from')} to {data.get('to')}"
    return {
        "staff_change.submitted": "Notice given to IT",
        "staff_change.closed": "Closed: every task done",
        "staff_change.cancelled": "Cancelled",
        "staff_change.invitation_sent": "Sign-in invitation sent",
    }.get(event.action, event.action)


def _page(request: HttpRequest, rows) -> object:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@require_GET
@roles.role_required(
    permissions.can_list_notices,
    "Only HR, line managers and IT see notices of starters and leavers.",
)
def notices(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ListFilterForm(request.GET)
    filters = form.filters()
    return render(
        request,
        "requests/staff/notices.html",
        {
            "form": form,
            "page": _page(request, staff_selectors.listed(user, **filters)),
            "can_submit": permissions.can_submit_notice(user),
            "sees_all": permissions.sees_every_notice(user),
        },
    )


@require_GET
@roles.role_required(
    permissions.can_submit_notice, "Only HR and line managers notify IT of starters and leavers."
)
def choose_kind(request: HttpRequest) -> HttpResponse:
    kinds = [(value, label, KIND_INTROS[value]) for value, label in StaffChange.Kind.choices]
    return render(request, "requests/staff/choose_kind.html", {"kinds": kinds})


@require_http_methods(["GET", "POST"])
@once
@roles.role_required(
    permissions.can_submit_notice, "Only HR and line managers notify IT of starters and leavers."
)
def new_notice(request: HttpRequest, kind: str) -> HttpResponse:
    user = request.user
    # Not ``FORMS.get``: bandit reads a ``.get`` on a name from this ``requests`` package as the
    # HTTP library's call without a timeout.
    if kind not in FORMS:
        raise Http404("No such kind of notice.")
    form_class = FORMS[kind]
    hr = roles.is_hr(user)
    form = form_class(request.POST if request.method == "POST" else None, hr=hr)
    if request.method == "POST" and form.is_valid():
        try:
            notice = staff_changes.submit_notice(actor=user, details=form.details())
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(
                request, f"{notice.reference} has gone to the IT Department. You will be told "
                "when their checklist is done.",
            )  # fmt: skip
            return redirect("requests:staff_change", notice.pk)
    return render(
        request,
        "requests/staff/new_notice.html",
        {
            "form": form,
            "kind": kind,
            "label": StaffChange.Kind(kind).label,
            "intro": KIND_INTROS[kind],
            "hr": hr,
        },
    )


def _render(
    request: HttpRequest,
    notice: StaffChange,
    *,
    bound_task: TaskForm | None = None,
    extend_form: ExtendForm | None = None,
    cancel_form: CancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    it = permissions.can_work_staff_board(user)
    can_change = permissions.can_change_notice(user, notice) and notice.is_open
    today = timezone.localdate()
    tasks = staff_selectors.tasks_of(notice)
    for task in tasks:
        task.hint = staff_checklist.hint(notice.kind, task.kind)
        task.overdue = not task.is_done and task.due_date < today
        task.form = None
        if it and notice.is_open and not task.is_done:
            same = bound_task is not None and bound_task.task.pk == task.pk
            task.form = bound_task if same else TaskForm(task=task)
    events = staff_selectors.history(notice)
    for event in events:
        event.label = _describe(event)
    person = notice.person
    leaving = notice.kind in (StaffChange.Kind.LEAVER, StaffChange.Kind.TEMPORARY)
    context = {
        "notice": notice,
        "tasks": tasks,
        "is_it": it,
        "policy": staff_selectors.policy_state(person)
        if person and notice.kind == StaffChange.Kind.STARTER
        else None,
        "holdings": staff_selectors.holdings(person) if person and leaving else None,
        "extend_form": (extend_form or ExtendForm())
        if can_change
        and notice.kind == StaffChange.Kind.TEMPORARY
        and notice.account_ended_at is None
        else None,
        "cancel_form": (cancel_form or CancelForm())
        if permissions.can_cancel_notice(user, notice) and notice.is_open
        else None,
        "can_invite": it and person is not None and staff_lifecycle.needs_invitation(person),
        "events": events,
    }
    return render(request, "requests/staff/detail.html", context, status=status)


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, staff_selectors.notice_for(request.user, pk))


@require_POST
def complete_task(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    notice = staff_selectors.notice_for(request.user, pk)
    if not permissions.can_work_staff_board(request.user):
        raise PermissionDenied("Only the IT Department ticks off checklist tasks.")
    task = staff_selectors.task_for(notice, task_pk)
    form = TaskForm(request.POST, task=task)
    if not form.is_valid():
        return _render(request, notice, bound_task=form)
    try:
        staff_changes.complete_task(
            actor=request.user,
            task=task,
            note=form.cleaned_data["note"],
            override_reason=form.cleaned_data.get("override_reason", ""),
        )
    except staff_changes.LinkNeedsConfirmation:
        # Someone already in the directory: nothing is linked until IT has seen the differences.
        return _render_link(request, notice, task, note=form.cleaned_data["note"])
    except staff_changes.TaskRefused as exc:
        form.add_error(None, str(exc))
        notice.refresh_from_db()
        return _render(request, notice, bound_task=form)
    notice.refresh_from_db()
    done = f"“{task.get_kind_display()}” is ticked off."
    if task.kind in staff_checklist.ACCOUNT_TASKS and notice.person_id:
        done += f" {notice.full_name}'s portal account is ready and they have been invited."
    if notice.state == StaffChange.State.CLOSED:
        done += f" Every task is done: {notice.reference} is closed and the manager told."
    messages.success(request, done)
    return redirect("requests:staff_change", notice.pk)


def _account_task(notice: StaffChange) -> StaffChangeTask | None:
    return notice.tasks.filter(kind__in=staff_checklist.ACCOUNT_TASKS).first()


def _render_link(
    request: HttpRequest,
    notice: StaffChange,
    task: StaffChangeTask,
    *,
    form: LinkForm | None = None,
    note: str = "",
    problem: str = "",
) -> HttpResponse:
    """The page that shows the notice beside the existing account, before IT confirms."""
    try:
        preview = staff_lifecycle.link_preview(notice)
    except staff_lifecycle.AccountConflict as exc:
        messages.error(request, str(exc))
        return redirect("requests:staff_change", notice.pk)
    if preview is None:
        messages.info(
            request,
            "No account in the staff directory has this notice's email address or employee "
            "number: ticking off the task creates a new one.",
        )
        return redirect("requests:staff_change", notice.pk)
    if form is None:
        form = LinkForm(preview=preview, initial={"note": note})
    return render(
        request,
        "requests/staff/link_account.html",
        {
            "notice": notice,
            "task": task,
            "preview": preview,
            "form": form,
            "blocked": preview.reactivate and bool(preview.roles),
            "problem": problem,
        },
    )


@require_http_methods(["GET", "POST"])
def link_account(request: HttpRequest, pk: int) -> HttpResponse:
    """IT confirms that the notice is about an account already in the directory."""
    notice = staff_selectors.notice_for(request.user, pk)
    if not permissions.can_work_staff_board(request.user):
        raise PermissionDenied("Only the IT Department links a notice to a portal account.")
    task = _account_task(notice)
    if task is None or task.is_done or not notice.is_open:
        messages.info(request, f"{notice.reference} has no account task waiting.")
        return redirect("requests:staff_change", notice.pk)
    if request.method == "GET":
        return _render_link(request, notice, task)
    try:
        preview = staff_lifecycle.link_preview(notice)
    except staff_lifecycle.AccountConflict:
        preview = None
    if preview is None:
        return _render_link(request, notice, task)  # says why and goes back to the notice
    form = LinkForm(request.POST, preview=preview)
    if not form.is_valid():
        return _render_link(request, notice, task, form=form)
    try:
        staff_changes.complete_task(
            actor=request.user,
            task=task,
            note=form.cleaned_data["note"],
            confirmation=form.confirmation(),
        )
    except staff_changes.LinkNeedsConfirmation:
        return _render_link(
            request,
            notice,
            task,
            note=form.cleaned_data["note"],
            problem="The staff directory has changed since this page was shown. Check the "
            "differences again before you confirm.",
        )
    except staff_changes.TaskRefused as exc:
        return _render_link(request, notice, task, form=form, problem=str(exc))
    notice.refresh_from_db()
    person = notice.person
    if notice.account_action == StaffChange.AccountAction.REACTIVATED:
        done = f"{person.full_name}'s account is reactivated with the notice's details"
    else:
        done = (
            f"{notice.reference} is linked to {person.full_name}'s account; none of its "
            "details changed"
        )
    if staff_lifecycle.needs_invitation(person):
        done += ", and they have been invited to choose a password"
    messages.success(request, done + ".")
    return redirect("requests:staff_change", notice.pk)


@require_POST
def extend(request: HttpRequest, pk: int) -> HttpResponse:
    notice = staff_selectors.notice_for(request.user, pk)
    if not permissions.can_change_notice(request.user, notice):
        raise PermissionDenied("Only the worker's line manager or HR can extend their access.")
    form = ExtendForm(request.POST)
    if form.is_valid():
        try:
            notice = staff_changes.extend_access(
                actor=request.user, notice=notice, end_date=form.cleaned_data["end_date"]
            )
        except staff_changes.TaskRefused as exc:
            form.add_error("end_date", str(exc))
        else:
            messages.success(
                request,
                f"{notice.full_name}'s access now ends on {date_format(notice.end_date, 'j F Y')}. "
                "IT has been told.",
            )
            return redirect("requests:staff_change", notice.pk)
    return _render(request, notice, extend_form=form)


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    notice = staff_selectors.notice_for(request.user, pk)
    if not permissions.can_cancel_notice(request.user, notice):
        raise PermissionDenied("Only HR or the manager who gave the notice can cancel it.")
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            notice = staff_changes.cancel_notice(
                actor=request.user, notice=notice, reason=form.cleaned_data["reason"]
            )
        except staff_changes.TaskRefused as exc:
            form.add_error("reason", str(exc))
        else:
            messages.success(request, f"{notice.reference} is cancelled. IT has been told.")
            return redirect("requests:staff_change", notice.pk)
    return _render(request, notice, cancel_form=form)


@require_POST
@once
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    notice = staff_selectors.notice_for(request.user, pk)
    if not permissions.can_work_staff_board(request.user):
        raise PermissionDenied("Only the IT Department sends sign-in invitations.")
    try:
        notice = staff_changes.resend_invitation(actor=request.user, notice=notice)
    except staff_changes.TaskRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"A new invitation has gone to {notice.person.email}.")
    return redirect("requests:staff_change", notice.pk)


@require_GET
@roles.role_required(
    permissions.can_work_staff_board,
    "Only the IT Department works the starters and leavers board.",
)
def board(request: HttpRequest) -> HttpResponse:
    form = ListFilterForm(request.GET)
    filters = form.filters()
    today = timezone.localdate()
    return render(
        request,
        "requests/staff/board.html",
        {
            "form": form,
            "filters": filters,
            "today": today,
            "page": _page(request, staff_selectors.board(today=today, **filters)),
            "task_kinds": StaffChangeTask.Kind,
        },
    )
