"""One post, one result: a creating form's one-time token.

Every form that creates something carries a hidden ``form_token`` (``{% form_token %}``), a
random value issued when the page is drawn. Its view is wrapped in ``@once``: the first post
with a token claims it (a ``FormSubmission`` row, unique per person and token) in the same
transaction as the view's own writes, and keeps the address the view sent the person to. A second
post with the same token (a double click, the browser's back button and submit again, ten posts at
once) waits on the unique index until the first commits, finds the claim and is sent to the same
place with a note that it had already been sent: never a second object, never an error page.

A post the view answers with its form again (something to correct) gives its claim back, so the
corrected form, with the same token, goes through. A post without a token (not one of the portal's
own pages) is keyed by its content instead: the same fields to the same address count as the
same submission.

Where what a form makes has a natural rule of its own (one signature per person per version, one
draft per policy, one reminder per person per day, one outcome per reviewer), that rule is what
holds (a second post is told it was already done), and the view is not wrapped.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from portal.models import FormSubmission

FIELD = "form_token"
# Long enough for a form left open over a weekend and sent on Monday; older claims are removed.
KEEP = timedelta(days=7)
ALREADY_SENT = "This form had already been sent, so nothing was done twice. Here is the result."

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_REDIRECTS = {301, 302, 303, 307, 308}
# Fields that differ between two sends of the same form and say nothing about what it asks for.
_NOT_CONTENT = {"csrfmiddlewaretoken", FIELD}


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _content_key(request: HttpRequest) -> str:
    fields = sorted(
        (name, request.POST.getlist(name)) for name in request.POST if name not in _NOT_CONTENT
    )
    files = sorted(
        (name, [(f.name, _digest(f)) for f in request.FILES.getlist(name)])
        for name in request.FILES
    )
    text = json.dumps([request.path, fields, files], sort_keys=True, default=str)
    return "content:" + hashlib.sha256(text.encode()).hexdigest()


def is_token(value: str) -> bool:
    return bool(_TOKEN.fullmatch(value))


def key_of(request: HttpRequest) -> str:
    """The submission's key: its token, or (with no usable token) a digest of what it posts."""
    token = request.POST.get(FIELD, "")
    return token if is_token(token) else _content_key(request)


def _prune() -> None:
    FormSubmission.objects.filter(created_at__lt=timezone.now() - KEEP).delete()


def once(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run a creating view's POST at most once per token and person (see the module's text)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST" or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        key = key_of(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = FormSubmission.objects.create(
                        user=request.user, token=key, path=request.path[:300]
                    )
            except IntegrityError:
                # The first post with this token has committed (the insert waited for it).
                earlier = FormSubmission.objects.filter(user=request.user, token=key).first()
                if earlier is not None and earlier.result_url:
                    messages.info(request, ALREADY_SENT)
                    return redirect(earlier.result_url)
                raise
            response = view(request, *args, **kwargs)
            if response.status_code in _REDIRECTS and response.has_header("Location"):
                claim.result_url = response["Location"][:500]
                claim.save(update_fields=["result_url"])
            else:
                # Nothing was made: the person corrects the form and sends the same token again.
                claim.delete()
            transaction.on_commit(_prune)
        return response

    return wrapper
