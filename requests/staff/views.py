"""Starters, leavers and temporary workers: HR's and managers' notices, IT's board and checklist.

Employees see none of it (403). A notice the viewer may not see is a 404: IT and HR see every
notice, a manager those for their own reports. Only IT ticks off tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import letters
from portal import permissions as roles
from portal.idempotency import once
from portal.models import AuditEvent, User
from requests import permissions
from requests.staff import changes, checklist, lifecycle, movers, selectors
from requests.staff.forms import (
    FORMS,
    CancelForm,
    ExtendForm,
    LinkForm,
    ListFilterForm,
    NoticeForm,
    TaskForm,
)
from requests.staff.models import StaffChange, StaffChangeTask

PAGE_SIZE = 50
DIRECTORY_CHANGED = (
    "The staff directory has changed since this page was shown. Check the differences again "
    "before you confirm."
)
KIND_INTROS = {
    StaffChange.Kind.STARTER: "Someone joining: IT prepares their account and equipment before "
    "their first day, and they sign the policy within 7 days of starting.",
    StaffChange.Kind.LEAVER: "Someone leaving: IT removes their access on their last day and "
    "collects their equipment within 5 working days.",
    StaffChange.Kind.TEMPORARY: "Agency or temporary staff who need IT systems: their account "
    "ends by itself on the access end date, unless you extend it.",
    StaffChange.Kind.MOVER: "Someone changing department, line manager or job: IT changes "
    "their access and equipment, and the staff directory changes on the effective date.",
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
        "staff_change.moved": "Staff directory updated with the new place",
    }.get(event.action, event.action)


def _page(request: HttpRequest, rows) -> object:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@require_GET
@roles.role_required(
    permissions.can_list_notices,
    "Only HR, line managers and IT see notices of starters, leavers and movers.",
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
            "page": _page(request, selectors.listed(user, **filters)),
            "can_submit": permissions.can_submit_notice(user),
            "sees_all": permissions.sees_every_notice(user),
        },
    )


@require_GET
@roles.role_required(
    permissions.can_submit_notice,
    "Only HR and line managers notify IT of starters, leavers and movers.",
)
def choose_kind(request: HttpRequest) -> HttpResponse:
    kinds = [(value, label, KIND_INTROS[value]) for value, label in StaffChange.Kind.choices]
    return render(request, "requests/staff/choose_kind.html", {"kinds": kinds})


@require_http_methods(["GET", "POST"])
@once
@roles.role_required(
    permissions.can_submit_notice,
    "Only HR and line managers notify IT of starters, leavers and movers.",
)
def new_notice(request: HttpRequest, kind: str) -> HttpResponse:
    user = request.user
    # Not ``FORMS.get``: bandit reads a ``.get`` on a name from this ``requests`` package as the
    # HTTP library's call without a timeout.
    if kind not in FORMS:
        raise Http404("No such kind of notice.")
    hr = roles.is_hr(user)
    form = FORMS[kind](request.POST if request.method == "POST" else None, hr=hr)
    if request.method == "POST" and form.is_valid():
        notice = _submit(user, form)
        if notice is not None:
            return _done(
                request, notice, f"{notice.reference} has gone to the IT Department. You will "
                "be told when their checklist is done.",
            )  # fmt: skip
    context = {
        "form": form,
        "kind": kind,
        "label": StaffChange.Kind(kind).label,
        "intro": KIND_INTROS[kind],
        "hr": hr,
    }
    return render(request, "requests/staff/new_notice.html", context)


def _submit(user: User, form: NoticeForm) -> StaffChange | None:
    """The notice given to IT, or ``None`` with the rules it broke shown on the form."""
    try:
        return changes.submit_notice(actor=user, details=form.details())
    except ValidationError as exc:
        for field, problems in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return None


def _done(request: HttpRequest, notice: StaffChange, message: str) -> HttpResponse:
    """Back to the notice, saying what was done."""
    messages.success(request, message)
    return redirect("requests:staff_change", notice.pk)


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
    person = notice.person
    context = {
        "notice": notice,
        "tasks": _tasks(notice, workable=it, bound_task=bound_task),
        "is_it": it,
        **_about_person(notice),
        **_change_forms(user, notice, extend_form=extend_form, cancel_form=cancel_form),
        "can_invite": it
        and person is not None
        and lifecycle.needs_invitation(person)
        and bool(person.email),
        "letter_for": person if person and _needs_letter(user, person) else None,
        "move_problem": movers.why_not_now(notice) if _move_due(notice) else "",
        "events": _events(notice),
    }
    return render(request, "requests/staff/detail.html", context, status=status)


def _needs_letter(user: User, person: User) -> bool:
    """Someone without an address who has not chosen a password: their way in is a letter."""
    return (
        not person.email and lifecycle.needs_invitation(person) and letters.may_print(user, person)
    )


def _move_due(notice: StaffChange) -> bool:
    return notice.move_pending and notice.is_open and notice.effective_date <= timezone.localdate()


def _tasks(
    notice: StaffChange, *, workable: bool, bound_task: TaskForm | None
) -> list[StaffChangeTask]:
    """The checklist: each task with its hint, whether it is late and, for IT, its form."""
    today = timezone.localdate()
    tasks = selectors.tasks_of(notice)
    for task in tasks:
        task.hint = checklist.hint(notice.kind, task.kind)
        task.overdue = not task.is_done and task.due_date < today
        task.form = None
        if workable and notice.is_open and not task.is_done:
            same = bound_task is not None and bound_task.task.pk == task.pk
            task.form = bound_task if same else TaskForm(task=task)
    return tasks


def _events(notice: StaffChange) -> list[AuditEvent]:
    events = selectors.history(notice)
    for event in events:
        event.label = _describe(event)
    return events


def _about_person(notice: StaffChange) -> dict[str, object]:
    """A starter's policy, and what a leaver or temporary worker holds."""
    person = notice.person
    starting = notice.kind == StaffChange.Kind.STARTER
    leaving = notice.kind in (StaffChange.Kind.LEAVER, StaffChange.Kind.TEMPORARY)
    return {
        "policy": selectors.policy_state(person) if person and starting else None,
        "holdings": selectors.holdings(person) if person and leaving else None,
    }


