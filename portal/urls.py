from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import (
    department_views,
    healthz,
    invitation_views,
    letter_views,
    operations_views,
    views,
)

handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_message, name="inbox_message"),
    path("inbox/read-all/", views.inbox_mark_all_read, name="inbox_mark_all_read"),
    path("staff/import/", views.staff_import, name="staff_import"),
    path("staff/invitations/", invitation_views.invitations_page, name="invitations"),
    path("staff/invitations/send/", invitation_views.invite_staff, name="invite_staff"),
    path(
        "staff/invitations/progress/",
        invitation_views.invitation_progress,
        name="invitation_progress",
    ),
    path(
        "staff/<int:pk>/sign-in-letter/",
        letter_views.print_sign_in_letter,
        name="print_sign_in_letter",
    ),
    path("staff/import/<int:pk>/", views.staff_import_job, name="staff_import_job"),
    path(
        "staff/import/<int:pk>/refused.csv",
        views.staff_import_problems,
        name="staff_import_problems",
    ),
    path("staff/import/<int:pk>/cancel/", views.staff_import_cancel, name="staff_import_cancel"),
    path("audit/", views.audit_log, name="audit_log"),
    # Departments, budget holders and deputies (HR)
    path("departments/", department_views.department_list, name="departments"),
    path("departments/new/", department_views.department_add, name="department_add"),
    path("departments/<int:pk>/", department_views.department_edit, name="department_edit"),
    path(
        "departments/<int:pk>/history/",
        department_views.department_history,
        name="department_history",
    ),
    path("healthz", healthz.view, name="healthz"),
    path("brand.css", views.brand_css, name="brand_css"),
    # Scheduled jobs and the outbox (IT and admins)
    path("operations/", operations_views.operations_page, name="operations"),
    path("operations/jobs/<slug:name>/run/", operations_views.run_job, name="run_job"),
    path(
        "operations/notifications/<int:pk>/retry/",
        operations_views.retry_notification,
        name="retry_notification",
    ),
    path(
        "operations/notifications/retry-failed/", operations_views.retry_failed, name="retry_failed"
    ),
    # Sign-in and passwords
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/oidc/", include("portal.oidc.urls")),
    path("accounts/letter/", letter_views.letter_password, name="letter_password"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/reset/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("", include("acknowledgements.urls")),
    path("", include("acknowledgements.root_urls")),
    path("", include("requests.urls")),
    path("admin/", admin.site.urls),
]
