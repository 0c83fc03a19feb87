"""Reading policies: the list with one's own standing, the current text, and any version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from acknowledgements import (
    changes,
    documents,
    permissions,
    publishing,
    questions,
    selectors,
    signature_status,
)
from acknowledgements.models import Policy, PolicyVersion

SUMMARY_SECTION = "5"  # "Summary of Acceptable Use of ICT": highlighted for every reader


@dataclass(frozen=True)
class ReadingLine:
    """Where the signed-in person stands with a policy, as one line on the page."""

    state: str  # "signed", "due", "overdue" or "unsigned"
    day: date | None = None
    version_label: str = ""


def reading_line_of(status: selectors.PolicyStatus, today: date) -> ReadingLine:
    assignment = status.assignment
    signed = status.last_signed
    if status.current is not None and signed is not None and signed.version_id == status.current.pk:
        return ReadingLine("signed", timezone.localdate(signed.signed_at), signed.version.label)
    if status.needs_signature:
        state = signature_status.status_of(assignment, today)
        if state == signature_status.OVERDUE:
            return ReadingLine(state, signature_status.overdue_since(assignment.due_date))
        return ReadingLine(state, assignment.due_date)
    if signed is not None:
        # An earlier version, and nothing new to sign (the newer version was a minor change).
        return ReadingLine("signed", timezone.localdate(signed.signed_at), signed.version.label)
    return ReadingLine("unsigned")


@dataclass(frozen=True)
class RenderedSection:
    section: documents.Section
    html: SafeString  # sanitised by documents.render_markdown

    @property
    def heading_tag(self) -> str:
        return f"h{self.section.level}"


@dataclass(frozen=True)
class SectionGroup:
    """A top-level section with its subsections, so that section 5 can be framed as one."""

    number: str
    sections: list[RenderedSection]

    @property
    def is_summary(self) -> bool:
        return self.number == SUMMARY_SECTION


def policy_text(version: PolicyVersion) -> list[SectionGroup]:
    groups: list[SectionGroup] = []
    for section in version.sections():
        rendered = RenderedSection(section, documents.render_markdown(section.body))
        if not groups or groups[-1].number != section.top_level:
            groups.append(SectionGroup(section.top_level, []))
        groups[-1].sections.append(rendered)
    return groups


def _history(policy: Policy) -> list[PolicyVersion]:
    return list(
        policy.versions.exclude(status=PolicyVersion.Status.DRAFT).only(
            "policy_id", "number", "status", "effective_date"
        )
    )


@require_GET
def policy_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = []
    for policy in selectors.published_policies():
        status = selectors.status_for(request.user, policy)
        rows.append((status, reading_line_of(status, today)))
    return render(request, "acknowledgements/reading/policy_list.html", {"rows": rows})


@require_GET
def policy_detail(request: HttpRequest, slug: str) -> HttpResponse:
    policy = get_object_or_404(Policy, slug=slug)
    status = selectors.status_for(request.user, policy)
    current = status.current
    if current is None:
        raise Http404("This policy has no published version.")
    last_signed = status.last_signed
    signed_current = last_signed is not None and last_signed.version_id == current.pk
    what_changed = []
    if last_signed is not None and not signed_current:
        what_changed = changes.section_changes(last_signed.version.body, current.body)
    return render(
        request,
        "acknowledgements/reading/policy_detail.html",
        {
            "policy": policy,
            "version": current,
            "status": status,
            "standing": reading_line_of(status, timezone.localdate()),
            "must_sign": status.needs_signature and not signed_current,
            "signed_current": signed_current,
            "what_changed": what_changed,
            "groups": policy_text(current),
            "history": _history(policy),
            "can_ask": request.user.line_manager_id is not None,
            "questions_asked": questions.asked_count(request.user),
        },
    )


@require_GET
def version_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    # A draft is a 404 to everyone but reviewers: its existence is not disclosed.
    version = permissions.visible_or_404(
        request.user,
        PolicyVersion.objects.select_related("policy"),
        policy__slug=slug,
        number=number,
    )
    current = (
        version
        if version.status == PolicyVersion.Status.PUBLISHED
        else publishing.current_version(version.policy)
    )
    return render(
        request,
        "acknowledgements/reading/version_detail.html",
        {
            "policy": version.policy,
            "version": version,
            "current": current,
            "groups": policy_text(version),
            "history": _history(version.policy),
        },
    )
