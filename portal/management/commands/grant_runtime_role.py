from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from portal import db_roles


class Command(BaseCommand):
    help = (
        "Give the database role the web server and workers run as what they need, and no more: "
        "read and write ordinary rows, only read and add signatures and audit events. Run it as "
        "the tables' owner after every migrate (safe to run again)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="The running role, e.g. portal_app.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: object, role: str, database: str, **options: object) -> None:
        try:
            granted = db_roles.grant_runtime_role(role=role, using=database)
        except db_roles.RoleError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{granted.role}: read and write on {granted.tables} tables; read and add only on "
            f"{', '.join(granted.append_only)}; read only on {', '.join(granted.read_only)}."
        )
        if granted.problems:
            raise CommandError(
                "The role still has rights it should not, through another role it belongs "
                "to: " + "; ".join(granted.problems) + "."
            )
