"""A few hundred invitations, delivered by a real Celery worker process on real Redis to a real
SMTP server (aiosmtpd): each person gets exactly one, with a working link of their own made when
it was sent, and the page's counts follow the outbox to the end."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
import redis
from django.test import Client
from django.urls import reverse

from portal import invitations
from portal.celery import app as celery_app
from portal.models import Notification, User
from tests.factories import UserFactory
from tests.integration.conftest import free_port
from tests.integration.processes import SmtpSink, WorkerProcess, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PEOPLE = 300
DEADLINE = 180.0
NEW_PASSWORD = "Willow-ferry-signal-73"


def text_of(message) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    return part.get_payload(decode=True).decode()


@pytest.fixture
def mail_server() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture
def worker(redis_broker: str, mail_server: SmtpSink) -> Iterator[WorkerProcess]:
    """One worker process sending to ``mail_server``, on an empty queue."""
    celery_app.control.purge()
    redis.Redis.from_url(redis_broker).delete("unacked", "unacked_index", "unacked_mutex")
    port = mail_server.controller.port
    process = WorkerProcess(
        "inviter", redis_broker, PORTAL_TEST_EMAIL_URL=f"smtp://127.0.0.1:{port}"
    )
    yield process
    process.stop()
    celery_app.control.purge()


def test_a_worker_delivers_one_invitation_to_each_of_a_few_hundred_people(
    hr_user, mail_server, worker
) -> None:
    people = UserFactory.create_batch(PEOPLE, last_login=None)
    hr = Client()
    hr.force_login(hr_user)

    response = hr.post(reverse("invite_staff"))
    assert response.status_code == 302

    def all_sent() -> bool:
        return hr.get(reverse("invitation_progress")).json()["sent"] == PEOPLE

    wait_for(all_sent, deadline=DEADLINE, what="every invitation to be sent", every=0.5)
    wait_for(lambda: len(mail_server.messages) >= PEOPLE, deadline=DEADLINE, what="the mail")

    progress = hr.get(reverse("invitation_progress")).json()
    assert progress == {
        "sent": PEOPLE,
        "waiting": 0,
        "failed": 0,
        "total": PEOPLE,
        "not_invited": 0,
        "preparing": False,
    }
    delivered = Counter(m["To"] for m in mail_server.messages)
    assert delivered == Counter(p.email for p in people), "exactly one each"

    links = {}
    for message in mail_server.messages:
        [link] = re.findall(r"http\S+/accounts/reset/[^/\s]+/[^/\s]+/", text_of(message))
        links[message["To"]] = link[link.index("/accounts/reset/") :]
    assert len(set(links.values())) == PEOPLE, "a link of their own each"
    stored = Notification.objects.filter(kind=invitations.KIND)
    assert not any(
        link in n.body_text + n.body_html for n in stored for link in [links[n.to_email]]
    )

    # Inviting again the same day sends nothing more.
    hr.post(reverse("invite_staff"))
    assert Notification.objects.filter(kind=invitations.KIND).count() == PEOPLE

    # One of them chooses a password from the link.
    person = people[123]
    visitor = Client()
    form = visitor.get(links[person.email], follow=True)
    chosen = visitor.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert chosen["Location"] == reverse("password_reset_complete")
    assert User.objects.get(pk=person.pk).check_password(NEW_PASSWORD)


def test_with_the_broker_down_the_request_claims_the_invitations_itself(
    hr_user, use_broker, refused_broker_url
) -> None:
    """Nobody is left out because Redis is down: the invitations wait in the outbox for the
    minute's sweep, as every other notice does."""
    people = UserFactory.create_batch(5, last_login=None)
    use_broker(refused_broker_url)
    hr = Client()
    hr.force_login(hr_user)

    response = hr.post(reverse("invite_staff"))

    assert response.status_code == 302
    stored = Notification.objects.filter(kind=invitations.KIND)
    assert {n.recipient_id for n in stored} == {p.pk for p in people}
    assert {n.status for n in stored} == {Notification.Status.PENDING}
