from django.core.management.base import BaseCommand

from portal.demo_data import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo departments and accounts (safe to run again)."

    def handle(self, *args: object, **options: object) -> None:
        counts = seed_demo()
        self.stdout.write(
            f"Demo data ready: {counts['created']} people added, {counts['total']} in all. "
            f"Demo accounts use the password {DEMO_PASSWORD!r}."
        )
