from django.contrib import admin
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction

from portal import accounts
from portal.models import AuditEvent, Department, Notification, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    """Read only: HR's Departments page makes every change, checked, audited and passed on to
    the costs waiting there (``portal.departments``)."""

    list_display = ["name", "budget_holder", "deputy", "deputy_from", "deputy_to"]
    search_fields = ["name"]
    readonly_fields = ["name", "budget_holder", "deputy", "deputy_from", "deputy_to"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        # Email or employee number: staff without a work e-mail sign in with the number.
        fields = ("email", "employee_number", "first_name", "last_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    ordering = ["last_name", "first_name"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "employee_number",
        "department",
        "is_active",
    ]
    list_filter = ["is_active", "is_superuser", "employment_type", "groups", "department"]
    search_fields = ["email", "first_name", "last_name", "employee_number"]
    autocomplete_fields = ["line_manager", "department"]
    readonly_fields = ["password_changed_at", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Employment",
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "employee_number",
                    "job_title",
                    "department",
                    "line_manager",
                    "employment_type",
                    "start_date",
                    "end_date",
                ]
            },
        ),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["password_changed_at", "last_login", "date_joined"]}),
    ]

    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "email",
                    "employee_number",
                    "first_name",
                    "last_name",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        )
    ]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        old_email = form.initial.get("email", "") if change else ""
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if change and "email" in form.changed_data:
                accounts.emails_changed(
                    actor=request.user,
                    changes=[accounts.EmailChange(obj, old_email)],
                    source="admin",
                    request=request,
                )
                if obj.pk == request.user.pk:
                    # Their other sessions end; the administrator's own, here, goes on.
                    update_session_auth_hash(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor", "object_repr", "ip_address"]
    list_filter = ["action"]
    search_fields = ["object_repr", "actor__email"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "subject", "status", "attempts"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient__email", "subject"]