def _change_forms(
    user: User,
    notice: StaffChange,
    *,
    extend_form: ExtendForm | None,
    cancel_form: CancelForm | None,
) -> dict[str, object]:
    """The forms to extend a temporary worker's access and to cancel, for whoever may."""
    can_change = permissions.can_change_notice(user, notice) and notice.is_open
    extendable = (
        can_change and notice.kind == StaffChange.Kind.TEMPORARY and notice.account_ended_at is None
    )
    cancellable = permissions.can_cancel_notice(user, notice) and notice.is_open
    return {
        "extend_form": (extend_form or ExtendForm()) if extendable else None,
        "cancel_form": (cancel_form or CancelForm()) if cancellable else None,
    }


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, selectors.notice_for(request.user, pk))


@require_POST
def complete_task(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    notice = selectors.notice_for(request.user, pk)
    if not permissions.can_work_staff_board(request.user):
        raise PermissionDenied("Only the IT Department ticks off checklist tasks.")
    task = selectors.task_for(notice, task_pk)
    form = TaskForm(request.POST, task=task)
    if not form.is_valid():
        return _render(request, notice, bound_task=form)
    try:
        changes.complete_task(
            actor=request.user,
            task=task,
            note=form.cleaned_data["note"],
            override_reason=form.cleaned_data.get("override_reason", ""),
        )
    except changes.LinkNeedsConfirmation:
        # Someone already in the directory: nothing is linked until IT has seen the differences.
        return _render_link(request, notice, task, note=form.cleaned_data["note"])
    except changes.TaskRefused as exc:
        form.add_error(None, str(exc))
        notice.refresh_from_db()
        return _render(request, notice, bound_task=form)
    notice.refresh_from_db()
    return _done(request, notice, _ticked(notice, task))


def _ticked(notice: StaffChange, task: StaffChangeTask) -> str:
    """What ticking ``task`` did: the account made (and how they sign in), the notice closed."""
    done = f"“{task.get_kind_display()}” is ticked off."
    if task.kind in checklist.ACCOUNT_TASKS and notice.person_id:
        done += f" {notice.full_name}'s portal account is ready" + (
            " and they have been invited."
            if notice.person.email
            else ": print their first sign-in letter (they have no email address)."
        )
    if notice.state == StaffChange.State.CLOSED:
        done += f" Every task is done: {notice.reference} is closed and the manager told."
    return done


def _account_task(notice: StaffChange) -> StaffChangeTask | None:
    return notice.tasks.filter(kind__in=checklist.ACCOUNT_TASKS).first()


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
    preview = _preview_or_why_not(request, notice)
    if preview is None:
        return redirect("requests:staff_change", notice.pk)
    context = {
        "notice": notice,
        "task": task,
        "preview": preview,
        "form": form if form is not None else LinkForm(preview=preview, initial={"note": note}),
        "blocked": preview.reactivate and bool(preview.roles),
        "problem": problem,
    }
    return render(request, "requests/staff/link_account.html", context)


def _preview_or_why_not(request: HttpRequest, notice: StaffChange) -> lifecycle.LinkPreview | None:
    """The account the notice names, beside the notice; ``None``, with a message saying why,
    when there is none to link."""
    try:
        preview = lifecycle.link_preview(notice)
    except lifecycle.AccountConflict as exc:
        messages.error(request, str(exc))
        return None
    if preview is None:
        messages.info(
            request,
            "No account in the staff directory has this notice's email address or employee "
            "number: ticking off the task creates a new one.",
        )
    return preview


@require_http_methods(["GET", "POST"])
def link_account(request: HttpRequest, pk: int) -> HttpResponse:
    """IT confirms that the notice is about an account already in the directory."""
    notice = selectors.notice_for(request.user, pk)
    if not permissions.can_work_staff_board(request.user):
        raise PermissionDenied("Only the IT Department links a notice to a portal account.")
    task = _account_task(notice)
    if task is None or task.is_done or not notice.is_open:
        messages.info(request, f"{notice.reference} has no account task waiting.")
        return redirect("requests:staff_change", notice.pk)
    if request.method == "GET":
        return _render_link(request, notice, task)
    return _confirm_link(request, notice, task)


def _confirm_link(request: HttpRequest, notice: StaffChange, task: StaffChangeTask) -> HttpResponse:
    """IT's confirmation, checked against the directory as it is now."""
    try:
        preview = lifecycle.link_preview(notice)
    except lifecycle.AccountConflict:
        preview = None
    if preview is None:
        return _render_link(request, notice, task)  # says why and goes back to the notice
    form = LinkForm(request.POST, preview=preview)
    if not form.is_valid():
        return _render_link(request, notice, task, form=form)
    note = form.cleaned_data["note"]
    try:
        changes.complete_task(
            actor=request.user, task=task, note=note, confirmation=form.confirmation()
        )
    except changes.LinkNeedsConfirmation:
        return _render_link(request, notice, task, note=note, problem=DIRECTORY_CHANGED)
    except changes.TaskRefused as exc:
        return _render_link(request, notice, task, form=form, problem=str(exc))
    notice.refresh_from_db()
    return _done(request, notice, _linked(notice))


def _linked(notice: StaffChange) -> str:
    """What linking did: the account reactivated or linked as it was, and any invitation."""
    person = notice.person
    if notice.account_action == StaffChange.AccountAction.REACTIVATED:
        done = f"{person.full_name}'s account is reactivated with the notice's details"
    else:
        done = (
            f"{notice.reference} is linked to {person.full_name}'s account; none of its "
            "details changed"
        )
    if lifecycle.needs_invitation(person):
        done += ", and they have been invited to choose a password"
    return done + "."


@require_POST
def extend(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_for(request.user, pk)
    if not permissions.can_change_notice(request.user, notice):
        raise PermissionDenied("Only the worker's line manager or HR can extend their access.")
    return _change_notice(
        request,
        notice,
        ExtendForm(request.POST),
        "end_date",
        partial(changes.extend_access, actor=request.user, notice=notice),
        done=lambda changed: (
            f"{changed.full_name}'s access now ends on "
            f"{date_format(changed.end_date, 'j F Y')}. IT has been told."
        ),
        shown_as="extend_form",
    )


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_for(request.user, pk)
    if not permissions.can_cancel_notice(request.user, notice):
        raise PermissionDenied("Only HR or the manager who gave the notice can cancel it.")
    return _change_notice(
        request,
        notice,
        CancelForm(request.POST),
        "reason",
        partial(changes.cancel_notice, actor=request.user, notice=notice),
        done=lambda changed: f"{changed.reference} is cancelled. IT has been told.",
        shown_as="cancel_form",
    )


def _change_notice(
    request: HttpRequest,
    notice: StaffChange,
    form: ExtendForm | CancelForm,
    field: str,
    change: Callable[..., StaffChange],
    *,
    done: Callable[[StaffChange], str],
    shown_as: str,
) -> HttpResponse:
    """A manager's or HR's change from the notice page: ``change`` takes the form's ``field``
    by its name; a refusal is shown on that field, on the notice page again."""
    if form.is_valid():
        try:
            changed = change(**{field: form.cleaned_data[field]})
        except changes.TaskRefused as exc:
            form.add_error(field, str(exc))
        else:
            return _done(request, changed, done(changed))
    return _render(request, notice, **{shown_as: form})


@require_POST
@once
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_for(request.user, pk)
    if not permissions.can_work_staff_board(request.user):
        raise PermissionDenied("Only the IT Department sends sign-in invitations.")
    try:
        notice = changes.resend_invitation(actor=request.user, notice=notice)
    except changes.TaskRefused as exc:
        messages.error(request, str(exc))
        return redirect("requests:staff_change", notice.pk)
    return _done(request, notice, f"A new invitation has gone to {notice.person.email}.")


@require_GET
@roles.role_required(
    permissions.can_work_staff_board,
    "Only the IT Department works the staff changes board.",
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
            "page": _page(request, selectors.board(today=today, **filters)),
            "task_kinds": StaffChangeTask.Kind,
        },
    )
