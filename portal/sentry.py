"""Errors to Sentry, with the people they happened to left out.

Started by settings.py only when SENTRY_DSN is set. The SDK is told to collect no personal data
of its own (no user, cookies, request bodies or local variables), and ``scrub_event`` removes
what an error can still carry before the event leaves the server: the request is cut down to
its method, path and a few harmless headers; e-mail addresses and IP addresses anywhere in the
event (messages, exception values, breadcrumbs, extra data) are replaced; query strings and the
password-reset link's token are dropped; and values under personal names (the signing form's
fields, names, addresses, passwords, cookies, tokens) are blanked wherever they appear.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

SCRUBBED = "[scrubbed]"
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
# Candidates only: each is replaced only if it really parses as an IPv6 address.
IPV6_LIKE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
QUERY_STRING = re.compile(r"\?[^\s\"'#<>=]*=[^\s\"'#<>]*")
RESET_LINK = re.compile(r"(/reset/)(?!sent/|complete/)[^/\s\"']+/[^/\s\"']+")
# Values under these keys are personal whatever they look like (lower case; the signing form's
# fields are printed_name and password).
PERSONAL_KEYS = frozenset(
    {
        "printed_name",
        "password",
        "full_name",
        "first_name",
        "last_name",
        "display_name",
        "username",
        "email",
        "email_address",
        "ip_address",
        "remote_addr",
        "client_address",
        "cookie",
        "cookies",
        "sessionid",
        "csrftoken",
        "csrfmiddlewaretoken",
        "authorization",
        "token",
        "uidb64",
        "query_string",
        "x-forwarded-for",
        "x-real-ip",
        "db.params",
        # A frame's local variables (the SDK is told not to collect them in the first place).
        "vars",
    }
)
# Request headers that say nothing about who sent the request.
HARMLESS_HEADERS = frozenset({"host", "content-type", "content-length", "accept"})
# Parts of an event that the SDK writes about itself, or that come from the portal's settings
# (a release such as portal@2026.12 is not an e-mail address), never about a person.
OWN_PARTS = frozenset(
    {"event_id", "timestamp", "start_timestamp", "sdk", "modules", "platform"}
    | {"release", "environment"}
)


def start_sentry(*, dsn: str, environment: str, release: str | None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
    )


def scrub_event(event: dict[str, Any], hint: object = None) -> dict[str, Any]:
    """Sentry's before_send: the event without the personal data it may carry."""
    if isinstance(event.get("request"), dict):
        event["request"] = _request_without_person(event["request"])
    if isinstance(event.get("user"), dict):
        event["user"] = {"id": event["user"]["id"]} if "id" in event["user"] else {}
    return {key: value if key in OWN_PARTS else _scrub(value) for key, value in event.items()}


def _request_without_person(request: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {"method": request.get("method")}
    if isinstance(request.get("url"), str):
        kept["url"] = request["url"]
    headers = request.get("headers")
    if isinstance(headers, dict):
        kept["headers"] = {
            name: value for name, value in headers.items() if name.lower() in HARMLESS_HEADERS
        }
    return kept


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: SCRUBBED if str(key).lower() in PERSONAL_KEYS else _scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def scrub_text(text: str) -> str:
    text = EMAIL.sub("[e-mail]", text)
    text = RESET_LINK.sub(rf"\1{SCRUBBED}/{SCRUBBED}", text)
    text = QUERY_STRING.sub(f"?{SCRUBBED}", text)
    text = IPV4.sub("[address]", text)
    return IPV6_LIKE.sub(_ipv6_scrubbed, text)


def _ipv6_scrubbed(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(match.group())
    except ValueError:
        return match.group()
    return "[address]"
