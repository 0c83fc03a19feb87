from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLResolver, get_resolver, reverse_lazy
from django.utils import timezone
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import (
    accounts,
    audit,
    import_jobs,
    organisation,
    outbox,
    permissions,
    selectors,
    throttle,
)
from portal.forms import AuditFilterForm, FirstPasswordResetForm, SignInForm, StaffImportForm
from portal.models import AuditEvent, Notification, StaffImport
from portal.oidc import views as oidc_views
from portal.permissions import role_required
from portal.staff_import import ImportFileError
from portal.todo import todo_for


@login_not_required
@require_GET
def brand_css(request: HttpRequest) -> HttpResponse:
    """The organisation's colour as a stylesheet: pages take styles from the portal's own files
    only (the CSP), and base.html links here with the colour in the address, so a new colour is
    a new address and a browser may keep each one for a day."""
    colour = organisation.current().brand_colour
    response = HttpResponse(f":root {{ --portal-brand: {colour}; }}\n", content_type="text/css")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"todo": todo_for(request.user)})


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox_for(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "portal/inbox.html", {"page": page})


@require_GET
def inbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's message is a 404, not a 403: its existence is not disclosed.
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    outbox.mark_read(user=request.user, notification=notification)
    return render(request, "portal/inbox_message.html", {"notification": notification})


@require_POST
def inbox_mark_all_read(request: HttpRequest) -> HttpResponse:
    outbox.mark_all_read(user=request.user)
    return redirect("inbox")


_HR_ONLY = "Only HR can import the staff directory."
PROBLEMS_SHOWN = 100  # on the page; the report to download has them all


def _busy_message(live: StaffImport) -> str:
    return (
        f"Another import is already {live.get_status_display().lower()} ({live.filename}, "
        f"uploaded by {live.owner.get_full_name() or live.owner.email} at "
        f"{timezone.localtime(live.created_at):%H:%M}). Wait for it to finish, then upload "
        "this file again."
    )


@require_http_methods(["GET", "POST"])
@role_required(permissions.can_import_staff, _HR_ONLY)
def staff_import(request: HttpRequest) -> HttpResponse:
    # Bound on every POST, so that a POST without a file is told the file is required.
    if request.method == "POST":
        form = StaffImportForm(request.POST, request.FILES)
    else:
        form = StaffImportForm()
    if request.method == "POST" and form.is_valid():
        try:
            job = import_jobs.start_import(
                actor=request.user, filename=form.filename, data=form.cleaned_data["file"]
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        except import_jobs.ImportBusy as busy:
            form.add_error("file", _busy_message(busy.live))
        else:
            return redirect("staff_import_job", pk=job.pk)
    recent = StaffImport.objects.select_related("owner").defer("data", "problems")[:10]
    return render(request, "portal/staff_import.html", {"form": form, "recent": recent})


def _import_job(pk: int) -> StaffImport:
    job = get_object_or_404(StaffImport.objects.select_related("owner").defer("data"), pk=pk)
    return import_jobs.notice_interrupted(job)


@never_cache
@require_GET
@role_required(permissions.can_import_staff, _HR_ONLY)
def staff_import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _import_job(pk)
    shown = job.problems[:PROBLEMS_SHOWN]
    return render(
        request,
        "portal/staff_import_job.html",
        {
            "job": job,
            "problems": shown,
            "held": [p for p in shown if p["held"]],
            "refused": [p for p in shown if not p["held"]],
            "more_problems": len(job.problems) - len(shown),
        },
    )


@never_cache
@require_GET
@role_required(permissions.can_import_staff, _HR_ONLY)
def staff_import_problems(request: HttpRequest, pk: int) -> HttpResponse:
    job = _import_job(pk)
    if job.status != StaffImport.Status.DONE:
        raise Http404("This import has no report of refused rows.")
    return StreamingHttpResponse(
        import_jobs.problem_report(job),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job.pk}-refused.csv"'},
    )


