from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "People and platform"

    def ready(self) -> None:
        from portal import (
            accounts,
            auth_events,  # noqa: F401  (connects the sign-in audit receivers)
            checks,  # noqa: F401  (registers the deployment checks)
            db_roles,
            invitations,
            outbox,
            password_age,
            scheduling,
        )
        from portal.models import AuditEvent

        db_roles.APPEND_ONLY.append(AuditEvent)

        outbox.SEND_TIME_SECRETS[accounts.PASSWORD_RESET_KIND] = accounts.password_reset_link
        outbox.SEND_TIME_SECRETS[invitations.KIND] = accounts.password_reset_link
        outbox.connect_broker_resets()

        scheduling.register(
            scheduling.Job(
                name="outbox-sweep",
                title="Outbox",
                description="E-mails every notification that is due: new ones, and failed ones "
                "once their backoff has passed.",
                run=lambda now: scheduling.JobResult(found=outbox.sweep_all()),
            )
        )
        scheduling.register(
            scheduling.Job(
                name="password-age",
                title="Password age",
                description="Tells people 14, 7 and 1 days before their password is too old "
                "(policy 5.6).",
                run=password_age.daily_job,
            )
        )
