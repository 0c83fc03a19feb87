"""The register of authorised software and hardware: everyone reads it, IT keeps it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from portal.idempotency import once
from portal.permissions import role_required
from requests import catalogue, permissions, renewals
from requests.forms.register import CatalogueItemForm, SearchForm
from requests.models import CatalogueItem

IT_ONLY = "Only the IT Department can add to or change the register of authorised items."
PAGE_SIZE = 50

it_only = role_required(permissions.can_maintain_register, IT_ONLY)


@require_GET
def register_list(request: HttpRequest) -> HttpResponse:
    may_maintain = permissions.can_maintain_register(request.user)
    search = SearchForm(request.GET)
    filters = search.filters()
    include_withdrawn = may_maintain and filters["withdrawn"]
    items = catalogue.search(filters["q"], kind=filters["kind"], active_only=not include_withdrawn)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(
        request,
        "requests/register/list.html",
        {
            "page": page,
            "search": search,
            "filters": filters,
            "include_withdrawn": include_withdrawn,
            "may_maintain": may_maintain,
            "today": today,
            "renewal_soon": today + renewals.REMIND_DAYS_BEFORE,
        },
    )


def _save(request: HttpRequest, form: CatalogueItemForm, *, added: bool) -> HttpResponse | None:
    """Save a valid form through the service; None when the model refused it."""
    try:
        item = catalogue.save_item(actor=request.user, item=form.instance)
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return None
    if added:
        messages.success(request, f"“{item.name}” is now in the register of authorised items.")
    elif item.active:
        messages.success(request, f"Your changes to “{item.name}” are saved.")
    else:
        messages.success(
            request, f"Your changes to “{item.name}” are saved. It is withdrawn from the register."
        )
    return redirect("requests:register")


@require_http_methods(["GET", "POST"])
@once
@it_only
def register_add(request: HttpRequest) -> HttpResponse:
    form = CatalogueItemForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        response = _save(request, form, added=True)
        if response is not None:
            return response
    return render(request, "requests/register/form.html", {"form": form, "item": None})


@require_http_methods(["GET", "POST"])
@it_only
def register_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(CatalogueItem, pk=pk)
    # Validation writes what was typed onto the instance; the heading keeps the saved name.
    saved_name = item.name
    form = CatalogueItemForm(request.POST if request.method == "POST" else None, instance=item)
    if request.method == "POST" and form.is_valid():
        response = _save(request, form, added=False)
        if response is not None:
            return response
    return render(
        request,
        "requests/register/form.html",
        {"form": form, "item": item, "saved_name": saved_name},
    )
