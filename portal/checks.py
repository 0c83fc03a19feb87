"""System checks: whether the font files the PDFs embed are there and the organisation's logo is
one of the portal's static files, and, for deployment, which database role the portal really
runs as, whether HTTPS can be seen behind the proxy, and whether the services it stands on are
the production ones (PostgreSQL, Redis, a mail server, a sealing key of its own)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from portal import db_roles, fonts

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


SETTINGS_HINT = "README, Configuration: every setting and its production value."
# Backends that deliver nothing: a message "sent" through them is printed, kept in memory,
# written to a file nobody reads, or dropped.
UNDELIVERED_MAIL = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@register(Tags.database, deploy=True)
def database_engine(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Warn when the records live in SQLite: the demo's database, or a trial's."""
    if settings.DATABASES[DEFAULT_DB_ALIAS]["ENGINE"] != "django.db.backends.sqlite3":
        return []
    return [
        Warning(
            "The portal keeps its records in SQLite, which has no separate running role for "
            "the signature tables and no consistent backup while it is written.",
            hint="Set DATABASE_URL to a PostgreSQL database and PORTAL_TRIAL=0. " + SETTINGS_HINT,
            id="portal.W005",
        )
    ]


@register(deploy=True)
def broker(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Warn when tasks go through the demo's folder broker rather than Redis."""
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return []
    return [
        Warning(
            f"Tasks go through the {settings.CELERY_BROKER_URL.split(':')[0]} broker, not "
            "Redis: workers on another host never see them, and a lost worker's task is not "
            "handed to another.",
            hint="Set REDIS_URL, such as redis://redis:6379/0. " + SETTINGS_HINT,
            id="portal.W006",
        )
    ]


@register(deploy=True)
def mail_server(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Warn when e-mail is printed or kept rather than sent."""
    if settings.EMAIL_BACKEND not in UNDELIVERED_MAIL:
        return []
    return [
        Warning(
            f"E-mail goes to {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]}, not a mail server: "
            "receipts, reminders and password resets never arrive.",
            hint="Set EMAIL_URL (smtp://user:password@host:587?tls=1) or EMAIL_HOST. "
            + SETTINGS_HINT,
            id="portal.W007",
        )
    ]


@register()
def pdf_fonts(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """An error when a font file the PDFs embed is in none of ``PORTAL_FONT_DIRS``: receipts and
    first sign-in letters could not be made."""
    missing = fonts.missing_files()
    if not missing:
        return []
    return [
        Error(
            f"The font files {', '.join(missing)} are in none of the font directories "
            f"({', '.join(map(str, fonts.font_dirs())) or 'none set'}): receipts and first "
            "sign-in letters cannot be made.",
            hint=f"Install the font packages ({fonts.PACKAGES}) or set PORTAL_FONT_DIRS to the "
            "folders that hold them (README, Configuration).",
            id="portal.E001",
        )
    ]


@register(Tags.security, deploy=True)
def sealing_key(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Warn when no sealing key is configured and the demo makes its own in var/."""
    if not settings.SEALING_KEY_MAKE:
        return []
    return [
        Warning(
            "PORTAL_SEALING_KEY_FILE is not set: signature records are sealed with a key the "
            f"portal made for itself in {settings.SEALING_KEY_FILE}, beside the data it seals.",
            hint="Make a key with `manage.py make_sealing_key PATH`, keep it outside the "
            "database and its backups, and set PORTAL_SEALING_KEY_FILE to PATH (README, Running "
            "the production stack).",
            id="portal.W008",
        )
    ]


@register()
def organisation_logo(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """An error when PORTAL_ORG_LOGO names no static file: every page would fail to draw it."""
    logo = settings.ORG_LOGO
    if not logo or finders.find(logo):
        return []
    return [
        Error(
            f"PORTAL_ORG_LOGO is {logo!r}, but no static file has that path.",
            hint="Put the logo in static/ (static/portal/logo.svg is portal/logo.svg) and run "
            "`manage.py collectstatic`, or leave PORTAL_ORG_LOGO empty.",
            id="portal.E002",
        )
    ]
