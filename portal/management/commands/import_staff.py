from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.staff_import import ImportFileError, import_staff


class Command(BaseCommand):
    help = (
        "Create or update staff from the HR directory CSV (safe to run again). Run at the "
        "server's console, it is an administrator's import: it may change the accounts of role "
        "holders, which an import by HR leaves alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: object, file: Path, **options: object) -> None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            result = import_staff(actor=None, data=data, source=f"command:{file.name}")
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.") from None
        for error in result.errors:
            self.stderr.write(f"{file}:{error.line}: {error.message}")
        for row in result.held:
            self.stderr.write(f"{file}:{row.line}: {row.message}")
        held = f"; {len(result.held)} left for an administrator" if result.held else ""
        self.stdout.write(
            f"Imported {result.imported} people: {result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged; {len(result.errors)} rows rejected{held}."
        )
        if result.errors or result.held:
            raise SystemExit(1)
