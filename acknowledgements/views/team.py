"""A line manager's team page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from acknowledgements.team import team_of
from portal import permissions as roles


@require_GET
@roles.role_required(roles.is_line_manager, "Only line managers have a team page.")
def team(request: HttpRequest) -> HttpResponse:
    return render(request, "acknowledgements/team/team.html", {"reports": team_of(request.user)})
