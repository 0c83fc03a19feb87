"""A line manager's team page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from acknowledgements.team import team_of
from portal import permissions as roles


@require_GET
def team(request: HttpRequest) -> HttpResponse:
    if not roles.is_line_manager(request.user):
        raise PermissionDenied("Only line managers have a team page.")
    return render(request, "acknowledgements/team/team.html", {"reports": team_of(request.user)})
