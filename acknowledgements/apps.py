from django.apps import AppConfig
from django.core import checks


class AcknowledgementsConfig(AppConfig):
    name = "acknowledgements"
    verbose_name = "Policy acknowledgements"

    def ready(self) -> None:
        from acknowledgements import (
            grants,
            navigation,
            publishing,
            reminders,
            reviews,
            sealing,
            todo,
            witness,
        )
        from acknowledgements.models import Acknowledgement
        from portal import context_processors, db_roles, scheduling, staff_import
        from portal import todo as portal_todo

        db_roles.APPEND_ONLY.append(Acknowledgement)

        staff_import.PEOPLE_ADDED_HOOKS.append(
            lambda user_ids: publishing.assign_all_policies(user_ids=user_ids)
        )
        context_processors.NAV_PROVIDERS.append(navigation.items)
        portal_todo.PROVIDERS[:0] = [todo.sign_policy, todo.questions_to_answer, todo.reviews]
        for job in (
            scheduling.Job(
                name="policy-assignments",
                title="Policy assignments",
                description="Asks anyone active who has nothing to sign for a policy (a new "
                "account, a returning member of staff) to sign its current version.",
                run=lambda now: scheduling.JobResult(
                    found=publishing.assign_all_policies(today=scheduling.local_date(now))
                ),
            ),
            scheduling.Job(
                name="policy-reviews",
                title="Annual policy reviews",
                description="Opens each policy's review 60 days before its review date and "
                "reminds reviewers 60, 30 and 7 days before it, then weekly while overdue.",
                run=reviews.daily_job,
            ),
            scheduling.Job(
                name="unsigned-policy",
                title="Unsigned policy reminders",
                description="Reminds people on assignment, 7 and 1 days before the due date, on "
                "it, then every 3 days; tells the line manager at 7 days overdue.",
                run=reminders.unsigned_job,
            ),
            scheduling.Job(
                name="hr-weekly-summary",
                title="HR weekly summary",
                description="Sends HR the week's signature numbers with a link to the dashboard.",
                run=reminders.weekly_summary_job,
            ),
            scheduling.Job(
                name="personal-use-expiry",
                title="Personal-use expiry",
                description="Tells employees and their managers 7 days before a personal-use "
                "grant expires, and ends grants once their expiry date has passed.",
                run=grants.expiry_job,
            ),
            scheduling.Job(
                name="signature-witness",
                title="Signature chain witness",
                description="Sends the newest signature record's sequence, hash and seal to the "
                "witness addresses (PORTAL_WITNESS_EMAILS) and the log, so that a later rewrite "
                "of the records is detectable.",
                run=witness.daily_job,
            ),
        ):
            scheduling.register(job)
        checks.register(sealing.check_keys)
