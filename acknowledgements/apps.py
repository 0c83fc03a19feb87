from django.apps import AppConfig
from django.core import checks


class AcknowledgementsConfig(AppConfig):
    name = "acknowledgements"
    verbose_name = "Policy acknowledgements"

    def ready(self) -> None:
        _describe_audit_actions()
        _keep_signatures_permanent()
        _ask_new_people_to_sign()
        _end_grants_on_moves()
        _add_home_page_items_and_menu()
        _schedule_jobs()
        _add_demo_policy()


def _describe_audit_actions() -> None:
    from acknowledgements import audit_words
    from portal.audit_words import describe

    describe(audit_words.ACTIONS, groups=audit_words.GROUPS)


def _keep_signatures_permanent() -> None:
    from acknowledgements import receipts, sealing
    from acknowledgements.models import Acknowledgement
    from portal import db_roles

    db_roles.APPEND_ONLY.append(Acknowledgement)
    checks.register(sealing.check_keys)
    checks.register(receipts.check_fonts)


def _ask_new_people_to_sign() -> None:
    from acknowledgements import publishing
    from portal import staff_import

    staff_import.PEOPLE_ADDED_HOOKS.append(
        lambda user_ids: publishing.assign_all_policies(user_ids=user_ids)
    )


def _end_grants_on_moves() -> None:
    from portal import moves

    moves.staff_moved.connect(_moved, dispatch_uid="acknowledgements-grants-on-move")


def _moved(sender, *, moves, actor, **kwargs) -> None:
    from acknowledgements import grants

    grants.end_grants_on_move(moves=moves, actor=actor)


def _add_home_page_items_and_menu() -> None:
    from acknowledgements import navigation, todo
    from portal import context_processors
    from portal import todo as portal_todo

    context_processors.NAV_PROVIDERS.append(navigation.items)
    context_processors.PEOPLE_NAV_PROVIDERS.append(navigation.people_items)
    portal_todo.PROVIDERS[:0] = [todo.sign_policy, todo.questions_to_answer, todo.reviews]


def _schedule_jobs() -> None:
    from acknowledgements import grants, publishing, reminders, reviews, witness
    from portal import scheduling

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


def _add_demo_policy() -> None:
    from acknowledgements import demo_data
    from portal import demo

    # After the people (order 0): everyone in the demo company is asked to sign.
    demo.register(
        demo.Part(
            name="policy",
            order=10,
            seed=demo_data.seed_demo,
            summary="{assigned} newly asked to sign the policy",
        )
    )
