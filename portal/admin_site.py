from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class PortalAdminSite(admin.AdminSite):
    site_header = "Acceptable Use Portal administration"
    site_title = "Portal administration"

    @property
    def login_form(self) -> type:  # type: ignore[override]
        # Failed sign-ins here count per client address too. Imported late: this module is
        # loaded while the app registry is being filled.
        from portal.forms import AdminSignInForm

        return AdminSignInForm

    def has_permission(self, request: HttpRequest) -> bool:
        # Day-to-day work happens in the portal's own pages; the admin is for superusers only.
        return request.user.is_active and request.user.is_superuser


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
