from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.staff_import import ImportFileError, import_staff


class Command(BaseCommand):
    help = "Create or update staff from the HR directory CSV (safe to run again)."

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
        self.stdout.write(
            f"Imported {result.imported} people: {result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged; {len(result.errors)} rows rejected."
        )
        if result.errors:
            raise SystemExit(1)
