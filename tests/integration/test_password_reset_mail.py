"""A password reset asked for while the mail server is down is sent once it is back, and its
link, made when the e-mail is finally sent, works: a real worker on real Redis, and a real SMTP
server (aiosmtpd) that is first missing from its port, then listening on it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Notification
from portal.tasks import sweep_outbox
from tests.integration.conftest import DELIVERY_DEADLINE, free_port
from tests.integration.processes import SmtpSink, wait_for

NEW_PASSWORD = "a-reset-passphrase-for-autumn"


@pytest.fixture
def smtp_port(settings) -> int:
    """E-mail goes by SMTP to a local port where, for now, nothing listens."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return port


def text_of(message) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    return part.get_payload(decode=True).decode()


@pytest.mark.django_db(transaction=True)
def test_a_reset_asked_for_while_the_mail_server_is_down_is_sent_when_it_is_back(
    client, employee, smtp_port, redis_broker, run_worker
) -> None:
    with run_worker():
        response = client.post(reverse("password_reset"), {"email": employee.email})
        assert response["Location"] == reverse("password_reset_done")
        notice = Notification.objects.get(kind="password-reset", recipient=employee)

        # The worker tries at once and finds no mail server: the reset waits, it is not lost.
        tried = wait_for(
            lambda: Notification.objects.filter(pk=notice.pk, attempts=1).first(),
            deadline=DELIVERY_DEADLINE,
            what="the first attempt to send the reset",
        )
        assert tried.status == Notification.Status.PENDING
        assert tried.last_error.startswith("ConnectionRefusedError")

        sink = SmtpSink(smtp_port).start()
        try:
            # Its backoff has passed; the minute's sweep sends it.
            Notification.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now())
            sweep_outbox.delay()
            [message] = wait_for(lambda: sink.messages, deadline=DELIVERY_DEADLINE, what="mail")
        finally:
            sink.stop()

    notice.refresh_from_db()
    assert notice.status == Notification.Status.SENT
    assert message["To"] == employee.email
    [link] = re.findall(r"http\S+/accounts/reset/\S+/", text_of(message))
    form_page = client.get(link[link.index("/accounts/reset/") :], follow=True)
    chosen = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert chosen["Location"] == reverse("password_reset_complete")
    employee.refresh_from_db()
    assert employee.check_password(NEW_PASSWORD)
