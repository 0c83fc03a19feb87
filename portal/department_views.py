"""HR's pages for departments: the list (with those nobody authorises costs for), adding one,
its name, budget holder and deputy, and its history from the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from portal import departments, permissions
from portal.department_forms import DepartmentForm, DepartmentNameForm
from portal.idempotency import once
from portal.models import Department

hr_only = permissions.role_required(
    permissions.can_manage_departments, "Only HR can manage departments and budget holders."
)


@require_GET
@hr_only
def department_list(request: HttpRequest) -> HttpResponse:
    missing = request.GET.get("missing") == "1"
    page = Paginator(departments.for_list(missing_only=missing), 100).get_page(
        request.GET.get("page")
    )
    for department in page.object_list:
        department.authoriser_now = departments.authoriser(department)
        department.deputy_now = departments.deputy_acting(department)
    return render(
        request,
        "portal/departments/list.html",
        {"page": page, "missing": missing, "today": departments.today()},
    )


@require_http_methods(["GET", "POST"])
@once
@hr_only
def department_add(request: HttpRequest) -> HttpResponse:
    form = DepartmentNameForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            made = departments.create(actor=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{made.name} is added. Name its budget holder below.")
            return redirect("department_edit", made.pk)
    return render(request, "portal/departments/add.html", {"form": form})


@require_http_methods(["GET", "POST"])
@hr_only
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_object_or_404(
        Department.objects.select_related("budget_holder", "deputy"), pk=pk
    )
    data = request.POST if request.method == "POST" else None
    form = DepartmentForm(data, initial=DepartmentForm.initial_for(department))
    if data is not None and form.is_valid():
        try:
            departments.update(
                actor=request.user,
                department=department,
                name=form.cleaned_data["name"],
                authority=form.authority(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Your changes to {form.cleaned_data['name']} are saved.")
            return redirect("departments")
    context = {"form": form, "department": department, "who": departments.authoriser(department)}
    return render(request, "portal/departments/edit.html", context)


@require_GET
@hr_only
def department_history(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_object_or_404(Department, pk=pk)
    page = Paginator(departments.history(department), 50).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.words = departments.describe(event)
    return render(
        request, "portal/departments/history.html", {"department": department, "page": page}
    )
