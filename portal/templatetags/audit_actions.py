"""``{{ event.action|action_words }}``: an audit action in words (``portal.audit_words``)."""

from __future__ import annotations

from django import template

from portal import audit_words

register = template.Library()


@register.filter
def action_words(action: str) -> str:
    return audit_words.words_for(action)
