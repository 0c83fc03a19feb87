"""Deployment checks: which database role the portal really runs as, and whether HTTPS can be
seen behind the proxy."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from portal import db_roles

HINT = (
    "Run the web server, workers and beat as a role set up with "
    "`manage.py grant_runtime_role <role>`, and keep the owner for migrations "
    "(README, Running the production stack)."
)


@register(Tags.security, Tags.database, deploy=True)
def database_role(
    app_configs: object = None, databases: list[str] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """Warn when the running role could change, remove or unguard the permanent records.

    A deployment check rather than an ordinary one: ``migrate`` runs the ordinary checks against
    the database as the owner, for whom owning the tables is right.
    """
    if databases is not None and DEFAULT_DB_ALIAS not in databases:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return []  # SQLite (the demo) has no roles to separate
    messages: list[CheckMessage] = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            (role,) = cursor.fetchone()
        problems = db_roles.record_rights(role=role)
        unreadable = db_roles.unreadable_tables()
    except DatabaseError as exc:
        return [
            Warning(
                f"Could not ask the database which rights the portal's role has: {exc}",
                id="portal.W003",
            )
        ]
    if problems:
        messages.append(
            Warning(
                "The portal connects to the database as a role that can change or remove "
                "signatures or audit events: " + "; ".join(problems) + ".",
                hint=HINT,
                id="portal.W001",
            )
        )
    if unreadable:
        messages.append(
            Warning(
                f"The portal's database role {role!r} cannot read {', '.join(unreadable)}.",
                hint="Run `manage.py grant_runtime_role <role>` as the owner after every migrate.",
                id="portal.W002",
            )
        )
    return messages


@register(Tags.security, deploy=True)
def https_behind_a_proxy(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Warn when HTTPS is required but no proxy is trusted to say a request came over it.

    Behind a TLS-terminating proxy every request would then look like plain HTTP and be
    redirected to HTTPS again, and every client would be recorded as the proxy's address.
    """
    if not settings.SECURE_SSL_REDIRECT or settings.PORTAL_TRUSTED_PROXIES:
        return []
    return [
        Warning(
            "DJANGO_HTTPS is on but PORTAL_TRUSTED_PROXIES is empty, so X-Forwarded-Proto and "
            "X-Forwarded-For are ignored from every peer.",
            hint=(
                "Set PORTAL_TRUSTED_PROXIES to the address or network of the TLS-terminating "
                "proxy in front of the portal (README, Configuration)."
            ),
            id="portal.W004",
        )
    ]
