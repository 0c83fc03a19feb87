from django.core.management.base import BaseCommand

from acknowledgements import demo_data as policy_demo
from portal.demo_data import DEMO_PASSWORD, seed_demo
from requests import demo_data as requests_demo


class Command(BaseCommand):
    help = "Create the demo departments, accounts and policy (safe to run again)."

    def handle(self, *args: object, **options: object) -> None:
        counts = seed_demo()
        policy_counts = policy_demo.seed_demo()
        notice_counts = requests_demo.seed_demo()
        self.stdout.write(
            f"Demo data ready: {counts['created']} people added, {counts['total']} in all; "
            f"{policy_counts['assigned']} newly asked to sign the policy; "
            f"{notice_counts['notices']} starter and leaver notices for IT. "
            f"Demo accounts use the password {DEMO_PASSWORD!r}."
        )