@require_POST
@role_required(permissions.can_import_staff, _HR_ONLY)
def staff_import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _import_job(pk)
    if not import_jobs.cancel_waiting(actor=request.user, job=job):
        messages.warning(request, "The import has already started, so it cannot be cancelled.")
    return redirect("staff_import_job", pk=job.pk)


@require_GET
@role_required(permissions.can_view_audit_log, "Only IT and HR can read the audit log.")
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if form.is_valid():
        events = selectors.audit_events(action=form.cleaned_data["action"])
    else:
        events = AuditEvent.objects.none()  # what was asked for is named in the form's error
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    context = {"page": page, "form": form, "action": form.cleaned_data.get("action", "")}
    return render(request, "portal/audit_log.html", context)


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):  # type: ignore[no-untyped-def]
        return {**super().get_context_data(**kwargs), **oidc_views.sign_in_page_context()}

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        # With password sign-in switched off, only the organisation's sign-in lets anyone in.
        if settings.OIDC_ENABLED and not settings.PASSWORD_SIGN_IN:
            form.add_error(None, "Sign in with your work account.")
            return self.form_invalid(form)
        return super().form_valid(form)


class _RecordsPasswordChange:
    """The new password is saved, audited and its owner told in one transaction."""

    how: str  # "changed" or "reset", as the audit event and the notice say

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            response = super().form_valid(form)
            accounts.password_changed(user=form.user, how=self.how, request=self.request)
        return response


class PasswordChangeView(_RecordsPasswordChange, auth_views.PasswordChangeView):
    success_url = reverse_lazy("password_change_done")
    how = "changed"

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        messages.success(self.request, "Your password has been changed.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """ "Forgotten your password?": the link goes through the outbox (``accounts``), and the
    next page is the same whether the address has an account, or the limits were reached."""

    form_class = FirstPasswordResetForm

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        email = form.cleaned_data["email"]
        accounts.password_reset_requested(
            email=email, users=form.get_users(email), request=self.request
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(_RecordsPasswordChange, auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")
    how = "reset"


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 403 page (``handler403``). Every refusal is recorded: probing shows in the audit log."""
    audit.record(
        actor=request.user,
        action="auth.permission_denied",
        data={"method": request.method, "path": request.path[:500], "reason": str(exception)[:200]},
        request=request,
    )
    return defaults.permission_denied(request, exception)


@functools.cache
def _areas() -> frozenset[str]:
    """The first part of every path the portal serves ("requests", "staff-changes", ...)."""
    found: set[str] = set()
    waiting = list(get_resolver().url_patterns)
    while waiting:
        pattern = waiting.pop()
        first = str(pattern.pattern).lstrip("^").split("/", 1)[0]
        if isinstance(pattern, URLResolver) and not first:
            waiting.extend(pattern.url_patterns)  # an app's paths included at the root
        elif first and "<" not in first:
            found.add(first)
    return frozenset(found)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 page (``handler404``). A signed-in person's 404s are recorded, as refusals are:
    asking for someone else's request, notice or receipt answers 404 so as not to disclose it,
    and probing for them leaves a trace. At most ``NOT_FOUND_AUDITS_PER_USER_PER_HOUR`` a
    person an hour in each area of the portal (the path's first part: requests, notices,
    receipts ...), so that a loop of guesses cannot flood the log, and misses elsewhere cannot
    use up the allowance of the area being probed."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        limit = throttle.not_found_audits_per_user()
        first = request.path.strip("/").split("/", 1)[0]
        # Paths outside every area share one allowance: made-up paths cannot open new ones.
        area = first if first in _areas() else "elsewhere"
        hits = throttle.hit(limit, f"{user.pk}:{area}")
        if hits <= limit.most:
            data = {"method": request.method, "path": request.path[:500]}
            if hits == limit.most:
                data["note"] = "The last recorded this hour; later ones are not recorded."
            audit.record(actor=user, action="auth.not_found", data=data, request=request)
    return defaults.page_not_found(request, exception)
