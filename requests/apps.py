from django.apps import AppConfig


class RequestsConfig(AppConfig):
    # Named by the design card; see docs/architecture.md for why this hides the PyPI library.
    name = "requests"
    verbose_name = "IT requests"

    def ready(self) -> None:
        from portal import context_processors, departments, outbox, scheduling
        from portal import todo as portal_todo
        from portal.audit_words import describe
        from requests import audit_words, navigation, todo, workflow
        from requests.staff import lifecycle as staff_lifecycle
        from requests.staff import selectors as staff_selectors

        context_processors.NAV_PROVIDERS.append(navigation.items)
        describe(audit_words.ACTIONS, groups=audit_words.GROUPS)
        portal_todo.PROVIDERS.extend(
            [
                todo.more_information_asked,
                todo.approvals_waiting,
                todo.waiting_for_budget_holder,
                todo.it_queue,
                todo.staff_tasks,
            ]
        )
        departments.AUTHORITY_MOVED.append(workflow.authority_moved)
        departments.LAST_DAY_PROVIDERS.append(staff_selectors.leaving_on)
        outbox.SEND_TIME_SECRETS[staff_lifecycle.INVITATION_KIND] = staff_lifecycle.invitation_link
        for job in _scheduled_jobs():
            scheduling.register(job)
        _raise_notices_for_imported_moves()
        _add_demo_notices()


def _scheduled_jobs() -> tuple[object, ...]:
    """The app's scheduled jobs (``portal.scheduling``): staff changes, deputies, renewals."""
    from portal import scheduling
    from requests import authority_jobs, renewals
    from requests.staff import jobs as staff_jobs

    return (
        scheduling.Job(
            name="deputy-dates",
            title="Deputies' dates",
            description="Tells a deputy, on their first day, of the costs already waiting "
            "for authority, and the budget holder, on the day after the deputy's last.",
            run=authority_jobs.deputy_dates_job,
        ),
        scheduling.Job(
            name="staff-end-access",
            title="End of access",
            description="Ends the accounts of leavers after their last day and of temporary "
            "workers after their access end date; their sessions end with them.",
            run=staff_jobs.end_access_job,
        ),
        scheduling.Job(
            name="staff-movers",
            title="Movers on their date",
            description="Puts each mover's new department, line manager and job title in "
            "the staff directory on the notice's effective date.",
            run=staff_jobs.movers_job,
        ),
        scheduling.Job(
            name="staff-starters",
            title="Starters in 3 days",
            description="Tells IT of starters beginning within 3 days whose checklist is not done.",
            run=staff_jobs.starters_job,
        ),
        scheduling.Job(
            name="staff-overdue-tasks",
            title="Overdue checklist tasks",
            description="Tells IT, once a day, while staff change checklist tasks are overdue.",
            run=staff_jobs.overdue_job,
        ),
        scheduling.Job(
            name="staff-temporary-ending",
            title="Temporary access ending",
            description="Tells a temporary worker's line manager 7 days before their access ends.",
            run=staff_jobs.temporary_job,
        ),
        scheduling.Job(
            name="register-renewals",
            title="Licence and subscription renewals",
            description="Reminds the budget holder and IT of software licences and paid "
            "subscriptions in the register that renew within 30 days, once per renewal date.",
            run=renewals.renewals_job,
        ),
    )


def _raise_notices_for_imported_moves() -> None:
    from portal import moves

    moves.staff_moved.connect(_imported_moves, dispatch_uid="requests-mover-notices")


def _imported_moves(sender, *, moves, actor, source, **kwargs) -> None:
    from portal import moves as portal_moves
    from requests.staff import changes

    if source == portal_moves.IMPORT:
        changes.raise_for_import(moves, actor=actor)


def _add_demo_notices() -> None:
    from portal import demo
    from requests import demo_data, demo_requests

    # After the policy (order 10): the leavers are colleagues it has already asked to sign.
    demo.register(
        demo.Part(
            name="notices",
            order=20,
            seed=demo_data.seed_demo,
            summary="{notices} starter, leaver and mover notices for IT",
        )
    )
    demo.register(
        demo.Part(
            name="requests",
            order=25,
            seed=demo_requests.seed_demo,
            summary="{requests} IT requests and {items} register items",
        )
    )
