"""Personal use at the line manager's discretion (policy 4.1 and 5.1)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from acknowledgements import grants, permissions
from acknowledgements.forms.grants import GrantForm, RevokeForm
from acknowledgements.models import PersonalUseGrant
from portal.idempotency import once
from portal.models import Department, User
from portal.permissions import role_required

READ_ONLY = (
    "HR can read everyone's personal-use history, but only the person's own line manager can "
    "grant or revoke personal use."
)


def _team_member_or_404(viewer: User, user_id: int) -> tuple[User, bool]:
    """The person and whether ``viewer`` may decide for them; a 404 for anyone who may not
    open their page, whether or not the person exists."""
    employee = permissions.visible_or_404(
        viewer,
        User.objects.select_related("department", "line_manager"),
        may_see=permissions.can_open_team_member,
        pk=user_id,
    )
    return employee, permissions.decides_personal_use_of(viewer, employee)


@require_http_methods(["GET", "POST"])
@once
def team_member(request: HttpRequest, user_id: int) -> HttpResponse:
    employee, may_grant = _team_member_or_404(request.user, user_id)
    if request.method == "POST" and not may_grant:
        raise PermissionDenied(READ_ONLY)
    current = grants.current_grant_for(employee)
    form = None
    if may_grant:
        form = GrantForm(request.POST or None, initial=_as_granted(current))
        if request.method == "POST" and form.is_valid():
            granted = _grant(request, form, employee)
            if granted is not None:
                return granted
    return render(
        request,
        "acknowledgements/grants/team_member.html",
        {
            "employee": employee,
            "current": current,
            "history": grants.history_for(employee),
            "conditions": grants.conditions(),
            "form": form,
            "revoke_form": RevokeForm() if may_grant and current else None,
            "may_grant": may_grant,
        },
    )


def _as_granted(current: PersonalUseGrant | None) -> dict[str, object]:
    """The form starts from the grant in force, so a change keeps its end date and note unless
    the manager changes them."""
    if current is None:
        return {}
    return {
        "email": current.email,
        "internet": current.internet,
        "telephone": current.telephone,
        "expires_on": current.expires_on,
        "note": current.note,
    }


def _grant(request: HttpRequest, form: GrantForm, employee: User) -> HttpResponse | None:
    """Grant through the service and come back to the page; None when the form says why not."""
    try:
        grants.grant_personal_use(manager=request.user, employee=employee, **form.cleaned_data)
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    except grants.GrantError as exc:
        form.add_error(None, str(exc))
        return None
    what = ", ".join(grants.current_grant_for(employee).facilities)
    messages.success(
        request,
        f"{employee.full_name} may now make occasional personal use of {what}. "
        "They have been told.",
    )
    return redirect("acknowledgements:team_personal_use", employee.pk)


@require_POST
def revoke(request: HttpRequest, user_id: int) -> HttpResponse:
    employee, may_grant = _team_member_or_404(request.user, user_id)
    if not may_grant:
        raise PermissionDenied(READ_ONLY)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("acknowledgements:team_personal_use", employee.pk)
    try:
        grants.revoke_personal_use(
            manager=request.user, employee=employee, note=form.cleaned_data["note"]
        )
    except (grants.GrantError, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request,
            f"Personal use revoked: {employee.full_name} is back to business use only. "
            "They have been told.",
        )
    return redirect("acknowledgements:team_personal_use", employee.pk)


@require_GET
def my_personal_use(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "acknowledgements/grants/mine.html",
        {
            "current": grants.current_grant_for(request.user),
            "history": grants.history_for(request.user),
            "conditions": grants.conditions(),
        },
    )


@require_GET
@role_required(permissions.can_view_all_personal_use, "Only HR can read the personal-use register.")
def all_personal_use(request: HttpRequest) -> HttpResponse:
    departments = list(Department.objects.order_by("name"))
    chosen = next((d for d in departments if str(d.pk) == request.GET.get("department", "")), None)
    page = Paginator(grants.register(department_id=chosen.pk if chosen else None), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "acknowledgements/grants/register.html",
        {"page": page, "departments": departments, "department": chosen},
    )
