from django.apps import AppConfig


class RequestsConfig(AppConfig):
    # Named by the design card; see docs/architecture.md for why this hides the PyPI library.
    name = "requests"
    verbose_name = "IT requests"

    def ready(self) -> None:
        from portal import context_processors, outbox
        from portal import todo as portal_todo
        from requests import navigation, staff_lifecycle, todo

        context_processors.NAV_PROVIDERS.append(navigation.items)
        portal_todo.PROVIDERS.extend(
            [todo.more_information_asked, todo.approvals_waiting, todo.it_queue, todo.staff_tasks]
        )
        outbox.SEND_TIME_SECRETS[staff_lifecycle.INVITATION_KIND] = staff_lifecycle.invitation_link
