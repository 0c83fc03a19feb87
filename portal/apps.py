from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "People and platform"

    def ready(self) -> None:
        from portal import (
            accounts,
            audit_words,
            auth_events,  # noqa: F401  (connects the sign-in audit receivers)
            checks,  # noqa: F401  (registers the deployment checks)
            db_roles,
            digests,
            invitations,
            outbox,
            password_age,
            scheduling,
        )
        from portal.models import AuditEvent

        db_roles.APPEND_ONLY.append(AuditEvent)
        audit_words.describe(audit_words.PORTAL_ACTIONS, groups=audit_words.PORTAL_GROUPS)

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
        scheduling.register(
            scheduling.Job(
                name="no-email-digest",
                title="Notices for staff without email",
                description="Lists for each line manager (or HR) the notices that could not be "
                "emailed to their staff who have no work email.",
                run=digests.daily_job,
            )
        )
