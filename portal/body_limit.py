"""Request bodies too large to read are refused before anything reads them.

A body's size is known from its ``Content-Length`` header before a byte of it arrives, so an
upload larger than the portal would keep is answered at once (413) instead of being received in
full and refused afterwards: a client cannot hold a web worker by announcing a huge body and
sending it slowly, or fill a temporary folder with it.

A body sent in chunks (``Transfer-Encoding``) has no length to judge. Django reads only as many
bytes as ``Content-Length`` states (none, without it), so such a body would reach a view as an
empty form; it is refused with 411 instead, saying why. Browsers always state the length of a
form they send.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _refusal(status: int, title: str, text: str) -> HttpResponse:
    # No request context: nothing past this middleware (sessions, the signed-in user) has run.
    page = render_to_string("body_refused.html", {"title": title, "text": text})
    # gunicorn's sync workers (the compose stack's) close the connection after each response,
    # so the unread body is never read as the next request.
    return HttpResponse(page, status=status)


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BODY_BYTES
        if "HTTP_TRANSFER_ENCODING" in request.META:
            return _refusal(
                411,
                "The upload could not be read",
                "Your browser sent the form without saying how large it is, which the portal "
                "does not accept. Go back and send it again; if it keeps happening, contact the "
                "IT Service Desk.",
            )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # what Django itself reads from a length it cannot understand: nothing
        if length > limit:
            return _refusal(
                413,
                "That is too large to send",
                f"The portal accepts at most {_megabytes(limit)} at a time, and files of at most "
                f"{_megabytes(settings.ATTACHMENT_MAX_BYTES)}. Nothing was saved. Go back, choose "
                "a smaller file (a PDF or a compressed image, say) and send it again.",
            )
        return self.get_response(request)
