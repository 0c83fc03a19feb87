from django.core.management.base import BaseCommand

from portal import demo
from portal.demo_data import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Create the demo departments, accounts and policy (safe to run again)."

    def handle(self, *args: object, **options: object) -> None:
        done = "; ".join(demo.seed_all())
        self.stdout.write(
            f"Demo data ready: {done}. Demo accounts use the password {DEMO_PASSWORD!r}."
        )
