"""Signature status person by person: HR sees everyone, a line manager their own reports."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from acknowledgements import permissions, staff_status
from acknowledgements.forms.staff_status import ReminderForm, StaffFilterForm
from acknowledgements.models import Policy, PolicyVersion
from portal import permissions as roles
from portal.models import Department, User

NOT_ALLOWED = "Only HR and line managers can see who has signed the policy."


hr_and_managers_only = roles.role_required(permissions.can_view_staff_status, NOT_ALLOWED)


def filter_form(
    request: HttpRequest, policy: Policy, data: QueryDict | None = None
) -> StaffFilterForm:
    """The list's filters, from the query string (or ``data``: the same fields, posted)."""
    data = request.GET if data is None else data
    managers = None
    if roles.is_hr(request.user):
        managers = staff_status.manager_choices(data.get("department"), data.get("manager"))
    return StaffFilterForm(
        data,
        versions=list(
            policy.versions.exclude(status=PolicyVersion.Status.DRAFT).order_by("-number")
        ),
        departments=list(Department.objects.order_by("name").values_list("pk", "name")),
        managers=managers,
    )


@require_GET
@hr_and_managers_only
def staff_list(request: HttpRequest, slug: str) -> HttpResponse:
    policy = get_object_or_404(Policy, slug=slug)
    form = filter_form(request, policy)
    after = staff_status.parse_cursor(request.GET.get("after"))
    filters = form.filters()
    found = staff_status.page(request.user, policy, filters, after=after)
    return render(
        request,
        "acknowledgements/staff_status/staff_list.html",
        {
            "policy": policy,
            "form": form,
            "filtered": form.shows_filters(),
            "page": found,
            "next_after": found.next_cursor.encode() if found.next_cursor else "",
            "is_hr": roles.is_hr(request.user),
            "matching": staff_status.matching(request.user, policy, filters),
            "back": request.GET.urlencode(),
        },
    )


@never_cache
@require_GET
@hr_and_managers_only
def export_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    policy = get_object_or_404(Policy, slug=slug)
    filters = filter_form(request, policy).filters()
    people = staff_status.staff(request.user, policy, filters)
    staff_status.record_export(actor=request.user, policy=policy, filters=filters, request=request)
    return StreamingHttpResponse(
        staff_status.csv_lines(people),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (f'attachment; filename="{staff_status.csv_filename(policy)}"')
        },
    )


@require_GET
def person(request: HttpRequest, user_id: int) -> HttpResponse:
    found = permissions.visible_or_404(
        request.user, User.objects.select_related("department", "line_manager"), pk=user_id
    )
    record = staff_status.person_record(found)
    return render(
        request,
        "acknowledgements/staff_status/person.html",
        {
            "record": record,
            "person": found,
            "manages": roles.manages(request.user, found),
            "is_hr": roles.is_hr(request.user),
        },
    )


@require_POST
def remind(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    policy = get_object_or_404(Policy, slug=slug)
    report = permissions.visible_or_404(
        request.user, User.objects.all(), may_see=permissions.can_remind, pk=user_id
    )
    back = ReminderForm(request.POST).back_query()
    try:
        staff_status.send_reminder(
            manager=request.user, person=report, policy=policy, request=request
        )
    except staff_status.ReminderError as exc:  # already reminded today, or nothing to remind
        messages.info(request, str(exc))
    else:
        messages.success(
            request,
            f"Reminder sent: {report.full_name} has been asked to sign the {policy.title}.",
        )
    url = reverse("acknowledgements:staff_list", args=[policy.slug])
    return redirect(f"{url}?{back}" if back else url)
