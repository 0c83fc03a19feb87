"""Policy reviewers' pages: drafting, comparing and publishing new versions of a policy."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from acknowledgements import changes, permissions, publishing, signature_status
from acknowledgements.forms.versions import DraftForm, PublishForm, ReconfirmForm
from acknowledgements.models import Assignment, Policy, PolicyVersion
from portal.idempotency import once
from portal.permissions import role_required

NOT_A_REVIEWER = "Only Policy reviewers can draft and publish new versions of a policy."


reviewers_only = role_required(permissions.can_manage_versions, NOT_A_REVIEWER)


def _policy(slug: str) -> Policy:
    return get_object_or_404(Policy, slug=slug)


def _version(slug: str, number: int) -> PolicyVersion:
    # Narrowed by slug: a version number under another policy's address does not exist.
    return get_object_or_404(
        PolicyVersion.objects.select_related("policy", "published_by"),
        policy__slug=slug,
        number=number,
    )


def _compared_with(version: PolicyVersion) -> PolicyVersion | None:
    """What ``version`` is compared with: the current text for a draft, else its predecessor."""
    if version.is_draft:
        return publishing.current_version(version.policy)
    return (
        version.policy.versions.exclude(status=PolicyVersion.Status.DRAFT)
        .filter(number__lt=version.number)
        .order_by("-number")
        .first()
    )


def _comparison(version: PolicyVersion) -> dict[str, Any]:
    baseline = _compared_with(version)
    found = changes.section_changes(baseline.body if baseline else "", version.body)
    counts = Counter(change.kind for change in found)
    return {
        "baseline": baseline,
        "changes": found,
        "counts": [(kind, counts[kind]) for kind in ("changed", "added", "removed", "renamed")],
    }


def _not_a_draft(request: HttpRequest, version: PolicyVersion) -> HttpResponse:
    messages.warning(
        request,
        f"{version.label} is {version.get_status_display().lower()}: published versions never "
        "change. Start a new draft to revise the policy.",
    )
    return redirect("acknowledgements:manage_policy", slug=version.policy.slug)


@require_GET
@reviewers_only
def manage_index(request: HttpRequest) -> HttpResponse:
    live = PolicyVersion.objects.filter(
        status__in=[PolicyVersion.Status.PUBLISHED, PolicyVersion.Status.DRAFT]
    ).select_related("published_by")
    rows = []
    for policy in Policy.objects.prefetch_related(Prefetch("versions", live, to_attr="live")):
        by_status = {version.status: version for version in policy.live}
        rows.append(
            {
                "policy": policy,
                "current": by_status.get(PolicyVersion.Status.PUBLISHED),
                "draft": by_status.get(PolicyVersion.Status.DRAFT),
            }
        )
    return render(
        request,
        "acknowledgements/versions/manage_index.html",
        {"rows": rows, "today": timezone.localdate()},
    )


@require_GET
@reviewers_only
def manage_policy(request: HttpRequest, slug: str) -> HttpResponse:
    policy = _policy(slug)
    versions = list(policy.versions.select_related("published_by").order_by("-number"))
    draft = next((v for v in versions if v.is_draft), None)
    current = next((v for v in versions if v.status == PolicyVersion.Status.PUBLISHED), None)
    return render(
        request,
        "acknowledgements/versions/manage_policy.html",
        {"policy": policy, "versions": versions, "draft": draft, "current": current},
    )


@require_POST
@reviewers_only
def create_draft(request: HttpRequest, slug: str) -> HttpResponse:
    policy = _policy(slug)
    draft = publishing.create_draft(actor=request.user, policy=policy)
    messages.info(request, f"You are editing the draft of {draft.label.lower()}.")
    return redirect("acknowledgements:edit_draft", slug=policy.slug, number=draft.number)


@require_http_methods(["GET", "POST"])
@reviewers_only
def edit_draft(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = _version(slug, number)
    if request.method == "POST":
        form = DraftForm(request.POST)
        if form.is_valid():
            try:
                publishing.update_draft(
                    actor=request.user,
                    version=version,
                    body=form.cleaned_data["body"],
                    change_summary=form.cleaned_data["change_summary"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Draft saved. Check what changed before you publish.")
                return redirect("acknowledgements:version_diff", slug=slug, number=number)
    elif not version.is_draft:
        return _not_a_draft(request, version)
    else:
        form = DraftForm(initial={"body": version.body, "change_summary": version.change_summary})
    return render(
        request,
        "acknowledgements/versions/edit_draft.html",
        {"policy": version.policy, "version": version, "form": form},
    )


@require_GET
@reviewers_only
def version_diff(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = _version(slug, number)
    return render(
        request,
        "acknowledgements/versions/version_diff.html",
        {"policy": version.policy, "version": version, **_comparison(version)},
    )


def _people(count: int) -> tuple[str, str]:
    return ("1 person", "was") if count == 1 else (f"{count} people", "were")


@require_http_methods(["GET", "POST"])
@reviewers_only
def publish(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = _version(slug, number)
    if not version.is_draft:
        return _not_a_draft(request, version)
    form = PublishForm(request.POST) if request.method == "POST" else PublishForm()
    if form.is_bound and form.is_valid():
        try:
            published = publishing.publish(
                actor=request.user, version=version, material=form.material
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _published_message(published))
            return redirect("acknowledgements:manage_policy", slug=slug)
    comparison = _comparison(version)
    unchanged = publishing.is_unchanged(version, comparison["baseline"])
    return render(
        request,
        "acknowledgements/versions/publish.html",
        {"policy": version.policy, "version": version, "form": form, "unchanged": unchanged}
        | comparison,
    )


@require_http_methods(["GET", "POST"])
@reviewers_only
@once
def reconfirm(request: HttpRequest, slug: str) -> HttpResponse:
    policy = _policy(slug)
    form = ReconfirmForm(request.POST or None)
    if form.is_valid():
        try:
            version = publishing.reconfirm(
                actor=request.user, policy=policy, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _published_message(version))
            return redirect("acknowledgements:manage_policy", slug=slug)
    context = {
        "policy": policy,
        "form": form,
        "current": publishing.current_version(policy),
        "people": publishing.reconfirmation_count(),
    }
    return render(request, "acknowledgements/versions/reconfirm.html", context)


def _published_message(published: PolicyVersion) -> str:
    # For a minor version these are the people who had not signed its predecessor yet.
    to_sign = Assignment.objects.filter(signature_status.unsigned_q(), version=published).count()
    people, were = _people(to_sign)
    if published.reconfirmation:
        outcome = (
            f"The text is unchanged; {people} {were} asked to confirm it again within 21 days."
        )
    elif published.material_change:
        outcome = f"{people} {were} asked to sign it within 21 days."
    else:
        outcome = (
            f"It is a minor change, so nobody signs again; {people} who had not yet "
            f"signed the previous version {were} asked to sign this one instead, by the "
            "same date."
        )
    return f"{published.label} of the {published.policy} is published. {outcome}"
