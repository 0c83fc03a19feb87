"""Print the portal's health (``portal.health``) and exit 0 when every check asked is ok, else 1.

The compose stack's beat container runs ``healthcheck --check beat`` as its health check; any
host can run it from cron or a monitoring agent. Asking for beat also e-mails IT when beat has
been silent too long, as ``/healthz`` and the operations page do.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from portal import health


class Command(BaseCommand):
    help = (
        "Check the database, the broker, the worker, beat and the outbox sweep (or only those "
        "named with --check); exit 0 when all are ok, 1 when any is down."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="append",
            choices=list(health.CHECKS),
            default=[],
            help="Only this check (repeatable). Default: all of them.",
        )

    def handle(self, *args: object, check: list[str], **options: object) -> None:
        result = health.report(check)
        for item in result.checks:
            state = "ok" if item.ok else "DOWN"
            self.stdout.write(f"{item.name}: {state} ({item.detail})")
        self.stdout.write(f"status: {result.as_json()['status']}")
        if not result.ok:
            raise SystemExit(1)
