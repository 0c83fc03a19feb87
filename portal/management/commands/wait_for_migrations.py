"""Wait until the database is reachable and every migration is applied; then exit 0.

Workers and beat run it before they start, so that neither runs a task against tables the
migrations have not yet made or changed (docker-compose.yml; README, "Running the production
stack"). After ``--timeout`` seconds it exits 1 naming what it was still waiting for.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

# The first retry after this long, each next one twice as long, never more than the longest.
FIRST_WAIT = 0.5
LONGEST_WAIT = 10.0


def unapplied_migrations(using: str) -> list[str]:
    """``app.name`` of each migration not yet applied, in the order migrate would apply them."""
    connection = connections[using]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    finally:
        connection.close()
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def still_waiting_for(using: str) -> str:
    """What is missing, in words; empty when the database is ready."""
    try:
        pending = unapplied_migrations(using)
    except DatabaseError as exc:
        return f"the database ({str(exc).strip() or exc.__class__.__name__})"
    if not pending:
        return ""
    shown = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
    return f"{len(pending)} unapplied migration(s): {shown}"


class Command(BaseCommand):
    help = (
        "Wait until the database answers and every migration is applied (exit 0), or give up "
        "after --timeout seconds (exit 1). Run it before a worker or beat starts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--timeout", type=float, default=300.0, help="Seconds to wait (default 300)."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: object, timeout: float, database: str, **options: object) -> None:
        deadline = time.monotonic() + timeout
        pause = FIRST_WAIT
        while missing := still_waiting_for(database):
            left = deadline - time.monotonic()
            if left <= 0:
                raise CommandError(
                    f"Gave up after {timeout:g} seconds waiting for {missing}. Run "
                    "`python manage.py migrate` (the compose stack's migrate service does)."
                )
            self.stderr.write(f"Waiting for {missing}.")
            time.sleep(min(pause, left))
            pause = min(pause * 2, LONGEST_WAIT)
        self.stdout.write("Every migration is applied.")
