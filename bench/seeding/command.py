"""``seed_scale``: the company of ``company.seed_company`` from the command line.

Run by ``bench/seed_scale.py`` and by the benchmarks' set-up; tests call it with
``call_command(Command(), ...)``.
"""

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench.seeding import company
from bench.seeding.people import SeedRefused


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Build a whole company for benchmarks and trials at scale: departments, managers, "
        "staff, the policy signed by about 70%, and IT requests. Bulk inserts only; meant for an "
        "empty database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--employees",
            type=positive,
            default=100_000,
            help="How many people to create (default 100,000; at least 20).",
        )
        parser.add_argument(
            "--force-add",
            action="store_true",
            help="Add the company even though the database already has people in it.",
        )
        parser.add_argument(
            "--seed", type=int, default=2016, help="Random seed, for a repeatable company."
        )

    def handle(
        self, *args: object, employees: int, force_add: bool, seed: int, **options: object
    ) -> None:
        started = time.perf_counter()
        try:
            result = company.seed_company(employees=employees, force_add=force_add, seed=seed)
        except SeedRefused as refused:
            raise CommandError(str(refused)) from None
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {result.employees:,} people in {result.departments} departments "
            f"({result.line_managers:,} with direct reports, {result.leavers:,} leavers) in "
            f"{elapsed:.1f} s.\n"
            f"Policy: {result.assigned:,} assigned; {result.signed:,} signed, "
            f"{result.overdue:,} overdue, {result.due:,} due. "
            f"Requests: {result.requests:,}."
        )
