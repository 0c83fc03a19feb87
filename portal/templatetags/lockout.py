from django import template

from portal import lockout

register = template.Library()


@register.simple_tag
def lockout_pause() -> str:
    """How long signing in is paused after too many wrong passwords: '15 minutes'."""
    return lockout.pause_text()
