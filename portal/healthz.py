"""``/healthz``: the portal's health as JSON, for the proxy, the orchestrator and monitoring.

Answered by ``HealthzMiddleware``, before anything that checks the ``Host`` header, opens a
session or asks for sign-in or a CSRF token: the proxy and the orchestrator reach the portal by
internal names that are not in ``DJANGO_ALLOWED_HOSTS``. It sits below the security, frame and
CSP middleware, so its answers carry their headers like every other page.

``GET /healthz`` runs every check (``portal.health``): 200 when all are ok, 503 when any is
down, with ``{"status": "ok"|"failing", "checks": {name: {"ok": ..., "detail": ...}}}``.
``?check=NAME`` (repeatable) runs only the checks named, on the same terms:
``/healthz?check=database`` is the liveness form, answered 200 by a web process that can reach
its database whatever the worker and beat are doing. Only GET and HEAD (others: 405); a check
that does not exist is a 400.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse

from portal import health

PATH = "/healthz"


def answer(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        result = health.report(request.GET.getlist("check"))
    except health.UnknownCheck as exc:
        response = JsonResponse({"status": "failing", "error": str(exc)}, status=400)
    else:
        response = JsonResponse(result.as_json(), status=200 if result.ok else 503)
    response["Cache-Control"] = "no-store"
    return response


class HealthzMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == PATH:
            return answer(request)
        return self.get_response(request)


# The URL pattern's view: the middleware answers first, so this serves the same answer only
# where the middleware is not installed; it keeps the URL named (``reverse("healthz")``).
view = login_not_required(answer)
