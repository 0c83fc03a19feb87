from django.core.management.base import BaseCommand

from acknowledgements import publishing


class Command(BaseCommand):
    help = (
        "Load the Acceptable Use of ICT Policy as version 1 (released March 2016) and ask every "
        "active member of staff to sign it. Safe to run again."
    )

    def handle(self, *args: object, **options: object) -> None:
        version = publishing.load_seed_policy()
        assigned = publishing.assign_outstanding(policy=version.policy)
        people = "1 person" if assigned == 1 else f"{assigned} people"
        self.stdout.write(
            f"{version} is loaded (text hash {version.body_sha256[:12]}...); "
            f"{people} newly asked to sign it."
        )
