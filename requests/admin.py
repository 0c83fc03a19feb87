"""Django admin for superusers. Requests and staff notices are read-only here: every change
goes through ``requests.workflow`` or ``requests.staff.changes`` so that it is checked, recorded
and announced."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from portal.admin import ReadOnlyAdmin
from requests import catalogue
from requests.models import (
    AuthorisationRequest,
    CatalogueItem,
    RequestEvent,
)
from requests.staff.models import StaffChange, StaffChangeTask


@admin.register(CatalogueItem)
class CatalogueItemAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "vendor", "versions", "active", "updated_at"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "vendor"]
    fields = [
        "name", "kind", "vendor", "versions", "notes", "licence_count", "renewal_date",
        "department", "active", "source_request",
    ]  # fmt: skip
    readonly_fields = ["source_request"]

    def save_model(self, request: HttpRequest, obj: CatalogueItem, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        # Through the service, so that an admin edit is audited like one made in the portal.
        catalogue.save_item(actor=request.user, item=obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        # Requests keep pointing at what was authorised; withdraw an item instead (untick Active).
        return False


class ReadOnlyInline(admin.TabularInline):
    """A record's history or checklist, shown and never changed here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class ReferencedAdmin(ReadOnlyAdmin):
    """A record that people quote by its reference (``AR-000123``)."""

    @admin.display(description="Reference", ordering="pk")
    def reference(self, obj: AuthorisationRequest | StaffChange) -> str:
        return obj.reference


class RequestEventInline(ReadOnlyInline):
    model = RequestEvent
    fields = ["created_at", "actor", "action", "from_state", "to_state", "note"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]


@admin.register(AuthorisationRequest)
class AuthorisationRequestAdmin(ReferencedAdmin):
    list_display = ["reference", "item", "kind", "requester", "department", "state", "submitted_at"]
    list_filter = ["state", "kind", "fast_tracked"]
    search_fields = ["item", "vendor", "requester__email", "requester__last_name"]
    list_select_related = ["requester", "department"]
    date_hierarchy = "submitted_at"
    inlines = [RequestEventInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class StaffChangeTaskInline(ReadOnlyInline):
    model = StaffChangeTask
    fields = ["kind", "due_date", "completed_at", "completed_by", "note", "override_reason"]
    readonly_fields = fields


@admin.register(StaffChange)
class StaffChangeAdmin(ReferencedAdmin):
    list_display = [
        "reference", "kind", "last_name", "first_name", "state", "start_date", "end_date",
    ]  # fmt: skip
    list_filter = ["kind", "state"]
    search_fields = ["email", "first_name", "last_name", "employee_number"]
    date_hierarchy = "submitted_at"
    inlines = [StaffChangeTaskInline]
