from django.apps import AppConfig


class RequestsConfig(AppConfig):
    # Named by the design card; see docs/architecture.md for why this hides the PyPI library.
    name = "requests"
    verbose_name = "IT requests"

    def ready(self) -> None:
        from portal import context_processors, outbox, scheduling
        from portal import todo as portal_todo
        from portal.audit_words import describe
        from requests import audit_words, navigation, todo
        from requests.staff import jobs as staff_jobs
        from requests.staff import lifecycle as staff_lifecycle

        context_processors.NAV_PROVIDERS.append(navigation.items)
        describe(audit_words.ACTIONS, groups=audit_words.GROUPS)
        portal_todo.PROVIDERS.extend(
            [todo.more_information_asked, todo.approvals_waiting, todo.it_queue, todo.staff_tasks]
        )
        outbox.SEND_TIME_SECRETS[staff_lifecycle.INVITATION_KIND] = staff_lifecycle.invitation_link
        for job in (
            scheduling.Job(
                name="staff-end-access",
                title="End of access",
                description="Ends the accounts of leavers after their last day and of temporary "
                "workers after their access end date; their sessions end with them.",
                run=staff_jobs.end_access_job,
            ),
            scheduling.Job(
                name="staff-starters",
                title="Starters in 3 days",
                description="Tells IT of starters beginning within 3 days whose checklist is "
                "not done.",
                run=staff_jobs.starters_job,
            ),
            scheduling.Job(
                name="staff-overdue-tasks",
                title="Overdue checklist tasks",
                description="Tells IT, once a day, while starters and leavers tasks are overdue.",
                run=staff_jobs.overdue_job,
            ),
            scheduling.Job(
                name="staff-temporary-ending",
                title="Temporary access ending",
                description="Tells a temporary worker's line manager 7 days before their "
                "access ends.",
                run=staff_jobs.temporary_job,
            ),
        ):
            scheduling.register(job)
        _add_demo_notices()


def _add_demo_notices() -> None:
    from portal import demo
    from requests import demo_data

    # After the policy (order 10): the leavers are colleagues it has already asked to sign.
    demo.register(
        demo.Part(
            name="notices",
            order=20,
            seed=demo_data.seed_demo,
            summary="{notices} starter and leaver notices for IT",
        )
    )
