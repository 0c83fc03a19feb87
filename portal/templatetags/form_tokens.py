"""``{% form_token %}``: the hidden one-time token of a creating form (``portal.idempotency``).

Loaded as a built-in (``TEMPLATES`` in settings), so a template needs no ``{% load %}``.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from portal import idempotency

register = template.Library()


@register.simple_tag(takes_context=True)
def form_token(context: template.Context) -> SafeString:
    # A form drawn again after a correction keeps its token, so the corrected post is still the
    # same submission as the first try.
    request = context.get("request")
    posted = request.POST.get(idempotency.FIELD, "") if request is not None else ""
    value = posted if idempotency.is_token(posted) else idempotency.new_token()
    return format_html('<input type="hidden" name="{}" value="{}">', idempotency.FIELD, value)
